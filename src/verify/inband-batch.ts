/**
 * The wire format between the verifier's main thread and its in-band workers: G.711 chunks of many
 * streams packed into one transferable ArrayBuffer (no object, no message per packet).
 *
 * Record: u32 stream index, u16 codeword count, u8 codec (0 µ-law, 1 A-law), u8 reserved,
 * f64 sample offset (stream timeline), then the codewords. Little-endian.
 */
import type { G711Codec } from '../dsp/g711.ts';

export const RECORD_HEADER = 16;
/** 512 KiB: about 3000 packets of 20 ms per message (a message costs far more than a packet). */
export const BATCH_BYTES = 1 << 19;

export class BatchWriter {
  buf: ArrayBuffer;
  used = 0;
  private view: DataView;
  private bytes: Uint8Array;

  constructor(buf: ArrayBuffer = new ArrayBuffer(BATCH_BYTES)) {
    this.buf = buf;
    this.view = new DataView(buf);
    this.bytes = new Uint8Array(buf);
  }

  /** Starts over on `buf` (a buffer that came back from a worker). */
  reset(buf: ArrayBuffer): void {
    this.buf = buf;
    this.view = new DataView(buf);
    this.bytes = new Uint8Array(buf);
    this.used = 0;
  }

  fits(n: number): boolean {
    return this.used + RECORD_HEADER + n <= this.buf.byteLength;
  }

  add(stream: number, codec: G711Codec, sampleOffset: number, codes: Uint8Array): void {
    const v = this.view;
    const o = this.used;
    v.setUint32(o, stream, true);
    v.setUint16(o + 4, codes.length, true);
    v.setUint8(o + 6, codec === 'alaw' ? 1 : 0);
    v.setFloat64(o + 8, sampleOffset, true);
    this.bytes.set(codes, o + RECORD_HEADER);
    this.used = o + RECORD_HEADER + codes.length;
  }
}

/** Calls `each` for every record of a batch; `codes` is a view into the batch. */
export function readBatch(buf: ArrayBuffer, used: number, each: (stream: number, codec: G711Codec, sampleOffset: number, codes: Uint8Array) => void): void {
  const v = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let o = 0;
  while (o < used) {
    const n = v.getUint16(o + 4, true);
    const start = o + RECORD_HEADER;
    each(v.getUint32(o, true), v.getUint8(o + 6) === 1 ? 'alaw' : 'ulaw', v.getFloat64(o + 8, true), bytes.subarray(start, start + n));
    o = start + n;
  }
}
