/**
 * Any RTP packet serializeRtp can write (CSRCs, a header extension, padding), for property tests
 * of the readers: src/rtp/packet.ts's parseRtp and the relay's in-place RtpHeaderView.
 */
import fc from 'fast-check';
import type { RtpPacket } from '../../../src/rtp/packet.ts';

export function arbRtpPacket(maxPayload: number): fc.Arbitrary<RtpPacket> {
  return fc
    .record({
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }),
      sequence: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.nat({ max: 0xffffffff }),
      ssrc: fc.nat({ max: 0xffffffff }),
      csrc: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
      padding: fc.boolean(),
      ext: fc.option(fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), words: fc.integer({ min: 0, max: 4 }) })),
      payload: fc.uint8Array({ maxLength: maxPayload }),
    })
    .map((r) => ({
      version: 2,
      padding: r.padding,
      extension: r.ext !== null,
      marker: r.marker,
      payloadType: r.payloadType,
      sequence: r.sequence,
      timestamp: r.timestamp,
      ssrc: r.ssrc,
      csrc: r.csrc,
      headerExtension: r.ext ? { profile: r.ext.profile, data: new Uint8Array(r.ext.words * 4).fill(7) } : undefined,
      payload: r.payload,
    }));
}
