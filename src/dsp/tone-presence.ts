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
 *  - Otherwise one Goertzel pass over the block for the DTMF frequencies (ITU-T Q.23), kept as
 *    complex values so that two consecutive blocks combine coherently into one 10 ms window
 *    (X_window = X_a + e^{-jωB}·X_b) at no extra cost per sample: 10 ms windows every 5 ms. The pass
 *    is the channel's shared DtmfAnalysis (dtmf-analysis.ts), which the detector reads as well;
 *    the low group only runs for windows whose high group does not already rule DTMF out.
 *  - A window "looks like DTMF" when the strongest low-group and the strongest high-group
 *    frequency are each above TONE_FLOOR_DBM0, within the twist limits of each other, and together
 *    hold at least MIN_TONE_RATIO of the window's power. Level and twist limits are looser than
 *    Q.24's (levels down to −25 dBm0, twist +4/−8 dB): an attacker's sensitive detector looks down
 *    to −45 dBm0, and the masker must be looser than any detector.
 */
import { DtmfAnalysis, GATE_DBM0, HALF_MS } from './dtmf-analysis.ts';
import { dbm0ToRms } from './levels.ts';

/** Analysis block: 5 ms (the shared analysis's half, dtmf-analysis.ts). */
export const BLOCK_MS = HALF_MS;

/** Blocks below this mean power skip the Goertzel pass (see dtmf-analysis.ts). */
export { GATE_DBM0 };

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
 * reject) hold only 0.3–0.5 in a 10 ms window: the single-half test below masks them.
 */
export const MIN_TONE_RATIO = 0.65;

/**
 * The single-half test (`evaluateHalf`, for tones off frequency): share of the half's power the two
 * tones must hold, and the twist it allows each way. A 5 ms half's 200 Hz-wide bins also catch much
 * of the speech that 10 ms windows reject, so it is stricter than the window test. Measured on all
 * 16 keys at ±3% and ±3.5%, 40 and 80 ms, −10 dBm0, in silence and in noise (256 tones): with the
 * window test alone 170 of them leak (54% of their samples); with 0.72 and 4 dB / 4 dB none does.
 * The cost, on a minute of the synthetic speech of mask-speech-like.ts (seed 11): 1.2% of it
 * masked instead of 1.0%, 10 mask digits a detector finds in the output instead of 8 (the
 * talk-off test's limit is 10). 0.75 gives 9 but lets a few samples of one tone through; 0.7 with
 * 6 dB / 4 dB gives 11. Off-frequency tones with a large twist as well are left to the window test.
 */
export const HALF_MIN_TONE_RATIO = 0.72;
export const HALF_MAX_TWIST_LOW_LOUDER_DB = 4;
export const HALF_MAX_TWIST_HIGH_LOUDER_DB = 4;
const HALF_RATIO = HALF_MIN_TONE_RATIO;
const HALF_LOW = 10 ** (HALF_MAX_TWIST_LOW_LOUDER_DB / 10);
const HALF_HIGH = 10 ** (HALF_MAX_TWIST_HIGH_LOUDER_DB / 10);

/**
 * Block-wise DTMF presence decisions over a DtmfAnalysis: `evaluate` judges the 10 ms window
 * made of the last two halves fed to it. Used alone (`analyzeBlock`), it owns its analysis.
 */
export class TonePresence {
  readonly blockSize: number;
  /** The analysis read by `analyzeBlock` (a pipeline passes its shared one to `evaluate` instead). */
  readonly analysis: DtmfAnalysis;
  private readonly floorPower: number;
  private readonly highLouderRatio: number;
  private readonly lowLouderRatio: number;
  /** A window's power over its mean power, as |X|² over Σx²: 2|X|²/n² ÷ Σx²/n = 2|X|²/(n·Σx²). */
  private readonly toPower: number;
  private readonly windowSamples: number;
  private readonly halfToPower: number;

  /** @param analysis a shared analysis to judge (default: its own, fed by `analyzeBlock`) */
  constructor(sampleRate = 8000, analysis: DtmfAnalysis = new DtmfAnalysis(sampleRate)) {
    this.analysis = analysis;
    this.blockSize = this.analysis.blockSize;
    this.windowSamples = 2 * this.blockSize;
    const n = this.windowSamples;
    // A sine of amplitude A gives |X| ≈ A·n/2, so its power A²/2 is 2|X|²/n².
    this.toPower = 2 / (n * n);
    this.halfToPower = 2 / (this.blockSize * this.blockSize);
    const floorRms = dbm0ToRms(TONE_FLOOR_DBM0);
    this.floorPower = floorRms * floorRms;
    this.highLouderRatio = 10 ** (MAX_TWIST_HIGH_LOUDER_DB / 10);
    this.lowLouderRatio = 10 ** (MAX_TWIST_LOW_LOUDER_DB / 10);
  }

