/**
 * Outside mask windows the output is the delayed input itself: the same 16-bit samples, and for
 * G711Masker the same codewords (µ-law 0x7F and 0xFF both decode to 0: decoding and re-encoding
 * would turn 0x7F into 0xFF). Inside windows it is the mask tone, nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type G711Codec, encodeG711, g711Silence } from '../../../src/dsp/g711.ts';
import { G711Masker, Masker } from '../../../src/dsp/masker.ts';
import { maskToneCodes, maskToneTable } from '../../../src/dsp/mask-tone.ts';
import { keyedSequence, runStream, windowMap } from './masker-helpers.ts';

/** Fixture: µ-law codewords that decode to zero in both polarities, and the A-law near-zero pair. */
const ULAW_ZEROS = Uint8Array.of(0x7f, 0xff, 0x7f, 0x7f, 0xff);
const ALAW_NEAR_ZERO = Uint8Array.of(0xd5, 0x55, 0xd5, 0x55);

function checkLinear(input: Int16Array, lookaheadMs: number, chunks: number[] = []): { masked: number } {
  const m = new Masker({ maskTone: '0', lookaheadMs });
  const d = m.delaySamples;
  const { output, windows } = runStream(m, input, chunks);
  expect(output.length).toBe(input.length + d);
  const inWin = windowMap(windows, output.length);
  const table = maskToneTable('0');
  let masked = 0;
  for (const w of windows) {
    for (let j = w.startSample; j < w.endSample; j++) {
      if (output[j] !== table[(j - w.startSample) % table.length]) throw new Error(`sample ${j} in a window is not the mask tone`);
    }
  }
  for (let j = 0; j < output.length; j++) {
    if (inWin[j]) {
      masked++;
      continue;
    }
    const want = j < d ? 0 : input[j - d];
    if (output[j] !== want) throw new Error(`output ${j} = ${output[j]}, delayed input ${want}`);
  }
  return { masked };
}

function checkG711(codec: G711Codec, codes: Uint8Array, lookaheadMs: number, chunks: number[] = []): { masked: number } {
  const m = new G711Masker(codec, { maskTone: '1', lookaheadMs });
  const d = m.delaySamples;
  const { output, windows } = runStream(m, codes, chunks);
  expect(output.length).toBe(codes.length + d);
  const inWin = windowMap(windows, output.length);
  const table = maskToneCodes('1', codec);
  let masked = 0;
  for (const w of windows) {
    for (let j = w.startSample; j < w.endSample; j++) {
      if (output[j] !== table[(j - w.startSample) % table.length]) throw new Error(`codeword ${j} in a window is not the mask tone`);
    }
  }
  for (let j = 0; j < output.length; j++) {
    if (inWin[j]) {
      masked++;
      continue;
    }
    const want = j < d ? g711Silence(codec) : codes[j - d];
    if (output[j] !== want) throw new Error(`codeword ${j} = 0x${output[j].toString(16)}, delayed input 0x${want.toString(16)}`);
  }
  return { masked };
}

describe('masker transparency outside mask windows', () => {
  it('16-bit: digits, noise and speech-like audio come out delayed sample for sample', () => {
    const { samples } = keyedSequence('4111111111111111', { speech: true, snrDb: 30 });
    for (const la of [40, 15, 0, 123.4]) {
      const { masked } = checkLinear(samples, la);
      expect(masked).toBeGreaterThan(16 * 200); // the digits were masked, so windows were exercised
    }
  });

  it('16-bit property: any input, any lookahead, any chunking', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -32768, max: 32767 }).map((v) => [v]),
          fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 3000 }),
        ),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 8 }),
        (noise, seed, la, chunks) => {
          // A digit with random samples spliced in, so both windows and plain audio occur.
          const { samples } = keyedSequence('5', { seed, snrDb: 20 });
          const x = new Int16Array(samples.length + noise.length);
          x.set(samples);
          x.set(noise, samples.length);
          checkLinear(x, la, chunks);
        },
      ),
      { numRuns: 40 },
    );
  });

  for (const codec of ['alaw', 'ulaw'] as const) {
    it(`${codec}: every codeword outside windows is the input codeword, including the zero codewords`, () => {
      const { samples } = keyedSequence('0123456789*#ABCD', { snrDb: 25 });
      const codes = encodeG711(codec, samples);
      // Splice in codewords that decode-and-re-encode would not give back.
      const fixture = codec === 'ulaw' ? ULAW_ZEROS : ALAW_NEAR_ZERO;
      for (let p = 0; p + fixture.length < 1600; p += 97) codes.set(fixture, p);
      for (let p = codes.length - 1600; p + fixture.length < codes.length; p += 89) codes.set(fixture, p);
      const { masked } = checkG711(codec, codes, 40, [160]);
      expect(masked).toBeGreaterThan(16 * 320);
      if (codec === 'ulaw') {
        // The 0x7F codewords really are in the output (µ-law 0x7F would re-encode as 0xFF).
        const m = new G711Masker('ulaw', { maskTone: '1' });
        const { output } = runStream(m, codes, [160]);
        expect(output.subarray(m.delaySamples, m.delaySamples + 1600).filter((c) => c === 0x7f).length).toBeGreaterThan(10);
      }
    });

    it(`${codec} property: random codewords (any of 256) with random chunking`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 4000 }),
          fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 8 }),
          fc.integer({ min: 0, max: 60 }),
          (random, chunks, la) => {
            const { samples } = keyedSequence('9', { seed: 3 });
            const tone = encodeG711(codec, samples);
            const x = new Uint8Array(random.length + tone.length);
            x.set(random);
            x.set(tone, random.length);
            checkG711(codec, x, la, chunks);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
