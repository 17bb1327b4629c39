/**
 * Link-layer headers down to the IP packet: Ethernet II with any number of 802.1Q/802.1ad tags,
 * Linux cooked v1/v2, raw IP, BSD/OpenBSD loopback. Anything that does not carry IPv4 or IPv6 is
 * a Skip with its reason.
 */
import { ETHERTYPE, LINKTYPE } from './link-types.ts';
import { skip, type Skip } from './skip.ts';

export interface LinkPayload {
  ipVersion: 4 | 6;
  /** The IP packet, from its first header byte. */
  ip: Uint8Array;
}

/** Tag depth bound: real networks use one or two tags; a long chain is a damaged frame. */
const MAX_VLAN_TAGS = 8;

export function decodeLinkLayer(linkType: number, data: Uint8Array): LinkPayload | Skip {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (data.length < 14) return skip('truncated Ethernet header');
      return byEthertype((data[12] << 8) | data[13], data, 14);
    case LINKTYPE.LINUX_SLL:
      // 16-byte header; protocol (an EtherType for IP) in bytes 14–15.
      if (data.length < 16) return skip('truncated Linux cooked header');
      return byEthertype((data[14] << 8) | data[15], data, 16);
    case LINKTYPE.LINUX_SLL2:
      // 20-byte header; protocol in bytes 0–1.
      if (data.length < 20) return skip('truncated Linux cooked v2 header');
      return byEthertype((data[0] << 8) | data[1], data, 20);
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_BSD:
    case LINKTYPE.RAW_OPENBSD:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return byVersionNibble(data, 0);
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return loopback(data);
    default:
      return skip(`unsupported link type ${linkType}`);
  }
}

function byEthertype(ethertype: number, data: Uint8Array, offset: number): LinkPayload | Skip {
  let type = ethertype;
  let o = offset;
  for (let tags = 0; type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD; tags++) {
    // A tag is 2 bytes of TCI then the next EtherType (IEEE 802.1Q §9.6).
    if (tags >= MAX_VLAN_TAGS) return skip('too many VLAN tags');
    if (data.length < o + 4) return skip('truncated VLAN tag');
    type = (data[o + 2] << 8) | data[o + 3];
    o += 4;
  }
  if (type === ETHERTYPE.IPV4) return withVersion(4, data, o);
  if (type === ETHERTYPE.IPV6) return withVersion(6, data, o);
  return skip('not IP');
}

function withVersion(v: 4 | 6, data: Uint8Array, o: number): LinkPayload | Skip {
  if (data.length <= o) return skip('empty IP packet');
  if (data[o] >> 4 !== v) return skip(`IPv${v} EtherType with a different IP version`);
  return { ipVersion: v, ip: data.subarray(o) };
}

function byVersionNibble(data: Uint8Array, o: number): LinkPayload | Skip {
  if (data.length <= o) return skip('empty IP packet');
  const v = data[o] >> 4;
  if (v === 4 || v === 6) return { ipVersion: v, ip: data.subarray(o) };
  return skip('not IP');
}

/**
 * BSD loopback: the address family is a host-order 32-bit word, and the host that wrote the file may
 * not be us, so both orders are tried. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD),
 * 28 (FreeBSD), 30 (macOS) or 10 (Linux).
 */
function loopback(data: Uint8Array): LinkPayload | Skip {
  if (data.length < 4) return skip('truncated loopback header');
  const be = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
  const le = ((data[3] << 24) | (data[2] << 16) | (data[1] << 8) | data[0]) >>> 0;
  const family = be < 256 ? be : le;
  if (family === 2) return withVersion(4, data, 4);
  if (family === 24 || family === 28 || family === 30 || family === 10) return withVersion(6, data, 4);
  return skip('not IP');
}
