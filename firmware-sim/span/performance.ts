/**
 * Performance monitoring: each second classified from its anomalies and defects, counted into
 * 15-minute intervals, the current one plus the last 96 (24 hours), as in the DS1/E1 MIB
 * (RFC 4805, formerly RFC 3895) and the equipment that feeds it.
 *
 * Second classification ("defect" = LOS, OOF or AIS present at any time in the second):
 *   E1 with CRC-4, ITU-T G.826 (block = CRC-4 sub-multiframe, 2048 bits, 1000 blocks/s):
 *     ES  = ≥ 1 errored block or a defect;
 *     SES = ≥ 30 % errored blocks, i.e. ≥ 300 CRC-4 errors, or a defect (G.826 §3 and Annex B).
 *     (RFC 4805 uses ≥ 832 CRC-4 errors for E1 SES; `sesThreshold` can select it.)
 *   T1 ESF, ANSI T1.231 (path, CRC-6 block = superframe, 333 blocks/s):
 *     ES  = ≥ 1 CRC-6 error, or a controlled slip, or a defect;
 *     SES = ≥ 320 CRC-6 errors, or a defect.
 *   T1 D4 (no CRC; framing bit errors instead), ANSI T1.231 / RFC 4805:
 *     ES  = ≥ 1 framing bit error, or a controlled slip, or a defect;
 *     SES = ≥ 8 framing bit errors, or a defect.
 * Also: LES (≥ 1 line code violation), CSS (≥ 1 controlled slip), SEFS (OOF or AIS in the second).
 * Unavailable time (G.826 Annex A, T1.231): begins at the first of 10 consecutive SES, which are
 * then counted as UAS instead of ES/SES; ends at the first of 10 consecutive non-SES, which are
 * then counted as available seconds again. Counts already in an interval are corrected in place,
 * even when the 10 seconds straddle an interval boundary (as RFC 4805 allows).
 * Raw anomaly counts (CV, CRC, FE, slips) are kept in unavailable time too.
 */
import type { Framing } from './format.ts';
import type { SecondCounts } from './receiver.ts';

export interface IntervalCounters {
  /** Span time (ms) at which the interval began (a multiple of 15 minutes). */
  startMs: number;
  /** Seconds counted in it (900 for a complete interval). */
  seconds: number;
  /** False when the interval is incomplete: the span started or counters were reset inside it. */
  valid: boolean;
  es: number;
  ses: number;
  uas: number;
  les: number;
  css: number;
  sefs: number;
  cv: number;
  crc: number;
  fe: number;
  febe: number;
  slips: number;
  oofEvents: number;
}

export const INTERVAL_MS = 15 * 60 * 1000;
export const INTERVAL_HISTORY = 96;

function emptyInterval(startMs: number, valid: boolean): IntervalCounters {
  return { startMs, seconds: 0, valid, es: 0, ses: 0, uas: 0, les: 0, css: 0, sefs: 0, cv: 0, crc: 0, fe: 0, febe: 0, slips: 0, oofEvents: 0 };
}

const COUNTED = ['es', 'ses', 'uas', 'les', 'css', 'sefs', 'cv', 'crc', 'fe', 'febe', 'slips', 'oofEvents', 'seconds'] as const;

export interface SecondClass {
  es: boolean;
  ses: boolean;
}

/** Threshold of errored blocks (E1, ESF) or framing errors (D4) for an SES. */
export function defaultSesThreshold(framing: Framing): number {
  return framing === 'e1-crc4' ? 300 : framing === 'esf' ? 320 : 8;
}

export function classifySecond(framing: Framing, c: SecondCounts, sesThreshold = defaultSesThreshold(framing)): SecondClass {
  const defect = c.los || c.oof || c.ais;
  const errors = framing === 'd4' ? c.fe : c.crc;
  // G.826 ES for E1 does not count slips (they are not block errors); T1.231 ES-P does.
  const slipCounts = framing !== 'e1-crc4' && c.slips > 0;
  const ses = defect || errors >= sesThreshold;
  return { ses, es: ses || errors > 0 || slipCounts };
}

