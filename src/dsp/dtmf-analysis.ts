/**
 * The one tone analysis of a channel, shared by the masker and the detector: complex Goertzel
 * filters at the 8 DTMF frequencies (ITU-T Q.23) over 5 ms blocks ("halves", 40 samples at 8 kHz)
 * at absolute stream positions, keeping each half's complex DFT values.
 *
 * Two consecutive halves a, b combine coherently into the DFT of the 10 ms window they make:
 *   X_ab(ω) = X_a(ω) + e^(−jωB)·X_b(ω)      (B = half length, each X referenced to its own start)
 * exactly (it is the same sum, split in two), so one pass over the audio gives both
 *  - the masker's sliding 10 ms windows every 5 ms (tone-presence.ts), and
 *  - the detector's aligned 10 ms blocks with their phasors (detector-block.ts: pair fit, phase
 *    steps), which are the windows ending with an odd half (halves 2m and 2m+1).
 *
 * Cost-saving rules; none changes a verdict:
 *  - Energy gate: a half under GATE_DBM0 mean power is "quiet": its DFT values are taken as zero
 *    and no filter runs (the tests that follow all need tones 20 dB and more above that).
 *  - Lazy low group: every sounded half runs the 4 high-group filters; the 4 low-group ones only
 *    run when a window that contains the half needs them (`lowWindow`). Speech holds little energy
 *    in the high group, so both users reject most speech windows from the high group alone. For
 *    that each half's samples are read where they lie, in the caller's buffer, while the caller
 *    is still inside one `process` call; at the end of it the caller calls `release`, which copies
 *    the last half (the only one a later window can still need) into the analysis's own buffer.
 *
 * Per channel: about 0.6 kB of typed arrays. Constants are shared by every channel at a rate.
 */
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from './dtmf-keys.ts';
import { dbm0ToRms } from './levels.ts';

/** Half-window length: 5 ms. Shorter halves mean less lookahead needed, more per-half overhead. */
export const HALF_MS = 5;

/**
 * Halves below this mean power skip the filters. 15 dB under the quietest fragment the masker
 * promises to catch (−45 dBm0 per tone), so a half only a few samples into such a tone still passes;
 * the detector's weakest tone (−38 dBm0) is 22 dB above it.
 */
export const GATE_DBM0 = -60;

const FREQS: readonly number[] = [...LOW_GROUP_HZ, ...HIGH_GROUP_HZ];
/** Placeholders until a G.711 half arrives (typed, so the fields keep one shape). */
const NO_CODES = new Uint8Array(0);
const NO_TABLE = new Int16Array(0);

/**
 * Per rate, for f = 0..7 (low group first), in one array: 2cos ω at 0..7; e^(−jω(B−1)) (re 8..15,
 * im 16..23) and e^(−jω) (re 24..31, im 32..39), which turn the final filter state into the
 * half's DFT value; e^(−jωB) (re 40..47, im 48..55), the phase of a half's start seen from the
 * start of the half before.
 */
const CONSTANTS = new Map<number, Float64Array>();

function constantsFor(sampleRate: number, b: number): Float64Array {
  let k = CONSTANTS.get(sampleRate);
  if (k === undefined) {
    k = new Float64Array(56);
    for (let f = 0; f < 8; f++) {
      const w = (2 * Math.PI * FREQS[f]) / sampleRate;
      k[f] = 2 * Math.cos(w);
      k[8 + f] = Math.cos(w * (b - 1));
      k[16 + f] = -Math.sin(w * (b - 1));
      k[24 + f] = Math.cos(w);
      k[32 + f] = -Math.sin(w);
      k[40 + f] = Math.cos(w * b);
      k[48 + f] = -Math.sin(w * b);
    }
    CONSTANTS.set(sampleRate, k);
  }
  return k;
}

