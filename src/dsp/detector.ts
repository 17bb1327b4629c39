/**
 * The DTMF receiver (ITU-T Q.24, AT&T column): 10 ms Goertzel blocks judged by detector-block.ts,
 * then a per-digit state machine for the rules that span blocks:
 * - duration: a digit needs ≥ 3 valid blocks and an estimated length ≥ 30 ms (accept ≥ 40 ms,
 *   reject ≤ 23 ms);
 * - interruption: up to 2 bad blocks inside a digit are bridged (a 10 ms gap spoils at most 2),
 *   3 end it (a 40 ms pause empties at least 3);
 * - frequency deviation (accept ±1.5%, reject ±3.5%): measured from the phase step of each tone's
 *   DFT bin from one block to the next, averaged over the whole digit; the limit is ±2.5%;
 * - twist, purity and in-group dominance: loose per block, strict on the digit's sums, because a
 *   tone 8 dB under the other in 15 dB of noise swings by ±2 dB from one 10 ms block to the next;
 * - edges: the partial blocks at both ends are measured by their tone amplitude against the
 *   digit's strongest block, which puts start and end within 3 ms of the real tone edges (clean
 *   or at 15 dB SNR, all keys, levels and twists; the tests hold it to 4 ms).
 * Noise is specified as in the tests: signal = the power of both tones, noise = white Gaussian over
 * the full 0–4 kHz band. 15 dB SNR is required; measured, all 16 keys still pass at 8 dB with
 * equal levels and at 10 dB with the low tone 8 dB louder.
 * Digits are reported when they end, each exactly once; the block grid is anchored to the start of
 * the stream, so the result does not depend on how the stream is chunked.
 */
import { DTMF_KEYS, type DtmfKey } from './dtmf-keys.ts';
import { DEFAULT_BLOCK_TESTS, DtmfBlockAnalyzer, NO_KEY, type BlockTestOptions } from './detector-block.ts';
import type { DtmfAnalysis } from './dtmf-analysis.ts';

export interface DetectedDigit {
  digit: DtmfKey;
  startSample: number;
  /** Exclusive. */
  endSample: number;
  startMs: number;
  endMs: number;
}

export interface DetectorOptions {
  sampleRate?: number;
  /** Per-block tests (see detector-block.ts); defaults meet Q.24. */
  blockTests?: Partial<BlockTestOptions>;
  /** Shortest digit reported, by its estimated length. Default 30 ms: midway between 23 and 40. */
  minDurationMs?: number;
  /** Largest frequency error accepted, as a fraction. Default 0.025: midway between 1.5% and 3.5%. */
  maxDeviation?: number;
  /** Twist limits on the digit's average, dB: Q.24 accepts high +4 / low +8; default 6 and 10. */
  maxTwistHighDb?: number;
  maxTwistLowDb?: number;
  /** Each tone's share of everything but the other tone, over the whole digit. Default 0.4: real
   * DTMF at ±1.5% and 15 dB SNR with 8 dB twist averages ≥ 0.55; a 1633 Hz tone 3.5% off keeps
   * only 0.29 of its energy in its 100 Hz bin. */
  minPurity?: number;
  /** Each tone over the second strongest bin of its group, over the whole digit, dB. A low tone
   * 1.5% off leads its 73 Hz-away neighbour by ≥ 6 dB; a weak high tone's neighbours carry the
   * other tone's leakage: defaults 4 dB (low) and 5 dB (high). */
  minLowDominanceDb?: number;
  minHighDominanceDb?: number;
  /** Valid 10 ms blocks a digit needs. Default 3 (see MIN_VALID_BLOCKS). A more sensitive
   * "attacker" receiver (the verifier's) may lower it with minDurationMs to find shorter bursts. */
  minValidBlocks?: number;
}

/** A digit the detector is following but has not reported yet (for the masker's early warning). */
export interface PendingDigit {
  digit: DtmfKey;
  /** First sample of the first valid block (the estimated edge is only known at the end). */
  startSample: number;
  /** True once the digit has lasted long enough (3 valid blocks) to be reported when it ends. */
  confirmed: boolean;
}

