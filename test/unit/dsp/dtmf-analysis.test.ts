/**
 * DtmfAnalysis: the 10 ms window bins it builds from two 5 ms halves are the DFT of the window
 * (coherent combination), for both groups, whether the low group was computed at once, after the
 * caller's buffer was overwritten (`release`), or from G.711 codewords; quiet halves read as zero.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DtmfAnalysis } from '../../../src/dsp/dtmf-analysis.ts';
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from '../../../src/dsp/dtmf-keys.ts';
import { ALAW_DECODE_TABLE, encodeG711 } from '../../../src/dsp/g711.ts';

const FREQS = [...LOW_GROUP_HZ, ...HIGH_GROUP_HZ];

/** Reference DFT X(f) = Σ x[n]·e^(−j2πfn/8000) over x[off..off+n), by the definition. */
function dft(x: Int16Array, off: number, n: number, f: number): [number, number] {
  const w = (2 * Math.PI * f) / 8000;
  let re = 0;
  let im = 0;
  for (let k = 0; k < n; k++) {
    re += x[off + k] * Math.cos(w * k);
    im -= x[off + k] * Math.sin(w * k);
  }
  return [re, im];
}

/** The window's bin f as a DFT value referenced to the window start (the analysis keeps y = e^(jω(B−1))·X). */
function windowBin(an: DtmfAnalysis, f: number): [number, number] {
  const yr = an.winRe[f];
  const yi = an.winIm[f];
  const pr = an.toStartRe[f];
  const pi = an.toStartIm[f];
  return [yr * pr - yi * pi, yr * pi + yi * pr];
}

function expectBinsEqual(an: DtmfAnalysis, x: Int16Array, off: number): void {
  for (let f = 0; f < 8; f++) {
    const [re, im] = windowBin(an, f);
    const [er, ei] = dft(x, off, 80, FREQS[f]);
    const scale = 1 + Math.hypot(er, ei);
    expect(Math.abs(re - er) / scale).toBeLessThan(1e-9);
    expect(Math.abs(im - ei) / scale).toBeLessThan(1e-9);
  }
}

const loudSamples = fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 120, maxLength: 120 }).map((a) => {
  const x = Int16Array.from(a);
  // Keep every half above the −60 dBm0 gate.
  for (let i = 0; i < x.length; i += 40) x[i] = 20000;
  return x;
});

describe('DtmfAnalysis', () => {
  it('a window of two halves gives the 10 ms DFT at all 8 frequencies (the second half turned by e^(−jω·40))', () => {
    fc.assert(
      fc.property(loudSamples, (x) => {
        const an = new DtmfAnalysis();
        an.feed(x, 0);
        an.feed(x, 40);
        an.highWindow();
        an.lowWindow();
        expectBinsEqual(an, x, 0);
        // The next window slides by one half: [40, 120).
        an.feed(x, 80);
        an.highWindow();
        an.lowWindow();
        expectBinsEqual(an, x, 40);
      }),
      { numRuns: 40 },
    );
  });

  it('the low group asked for after the caller overwrote its buffer (release) is still that of the audio fed', () => {
    fc.assert(
      fc.property(loudSamples, (x) => {
        const an = new DtmfAnalysis();
        const buf = new Int16Array(40);
        buf.set(x.subarray(0, 40));
        an.feed(buf, 0);
        an.release();
        buf.set(x.subarray(40, 80));
        an.feed(buf, 0);
        an.highWindow(); // the high group only: the low group of both halves is still owed
        an.release();
        buf.fill(12345); // the caller reuses its buffer
        an.feed(x, 80);
        an.highWindow();
        an.lowWindow();
        expectBinsEqual(an, x, 40);
      }),
      { numRuns: 40 },
    );
  });

  it('G.711 codewords (feedCodes) give the bins of the decoded audio, also after release', () => {
    fc.assert(
      fc.property(loudSamples, (x) => {
        const codes = encodeG711('alaw', x);
        const decoded = Int16Array.from(codes, (c) => ALAW_DECODE_TABLE[c]);
        const an = new DtmfAnalysis();
        const buf = new Uint8Array(40);
        buf.set(codes.subarray(0, 40));
        an.feedCodes(buf, 0, ALAW_DECODE_TABLE);
        an.release();
        buf.set(codes.subarray(40, 80));
        an.feedCodes(buf, 0, ALAW_DECODE_TABLE);
        an.highWindow();
        an.lowWindow();
        expect(an.windowEnergy()).toBe(decoded.subarray(0, 80).reduce((e, v) => e + v * v, 0));
        expect(an.windowSum()).toBe(decoded.subarray(0, 80).reduce((e, v) => e + v, 0));
        expectBinsEqual(an, decoded, 0);
      }),
      { numRuns: 30 },
    );
  });

  it('a half under the −60 dBm0 gate is quiet: no filters, bins zero, energy still counted', () => {
    const an = new DtmfAnalysis();
    const x = new Int16Array(80);
    x.fill(1, 0, 40); // mean power far under −60 dBm0 (a full-scale sine is +3.14 dBm0 at peak 32767)
    for (let i = 40; i < 80; i++) x[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1209 * i) / 8000));
    an.feed(x, 0);
    expect(an.quiet[0]).toBe(1);
    an.feed(x, 40);
    expect(an.quiet[1]).toBe(0);
    an.highWindow();
    an.lowWindow();
    // The window's bins are those of the second half alone, turned to the window start.
    const ref = new Int16Array(80);
    ref.set(x.subarray(40), 40);
    expectBinsEqual(an, ref, 0);
    expect(an.windowEnergy()).toBe(x.reduce((e, v) => e + v * v, 0));
  });
});
