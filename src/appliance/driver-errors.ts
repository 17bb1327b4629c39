import { DgError, EXIT, type ExitCode } from '../errors.ts';

/**
 * Driver error codes (DG12xx: link DG11xx and protocol codes are neighbours in DG1xxx).
 * Tests assert these codes; renumbering one breaks the scripts of whoever parses our output.
 */
export const DRIVER_CODES = {
  /** Nothing answered the hello: wrong port, board off, wrong speed. Exit 3. */
  noAnswer: 'DG1201',
  /** The board speaks a protocol version this host does not. */
  protocolVersion: 'DG1202',
  /** No response within the timeout (after every allowed attempt). */
  timeout: 'DG1203',
  /** The board NAKed every attempt: the frames arrive corrupted. */
  nak: 'DG1204',
  /** The board answered with an error response (its own code and text follow). */
  boardError: 'DG1205',
  /** The link went down while the command was in flight and it may not be repeated. */
  linkLost: 'DG1206',
  /** Terminal state: the recovery ladder ran out of reopen attempts. */
  terminal: 'DG1207',
  /** The driver was closed. */
  closed: 'DG1208',
  /** A driver option is out of range. */
  badOptions: 'DG1209',
  /** A response did not match the command catalogue's schema. */
  badResponse: 'DG1210',
  /** Too many commands queued. */
  queueFull: 'DG1211',
  /** The board does not know the command (NAK unknown-command). */
  unknownCommand: 'DG1212',
  /** A request value fails the catalogue's schema: nothing was sent. */
  badRequest: 'DG1213',
} as const;

export type FailureReason =
  | 'timeout'
  | 'nak'
  | 'board-error'
  | 'link-lost'
  | 'terminal'
  | 'closed'
  | 'queue-full'
  | 'bad-response'
  | 'no-answer'
  | 'protocol-version'
  | 'unknown-command'
  | 'bad-request';

const CODE_OF: Record<FailureReason, string> = {
  timeout: DRIVER_CODES.timeout,
  nak: DRIVER_CODES.nak,
  'board-error': DRIVER_CODES.boardError,
  'link-lost': DRIVER_CODES.linkLost,
  terminal: DRIVER_CODES.terminal,
  closed: DRIVER_CODES.closed,
  'queue-full': DRIVER_CODES.queueFull,
  'bad-response': DRIVER_CODES.badResponse,
  'no-answer': DRIVER_CODES.noAnswer,
  'protocol-version': DRIVER_CODES.protocolVersion,
  'unknown-command': DRIVER_CODES.unknownCommand,
  'bad-request': DRIVER_CODES.badRequest,
};

/** Failures where the appliance could not be reached: exit 3 per the interface contract. */
const UNREACHABLE: ReadonlySet<FailureReason> = new Set(['timeout', 'link-lost', 'terminal', 'no-answer', 'nak']);

/** A command that did not succeed, with a typed reason and the numeric code in its message. */
export class CommandError extends DgError {
  readonly reason: FailureReason;
  /** The command (or event) name, e.g. GET_SPAN. */
  readonly command: string;
  /** The board's own error code, for reason 'board-error'. */
  readonly boardCode: number | undefined;

  constructor(reason: FailureReason, command: string, message: string, boardCode?: number) {
    const exit: ExitCode = UNREACHABLE.has(reason) ? EXIT.unreachable : reason === 'board-error' ? EXIT.checkFailed : EXIT.usage;
    super(CODE_OF[reason], message, exit);
    this.name = 'CommandError';
    this.reason = reason;
    this.command = command;
    this.boardCode = boardCode;
  }
}
