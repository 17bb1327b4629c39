import type { Frame, FrameHint } from '../protocol/frame.ts';
import type { ProtocolAdapter } from './protocol-adapter.ts';

/**
 * The dtmfguard serial protocol as the driver sees it (docs/protocol.md). Idempotency comes from
 * the command catalogue (src/protocol/commands.ts) when the client installs it; until then only
 * the heartbeat and the hello are known to be harmless to repeat.
 */
export function makeDtmfguardProtocol(isIdempotent: (name: string) => boolean): ProtocolAdapter {
  return {
    isIdempotent,
    heartbeat: { name: 'PING', fields: {} },
    // Every rejected frame is NAKed, except bytes cut off at a stream's end (never a frame).
    nakOnDiscard: (reason) => reason !== 'incomplete',
    nakFrame(reason: string, hint: FrameHint = {}): Frame {
      return { kind: 'nak', seq: hint.seq ?? 0, name: hint.name ?? 'FRAME', fields: { reason } };
    },
    nakIsFor(nak: Frame, seq: number, name: string): boolean | undefined {
      if (nak.name !== 'FRAME' && nak.name !== name) return false;
      return nak.seq === seq ? true : nak.name === 'FRAME' && nak.seq === 0 ? undefined : false;
    },
    boardError(frame: Frame) {
      const code = Number(frame.fields.code);
      return { code: Number.isFinite(code) ? code : -1, text: frame.fields.text ?? frame.fields.message ?? '' };
    },
    responseNameMatches: (req, res) => req === res,
  };
}

export const dtmfguardProtocol: ProtocolAdapter = makeDtmfguardProtocol((name) => name === 'PING' || name === 'HELLO');
