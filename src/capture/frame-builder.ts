/**
 * Building link-layer frames around UDP payloads: Ethernet (optionally VLAN-tagged), Linux cooked
 * v1/v2, BSD loopback and raw IP; IPv4 (with fragmentation) and IPv6. Used by named test fixtures,
 * the capture benchmark and re-encapsulation of real captures in tests. Checksums are left at zero
 * (the reader does not check them, as offloaded captures have none).
 */
import { ETHERTYPE, LINKTYPE } from './link-types.ts';
import { ipv4Bytes, ipv6Bytes } from './ip-address.ts';

export { ipv4Bytes, ipv6Bytes };

export interface UdpEndpoints {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

export function udpSegment(e: UdpEndpoints, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, e.srcPort);
  v.setUint16(2, e.dstPort);
  v.setUint16(4, b.length);
  b.set(payload, 8);
  return b;
}

/** IPv4 packets carrying `transport`; more than one when `mtu` forces fragmentation (RFC 791 §3.2). */
export function ipv4Packets(src: string, dst: string, protocol: number, transport: Uint8Array, opts: { id?: number; mtu?: number; ttl?: number } = {}): Uint8Array[] {
  const mtu = opts.mtu ?? 65535;
  const maxData = Math.floor((mtu - 20) / 8) * 8;
  const out: Uint8Array[] = [];
  for (let off = 0; off < transport.length || off === 0; off += maxData) {
    const part = transport.subarray(off, off + maxData);
    const more = off + maxData < transport.length;
    const b = new Uint8Array(20 + part.length);
    const v = new DataView(b.buffer);
    b[0] = 0x45;
    v.setUint16(2, b.length);
    v.setUint16(4, opts.id ?? 0x1234);
    v.setUint16(6, (more ? 0x2000 : 0) | (off / 8));
    b[8] = opts.ttl ?? 64;
    b[9] = protocol;
    b.set(ipv4Bytes(src), 12);
    b.set(ipv4Bytes(dst), 16);
    b.set(part, 20);
    out.push(b);
    if (!more) break;
  }
  return out;
}

export function ipv6Packet(src: string, dst: string, nextHeader: number, transport: Uint8Array): Uint8Array {
  const b = new Uint8Array(40 + transport.length);
  const v = new DataView(b.buffer);
  b[0] = 0x60;
  v.setUint16(4, transport.length);
  b[6] = nextHeader;
  b[7] = 64;
  b.set(ipv6Bytes(src), 8);
  b.set(ipv6Bytes(dst), 24);
  b.set(transport, 40);
  return b;
}

/** IP packets of one UDP datagram, fragmented to `mtu` when IPv4 and given. */
export function udpIpPackets(e: UdpEndpoints, payload: Uint8Array, opts: { mtu?: number; id?: number } = {}): Uint8Array[] {
  const seg = udpSegment(e, payload);
  if (e.src.includes(':')) return [ipv6Packet(e.src, e.dst, 17, seg)];
  return ipv4Packets(e.src, e.dst, 17, seg, opts);
}

export type Encapsulation =
  | { linkType: typeof LINKTYPE.ETHERNET; vlanTags?: Array<{ tpid: number; vid: number }> }
  | { linkType: typeof LINKTYPE.LINUX_SLL | typeof LINKTYPE.LINUX_SLL2 | typeof LINKTYPE.RAW }
  | { linkType: typeof LINKTYPE.NULL; bigEndian?: boolean; af6?: number };

/** Wraps an IP packet in a link-layer header. */
export function encapsulate(enc: Encapsulation, ip: Uint8Array): Uint8Array {
  const ethertype = ip[0] >> 4 === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
  switch (enc.linkType) {
    case LINKTYPE.ETHERNET: {
      const tags = enc.vlanTags ?? [];
      const h = new Uint8Array(14 + 4 * tags.length);
      const v = new DataView(h.buffer);
      h.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0); // locally administered MACs
      let o = 12;
      for (const t of tags) {
        v.setUint16(o, t.tpid);
        v.setUint16(o + 2, t.vid & 0x0fff);
        o += 4;
      }
      v.setUint16(o, ethertype);
      return concat(h, ip);
    }
    case LINKTYPE.LINUX_SLL: {
      const h = new Uint8Array(16);
      const v = new DataView(h.buffer);
      v.setUint16(0, 0); // packet type: to us
      v.setUint16(2, 772); // ARPHRD_LOOPBACK
      v.setUint16(4, 6);
      v.setUint16(14, ethertype);
      return concat(h, ip);
    }
    case LINKTYPE.LINUX_SLL2: {
      const h = new Uint8Array(20);
      const v = new DataView(h.buffer);
      v.setUint16(0, ethertype);
      v.setUint32(4, 1); // interface index
      v.setUint16(8, 772);
      h[10] = 0;
      h[11] = 6;
      return concat(h, ip);
    }
    case LINKTYPE.RAW:
      return Uint8Array.from(ip);
    case LINKTYPE.NULL: {
      const h = new Uint8Array(4);
      const family = ethertype === ETHERTYPE.IPV6 ? (enc.af6 ?? 30) : 2;
      new DataView(h.buffer).setUint32(0, family, !enc.bigEndian);
      return concat(h, ip);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
