import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GoertzelBank4, blockAcEnergy, blockEnergy, goertzelCoeff, goertzelPower } from '../../../src/dsp/goertzel.ts';

/** The DFT sum written out directly: the independent oracle for every Goertzel result. */
function dftBin(x: Int16Array, off: number, n: number, freq: number, sampleRate: number): { re: number; im: number } {
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const w = (2 * Math.PI * freq * i) / sampleRate;
    re += x[off + i] * Math.cos(w);
    im -= x[off + i] * Math.sin(w);
  }
  return { re, im };
}

const int16Array = (min: number, max: number) =>
  fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: min, maxLength: max }).map((a) => Int16Array.from(a));

describe('goertzel', () => {
  it('coefficient is 2·cos(2πf/fs)', () => {
    expect(goertzelCoeff(2000, 8000)).toBeCloseTo(0, 12);
    expect(goertzelCoeff(0, 8000)).toBe(2);
  });

  it('blockEnergy is Σx² for any length and offset', () => {
    fc.assert(
      fc.property(int16Array(1, 300), fc.nat(), (x, o) => {
        const off = o % x.length;
        const n = x.length - off;
        let e = 0;
        for (let i = off; i < x.length; i++) e += x[i] * x[i];
        expect(blockEnergy(x, off, n)).toBe(e);
      }),
    );
  });

  it('blockAcEnergy is Σ(x − mean)² for any length and offset', () => {
    fc.assert(
      fc.property(int16Array(1, 300), fc.nat(), (x, o) => {
        const off = o % x.length;
        const n = x.length - off;
        let mean = 0;
        for (let i = off; i < x.length; i++) mean += x[i] / n;
        let e = 0;
        for (let i = off; i < x.length; i++) e += (x[i] - mean) ** 2;
        expect(Math.abs(blockAcEnergy(x, off, n) - e)).toBeLessThanOrEqual(1e-9 * (blockEnergy(x, off, n) + 1));
      }),
    );
  });

  it('goertzelPower equals |DFT bin|² at arbitrary frequencies', () => {
    fc.assert(
      fc.property(int16Array(1, 200), fc.double({ min: 0, max: 4000, noNaN: true }), (x, f) => {
        const { re, im } = dftBin(x, 0, x.length, f, 8000);
        const want = re * re + im * im;
        expect(goertzelPower(x, 0, x.length, f, 8000)).toBeCloseTo(want, -Math.ceil(Math.log10(want + 1)) + 8);
      }),
    );
  });

  it('the 4-filter bank gives the DFT bins, power and phase, at any offset', () => {
    const freqs = [697, 770, 852, 941];
    const bank = new GoertzelBank4(freqs, 80, 8000);
    const z = new Float64Array(2);
    fc.assert(
      fc.property(int16Array(80, 400), fc.nat(), (x, o) => {
        const off = o % (x.length - 79);
        bank.run(x, off);
        for (let i = 0; i < 4; i++) {
          const { re, im } = dftBin(x, off, 80, freqs[i], 8000);
          const scale = Math.hypot(re, im) + 1;
          bank.phasor(i, z);
          expect(Math.abs(z[0] - re) / scale).toBeLessThan(1e-9);
          expect(Math.abs(z[1] - im) / scale).toBeLessThan(1e-9);
          expect(Math.abs(bank.power[i] - (re * re + im * im)) / (scale * scale)).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('runWithEnergy gives the same bins as run plus the block energy without DC, exactly', () => {
    const a = new GoertzelBank4([1209, 1336, 1477, 1633], 80, 8000);
    const b = new GoertzelBank4([1209, 1336, 1477, 1633], 80, 8000);
    fc.assert(
      fc.property(int16Array(80, 300), fc.nat(), (x, o) => {
        const off = o % (x.length - 79);
        a.run(x, off);
        const e = b.runWithEnergy(x, off);
        expect([...b.power]).toEqual([...a.power]);
        expect(e).toBe(blockAcEnergy(x, off, 80));
      }),
    );
  });

  it('a sine on the bin filling the block gives |X| = A·N/2', () => {
    const n = 80;
    const x = Int16Array.from({ length: n }, (_, i) => Math.round(10000 * Math.cos((2 * Math.PI * 1000 * i) / 8000)));
    expect(Math.sqrt(goertzelPower(x, 0, n, 1000, 8000))).toBeCloseTo((10000 * n) / 2, -1);
  });

  it('rejects a bank of the wrong size', () => {
    expect(() => new GoertzelBank4([1, 2, 3], 80, 8000)).toThrow(RangeError);
  });
});