export class DtmfAnalysis {
  readonly sampleRate: number;
  /** Samples per half. */
  readonly blockSize: number;
  /** Halves fed since the stream started; the last one fed is `halves − 1`, in slot (halves − 1) & 1. */
  halves = 0;
  /** Per slot s (0, 1): Σx² and Σx of the half (Σx an integer). */
  readonly energy = new Float64Array(2);
  readonly sum = new Float64Array(2);
  /** Per slot: the half was under the gate (DFT values zero). */
  readonly quiet = new Uint8Array(2);
  /** Per slot: the low-group values of the half are computed (or zero because it is quiet). */
  readonly lowDone = new Uint8Array(2);
  /**
   * Per slot s and frequency f (low group 0..3, high 4..7) at s·8 + f: y = e^(jω(B−1))·X, the
   * half's DFT value X turned by a constant per frequency (see `phasor`).
   */
  readonly re = new Float64Array(16);
  readonly im = new Float64Array(16);
  /**
   * The 10 ms window [previous half, last half] per frequency, as y values (|y| = |X|; X, referenced
   * to the window's start, is e^(−jω(B−1))·y, with the factor in toStartRe/toStartIm): the high
   * group (4..7) after `highWindow`, the low group (0..3) after `lowWindow`.
   */
  readonly winRe = new Float64Array(8);
  readonly winIm = new Float64Array(8);
  winHigh = false;
  winLow = false;

  /** e^(−jω(B−1)) per frequency: turns a y value into the DFT value X referenced to the start. */
  readonly toStartRe: Float64Array;
  readonly toStartIm: Float64Array;
  private readonly k: Float64Array;
  private readonly gateEnergy: number;
  /** Own copies of the halves' samples, for a low-group pass asked for after `release`. */
  private readonly saved: Int16Array;
  /** Where each slot's samples are: the caller's buffer until `release`, else `saved`. */
  private src0: Int16Array;
  private src1: Int16Array;
  private off0 = 0;
  private off1 = 0;
  /**
   * G.711 input (`feedCodes`): the codewords of each slot, read through `table` (the decode
   * table) when `codes[s]` is 1, so the audio is decoded inside the filter loops, not in a pass of
   * its own.
   */
  private codes0: Uint8Array;
  private codes1: Uint8Array;
  private readonly codes = new Uint8Array(2);
  private table: Int16Array;

  constructor(sampleRate = 8000) {
    this.sampleRate = sampleRate;
    this.blockSize = Math.max(1, Math.round((HALF_MS * sampleRate) / 1000));
    const b = this.blockSize;
    this.k = constantsFor(sampleRate, b);
    this.toStartRe = this.k.subarray(8, 16);
    this.toStartIm = this.k.subarray(16, 24);
    const gateRms = dbm0ToRms(GATE_DBM0);
    this.gateEnergy = gateRms * gateRms * b;
    this.saved = new Int16Array(2 * b);
    this.src0 = this.saved;
    this.src1 = this.saved;
    this.off1 = b;
    this.codes0 = NO_CODES;
    this.codes1 = NO_CODES;
    this.table = NO_TABLE;
    this.reset();
  }

  /** Back to the state of a new stream (everything before it reads as silence). */
  reset(): void {
    this.halves = 0;
    this.energy.fill(0);
    this.sum.fill(0);
    this.quiet.fill(1);
    this.lowDone.fill(1);
    this.re.fill(0);
    this.im.fill(0);
    this.winHigh = false;
    this.winLow = false;
  }

  /** For the WebAssembly kernel (wasm/kernel.ts): the rate's 56 constants (see constantsFor) and the gate. */
  kernelConstants(): { k: Float64Array; gateEnergy: number } {
    return { k: this.k, gateEnergy: this.gateEnergy };
  }

  /** Slot of the last half fed, and of the one before it. */
  get slot(): number {
    return (this.halves - 1) & 1;
  }

