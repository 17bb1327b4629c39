/**
 * Captured frame → UDP datagram, in one synchronous step per packet: link layer, IP, reassembly,
 * UDP. What is not UDP is counted by reason (merged into the capture summary's `skipped`).
 */
import { countSkip } from './capture-errors.ts';
import type { CapturedPacket } from './captured-packet.ts';
import { ipv4Name, parseIp } from './ip.ts';
import { LINKTYPE } from './link-types.ts';
import { Ipv4Reassembler, type ReassemblerOptions } from './ip-reassembler.ts';
import { decodeLinkLayer } from './link-layer.ts';
import { isSkip } from './skip.ts';
import { decodeUdp, type UdpDatagram } from './udp.ts';

export class UdpDecoder {
  readonly skipped: Record<string, number> = {};
  readonly reassembler: Ipv4Reassembler;

  private readonly fast: boolean;

  /** `fastPath: false` runs every frame through the general path (the differential test). */
  constructor(opts: ReassemblerOptions & { fastPath?: boolean } = {}) {
    this.reassembler = new Ipv4Reassembler(opts);
    this.fast = opts.fastPath !== false;
  }

  decode(pkt: CapturedPacket): UdpDatagram | undefined {
    if (this.fast && pkt.linkType === LINKTYPE.ETHERNET) {
      const udp = this.ethernetIpv4Udp(pkt.data, pkt.timestampNs);
      if (udp !== undefined) return udp;
    }
    const link = decodeLinkLayer(pkt.linkType, pkt.data);
    if (isSkip(link)) return this.count(link.skip);
    const ip = parseIp(link);
    if (isSkip(ip)) return this.count(ip.skip);
    if (ip.protocol !== 17) return this.count('not UDP');
    const whole = this.reassembler.push(ip, pkt.timestampNs);
    if (!whole) return undefined; // a fragment kept for later
    const udp = decodeUdp(whole);
    if (isSkip(udp)) return this.count(udp.skip);
    return udp;
  }

  /**
   * The usual mirrored RTP frame, untagged Ethernet, IPv4 without fragmentation, UDP, decoded in
   * one step: one view (the payload) and one object instead of a view and an object per layer. It
   * takes exactly the frames on which the general path's checks (link-layer.ts, ip.ts parseIpv4,
   * udp.ts) all pass and returns what that path returns; for any other frame, undefined, and the
   * general path decides (and counts the reason).
   */
  private ethernetIpv4Udp(d: Uint8Array, ns: bigint): UdpDatagram | undefined {
    const o = 14;
    if (d.length < o + 20 || d[12] !== 0x08 || d[13] !== 0x00 || d[o] >> 4 !== 4 || d[o + 9] !== 17) return undefined;
    const ihl = (d[o] & 0x0f) * 4;
    const total = (d[o + 2] << 8) | d[o + 3];
    if (ihl < 20 || total < ihl || d.length - o < total) return undefined;
    if ((((d[o + 6] << 8) | d[o + 7]) & 0x3fff) !== 0) return undefined; // a fragment (MF or an offset)
    const u = o + ihl;
    if (total - ihl < 8) return undefined;
    const len = (d[u + 4] << 8) | d[u + 5];
    if (len < 8 || len > total - ihl) return undefined;
    // What Ipv4Reassembler.push does for a whole datagram: expire old fragments.
    this.reassembler.expire(ns);
    return { src: ipv4Name(d, o + 12), srcPort: (d[u] << 8) | d[u + 1], dst: ipv4Name(d, o + 16), dstPort: (d[u + 2] << 8) | d[u + 3], payload: d.subarray(u + 8, u + len) };
  }

  private count(reason: string): undefined {
    countSkip(this.skipped, reason);
    return undefined;
  }
}
