/**
 * Real UDP peers on 127.0.0.1 for the relay tests: a caller that sends RTP on its own packet clock
 * and receivers standing for the agent and the recorder.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent, type TelephoneEvent } from '../../../src/rtp/telephone-event.ts';

export interface Received {
  data: Buffer;
  at: number;
}

export class UdpReceiver {
  readonly got: Received[] = [];
  private constructor(readonly socket: Socket, readonly port: number) {
    socket.on('message', (data) => this.got.push({ data, at: performance.now() }));
  }

  /** A receiver on a free port, or on `port` (a peer coming back on its old port). */
  static async open(port = 0): Promise<UdpReceiver> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
    return new UdpReceiver(s, s.address().port);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resolves once `n` datagrams are in, or after `timeoutMs` with what came. */
  async waitFor(n: number, timeoutMs: number): Promise<Received[]> {
    const until = performance.now() + timeoutMs;
    while (this.got.length < n && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this.got;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

export interface Outgoing {
  /** ms after the start of sending. */
  t: number;
  data: Buffer;
}

/** Sends each datagram at its time on an absolute schedule (no drift); returns the send times. */
export async function sendScheduled(to: string, items: Outgoing[]): Promise<number[]> {
  const [host, port] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))];
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const t0 = performance.now();
  const sentAt: number[] = [];
  for (const it of items) {
    const wait = t0 + it.t - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sentAt.push(performance.now());
    await new Promise<void>((r) => s.send(it.data, port, host, () => r()));
  }
  await new Promise<void>((r) => s.close(() => r()));
  return sentAt;
}

/**
 * A caller's RTP: one SSRC, one sequence space shared by audio and events (RFC 4733 §2.1),
 * audio cut into packets of `ptimeMs`.
 */
export class CallerStream {
  seq: number;
  readonly items: Outgoing[] = [];
  constructor(
    readonly codec: G711Codec,
    readonly ptimeMs: number,
    readonly ssrc = 0x5eed1234,
    seq0 = 40000,
    readonly ts0 = 123456,
  ) {
    this.seq = seq0;
  }

  get pt(): number {
    return this.codec === 'ulaw' ? 0 : 8;
  }

  /** Audio packets for the whole signal; packet i leaves when its last sample has been captured. */
  audio(samples: Int16Array, opts: { payloadOverride?: (i: number, payload: Uint8Array) => Uint8Array } = {}): void {
    const k = this.ptimeMs * 8;
    const codes = encodeG711(this.codec, samples);
    for (let i = 0; i * k < codes.length; i++) {
      let payload = codes.subarray(i * k, Math.min(codes.length, (i + 1) * k));
      if (opts.payloadOverride) payload = opts.payloadOverride(i, payload);
      this.items.push({ t: (i + 1) * this.ptimeMs, data: this.packet(this.pt, this.ts0 + i * k, payload, i === 0) });
    }
  }

  /** An RFC 4733 event packet sent at `t` ms. */
  event(t: number, startSample: number, ev: TelephoneEvent, marker = false): void {
    this.items.push({ t, data: this.packet(101, this.ts0 + startSample, serializeTelephoneEvent(ev), marker) });
  }

  /** Items in send order, sequence numbers given in that order. */
  schedule(): Outgoing[] {
    const sorted = [...this.items].sort((a, b) => a.t - b.t);
    return sorted.map((it) => {
      const d = Buffer.from(it.data);
      d.writeUInt16BE(this.seq++ & 0xffff, 2);
      return { t: it.t, data: d };
    });
  }

  private packet(pt: number, ts: number, payload: Uint8Array, marker: boolean): Buffer {
    return serializeRtp({ version: 2, padding: false, extension: false, marker, payloadType: pt, sequence: 0, timestamp: ts >>> 0, ssrc: this.ssrc, csrc: [], payload });
  }
}
