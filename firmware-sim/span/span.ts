/**
 * The E1/T1 span model: the appliance's line interface ("near end") and the far end across the
 * line, frame by frame at 8000 frames per second, driven by an injected clock.
 *
 *   far end tx ──► line faults (los, ais, lof, ber) ──► near end rx ──► host (received audio)
 *   far end rx ◄────────────────────────────────────── near end tx ◄── host (masked audio)
 *
 * Time only moves in `step(ms)` (or `sync()` against the injected clock). While nothing happens
 * (no fault, no loopback, no open channel, no alarm pending) whole seconds are accounted for
 * without building frames, with exactly the result frame-by-frame processing would give, so a test
 * can run hours of span time in milliseconds; anything else runs frame by frame.
 * Conventions and standards: docs/spans.md.
 */
import { DgError } from '../../src/errors.ts';
import type { AlarmEvent, AlarmName, AlarmTiming } from './alarms.ts';
import { CAS_IDLE, E1Receiver, E1Transmitter } from './e1.ts';
import { FRAMES_PER_MS, FRAMES_PER_SECOND, type E1Signalling, type FrameFormat, type SpanKind, type T1Framing } from './format.ts';
import type { IntervalCounters } from './performance.ts';
import type { LineTick } from './receiver.ts';
import { SeededRandom } from './random.ts';
import { Terminal } from './terminal.ts';

export type FaultName = 'los' | 'lof' | 'ais' | 'rai' | 'ber' | 'slip';
export const FAULT_NAMES: readonly FaultName[] = ['los', 'lof', 'ais', 'rai', 'ber', 'slip'];
export type LoopbackMode = 'none' | 'local' | 'line' | 'payload';
export const LOOPBACK_MODES: readonly LoopbackMode[] = ['none', 'local', 'line', 'payload'];

/** Injected line faults, all on the receive direction of the appliance (far end → near end). */
export interface FaultState {
  /** No pulses on the line (cable cut). */
  los: boolean;
  /** The far end's framing pattern is corrupted (FAS / F bits inverted): frame alignment cannot be found. */
  lof: boolean;
  /** Unframed all ones (an upstream failure). */
  ais: boolean;
  /** The far end sends RAI. */
  rai: boolean;
  /** Bit error ratio of the line, 0 = none. */
  ber: number;
  /** Controlled slips per second in the receive elastic store. */
  slip: number;
}

export interface SpanOptions {
  kind: SpanKind;
  /** T1 only: extended superframe (default) or D4/SF. */
  framing?: T1Framing;
  /** E1 only: TS16 use (default CAS). */
  signalling?: E1Signalling;
  /** Clock time (ms) at which the span model starts; 15-minute intervals align to multiples of 15 minutes of it. */
  startMs?: number;
  /** Injected clock for `sync()`: returns the current time in ms (same time base as startMs). */
  clock?: () => number;
  /** Seed of the bit error generator (runs are reproducible for a given seed). */
  seed?: number;
  /** Overrides of the alarm persistence (see alarms.ts for the defaults and their standards). */
  alarmTiming?: Partial<Record<AlarmName, Partial<AlarmTiming>>>;
  /** Overrides the SES threshold (errored blocks or, on D4, framing errors per second). */
  sesThreshold?: number;
  /** Codewords each timeslot queue holds; default one second (8000). */
  fifoCapacity?: number;
}

export interface SpanDefects {
  los: boolean;
  lof: boolean;
  ais: boolean;
  rai: boolean;
}

export interface SpanStatus {
  kind: SpanKind;
  framing: FrameFormat['framing'];
  nowMs: number;
  loopback: LoopbackMode;
  faults: FaultState;
  defects: SpanDefects;
  alarms: Record<AlarmName, boolean>;
  /** False in unavailable time (10 consecutive SES). */
  available: boolean;
}

export interface SpanCounters {
  current: IntervalCounters;
  total: Omit<IntervalCounters, 'startMs' | 'valid'> & { intervals: number };
}

export type SpanEvent = AlarmEvent & { side: 'near' | 'far' };

/** Seconds skipped at a time when idle: 3 s is a whole number of ticks for every framing (2 ms, 3 ms, 1.5 ms). */
const SKIP_FRAMES = 3 * FRAMES_PER_SECOND;

