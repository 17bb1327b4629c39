/**
 * UDP (RFC 768) over an IP datagram. The checksum is not verified: captures on the sending host
 * hold checksum-offloaded packets whose checksum field is not yet filled in.
 */
import { IPPROTO_UDP, type IpDatagram } from './ip.ts';
import { skip, type Skip } from './skip.ts';

export interface UdpDatagram {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Uint8Array;
}

export function decodeUdp(ip: IpDatagram): UdpDatagram | Skip {
  if (ip.protocol !== IPPROTO_UDP) return skip('not UDP');
  if (ip.fragment) return skip('IP fragment not reassembled');
  const b = ip.payload;
  if (b.length < 8) return skip('truncated UDP header');
  const len = (b[4] << 8) | b[5];
  if (len < 8 || len > b.length) return skip('bad UDP length');
  return {
    src: ip.src,
    srcPort: (b[0] << 8) | b[1],
    dst: ip.dst,
    dstPort: (b[2] << 8) | b[3],
    payload: b.subarray(8, len),
  };
}
