/**
 * A cheap, conservative screen in front of the attacker's per-window analysis (attacker-detector.ts).
 *
 * The attacker's receiver judges a 10 ms window every 2 ms, so each sample is filtered five times
 * over. Most windows of speech fail the analyzer's first two tests (detector-block.ts `analyze`):
 * the silence gate (block energy under one tone floor) and the high-group test (strongest
 * high-group tone under half a floor, or under 3% of the block energy). Those two tests need only
 * the block energy and the four high-group powers, and both can be had without filtering the
 * window again: a window is 5 hops of 2 ms, and the DFT of the window is the coherent sum of the
 * hops' DFTs,
 *   X_win(ω) = Σ_k e^(−jω·16k)·X_k(ω)      (each X_k referenced to its own hop's first sample),
 * while Σx² and Σx add up plainly. So each sample is filtered once (per hop), and each window
 * costs 20 complex multiply-adds.
 *
 * The screen only ever says "the analyzer would return NO_KEY": it rejects a window only when the
 * window misses the analyzer's thresholds by more than SAFETY (3%), far beyond the rounding
 * differences between this sum and the analyzer's Goertzel filters (~1e-12 relative). Every other
 * window goes to the analyzer, which decides as before; so the fragments found are the same (the
 * differential test in test/unit/verify/high-group-screen.test.ts checks it).
 */

/** Margin on the thresholds: the screen rejects only clear misses. */
const SAFETY = 0.97;

/** Hop length the screen is built for: 16 samples (2 ms at 8 kHz), 5 per 80-sample window. */
export const SCREEN_HOP = 16;
const HOPS_PER_WINDOW = 5;
/** Ring of hop results (a power of two above HOPS_PER_WINDOW). */
const RING = 8;

export class HighGroupScreen {
  /** 2·cos ω per frequency (Goertzel), and e^(−jω) (re at 4 + f, im at 8 + f). */
  private readonly k = new Float64Array(12);
  /**
   * Per frequency f and hop k (0..4) of a window, at f·5 + k: e^(−jω·16k)·e^(−jω·15), which turns
   * a hop's Goertzel output y = s[15] − e^(−jω)·s[14] = e^(jω·15)·X_k into its place in the window.
   */
  private readonly rotRe = new Float64Array(4 * HOPS_PER_WINDOW);
  private readonly rotIm = new Float64Array(4 * HOPS_PER_WINDOW);
  /** Per ring slot: Re/Im of the 4 high-group bins (slot·4 + f), Σx², Σx. */
  private readonly re = new Float64Array(RING * 4);
  private readonly im = new Float64Array(RING * 4);
  private readonly sq = new Float64Array(RING);
  private readonly sum = new Float64Array(RING);
  /** Hops computed so far: hop m covers stream samples [16m, 16m + 16). */
  private hops = 0;
  private readonly gate: number;
  private readonly halfFloor: number;

  /**
   * @param highHz the analyzer's four high-group frequencies
   * @param toneFloor the analyzer's tone floor in sine-energy units (A²·N/2); its silence gate is the same
   */
  constructor(highHz: ArrayLike<number>, sampleRate: number, toneFloor: number) {
    for (let f = 0; f < 4; f++) {
      const w = (2 * Math.PI * highHz[f]) / sampleRate;
      this.k[f] = 2 * Math.cos(w);
      this.k[4 + f] = Math.cos(w);
      this.k[8 + f] = -Math.sin(w);
      for (let k = 0; k < HOPS_PER_WINDOW; k++) {
        const turn = w * (SCREEN_HOP * k + SCREEN_HOP - 1);
        this.rotRe[f * HOPS_PER_WINDOW + k] = Math.cos(turn);
        this.rotIm[f * HOPS_PER_WINDOW + k] = -Math.sin(turn);
      }
    }
    this.gate = toneFloor;
    this.halfFloor = 0.5 * toneFloor;
  }

  /** For the WebAssembly port (attacker-kernel.c): 2cos ω, cos ω, −sin ω (4 each), the rotations (re 20, im 20), gate, half floor. */
  kernelConstants(): Float64Array {
    const k = new Float64Array(54);
    k.set(this.k, 0);
    k.set(this.rotRe, 12);
    k.set(this.rotIm, 32);
    k[52] = this.gate;
    k[53] = this.halfFloor;
    return k;
  }

