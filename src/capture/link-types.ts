/** LINKTYPE_* values we decode (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE = {
  /** BSD loopback: 4-byte address family in the writer's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as OpenBSD numbers it; same meaning as RAW. */
  RAW_OPENBSD: 14,
  /** Raw IP on some BSDs (DLT_RAW = 12). */
  RAW_BSD: 12,
  RAW: 101,
  /** OpenBSD loopback: like NULL but the family is in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1, what `tcpdump -i any` writes. */
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  /** Linux cooked capture v2 (`tcpdump -i any -y LINUX_SLL2`, libpcap ≥ 1.10 default for `any`). */
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  VLAN: 0x8100, // IEEE 802.1Q
  QINQ: 0x88a8, // IEEE 802.1ad service tag
  QINQ_OLD: 0x9100, // pre-standard double tagging
} as const;
