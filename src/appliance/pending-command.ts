import type { Frame } from '../protocol/frame.ts';
import type { TimerHandle } from './clock.ts';
import type { CommandError } from './driver-errors.ts';

export type CommandOutcome = { ok: true; frame: Frame } | { ok: false; error: CommandError };

/**
 * One command's life: queued → sent (attempt n, timer running) → answered | NAKed | timed out →
 * (back to queued for another attempt) | finished. The driver moves it; this holds its state.
 */
export class PendingCommand {
  readonly name: string;
  readonly fields: Record<string, string>;
  readonly idempotent: boolean;
  /** Sent by the handshake of an open: goes out before user commands, even while connecting. */
  readonly control: boolean;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly promise: Promise<Frame>;
  isHeartbeat = false;
  /** -1 until first sent; kept for retransmissions. */
  seq = -1;
  attempts = 0;
  sentAt: number | undefined;
  timer: TimerHandle | undefined;
  /** Whether we sent a NAK of our own since this attempt went out (see the driver's NAK rule). */
  nakSentSince = false;
  /**
   * The driver's repeat-memory epoch when this command last went out (docs/protocol.md §2.3).
   * While it is still the driver's current epoch, the board's repeated-line memory holds this
   * very line, so resending it (same seq) cannot make the board act twice.
   */
  memoryEpoch = -1;
  /**
   * An attempt ended without proof that the board did not act on it (a timeout or a damaged
   * answer). From then on only the repeated-line memory makes a resend of a non-idempotent
   * command safe: a NAK of a later copy says nothing about the earlier one.
   */
  mayHaveRun = false;
  #resolve!: (f: Frame) => void;
  #reject!: (e: CommandError) => void;
  #done = false;

  constructor(init: { name: string; fields: Record<string, string>; idempotent: boolean; control: boolean; timeoutMs: number; maxAttempts: number }) {
    this.name = init.name;
    this.fields = init.fields;
    this.idempotent = init.idempotent;
    this.control = init.control;
    this.timeoutMs = init.timeoutMs;
    this.maxAttempts = init.maxAttempts;
    this.promise = new Promise<Frame>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** For messages: `GET_SPAN 12` (name and sequence number, never field values). */
  describe(): string {
    return this.seq >= 0 ? `${this.name} ${this.seq}` : this.name;
  }

  finish(outcome: CommandOutcome): void {
    if (this.#done) return;
    this.#done = true;
    if (outcome.ok) this.#resolve(outcome.frame);
    else this.#reject(outcome.error);
  }
}