  /** Analyses the half x[off .. off+blockSize): energy, and the high group unless it is quiet. */
  feed(x: Int16Array, off: number): void {
    const s = this.halves & 1;
    const prevQuiet = this.quiet[s ^ 1] === 1;
    this.halves++;
    this.winHigh = false;
    this.winLow = false;
    const b = this.blockSize;
    if (prevQuiet) {
      // After a quiet half the next is most likely quiet too: the energy alone first.
      let e = 0;
      let sum = 0;
      const end = off + b;
      for (let i = off; i < end; i++) {
        const v = x[i];
        e += v * v;
        sum = (sum + v) | 0;
      }
      this.energy[s] = e;
      this.sum[s] = sum;
      if (e < this.gateEnergy) {
        this.setQuiet(s);
        return;
      }
      this.high(x, off, s);
    } else {
      // In sound: the energy rides along with the high-group filters in one pass.
      this.high(x, off, s);
      if (this.energy[s] < this.gateEnergy) {
        this.setQuiet(s);
        return;
      }
    }
    this.quiet[s] = 0;
    this.lowDone[s] = 0;
    this.codes[s] = 0;
    if (s === 0) {
      this.src0 = x;
      this.off0 = off;
    } else {
      this.src1 = x;
      this.off1 = off;
    }
  }

  /**
   * `feed` for G.711 codewords c[off .. off+blockSize), decoded through `table` (ALAW_DECODE_TABLE
   * or ULAW_DECODE_TABLE) as they are read: the same analysis as `feed` on the decoded samples.
   */
  feedCodes(c: Uint8Array, off: number, table: Int16Array): void {
    const s = this.halves & 1;
    const prevQuiet = this.quiet[s ^ 1] === 1;
    this.halves++;
    this.winHigh = false;
    this.winLow = false;
    this.table = table;
    const b = this.blockSize;
    if (prevQuiet) {
      let e = 0;
      let sum = 0;
      const end = off + b;
      for (let i = off; i < end; i++) {
        const v = table[c[i]];
        e += v * v;
        sum = (sum + v) | 0;
      }
      this.energy[s] = e;
      this.sum[s] = sum;
      if (e < this.gateEnergy) {
        this.setQuiet(s);
        return;
      }
      this.highCodes(c, off, s, table);
    } else {
      this.highCodes(c, off, s, table);
      if (this.energy[s] < this.gateEnergy) {
        this.setQuiet(s);
        return;
      }
    }
    this.quiet[s] = 0;
    this.lowDone[s] = 0;
    this.codes[s] = 1;
    if (s === 0) {
      this.codes0 = c;
      this.off0 = off;
    } else {
      this.codes1 = c;
      this.off1 = off;
    }
  }

  /**
   * The caller's buffer is about to change (end of a `process` call): copy the last half's
   * samples if a later window may still need its low group. The half before it is done with: both
   * windows containing it have been judged.
   */
  release(): void {
    const s = (this.halves - 1) & 1;
    if (this.lowDone[s] === 1) return;
    const b = this.blockSize;
    const saved = this.saved;
    const base = s * b;
    const off = s === 0 ? this.off0 : this.off1;
    if (this.codes[s] === 1) {
      const c = s === 0 ? this.codes0 : this.codes1;
      const table = this.table;
      for (let i = 0; i < b; i++) saved[base + i] = table[c[off + i]];
      this.codes[s] = 0;
    } else {
      const x = s === 0 ? this.src0 : this.src1;
      if (x === saved) return;
      for (let i = 0; i < b; i++) saved[base + i] = x[off + i];
    }
    if (s === 0) {
      this.src0 = saved;
      this.off0 = base;
    } else {
      this.src1 = saved;
      this.off1 = base;
    }
  }

  /** A half of silence (zeros): the end of a stream. */
  feedSilent(): void {
    const s = this.halves & 1;
    this.halves++;
    this.winHigh = false;
    this.winLow = false;
    this.energy[s] = 0;
    this.sum[s] = 0;
    this.setQuiet(s);
  }

  private setQuiet(s: number): void {
    this.quiet[s] = 1;
    this.lowDone[s] = 1;
    const re = this.re;
    const im = this.im;
    const o = s * 8;
    for (let f = 0; f < 8; f++) {
      re[o + f] = 0;
      im[o + f] = 0;
    }
  }

  /** Both halves of the window are quiet: nothing in it can be a tone. */
  windowQuiet(): boolean {
    return this.quiet[0] === 1 && this.quiet[1] === 1;
  }

