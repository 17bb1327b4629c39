/**
 * The Q.24 receiver with a BlockGate (src/dsp/detector.ts): blocks the verifier's attacker screen
 * rules out are skipped, and the digits must be the same as without the gate, field for field
 * (start and end come from the blocks around a digit, a skipped one included). The gate here is
 * the screen's JS reference (src/verify/high-group-screen.ts) at the attacker receiver's −50 dBm0
 * floor, on the windows that are Q.24 blocks, as attacker-kernel.c computes it for the scanner.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfDetector, type BlockGate, type DetectedDigit } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS, HIGH_GROUP_HZ } from '../../../src/dsp/dtmf-keys.ts';
import { decodeAlaw, encodeAlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak } from '../../../src/dsp/levels.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { HighGroupScreen } from '../../../src/verify/high-group-screen.ts';

const N = 80;

/** The screen's verdict on every whole block of x: 0 where no key can be. */
function screenGate(x: Int16Array): BlockGate {
  const peak = dbm0ToPeak(-50);
  const screen = new HighGroupScreen(HIGH_GROUP_HZ, 8000, (peak * peak * N) / 2);
  const flags = new Uint8Array(Math.floor(x.length / N));
  for (let b = 0; b < flags.length; b++) flags[b] = screen.mayPass(x, 0, b * N) ? 1 : 0;
  return { first: 0, count: flags.length, flags };
}

/** Digits of x fed in `chunks` (cycled), with the gate or without. */
function detect(x: Int16Array, chunks: number[], gate?: BlockGate): DetectedDigit[] {
  const d = new DtmfDetector();
  const out: DetectedDigit[] = [];
  for (let i = 0, k = 0; i < x.length; ) {
    const n = Math.min(chunks[k++ % chunks.length], x.length - i);
    out.push(...d.process(x.subarray(i, i + n), gate));
    i += n;
  }
  out.push(...d.flush());
  return out;
}

const alaw = (x: Float64Array): Int16Array => decodeAlaw(encodeAlaw(toInt16(x)));

/**
 * Speech-like audio at −12 to −36 dBm0 with a digit after each stretch at an offset that moves
 * through the 10 ms block grid (so its leading edge falls in a block the screen may have ruled
 * out), levels −8 to −33 dBm0, twist −6..+4 dB, 35–90 ms; every third digit under speech.
 */
function speechAndDigits(seed: number): Float64Array {
  const parts: Float64Array[] = [];
  for (let i = 0; i < 48; i++) {
    parts.push(speechLike(180 + 7 * i, seed + i, -12 - 3 * (i % 9)), silence((i * 13) % 29));
    const tone = dtmfTone({ key: DTMF_KEYS[(seed + i) % 16], durationMs: 35 + ((i * 11) % 56), levelDbm0: -8 - 5 * (i % 6), twistDb: (i % 6) * 2 - 6 });
    parts.push(i % 3 === 2 ? mix(tone, speechLike(tone.length / 8, seed + 500 + i, -30)) : tone, silence(20 + (i % 4) * 15));
  }
  return concat(...parts);
}

describe('Q.24 receiver with a block gate', () => {
  it('finds the same digits, field for field, in 20 ms packets and odd chunks, while skipping most speech blocks', () => {
    const x = alaw(mix(speechAndDigits(3), whiteNoise(speechAndDigits(3).length / 8, -55, 9)));
    const gate = screenGate(x);
    const ruledOut = gate.flags.reduce((n, f) => n + (f === 0 ? 1 : 0), 0);
    expect(ruledOut).toBeGreaterThan(0.4 * gate.count);
    for (const chunks of [[160], [37, 80, 113, 500], [1], [4096]]) {
      const ref = detect(x, chunks);
      expect(ref.length).toBeGreaterThanOrEqual(40);
      expect(detect(x, chunks, gate)).toEqual(ref);
    }
  });

  it('a gate that rules out nothing, or covers other blocks, changes nothing', () => {
    const x = alaw(speechAndDigits(5));
    const ref = detect(x, [160]);
    const all = screenGate(x);
    expect(detect(x, [160], { first: 0, count: all.count, flags: new Uint8Array(all.count).fill(1) })).toEqual(ref);
    expect(detect(x, [160], { first: all.count, count: all.count, flags: new Uint8Array(all.count) })).toEqual(ref);
  });

  it('property: digits of any key, level, twist, length and offset under speech, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 15 }),
            ms: fc.integer({ min: 25, max: 120 }),
            level: fc.double({ min: -36, max: -5, noNaN: true }),
            twist: fc.double({ min: -8, max: 5, noNaN: true }),
            gap: fc.integer({ min: 1, max: 90 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: -45, max: -15, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }),
        (tones, seed, speechDbm0, chunks) => {
          const signal = concat(silence(15), ...tones.flatMap((t) => [dtmfTone({ key: DTMF_KEYS[t.key], durationMs: t.ms, levelDbm0: t.level, twistDb: t.twist }), silence(t.gap)]));
          const x = alaw(mix(signal, speechLike(signal.length / 8, seed, speechDbm0)));
          expect(detect(x, chunks, screenGate(x))).toEqual(detect(x, chunks));
        },
      ),
      { numRuns: 150 },
    );
  });
});
