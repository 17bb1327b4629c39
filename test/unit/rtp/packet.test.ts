import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseRtp, serializeRtp, looksLikeRtp, RtpParseError } from '../../../src/rtp/packet.ts';
import { arbRtpPacket } from './rtp-packet-arbitrary.ts';

// Named fixture: PCMU (PT 0), marker set, seq 0x1234, ts 0x00000a00, SSRC 0xdeadbeef, 4 payload bytes.
const PCMU_MARKER_PACKET = Uint8Array.from([
  0x80, 0x80, 0x12, 0x34, 0x00, 0x00, 0x0a, 0x00, 0xde, 0xad, 0xbe, 0xef, 0xff, 0x7f, 0xfe, 0x7e,
]);
// Named fixture: one CSRC, a one-word header extension (profile 0xbede), 2 payload bytes, 2 padding bytes.
const CSRC_EXT_PADDED_PACKET = Uint8Array.from([
  0xb1, 0x65, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
  0x11, 0x22, 0x33, 0x44, // CSRC
  0xbe, 0xde, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, // extension: profile, length 1 word, data
  0x0b, 0x80, // payload (telephone-event prefix)
  0x00, 0x02, // padding, count 2
]);

describe('parseRtp', () => {
  it('decodes the fixed header of a PCMU packet', () => {
    const p = parseRtp(PCMU_MARKER_PACKET);
    expect(p).toMatchObject({ version: 2, padding: false, extension: false, marker: true, payloadType: 0,
      sequence: 0x1234, timestamp: 0xa00, ssrc: 0xdeadbeef, csrc: [] });
    expect([...p.payload]).toEqual([0xff, 0x7f, 0xfe, 0x7e]);
  });

  it('decodes CSRC list, header extension and strips padding', () => {
    const p = parseRtp(CSRC_EXT_PADDED_PACKET);
    expect(p.payloadType).toBe(101);
    expect(p.csrc).toEqual([0x11223344]);
    expect(p.headerExtension?.profile).toBe(0xbede);
    expect([...p.headerExtension!.data]).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    expect([...p.payload]).toEqual([0x0b, 0x80]);
  });

  it.each([
    ['short header', PCMU_MARKER_PACKET.subarray(0, 11), /fixed header/],
    ['version 1', Uint8Array.from([0x40, ...PCMU_MARKER_PACKET.subarray(1)]), /version 1/],
    ['CSRC count past end', Uint8Array.from([0x8f, ...PCMU_MARKER_PACKET.subarray(1)]), /CSRC count 15/],
    ['extension length past end', CSRC_EXT_PADDED_PACKET.map((b, i) => (i === 19 ? 9 : b)), /extension length/],
    ['padding count 0', CSRC_EXT_PADDED_PACKET.map((b, i, a) => (i === a.length - 1 ? 0 : b)), /padding count is 0/],
    ['padding count past payload', CSRC_EXT_PADDED_PACKET.map((b, i, a) => (i === a.length - 1 ? 200 : b)), /padding count 200/],
  ])('rejects %s', (_name, buf, msg) => {
    expect(() => parseRtp(buf)).toThrow(RtpParseError);
    expect(() => parseRtp(buf)).toThrow(msg);
    expect(looksLikeRtp(buf)).toBe(false);
  });
});

const arbPacket = arbRtpPacket(200);

describe('serializeRtp', () => {
  it('re-serialises the named fixtures byte for byte', () => {
    expect([...serializeRtp(parseRtp(PCMU_MARKER_PACKET))]).toEqual([...PCMU_MARKER_PACKET]);
    expect([...serializeRtp(parseRtp(CSRC_EXT_PADDED_PACKET))]).toEqual([...CSRC_EXT_PADDED_PACKET]);
  });

  it('round-trips any packet through parseRtp (property)', () => {
    fc.assert(fc.property(arbPacket, (p) => {
      const buf = serializeRtp(p);
      if (p.padding) expect(buf.length % 4).toBe(0);
      const q = parseRtp(buf);
      expect({ ...q, payload: [...q.payload], headerExtension: q.headerExtension && { profile: q.headerExtension.profile, data: [...q.headerExtension.data] } })
        .toEqual({ ...p, payload: [...p.payload], headerExtension: p.headerExtension && { profile: p.headerExtension.profile, data: [...p.headerExtension.data] } });
      expect(looksLikeRtp(buf)).toBe(p.payloadType < 72 || p.payloadType > 76);
    }));
  });

  it('never throws anything but RtpParseError on random bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try { parseRtp(bytes); } catch (e) { expect(e).toBeInstanceOf(RtpParseError); }
    }));
  });
});
