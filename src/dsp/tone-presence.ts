/**
 * The masker's own tone-onset analysis: "could this stretch of audio hold a DTMF tone?".
 *
 * It is not the Q.24 detector (src/dsp/detector.ts). A detector must not report a digit that is
 * not there; the masker must not let through one that is (fail closed, design brief). So this
 * analysis needs no digit identity, no duration check and no interruption logic, only a fast and
 * generous answer per few milliseconds:
 *
 *  - Audio is cut into fixed blocks of BLOCK_MS (5 ms, 40 samples at 8 kHz) at absolute stream
 *    positions, so every decision is the same whatever the caller's chunking.
 *  - Cheap energy gate: a block whose mean power is below GATE_DBM0 cannot hold a tone loud enough
 *    to matter; in pauses (most of a call) only the energy is computed, the Goertzel pass skipped.
 *  - Otherwise one Goertzel pass over the block for the 8 DTMF frequencies (ITU-T Q.23), kept as
 *    complex values so that two consecutive blocks combine coherently into one 10 ms window
 *    (X_window = X_a + e^{-jωB}·X_b) at no extra cost per sample: 10 ms windows every 5 ms.
 *  - A window "looks like DTMF" when the strongest low-group and the strongest high-group
 *    frequency are each above TONE_FLOOR_DBM0, within the twist limits of each other, and together
 *    hold at least MIN_TONE_RATIO of the window's power. Level and twist limits are looser than
 *    Q.24's (levels down to −25 dBm0, twist +4/−8 dB): an attacker's sensitive detector looks down
 *    to −45 dBm0, and the masker must be looser than any detector.
 */
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from './dtmf-keys.ts';
import { dbm0ToRms } from './levels.ts';

/** Analysis block: 5 ms. Shorter blocks mean less lookahead needed, more per-block overhead. */
export const BLOCK_MS = 5;

/**
 * Blocks below this mean power skip the Goertzel pass. 15 dB under the quietest fragment we
 * promise to catch (−45 dBm0 per tone), so a block only a few samples into such a tone still passes.
 */
export const GATE_DBM0 = -60;

/** Each of the two tones of a window must be at least this loud (estimated over the window). */
export const TONE_FLOOR_DBM0 = -58;

/**
 * Largest level difference between the two tones still treated as DTMF, each way. Q.24 asks
 * receivers to accept the high group 4 dB louder and the low group 8 dB louder; these limits leave
 * 6 and 4 dB more for sensitive detectors (and the ±1.5% deviation's scalloping, up to 1 dB), and
 * still reject one pure tone (its leakage into the other group's bins is more than 20 dB down) and
 * most vowels (whose strongest low-group harmonic is typically 10–20 dB above the high-group one:
 * the limit of 12 dB rather than 20 cuts the masking of speech-like audio sixfold).
 */
export const MAX_TWIST_HIGH_LOUDER_DB = 10;
export const MAX_TWIST_LOW_LOUDER_DB = 12;

/**
 * Share of the window's power that the two strongest DTMF frequencies must hold. Measured over the
 * leak test set (all keys, 0 to −45 dBm0, twist +4/−8 dB, ±1.5% deviation, 15 dB SNR): windows
 * inside a tone hold at least 0.74; the limiting case is a 10 ms burst, which fills at best 3/4 of
 * a window and stops being masked from a threshold of 0.73. 0.65 keeps a margin below that while
 * masking 1% of the (very tonal) synthetic speech of mask-speech-like.ts and 0.2–0.7% of espeak-ng
 * speech (0.6 would mask 1.6% and 1–1.2%). Tones 3.5% off frequency (which Q.24 receivers must
 * reject) hold only 0.3–0.5 and are not reliably masked.
 */
export const MIN_TONE_RATIO = 0.65;

const FREQS: readonly number[] = [...LOW_GROUP_HZ, ...HIGH_GROUP_HZ];

interface Coefficients {
  coef: Float64Array;
  cosW: Float64Array;
  sinW: Float64Array;
  rotRe: Float64Array;
  rotIm: Float64Array;
}

const coefficientCache = new Map<number, Coefficients>();

/** Per-rate constants, built once and shared: per-channel memory is then only the state. */
function coefficientsFor(sampleRate: number, blockSize: number): Coefficients {
  let k = coefficientCache.get(sampleRate);
  if (!k) {
    k = { coef: new Float64Array(8), cosW: new Float64Array(8), sinW: new Float64Array(8), rotRe: new Float64Array(8), rotIm: new Float64Array(8) };
    for (let f = 0; f < 8; f++) {
      const w = (2 * Math.PI * FREQS[f]) / sampleRate;
      k.coef[f] = 2 * Math.cos(w);
      k.cosW[f] = Math.cos(w);
      k.sinW[f] = Math.sin(w);
      k.rotRe[f] = Math.cos(w * blockSize);
      k.rotIm[f] = -Math.sin(w * blockSize);
    }
    coefficientCache.set(sampleRate, k);
  }
  return k;
}

