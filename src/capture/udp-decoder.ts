/**
 * Captured frame → UDP datagram, in one synchronous step per packet: link layer, IP, reassembly,
 * UDP. What is not UDP is counted by reason (merged into the capture summary's `skipped`).
 */
import { countSkip } from './capture-errors.ts';
import type { CapturedPacket } from './captured-packet.ts';
import { ipv4Name, parseIp } from './ip.ts';
import { LINKTYPE } from './link-types.ts';
import type { RecordBatch } from './record-batch.ts';
import { Ipv4Reassembler, type ReassemblerOptions } from './ip-reassembler.ts';
import { decodeLinkLayer } from './link-layer.ts';
import { isSkip } from './skip.ts';
import { decodeUdp, type UdpDatagram } from './udp.ts';

export class UdpDecoder {
  readonly skipped: Record<string, number> = {};
  readonly reassembler: Ipv4Reassembler;

  private readonly fast: boolean;

  /**
   * What `decodeRecord` found in the last record it took: the datagram's addresses and ports, and
   * where its payload is in the batch's `data` (`[start, end)`). Fields, not an object per packet.
   */
  src = '';
  srcPort = 0;
  dst = '';
  dstPort = 0;
  start = 0;
  end = 0;

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
   * Record i of `b` if it is the usual frame (`ethernetIpv4Udp`'s): true, with the datagram in this
   * decoder's fields and nothing allocated. False for any other record: give `decode` its
   * `b.packetAt(i)`, which takes the general path and returns what it returns.
   */
  decodeRecord(b: RecordBatch, i: number): boolean {
    if (!this.fast || b.linkTypes[i] !== LINKTYPE.ETHERNET) return false;
    const f = b.offs[i];
    if (!this.usual(b.data, f, f + b.lens[i])) return false;
    // What Ipv4Reassembler.push does for a whole datagram: expire old fragments (nearly always
    // there are none, and then no BigInt is made for the time).
    if (this.reassembler.pendingCount > 0) this.reassembler.expire(BigInt(b.secs[i]) * 1_000_000_000n + BigInt(b.nsecs[i]));
    return true;
  }

  /**
   * The usual mirrored RTP frame, untagged Ethernet, IPv4 without fragmentation, UDP, decoded in
   * one step: one view (the payload) and one object instead of a view and an object per layer. It
   * takes exactly the frames on which the general path's checks (link-layer.ts, ip.ts parseIpv4,
   * udp.ts) all pass and returns what that path returns; for any other frame, undefined, and the
   * general path decides (and counts the reason).
   */
  private ethernetIpv4Udp(d: Uint8Array, ns: bigint): UdpDatagram | undefined {
    if (!this.usual(d, 0, d.length)) return undefined;
    // What Ipv4Reassembler.push does for a whole datagram: expire old fragments.
    this.reassembler.expire(ns);
    return { src: this.src, srcPort: this.srcPort, dst: this.dst, dstPort: this.dstPort, payload: d.subarray(this.start, this.end) };
  }

  /**
   * The checks of the usual frame on `d[f, frameEnd)`; when they pass, true and the datagram in
   * this decoder's fields (offsets into `d`).
   */
  private usual(d: Uint8Array, f: number, frameEnd: number): boolean {
    const o = f + 14;
    if (frameEnd - f < 34 || d[f + 12] !== 0x08 || d[f + 13] !== 0x00 || d[o] >> 4 !== 4 || d[o + 9] !== 17) return false;
    const ihl = (d[o] & 0x0f) * 4;
    const total = (d[o + 2] << 8) | d[o + 3];
    if (ihl < 20 || total < ihl || frameEnd - o < total) return false;
    if ((((d[o + 6] << 8) | d[o + 7]) & 0x3fff) !== 0) return false; // a fragment (MF or an offset)
    const u = o + ihl;
    if (total - ihl < 8) return false;
    const len = (d[u + 4] << 8) | d[u + 5];
    if (len < 8 || len > total - ihl) return false;
    this.src = ipv4Name(d, o + 12);
    this.srcPort = (d[u] << 8) | d[u + 1];
    this.dst = ipv4Name(d, o + 16);
    this.dstPort = (d[u + 2] << 8) | d[u + 3];
    this.start = u + 8;
    this.end = u + len;
    return true;
  }

  private count(reason: string): undefined {
    countSkip(this.skipped, reason);
    return undefined;
  }
}