  /** Σx² and Σx over the window (both halves). */
  windowEnergy(): number {
    return this.energy[0] + this.energy[1];
  }
  windowSum(): number {
    return this.sum[0] + this.sum[1];
  }

  /** Fills winRe/winIm 4..7: the high group over the window. */
  highWindow(): void {
    if (this.winHigh) return;
    this.combine(4);
    this.winHigh = true;
  }

  /** Fills winRe/winIm 0..3: the low group over the window (running the filters where still owed). */
  lowWindow(): void {
    if (this.winLow) return;
    if (this.lowDone[0] === 0) {
      if (this.codes[0] === 1) this.lowCodes(0);
      else this.low(0);
    }
    if (this.lowDone[1] === 0) {
      if (this.codes[1] === 1) this.lowCodes(1);
      else this.low(1);
    }
    this.combine(0);
    this.winLow = true;
  }

  /** Makes sure the low group of the last half is computed (its bins in re/im at slot·8 + 0..3). */
  lowLast(): void {
    const s = (this.halves - 1) & 1;
    if (this.lowDone[s] === 0) {
      if (this.codes[s] === 1) this.lowCodes(s);
      else this.low(s);
    }
  }

  /**
   * X_window = X_first + e^(−jωB)·X_second for 4 frequencies from f0; in y values (y = P·X with
   * the same P for both halves) it reads y_window = y_first + e^(−jωB)·y_second.
   */
  private combine(f0: number): void {
    const last = (this.halves - 1) & 1;
    const a = (last ^ 1) * 8;
    const b = last * 8;
    const re = this.re;
    const im = this.im;
    const k = this.k;
    const wr = this.winRe;
    const wi = this.winIm;
    for (let f = f0; f < f0 + 4; f++) {
      const rr = k[40 + f];
      const ri = k[48 + f];
      const br = re[b + f];
      const bi = im[b + f];
      wr[f] = re[a + f] + rr * br - ri * bi;
      wi[f] = im[a + f] + rr * bi + ri * br;
    }
  }

  /**
   * The 4 high-group filters over x[off..off+B) with the half's Σx² and Σx in the same pass (the
   * filter chains wait on their multiply-adds; the sums ride along for free). Four samples per
   * iteration, alternating which variable holds s[n] and s[n−1], so the state never shuffles.
   * Each step is written (x − s[n−2]) + c·s[n−1]: the subtraction does not wait for the multiply,
   * so a sample costs one multiply and one add of latency instead of a multiply and two adds
   * (measured: 1.25× faster than x + c·s[n−1] − s[n−2]; floating point is not reassociated by the JIT).
   */
  private high(x: Int16Array, off: number, s: number): void {
    const k = this.k;
    const c4 = k[4];
    const c5 = k[5];
    const c6 = k[6];
    const c7 = k[7];
    let a4 = 0, a5 = 0, a6 = 0, a7 = 0; // s[n−1]
    let b4 = 0, b5 = 0, b6 = 0, b7 = 0; // s[n−2]
    let e = 0;
    let sum = 0;
    const end = off + this.blockSize;
    let i = off;
    for (; i + 3 < end; i += 4) {
      const p = x[i];
      const q = x[i + 1];
      const r = x[i + 2];
      const t = x[i + 3];
      e += p * p + q * q + r * r + t * t;
      // An int32 sum lives in an integer register, leaving the floating-point ones to the filters.
      sum = (sum + p + q + r + t) | 0;
      b4 = (p - b4) + c4 * a4; a4 = (q - a4) + c4 * b4; b4 = (r - b4) + c4 * a4; a4 = (t - a4) + c4 * b4;
      b5 = (p - b5) + c5 * a5; a5 = (q - a5) + c5 * b5; b5 = (r - b5) + c5 * a5; a5 = (t - a5) + c5 * b5;
      b6 = (p - b6) + c6 * a6; a6 = (q - a6) + c6 * b6; b6 = (r - b6) + c6 * a6; a6 = (t - a6) + c6 * b6;
      b7 = (p - b7) + c7 * a7; a7 = (q - a7) + c7 * b7; b7 = (r - b7) + c7 * a7; a7 = (t - a7) + c7 * b7;
    }
    for (; i < end; i++) {
      // Half lengths not a multiple of 4 (rates other than multiples of 800 Hz).
      const p = x[i];
      e += p * p;
      sum = (sum + p) | 0;
      let t: number;
      t = (p - b4) + c4 * a4; b4 = a4; a4 = t;
      t = (p - b5) + c5 * a5; b5 = a5; a5 = t;
      t = (p - b6) + c6 * a6; b6 = a6; a6 = t;
      t = (p - b7) + c7 * a7; b7 = a7; a7 = t;
    }
    this.energy[s] = e;
    this.sum[s] = sum;
    const o = s * 8;
    this.phasor(o, 4, a4, b4);
    this.phasor(o, 5, a5, b5);
    this.phasor(o, 6, a6, b6);
    this.phasor(o, 7, a7, b7);
  }

