/**
 * The attacker's receiver: finds DTMF *fragments* that a Q.24 receiver rightly ignores (ITU-T Q.24
 * rejects tones of 23 ms and shorter and below −55 dBm0) but that someone replaying a recording
 * with a sensitive decoder could still read: bursts down to 10 ms and tones down to −45 dBm0 per
 * tone. A masker that lets a leading edge or a tail of a real digit through fails exactly here.
 *
 * How: the same per-block analysis as the Q.24 detector (detector-block.ts: Goertzel bins, joint
 * fit of the tone pair, share/twist/dominance/purity tests) over 10 ms windows that slide by 2 ms
 * instead of stepping by 10 ms, so a 10 ms burst always has one window at least 81% inside it and
 * the next at least 61% inside it. A tone covering a fraction c of a window keeps a share ≈ c of
 * the window's energy in the fitted pair and a level 20·log10(c) dB down, which sets the tests:
 * share 0.55 and a tone floor of −50 dBm0 (−45 dBm0 at c = 0.61 reads −49.3 dBm0).
 * Loose windows alone fire on voiced speech (espeak-ng: ~160 fragments per 1000 s), so a fragment
 * must also pass three tests over its run: 2 hits on the same key, a best window whose tone pair
 * holds ≥ 83% of its energy, and a frequency error ≤ 2.5% measured from the phase step of each
 * tone's fitted phasor between windows one hop apart (as the Q.24 detector does between blocks).
 */
import type { DtmfKey } from '../dsp/dtmf-keys.ts';
import { DTMF_KEYS } from '../dsp/dtmf-keys.ts';
import { DtmfBlockAnalyzer, NO_KEY, type BlockTestOptions } from '../dsp/detector-block.ts';
import { dbm0ToPeak } from '../dsp/levels.ts';
import { HighGroupScreen, SCREEN_HOP } from './high-group-screen.ts';

export interface Fragment {
  digit: DtmfKey;
  startSample: number;
  /** Exclusive. */
  endSample: number;
  startMs: number;
  endMs: number;
  /** Windows that agreed on the key. */
  hits: number;
}

export interface AttackerOptions {
  sampleRate?: number;
  /** Window step in samples. 16 (2 ms at 8 kHz): see the header for why a 10 ms burst then always gets 2 hits. */
  hopSamples?: number;
  /** Windows that must agree. 2: see the header. */
  minHits?: number;
  /** Largest frequency error of either tone, averaged over the fragment. Default 0.025, the Q.24
   * receiver's own limit (midway between accept 1.5% and reject 3.5%); the harmonics of voiced
   * speech land anywhere in a 100 Hz bin. */
  maxDeviation?: number;
  /** Share of the window energy held by the tone pair in the run's best window. Default 0.83: a
   * 10 ms burst has a window ≥ 81% inside it (share ≈ coverage, plus G.711 noise); voiced speech
   * spreads over more harmonics than the two bins. Measured on 817 s of espeak-ng speech at three
   * levels: 0.78 let 9 fragments through, 0.83 none, while all 2880 bursts of the test grid were found. */
  minPeakShare?: number;
  /** Per-block tests; the defaults are loose on purpose (partial windows), see the header. */
  blockTests?: Partial<BlockTestOptions>;
  /**
   * Skip the windows that high-group-screen.ts proves the analyzer would reject (same fragments,
   * about a third of the cost on speech). Default true; it applies to 10 ms windows at 2 ms hops.
   */
  screen?: boolean;
}

/**
 * A run at least this long whose weaker tone reached LOUD_DBM0 in some window is one the Q.24
 * receiver was able to judge (≥ 40 ms, Q.24 "must accept" duration; −33 dBm0 is 5 dB above that
 * receiver's −38 dBm0 floor): such a run is left to it. Without this rule, synthetic speech built
 * to put harmonics on DTMF frequencies (src/dsp/mask-speech-like.ts) gave 2 fragments of 75 ms in
 * the 57 s benchmark workload.
 */
const LONG_MS = 40;
const LOUD_DBM0 = -33;

export const ATTACKER_BLOCK_TESTS: BlockTestOptions = {
  minToneDbm0: -50,
  minToneShare: 0.55,
  // A 61%-covered window of a tone pair with 8 dB twist keeps ≈ 0.18 purity on its weak tone.
  minPurity: 0.15,
  maxTwistHighDb: 9,
  maxTwistLowDb: 12,
  // Linear ratios (detector-block.ts), 3 dB as in the Q.24 receiver: a 10 ms burst spreads over a
  // 100 Hz-wide main lobe, so its neighbour bin 73 Hz away holds much of its energy.
  minLowDominance: 2,
  minHighDominance: 2,
};

