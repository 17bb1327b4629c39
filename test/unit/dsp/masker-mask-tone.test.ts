/**
 * The mask tone carries no information about the digit it hides: it is the chosen key's tone
 * pair at a fixed level (MASK_LEVEL_DBM0 per tone, measured here whatever the hidden digit's level
 * and key), and it lasts as long as the hidden digit plus a fixed-range padding (10 to 20 ms:
 * one 5 ms block each side, plus the rounding of the tone's edges out to 5 ms blocks).
 */
import { describe, expect, it } from 'vitest';
import { DTMF_KEYS, MASK_TONES, keyTones } from '../../../src/dsp/dtmf-keys.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';
import { Masker } from '../../../src/dsp/masker.ts';
import { MASK_LEVEL_DBM0 } from '../../../src/dsp/mask-tone.ts';
import { keyedSequence, rmsDbm0, runStream, toneLevelDbm0 } from './masker-helpers.ts';

const PAD_MIN_MS = 10;
const PAD_MAX_MS = 20;

describe('mask tone', () => {
  it('has the same level whatever the level, twist and key of the hidden digit', () => {
    const levels: number[] = [];
    for (const level of [0, -10, -20, -30, -45]) {
      for (const twistDb of level > -40 ? [0, 4, -8] : [0]) {
        const { samples } = keyedSequence(DTMF_KEYS.join(''), { onMs: 100, offMs: 100, levelDbm0: level, twistDb });
        const { output, windows } = runStream(new Masker({ maskTone: '#' }), samples);
        expect(windows).toHaveLength(16);
        for (const w of windows) {
          const n = w.endSample - w.startSample;
          // Each of the mask key's two tones, and the pair's total power (two tones: +3.01 dB).
          const { low, high } = keyTones('#');
          levels.push(toneLevelDbm0(output, w.startSample, n, low), toneLevelDbm0(output, w.startSample, n, high));
          expect(rmsDbm0(output, w.startSample, n)).toBeCloseTo(MASK_LEVEL_DBM0 + 3.01, 1);
        }
      }
    }
    expect(Math.min(...levels)).toBeGreaterThan(MASK_LEVEL_DBM0 - 0.3);
    expect(Math.max(...levels)).toBeLessThan(MASK_LEVEL_DBM0 + 0.3);
  });

  it('lasts as long as the hidden digit plus 10 to 20 ms, at every duration', () => {
    for (const onMs of [10, 20, 40, 60, 100, 500]) {
      for (const seed of [1, 2, 3, 4, 5]) {
        // 250 ms gaps, so padding never joins two windows; seeds move the tones across block offsets.
        const { samples, tones } = keyedSequence('1D5*', { onMs, offMs: 250, levelDbm0: -20, seed });
        const lead = (seed * 13) % 40;
        const shifted = new Int16Array(samples.length + lead);
        shifted.set(samples, lead);
        const m = new Masker({ maskTone: '0' });
        const { windows } = runStream(m, shifted);
        expect(windows).toHaveLength(tones.length);
        windows.forEach((w, i) => {
          const excessMs = ((w.endSample - w.startSample) - (tones[i].end - tones[i].start)) / 8;
          expect(excessMs).toBeGreaterThanOrEqual(PAD_MIN_MS);
          expect(excessMs).toBeLessThanOrEqual(PAD_MAX_MS);
          // And it sits over the tone (in the delayed timeline).
          expect(w.startSample).toBeLessThanOrEqual(tones[i].start + lead + m.delaySamples);
          expect(w.endSample).toBeGreaterThanOrEqual(tones[i].end + lead + m.delaySamples);
        });
      }
    }
  });

  for (const tone of MASK_TONES) {
    it(`is the DTMF tone of '${tone}' (our Q.24 detector reads it as that key)`, () => {
      const { samples } = keyedSequence('2', { onMs: 80 });
      const m = new Masker({ maskTone: tone });
      const { output } = runStream(m, samples);
      expect(detectDigits(output).map((d) => d.digit)).toEqual([tone]);
    });
  }
});