/**
 * Blocks a caller knows hold no key, so `process` may skip their filters: block `first + i` (the
 * 10 ms block starting at sample (first + i)·blockSize of the stream) when `flags[i]` is 0, for
 * i < `count`. The verifier's attacker receiver screens every 2 ms window against looser
 * thresholds than this receiver's (src/dsp/wasm/attacker-kernel.c, gate_flags), so a block it
 * screened out is no key here either. A wrong gate loses digits: only such a proof may make one.
 */
export interface BlockGate {
  readonly first: number;
  readonly count: number;
  readonly flags: Uint8Array;
}

/** Bad blocks that end a digit: more than a 10 ms gap can spoil, no more than a 40 ms pause fills. */
const END_AFTER_BAD_BLOCKS = 3;
/** Valid blocks a digit needs: a 40 ms tone always fills 3 whole 10 ms blocks. */
export const MIN_VALID_BLOCKS = 3;

/** e^(−jωN) tables by frequencies, block and rate; read-only once built, shared by all channels. */
const PHASE_STEPS = new Map<string, Float64Array>();

export class DtmfDetector {
  readonly sampleRate: number;
  readonly blockSize: number;
  private readonly analyzer: DtmfBlockAnalyzer;
  private readonly minDurationSamples: number;
  private readonly maxDeviation: number;
  private readonly maxTwistHigh: number;
  private readonly maxTwistLow: number;
  private readonly minPurity: number;
  private readonly minValidBlocks: number;
  private readonly minLowDominance: number;
  private readonly minHighDominance: number;
  /** e^(−jω·N) per tone: the phase step of an on-frequency tone from one block to the next. */
  private readonly lowStep: Float64Array;
  private readonly highStep: Float64Array;

  /** Samples of an incomplete block carried between `process` calls. */
  private readonly pend: Int16Array;
  private pendLen = 0;
  /** Index of the next block to analyse; blocks start at sample blockIndex·N of the stream. */
  private blockIndex = 0;

  /** Tone energies of the previous block, for the leading-edge estimate. */
  private readonly prevLow = new Float64Array(4);
  private readonly prevHigh = new Float64Array(4);
  private prevLowOk = false;
  private prevHighOk = false;
  /**
   * The previous block was skipped by a gate: prevHigh/prevHighOk are not computed yet. Only a
   * digit starting in the next block reads them (its leading edge), so they are computed then,
   * from the skipped block's samples: `skippedX` at `skippedOff` (a copy in `skippedCopy` once the
   * caller's array may be reused).
   */
  private prevSkipped = false;
  private skippedX: Int16Array;
  private skippedOff = 0;
  private readonly skippedCopy: Int16Array;

  // The digit being followed (runKey < 0: none).
  private runKey = NO_KEY;
  private runRow = 0;
  private runCol = 0;
  private runFirst = 0;
  private runLast = 0;
  private validCount = 0;
  private badRun = 0;
  private lastWasValid = false;
  /** Tone amplitudes (√energy): block before the first valid one, first, last, after the last, max. */
  private preLow = 0;
  private preHigh = 0;
  private preLowOk = false;
  private preHighOk = false;
  private firstLow = 0;
  private firstHigh = 0;
  private lastLow = 0;
  private lastHigh = 0;
  private postLow = 0;
  private postHigh = 0;
  private maxLow = 0;
  private maxHigh = 0;
  /** Σ z_k·conj(z_(k−1)) over consecutive valid blocks, per tone, and the previous phasors. */
  private accLowRe = 0;
  private accLowIm = 0;
  private accHighRe = 0;
  private accHighIm = 0;
  private pairs = 0;
  /** Σ over the digit's valid blocks of the fitted tone energies and of the block energy. */
  private sumLow = 0;
  private sumHigh = 0;
  private sumEnergy = 0;
  private sumSecondLow = 0;
  private sumSecondHigh = 0;
  private zLowRe = 0;
  private zLowIm = 0;
  private zHighRe = 0;
  private zHighIm = 0;

