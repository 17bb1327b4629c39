/**
 * Goertzel filters (G. Goertzel, 1958): one DFT bin at an arbitrary frequency for the cost of one
 * multiply and two adds per sample. Written for speed: the inner loops run over an Int16Array with
 * all filter state in locals (no allocation, no per-sample calls), so V8 keeps them monomorphic.
 *
 * Conventions used throughout: for a block x[0..N-1] the complex bin is the ordinary DFT sum
 * X(ω) = Σ x[n]·e^(−jωn), referenced to the first sample of the block; "power" is |X|², and a
 * sine of peak A filling the block exactly on the bin gives |X| = A·N/2.
 */

/** 2·cos(ω), the Goertzel feedback coefficient for a frequency in Hz. */
export function goertzelCoeff(freqHz: number, sampleRate: number): number {
  return 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
}

/** Σ x², the energy of x[off .. off+n-1]. */
export function blockEnergy(x: Int16Array, off: number, n: number): number {
  // Four partial sums: one accumulator would make every sample wait for the previous add.
  let e0 = 0;
  let e1 = 0;
  let e2 = 0;
  let e3 = 0;
  const end = off + n;
  let i = off;
  for (; i + 3 < end; i += 4) {
    const v0 = x[i];
    const v1 = x[i + 1];
    const v2 = x[i + 2];
    const v3 = x[i + 3];
    e0 += v0 * v0;
    e1 += v1 * v1;
    e2 += v2 * v2;
    e3 += v3 * v3;
  }
  for (; i < end; i++) {
    const v = x[i];
    e0 += v * v;
  }
  return e0 + e1 + e2 + e3;
}

/**
 * Σ(x − mean)², the energy of x[off .. off+n-1] without its DC part: a DC offset (a bad sound card,
 * a codec bias) has no DTMF in it and must not dilute the tones' share of the block.
 */
export function blockAcEnergy(x: Int16Array, off: number, n: number): number {
  let e0 = 0;
  let e1 = 0;
  let s0 = 0;
  let s1 = 0;
  const end = off + n;
  let i = off;
  for (; i + 1 < end; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    e0 += v0 * v0;
    e1 += v1 * v1;
    s0 += v0;
    s1 += v1;
  }
  if (i < end) {
    const v = x[i];
    e0 += v * v;
    s0 += v;
  }
  const sum = s0 + s1;
  return e0 + e1 - (sum * sum) / n;
}

