/**
 * Per-block DTMF analysis: the 8 Goertzel filters over one 10 ms block and the tests that make a
 * block "looks like key K". The duration, interruption and frequency-deviation rules of ITU-T Q.24
 * live in the detector's state machine (detector.ts); this module only judges one block.
 *
 * Energies are in "sine energy" units: a sine of peak A filling the block gives e = A²·N/2, the
 * same as its Σx², so tone energies and block energy compare directly (e_i = 2·|X_i|²/N).
 */
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from './dtmf-keys.ts';
import type { DtmfAnalysis } from './dtmf-analysis.ts';
import { GoertzelBank4, blockAcEnergy } from './goertzel.ts';
import { dbm0ToPeak } from './levels.ts';

/** Returned by `analyze` when the block is not a DTMF key. */
export const NO_KEY = -1;

/**
 * Block length. 10 ms (80 samples at 8 kHz) is chosen against the duration rows of Q.24:
 * - a 40 ms tone always fills ≥ 3 whole blocks, and a block at most ~73% covered by a tone fails
 *   the energy-ratio test, so ≥ 3 valid blocks needs a tone of at least ~25 ms: 23 ms is rejected;
 * - a 10 ms interruption spoils at most 2 blocks, while a 40 ms pause empties at least 3 whole
 *   blocks, so "end the digit after 3 bad blocks" bridges the first and always honours the second;
 * - the bin is 100 Hz wide: the other group's tone (≥ 268 Hz away) leaks in at ≤ −20 dB, and the
 *   ±50 Hz range of the block-to-block phase step covers the ±1.5% and ±3.5% deviations of every
 *   tone except 1477 Hz and 1633 Hz at ±3.5% (52 and 57 Hz), which alias to 3.3% and 2.6% and
 *   which the purity test rejects as well (such a tone keeps ≤ 38% of its energy in the bin).
 * Why not spandsp's 102-sample blocks: at that length a 23 ms burst can leave two valid blocks and
 * a 40 ms tone only two whole ones, so duration could not be judged with any margin.
 */
export const BLOCK_MS = 10;

/** Tuning of the per-block tests; each default says why. */
export interface BlockTestOptions {
  /** Weakest tone accepted, dBm0. Q.24 accepts down to −25 dBm0 per tone with up to 8 dB twist on
   * top, and rejects −55 dBm0: −38 keeps 5 dB margin below −33 and 17 dB above −55. */
  minToneDbm0: number;
  /** Both tones together must hold this share of the block energy: real DTMF ≥ 0.83 even at ±1.5%
   * deviation with 15 dB SNR, speech and noise rarely do; it also rejects blocks a tone covers by
   * less than ~73%, which is what makes the 23 ms rejection work. */
  minToneShare: number;
  /** Each tone against everything that is not the other tone (noise, leakage, a tone far off its
   * nominal frequency). Per block this is only a coarse screen: a weak tone in noise swings a lot
   * from block to block, so the detector checks the stricter average over the whole digit. */
  minPurity: number;
  /** Twist limits, high-group minus low-group energy in dB, per block; as for purity the digit's
   * average gets the strict limits (detector.ts), a single noisy block only these loose ones. */
  maxTwistHighDb: number;
  maxTwistLowDb: number;
  /** Strongest tone over the second strongest of its group, per block (the digit's average gets
   * the strict limits in detector.ts). The second strongest bin is raw, so for a tone 8 dB under
   * the other group it includes that tone's leakage and noise: only a loose 3 dB here. */
  minLowDominance: number;
  minHighDominance: number;
}

export const DEFAULT_BLOCK_TESTS: BlockTestOptions = {
  minToneDbm0: -38,
  minToneShare: 0.72,
  minPurity: 0.2,
  maxTwistHighDb: 9,
  maxTwistLowDb: 14,
  minLowDominance: 2,
  minHighDominance: 2,
};

/**
 * Judges 10 ms blocks. Exposed for the masker and the verifier, which may want the raw per-block
 * view: after `analyze`, `energy`, `lowEnergy`/`highEnergy` (per tone, sine-energy units, valid
 * when `lowComputed`/`highComputed`), `row` and `col` describe the block.
 */
