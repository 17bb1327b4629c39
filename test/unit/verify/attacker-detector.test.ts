/**
 * The attacker's receiver: finds what a Q.24 receiver must ignore (bursts down to 10 ms, tones down
 * to −45 dBm0), attributes it to the right key, and stays quiet on noise, off-frequency tone pairs
 * and single tones. Talk-off on speech is checked in test/integration/verify (espeak-ng).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfDetector } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS, type DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { decodeAlaw, encodeAlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, sine, silence, toInt16, whiteNoise, mix } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak } from '../../../src/dsp/levels.ts';
import { AttackerDetector, type Fragment } from '../../../src/verify/attacker-detector.ts';

function run(x: Int16Array, chunk = x.length): Fragment[] {
  const d = new AttackerDetector();
  const out: Fragment[] = [];
  for (let i = 0; i < x.length; i += chunk) out.push(...d.process(x.subarray(i, i + chunk)));
  return [...out, ...d.flush()];
}

function burst(key: DtmfKey, ms: number, level: number, leadSamples = 800, twistDb = 0, phase = 0.3): Int16Array {
  const lead = new Float64Array(leadSamples);
  // Both tones at or above `level`: with negative twist the low tone is raised instead.
  return decodeAlaw(encodeAlaw(toInt16(concat(lead, dtmfTone({ key, durationMs: ms, levelDbm0: level + Math.max(0, -twistDb), twistDb, phase }), silence(100)))));
}

describe('attacker receiver', () => {
  it('finds a 10 ms burst at −45 dBm0 per tone of every key, at any offset against its windows, through A-law', () => {
    for (const key of DTMF_KEYS) {
      for (const lead of [800, 803, 807, 811, 815]) {
        for (const twist of [-4, 0, 4]) {
          const f = run(burst(key, 10, -45, lead, twist));
          expect(f.map((x) => x.digit), `${key} lead ${lead} twist ${twist}`).toEqual([key]);
        }
      }
    }
  });

  it('finds what the Q.24 receiver rightly rejects (a 20 ms burst), within 3 ms of its edges', () => {
    const x = burst('7', 20, -20);
    const q24 = new DtmfDetector();
    expect([...q24.process(x), ...q24.flush()]).toEqual([]);
    const [f] = run(x);
    expect(f.digit).toBe('7');
    expect(Math.abs(f.startMs - 100)).toBeLessThanOrEqual(3);
    expect(Math.abs(f.endMs - 120)).toBeLessThanOrEqual(3);
  });

  it('finds a long tone too quiet for Q.24 (60 ms at −45 dBm0), but leaves loud long tones to the Q.24 receiver', () => {
    const quiet = burst('C', 60, -45);
    const q24 = new DtmfDetector();
    expect([...q24.process(quiet), ...q24.flush()]).toEqual([]);
    expect(run(quiet).map((f) => f.digit)).toEqual(['C']);
    // A loud 80 ms pair with 3% deviation: Q.24 judged it (and rejects it); no fragment either.
    const off = toInt16(concat(silence(50), dtmfTone({ key: '2', durationMs: 80, levelDbm0: -10, lowDeviation: 0.03, highDeviation: -0.03 }), silence(50)));
    expect(run(off)).toEqual([]);
  });

  it('reports one fragment per burst, in order, for bursts 30 ms apart', () => {
    const parts: Float64Array[] = [silence(50)];
    const keys: DtmfKey[] = ['4', '1', '1', '1', '9'];
    for (const k of keys) parts.push(dtmfTone({ key: k, durationMs: 12, levelDbm0: -30 }), silence(30));
    expect(run(toInt16(concat(...parts))).map((f) => f.digit)).toEqual(keys);
  });

  it('gives nothing on silence, white noise, a single tone or a pair 4% off frequency', () => {
    expect(run(new Int16Array(8000))).toEqual([]);
    expect(run(toInt16(whiteNoise(3000, -20, 7)))).toEqual([]);
    expect(run(toInt16(sine(941, 200, dbm0ToPeak(-10))))).toEqual([]);
    const off = toInt16(concat(silence(50), dtmfTone({ key: '5', durationMs: 60, levelDbm0: -10, lowDeviation: 0.04, highDeviation: 0.04 }), silence(50)));
    expect(run(off)).toEqual([]);
  });

  it('ignores what is below its floor (−55 dBm0, where Q.24 says reject)', () => {
    expect(run(burst('8', 40, -55))).toEqual([]);
  });

  it('property: how the audio is chunked does not change the fragments', () => {
    const x = toInt16(concat(silence(30), dtmfTone({ key: '3', durationMs: 15, levelDbm0: -25 }), silence(40), mix(dtmfTone({ key: 'D', durationMs: 11, levelDbm0: -40 }), whiteNoise(11, -70, 3)), silence(40)));
    const whole = run(x);
    expect(whole.map((f) => f.digit)).toEqual(['3', 'D']);
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 }), (chunk) => {
      expect(run(x, chunk)).toEqual(whole);
    }), { numRuns: 60 });
  });
});
