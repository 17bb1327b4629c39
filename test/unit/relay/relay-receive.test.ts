/**
 * RtpRelay's receive path with its in-place header reader: what parseRtp refused is counted as
 * malformed, one for one, and nothing else; the payload length that tells a telephone-event apart
 * is the one without padding (RFC 3550 §5.1) and behind the CSRC list.
 */
import { describe, expect, it } from 'vitest';
import { RtpRelay, type RelayClock } from '../../../firmware-sim/relay/rtp-relay.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';

const clock: RelayClock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };
const relay = () => new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true, clock });

const PCMU = Uint8Array.from([0x80, 0x00, 0x12, 0x34, 0, 0, 0x0a, 0, 0xde, 0xad, 0xbe, 0xef, ...new Array(160).fill(0xff)]);

describe('RtpRelay receive', () => {
  it('counts each datagram parseRtp refuses as malformed, and nothing else', () => {
    const r = relay();
    const bad = [
      PCMU.subarray(0, 11), // shorter than the fixed header
      Uint8Array.from([0x40, ...PCMU.subarray(1)]), // version 1
      Uint8Array.from([0x8f, ...PCMU.subarray(1, 20)]), // 15 CSRCs in 20 octets
      Uint8Array.from([0x90, ...PCMU.subarray(1, 12), 0xbe, 0xde, 0x00, 0x09, 0, 0, 0, 0]), // extension of 9 words in 8 octets
      Uint8Array.from([0xa0, ...PCMU.subarray(1, 40), 0]), // padding count 0
      Uint8Array.from([0xa0, ...PCMU.subarray(1, 20), 200]), // padding count past the payload
    ];
    for (const d of bad) r.onDatagram(d);
    r.onDatagram(PCMU);
    const s = r.stats();
    expect({ datagramsIn: s.datagramsIn, malformed: s.malformed, audioIn: s.audioIn, eventsIn: s.eventsIn, unmaskable: s.unmaskable, passedThrough: s.passedThrough }).toEqual({
      datagramsIn: 7,
      malformed: 6,
      audioIn: 1,
      eventsIn: 0,
      unmaskable: 0,
      passedThrough: 0,
    });
  });

  it('takes a padded telephone-event with a CSRC for an event by its payload, not its length', () => {
    const r = relay();
    // One 4-octet event (digit 5), then 3 octets of padding: 7 octets after the CSRC list.
    const ev = Uint8Array.from([0xa1, 101, 0, 1, 0, 0, 0x0a, 0, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 5, 0x0a, 0x01, 0x40, 0, 0, 3]);
    r.onDatagram(ev);
    // A G.711 packet with a CSRC is audio all the same.
    r.onDatagram(serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: 0, sequence: 1, timestamp: 0, ssrc: 7, csrc: [9], payload: new Uint8Array(160) }));
    const s = r.stats();
    expect({ eventsIn: s.eventsIn, unmaskable: s.unmaskable, malformed: s.malformed, audioIn: s.audioIn }).toEqual({ eventsIn: 1, unmaskable: 0, malformed: 0, audioIn: 1 });
  });

  it('keeps streams apart by all 32 bits of the SSRC, and names each by its SSRC unsigned', () => {
    // The relay keys its streams by `ssrc | 0`: these differ only in the top bit, or are 2^31 or more.
    const ssrcs = [0xdeadbeef, 0x5eadbeef, 0x80000000, 0x7fffffff];
    const r = relay();
    const channels: number[] = [];
    r.on('masked', (e) => channels.push(e.channel));
    for (const ssrc of ssrcs) {
      // An RFC 4733 end packet for digit 5 (§2.3): masked and reported as it comes, in secure mode.
      const payload = Uint8Array.from([5, 0x80 | 0x0a, 0x03, 0x20]);
      r.onDatagram(serializeRtp({ version: 2, padding: false, extension: false, marker: true, payloadType: 101, sequence: 1, timestamp: 0xfffffff0, ssrc, csrc: [], payload }));
    }
    expect(r.stats().streams).toBe(4);
    expect(channels).toEqual(ssrcs);
  });
});