  /** Forget everything (the detector restarts its stream at sample 0). */
  reset(): void {
    this.hops = 0;
  }

  /**
   * False when the analyzer is certain to find no key in the window of 80 samples starting at
   * stream sample `at` (a multiple of 16). `buf[i]` holds stream sample `bufStart + i`, and the
   * window lies inside it, as does every hop from `at` on that was not seen yet.
   */
  mayPass(buf: Int16Array, bufStart: number, at: number): boolean {
    const first = at / SCREEN_HOP;
    const last = first + HOPS_PER_WINDOW;
    if (this.hops < first) this.hops = first;
    while (this.hops < last) this.hop(buf, this.hops * SCREEN_HOP - bufStart, this.hops++ & (RING - 1));
    const n = SCREEN_HOP * HOPS_PER_WINDOW;
    const m = RING - 1;
    const s0 = first & m;
    const s1 = (first + 1) & m;
    const s2 = (first + 2) & m;
    const s3 = (first + 3) & m;
    const s4 = (first + 4) & m;
    const q = this.sq;
    const u = this.sum;
    const sum = u[s0] + u[s1] + u[s2] + u[s3] + u[s4];
    const e = q[s0] + q[s1] + q[s2] + q[s3] + q[s4] - (sum * sum) / n;
    if (e < SAFETY * this.gate) return false;
    // Strongest high-group power, as the analyzer's e_i = 2·|X_i|²/N.
    const re = this.re;
    const im = this.im;
    const rr = this.rotRe;
    const ri = this.rotIm;
    let h1 = 0;
    for (let f = 0; f < 4; f++) {
      const r = f * HOPS_PER_WINDOW;
      const y0 = s0 * 4 + f;
      const y1 = s1 * 4 + f;
      const y2 = s2 * 4 + f;
      const y3 = s3 * 4 + f;
      const y4 = s4 * 4 + f;
      const xr = re[y0] * rr[r] - im[y0] * ri[r] + re[y1] * rr[r + 1] - im[y1] * ri[r + 1] + re[y2] * rr[r + 2] - im[y2] * ri[r + 2]
        + re[y3] * rr[r + 3] - im[y3] * ri[r + 3] + re[y4] * rr[r + 4] - im[y4] * ri[r + 4];
      const xi = re[y0] * ri[r] + im[y0] * rr[r] + re[y1] * ri[r + 1] + im[y1] * rr[r + 1] + re[y2] * ri[r + 2] + im[y2] * rr[r + 2]
        + re[y3] * ri[r + 3] + im[y3] * rr[r + 3] + re[y4] * ri[r + 4] + im[y4] * rr[r + 4];
      const v = xr * xr + xi * xi;
      if (v > h1) h1 = v;
    }
    h1 = (h1 * 2) / n;
    return !(h1 < SAFETY * this.halfFloor || h1 < SAFETY * 0.03 * e);
  }

  /** The 4 high-group bins (as y values, see `rotRe`), Σx² and Σx of one hop, into ring slot `slot`. */
  private hop(buf: Int16Array, off: number, slot: number): void {
    const k = this.k;
    const c0 = k[0];
    const c1 = k[1];
    const c2 = k[2];
    const c3 = k[3];
    let sq = 0;
    let sum = 0;
    let a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
    const end = off + SCREEN_HOP;
    for (let i = off; i < end; i++) {
      const v = buf[i];
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
    // y = s[N−1] − e^(−jω)·s[N−2]
    const b = slot * 4;
    const re = this.re;
    const im = this.im;
    re[b] = a1 - k[4] * a2;
    im[b] = -k[8] * a2;
    re[b + 1] = b1 - k[5] * b2;
    im[b + 1] = -k[9] * b2;
    re[b + 2] = d1 - k[6] * d2;
    im[b + 2] = -k[10] * d2;
    re[b + 3] = e1 - k[7] * e2;
    im[b + 3] = -k[11] * e2;
    this.sq[slot] = sq;
    this.sum[slot] = sum;
  }
}
