/**
 * Fail closed (design brief): tones 3% and 3.5% off frequency are not DTMF to a Q.24 receiver
 * (which must reject ±3.5%), but a looser detector may still read them as digits, so the masker
 * masks them too: every sample of every such tone, for all 16 keys, in silence and in noise. The
 * cost side is checked by masker-transparency.test.ts (speech masked under 2%).
 */
import { describe, expect, it } from 'vitest';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { buildLeakInput, runLeakCase, type LeakCase } from '../../../src/dsp/mask-leak-scan.ts';

function offFrequencyCases(): LeakCase[] {
  const cases: LeakCase[] = [];
  let seed = 100;
  for (const deviation of [0.035, -0.035, 0.03, -0.03]) {
    for (const key of DTMF_KEYS) {
      for (const background of ['silence', 'noise'] as const) {
        for (const durationMs of [40, 80]) {
          const name = `${key} ${deviation > 0 ? '+' : ''}${deviation * 100}% ${durationMs} ms in ${background}`;
          cases.push({ name, key, durationMs, levelDbm0: -10, twistDb: 0, lowDeviation: deviation, highDeviation: deviation, background, seed: seed++ });
        }
      }
    }
  }
  return cases;
}

describe('masker: tones off frequency', () => {
  it('masks every sample of 256 tones 3% and 3.5% off frequency (all keys, 40 and 80 ms, silence and noise) at 40 ms lookahead', () => {
    const leaking = offFrequencyCases()
      .map((c) => ({ c, r: runLeakCase(buildLeakInput(c), '#', 40) }))
      .filter(({ r }) => r.leakedSamples > 0)
      .map(({ c, r }) => `${c.name}: ${r.leakedSamples} samples`);
    expect(leaking).toEqual([]);
  });

  it('also at the masker\'s minimum leak-free lookahead (15 ms)', () => {
    const leaking = offFrequencyCases()
      .filter((c) => c.durationMs === 40)
      .map((c) => ({ c, r: runLeakCase(buildLeakInput(c), '#', 15) }))
      .filter(({ r }) => r.leakedSamples > 0)
      .map(({ c }) => c.name);
    expect(leaking).toEqual([]);
  });
});