export class PerformanceMonitor {
  private cur: IntervalCounters;
  private readonly hist: IntervalCounters[] = [];
  private available = true;
  private sesRun: Array<{ rec: IntervalCounters; es: boolean }> = [];
  private clearRun: Array<{ rec: IntervalCounters; es: boolean }> = [];
  private readonly sesThreshold: number;

  constructor(readonly framing: Framing, startMs: number, sesThreshold?: number) {
    this.sesThreshold = sesThreshold ?? defaultSesThreshold(framing);
    const aligned = Math.floor(startMs / INTERVAL_MS) * INTERVAL_MS;
    this.cur = emptyInterval(aligned, aligned === startMs);
  }

  /** True outside unavailable time. */
  get isAvailable(): boolean {
    return this.available;
  }

  /** Adds the second that began at `startMs`. */
  addSecond(startMs: number, c: SecondCounts): SecondClass {
    while (startMs >= this.cur.startMs + INTERVAL_MS) this.rollOver();
    const rec = this.cur;
    const k = classifySecond(this.framing, c, this.sesThreshold);
    rec.seconds++;
    rec.cv += c.cv;
    rec.crc += c.crc;
    rec.fe += c.fe;
    rec.febe += c.febe;
    rec.slips += c.slips;
    rec.oofEvents += c.oofEvents;
    if (c.cv > 0 || c.los) rec.les++; // T1.231 LES: a CV or LOS in the second
    if (c.slips > 0) rec.css++;
    if (c.oof || c.ais) rec.sefs++;
    if (this.available) {
      if (k.es) rec.es++;
      if (k.ses) rec.ses++;
      if (k.ses) {
        this.sesRun.push({ rec, es: true });
        if (this.sesRun.length === 10) {
          // Unavailable time began with the first of these ten SES.
          for (const s of this.sesRun) {
            s.rec.es--;
            s.rec.ses--;
            s.rec.uas++;
          }
          this.available = false;
          this.sesRun = [];
          this.clearRun = [];
        }
      } else {
        this.sesRun = [];
      }
    } else {
      rec.uas++;
      if (!k.ses) {
        this.clearRun.push({ rec, es: k.es });
        if (this.clearRun.length === 10) {
          // Available time began with the first of these ten non-SES seconds.
          for (const s of this.clearRun) {
            s.rec.uas--;
            if (s.es) s.rec.es++;
          }
          this.available = true;
          this.clearRun = [];
          this.sesRun = [];
        }
      } else {
        this.clearRun = [];
      }
    }
    // The interval closes with its last second, so history is up to date at every boundary.
    if (startMs + 1000 >= rec.startMs + INTERVAL_MS) this.rollOver();
    return k;
  }

  private rollOver(): void {
    this.hist.unshift(this.cur);
    if (this.hist.length > INTERVAL_HISTORY) this.hist.length = INTERVAL_HISTORY;
    this.cur = emptyInterval(this.cur.startMs + INTERVAL_MS, true);
  }

  /** The interval in progress (a copy). */
  current(): IntervalCounters {
    return { ...this.cur };
  }

  /** Completed intervals, newest first, at most 96 (copies). */
  intervals(): IntervalCounters[] {
    return this.hist.map((r) => ({ ...r }));
  }

  /** Sum over the completed intervals of the last 24 hours (the MIB's "total"). */
  total(): Omit<IntervalCounters, 'startMs' | 'valid'> & { intervals: number } {
    const t = emptyInterval(0, true) as IntervalCounters;
    for (const r of this.hist) for (const k of COUNTED) t[k] += r[k];
    const { startMs: _s, valid: _v, ...rest } = t;
    return { ...rest, intervals: this.hist.length };
  }

  /** Clears the current interval and the history; the interval in progress becomes invalid (incomplete). */
  reset(nowMs: number): void {
    this.hist.length = 0;
    this.cur = emptyInterval(Math.floor(nowMs / INTERVAL_MS) * INTERVAL_MS, false);
    this.available = true;
    this.sesRun = [];
    this.clearRun = [];
  }
}
