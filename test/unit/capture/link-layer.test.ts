import { describe, it, expect } from 'vitest';
import { decodeLinkLayer } from '../../../src/capture/link-layer.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { isSkip } from '../../../src/capture/skip.ts';
import { encapsulate, type Encapsulation } from '../../../src/capture/frame-builder.ts';

// Named fixture: the smallest IPv4 header (20 bytes, 127.0.0.1 → 127.0.0.1, protocol UDP, no payload).
const IPV4_HEADER_ONLY = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
// Named fixture: an IPv6 header with payload length 0 is enough to show the version nibble.
const IPV6_HEADER = Uint8Array.from([0x60, 0, 0, 0, 0, 0, 17, 64, ...new Array(15).fill(0), 1, ...new Array(15).fill(0), 1]);

// Named fixtures, hand-written link headers in front of IPV4_HEADER_ONLY:
const ETH_8021Q = Uint8Array.from([...new Array(12).fill(0xaa), 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, ...IPV4_HEADER_ONLY]);
const ETH_QINQ_88A8 = Uint8Array.from([...new Array(12).fill(0xaa), 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, ...IPV4_HEADER_ONLY]);
const ETH_QINQ_9100 = Uint8Array.from([...new Array(12).fill(0xaa), 0x91, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd, ...IPV6_HEADER]);
const BSD_NULL_LE_INET = Uint8Array.from([2, 0, 0, 0, ...IPV4_HEADER_ONLY]);
const BSD_NULL_BE_INET = Uint8Array.from([0, 0, 0, 2, ...IPV4_HEADER_ONLY]);
const BSD_NULL_LE_INET6_FREEBSD = Uint8Array.from([28, 0, 0, 0, ...IPV6_HEADER]);
const BSD_NULL_BE_INET6_DARWIN = Uint8Array.from([0, 0, 0, 30, ...IPV6_HEADER]);
const OPENBSD_LOOP_INET6 = Uint8Array.from([0, 0, 0, 24, ...IPV6_HEADER]);
const SLL_V1 = Uint8Array.from([0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, ...IPV4_HEADER_ONLY]);
const SLL_V2 = Uint8Array.from([0x86, 0xdd, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, ...IPV6_HEADER]);

describe('decodeLinkLayer', () => {
  it.each([
    ['Ethernet + 802.1Q', LINKTYPE.ETHERNET, ETH_8021Q, 4, 18],
    ['Ethernet + 802.1ad QinQ', LINKTYPE.ETHERNET, ETH_QINQ_88A8, 4, 22],
    ['Ethernet + 0x9100 QinQ, IPv6', LINKTYPE.ETHERNET, ETH_QINQ_9100, 6, 22],
    ['BSD loopback, little-endian AF_INET', LINKTYPE.NULL, BSD_NULL_LE_INET, 4, 4],
    ['BSD loopback, big-endian AF_INET', LINKTYPE.NULL, BSD_NULL_BE_INET, 4, 4],
    ['BSD loopback, FreeBSD AF_INET6 (28)', LINKTYPE.NULL, BSD_NULL_LE_INET6_FREEBSD, 6, 4],
    ['BSD loopback, macOS AF_INET6 (30)', LINKTYPE.NULL, BSD_NULL_BE_INET6_DARWIN, 6, 4],
    ['OpenBSD loopback AF_INET6 (24)', LINKTYPE.LOOP, OPENBSD_LOOP_INET6, 6, 4],
    ['Linux cooked v1', LINKTYPE.LINUX_SLL, SLL_V1, 4, 16],
    ['Linux cooked v2, IPv6', LINKTYPE.LINUX_SLL2, SLL_V2, 6, 20],
    ['raw IPv4 (101)', LINKTYPE.RAW, IPV4_HEADER_ONLY, 4, 0],
    ['raw IPv6 (229)', LINKTYPE.IPV6, IPV6_HEADER, 6, 0],
    ['raw IPv4 (228)', LINKTYPE.IPV4, IPV4_HEADER_ONLY, 4, 0],
  ])('%s', (_n, lt, frame, version, offset) => {
    const r = decodeLinkLayer(lt, frame);
    expect(isSkip(r)).toBe(false);
    if (isSkip(r)) return;
    expect(r.ipVersion).toBe(version);
    expect(r.ip.byteOffset - frame.byteOffset).toBe(offset);
  });

  it('agrees with the frame builder for every encapsulation', () => {
    for (const enc of [
      { linkType: LINKTYPE.ETHERNET, vlanTags: [{ tpid: 0x88a8, vid: 10 }, { tpid: 0x8100, vid: 100 }] },
      { linkType: LINKTYPE.LINUX_SLL }, { linkType: LINKTYPE.LINUX_SLL2 }, { linkType: LINKTYPE.RAW },
      { linkType: LINKTYPE.NULL, bigEndian: true }, { linkType: LINKTYPE.NULL, af6: 10 },
    ] satisfies Encapsulation[] as Encapsulation[]) {
      for (const ip of [IPV4_HEADER_ONLY, IPV6_HEADER]) {
        const r = decodeLinkLayer(enc.linkType, encapsulate(enc, ip));
        expect(isSkip(r) ? r : [...r.ip]).toEqual([...ip]);
      }
    }
  });

  it.each([
    ['ARP', LINKTYPE.ETHERNET, Uint8Array.from([...new Array(12).fill(0), 0x08, 0x06, 0, 1]), 'not IP'],
    ['truncated Ethernet', LINKTYPE.ETHERNET, new Uint8Array(13), 'truncated Ethernet header'],
    ['truncated VLAN tag', LINKTYPE.ETHERNET, ETH_8021Q.subarray(0, 16), 'truncated VLAN tag'],
    ['IPv4 EtherType over IPv6', LINKTYPE.ETHERNET, Uint8Array.from([...ETH_8021Q.subarray(0, 18), ...IPV6_HEADER]), 'IPv4 EtherType with a different IP version'],
    ['endless VLAN tags', LINKTYPE.ETHERNET, Uint8Array.from([...new Array(12).fill(0), ...new Array(40).fill([0x81, 0, 0, 1]).flat()]), 'too many VLAN tags'],
    ['AF_UNSPEC loopback', LINKTYPE.NULL, Uint8Array.from([0, 0, 0, 0, ...IPV4_HEADER_ONLY]), 'not IP'],
    ['unsupported link type (IEEE 802.11)', 105, IPV4_HEADER_ONLY, 'unsupported link type 105'],
    ['raw with version 5', LINKTYPE.RAW, Uint8Array.of(0x50), 'not IP'],
    ['empty raw', LINKTYPE.RAW, new Uint8Array(0), 'empty IP packet'],
  ])('skips %s with its reason', (_n, lt, frame, reason) => {
    expect(decodeLinkLayer(lt, frame)).toEqual({ skip: reason });
  });
});
