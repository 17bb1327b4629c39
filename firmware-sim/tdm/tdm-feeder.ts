/**
 * Feeds TDM channels through the board at the 8 kHz frame rate:
 *
 *   caller codewords ──► span far end tx ──► line (faults) ──► span near end rx ──┐
 *   agent codewords ────────────────────────────────────────────────────────────┤
 *                                       Board channel (firmware-sim/channel/): masker, trigger
 *   output (WAV, RTP mirror) ◄── far end rx ◄── line ◄── near end tx ◄── masked caller leg
 *   output (WAV, RTP mirror) ◄────────────────────────────────────────── masked agent leg
 *
 * The rig plays the far end of the span: it sends the caller's audio on a timeslot and receives
 * what the board transmits back on it, masked; the agent leg enters and leaves the board directly
 * (the PBX side is not modelled as a second span). Time moves in steps of `stepMs` (10 ms, 80
 * frames): each step every source's codewords go in, the span models advance, the board's channels
 * process what the near end received, and what they send crosses the line back.
 *
 * With a manual board clock (`opts.clock`) the feeder advances it step by step and the spans are
 * the board's own span models (Board.spanModel), advanced by Board.syncSpans(): the board's time
 * (EVT MASKED at_ms, the idle timeout, alarm persistence) is the audio's own, a fault injected on
 * the board (a scenario step, the rig) acts on the audio, its ALARM events are raised, and a run is
 * reproducible. Without one, the feeder makes span models of its own and steps them itself (the
 * board's clock then runs on regardless). `paced` also waits in real time.
 *
 * Scenario actions (firmware-sim/scenario/) are applied at their time: secure on/off as a host
 * command would (source=host), faults on the span model (los, lof, ais, rai, ber, slip).
 */
import type { Board } from '../board/board.ts';
import type { ManualBoardClock } from '../board/clock.ts';
import { Span, FAULT_NAMES } from '../span/index.ts';
import type { ScenarioAction } from '../scenario/render.ts';
import type { G711Codec } from '../../src/dsp/g711.ts';
import { DgError } from '../../src/errors.ts';
import { channelOf } from './timeslot-map.ts';
import type { RtpMirror } from './rtp-mirror.ts';

export interface TdmSource {
  span: number;
  timeslot: number;
  /** Caller-leg codewords in the board's law. */
  caller: Uint8Array;
  /** Agent-leg codewords; default silence. */
  agent?: Uint8Array;
  /** Timed actions (secure mode, faults), from a rendered scenario. */
  actions?: ScenarioAction[];
}

export interface TdmOutput {
  span: number;
  timeslot: number;
  channel: number;
  /** The masked caller leg as the far end received it (span latency and the lookahead ahead of it). */
  caller: Uint8Array;
  /** The masked agent leg (the lookahead ahead of it). */
  agent: Uint8Array;
}

export interface TdmRunResult {
  outputs: TdmOutput[];
  durationMs: number;
  /** Faults the span model does not know, skipped (name only). */
  skippedFaults: string[];
}

export interface TdmFeederOptions {
  /** Advanced by the feeder each step (recommended: the run then keeps the board's time). */
  clock?: ManualBoardClock;
  /** The span model of a span; default a model of the profile's span, made for the run. */
  spanModel?: (span: number) => Span;
  mirror?: RtpMirror;
  /** Default 10 ms. */
  stepMs?: number;
  /** Wait in real time between steps (for a live RTP mirror). Default false: as fast as it runs. */
  paced?: boolean;
  /** Called once per step with the run's time in ms (tests, progress). */
  onStep?: (ms: number) => void;
}

const FRAMES_PER_MS = 8;
/** After the inputs end, silence keeps flowing this long so the lookahead and the line drain. */
const DRAIN_MS = 120;

export class TdmFeeder {
  private readonly spans = new Map<number, Span>();

  constructor(
    private readonly board: Board,
    private readonly opts: TdmFeederOptions = {},
  ) {
    if (board.profile.interfaces.spans.length === 0) throw new DgError('DG5803', `model ${board.profile.model} has no E1/T1 spans; use a TDM profile such as dual-e1`);
  }

  /** The board's span models, advanced through the board's clock. */
  private get boardTime(): boolean {
    return this.opts.clock !== undefined && this.opts.spanModel === undefined;
  }

  get codec(): G711Codec {
    return this.board.channels.codec;
  }

  private span(n: number): Span {
    let s = this.spans.get(n);
    if (!s) {
      if (this.opts.spanModel) s = this.opts.spanModel(n);
      else if (this.opts.clock) s = this.board.spanModel(n).model;
      else {
        const p = this.board.config().spans[n - 1];
        s = p.type === 't1' ? new Span({ kind: 't1', framing: p.framing === 'd4' ? 'd4' : 'esf' }) : new Span({ kind: 'e1' });
      }
      this.spans.set(n, s);
    }
    return s;
  }

