/**
 * Feeds timeslots of a *running* simulated appliance in real time, while a host drives it over
 * the serial line: the far end of the board's own span models carries the caller's audio, the
 * board's channels mask it, and what the board sends back is mirrored as RTP (one stream per
 * channel, SSRC = channel), as a recorder port would carry it.
 *
 *   caller codewords ─► far end tx ─► line (faults) ─► near end rx ─► board channel ─► near end tx
 *   mirror (RTP) ◄─ far end rx ◄─ line ◄───────────────────────────────────────────────┘
 *
 * Unlike the offline TdmFeeder (firmware-sim/tdm/), time here is the board's own clock (the
 * system's): each 10 ms step the feeder queues the next codewords and brings the board's span
 * models up to now (Board.syncSpans), so alarm persistence, EVT MASKED times and the idle timeout
 * all run on wall time, and faults switched through the rig socket act on the audio.
 *
 * Both transmit queues are primed with `leadMs` of idle codewords, a jitter buffer: a timer that
 * fires late (a busy 2-core CI machine) is absorbed instead of splitting a tone with idle frames.
 *
 * A scenario's actions (secure mode, faults) are handled per kind by policy:
 *   - `host`: the feed *holds* at the action (idle keeps flowing, as on a real call while the agent
 *     clicks) until the board's state shows it done by someone else (the host's SET_SECURE through
 *     the daemon, a fault through the rig socket), or until `holdTimeoutMs`; the wait is reported
 *     (event `hold`) so a rig knows when to act. This is how the chain applies the steps through
 *     real CLI processes, which take about a second each: no fixed schedule could meet a 300 ms gap.
 *   - `feeder`: the feeder applies it itself at its moment (secure mode as the host would, faults
 *     through the fault registry as the rig socket would).
 *   - `skip`: ignored (a negative control never switching secure mode on).
 * Events never carry a digit: actions are secure on/off and fault names and values only.
 */
import type { Board } from '../board/board.ts';
import type { FaultRegistry } from '../faults/registry.ts';
import { faultSpec } from '../faults/catalogue.ts';
import type { ScenarioAction } from '../scenario/render.ts';
import type { RtpMirror } from '../tdm/rtp-mirror.ts';
import { channelOf } from '../tdm/timeslot-map.ts';
import { DgError } from '../../src/errors.ts';

export interface LiveLane {
  span: number;
  timeslot: number;
  /** Caller-leg codewords in the board's law. */
  caller: Uint8Array;
  /** Agent-leg codewords; default silence. */
  agent?: Uint8Array;
  /** Timed actions of a rendered scenario (scenario ms). */
  actions?: ScenarioAction[];
}

export type ActionPolicy = 'host' | 'feeder' | 'skip';
export const ACTION_POLICIES: readonly ActionPolicy[] = ['host', 'feeder', 'skip'];

export interface LiveFeedOptions {
  /** Needed for faults by `feeder` policy and for holds on faults. */
  faults?: FaultRegistry;
  mirror?: RtpMirror;
  secure?: ActionPolicy;
  faultPolicy?: ActionPolicy;
  /** Longest wait at one hold before the feed goes on without the action. Default 30 s. */
  holdTimeoutMs?: number;
  /** Idle codewords queued ahead on each direction (jitter buffer). Default 100 ms: a timer late by less passes unnoticed. */
  leadMs?: number;
  onEvent?: (e: FeedEvent) => void;
  signal?: AbortSignal;
}

/** What an action looks like in events: no digit, ever. */
export type ActionView = { kind: 'secure'; on: boolean; channel: number } | { kind: 'fault'; name: string; value: string; span?: number; channel?: number };