export class AttackerDetector {
  readonly sampleRate: number;
  private readonly analyzer: DtmfBlockAnalyzer;
  private readonly n: number;
  private readonly hop: number;
  private readonly minHits: number;
  /** Samples not yet consumed by a window; `bufStart` is the stream index of buf[0]. */
  private buf: Int16Array;
  private bufLen = 0;
  private bufStart = 0;
  /** Stream index of the next window's first sample. */
  private next = 0;
  private runKey = NO_KEY;
  private runStart = 0;
  private runEnd = 0;
  private runHits = 0;
  private runLastHit = 0;
  /** Σ c_k·conj(c_(k−1))·e^(−jω·hop) over hits one hop apart, per tone: the frequency error. */
  private accLowRe = 0;
  private accLowIm = 0;
  private accHighRe = 0;
  private accHighIm = 0;
  private readonly prevLow = new Float64Array(2);
  private readonly prevHigh = new Float64Array(2);
  private readonly maxDeviation: number;
  /** cos/sin of ω·hop per tone (low 0..3, high 4..7). */
  private readonly stepCos = new Float64Array(8);
  private readonly stepSin = new Float64Array(8);
  private readonly freqs = new Float64Array(8);
  private runRow = 0;
  private runPeakShare = 0;
  /** Largest energy of the run's weaker tone (sine-energy units), for the loud-and-long rule. */
  private runPeakWeak = 0;
  private readonly loudWeak: number;
  private readonly longSamples: number;
  private readonly minPeakShare: number;
  private runCol = 0;
  private readonly screen: HighGroupScreen | null;

  constructor(opts: AttackerOptions = {}) {
    this.sampleRate = opts.sampleRate ?? 8000;
    const tests = { ...ATTACKER_BLOCK_TESTS, ...opts.blockTests };
    this.analyzer = new DtmfBlockAnalyzer(this.sampleRate, tests);
    this.n = this.analyzer.blockSize;
    this.hop = Math.max(1, Math.round(opts.hopSamples ?? (16 * this.sampleRate) / 8000));
    // The analyzer's tone floor, as detector-block.ts computes it (its silence gate is the same).
    const floorPeak = dbm0ToPeak(tests.minToneDbm0);
    this.screen = opts.screen !== false && this.hop === SCREEN_HOP && this.n === 5 * SCREEN_HOP
      ? new HighGroupScreen(this.analyzer.high.freqs, this.sampleRate, (floorPeak * floorPeak * this.n) / 2)
      : null;
    this.minHits = Math.max(1, opts.minHits ?? 2);
    this.buf = new Int16Array(this.n * 64);
    this.maxDeviation = opts.maxDeviation ?? 0.025;
    this.minPeakShare = opts.minPeakShare ?? 0.83;
    const loudPeak = dbm0ToPeak(LOUD_DBM0);
    this.loudWeak = (loudPeak * loudPeak * this.n) / 2;
    this.longSamples = (LONG_MS * this.sampleRate) / 1000;
    for (let i = 0; i < 4; i++) {
      this.freqs[i] = this.analyzer.low.freqs[i];
      this.freqs[4 + i] = this.analyzer.high.freqs[i];
    }
    for (let i = 0; i < 8; i++) {
      const w = (2 * Math.PI * this.freqs[i] * this.hop) / this.sampleRate;
      this.stepCos[i] = Math.cos(w);
      this.stepSin[i] = Math.sin(w);
    }
  }

  /**
   * Whether the WebAssembly port (src/dsp/wasm/attacker-kernel.c) covers this configuration: it is
   * built for the verifier's only one, 80-sample windows at 16-sample hops with the screen on.
   */
  get kernelPortable(): boolean {
    return this.screen !== null && this.n === 80 && this.hop === 16;
  }

  /**
   * The constants the WebAssembly port takes (layout: k_att_consts in attacker-kernel.c), every one
   * as this object computed it, so both judge with the same bits. The Goertzel banks' constants are
   * private to goertzel.ts; they are read, not recomputed, for the same reason.
   */
  kernelConstants(): Float64Array {
    const k = new Float64Array(398);
    const bank = (b: unknown): Float64Array => (b as { k: Float64Array }).k;
    k.set(bank(this.analyzer.low), 0);
    k.set(bank(this.analyzer.high), 24);
    const an = this.analyzer.kernelParams();
    k.set(an.pairInverse, 48);
    k.set(an.values, 304);
    k.set(this.screen!.kernelConstants(), 314);
    k.set(this.stepCos, 368);
    k.set(this.stepSin, 376);
    k.set(this.freqs, 384);
    k.set([this.loudWeak, this.longSamples, this.minPeakShare, this.maxDeviation, this.minHits, this.sampleRate], 392);
    return k;
  }

  /** Nothing to free (the interface of the kernel's receiver, attacker-receiver.ts). */
  dispose(): void {}

  /** Feeds samples; returns fragments that ended so far. */
  process(samples: Int16Array): Fragment[] {
    const out: Fragment[] = [];
    let i = 0;
    while (i < samples.length) {
      if (this.bufLen === this.buf.length) this.compact();
      const take = Math.min(samples.length - i, this.buf.length - this.bufLen);
      this.buf.set(samples.subarray(i, i + take), this.bufLen);
      this.bufLen += take;
      i += take;
      this.scan(out);
    }
    return out;
  }

  /** End of stream: closes an open fragment and resets the detector. */
  flush(): Fragment[] {
    const out: Fragment[] = [];
    this.closeRun(out);
    this.bufLen = 0;
    this.bufStart = 0;
    this.next = 0;
    this.screen?.reset();
    return out;
  }

