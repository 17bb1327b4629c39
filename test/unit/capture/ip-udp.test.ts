import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseIpv4, parseIpv6, type IpDatagram } from '../../../src/capture/ip.ts';
import { decodeUdp } from '../../../src/capture/udp.ts';
import { formatIpv6 } from '../../../src/capture/ip-address.ts';
import { Ipv4Reassembler } from '../../../src/capture/ip-reassembler.ts';
import { ipv6Bytes, ipv6Packet, udpIpPackets, udpSegment } from '../../../src/capture/frame-builder.ts';
import { isSkip } from '../../../src/capture/skip.ts';

const EP = { src: '192.0.2.10', srcPort: 4000, dst: '198.51.100.7', dstPort: 5004 };

// Named fixture: IPv4 + UDP 192.0.2.1:1024 → 192.0.2.2:5004 carrying "hi", with 2 bytes of Ethernet padding after it.
const IPV4_UDP_HI_PADDED = Uint8Array.from([
  0x45, 0, 0, 30, 0xbe, 0xef, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
  0x04, 0x00, 0x13, 0x8c, 0, 10, 0, 0, 0x68, 0x69, 0, 0,
]);

function must<T extends object>(x: T | { skip: string }): T {
  if (isSkip(x)) throw new Error(x.skip);
  return x;
}

describe('IPv4, IPv6, UDP', () => {
  it('decodes the named IPv4/UDP fixture and ignores Ethernet padding', () => {
    const udp = must(decodeUdp(must(parseIpv4(IPV4_UDP_HI_PADDED))));
    expect(udp).toMatchObject({ src: '192.0.2.1', srcPort: 1024, dst: '192.0.2.2', dstPort: 5004 });
    expect(Buffer.from(udp.payload).toString()).toBe('hi');
  });

  it('walks IPv6 hop-by-hop and destination options to UDP', () => {
    const seg = udpSegment({ ...EP, src: '2001:db8::1', dst: '2001:db8::2' }, Uint8Array.of(1, 2, 3));
    const hbh = Uint8Array.from([60, 0, 1, 4, 0, 0, 0, 0]); // next: dest opts, PadN
    const dst = Uint8Array.from([17, 0, 1, 4, 0, 0, 0, 0]); // next: UDP
    const pkt = ipv6Packet('2001:db8::1', '2001:db8::2', 0, Uint8Array.from([...hbh, ...dst, ...seg]));
    const udp = must(decodeUdp(must(parseIpv6(pkt))));
    expect(udp).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 4000, dstPort: 5004 });
    expect([...udp.payload]).toEqual([1, 2, 3]);
  });

  it('formats IPv6 addresses as RFC 5952 §4 and §5 require', () => {
    for (const [a, want] of [
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero word is not compressed
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
    ]) expect(formatIpv6(ipv6Bytes(a), 0)).toBe(want);
  });

  it('parses IPv6 text forms and rejects malformed ones', () => {
    expect(formatIpv6(ipv6Bytes('2001:DB8:0000::0001'), 0)).toBe('2001:db8::1');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', '1x::', '1:2:3:4::5:6:7:8', ':']) {
      expect(() => ipv6Bytes(bad), bad).toThrow(RangeError);
    }
  });

  it.each([
    ['an IPv4 header shorter than 20 bytes', () => parseIpv4(IPV4_UDP_HI_PADDED.subarray(0, 19)), 'truncated IPv4 header'],
    ['IHL below 5', () => parseIpv4(Uint8Array.from(IPV4_UDP_HI_PADDED).fill(0x44, 0, 1)), 'malformed IPv4 header'],
    ['a packet cut by the snapshot length', () => parseIpv4(IPV4_UDP_HI_PADDED.subarray(0, 29)), 'IPv4 packet cut by the snapshot length'],
    ['a UDP length beyond the packet', () => decodeUdp(must(parseIpv4(Uint8Array.from(IPV4_UDP_HI_PADDED).fill(40, 25, 26)))), 'bad UDP length'],
  ])('skips %s', (_n, f, reason) => {
    expect(f()).toEqual({ skip: reason });
  });
});

describe('Ipv4Reassembler', () => {
  const big = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7) & 0xff);

  function fragments(mtu: number, id = 1): IpDatagram[] {
    return udpIpPackets(EP, big, { mtu, id }).map((p) => must(parseIpv4(p)));
  }

  it('passes unfragmented datagrams straight through', () => {
    const r = new Ipv4Reassembler();
    const [d] = fragments(65535);
    expect(d.fragment).toBeUndefined();
    expect(r.push(d, 0n)).toBe(d);
  });

  it('reassembles fragments in any order (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 68, max: 1500 }), fc.infiniteStream(fc.nat()), (mtu, rnd) => {
      const frags = fragments(mtu);
      // Shuffle with the stream of random numbers fast-check gives.
      const order = frags.map((f) => ({ f, k: rnd.next().value as number })).sort((a, b) => a.k - b.k).map((x) => x.f);
      const r = new Ipv4Reassembler();
      const outs = order.map((f) => r.push(f, 0n)).filter((x) => x !== undefined);
      expect(outs).toHaveLength(1);
      const udp = must(decodeUdp(outs[0]!));
      expect(Buffer.compare(udp.payload, big)).toBe(0);
      expect(r.pendingCount).toBe(0);
    }), { numRuns: 60 });
  });

  it('tolerates exact duplicate fragments but drops a datagram whose overlaps disagree', () => {
    const r = new Ipv4Reassembler();
    const f = fragments(1000);
    expect(r.push(f[0], 0n)).toBeUndefined();
    expect(r.push(f[0], 0n)).toBeUndefined();
    const evil = { ...f[1], payload: Uint8Array.from(f[1].payload).fill(0x55) };
    expect(r.push(evil, 0n)).toBeUndefined();
    for (const x of f.slice(1)) expect(r.push(x, 0n)).toBeUndefined();
    expect(r.stats).toMatchObject({ reassembled: 0, dropped: 1 });
  });

  it('drops unfinished datagrams after the timeout and bounds pending ones', () => {
    const r = new Ipv4Reassembler({ timeoutNs: 1_000n, maxPending: 3 });
    expect(r.push(fragments(1000, 1)[0], 0n)).toBeUndefined();
    const late = fragments(1000, 1);
    expect(r.push(late[1], 5_000n)).toBeUndefined(); // the first fragment expired: this starts afresh
    expect(r.stats.expired).toBe(1);
    for (let id = 2; id < 10; id++) r.push(fragments(1000, id)[0], 5_000n);
    expect(r.pendingCount).toBe(3);
  });

  it('reassembles IPv6 fragments (Fragment header, RFC 8200 §4.5)', () => {
    const seg = udpSegment({ ...EP, src: '::1', dst: '::1' }, big);
    const mk = (off: number, len: number, more: boolean): IpDatagram => {
      const fh = Uint8Array.from([17, 0, (off >> 8) & 0xff, (off & 0xf8) | (more ? 1 : 0), 0, 0, 0, 9]);
      return must(parseIpv6(ipv6Packet('::1', '::1', 44, Uint8Array.from([...fh, ...seg.subarray(off, off + len)]))));
    };
    const r = new Ipv4Reassembler();
    expect(r.push(mk(1232, seg.length - 1232, false), 0n)).toBeUndefined();
    const whole = r.push(mk(0, 1232, true), 0n);
    const udp = must(decodeUdp(whole!));
    expect(udp.src).toBe('::1');
    expect(Buffer.compare(udp.payload, big)).toBe(0);
  });
});