export type FeedEvent =
  | { feed: 'start'; lanes: Array<{ span: number; timeslot: number; channel: number }>; scenarioMs: number; offsetMs: number }
  /** `atMs`: scenario time of the step; `streamMs`: where that moment lands in the mirrored stream. */
  | { feed: 'hold'; atMs: number; streamMs: number; action: ActionView }
  | { feed: 'resume'; atMs: number; heldMs: number; by: 'host' | 'timeout' }
  | { feed: 'applied'; atMs: number; action: ActionView }
  | { feed: 'done'; scenarioMs: number; streamMs: number; offsetMs: number; holds: Array<{ atScenarioMs: number; ms: number }>; gaps: Array<{ atScenarioMs: number; ms: number }>; mirrored: number; aborted: boolean };

export interface LiveFeedResult {
  scenarioMs: number;
  /** Length of each mirrored stream in ms. */
  streamMs: number;
  /** Where scenario time 0 sits in the mirrored stream (both leads). */
  offsetMs: number;
  holds: Array<{ atScenarioMs: number; ms: number }>;
  /**
   * Idle the line inserted on its own (a queue ran dry because a step came later than the lead;
   * negative: frames a slip dropped), where it shifted the call in the stream, to within a lead.
   */
  gaps: Array<{ atScenarioMs: number; ms: number }>;
  aborted: boolean;
}

const FRAMES_PER_MS = 8;
const STEP_MS = 10;
/** Silence after the inputs (beyond both leads) so the masker's lookahead (40 ms by default) drains. */
const DRAIN_MS = 80;

function normalise(name: string, value: string | number | boolean): string {
  const v = faultSpec(name).parse(typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value));
  return v === '0' ? 'off' : v;
}

export class LiveFeed {
  private running = false;

  constructor(
    private readonly board: Board,
    private readonly opts: LiveFeedOptions = {},
  ) {
    if (board.profile.interfaces.spans.length === 0) throw new DgError('DG5803', `model ${board.profile.model} has no E1/T1 spans; a live feed needs a TDM profile such as dual-e1`);
  }

  get busy(): boolean {
    return this.running;
  }

  /** True when the board already shows the action done (secure state, fault value). */
  private done(a: ScenarioAction, ch: number, span: number): boolean {
    if (a.kind === 'secure') return this.board.secureMode(ch).on === a.on;
    const reg = this.opts.faults;
    if (!reg) return true;
    const want = normalise(a.name, a.value);
    const entries = reg.list().filter((e) => e.fault === a.name);
    const scoped = entries.filter((e) => (e.span === undefined || e.span === (a.span ?? span)) && (a.channel === undefined || e.channel === undefined || e.channel === a.channel));
    if (a.channel !== undefined && want === 'off') return !scoped.some((e) => e.channel === a.channel && e.value !== 'off');
    return scoped.length > 0 && scoped.every((e) => (e.value === '0' ? 'off' : e.value) === want);
  }

  private view(a: ScenarioAction, ch: number, span: number): ActionView {
    if (a.kind === 'secure') return { kind: 'secure', on: a.on, channel: ch };
    const scope = faultSpec(a.name).scope;
    return { kind: 'fault', name: a.name, value: normalise(a.name, a.value), ...(scope === 'span' ? { span: a.span ?? span } : {}), ...(a.channel ? { channel: a.channel } : {}) };
  }

  private apply(a: ScenarioAction, ch: number, span: number): void {
    if (a.kind === 'secure') this.board.setSecure(ch, a.on, 'host');
    else {
      if (!this.opts.faults) throw new DgError('DG5851', `fault ${a.name} in the feed needs the simulator's fault registry`);
      const scope = faultSpec(a.name).scope;
      this.opts.faults.set(a.name, a.value, scope === 'span' ? { span: a.span ?? span } : scope === 'channel' ? { channel: a.channel } : {});
    }
  }

  async run(lanesIn: LiveLane[]): Promise<LiveFeedResult> {
    if (this.running) throw new DgError('DG5852', 'a feed is already playing on this simulator; wait for it to end');
    if (lanesIn.length === 0) throw new DgError('DG5806', 'nothing to feed: give at least one --feed TS=FILE');
    this.running = true;
    try {
      return await this.play(lanesIn);
    } finally {
      this.running = false;
    }
  }