/** The far end of the line, as a test rig or scenario sees it. */
export interface SpanEnd {
  openChannel(ts: number): void;
  closeChannel(ts: number): void;
  /** Queues codewords to send on `ts`; returns how many fitted. */
  transmit(ts: number, codewords: Uint8Array): number;
  /** Takes up to `max` received codewords of `ts`. */
  receive(ts: number, max?: number): Uint8Array;
  status(): Omit<SpanStatus, 'loopback' | 'faults'>;
  counters(): SpanCounters;
  intervals(): IntervalCounters[];
}

function usage(code: string, message: string): DgError {
  return new DgError(code, message);
}

export class Span {
  readonly format: FrameFormat;
  readonly near: Terminal;
  readonly far: Terminal;
  readonly farEnd: SpanEnd;
  private readonly startMs: number;
  private readonly clock?: () => number;
  private readonly rng: SeededRandom;
  private frames = 0;
  private pendingFrames = 0;
  private mode: LoopbackMode = 'none';
  private readonly fault: FaultState = { los: false, lof: false, ais: false, rai: false, ber: 0, slip: 0 };
  private readonly listeners = new Set<(e: SpanEvent) => void>();
  private readonly lineBits: number;
  private readonly dtMs: number;

  constructor(options: SpanOptions) {
    if (options.kind !== 'e1' && options.kind !== 't1') throw usage('DG5706', `unknown span kind ${String(options.kind)}; use e1 or t1`);
    if (options.kind === 'e1' && options.framing) throw usage('DG5706', 'framing applies to T1 spans only (E1 always uses CRC-4 multiframes)');
    if (options.kind === 't1' && options.signalling) throw usage('DG5706', 'signalling (cas/ccs) applies to E1 spans only');
    if (options.framing && options.framing !== 'esf' && options.framing !== 'd4') throw usage('DG5706', `unknown T1 framing ${String(options.framing)}; use esf or d4`);
    this.startMs = options.startMs ?? options.clock?.() ?? 0;
    this.clock = options.clock;
    this.rng = new SeededRandom(options.seed ?? 1);
    const t = {
      kind: options.kind,
      framing: options.framing,
      signalling: options.signalling,
      startMs: this.startMs,
      alarmTiming: options.alarmTiming,
      sesThreshold: options.sesThreshold,
      fifoCapacity: options.fifoCapacity ?? FRAMES_PER_SECOND,
    };
    this.near = new Terminal(t);
    this.far = new Terminal(t);
    this.format = this.near.format;
    this.lineBits = this.format.lineBitsPerFrame * this.format.framesPerTick;
    this.dtMs = this.format.framesPerTick / FRAMES_PER_MS;
    this.farEnd = this.endApi(this.far);
  }

  get kind(): SpanKind {
    return this.format.kind;
  }

  /** Bearer timeslots of this span (E1 1-15 and 17-31, T1 1-24). */
  get bearers(): readonly number[] {
    return this.format.bearers;
  }

  /** Current span time in ms (startMs + time stepped). */
  get nowMs(): number {
    return this.startMs + this.frames / FRAMES_PER_MS;
  }

  /** Advances span time by `ms` (fractions of a tick carry over to the next call). */
  step(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw usage('DG5705', `cannot step the span by ${ms} ms; give a duration ≥ 0`);
    this.pendingFrames += ms * FRAMES_PER_MS;
    const tick = this.format.framesPerTick;
    while (this.pendingFrames >= tick) {
      if (this.frames % SKIP_FRAMES === 0 && this.pendingFrames >= SKIP_FRAMES && this.idle()) {
        const skips = Math.floor(this.pendingFrames / SKIP_FRAMES);
        this.skipIdle(skips);
        continue;
      }
      this.tick();
      this.pendingFrames -= tick;
    }
  }

  /** Advances span time to the injected clock's now. */
  sync(): void {
    if (!this.clock) throw usage('DG5705', 'this span has no clock; pass options.clock or use step(ms)');
    const target = this.clock();
    const behind = target - this.nowMs - this.pendingFrames / FRAMES_PER_MS;
    if (behind > 0) this.step(behind);
  }