/** |X(f)|² over x[off .. off+n-1] for a single frequency (use the bank for the hot path). */
export function goertzelPower(x: Int16Array, off: number, n: number, freqHz: number, sampleRate: number): number {
  const c = goertzelCoeff(freqHz, sampleRate);
  let s1 = 0;
  let s2 = 0;
  const end = off + n;
  for (let i = off; i < end; i++) {
    const s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/**
 * Four Goertzel filters run over the same block in one pass: the DTMF low or high group. After
 * `run`, `power[i]` holds |X_i|²; `phasor(i, out)` gives the complex bin on demand (it costs a few
 * multiplies, so it is only computed where the phase is needed).
 */
export class GoertzelBank4 {
  /** The four frequencies, Hz (shared between banks: do not write). */
  readonly freqs: Float64Array;
  readonly blockSize: number;
  /** |X_i|² of the last block run. */
  readonly power = new Float64Array(4);
  /** Final filter states of the last block: s[N−1] of filter i at i, s[N−2] at 4 + i. */
  private readonly state = new Float64Array(8);
  /**
   * Constants, shared by every bank with the same frequencies, block and rate (one small object
   * per channel instead of seven): 2·cos ω at 0..3; e^(−jω(N−1)) (re 4..7, im 8..11) and e^(−jω)
   * (re 12..15, im 16..19), which turn the filter state into a block-start-referenced DFT bin.
   */
  private readonly k: Float64Array;

  constructor(freqsHz: readonly number[], blockSize: number, sampleRate: number) {
    if (freqsHz.length !== 4) throw new RangeError('GoertzelBank4 takes exactly 4 frequencies');
    this.blockSize = blockSize;
    const key = `${freqsHz.join(',')}|${blockSize}|${sampleRate}`;
    let k = BANK_CONSTANTS.get(key);
    if (k === undefined) {
      k = new Float64Array(24);
      for (let i = 0; i < 4; i++) {
        const w = (2 * Math.PI * freqsHz[i]) / sampleRate;
        k[i] = 2 * Math.cos(w);
        k[4 + i] = Math.cos(w * (blockSize - 1));
        k[8 + i] = -Math.sin(w * (blockSize - 1));
        k[12 + i] = Math.cos(w);
        k[16 + i] = -Math.sin(w);
        k[20 + i] = freqsHz[i];
      }
      BANK_CONSTANTS.set(key, k);
    }
    this.k = k;
    this.freqs = k.subarray(20, 24);
  }

  /** Runs the four filters over x[off .. off+blockSize-1]. */
  run(x: Int16Array, off: number): void {
    const k = this.k;
    const c0 = k[0];
    const c1 = k[1];
    const c2 = k[2];
    const c3 = k[3];
    let a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
    const end = off + this.blockSize;
    for (let i = off; i < end; i++) {
      const v = x[i];
      const a0 = v - a2 + c0 * a1;
      a2 = a1;
      a1 = a0;
      const b0 = v - b2 + c1 * b1;
      b2 = b1;
      b1 = b0;
      const d0 = v - d2 + c2 * d1;
      d2 = d1;
      d1 = d0;
      const e0 = v - e2 + c3 * e1;
      e2 = e1;
      e1 = e0;
    }
    // The coefficients are read again from k, not from c0..c3: keeping those locals alive past
    // the loop makes V8 allocate the loop's registers worse (measured: 1.4× slower filters).
    const s = this.state;
    const p = this.power;
    s[0] = a1; s[4] = a2; p[0] = a1 * a1 + a2 * a2 - k[0] * a1 * a2;
    s[1] = b1; s[5] = b2; p[1] = b1 * b1 + b2 * b2 - k[1] * b1 * b2;
    s[2] = d1; s[6] = d2; p[2] = d1 * d1 + d2 * d2 - k[2] * d1 * d2;
    s[3] = e1; s[7] = e2; p[3] = e1 * e1 + e2 * e2 - k[3] * e1 * e2;
  }

  /**
   * `run`, also returning the block's energy without DC, Σ(x − mean)². The filter loop waits on
   * its multiply-add chains, so the two extra sums ride along for free and save a separate pass.
   * (The loop is written out again rather than shared: a callback would cost more than it holds.)
   */
  runWithEnergy(x: Int16Array, off: number): number {
    const k = this.k;
    const c0 = k[0];
    const c1 = k[1];
    const c2 = k[2];
    const c3 = k[3];
    let a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
    let sum = 0;
    let sq = 0;
    const end = off + this.blockSize;
    for (let i = off; i < end; i++) {
      const v = x[i];
      // An int32 sum (|Σx| < 2^31 for any block under 65536 samples) lives in an integer
      // register, leaving the floating-point ones to the filters.
      sum = (sum + v) | 0;
      sq += v * v;
      const a0 = v - a2 + c0 * a1;
      a2 = a1;
      a1 = a0;
      const b0 = v - b2 + c1 * b1;
      b2 = b1;
      b1 = b0;
      const d0 = v - d2 + c2 * d1;
      d2 = d1;
      d1 = d0;
      const e0 = v - e2 + c3 * e1;
      e2 = e1;
      e1 = e0;
    }
    // The coefficients are read again from k, not from c0..c3: keeping those locals alive past
    // the loop makes V8 allocate the loop's registers worse (measured: 1.4× slower filters).
    const s = this.state;
    const p = this.power;
    s[0] = a1; s[4] = a2; p[0] = a1 * a1 + a2 * a2 - k[0] * a1 * a2;
    s[1] = b1; s[5] = b2; p[1] = b1 * b1 + b2 * b2 - k[1] * b1 * b2;
    s[2] = d1; s[6] = d2; p[2] = d1 * d1 + d2 * d2 - k[2] * d1 * d2;
    s[3] = e1; s[7] = e2; p[3] = e1 * e1 + e2 * e2 - k[3] * e1 * e2;
    return sq - (sum * sum) / this.blockSize;
  }

  /**
   * The complex bin X_i = Σ x[n]·e^(−jω_i n) of the last block, written to out[0] (re), out[1] (im).
   * The filter gives y = s[N−1] − e^(−jω)·s[N−2] = e^(jω(N−1))·X.
   */
  phasor(i: number, out: Float64Array): void {
    const k = this.k;
    const s1 = this.state[i];
    const s2 = this.state[4 + i];
    const yRe = s1 - k[12 + i] * s2;
    const yIm = -k[16 + i] * s2;
    out[0] = yRe * k[4 + i] - yIm * k[8 + i];
    out[1] = yRe * k[8 + i] + yIm * k[4 + i];
  }
}

/** Bank constants by frequencies, block and rate: read-only once built. */
const BANK_CONSTANTS = new Map<string, Float64Array>();