  private async play(lanesIn: LiveLane[]): Promise<LiveFeedResult> {
    const o = this.opts;
    const emit = (e: FeedEvent) => o.onEvent?.(e);
    const secure = o.secure ?? 'feeder';
    const faultPolicy = o.faultPolicy ?? 'feeder';
    const holdTimeout = o.holdTimeoutMs ?? 30_000;
    const leadMs = o.leadMs ?? 100;
    const step = STEP_MS * FRAMES_PER_MS;
    const idle = this.board.channels.codec === 'alaw' ? 0xd5 : 0xff;
    const silence = new Uint8Array(step).fill(idle);
    const board = this.board;
    const seen = new Set<string>();
    // Bring the spans to now first: a quiet span lags the clock by up to 3 s (span-ticker.ts), and
    // that backlog would swallow the lead at the first step.
    board.syncSpans();
    const lanes = lanesIn.map((s) => {
      const key = `${s.span}/${s.timeslot}`;
      if (seen.has(key)) throw new DgError('DG5806', `span ${s.span} timeslot ${s.timeslot} is given twice; one source per timeslot`);
      seen.add(key);
      const ch = channelOf(board.profile, s.span, s.timeslot);
      const span = board.spanModel(s.span).model;
      return { src: s, ch, span, actions: [...(s.actions ?? [])].sort((a, b) => a.atMs - b.atMs), next: 0, agentPos: 0 };
    });
    const lead = new Uint8Array(leadMs * FRAMES_PER_MS).fill(idle);
    for (const l of lanes) {
      l.span.openChannel(l.src.timeslot);
      l.span.farEnd.openChannel(l.src.timeslot);
      l.span.farEnd.transmit(l.src.timeslot, lead);
      l.span.transmit(l.src.timeslot, lead);
    }
    const inputLen = Math.max(...lanesIn.map((s) => Math.max(s.caller.length, s.agent?.length ?? 0)));
    const scenarioMs = inputLen / FRAMES_PER_MS;
    const offsetMs = 2 * leadMs;
    emit({ feed: 'start', lanes: lanes.map((l) => ({ span: l.src.span, timeslot: l.src.timeslot, channel: l.ch })), scenarioMs, offsetMs });
    const holds: Array<{ atScenarioMs: number; ms: number }> = [];
    const gaps: Array<{ atScenarioMs: number; ms: number }> = [];
    let fedSteps = 0; // steps fed, holds included: the stream's length
    // Codeword accounting on the first lane, per direction: what went into a transmit queue (lead
    // included), what came out at the other end, what still waits. Out minus (in minus waiting) is
    // the idle that direction added by itself when its queue ran dry (minus what it lost, e.g.
    // during LOS, which keeps the stream's timing): the call's shift in the stream beyond the leads.
    // Idle added toward the board lands after everything fed so far; idle added on the way back
    // lands after what the board has processed, i.e. minus what still waits at the far end.
    const first = lanes[0];
    const ts = first.src.timeslot;
    const waiting = (f: { length: number } | undefined) => f?.length ?? 0;
    const dir = { in: { entered: lead.length, out: 0, shift: 0 }, back: { entered: lead.length, out: 0, shift: 0 } };
    let shiftCw = 0;
    const t0 = performance.now();
    let aborted = false;

    const feedStep = async (pos: number | null) => {
      for (const l of lanes) l.span.farEnd.transmit(l.src.timeslot, pos === null ? silence : chunk(l.src.caller, pos, step, idle));
      dir.in.entered += step;
      board.syncSpans();
      for (const l of lanes) {
        const rx = l.span.receive(l.src.timeslot);
        const agentIn = pos === null ? new Uint8Array(rx.length).fill(idle) : chunk(l.src.agent, l.agentPos, rx.length, idle);
        if (pos !== null) l.agentPos += rx.length;
        const out = board.channels.process(l.ch, rx, agentIn);
        l.span.transmit(l.src.timeslot, out.caller);
        const back = l.span.farEnd.receive(l.src.timeslot);
        if (l === first) {
          dir.in.out += rx.length;
          dir.back.entered += out.caller.length;
          dir.back.out += back.length;
        }
        o.mirror?.write(l.ch, back);
      }
      if (pos !== null) lastPos = pos;
      const fedEndMs = (lastPos + step) / FRAMES_PER_MS;
      const farWaiting = waiting(first.span.far.txFifo(ts));
      const inShift = dir.in.out - (dir.in.entered - farWaiting - waiting(first.span.near.rxFifo(ts)));
      const backShift = dir.back.out - (dir.back.entered - waiting(first.span.near.txFifo(ts)) - waiting(first.span.far.rxFifo(ts)));
      if (inShift !== dir.in.shift) gaps.push({ atScenarioMs: fedEndMs, ms: (inShift - dir.in.shift) / FRAMES_PER_MS });
      if (backShift !== dir.back.shift) gaps.push({ atScenarioMs: Math.max(0, fedEndMs - farWaiting / FRAMES_PER_MS), ms: (backShift - dir.back.shift) / FRAMES_PER_MS });
      dir.in.shift = inShift;
      dir.back.shift = backShift;
      shiftCw = inShift + backShift;
      fedSteps++;
      const due = t0 + fedSteps * STEP_MS - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, due)));
    };

    let lastPos = 0;
    const total = inputLen + (DRAIN_MS + offsetMs) * FRAMES_PER_MS;
    try {
      for (let pos = 0; pos < total; pos += step) {
        if (o.signal?.aborted) {
          aborted = true;
          break;
        }
        const ms = pos / FRAMES_PER_MS;
        for (const l of lanes) {
          while (l.next < l.actions.length && l.actions[l.next].atMs <= ms) {
            const a = l.actions[l.next++];
            const policy = a.kind === 'secure' ? secure : faultPolicy;
            if (policy === 'skip') continue;
            const view = this.view(a, l.ch, l.src.span);
            if (policy === 'feeder') {
              this.apply(a, l.ch, l.src.span);
              emit({ feed: 'applied', atMs: ms, action: view });
              continue;
            }
            if (this.done(a, l.ch, l.src.span)) continue;
            emit({ feed: 'hold', atMs: ms, streamMs: fedSteps * STEP_MS + offsetMs + shiftCw / FRAMES_PER_MS, action: view });
            const before = fedSteps;
            const until = performance.now() + holdTimeout;
            while (!this.done(a, l.ch, l.src.span) && performance.now() < until && !o.signal?.aborted) await feedStep(null);
            const heldMs = (fedSteps - before) * STEP_MS;
            holds.push({ atScenarioMs: ms, ms: heldMs });
            emit({ feed: 'resume', atMs: ms, heldMs, by: this.done(a, l.ch, l.src.span) ? 'host' : 'timeout' });
          }
        }
        await feedStep(pos);
      }
      // Idle the line inserted delayed the call by as much: drain that too, once (new gaps while
      // draining only delay idle).
      const late = Math.ceil(shiftCw / FRAMES_PER_MS / STEP_MS);
      for (let i = 0; i < late && !o.signal?.aborted; i++) await feedStep(null);
      // Whole 20 ms RTP packets: the mirror sends a packet only once it is full.
      if (fedSteps % 2 === 1) await feedStep(null);
    } finally {
      for (const l of lanes) {
        l.span.closeChannel(l.src.timeslot);
        l.span.farEnd.closeChannel(l.src.timeslot);
      }
    }
    const result = { scenarioMs, streamMs: fedSteps * STEP_MS, offsetMs, holds, gaps, aborted };
    emit({ feed: 'done', ...result, mirrored: o.mirror?.sent ?? 0 });
    return result;
  }
}

/** `n` codewords of `src` from `pos`, padded with the idle codeword past its end. */
function chunk(src: Uint8Array | undefined, pos: number, n: number, idle: number): Uint8Array {
  if (src && pos + n <= src.length) return src.subarray(pos, pos + n);
  const out = new Uint8Array(n).fill(idle);
  if (src && pos < src.length) out.set(src.subarray(pos));
  return out;
}
