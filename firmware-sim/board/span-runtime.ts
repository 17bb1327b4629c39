/**
 * One E1/T1 span of the board as the protocol sees it, on top of the span model
 * (firmware-sim/span/, docs/spans.md): the model supplies defects, alarms, counters and loopbacks;
 * this class turns them into the protocol's vocabulary (docs/protocol.md §11 GET_SPAN_STATUS, §12
 * ALARM) and keeps the counters "since RESET_COUNTERS" that the protocol promises.
 *
 * Alarm names: the protocol reports the alarm *with its cause*, as the host's NOC vocabulary does
 * (src/service/health.ts): `los` and `lof` are the red alarm (ANSI T1.231 / ITU-T G.775) caused by
 * loss of signal or loss of frame, `ais` the blue alarm, `rai` the yellow one. They are failures,
 * not defects: raised after the model's persistence (2.5 s) and cleared after its clear time (10 s).
 *
 * Tests that predate the model set alarms and add counters by hand (`Board.setAlarm`,
 * `Board.addCounters`): those act as overrides on top of the model, cleared by RESET_COUNTERS
 * (counters) or by setting the alarm off again.
 */
import type { SpanProfile } from '../../hardware-profiles/schema.ts';
import { Span, type SpanOptions } from '../span/index.ts';
import type { IntervalCounters } from '../span/performance.ts';

export type Alarm = 'los' | 'lof' | 'ais' | 'rai';
export const ALARMS: readonly Alarm[] = ['los', 'lof', 'ais', 'rai'];
export type Loopback = 'off' | 'local' | 'line' | 'payload';

export interface SpanCounters {
  cv: number;
  crc_err: number;
  fas_err: number;
  slips: number;
  es: number;
  ses: number;
}

/** Options passed to every span model of a board (timing overrides for tests and rigs). */
export type BoardSpanOptions = Pick<SpanOptions, 'alarmTiming' | 'sesThreshold' | 'seed'>;

const U32 = 0x1_0000_0000;
/** Idle spans are advanced in whole 3 s blocks, which the model accounts for without building frames. */
const IDLE_BLOCK_MS = 3000;
/** Longest single step between folds: 6 h (a multiple of the 3 s idle block). */
const FOLD_EVERY_MS = 6 * 3600_000;

export function zeroCounters(): SpanCounters {
  return { cv: 0, crc_err: 0, fas_err: 0, slips: 0, es: 0, ses: 0 };
}

function fromInterval(i: Pick<IntervalCounters, 'cv' | 'crc' | 'fe' | 'slips' | 'es' | 'ses'>): SpanCounters {
  return { cv: i.cv, crc_err: i.crc, fas_err: i.fe, slips: i.slips, es: i.es, ses: i.ses };
}

function add(a: SpanCounters, b: SpanCounters): SpanCounters {
  return {
    cv: a.cv + b.cv,
    crc_err: a.crc_err + b.crc_err,
    fas_err: a.fas_err + b.fas_err,
    slips: a.slips + b.slips,
    es: a.es + b.es,
    ses: a.ses + b.ses,
  };
}

export class SpanRuntime {
  readonly model: Span;
  /** The model's time base (ms of the board clock) up to which it has been stepped. */
  private syncedTo: number;
  private readonly startMs: number;
  private readonly overrides: Record<Alarm, boolean> = { los: false, lof: false, ais: false, rai: false };
  private extra = zeroCounters();
  /** Counters of completed intervals already folded in (they may fall out of the model's 24 h history). */
  private folded = zeroCounters();
  private foldedUpTo = -Infinity;
  /** What the red alarm is reported as: the cause seen last while it was active. */
  private redCause: 'los' | 'lof' = 'los';
  private reported: Record<Alarm, boolean> = { los: false, lof: false, ais: false, rai: false };
  countedSince: number;

  constructor(
    profile: SpanProfile,
    private readonly now: () => number,
    options: BoardSpanOptions = {},
  ) {
    // The model's E1 always runs CRC-4 multiframes (docs/spans.md); `no-crc4` is kept as configuration only.
    const framing = profile.type === 't1' ? (profile.framing === 'd4' ? 'd4' : 'esf') : undefined;
    this.startMs = now();
    this.syncedTo = this.startMs;
    this.countedSince = this.startMs;
    this.model = new Span({ kind: profile.type, framing, startMs: this.startMs, ...options });
  }