/**
 * Block-wise DTMF presence analysis. Feed exactly `blockSize` samples per `analyzeBlock` call;
 * the result says whether the 2-block window ending with this block looks like a DTMF tone pair.
 * Holds its coefficients and the previous block's complex Goertzel values: no allocation per block.
 */
export class TonePresence {
  readonly blockSize: number;
  // Constants of the sample rate, shared by every channel at that rate (see coefficientsFor).
  private readonly coef: Float64Array; // 2 cos ω
  private readonly cosW: Float64Array;
  private readonly sinW: Float64Array;
  private readonly rotRe: Float64Array; // e^{-jωB}: phase of a block relative to the one before
  private readonly rotIm: Float64Array;
  // Swapped, not copied, after each block.
  private prevRe = new Float64Array(8);
  private prevIm = new Float64Array(8);
  private curRe = new Float64Array(8);
  private curIm = new Float64Array(8);
  private prevEnergy = 0;
  private prevQuiet = true;
  private readonly gateEnergy: number;
  private readonly floorPower: number;
  private readonly highLouderRatio: number;
  private readonly lowLouderRatio: number;

  constructor(sampleRate = 8000) {
    this.blockSize = Math.max(1, Math.round((BLOCK_MS * sampleRate) / 1000));
    const b = this.blockSize;
    const k = coefficientsFor(sampleRate, b);
    this.coef = k.coef;
    this.cosW = k.cosW;
    this.sinW = k.sinW;
    this.rotRe = k.rotRe;
    this.rotIm = k.rotIm;
    const gateRms = dbm0ToRms(GATE_DBM0);
    this.gateEnergy = gateRms * gateRms * b;
    const floorRms = dbm0ToRms(TONE_FLOOR_DBM0);
    this.floorPower = floorRms * floorRms;
    this.highLouderRatio = 10 ** (MAX_TWIST_HIGH_LOUDER_DB / 10);
    this.lowLouderRatio = 10 ** (MAX_TWIST_LOW_LOUDER_DB / 10);
  }

  /** Back to the state of a new stream. */
  reset(): void {
    this.prevRe.fill(0);
    this.prevIm.fill(0);
    this.prevEnergy = 0;
    this.prevQuiet = true;
  }

  /**
   * Analyses block `src[off .. off+blockSize)` and returns true when the 10 ms window made of the
   * previous block and this one looks like a DTMF tone pair.
   */
  analyzeBlock(src: Int16Array, off: number): boolean {
    const b = this.blockSize;
    const end = off + b;
    const curRe = this.curRe;
    const curIm = this.curIm;
    let energy: number;
    let quiet: boolean;
    if (this.prevQuiet) {
      // In a pause: the energy alone first, the Goertzel pass only if the gate opens.
      energy = 0;
      for (let i = off; i < end; i++) {
        const x = src[i];
        energy += x * x;
      }
      quiet = energy < this.gateEnergy;
      if (!quiet) this.goertzel(src, off, end);
    } else {
      // In sound (the next block is most likely sound too): one pass computes both.
      energy = this.goertzel(src, off, end);
      quiet = energy < this.gateEnergy;
    }
    if (quiet) {
      for (let f = 0; f < 8; f++) curRe[f] = curIm[f] = 0;
    }
    let hit = false;
    this.lastRatio = 0;
    if (!(quiet && this.prevQuiet)) hit = this.evaluateWindow(energy);
    // Shift: this block becomes the previous one.
    this.curRe = this.prevRe;
    this.curIm = this.prevIm;
    this.prevRe = curRe;
    this.prevIm = curIm;
    this.prevEnergy = energy;
    this.prevQuiet = quiet;
    return hit;
  }

  /** Ends the stream: the window of the last block followed by silence. */
  analyzeSilentBlock(): boolean {
    this.curRe.fill(0);
    this.curIm.fill(0);
    const hit = this.prevQuiet ? false : this.evaluateWindow(0);
    this.prevRe.fill(0);
    this.prevIm.fill(0);
    this.prevEnergy = 0;
    this.prevQuiet = true;
    return hit;
  }