export class DtmfBlockAnalyzer {
  readonly blockSize: number;
  readonly sampleRate: number;
  readonly low: GoertzelBank4;
  readonly high: GoertzelBank4;
  /** Σ(x − mean)² of the last block (its energy without DC). */
  energy = 0;
  /** Per-tone energies of the last block (2·|X|²/N). */
  readonly lowEnergy = new Float64Array(4);
  readonly highEnergy = new Float64Array(4);
  lowComputed = false;
  highComputed = false;
  /** Strongest low (row) and high (column) tone of the last block, when computed. */
  row = -1;
  col = -1;
  /**
   * The pair (row, col) fitted jointly by least squares, when both groups were computed: each
   * tone's energy and complex amplitude (x ≈ Re{c·e^(jωn)}, phase referenced to the block start)
   * with the other tone's leakage into its bin removed. A 941 Hz tone 8 dB over a 1209 Hz one
   * leaks into the 1209 Hz bin at a quarter of that tone's amplitude in a 10 ms block, which would
   * swing its measured level by ±2 dB and its phase by ±0.25 rad.
   */
  pairLowEnergy = 0;
  pairHighEnergy = 0;
  /** Raw energy of the second strongest bin of each group. */
  secondLowEnergy = 0;
  secondHighEnergy = 0;
  readonly pairLow = new Float64Array(2);
  readonly pairHigh = new Float64Array(2);

  private readonly gate: number;
  private readonly toneFloor: number;
  private readonly share: number;
  private readonly purity: number;
  private readonly twistHigh: number;
  private readonly twistLow: number;
  private readonly domLow: number;
  private readonly domHigh: number;
  private readonly toEnergy: number;

  constructor(sampleRate = 8000, tests: BlockTestOptions = DEFAULT_BLOCK_TESTS) {
    this.sampleRate = sampleRate;
    this.blockSize = Math.round((BLOCK_MS * sampleRate) / 1000);
    const n = this.blockSize;
    this.low = new GoertzelBank4(LOW_GROUP_HZ, n, sampleRate);
    this.high = new GoertzelBank4(HIGH_GROUP_HZ, n, sampleRate);
    const floorPeak = dbm0ToPeak(tests.minToneDbm0);
    this.toneFloor = (floorPeak * floorPeak * n) / 2;
    // Both tones must reach the floor and together they cannot hold much more than the block's
    // energy, so a block under one floor's worth of energy is silence: skipping it changes no verdict.
    this.gate = this.toneFloor;
    this.share = tests.minToneShare;
    this.purity = tests.minPurity;
    this.twistHigh = 10 ** (tests.maxTwistHighDb / 10);
    this.twistLow = 10 ** (-tests.maxTwistLowDb / 10);
    this.domLow = tests.minLowDominance;
    this.domHigh = tests.minHighDominance;
    this.toEnergy = 2 / n;
    let inverses = PAIR_INVERSES.get(sampleRate);
    if (inverses === undefined) {
      inverses = pairInverses(LOW_GROUP_HZ, HIGH_GROUP_HZ, n, sampleRate);
      PAIR_INVERSES.set(sampleRate, inverses);
    }
    this.pairInverse = inverses;
  }

  private readonly pairInverse: Float64Array;

  /** For the WebAssembly kernel (wasm/kernel.ts): the per-block thresholds and the pair-fit inverses. */
  kernelParams(): { values: number[]; pairInverse: Float64Array } {
    return {
      values: [this.gate, this.toneFloor, this.share, this.purity, this.twistHigh, this.twistLow, this.domLow, this.domHigh, this.toEnergy, this.blockSize],
      pairInverse: this.pairInverse,
    };
  }
  /** Whether the last block analysed was above the silence gate. */
  private lastSounded = false;