  /** True when nothing can change on the span: no fault, loopback, defect or alarm. */
  get quiet(): boolean {
    const s = this.model.status();
    const f = s.faults;
    return (
      s.loopback === 'none' &&
      !f.los && !f.lof && !f.ais && !f.rai && f.ber === 0 && f.slip === 0 &&
      !s.defects.los && !s.defects.lof && !s.defects.ais && !s.defects.rai &&
      !s.alarms.red && !s.alarms.blue && !s.alarms.yellow
    );
  }

  /**
   * Advances the model to the board clock and returns the protocol alarms that changed.
   * With `exact` false and the span quiet, it stops at the last whole 3 s block: the rest is idle
   * time that changes nothing, and stepping it in pieces would cost frame-by-frame simulation.
   */
  sync(exact = true): Array<{ alarm: Alarm; on: boolean }> {
    let target = this.now();
    if (!exact && this.quiet) target = this.startMs + Math.floor((target - this.startMs) / IDLE_BLOCK_MS) * IDLE_BLOCK_MS;
    // In pieces well under the model's 24 h of history, so no interval leaves it before it is folded.
    while (target > this.syncedTo) {
      const dt = Math.min(target - this.syncedTo, FOLD_EVERY_MS);
      this.model.step(dt);
      this.syncedTo += dt;
      this.fold();
    }
    return this.diffAlarms();
  }

  private fold(): void {
    // Every completed interval but the newest is final (an unavailable-time correction reaches back
    // 10 s at most), so it is added once to `folded` and never read from the model again.
    const hist = this.model.intervals();
    for (let i = hist.length - 1; i >= 1; i--) {
      if (hist[i].startMs <= this.foldedUpTo) continue;
      this.folded = add(this.folded, fromInterval(hist[i]));
      this.foldedUpTo = hist[i].startMs;
    }
  }

  private modelAlarms(): Record<Alarm, boolean> {
    const s = this.model.status();
    if (s.alarms.red) {
      if (s.defects.los) this.redCause = 'los';
      else if (s.defects.lof) this.redCause = 'lof';
    }
    return { los: s.alarms.red && this.redCause === 'los', lof: s.alarms.red && this.redCause === 'lof', ais: s.alarms.blue, rai: s.alarms.yellow };
  }

  alarms(): Record<Alarm, boolean> {
    const m = this.modelAlarms();
    return { los: m.los || this.overrides.los, lof: m.lof || this.overrides.lof, ais: m.ais || this.overrides.ais, rai: m.rai || this.overrides.rai };
  }

  private diffAlarms(): Array<{ alarm: Alarm; on: boolean }> {
    const now = this.alarms();
    const changes = ALARMS.filter((a) => now[a] !== this.reported[a]).map((a) => ({ alarm: a, on: now[a] }));
    this.reported = now;
    return changes;
  }

  /** Raises or clears an alarm by hand, whatever the model says (returns the changes). */
  override(alarm: Alarm, on: boolean): Array<{ alarm: Alarm; on: boolean }> {
    this.overrides[alarm] = on;
    return this.diffAlarms();
  }

  addCounters(delta: Partial<SpanCounters>): void {
    for (const k of Object.keys(delta) as Array<keyof SpanCounters>) this.extra[k] += delta[k] ?? 0;
  }

  /** Counters since the last reset (or boot), wrapping at 2^32 like the hardware's. */
  counters(): SpanCounters {
    let c = add(this.folded, this.extra);
    const hist = this.model.intervals();
    for (const i of hist) if (i.startMs > this.foldedUpTo) c = add(c, fromInterval(i));
    c = add(c, fromInterval(this.model.counters().current));
    for (const k of Object.keys(c) as Array<keyof SpanCounters>) c[k] %= U32;
    return c;
  }

  resetCounters(): void {
    this.model.resetCounters();
    this.extra = zeroCounters();
    this.folded = zeroCounters();
    this.foldedUpTo = -Infinity;
    this.countedSince = this.now();
  }

  get loopback(): Loopback {
    const m = this.model.loopback;
    return m === 'none' ? 'off' : m;
  }

  setLoopback(mode: Loopback): void {
    this.model.setLoopback(mode === 'off' ? 'none' : mode);
  }

  /** The model's 15-minute intervals, newest first (for rigs and tests; the protocol has no command for them). */
  intervals(): IntervalCounters[] {
    return this.model.intervals();
  }
}
