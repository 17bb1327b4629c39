import type { Frame, FrameHint } from '../protocol/frame.ts';
import type { ProtocolAdapter } from './protocol-adapter.ts';

/**
 * The dtmfguard serial protocol as the driver sees it (docs/protocol.md). Idempotency comes from
 * the command catalogue (src/protocol/commands.ts) when the client installs it.
 */
export function makeDtmfguardProtocol(isIdempotent: (name: string) => boolean): ProtocolAdapter {
  return {
    isIdempotent,
    // PING is idempotent and changes nothing (§11).
    heartbeat: { name: 'PING', fields: {} },
    // §5: the host NAKs a damaged frame from the board in the board's form. A line cut off when
    // the stream ends was never a whole frame, and a NAK is never NAKed (§5: no ping-pong),
    // which the board guarantees on its side; we cannot tell a damaged NAK from other damage.
    nakOnDiscard: (reason) => reason !== 'incomplete',
    nakFrame(reason: string, hint: FrameHint = {}): Frame {
      const echo = hint.seq !== undefined && hint.name !== undefined;
      return echo
        ? { kind: 'nak', seq: hint.seq!, name: hint.name!, fields: { reason, echo: 'yes' } }
        : { kind: 'nak', seq: 0, name: 'FRAME', fields: { reason, echo: 'no' } };
    },
    // §5: only a NAK whose seq and name match the request in flight says it was not executed.
    nakIsFor: (nak, seq, name) => nak.seq === seq && nak.name === name && nak.fields.echo !== 'no',
    nakIsAnonymous: (nak) => nak.fields.echo === 'no',
    // A NAK for a request the board does not know, or a frame that is not a request, will not
    // change on a resend.
    nakIsFinal: (nak) => nak.fields.reason === 'unknown-command' || nak.fields.reason === 'not-request',
    boardError(frame: Frame) {
      const code = Number(frame.fields.code);
      return {
        code: Number.isFinite(code) ? code : -1,
        symbol: frame.fields.err ?? '',
        text: frame.fields.text ?? '',
        field: frame.fields.field,
      };
    },
    responseNameMatches: (req, res) => req === res,
  };
}

/** Before a catalogue is installed: only what §11 marks idempotent among the basics. */
export const dtmfguardProtocol: ProtocolAdapter = makeDtmfguardProtocol((name) => name === 'PING' || name === 'HELLO');
