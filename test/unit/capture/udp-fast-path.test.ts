/**
 * UdpDecoder's fast path for untagged Ethernet + whole IPv4 + UDP (src/capture/udp-decoder.ts)
 * against the general path (link-layer.ts → ip.ts → ip-reassembler.ts → udp.ts): the same datagram
 * or the same skip reason for every frame, including damaged headers (fast-check mutations of the
 * first 60 bytes), truncation, fragments, VLAN tags and Ethernet padding; and the same fragment
 * expiry. The record path (`decodeRecord` on a RecordBatch, the verifier's) the same way: every
 * frame at an odd offset inside one buffer, other frames around it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CapturedPacket } from '../../../src/capture/captured-packet.ts';
import { encapsulate, udpIpPackets } from '../../../src/capture/frame-builder.ts';
import { RecordBatch } from '../../../src/capture/record-batch.ts';
import { UdpDecoder } from '../../../src/capture/udp-decoder.ts';

const ENDPOINTS = { src: '10.2.0.7', srcPort: 20014, dst: '10.3.0.1', dstPort: 40014 };

/** Named fixture: an RTP-sized datagram (172 bytes: 12 header + 160 payload) in each framing. */
function frames(payloadLength: number, mtu?: number): Uint8Array[] {
  const payload = Uint8Array.from({ length: payloadLength }, (_, i) => (i * 37) & 0xff);
  return udpIpPackets(ENDPOINTS, payload, { mtu, id: 77 }).map((ip) => encapsulate({ linkType: 1 }, ip));
}

function decodeAll(data: Uint8Array[], fastPath: boolean | 'record', ns0 = 1_000_000_000n): unknown {
  if (fastPath === 'record') return decodeRecords(data, ns0);
  const d = new UdpDecoder({ fastPath });
  const out = data.map((f, i) => {
    const u = d.decode({ timestampNs: ns0 + BigInt(i) * 20_000_000n, linkType: 1, data: f, originalLength: f.length, interfaceId: 0 } satisfies CapturedPacket);
    return u ? { ...u, payload: [...u.payload] } : undefined;
  });
  return { out, skipped: d.skipped, stats: d.reassembler.stats };
}

/**
 * `decodeAll` by the record path: the frames one after another in one buffer (each at an odd
 * offset, with filler between), `decodeRecord` and, where it declines, `decode(packetAt(i))`.
 */
function decodeRecords(data: Uint8Array[], ns0: bigint): unknown {
  const d = new UdpDecoder();
  const buf = new Uint8Array(data.reduce((n, f) => n + f.length + 3, 1)).fill(0xa5);
  const b = new RecordBatch(data.length);
  b.data = buf;
  let o = 1;
  data.forEach((f, i) => {
    buf.set(f, o);
    const ns = ns0 + BigInt(i) * 20_000_000n;
    b.add(o, f.length, Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n), f.length, 1, 0);
    o += f.length + 3;
  });
  const out = data.map((_, i) => {
    if (d.decodeRecord(b, i)) return { src: d.src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, payload: [...buf.subarray(d.start, d.end)] };
    const u = d.decode(b.packetAt(i));
    return u ? { ...u, payload: [...u.payload] } : undefined;
  });
  return { out, skipped: d.skipped, stats: d.reassembler.stats };
}

describe('UdpDecoder fast path', () => {
  it('decodes the usual frame to the very datagram of the general path', () => {
    const f = frames(172);
    const fast = decodeAll(f, true) as { out: Array<{ payload: number[] }> };
    expect(fast.out[0]?.payload.length).toBe(172);
    expect(fast).toEqual(decodeAll(f, false));
    expect(decodeAll(f, 'record')).toEqual(fast);
    // VLAN-tagged: the general path's (the fast one does not take it).
    const payload = Uint8Array.from({ length: 172 }, (_, i) => i);
    const tagged = encapsulate({ linkType: 1, vlanTags: [{ tpid: 0x8100, vid: 5 }] }, udpIpPackets(ENDPOINTS, payload)[0]);
    const t = decodeAll([tagged], true) as { out: Array<{ payload: number[] }> };
    expect(t.out[0]?.payload).toEqual([...payload]);
    expect(t).toEqual(decodeAll([tagged], false));
    expect(decodeAll([tagged], 'record')).toEqual(t);
  });

  it('property: any damage to the headers, truncation or padding gives what the general path gives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 59 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        fc.integer({ min: -40, max: 20 }),
        (len, damage, cut) => {
          const f = frames(len)[0];
          const g = new Uint8Array(Math.max(0, f.length + cut));
          g.set(f.subarray(0, Math.min(f.length, g.length)));
          for (const d of damage) if (d.at < g.length) g[d.at] = d.value;
          const general = decodeAll([g], false);
          expect(decodeAll([g], true)).toEqual(general);
          // Between two usual frames, so a check that reads past its frame sees bytes of the next.
          expect(decodeAll([f, g, f], 'record')).toEqual(decodeAll([f, g, f], false));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('every header byte set to each of several values gives what the general path gives', () => {
    for (const len of [0, 7, 172]) {
      const f = frames(len)[0];
      for (let at = 0; at < Math.min(f.length, 14 + 20 + 8); at++) {
        for (const value of [0x00, 0x01, 0x20, 0x40, 0x45, 0x80, 0xff, f[at] ^ 0x01]) {
          const g = Uint8Array.from(f);
          g[at] = value;
          expect(decodeAll([g], true), `byte ${at} = ${value}`).toEqual(decodeAll([g], false));
          expect(decodeAll([g], 'record'), `record: byte ${at} = ${value}`).toEqual(decodeAll([g], false));
        }
      }
    }
  });

  it('a fragment left pending expires on the whole datagrams that follow, as in the general path', () => {
    const parts = frames(3000, 576);
    const whole = frames(172)[0];
    const seq = [parts[0], parts[1], ...Array.from({ length: 3000 }, () => whole)];
    const fast = decodeAll(seq, true) as { stats: { expired: number } };
    expect(fast.stats.expired).toBe(1);
    expect(fast).toEqual(decodeAll(seq, false));
    expect(decodeAll(seq, 'record')).toEqual(fast);
  });

  it('fragments, and whole datagrams after them, expire and reassemble the same way', () => {
    const parts = frames(3000, 576);
    expect(parts.length).toBeGreaterThan(2);
    const whole = frames(172)[0];
    // A fragmented datagram missing its last piece, whole datagrams long after (the pending one
    // expires on one of them), then a complete fragmented datagram.
    const seq = [parts[0], parts[1], ...Array.from({ length: 3000 }, () => whole), ...parts];
    const fast = decodeAll(seq, true) as { stats: { expired: number; reassembled: number } };
    expect(fast.stats.expired).toBe(1);
    expect(fast.stats.reassembled).toBe(1);
    expect(fast).toEqual(decodeAll(seq, false));
    expect(decodeAll(seq, 'record')).toEqual(fast);
  });
});