  constructor(opts: DetectorOptions = {}) {
    this.sampleRate = opts.sampleRate ?? 8000;
    if (!(this.sampleRate >= 8000 && this.sampleRate <= 192000)) {
      throw new RangeError(`DtmfDetector: sample rate ${this.sampleRate} Hz is outside 8000..192000`);
    }
    this.analyzer = new DtmfBlockAnalyzer(this.sampleRate, { ...DEFAULT_BLOCK_TESTS, ...opts.blockTests });
    this.blockSize = this.analyzer.blockSize;
    this.pend = new Int16Array(this.blockSize);
    this.skippedCopy = new Int16Array(this.blockSize);
    this.skippedX = this.skippedCopy;
    this.minDurationSamples = ((opts.minDurationMs ?? 30) * this.sampleRate) / 1000;
    this.maxDeviation = opts.maxDeviation ?? 0.025;
    this.maxTwistHigh = 10 ** ((opts.maxTwistHighDb ?? 6) / 10);
    this.maxTwistLow = 10 ** (-(opts.maxTwistLowDb ?? 10) / 10);
    this.minPurity = opts.minPurity ?? 0.4;
    this.minValidBlocks = Math.max(2, Math.round(opts.minValidBlocks ?? MIN_VALID_BLOCKS));
    this.minLowDominance = 10 ** ((opts.minLowDominanceDb ?? 4) / 10);
    this.minHighDominance = 10 ** ((opts.minHighDominanceDb ?? 5) / 10);
    const step = (freqs: Float64Array): Float64Array => {
      const key = `${freqs.join(',')}|${this.blockSize}|${this.sampleRate}`;
      let out = PHASE_STEPS.get(key);
      if (out === undefined) {
        out = new Float64Array(8);
        for (let i = 0; i < 4; i++) {
          const wn = (2 * Math.PI * freqs[i] * this.blockSize) / this.sampleRate;
          out[2 * i] = Math.cos(wn);
          out[2 * i + 1] = -Math.sin(wn);
        }
        PHASE_STEPS.set(key, out);
      }
      return out;
    };
    this.lowStep = step(this.analyzer.low.freqs);
    this.highStep = step(this.analyzer.high.freqs);
  }

  /**
   * For the WebAssembly kernel (wasm/kernel.ts), which runs this state machine on the same
   * numbers: the analyzer's block parameters, then the digit rules, phase steps and frequencies.
   */
  kernelParams(): { block: number[]; pairInverse: Float64Array; digit: number[] } {
    const b = this.analyzer.kernelParams();
    return {
      block: b.values,
      pairInverse: b.pairInverse,
      digit: [
        this.sampleRate,
        this.minDurationSamples,
        this.maxDeviation,
        this.maxTwistHigh,
        this.maxTwistLow,
        this.minPurity,
        this.minLowDominance,
        this.minHighDominance,
        this.minValidBlocks,
        ...this.lowStep,
        ...this.highStep,
        ...this.analyzer.low.freqs,
        ...this.analyzer.high.freqs,
      ],
    };
  }

  /**
   * Feeds samples; returns the digits that ended within the stream so far. With a `gate` (see
   * BlockGate) for the blocks these samples complete, the blocks it rules out cost no filtering.
   */
  process(samples: Int16Array, gate?: BlockGate | null): DetectedDigit[] {
    const out: DetectedDigit[] = [];
    const n = this.blockSize;
    let i = 0;
    const len = samples.length;
    if (this.pendLen > 0) {
      const take = Math.min(n - this.pendLen, len);
      this.pend.set(samples.subarray(0, take), this.pendLen);
      this.pendLen += take;
      i = take;
      if (this.pendLen < n) return out;
      if (!this.skip(this.pend, 0, gate)) this.step(this.pend, 0, out);
      this.pendLen = 0;
    }
    for (; i + n <= len; i += n) if (!this.skip(samples, i, gate)) this.step(samples, i, out);
    if (this.prevSkipped && this.skippedX !== this.skippedCopy) {
      // The caller's array (or `pend`, refilled below) will not hold the skipped block next time.
      const c = this.skippedCopy;
      const x = this.skippedX;
      const o = this.skippedOff;
      for (let k = 0; k < n; k++) c[k] = x[o + k];
      this.skippedX = c;
      this.skippedOff = 0;
    }
    if (i < len) {
      this.pend.set(samples.subarray(i), 0);
      this.pendLen = len - i;
    }
    return out;
  }