  /**
   * Least-squares fit of p_l·cos ω_l n + q_l·sin ω_l n + p_h·cos ω_h n + q_h·sin ω_h n to the block:
   * the bins are the projections on those four functions, so θ = G⁻¹·m with G their Gram matrix.
   */
  private fitPair(row: number, col: number): void {
    const zl = PHASOR_LOW;
    const zh = PHASOR_HIGH;
    this.low.phasor(row, zl);
    this.high.phasor(col, zh);
    this.fitPhasors(row, col, zl[0], zl[1], zh[0], zh[1]);
  }

  /** The fit from the block's complex bins X_l = lRe + j·lIm and X_h (referenced to the block start). */
  private fitPhasors(row: number, col: number, lRe: number, lIm: number, hRe: number, hIm: number): void {
    // m = [Σx·cos ω_l n, Σx·sin ω_l n, Σx·cos ω_h n, Σx·sin ω_h n]; X = Σx·e^(−jωn) = Σx·cos − j·Σx·sin.
    const m0 = lRe;
    const m1 = -lIm;
    const m2 = hRe;
    const m3 = -hIm;
    const g = this.pairInverse;
    const b = (row * 4 + col) * 16;
    const pl = g[b] * m0 + g[b + 1] * m1 + g[b + 2] * m2 + g[b + 3] * m3;
    const ql = g[b + 4] * m0 + g[b + 5] * m1 + g[b + 6] * m2 + g[b + 7] * m3;
    const ph = g[b + 8] * m0 + g[b + 9] * m1 + g[b + 10] * m2 + g[b + 11] * m3;
    const qh = g[b + 12] * m0 + g[b + 13] * m1 + g[b + 14] * m2 + g[b + 15] * m3;
    const half = this.blockSize / 2;
    this.pairLowEnergy = (pl * pl + ql * ql) * half;
    this.pairHighEnergy = (ph * ph + qh * qh) * half;
    // p·cos + q·sin = Re{(p − jq)·e^(jωn)}
    this.pairLow[0] = pl;
    this.pairLow[1] = -ql;
    this.pairHigh[0] = ph;
    this.pairHigh[1] = -qh;
  }

  /**
   * Judges x[off .. off+blockSize-1]; returns the key index (row·4 + col, the order of DTMF_KEYS)
   * or NO_KEY. Silent blocks (under one tone floor of energy) skip all filters: their tone
   * energies read as zero. With `full` false, blocks with no high-group tone strong enough also
   * skip the low group (speech has little energy up there, so most speech blocks cost one energy
   * pass and four filters). With `full` true every block that is not silent gets both groups, for
   * callers that need the tone energies whatever the verdict. The shortcuts never change a verdict.
   */
  analyze(x: Int16Array, off: number, full: boolean): number {
    const n = this.blockSize;
    // Sound tends to follow sound: after a block that was not silent, the energy is taken in the
    // same pass as the high-group filters; after silence, alone first, so silence stays cheap.
    const fused = this.lastSounded;
    const e = fused ? this.high.runWithEnergy(x, off) : blockAcEnergy(x, off, n);
    this.energy = e;
    this.row = -1;
    this.col = -1;
    this.lastSounded = e >= this.gate;
    if (e < this.gate) {
      // No tone can reach the floor here, and a tone's energy is bounded by the block's: zero is a
      // fair reading for a caller that wants the tone energies (the detector's trailing edge).
      const le = this.lowEnergy;
      const he = this.highEnergy;
      le[0] = 0;
      le[1] = 0;
      le[2] = 0;
      le[3] = 0;
      he[0] = 0;
      he[1] = 0;
      he[2] = 0;
      he[3] = 0;
      this.lowComputed = full;
      this.highComputed = full;
      return NO_KEY;
    }
    this.lowComputed = false;
    this.highComputed = false;

    const k = this.toEnergy;
    if (!fused) this.high.run(x, off);
    this.highComputed = true;
    const hp = this.high.power;
    const he = this.highEnergy;
    let col = 0;
    let h1 = 0;
    let h2 = 0;
    for (let i = 0; i < 4; i++) {
      const v = hp[i] * k;
      he[i] = v;
      if (v > h1) {
        h2 = h1;
        h1 = v;
        col = i;
      } else if (v > h2) {
        h2 = v;
      }
    }
    this.col = col;
    // A DTMF high tone is at most 10 dB under the low one, so it holds ≥ 6.5% of the block; its raw
    // bin may read up to ~2 dB low from leakage (see fitPair), hence 3% here and half the floor.
    if (!full && (h1 < 0.5 * this.toneFloor || h1 < 0.03 * e)) return NO_KEY;

    this.low.run(x, off);
    this.lowComputed = true;
    const lp = this.low.power;
    const le = this.lowEnergy;
    let row = 0;
    let l1 = 0;
    let l2 = 0;
    for (let i = 0; i < 4; i++) {
      const v = lp[i] * k;
      le[i] = v;
      if (v > l1) {
        l2 = l1;
        l1 = v;
        row = i;
      } else if (v > l2) {
        l2 = v;
      }
    }
    this.row = row;
    this.secondLowEnergy = l2;
    this.secondHighEnergy = h2;

    this.fitPair(row, col);
    return this.judgePair(e, row, col, l2, h2);
  }

