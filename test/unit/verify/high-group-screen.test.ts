/**
 * The attacker receiver's screen (src/verify/high-group-screen.ts) may only skip windows the
 * analyzer would reject: checked window by window against the analyzer itself, and end to end as a
 * differential test (the fragments with and without the screen are equal) over speech-like audio,
 * unmasked and masked digits, and bursts down to 10 ms and −45 dBm0.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfBlockAnalyzer, NO_KEY } from '../../../src/dsp/detector-block.ts';
import { DTMF_KEYS, type DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { decodeAlaw, encodeAlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, sine, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak } from '../../../src/dsp/levels.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { Masker } from '../../../src/dsp/masker.ts';
import { ATTACKER_BLOCK_TESTS, AttackerDetector, type Fragment } from '../../../src/verify/attacker-detector.ts';
import { HighGroupScreen } from '../../../src/verify/high-group-screen.ts';

function fragments(x: Int16Array, screen: boolean, chunk = 160): Fragment[] {
  const d = new AttackerDetector({ screen });
  const out: Fragment[] = [];
  for (let i = 0; i < x.length; i += chunk) out.push(...d.process(x.subarray(i, i + chunk)));
  return [...out, ...d.flush()];
}

/** Windows (80 samples every 16) the analyzer accepts, and those the screen lets through. */
function windows(x: Int16Array): { accepted: number; passed: number; missed: number; total: number } {
  const a = new DtmfBlockAnalyzer(8000, ATTACKER_BLOCK_TESTS);
  const floor = dbm0ToPeak(ATTACKER_BLOCK_TESTS.minToneDbm0) ** 2 * 40;
  const s = new HighGroupScreen(a.high.freqs, 8000, floor);
  let accepted = 0;
  let passed = 0;
  let missed = 0;
  let total = 0;
  for (let at = 0; at + 80 <= x.length; at += 16) {
    const pass = s.mayPass(x, 0, at);
    const key = a.analyze(x, at, false);
    total++;
    if (pass) passed++;
    if (key !== NO_KEY) {
      accepted++;
      if (!pass) missed++;
    }
  }
  return { accepted, passed, missed, total };
}

const keys = (s: string): DtmfKey[] => [...s] as DtmfKey[];

/** Speech-like audio at three levels with digits between, and 10–23 ms bursts down to −45 dBm0 over and under it. */
function program(seed: number): Float64Array {
  const parts: Float64Array[] = [];
  const levels = [-10, -20, -35];
  keys('4111111111111111').forEach((k, i) => {
    const level = levels[i % 3];
    parts.push(speechLike(700, seed + i, level));
    parts.push(dtmfTone({ key: k, durationMs: 40 + 10 * (i % 5), levelDbm0: -10 - 4 * (i % 6) }), silence(40 + i));
    const burst = dtmfTone({ key: DTMF_KEYS[(seed + i) % 16], durationMs: 10 + (i % 14), levelDbm0: -45 + 5 * (i % 8), twistDb: (i % 3) * 3 - 3 });
    // Every other burst lies under speech (at −35 dBm0), the others alone.
    parts.push(i % 2 ? mix(burst, speechLike(burst.length / 8, seed + 100 + i, -35)) : burst, silence(30));
  });
  return concat(...parts);
}

describe('high-group screen of the attacker receiver', () => {
  it('never turns away a window the analyzer accepts (speech, digits, bursts, noise; through A-law)', () => {
    const x = decodeAlaw(encodeAlaw(toInt16(program(1))));
    const w = windows(x);
    expect(w.accepted).toBeGreaterThan(100);
    expect(w.missed).toBe(0);
    // And it is worth having: most windows of this mostly-speech signal never reach the filters.
    expect(w.passed).toBeLessThan(0.5 * w.total);
  });

  it('property: no window the analyzer accepts is screened out, for tone pairs near DTMF over noise at any level', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 5, max: 60 }),
        fc.double({ min: -52, max: 0, noNaN: true }),
        fc.double({ min: -0.04, max: 0.04, noNaN: true }),
        fc.double({ min: -8, max: 8, noNaN: true }),
        fc.integer({ min: -80, max: -20 }),
        fc.integer({ min: 0, max: 1000 }),
        (k, ms, level, dev, twist, noise, seed) => {
          const tone = dtmfTone({ key: DTMF_KEYS[k], durationMs: ms, levelDbm0: level, lowDeviation: dev, highDeviation: -dev, twistDb: twist });
          const x = toInt16(mix(concat(silence(7), tone, silence(20)), whiteNoise(ms + 27, noise, seed)));
          expect(windows(x).missed).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('differential: the same fragments with and without the screen, unmasked and masked, in any chunking', () => {
    for (const seed of [1, 7]) {
      const x = decodeAlaw(encodeAlaw(toInt16(program(seed))));
      const plain = fragments(x, false);
      // The bursts are there to be found: a test with nothing to find could not fail.
      expect(plain.length).toBeGreaterThan(8);
      expect(fragments(x, true)).toEqual(plain);
      expect(fragments(x, true, 33)).toEqual(plain);
      const m = new Masker({ maskTone: '#', lookaheadMs: 40 });
      const masked = concat(Float64Array.from(m.process(toInt16(program(seed)))), Float64Array.from(m.flush()));
      const mx = toInt16(masked);
      expect(fragments(mx, true)).toEqual(fragments(mx, false));
    }
  });

  it('differential: a single tone, a 4% off pair and DC-offset audio give the same (nothing) either way', () => {
    const cases = [
      toInt16(sine(1336, 300, dbm0ToPeak(-10))),
      toInt16(concat(silence(50), dtmfTone({ key: '5', durationMs: 60, levelDbm0: -10, lowDeviation: 0.04, highDeviation: 0.04 }), silence(50))),
      toInt16(mix(concat(silence(20), dtmfTone({ key: '9', durationMs: 12, levelDbm0: -40 }), silence(20)), new Float64Array(416).fill(3000))),
    ];
    for (const x of cases) expect(fragments(x, true)).toEqual(fragments(x, false));
  });
});