  /**
   * One pass of 8 Goertzel recurrences, unrolled into locals so the JIT keeps them in registers.
   * Stores Y = e^{jωB}·X for each frequency (X the block's DFT value at ω relative to its start);
   * returns the block's energy.
   */
  private goertzel(src: Int16Array, off: number, end: number): number {
    const c = this.coef;
    const c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5], c6 = c[6], c7 = c[7];
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // s[n-1]
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0; // s[n-2]
    // Four samples per iteration, alternating which variable holds s[n] and s[n-1], so the state
    // never needs shuffling (about 20% faster than one sample per iteration).
    let e = 0; // the block's energy rides along as a ninth independent chain
    let i = off;
    for (; i + 3 < end; i += 4) {
      const x = src[i];
      const y = src[i + 1];
      const z = src[i + 2];
      const w = src[i + 3];
      e += x * x + y * y + z * z + w * w;
      b0 = x + c0 * a0 - b0; a0 = y + c0 * b0 - a0; b0 = z + c0 * a0 - b0; a0 = w + c0 * b0 - a0;
      b1 = x + c1 * a1 - b1; a1 = y + c1 * b1 - a1; b1 = z + c1 * a1 - b1; a1 = w + c1 * b1 - a1;
      b2 = x + c2 * a2 - b2; a2 = y + c2 * b2 - a2; b2 = z + c2 * a2 - b2; a2 = w + c2 * b2 - a2;
      b3 = x + c3 * a3 - b3; a3 = y + c3 * b3 - a3; b3 = z + c3 * a3 - b3; a3 = w + c3 * b3 - a3;
      b4 = x + c4 * a4 - b4; a4 = y + c4 * b4 - a4; b4 = z + c4 * a4 - b4; a4 = w + c4 * b4 - a4;
      b5 = x + c5 * a5 - b5; a5 = y + c5 * b5 - a5; b5 = z + c5 * a5 - b5; a5 = w + c5 * b5 - a5;
      b6 = x + c6 * a6 - b6; a6 = y + c6 * b6 - a6; b6 = z + c6 * a6 - b6; a6 = w + c6 * b6 - a6;
      b7 = x + c7 * a7 - b7; a7 = y + c7 * b7 - a7; b7 = z + c7 * a7 - b7; a7 = w + c7 * b7 - a7;
    }
    for (; i < end; i++) {
      // Block lengths not a multiple of 4 (sample rates other than multiples of 800 Hz).
      const x = src[i];
      e += x * x;
      let t: number;
      t = x + c0 * a0 - b0; b0 = a0; a0 = t;
      t = x + c1 * a1 - b1; b1 = a1; a1 = t;
      t = x + c2 * a2 - b2; b2 = a2; a2 = t;
      t = x + c3 * a3 - b3; b3 = a3; a3 = t;
      t = x + c4 * a4 - b4; b4 = a4; a4 = t;
      t = x + c5 * a5 - b5; b5 = a5; a5 = t;
      t = x + c6 * a6 - b6; b6 = a6; a6 = t;
      t = x + c7 * a7 - b7; b7 = a7; a7 = t;
    }
    // Y = s[N] − e^{−jω} s[N−1] with s[N] = 2cosω s[N−1] − s[N−2]  ⇒  Y = cosω·s1 − s2 + j sinω·s1.
    const cw = this.cosW;
    const sw = this.sinW;
    const re = this.curRe;
    const im = this.curIm;
    re[0] = cw[0] * a0 - b0; im[0] = sw[0] * a0;
    re[1] = cw[1] * a1 - b1; im[1] = sw[1] * a1;
    re[2] = cw[2] * a2 - b2; im[2] = sw[2] * a2;
    re[3] = cw[3] * a3 - b3; im[3] = sw[3] * a3;
    re[4] = cw[4] * a4 - b4; im[4] = sw[4] * a4;
    re[5] = cw[5] * a5 - b5; im[5] = sw[5] * a5;
    re[6] = cw[6] * a6 - b6; im[6] = sw[6] * a6;
    re[7] = cw[7] * a7 - b7; im[7] = sw[7] * a7;
    return e;
  }

  /** Decision over the window [previous block, current block]. */
  private evaluateWindow(curEnergy: number): boolean {
    const pr = this.prevRe, pi = this.prevIm, cr = this.curRe, ci = this.curIm;
    const rr = this.rotRe, ri = this.rotIm;
    const mag = this.lastPowers;
    // |X_window|² = |Y_prev + e^{−jωB}·Y_cur|²: the current block's phase moved back by one block.
    for (let f = 0; f < 8; f++) {
      const re = pr[f] + rr[f] * cr[f] - ri[f] * ci[f];
      const im = pi[f] + rr[f] * ci[f] + ri[f] * cr[f];
      mag[f] = re * re + im * im;
    }
    let lowMag = mag[0];
    if (mag[1] > lowMag) lowMag = mag[1];
    if (mag[2] > lowMag) lowMag = mag[2];
    if (mag[3] > lowMag) lowMag = mag[3];
    let highMag = mag[4];
    if (mag[5] > highMag) highMag = mag[5];
    if (mag[6] > highMag) highMag = mag[6];
    if (mag[7] > highMag) highMag = mag[7];
    // A sine of amplitude A gives |X| ≈ A·n/2, so its power A²/2 is 2|X|²/n².
    const n = 2 * this.blockSize;
    const toPower = 2 / (n * n);
    const low = lowMag * toPower;
    const high = highMag * toPower;
    const meanPower = (this.prevEnergy + curEnergy) / n;
    this.lastLowPower = low;
    this.lastHighPower = high;
    this.lastRatio = meanPower > 0 ? (low + high) / meanPower : 0;
    const floor = this.floorPower;
    if (low < floor || high < floor) return false;
    if (low > high * this.lowLouderRatio || high > low * this.highLouderRatio) return false;
    return low + high >= MIN_TONE_RATIO * meanPower;
  }

  /**
   * Figures of the last window evaluated (for calibration and tests): strongest low- and
   * high-group power and their share of the window's power. Zero when the window was skipped.
   */
  /** |X|² of each of the 8 frequencies (low group first) over the last window evaluated. */
  readonly lastPowers = new Float64Array(8);
  lastLowPower = 0;
  lastHighPower = 0;
  lastRatio = 0;
}
