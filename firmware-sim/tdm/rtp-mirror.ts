/**
 * Mirrors masked TDM channels as RTP (RFC 3550) to one UDP address, the way the SIP edge mirrors
 * to a recorder: one stream per channel (SSRC = channel number), G.711 at 8 kHz in 20 ms packets
 * (RFC 3551 §4.5.14: PCMU payload type 0, PCMA 8), so `dtmfguard verify` on a capture of the port
 * judges the board's output.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { G711Codec } from '../../src/dsp/g711.ts';
import { serializeRtp } from '../../src/rtp/packet.ts';
import { parseUdpAddress, resolveUdpAddress } from '../relay/address.ts';

const PACKET_SAMPLES = 160;

interface StreamState {
  seq: number;
  timestamp: number;
  pending: Uint8Array;
  fill: number;
  first: boolean;
}

export class RtpMirror {
  private socket: Socket | undefined;
  private readonly streams = new Map<number, StreamState>();
  private readonly pt: number;
  sent = 0;
  sendErrors = 0;

  private constructor(codec: G711Codec) {
    this.pt = codec === 'ulaw' ? 0 : 8;
  }

  /** Opens a socket connected to `target` (`ADDR:PORT`). */
  static async open(target: string, codec: G711Codec): Promise<RtpMirror> {
    const to = await resolveUdpAddress(parseUdpAddress(target, '--mirror'), '--mirror');
    const m = new RtpMirror(codec);
    const s = createSocket({ type: to.family === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(to.port, to.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    // A recorder that is not listening yet answers with ICMP port unreachable: counted, not fatal.
    s.on('error', () => m.sendErrors++);
    m.socket = s;
    return m;
  }

  /** Codewords of channel `ch`, in order; whole 20 ms packets leave as soon as they are full. */
  write(ch: number, codes: Uint8Array): void {
    let st = this.streams.get(ch);
    if (!st) {
      // Random-looking but reproducible starting points (RFC 3550 §5.1 wants them unpredictable on
      // the wire; a test rig wants runs it can compare).
      st = { seq: (ch * 7919) & 0xffff, timestamp: (ch * 104729) >>> 0, pending: new Uint8Array(PACKET_SAMPLES), fill: 0, first: true };
      this.streams.set(ch, st);
    }
    let i = 0;
    while (i < codes.length) {
      const m = Math.min(codes.length - i, PACKET_SAMPLES - st.fill);
      st.pending.set(codes.subarray(i, i + m), st.fill);
      st.fill += m;
      i += m;
      if (st.fill === PACKET_SAMPLES) this.sendPacket(ch, st);
    }
  }

  /** Sends what is left of every stream, then closes the socket. */
  async close(): Promise<void> {
    for (const [ch, st] of this.streams) if (st.fill > 0) this.sendPacket(ch, st);
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      await new Promise((r) => setImmediate(r));
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private sendPacket(ch: number, st: StreamState): void {
    const payload = st.pending.slice(0, st.fill);
    const datagram = serializeRtp({
      version: 2,
      padding: false,
      extension: false,
      marker: st.first,
      payloadType: this.pt,
      sequence: st.seq,
      timestamp: st.timestamp,
      ssrc: ch,
      csrc: [],
      payload,
    });
    this.socket?.send(datagram);
    this.sent++;
    st.first = false;
    st.seq = (st.seq + 1) & 0xffff;
    st.timestamp = (st.timestamp + st.fill) >>> 0;
    st.fill = 0;
  }
}
