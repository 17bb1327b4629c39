/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers down to the transport payload. Fragments come out
 * with their `fragment` field set; the reassembler (ip-reassembler.ts) turns them into datagrams.
 */
import { formatIpv4, formatIpv6 } from './ip-address.ts';
import type { LinkPayload } from './link-layer.ts';
import { skip, type Skip } from './skip.ts';

export const IPPROTO_UDP = 17;

export interface IpFragmentInfo {
  /** Identification (16 bits in IPv4, 32 bits in the IPv6 Fragment header). */
  id: number;
  /** Offset of this fragment's data in the original payload, in bytes. */
  offset: number;
  /** More-fragments flag. */
  more: boolean;
}

export interface IpDatagram {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Transport protocol (the upper-layer Next Header for IPv6). */
  protocol: number;
  payload: Uint8Array;
  fragment?: IpFragmentInfo;
}

export function parseIp(link: LinkPayload): IpDatagram | Skip {
  return link.ipVersion === 4 ? parseIpv4(link.ip) : parseIpv6(link.ip);
}

export function parseIpv4(b: Uint8Array): IpDatagram | Skip {
  if (b.length < 20) return skip('truncated IPv4 header');
  const ihl = (b[0] & 0x0f) * 4;
  const total = (b[2] << 8) | b[3];
  if (ihl < 20 || total < ihl) return skip('malformed IPv4 header');
  if (b.length < ihl) return skip('truncated IPv4 header');
  // Captured bytes beyond total length are Ethernet padding; fewer mean the snapshot length cut it.
  if (b.length < total) return skip('IPv4 packet cut by the snapshot length');
  const flagsOffset = (b[6] << 8) | b[7];
  const more = (flagsOffset & 0x2000) !== 0;
  const offset = (flagsOffset & 0x1fff) * 8;
  const d: IpDatagram = {
    version: 4,
    src: ipv4Name(b, 12),
    dst: ipv4Name(b, 16),
    protocol: b[9],
    payload: b.subarray(ihl, total),
  };
  if (more || offset !== 0) d.fragment = { id: (b[4] << 8) | b[5], offset, more };
  return d;
}

/**
 * Dotted quads already built, by address: a capture holds few addresses and many packets, so this
 * saves two strings per packet (and makes equal addresses the same string, quick to compare).
 * Bounded: cleared when full.
 */
const V4_NAMES = new Map<number, string>();
const V4_NAMES_MAX = 1 << 16;

export function ipv4Name(b: Uint8Array, o: number): string {
  const v = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  let name = V4_NAMES.get(v);
  if (name === undefined) {
    if (V4_NAMES.size >= V4_NAMES_MAX) V4_NAMES.clear();
    name = formatIpv4(b, o);
    V4_NAMES.set(v, name);
  }
  return name;
}

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH = 51;
const DEST_OPTS = 60;
const MOBILITY = 135;

export function parseIpv6(b: Uint8Array): IpDatagram | Skip {
  if (b.length < 40) return skip('truncated IPv6 header');
  const payloadLen = (b[4] << 8) | b[5];
  if (payloadLen === 0) return skip('IPv6 jumbogram or empty packet');
  if (b.length < 40 + payloadLen) return skip('IPv6 packet cut by the snapshot length');
  const end = 40 + payloadLen;
  let next = b[6];
  let o = 40;
  let fragment: IpFragmentInfo | undefined;
  // Walk the extension header chain (RFC 8200 §4) to the upper-layer header.
  for (let hops = 0; ; hops++) {
    if (hops > 16) return skip('IPv6 extension header chain too long');
    if (next === HOP_BY_HOP || next === ROUTING || next === DEST_OPTS || next === MOBILITY) {
      if (o + 8 > end) return skip('truncated IPv6 extension header');
      const len = (b[o + 1] + 1) * 8;
      next = b[o];
      o += len;
    } else if (next === AUTH) {
      if (o + 8 > end) return skip('truncated IPv6 extension header');
      const len = (b[o + 1] + 2) * 4; // RFC 4302 §2.2: length in 4-octet units minus 2
      next = b[o];
      o += len;
    } else if (next === FRAGMENT) {
      if (o + 8 > end) return skip('truncated IPv6 fragment header');
      const off = (b[o + 2] << 8) | b[o + 3];
      fragment = {
        offset: off & 0xfff8,
        more: (off & 1) !== 0,
        id: ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0,
      };
      next = b[o];
      o += 8;
      // RFC 8200 §4.5: a fragment with offset 0 and M clear is an atomic fragment, not a fragment.
      if (fragment.offset === 0 && !fragment.more) fragment = undefined;
      if (fragment) break; // headers after this one are in the fragmentable part
    } else break;
    if (o > end) return skip('truncated IPv6 extension header');
  }
  const d: IpDatagram = {
    version: 6,
    src: formatIpv6(b, 8),
    dst: formatIpv6(b, 24),
    protocol: next,
    payload: b.subarray(o, end),
  };
  if (fragment) d.fragment = fragment;
  return d;
}