  /** Ends the stream: the last incomplete block is padded with silence. Resets the detector. */
  flush(): DetectedDigit[] {
    const out: DetectedDigit[] = [];
    const streamEnd = this.blockIndex * this.blockSize + this.pendLen;
    if (this.pendLen > 0) {
      this.pend.fill(0, this.pendLen);
      this.step(this.pend, 0, out);
    }
    this.finishStream(streamEnd, out);
    return out;
  }

  /**
   * For a pipeline that runs one shared DtmfAnalysis (board-pipeline.ts) instead of `process`:
   * judges the 10 ms block made of the last two 5 ms halves fed to `an` (call it after every
   * second half, from the start of the stream), appending the digits that ended to `out`.
   */
  stepWindow(an: DtmfAnalysis, out: DetectedDigit[]): void {
    const inRun = this.runKey !== NO_KEY;
    this.advance(this.analyzer.analyzeWindow(an, inRun), inRun, out);
  }

  /**
   * Ends a stream fed through `stepWindow` (its last partial block already fed, padded with
   * silence): closes the digit being followed, clips the ends of the digits in `out` to
   * `streamEnd` (samples), resets.
   */
  finishStream(streamEnd: number, out: DetectedDigit[]): void {
    if (this.runKey !== NO_KEY) this.closeRun(out);
    // Every digit in `out` (those of a padded last block too): none may end after the stream.
    for (let i = 0; i < out.length; i++) {
      const d = out[i];
      if (d.endSample > streamEnd) {
        d.endSample = streamEnd;
        d.endMs = (streamEnd * 1000) / this.sampleRate;
      }
    }
    this.reset();
  }

  /** The digit being followed right now, if any (no digit value leaves here except to the caller). */
  pending(): PendingDigit | null {
    if (this.runKey === NO_KEY) return null;
    return {
      digit: DTMF_KEYS[this.runKey],
      startSample: this.runFirst * this.blockSize,
      confirmed: this.validCount >= this.minValidBlocks,
    };
  }

  private reset(): void {
    this.pendLen = 0;
    this.blockIndex = 0;
    this.prevLowOk = false;
    this.prevHighOk = false;
    this.prevSkipped = false;
    this.runKey = NO_KEY;
  }

  /**
   * Skips the block at x[off] when the gate rules it out and no digit is being followed (inside a
   * digit every block's energies count, key or not). The analyzer would have returned NO_KEY
   * without the low group (lowComputed false), and its high-group energies matter only to a digit
   * starting next: they are left for `resolveSkipped`.
   */
  private skip(x: Int16Array, off: number, gate: BlockGate | null | undefined): boolean {
    if (gate == null || this.runKey !== NO_KEY) return false;
    const g = this.blockIndex - gate.first;
    if (g < 0 || g >= gate.count || gate.flags[g] !== 0) return false;
    this.prevLowOk = false;
    this.prevSkipped = true;
    this.skippedX = x;
    this.skippedOff = off;
    this.blockIndex++;
    return true;
  }

  /** What `advance` would have kept of the skipped block: its high-group energies, unless silent. */
  private resolveSkipped(): void {
    this.prevSkipped = false;
    this.prevHighOk = this.analyzer.highGroupOf(this.skippedX, this.skippedOff, this.prevHigh);
  }