  private compact(): void {
    const keep = this.bufStart + this.bufLen - this.next;
    this.buf.copyWithin(0, this.next - this.bufStart, this.bufLen);
    this.bufStart = this.next;
    this.bufLen = keep;
  }

  private scan(out: Fragment[]): void {
    const a = this.analyzer;
    while (this.next + this.n <= this.bufStart + this.bufLen) {
      const screened = this.screen !== null && !this.screen.mayPass(this.buf, this.bufStart, this.next);
      const key = screened ? NO_KEY : a.analyze(this.buf, this.next - this.bufStart, false);
      const at = this.next;
      if (key !== NO_KEY) {
        // A window that misses once between two hits (a tone edge, a noisy block) does not split the run.
        if (key === this.runKey && at - this.runLastHit <= 2 * this.hop) {
          if (at - this.runLastHit === this.hop) this.accumulate();
          this.runHits++;
          this.runEnd = at + this.n;
          this.runLastHit = at;
        } else {
          this.closeRun(out);
          this.runKey = key;
          this.runStart = at;
          this.runEnd = at + this.n;
          this.runHits = 1;
          this.runLastHit = at;
          this.runRow = key >> 2;
          this.runCol = key & 3;
          this.accLowRe = this.accLowIm = this.accHighRe = this.accHighIm = 0;
          this.runPeakShare = 0;
          this.runPeakWeak = 0;
        }
        const weak = Math.min(a.pairLowEnergy, a.pairHighEnergy);
        if (weak > this.runPeakWeak) this.runPeakWeak = weak;
        const share = (a.pairLowEnergy + a.pairHighEnergy) / a.energy;
        if (share > this.runPeakShare) this.runPeakShare = share;
        this.prevLow.set(a.pairLow);
        this.prevHigh.set(a.pairHigh);
      } else if (this.runKey !== NO_KEY && at - this.runLastHit > 2 * this.hop) {
        this.closeRun(out);
      }
      this.next += this.hop;
    }
  }

  /**
   * The fitted phasor of a tone is referenced to its window's start, so from one window to the next
   * an on-frequency tone turns by exactly ω·hop; what is left over is 2π·Δf·hop/fs.
   */
  private accumulate(): void {
    // No closure or tuple here: this runs for every hit window (tsx wraps each closure it creates).
    const a = this.analyzer;
    const c = a.pairLow;
    const p = this.prevLow;
    const lc = this.stepCos[this.runRow];
    const ls = this.stepSin[this.runRow];
    let re = c[0] * p[0] + c[1] * p[1];
    let im = c[1] * p[0] - c[0] * p[1];
    this.accLowRe += re * lc + im * ls;
    this.accLowIm += im * lc - re * ls;
    const d = a.pairHigh;
    const q = this.prevHigh;
    const hc = this.stepCos[4 + this.runCol];
    const hs = this.stepSin[4 + this.runCol];
    re = d[0] * q[0] + d[1] * q[1];
    im = d[1] * q[0] - d[0] * q[1];
    this.accHighRe += re * hc + im * hs;
    this.accHighIm += im * hc - re * hs;
  }

  /** Mean frequency error of the run's worse tone, as a fraction (0 when no pair of hits was one hop apart). */
  private runDeviation(): number {
    const dev = (re: number, im: number, f: number): number =>
      re === 0 && im === 0 ? 0 : Math.abs((Math.atan2(im, re) * this.sampleRate) / (2 * Math.PI * this.hop) / f);
    return Math.max(dev(this.accLowRe, this.accLowIm, this.freqs[this.runRow]), dev(this.accHighRe, this.accHighIm, this.freqs[4 + this.runCol]));
  }

  private closeRun(out: Fragment[]): void {
    // Loud and long is neither too short nor too quiet for Q.24: the Q.24 receiver heard it and
    // judged it (twist, purity, deviation over the whole tone), so it is not ours to overrule.
    const judgedByQ24 = this.runEnd - this.runStart - 0.8 * this.n >= this.longSamples && this.runPeakWeak >= this.loudWeak;
    if (this.runKey !== NO_KEY && this.runHits >= this.minHits && !judgedByQ24 && this.runPeakShare >= this.minPeakShare && this.runDeviation() <= this.maxDeviation) {
      // Windows hit while the tone covers about 60% or more of them, so the hits reach ~40% of a
      // window past the tone on each side: trimmed by that, the span is the tone's own (±1 hop).
      const trim = Math.round(0.4 * this.n);
      let s = this.runStart + trim;
      let e = this.runEnd - trim;
      if (e - s < this.hop) {
        const mid = (this.runStart + this.runEnd) / 2;
        s = Math.round(mid - this.hop / 2);
        e = s + this.hop;
      }
      out.push({
        digit: DTMF_KEYS[this.runKey],
        startSample: s,
        endSample: e,
        startMs: (s * 1000) / this.sampleRate,
        endMs: (e * 1000) / this.sampleRate,
        hits: this.runHits,
      });
    }
    this.runKey = NO_KEY;
    this.runHits = 0;
  }
}