  /** `high` on codewords decoded through `table` (written out again: one loop per element type keeps each monomorphic). */
  private highCodes(x: Uint8Array, off: number, s: number, table: Int16Array): void {
    const k = this.k;
    const c4 = k[4];
    const c5 = k[5];
    const c6 = k[6];
    const c7 = k[7];
    let a4 = 0, a5 = 0, a6 = 0, a7 = 0; // s[n−1]
    let b4 = 0, b5 = 0, b6 = 0, b7 = 0; // s[n−2]
    let e = 0;
    let sum = 0;
    const end = off + this.blockSize;
    let i = off;
    for (; i + 3 < end; i += 4) {
      const p = table[x[i]];
      const q = table[x[i + 1]];
      const r = table[x[i + 2]];
      const t = table[x[i + 3]];
      e += p * p + q * q + r * r + t * t;
      // An int32 sum lives in an integer register, leaving the floating-point ones to the filters.
      sum = (sum + p + q + r + t) | 0;
      b4 = (p - b4) + c4 * a4; a4 = (q - a4) + c4 * b4; b4 = (r - b4) + c4 * a4; a4 = (t - a4) + c4 * b4;
      b5 = (p - b5) + c5 * a5; a5 = (q - a5) + c5 * b5; b5 = (r - b5) + c5 * a5; a5 = (t - a5) + c5 * b5;
      b6 = (p - b6) + c6 * a6; a6 = (q - a6) + c6 * b6; b6 = (r - b6) + c6 * a6; a6 = (t - a6) + c6 * b6;
      b7 = (p - b7) + c7 * a7; a7 = (q - a7) + c7 * b7; b7 = (r - b7) + c7 * a7; a7 = (t - a7) + c7 * b7;
    }
    for (; i < end; i++) {
      // Half lengths not a multiple of 4 (rates other than multiples of 800 Hz).
      const p = table[x[i]];
      e += p * p;
      sum = (sum + p) | 0;
      let t: number;
      t = (p - b4) + c4 * a4; b4 = a4; a4 = t;
      t = (p - b5) + c5 * a5; b5 = a5; a5 = t;
      t = (p - b6) + c6 * a6; b6 = a6; a6 = t;
      t = (p - b7) + c7 * a7; b7 = a7; a7 = t;
    }
    this.energy[s] = e;
    this.sum[s] = sum;
    const o = s * 8;
    this.phasor(o, 4, a4, b4);
    this.phasor(o, 5, a5, b5);
    this.phasor(o, 6, a6, b6);
    this.phasor(o, 7, a7, b7);
  }

