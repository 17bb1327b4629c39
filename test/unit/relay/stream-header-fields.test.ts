/**
 * RtpStream takes a packet's header as fields (the relay's reused reader, rtp-header-view.ts) and
 * finds the payload by its offset: audio behind a CSRC list and before padding (RFC 3550 §5.1) is
 * masked where it is, the rest of the datagram left as the sender's; and an RFC 4733 event that
 * never ends, in a stream without audio, is still reported once it is forgotten.
 */
import { describe, expect, it } from 'vitest';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { eventPacket, fakeMasker, ramp, SSRC, streamHarness } from './stream-harness.ts';

const PKT = 160;
const MASK = (c: number) => c ^ 0x80;

/** PCMA audio with one CSRC (payload at octet 16) and, if `padding`, padded to a 4-octet boundary. */
function csrcPacket(i: number, padding: boolean): Buffer {
  return serializeRtp({
    version: 2,
    padding,
    extension: false,
    marker: false,
    payloadType: 8,
    sequence: 1000 + i,
    timestamp: 5000 + i * PKT,
    ssrc: SSRC,
    csrc: [0x11223344],
    payload: ramp(PKT + 2, i * 7).subarray(0, padding ? PKT - 2 : PKT),
  });
}

describe('RtpStream: header fields from the relay', () => {
  it.each([false, true])('masks the payload behind a CSRC list in place, header, CSRC and padding unchanged (padding %s)', (padding) => {
    const h = streamHarness({ createMasker: fakeMasker(MASK) }, true);
    const pkts = Array.from({ length: 8 }, (_, i) => csrcPacket(i, padding));
    pkts.forEach((dg, i) => h.deliver(20 * i, dg));
    h.end();
    expect(h.sent.length).toBe(8);
    const len = padding ? PKT - 2 : PKT;
    h.sent.forEach((s, i) => {
      const dg = pkts[i];
      expect(s.data.length).toBe(dg.length);
      expect(s.data.subarray(0, 16)).toEqual(dg.subarray(0, 16));
      expect(s.data.subarray(16 + len)).toEqual(dg.subarray(16 + len));
      // The stand-in masker masks every codeword: the sender's, shifted by nothing.
      expect([...s.data.subarray(16, 16 + len)]).toEqual([...dg.subarray(16, 16 + len)].map(MASK));
    });
  });

  it('reports an unfinished event of an events-only stream once it is forgotten', () => {
    const h = streamHarness();
    // Two events that never send their end packet, the second 3 s of samples after the first:
    // the first one's window is then far behind the stream's position and forgotten.
    h.deliver(0, eventPacket(1, 8000, { event: 5, end: false, volume: 10, duration: 400 }));
    h.deliver(20, eventPacket(2, 8000 + 24_000, { event: 7, end: false, volume: 10, duration: 400 }));
    h.advance(100);
    expect(h.spans).toEqual([{ startMs: 0, endMs: (400 + 800) / 8, source: 'rfc4733' }]);
  });
});