  private step(x: Int16Array, off: number, out: DetectedDigit[]): void {
    const inRun = this.runKey !== NO_KEY;
    this.advance(this.analyzer.analyze(x, off, inRun), inRun, out);
  }

  /** The state machine, after the analyzer judged the next block to be `key`. */
  private advance(key: number, inRun: boolean, out: DetectedDigit[]): void {
    const a = this.analyzer;
    if (inRun) {
      if (key === this.runKey) {
        this.extendRun();
      } else {
        if (this.lastWasValid) {
          // The first block after the digit's last valid one: its trailing edge, if the digit ends here.
          this.postLow = Math.sqrt(a.lowEnergy[this.runRow]);
          this.postHigh = Math.sqrt(a.highEnergy[this.runCol]);
          this.lastWasValid = false;
        }
        if (key !== NO_KEY) {
          this.closeRun(out);
          this.startRun(key);
        } else if (++this.badRun >= END_AFTER_BAD_BLOCKS) {
          this.closeRun(out);
        }
      }
    } else if (key !== NO_KEY) {
      this.startRun(key);
    }
    this.prevSkipped = false;
    this.prevLowOk = a.lowComputed;
    this.prevHighOk = a.highComputed;
    // Element by element: TypedArray.set is a builtin call, costly next to a 10 ms block's work.
    if (a.lowComputed) {
      const p = this.prevLow;
      const e = a.lowEnergy;
      p[0] = e[0];
      p[1] = e[1];
      p[2] = e[2];
      p[3] = e[3];
    }
    if (a.highComputed) {
      const p = this.prevHigh;
      const e = a.highEnergy;
      p[0] = e[0];
      p[1] = e[1];
      p[2] = e[2];
      p[3] = e[3];
    }
    this.blockIndex++;
  }

  private startRun(key: number): void {
    if (this.prevSkipped) this.resolveSkipped();
    const a = this.analyzer;
    const row = key >> 2;
    const col = key & 3;
    this.runKey = key;
    this.runRow = row;
    this.runCol = col;
    this.runFirst = this.blockIndex;
    this.validCount = 0;
    this.badRun = 0;
    this.lastWasValid = false;
    this.preLowOk = this.prevLowOk;
    this.preHighOk = this.prevHighOk;
    this.preLow = this.prevLowOk ? Math.sqrt(this.prevLow[row]) : 0;
    this.preHigh = this.prevHighOk ? Math.sqrt(this.prevHigh[col]) : 0;
    this.firstLow = Math.sqrt(a.lowEnergy[row]);
    this.firstHigh = Math.sqrt(a.highEnergy[col]);
    this.postLow = 0;
    this.postHigh = 0;
    this.maxLow = 0;
    this.maxHigh = 0;
    this.accLowRe = 0;
    this.accLowIm = 0;
    this.accHighRe = 0;
    this.accHighIm = 0;
    this.pairs = 0;
    this.sumLow = 0;
    this.sumHigh = 0;
    this.sumEnergy = 0;
    this.sumSecondLow = 0;
    this.sumSecondHigh = 0;
    this.extendRun();
  }

  /** The current block is a valid block of the digit being followed. */
  private extendRun(): void {
    const a = this.analyzer;
    const row = this.runRow;
    const col = this.runCol;
    const lowAmp = Math.sqrt(a.lowEnergy[row]);
    const highAmp = Math.sqrt(a.highEnergy[col]);
    if (lowAmp > this.maxLow) this.maxLow = lowAmp;
    if (highAmp > this.maxHigh) this.maxHigh = highAmp;
    this.lastLow = lowAmp;
    this.lastHigh = highAmp;
    this.postLow = 0;
    this.postHigh = 0;
    // The least-squares pair fit (detector-block.ts) is free of the other tone's leakage.
    const lr = a.pairLow[0];
    const li = a.pairLow[1];
    const hr = a.pairHigh[0];
    const hi = a.pairHigh[1];
    if (this.lastWasValid) {
      // z_k·conj(z_(k−1)): its angle is the tone's phase advance over one block.
      this.accLowRe += lr * this.zLowRe + li * this.zLowIm;
      this.accLowIm += li * this.zLowRe - lr * this.zLowIm;
      this.accHighRe += hr * this.zHighRe + hi * this.zHighIm;
      this.accHighIm += hi * this.zHighRe - hr * this.zHighIm;
      this.pairs++;
    }
    this.zLowRe = lr;
    this.zLowIm = li;
    this.zHighRe = hr;
    this.zHighIm = hi;
    this.sumLow += a.pairLowEnergy;
    this.sumHigh += a.pairHighEnergy;
    this.sumEnergy += a.energy;
    this.sumSecondLow += a.secondLowEnergy;
    this.sumSecondHigh += a.secondHighEnergy;
    this.runLast = this.blockIndex;
    this.validCount++;
    this.badRun = 0;
    this.lastWasValid = true;
  }