  async run(sources: TdmSource[]): Promise<TdmRunResult> {
    if (sources.length === 0) throw new DgError('DG5806', 'nothing to feed: give at least one timeslot, e.g. --timeslot 1=call.wav');
    const stepMs = this.opts.stepMs ?? 10;
    const step = stepMs * FRAMES_PER_MS;
    const idle = this.codec === 'alaw' ? 0xd5 : 0xff;
    const seen = new Set<string>();
    const lanes = sources.map((s) => {
      const key = `${s.span}/${s.timeslot}`;
      if (seen.has(key)) throw new DgError('DG5806', `span ${s.span} timeslot ${s.timeslot} is given twice; one source per timeslot`);
      seen.add(key);
      const ch = channelOf(this.board.profile, s.span, s.timeslot);
      const span = this.span(s.span);
      span.openChannel(s.timeslot);
      span.farEnd.openChannel(s.timeslot);
      const actions = [...(s.actions ?? [])].sort((a, b) => a.atMs - b.atMs);
      return { src: s, ch, span, actions, next: 0, outCaller: [] as Uint8Array[], outAgent: [] as Uint8Array[], agentPos: 0 };
    });
    const inputLen = Math.max(...sources.map((s) => Math.max(s.caller.length, s.agent?.length ?? 0)));
    const total = inputLen + DRAIN_MS * FRAMES_PER_MS;
    const skippedFaults: string[] = [];
    const silence = new Uint8Array(step).fill(idle);
    const t0 = performance.now();
    for (let pos = 0; pos < total; pos += step) {
      const ms = pos / FRAMES_PER_MS;
      for (const l of lanes) this.applyActions(l, ms, skippedFaults);
      for (const l of lanes) l.span.farEnd.transmit(l.src.timeslot, chunk(l.src.caller, pos, step, idle, silence));
      if (this.boardTime) {
        this.opts.clock!.advance(stepMs);
        this.board.syncSpans();
      } else {
        for (const s of new Set(lanes.map((l) => l.span))) s.step(stepMs);
      }
      for (const l of lanes) {
        const rx = l.span.receive(l.src.timeslot);
        const agentIn = chunk(l.src.agent, l.agentPos, rx.length, idle, undefined);
        l.agentPos += rx.length;
        const out = this.board.channels.process(l.ch, rx, agentIn);
        l.span.transmit(l.src.timeslot, out.caller);
        const back = l.span.farEnd.receive(l.src.timeslot);
        l.outCaller.push(back);
        l.outAgent.push(out.agent.slice());
        this.opts.mirror?.write(l.ch, back);
      }
      if (!this.boardTime) this.opts.clock?.advance(stepMs);
      this.board.channels.checkIdle();
      this.opts.onStep?.(ms);
      if (this.opts.paced) {
        const due = t0 + ms + stepMs - performance.now();
        if (due > 1) await new Promise((r) => setTimeout(r, due));
      } else if ((pos / step) % 100 === 99) {
        await new Promise((r) => setImmediate(r)); // let sockets and signals in during long runs
      }
    }
    for (const l of lanes) {
      l.span.closeChannel(l.src.timeslot);
      l.span.farEnd.closeChannel(l.src.timeslot);
    }
    return {
      durationMs: total / FRAMES_PER_MS,
      skippedFaults,
      outputs: lanes.map((l) => ({ span: l.src.span, timeslot: l.src.timeslot, channel: l.ch, caller: concat(l.outCaller), agent: concat(l.outAgent) })),
    };
  }

  private applyActions(l: { ch: number; span: Span; actions: ScenarioAction[]; next: number; src: TdmSource }, ms: number, skipped: string[]): void {
    while (l.next < l.actions.length && l.actions[l.next].atMs <= ms) {
      const a = l.actions[l.next++];
      if (a.kind === 'secure') this.board.setSecure(l.ch, a.on, 'host');
      else if ((FAULT_NAMES as readonly string[]).includes(a.name)) this.span(a.span ?? l.src.span).injectFault(a.name, a.value);
      else skipped.push(a.name);
    }
  }
}

/** `n` codewords of `src` from `pos`, padded with the idle codeword past its end. */
function chunk(src: Uint8Array | undefined, pos: number, n: number, idle: number, silence: Uint8Array | undefined): Uint8Array {
  if (src && pos + n <= src.length) return src.subarray(pos, pos + n);
  if (silence && silence.length === n && (!src || pos >= src.length)) return silence;
  const out = new Uint8Array(n).fill(idle);
  if (src && pos < src.length) out.set(src.subarray(pos));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