  injectFault(name: string, value: boolean | number | string): void {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      throw usage('DG5701', `unknown span fault "${name}"; use one of ${FAULT_NAMES.join(', ')}`);
    }
    const n = name as FaultName;
    if (n === 'ber' || n === 'slip') {
      const v = value === 'off' || value === false ? 0 : Number(value);
      const max = n === 'ber' ? 0.5 : 1000;
      if (!Number.isFinite(v) || v < 0 || v > max) {
        throw usage('DG5702', `fault ${n} needs a number from 0 to ${max}${n === 'ber' ? ' (bit error ratio, e.g. 1e-6)' : ' (slips per second)'} or off`);
      }
      this.fault[n] = v;
      if (n === 'slip') this.near.slipsPerSecond = v;
      return;
    }
    let on: boolean;
    if (value === true || value === 1 || value === 'on' || value === '1' || value === 'true') on = true;
    else if (value === false || value === 0 || value === 'off' || value === '0' || value === 'false') on = false;
    else throw usage('DG5702', `fault ${n} is on or off, not ${String(value)}`);
    this.fault[n] = on;
    if (n === 'rai') this.far.forceRai = on;
  }

  clearFaults(): void {
    for (const n of FAULT_NAMES) this.injectFault(n, 'off');
  }

  faults(): FaultState {
    return { ...this.fault };
  }

  setLoopback(mode: string): void {
    if (!(LOOPBACK_MODES as readonly string[]).includes(mode)) {
      throw usage('DG5703', `unknown loopback "${mode}"; use one of ${LOOPBACK_MODES.join(', ')}`);
    }
    this.mode = mode as LoopbackMode;
  }

  get loopback(): LoopbackMode {
    return this.mode;
  }

  private checkTs(ts: number): void {
    if (!this.format.bearers.includes(ts)) {
      throw usage('DG5704', `timeslot ${ts} is not a bearer of this ${this.format.kind.toUpperCase()} span; use ${this.format.kind === 'e1' ? '1-15 or 17-31' : '1-24'}`);
    }
  }

  /** Starts carrying audio on a timeslot between the host and the line. */
  openChannel(ts: number): void {
    this.checkTs(ts);
    this.near.openChannel(ts);
  }

  closeChannel(ts: number): void {
    this.checkTs(ts);
    this.near.closeChannel(ts);
  }

  /** Queues G.711 codewords from the host (after masking) toward the line; returns how many fitted. */
  transmit(ts: number, codewords: Uint8Array): number {
    return this.endTransmit(this.near, ts, codewords);
  }

  /** Takes up to `max` codewords received from the line on `ts` toward the host. */
  receive(ts: number, max?: number): Uint8Array {
    return this.endReceive(this.near, ts, max);
  }

  /** Sets the ABCD bits the appliance sends for a timeslot (E1 CAS). */
  setCas(ts: number, abcd: number): void {
    this.checkTs(ts);
    if (!(this.near.tx instanceof E1Transmitter) || this.near.tx.signalling !== 'cas') throw usage('DG5707', 'ABCD signalling bits exist on E1 spans with CAS only');
    if (!Number.isInteger(abcd) || abcd < 0 || abcd > 15) throw usage('DG5707', `ABCD bits are 0..15, not ${abcd}`);
    this.near.tx.casTx[ts] = abcd;
  }

  /** The ABCD bits last received for a timeslot (E1 CAS; 0b1101 idle). */
  casReceived(ts: number): number {
    this.checkTs(ts);
    return this.near.rx instanceof E1Receiver ? this.near.rx.casRx[ts] : CAS_IDLE;
  }

  status(): SpanStatus {
    return { ...this.endStatus(this.near), loopback: this.mode, faults: this.faults() };
  }

  counters(): SpanCounters {
    return { current: this.near.pm.current(), total: this.near.pm.total() };
  }

  /** Completed 15-minute intervals, newest first (at most 96). */
  intervals(): IntervalCounters[] {
    return this.near.pm.intervals();
  }

  /** Clears the appliance's counters and interval history (the far end keeps its own). */
  resetCounters(): void {
    this.near.pm.reset(this.nowMs);
  }

  /** Subscribes to alarm changes; returns the unsubscribe function. */
  onEvent(listener: (e: SpanEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private endApi(t: Terminal): SpanEnd {
    return {
      openChannel: (ts) => (this.checkTs(ts), t.openChannel(ts)),
      closeChannel: (ts) => (this.checkTs(ts), t.closeChannel(ts)),
      transmit: (ts, cw) => this.endTransmit(t, ts, cw),
      receive: (ts, max) => this.endReceive(t, ts, max),
      status: () => this.endStatus(t),
      counters: () => ({ current: t.pm.current(), total: t.pm.total() }),
      intervals: () => t.pm.intervals(),
    };
  }

  private endTransmit(t: Terminal, ts: number, codewords: Uint8Array): number {
    this.checkTs(ts);
    const fifo = t.txFifo(ts);
    if (!fifo) throw usage('DG5704', `timeslot ${ts} is not open; open the channel first`);
    return fifo.write(codewords);
  }

  private endReceive(t: Terminal, ts: number, max?: number): Uint8Array {
    this.checkTs(ts);
    const fifo = t.rxFifo(ts);
    if (!fifo) throw usage('DG5704', `timeslot ${ts} is not open; open the channel first`);
    return fifo.read(max);
  }

  private endStatus(t: Terminal): Omit<SpanStatus, 'loopback' | 'faults'> {
    return {
      kind: this.format.kind,
      framing: this.format.framing,
      nowMs: this.nowMs,
      defects: { los: t.rx.los, lof: t.rx.oof && !t.rx.los, ais: t.rx.ais, rai: t.rx.rai },
      alarms: t.alarms.snapshot(),
      available: t.pm.isAvailable,
    };
  }

  /** Line faults applied to the far end's signal on its way to the near end. */
  private applyFaults(frames: Uint8Array): LineTick {
    const f = this.fault;
    if (f.los) return { frames, pulses: false, violations: 0 };
    const fmt = this.format;
    if (f.ais) {
      frames.fill(0xff);
    } else if (f.lof) {
      for (let fr = 0; fr < fmt.framesPerTick; fr++) {
        const base = fr * fmt.frameBytes;
        if (fmt.kind === 'e1') {
          if ((fr & 1) === 0) frames[base] ^= 0x7f; // FAS bits 2-8 inverted
        } else if (fmt.framing === 'd4' || (fr + 1) % 4 === 0) {
          frames[base] ^= 1; // Ft/Fs, or the FPS bits of ESF
        }
      }
    }
    let violations = 0;
    if (f.ber > 0) {
      violations = this.rng.poisson(f.ber * this.lineBits);
      for (let i = 0; i < violations; i++) this.flipBit(frames, this.rng.int(this.lineBits));
    }
    return { frames, pulses: true, violations };
  }

  private flipBit(frames: Uint8Array, pos: number): void {
    const fmt = this.format;
    if (fmt.kind === 'e1') {
      frames[pos >> 3] ^= 0x80 >> (pos & 7);
      return;
    }
    const frame = Math.floor(pos / 193);
    const r = pos - frame * 193;
    const base = frame * 25;
    if (r === 0) frames[base] ^= 1;
    else frames[base + 1 + ((r - 1) >> 3)] ^= 0x80 >> ((r - 1) & 7);
  }

  private tick(): void {
    const dt = this.dtMs;
    const startFrames = this.frames;
    const now = this.startMs + (startFrames + this.format.framesPerTick) / FRAMES_PER_MS;
    const fromFar = this.applyFaults(this.far.buildTx(null));
    const nearTx = this.near.buildTx(this.mode === 'payload' ? this.near.rx.payload : null);
    const clean = (frames: Uint8Array): LineTick => ({ frames, pulses: true, violations: 0 });
    const events: SpanEvent[] = [];
    for (const e of this.near.receive(this.mode === 'local' ? clean(nearTx) : fromFar, dt, now)) events.push({ ...e, side: 'near' });
    for (const e of this.far.receive(this.mode === 'line' ? fromFar : clean(nearTx), dt, now)) events.push({ ...e, side: 'far' });
    this.frames += this.format.framesPerTick;
    // A tick belongs to the second it starts in; that second closes with the tick that reaches its end.
    const sec = Math.floor(startFrames / FRAMES_PER_SECOND);
    if (Math.floor(this.frames / FRAMES_PER_SECOND) > sec) this.closeSecond(sec);
    for (const e of events) for (const l of this.listeners) l(e);
  }

  private closeSecond(sec: number): void {
    const startMs = this.startMs + sec * 1000;
    this.near.endSecond(startMs);
    this.far.endSecond(startMs);
  }

  private idle(): boolean {
    const f = this.fault;
    return this.mode === 'none' && !f.los && !f.lof && !f.ais && !f.rai && f.ber === 0 && f.slip === 0 && this.near.steady && this.far.steady;
  }

  /** Accounts for `n` × 3 idle seconds without building frames (same outcome as running them). */
  private skipIdle(n: number): void {
    const seconds = (n * SKIP_FRAMES) / FRAMES_PER_SECOND;
    const firstSec = this.frames / FRAMES_PER_SECOND;
    for (let s = 0; s < seconds; s++) this.closeSecond(firstSec + s);
    this.frames += n * SKIP_FRAMES;
    this.pendingFrames -= n * SKIP_FRAMES;
  }
}