  /** Fractional frequency error from the accumulated phase steps. */
  private deviation(accRe: number, accIm: number, step: Float64Array, i: number, nominalHz: number): number {
    const re = accRe * step[2 * i] - accIm * step[2 * i + 1];
    const im = accRe * step[2 * i + 1] + accIm * step[2 * i];
    const dfHz = (Math.atan2(im, re) * this.sampleRate) / (2 * Math.PI * this.blockSize);
    return dfHz / nominalHz;
  }

  private closeRun(out: DetectedDigit[]): void {
    const key = this.runKey;
    this.runKey = NO_KEY;
    if (this.validCount < this.minValidBlocks || this.pairs < 1) return;
    const row = this.runRow;
    const col = this.runCol;
    const lowDev = this.deviation(this.accLowRe, this.accLowIm, this.lowStep, row, this.analyzer.low.freqs[row]);
    const highDev = this.deviation(this.accHighRe, this.accHighIm, this.highStep, col, this.analyzer.high.freqs[col]);
    if (Math.abs(lowDev) > this.maxDeviation || Math.abs(highDev) > this.maxDeviation) return;
    const lowE = this.sumLow;
    const highE = this.sumHigh;
    if (highE > this.maxTwistHigh * lowE || highE < this.maxTwistLow * lowE) return;
    if (lowE < this.minLowDominance * this.sumSecondLow || highE < this.minHighDominance * this.sumSecondHigh) return;
    const rest = this.sumEnergy;
    if (highE < this.minPurity * (rest - lowE) || lowE < this.minPurity * (rest - highE)) return;

    // Share of a block the tone fills, from its amplitude against the digit's strongest block;
    // the two tones' amplitudes are summed so the louder, less leakage-prone one counts most.
    const cover = (low: number, lowOk: boolean, high: number, highOk: boolean): number => {
      const c =
        lowOk && highOk
          ? (low + high) / (this.maxLow + this.maxHigh)
          : lowOk
            ? low / this.maxLow
            : highOk
              ? high / this.maxHigh
              : 0;
      return c > 1 ? 1 : c;
    };
    const n = this.blockSize;
    const cPre = cover(this.preLow, this.preLowOk, this.preHigh, this.preHighOk);
    const cFirst = cover(this.firstLow, true, this.firstHigh, true);
    const cLast = cover(this.lastLow, true, this.lastHigh, true);
    const cPost = cover(this.postLow, true, this.postHigh, true);
    let start = Math.round((this.runFirst + 1 - cFirst - cPre) * n);
    const end = Math.round((this.runLast + cLast + cPost) * n);
    if (start < 0) start = 0;
    if (end - start < this.minDurationSamples) return;
    out.push({
      digit: DTMF_KEYS[key],
      startSample: start,
      endSample: end,
      startMs: (start * 1000) / this.sampleRate,
      endMs: (end * 1000) / this.sampleRate,
    });
  }
}

/** All digits in a whole signal. */
export function detectDigits(samples: Int16Array, sampleRate = 8000): DetectedDigit[] {
  const d = new DtmfDetector({ sampleRate });
  return [...d.process(samples), ...d.flush()];
}