  /** The 4 low-group filters over the samples of slot s. */
  private low(s: number): void {
    const k = this.k;
    const c0 = k[0];
    const c1 = k[1];
    const c2 = k[2];
    const c3 = k[3];
    const x = s === 0 ? this.src0 : this.src1;
    const off = s === 0 ? this.off0 : this.off1;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    const end = off + this.blockSize;
    let i = off;
    for (; i + 3 < end; i += 4) {
      const p = x[i];
      const q = x[i + 1];
      const r = x[i + 2];
      const t = x[i + 3];
      b0 = (p - b0) + c0 * a0; a0 = (q - a0) + c0 * b0; b0 = (r - b0) + c0 * a0; a0 = (t - a0) + c0 * b0;
      b1 = (p - b1) + c1 * a1; a1 = (q - a1) + c1 * b1; b1 = (r - b1) + c1 * a1; a1 = (t - a1) + c1 * b1;
      b2 = (p - b2) + c2 * a2; a2 = (q - a2) + c2 * b2; b2 = (r - b2) + c2 * a2; a2 = (t - a2) + c2 * b2;
      b3 = (p - b3) + c3 * a3; a3 = (q - a3) + c3 * b3; b3 = (r - b3) + c3 * a3; a3 = (t - a3) + c3 * b3;
    }
    for (; i < end; i++) {
      const p = x[i];
      let t: number;
      t = (p - b0) + c0 * a0; b0 = a0; a0 = t;
      t = (p - b1) + c1 * a1; b1 = a1; a1 = t;
      t = (p - b2) + c2 * a2; b2 = a2; a2 = t;
      t = (p - b3) + c3 * a3; b3 = a3; a3 = t;
    }
    const o = s * 8;
    this.phasor(o, 0, a0, b0);
    this.phasor(o, 1, a1, b1);
    this.phasor(o, 2, a2, b2);
    this.phasor(o, 3, a3, b3);
    this.lowDone[s] = 1;
  }

  /** `low` over codewords decoded through the table. */
  private lowCodes(s: number): void {
    const k = this.k;
    const c0 = k[0];
    const c1 = k[1];
    const c2 = k[2];
    const c3 = k[3];
    const x = s === 0 ? this.codes0 : this.codes1;
    const table = this.table;
    const off = s === 0 ? this.off0 : this.off1;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    const end = off + this.blockSize;
    let i = off;
    for (; i + 3 < end; i += 4) {
      const p = table[x[i]];
      const q = table[x[i + 1]];
      const r = table[x[i + 2]];
      const t = table[x[i + 3]];
      b0 = (p - b0) + c0 * a0; a0 = (q - a0) + c0 * b0; b0 = (r - b0) + c0 * a0; a0 = (t - a0) + c0 * b0;
      b1 = (p - b1) + c1 * a1; a1 = (q - a1) + c1 * b1; b1 = (r - b1) + c1 * a1; a1 = (t - a1) + c1 * b1;
      b2 = (p - b2) + c2 * a2; a2 = (q - a2) + c2 * b2; b2 = (r - b2) + c2 * a2; a2 = (t - a2) + c2 * b2;
      b3 = (p - b3) + c3 * a3; a3 = (q - a3) + c3 * b3; b3 = (r - b3) + c3 * a3; a3 = (t - a3) + c3 * b3;
    }
    for (; i < end; i++) {
      const p = table[x[i]];
      let t: number;
      t = (p - b0) + c0 * a0; b0 = a0; a0 = t;
      t = (p - b1) + c1 * a1; b1 = a1; a1 = t;
      t = (p - b2) + c2 * a2; b2 = a2; a2 = t;
      t = (p - b3) + c3 * a3; b3 = a3; a3 = t;
    }
    const o = s * 8;
    this.phasor(o, 0, a0, b0);
    this.phasor(o, 1, a1, b1);
    this.phasor(o, 2, a2, b2);
    this.phasor(o, 3, a3, b3);
    this.lowDone[s] = 1;
  }

  /**
   * From the final states s1 = s[B−1], s2 = s[B−2]: y = s1 − e^(−jω)·s2 = e^(jω(B−1))·X, where
   * X = Σ x[n]·e^(−jωn) is the DFT value referenced to the half's first sample. y is kept as it
   * is: the window sums and all magnitudes are the same in y, and only the two bins the detector
   * fits per 10 ms block are turned into X (`toStartRe`/`toStartIm`), not all 8 of every half.
   */
  private phasor(o: number, f: number, s1: number, s2: number): void {
    const k = this.k;
    this.re[o + f] = s1 - k[24 + f] * s2;
    this.im[o + f] = -k[32 + f] * s2;
  }
}