  /**
   * What `analyze(x, off, false)` leaves in `highEnergy` for a block that is no key, into `out`,
   * and whether it computed them (`highComputed`): false for a silent block. For a caller that
   * skipped the block (DtmfDetector with a BlockGate) and needs them after all. Runs the high
   * bank again, so call it after the current block's results have been read from the bank.
   */
  highGroupOf(x: Int16Array, off: number, out: Float64Array): boolean {
    if (blockAcEnergy(x, off, this.blockSize) < this.gate) return false;
    this.high.run(x, off);
    const hp = this.high.power;
    const k = this.toEnergy;
    out[0] = hp[0] * k;
    out[1] = hp[1] * k;
    out[2] = hp[2] * k;
    out[3] = hp[3] * k;
    return true;
  }

  /** The tests on the fitted pair (both groups computed, `row`/`col` their strongest tones). */
  private judgePair(e: number, row: number, col: number, l2: number, h2: number): number {
    const lt = this.pairLowEnergy;
    const ht = this.pairHighEnergy;
    if (lt < this.toneFloor || ht < this.toneFloor) return NO_KEY;
    if (lt + ht < this.share * e) return NO_KEY;
    if (ht > this.twistHigh * lt || ht < this.twistLow * lt) return NO_KEY;
    if (lt < this.domLow * l2 || ht < this.domHigh * h2) return NO_KEY;
    if (ht < this.purity * (e - lt) || lt < this.purity * (e - ht)) return NO_KEY;
    return row * 4 + col;
  }

  /**
   * `analyze` for the block made of the last two halves fed to a shared DtmfAnalysis (which must
   * be the block's own halves: an even number of halves fed, 2·half = blockSize). The 10 ms bins
   * are the coherent sums of the halves' bins (dtmf-analysis.ts): the same DFT values as the
   * block's own filters, up to rounding, so the verdicts are the same. Halves under the analysis's
   * gate (−60 dBm0, 22 dB under the weakest tone accepted here) read as zero in the bins.
   */
  analyzeWindow(an: DtmfAnalysis, full: boolean): number {
    const n = this.blockSize;
    const sum = an.windowSum();
    const e = an.windowEnergy() - (sum * sum) / n;
    this.energy = e;
    this.row = -1;
    this.col = -1;
    this.lastSounded = e >= this.gate;
    const le = this.lowEnergy;
    const he = this.highEnergy;
    if (e < this.gate) {
      le[0] = 0;
      le[1] = 0;
      le[2] = 0;
      le[3] = 0;
      he[0] = 0;
      he[1] = 0;
      he[2] = 0;
      he[3] = 0;
      this.lowComputed = full;
      this.highComputed = full;
      return NO_KEY;
    }
    this.lowComputed = false;
    const k = this.toEnergy;
    an.highWindow();
    const wr = an.winRe;
    const wi = an.winIm;
    this.highComputed = true;
    let col = 0;
    let h1 = 0;
    let h2 = 0;
    for (let i = 0; i < 4; i++) {
      const v = (wr[4 + i] * wr[4 + i] + wi[4 + i] * wi[4 + i]) * k;
      he[i] = v;
      if (v > h1) {
        h2 = h1;
        h1 = v;
        col = i;
      } else if (v > h2) {
        h2 = v;
      }
    }
    this.col = col;
    // The same screen as `analyze`.
    if (!full && (h1 < 0.5 * this.toneFloor || h1 < 0.03 * e)) return NO_KEY;

    an.lowWindow();
    this.lowComputed = true;
    let row = 0;
    let l1 = 0;
    let l2 = 0;
    for (let i = 0; i < 4; i++) {
      const v = (wr[i] * wr[i] + wi[i] * wi[i]) * k;
      le[i] = v;
      if (v > l1) {
        l2 = l1;
        l1 = v;
        row = i;
      } else if (v > l2) {
        l2 = v;
      }
    }
    this.row = row;
    this.secondLowEnergy = l2;
    this.secondHighEnergy = h2;
    // The two fitted bins as DFT values referenced to the block start (the window holds y values).
    const pr = an.toStartRe;
    const pi = an.toStartIm;
    const h = 4 + col;
    this.fitPhasors(
      row,
      col,
      wr[row] * pr[row] - wi[row] * pi[row],
      wr[row] * pi[row] + wi[row] * pr[row],
      wr[h] * pr[h] - wi[h] * pi[h],
      wr[h] * pi[h] + wi[h] * pr[h],
    );
    return this.judgePair(e, row, col, l2, h2);
  }
}

