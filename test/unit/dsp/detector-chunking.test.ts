/**
 * The detector's answer must not depend on how the stream is cut into `process` calls: the
 * masker, the verifier and the RTP path all feed it different packet sizes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfDetector, detectDigits, type DetectedDigit } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';

const segment = fc.oneof(
  fc.record({
    kind: fc.constant('digit' as const),
    key: fc.constantFrom(...DTMF_KEYS),
    durationMs: fc.integer({ min: 5, max: 150 }),
    levelDbm0: fc.integer({ min: -30, max: 0 }),
    twistDb: fc.integer({ min: -9, max: 5 }),
    deviation: fc.constantFrom(0, 0.015, -0.015, 0.025, 0.035),
    phase: fc.double({ min: 0, max: 6.28, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('silence' as const), durationMs: fc.integer({ min: 0, max: 120 }) }),
  fc.record({
    kind: fc.constant('noise' as const),
    durationMs: fc.integer({ min: 1, max: 200 }),
    levelDbm0: fc.integer({ min: -50, max: -5 }),
    seed: fc.nat(),
  }),
);

type Segment = typeof segment extends fc.Arbitrary<infer T> ? T : never;

function render(segments: Segment[], noiseSeed: number, snrNoise: boolean): Int16Array {
  const parts = segments.map((s) => {
    switch (s.kind) {
      case 'digit':
        return dtmfTone({ key: s.key, durationMs: s.durationMs, levelDbm0: s.levelDbm0, twistDb: s.twistDb, highDeviation: s.deviation, phase: s.phase });
      case 'silence':
        return silence(s.durationMs);
      case 'noise':
        return whiteNoise(s.durationMs, s.levelDbm0, s.seed);
    }
  });
  const x = concat(...parts);
  return toInt16(snrNoise ? mix(x, whiteNoise((x.length * 1000) / 8000, -30, noiseSeed)) : x);
}

function inChunks(x: Int16Array, sizes: number[]): DetectedDigit[] {
  const det = new DtmfDetector();
  const out: DetectedDigit[] = [];
  let off = 0;
  let k = 0;
  while (off < x.length) {
    const n = sizes[k++ % sizes.length];
    out.push(...det.process(x.subarray(off, off + n)));
    off += n;
  }
  out.push(...det.flush());
  return out;
}

describe('DtmfDetector chunking', () => {
  it('process in chunks of 1 sample to seconds + flush gives exactly the one-call result', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 14 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 24_000 })), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.boolean(),
        (segments, sizes, noiseSeed, snrNoise) => {
          const x = render(segments, noiseSeed, snrNoise);
          const whole = detectDigits(x);
          expect(inChunks(x, sizes)).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sample by sample, and with empty chunks, as one call (a fixed stream with 16 digits)', () => {
    const x = toInt16(concat(...DTMF_KEYS.flatMap((key, i) => [silence(40 + i), dtmfTone({ key, durationMs: 45 + i })]), silence(50)));
    const whole = detectDigits(x);
    expect(whole.map((d) => d.digit)).toEqual([...DTMF_KEYS]);
    expect(inChunks(x, [1])).toEqual(whole);
    const det = new DtmfDetector();
    const out: DetectedDigit[] = [];
    for (let off = 0; off < x.length; off += 37) {
      out.push(...det.process(new Int16Array(0)));
      out.push(...det.process(x.subarray(off, off + 37)));
    }
    out.push(...det.flush());
    expect(out).toEqual(whole);
  });
});
