/**
 * One handler per command of the catalogue (docs/protocol.md §11): typed request in, typed response
 * out, BoardError for a refusal. The mapped type makes a new catalogue entry without a handler a
 * compile error.
 */
import type { CommandName, RequestOf, ResponseOf } from '../../src/protocol/commands.ts';
import { FW_CHUNK_MAX } from '../../src/protocol/commands.ts';
import { MAX_FRAME_BYTES } from '../../src/protocol/frame.ts';
import type { Board } from '../board/board.ts';
import { BoardError } from '../board/board-error.ts';

/** What a handler may ask of the server beyond its answer. */
export interface HandlerContext {
  /** Reboot after the answer has been sent. */
  rebootAfterReply(reason: 'reboot' | 'activate'): void;
}

type Handlers = { [N in CommandName]: (board: Board, req: RequestOf<N>, ctx: HandlerContext) => ResponseOf<N> };

const hostSip = (s: { listen: string; forward: string; ptPcmu: number; ptPcma: number; ptEvent: number }) => ({
  listen: s.listen,
  forward: s.forward,
  pt_pcmu: s.ptPcmu,
  pt_pcma: s.ptPcma,
  pt_event: s.ptEvent,
});

function spanConfigResponse(board: Board, span: number, view: 'running' | 'staged') {
  const c = board.spanConfig(span, view);
  return { span, type: c.type, framing: c.framing, line_code: c.lineCode, lbo: c.lbo, clock: c.clock, view };
}

export const HANDLERS: Handlers = {
  HELLO: (b, r) => ({
    proto: b.negotiate(r.proto),
    model: b.profile.model,
    serial: b.serial,
    fw: b.firmware.runningVersion,
    slot: b.firmware.active,
    hw: b.profile.identity.hwRevision,
    caps: b.capabilities(),
    channels: b.profile.channels,
    spans: b.profile.interfaces.spans.length,
    max_frame: MAX_FRAME_BYTES,
    boot_id: b.bootId,
    cfg: b.configState,
  }),
  PING: (b) => ({ uptime_s: b.uptimeS(), boot_id: b.bootId }),
  GET_MASK_TONE: (b, r) => ({ tone: b.config(r.view).maskTone, view: r.view ?? 'running' }),
  SET_MASK_TONE: (b, r) => ({ tone: b.setMaskTone(r.tone) }),
  GET_TRIGGER: (b, r) => {
    const c = b.config(r.view);
    return { code: c.triggerCode, view: r.view ?? 'running', secure_idle_s: c.secureIdleS };
  },
  SET_TRIGGER: (b, r) => {
    if (r.code === undefined && r.secure_idle_s === undefined) throw new BoardError('bad-field', 'give code, secure_idle_s or both', 'code');
    // The one check that can refuse goes first, so a refusal changes nothing.
    if (r.secure_idle_s !== undefined) b.setSecureIdle(r.secure_idle_s);
    if (r.code !== undefined) b.setTrigger(r.code);
    const c = b.config('staged');
    // An absolute write answers with what it wrote (§4).
    return r.secure_idle_s === undefined ? { code: c.triggerCode } : { code: c.triggerCode, secure_idle_s: c.secureIdleS };
  },
  GET_SECURE: (b, r) => {
    const s = b.secureMode(r.ch);
    return { ch: r.ch, state: s.on, since_s: s.sinceS };
  },
  SET_SECURE: (b, r) => ({ ch: r.ch, state: b.setSecure(r.ch, r.state, 'host') }),
  GET_SECURE_SUMMARY: (b) => ({ channels: b.profile.channels, on: b.secureChannels() }),
  GET_SPAN_CONFIG: (b, r) => spanConfigResponse(b, r.span, r.view ?? 'running'),
  SET_SPAN_CONFIG: (b, r) => {
    b.setSpanConfig(r.span, { framing: r.framing, lineCode: r.line_code, lbo: r.lbo, clock: r.clock });
    return spanConfigResponse(b, r.span, 'staged');
  },
  GET_SPAN_STATUS: (b, r) => {
    const s = b.spanStatus(r.span);
    return {
      span: r.span,
      type: s.type,
      state: s.up ? 'up' : 'down',
      ...s.alarms,
      ...s.counters,
      loopback: s.loopback,
      counted_s: s.countedS,
    };
  },
  RESET_COUNTERS: (b, r) => {
    b.resetCounters(r.span);
    return { span: r.span };
  },
  SET_LOOPBACK: (b, r) => ({ span: r.span, mode: b.setLoopback(r.span, r.mode) }),
  GET_SIP: (b, r) => ({ ...hostSip(b.sip(r.view)), view: r.view ?? 'running' }),
  SET_SIP: (b, r) => ({
    ...hostSip(b.setSip({ listen: r.listen, forward: r.forward, ptPcmu: r.pt_pcmu, ptPcma: r.pt_pcma, ptEvent: r.pt_event })),
    view: 'staged' as const,
  }),
  GET_HEALTH: (b) => b.health(),
  CFG_STATUS: (b) => {
    const s = b.cfgStatus();
    return { cfg: s.state, version: s.version, pending: s.pending };
  },
  CFG_COMMIT: (b) => b.commit(),
  CFG_ROLLBACK: (b) => b.rollback(),
  REBOOT: (_b, _r, ctx) => {
    ctx.rebootAfterReply('reboot');
    return {};
  },
  FW_SLOTS: (b) => b.fwSlots(),
  FW_BEGIN: (b, r) => ({ slot: r.slot, next_offset: b.firmware.begin(r.slot, r.size, r.sha256).next, chunk_max: FW_CHUNK_MAX }),
  FW_CHUNK: (b, r) => ({ slot: r.slot, next_offset: b.firmware.chunk(r.slot, r.offset, r.crc, r.data).next }),
  FW_STATUS: (b) => {
    const s = b.firmware.status();
    return { state: s.state === 'empty' ? 'idle' : s.state, slot: s.slot, size: s.size, next_offset: s.next };
  },
  FW_END: (b, r) => ({ slot: r.slot, version: b.fwEnd(r.slot).version }),
  FW_ABORT: (b) => {
    b.firmware.abort();
    return { state: 'idle' as const };
  },
  FW_ACTIVATE: (b, r, ctx) => {
    b.firmware.activate(r.slot);
    ctx.rebootAfterReply('activate');
    return { slot: r.slot };
  },
};