  /**
   * For the WebAssembly kernel (wasm/kernel.ts), which must judge with the very same numbers:
   * floor, high-louder and low-louder ratios, window and half power factors, window samples, the
   * single-half ratio and twists, MIN_TONE_RATIO.
   */
  kernelParams(): number[] {
    return [
      this.floorPower,
      this.highLouderRatio,
      this.lowLouderRatio,
      this.toPower,
      this.windowSamples,
      this.halfToPower,
      HALF_RATIO,
      HALF_LOW,
      HALF_HIGH,
      MIN_TONE_RATIO,
    ];
  }

  /** Back to the state of a new stream. */
  reset(): void {
    this.analysis.reset();
  }

  /** Feeds block `src[off .. off+blockSize)` to the own analysis and judges the window it ends. */
  analyzeBlock(src: Int16Array, off: number): boolean {
    this.analysis.feed(src, off);
    const hit = this.evaluate(this.analysis);
    this.analysis.release();
    return hit;
  }

  /** Ends the stream: the window of the last block followed by silence. */
  analyzeSilentBlock(): boolean {
    this.analysis.feedSilent();
    return this.evaluate(this.analysis);
  }

  /**
   * Whether the 10 ms window [previous half, last half] of `an` looks like a DTMF tone pair. The
   * high group is judged first: a hit needs high ≥ floor, and low ≤ high·R_low with
   * low + high ≥ MIN_TONE_RATIO·mean, hence high·(1 + R_low) ≥ MIN_TONE_RATIO·mean; a window
   * failing either cannot hit whatever its low group holds, so the low-group filters are spared.
   */
  evaluate(an: DtmfAnalysis): boolean {
    if (an.windowQuiet()) return false;
    return this.evaluateWindow(an) || this.evaluateHalf(an);
  }

  /**
   * The last 5 ms half alone, by the same tests. Its bins are 200 Hz wide where the window's are
   * 100 Hz: a tone 3.5% off frequency (57 Hz at 1633 Hz, which a Q.24 receiver rejects but a
   * looser detector may still read as a digit) keeps most of its power in a half's bin while it
   * falls out of the window's. Fail closed (design brief): such a tone is masked too.
   */
  private evaluateHalf(an: DtmfAnalysis): boolean {
    const s = an.slot;
    if (an.quiet[s] === 1) return false;
    const o = s * 8;
    const re = an.re;
    const im = an.im;
    let highMag = re[o + 4] * re[o + 4] + im[o + 4] * im[o + 4];
    let m = re[o + 5] * re[o + 5] + im[o + 5] * im[o + 5];
    if (m > highMag) highMag = m;
    m = re[o + 6] * re[o + 6] + im[o + 6] * im[o + 6];
    if (m > highMag) highMag = m;
    m = re[o + 7] * re[o + 7] + im[o + 7] * im[o + 7];
    if (m > highMag) highMag = m;
    const high = highMag * this.halfToPower;
    const meanPower = an.energy[s] / this.blockSize;
    if (high < this.floorPower) return false;
    if (high * (1 + HALF_LOW) < HALF_RATIO * meanPower) return false;
    an.lowLast();
    let lowMag = re[o] * re[o] + im[o] * im[o];
    m = re[o + 1] * re[o + 1] + im[o + 1] * im[o + 1];
    if (m > lowMag) lowMag = m;
    m = re[o + 2] * re[o + 2] + im[o + 2] * im[o + 2];
    if (m > lowMag) lowMag = m;
    m = re[o + 3] * re[o + 3] + im[o + 3] * im[o + 3];
    if (m > lowMag) lowMag = m;
    const low = lowMag * this.halfToPower;
    if (low < this.floorPower) return false;
    if (low > high * HALF_LOW || high > low * HALF_HIGH) return false;
    return low + high >= HALF_RATIO * meanPower;
  }

  private evaluateWindow(an: DtmfAnalysis): boolean {
    an.highWindow();
    const wr = an.winRe;
    const wi = an.winIm;
    let highMag = wr[4] * wr[4] + wi[4] * wi[4];
    let m = wr[5] * wr[5] + wi[5] * wi[5];
    if (m > highMag) highMag = m;
    m = wr[6] * wr[6] + wi[6] * wi[6];
    if (m > highMag) highMag = m;
    m = wr[7] * wr[7] + wi[7] * wi[7];
    if (m > highMag) highMag = m;
    const high = highMag * this.toPower;
    const meanPower = an.windowEnergy() / this.windowSamples;
    if (high < this.floorPower) return false;
    if (high * (1 + this.lowLouderRatio) < MIN_TONE_RATIO * meanPower) return false;
    an.lowWindow();
    let lowMag = wr[0] * wr[0] + wi[0] * wi[0];
    m = wr[1] * wr[1] + wi[1] * wi[1];
    if (m > lowMag) lowMag = m;
    m = wr[2] * wr[2] + wi[2] * wi[2];
    if (m > lowMag) lowMag = m;
    m = wr[3] * wr[3] + wi[3] * wi[3];
    if (m > lowMag) lowMag = m;
    const low = lowMag * this.toPower;
    if (low < this.floorPower) return false;
    if (low > high * this.lowLouderRatio || high > low * this.highLouderRatio) return false;
    return low + high >= MIN_TONE_RATIO * meanPower;
  }
}
