/**
 * InbandStream's own G.711 decode (unrolled by four, src/verify/inband-stream.ts) against
 * g711.ts's decodeG711: the same samples for every codeword, any length, both codecs, and a
 * shorter chunk after a longer one (the stream reuses its sample buffer).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeG711 } from '../../../src/dsp/g711.ts';
import { InbandStream } from '../../../src/verify/inband-stream.ts';

describe('InbandStream decode', () => {
  it('decodes all 256 codewords of both codecs as decodeG711 does', () => {
    const s = new InbandStream(false);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const codec of ['alaw', 'ulaw'] as const) expect(Array.from(s.decode(codec, all))).toEqual(Array.from(decodeG711(codec, all)));
  });

  it('property: any chunks, any lengths (not multiples of four too), one stream in turn', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('alaw' as const, 'ulaw' as const), fc.uint8Array({ minLength: 0, maxLength: 400 })), { minLength: 1, maxLength: 8 }), (chunks) => {
        const s = new InbandStream(false);
        for (const [codec, codes] of chunks) expect(Array.from(s.decode(codec, codes))).toEqual(Array.from(decodeG711(codec, codes)));
      }),
      { numRuns: 200 },
    );
  });
});