/** Scratch for fitPair: analysis is synchronous, so one pair serves every analyzer. */
const PHASOR_LOW = new Float64Array(2);
const PHASOR_HIGH = new Float64Array(2);

/** Read-only after construction, so shared by every analyzer at that rate (a channel is cheap to open). */
const PAIR_INVERSES = new Map<number, Float64Array>();

/**
 * For each (row, col) pair, the inverse of the 4×4 Gram matrix of cos/sin at the two nominal
 * frequencies over one block, row-major, 16 numbers per pair at index (row·4 + col)·16.
 */
function pairInverses(lowHz: readonly number[], highHz: readonly number[], n: number, sampleRate: number): Float64Array {
  const out = new Float64Array(16 * 16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const wl = (2 * Math.PI * lowHz[r]) / sampleRate;
      const wh = (2 * Math.PI * highHz[c]) / sampleRate;
      const basis = (k: number, t: number): number =>
        k === 0 ? Math.cos(wl * t) : k === 1 ? Math.sin(wl * t) : k === 2 ? Math.cos(wh * t) : Math.sin(wh * t);
      const g = new Float64Array(16);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let sum = 0;
          for (let t = 0; t < n; t++) sum += basis(i, t) * basis(j, t);
          g[i * 4 + j] = sum;
        }
      }
      out.set(invert4(g), (r * 4 + c) * 16);
    }
  }
  return out;
}

/** Gauss–Jordan inverse of a 4×4 matrix (well conditioned here: the basis is nearly orthogonal). */
function invert4(m: Float64Array): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(16);
  for (let i = 0; i < 4; i++) inv[i * 4 + i] = 1;
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[r * 4 + col]) > Math.abs(a[pivot * 4 + col])) pivot = r;
    for (let k = 0; k < 4; k++) {
      const t = a[col * 4 + k];
      a[col * 4 + k] = a[pivot * 4 + k];
      a[pivot * 4 + k] = t;
      const u = inv[col * 4 + k];
      inv[col * 4 + k] = inv[pivot * 4 + k];
      inv[pivot * 4 + k] = u;
    }
    const d = a[col * 4 + col];
    for (let k = 0; k < 4; k++) {
      a[col * 4 + k] /= d;
      inv[col * 4 + k] /= d;
    }
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = a[r * 4 + col];
      if (f === 0) continue;
      for (let k = 0; k < 4; k++) {
        a[r * 4 + k] -= f * a[col * 4 + k];
        inv[r * 4 + k] -= f * inv[col * 4 + k];
      }
    }
  }
  return inv;
}
