/**
 * Chunking does not matter: random chunk sizes from 1 sample to seconds give the same output and
 * the same mask windows as one call with the whole stream (analysis blocks sit at absolute stream
 * positions; an output sample is decided only from blocks completed before its input arrived).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeG711 } from '../../../src/dsp/g711.ts';
import { G711Masker, Masker } from '../../../src/dsp/masker.ts';
import { keyedSequence, runStream } from './masker-helpers.ts';

/** Digits at Q.24 timing between speech-like audio, plus 10–30 ms bursts: many window edges. */
function fixture(seed: number): Int16Array {
  const a = keyedSequence('4111111111111111', { speech: true, seed, levelDbm0: -15 });
  const b = keyedSequence('73#', { onMs: 15 + seed, offMs: 25, levelDbm0: -40, seed });
  const x = new Int16Array(a.samples.length + b.samples.length);
  x.set(a.samples);
  x.set(b.samples, a.samples.length);
  return x;
}

const chunkSizes = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 400 }), fc.integer({ min: 401, max: 24_000 })),
  { minLength: 1, maxLength: 12 },
);

describe('masker chunking', () => {
  it('16-bit: any chunking gives the output and windows of one whole-stream call', () => {
    const inputs = [1, 2, 3].map(fixture);
    const refs = inputs.map((x) => runStream(new Masker({ maskTone: '#' }), x));
    for (const r of refs) expect(r.windows.length).toBeGreaterThanOrEqual(16);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), chunkSizes, (i, chunks) => {
        const got = runStream(new Masker({ maskTone: '#' }), inputs[i], chunks);
        expect(got.windows).toEqual(refs[i].windows);
        expect(Buffer.from(got.output.buffer).equals(Buffer.from(refs[i].output.buffer))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('16-bit: also at a lookahead shorter than the analysis needs (decisions still chunk-independent)', () => {
    const x = fixture(4);
    const ref = runStream(new Masker({ maskTone: '1', lookaheadMs: 3 }), x);
    fc.assert(
      fc.property(chunkSizes, (chunks) => {
        const got = runStream(new Masker({ maskTone: '1', lookaheadMs: 3 }), x, chunks);
        expect(got.windows).toEqual(ref.windows);
        expect(Buffer.from(got.output.buffer).equals(Buffer.from(ref.output.buffer))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('G.711: any chunking gives the same codewords and windows', () => {
    const codes = encodeG711('ulaw', fixture(5));
    const ref = runStream(new G711Masker('ulaw', { maskTone: '0', lookaheadMs: 20 }), codes);
    expect(ref.windows.length).toBeGreaterThanOrEqual(16);
    fc.assert(
      fc.property(chunkSizes, (chunks) => {
        const got = runStream(new G711Masker('ulaw', { maskTone: '0', lookaheadMs: 20 }), codes, chunks);
        expect(got.windows).toEqual(ref.windows);
        expect(Buffer.from(got.output).equals(Buffer.from(ref.output))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('a masker is ready for a new stream after flush', () => {
    const x = fixture(6);
    const m = new Masker({ maskTone: '#' });
    const first = runStream(m, x, [160]);
    const second = runStream(m, x, [333]);
    expect(second.windows).toEqual(first.windows);
    expect(Buffer.from(second.output.buffer).equals(Buffer.from(first.output.buffer))).toBe(true);
  });
});
