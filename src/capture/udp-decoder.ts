/**
 * Captured frame → UDP datagram, in one synchronous step per packet: link layer, IP, reassembly,
 * UDP. What is not UDP is counted by reason (merged into the capture summary's `skipped`).
 */
import { countSkip } from './capture-errors.ts';
import type { CapturedPacket } from './captured-packet.ts';
import { parseIp } from './ip.ts';
import { Ipv4Reassembler, type ReassemblerOptions } from './ip-reassembler.ts';
import { decodeLinkLayer } from './link-layer.ts';
import { isSkip } from './skip.ts';
import { decodeUdp, type UdpDatagram } from './udp.ts';

export class UdpDecoder {
  readonly skipped: Record<string, number> = {};
  readonly reassembler: Ipv4Reassembler;

  constructor(opts: ReassemblerOptions = {}) {
    this.reassembler = new Ipv4Reassembler(opts);
  }

  decode(pkt: CapturedPacket): UdpDatagram | undefined {
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

  private count(reason: string): undefined {
    countSkip(this.skipped, reason);
    return undefined;
  }
}
