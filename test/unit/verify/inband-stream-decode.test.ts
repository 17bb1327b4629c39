/**
 * InbandStream's G.711 decode (g711.ts's decodeG711, unrolled by four) against the per-codeword
 * decode (alawDecode, ulawDecode): the same samples for every codeword, any length (not only
 * multiples of four), both codecs, and a shorter chunk after a longer one (the stream reuses its
 * sample buffer).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alawDecode, ulawDecode } from '../../../src/dsp/g711.ts';
import { InbandStream } from '../../../src/verify/inband-stream.ts';

const oneByOne = (codec: 'alaw' | 'ulaw', codes: Uint8Array) => Array.from(codes, (c) => (codec === 'alaw' ? alawDecode(c) : ulawDecode(c)));

describe('InbandStream decode', () => {
  it('decodes all 256 codewords of both codecs as the per-codeword decode does', () => {
    const s = new InbandStream(false);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const codec of ['alaw', 'ulaw'] as const) expect(Array.from(s.decode(codec, all))).toEqual(oneByOne(codec, all));
  });

  it('property: any chunks, any lengths (not multiples of four too), one stream in turn', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('alaw' as const, 'ulaw' as const), fc.uint8Array({ minLength: 0, maxLength: 400 })), { minLength: 1, maxLength: 8 }), (chunks) => {
        const s = new InbandStream(false);
        for (const [codec, codes] of chunks) expect(Array.from(s.decode(codec, codes))).toEqual(oneByOne(codec, codes));
      }),
      { numRuns: 200 },
    );
  });
});
