import { describe, expect, it } from 'vitest';
import { DTMF_KEYS, keyTones } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak, dbm0ToRms, peakToDbm0, rmsToDbm0 } from '../../../src/dsp/levels.ts';

/** Power of one frequency component by correlation with a complex exponential (an independent DFT bin). */
function componentPeak(x: Float64Array, freq: number, sampleRate = 8000): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < x.length; i++) {
    const w = (2 * Math.PI * freq * i) / sampleRate;
    re += x[i] * Math.cos(w);
    im -= x[i] * Math.sin(w);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

function rms(x: Float64Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
}

describe('levels', () => {
  it('puts a full-scale sine at +3.14 dBm0 (G.711)', () => {
    expect(peakToDbm0(32767)).toBeCloseTo(3.14, 10);
    expect(dbm0ToPeak(3.14)).toBeCloseTo(32767, 6);
    expect(dbm0ToPeak(0)).toBeCloseTo(22826.4, 0);
    expect(rmsToDbm0(dbm0ToRms(-17))).toBeCloseTo(-17, 10);
  });
});

describe('DTMF generator', () => {
  it('makes each of the 16 keys from its two Q.23 frequencies at the asked level', () => {
    for (const key of DTMF_KEYS) {
      const x = dtmfTone({ key, durationMs: 1000, levelDbm0: -7 });
      const { low, high } = keyTones(key);
      expect(peakToDbm0(componentPeak(x, low)), key).toBeCloseTo(-7, 1);
      expect(peakToDbm0(componentPeak(x, high)), key).toBeCloseTo(-7, 1);
      // Nothing at the other group frequencies.
      for (const other of [697, 770, 852, 941, 1209, 1336, 1477, 1633].filter((f) => f !== low && f !== high)) {
        expect(componentPeak(x, other), `${key} at ${other}`).toBeLessThan(componentPeak(x, low) / 100);
      }
    }
  });

  it('applies twist to the high group and frequency deviation to each tone', () => {
    const x = dtmfTone({ key: '5', durationMs: 1000, levelDbm0: -20, twistDb: 4, lowDeviation: 0.015, highDeviation: -0.035 });
    expect(peakToDbm0(componentPeak(x, 770 * 1.015))).toBeCloseTo(-20, 1);
    expect(peakToDbm0(componentPeak(x, 1336 * 0.965))).toBeCloseTo(-16, 1);
    expect(componentPeak(x, 770)).toBeLessThan(componentPeak(x, 770 * 1.015) / 10);
  });

  it('makes tones and silences of the asked duration', () => {
    expect(dtmfTone({ key: '1', durationMs: 40 }).length).toBe(320);
    expect(silence(23).length).toBe(184);
    expect(concat(silence(10), dtmfTone({ key: '#', durationMs: 5 })).length).toBe(120);
  });

  it('makes seeded white noise of the asked power, reproducibly', () => {
    const a = whiteNoise(2000, -30, 7);
    expect(rmsToDbm0(rms(a))).toBeCloseTo(-30, 0);
    expect(whiteNoise(2000, -30, 7)).toEqual(a);
    expect(whiteNoise(2000, -30, 8)).not.toEqual(a);
  });

  it('mixes and rounds to 16 bits with clipping', () => {
    const m = mix(new Float64Array([1, 2, 3]), new Float64Array([0.4, 40000]));
    expect(Array.from(toInt16(m))).toEqual([1, 32767, 3]);
    expect(Array.from(toInt16(new Float64Array([-40000, -0.6])))).toEqual([-32768, -1]);
  });
});
