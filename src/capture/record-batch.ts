/**
 * Capture records without an object per record: the records of one read chunk as parallel arrays
 * of where each frame is in `data` and when it was captured. The verifier's per-packet path reads
 * frames from these in place; `packetAt` makes the `CapturedPacket` of one record for the general
 * decoding path (anything but the usual frame).
 */
import type { CapturedPacket } from './captured-packet.ts';

export class RecordBatch {
  /** The bytes every record of the batch is in (a reader's chunk); valid while the batch is handled. */
  data: Uint8Array = new Uint8Array(0);
  count = 0;
  readonly offs: Int32Array;
  readonly lens: Int32Array;
  /**
   * Capture time as whole seconds and nanoseconds since the Unix epoch: two numbers instead of a
   * BigInt (an allocation) per record.
   */
  readonly secs: Float64Array;
  readonly nsecs: Float64Array;
  readonly origLens: Float64Array;
  readonly linkTypes: Int32Array;
  readonly interfaces: Int32Array;

  constructor(readonly capacity: number) {
    this.offs = new Int32Array(capacity);
    this.lens = new Int32Array(capacity);
    this.secs = new Float64Array(capacity);
    this.nsecs = new Float64Array(capacity);
    this.origLens = new Float64Array(capacity);
    this.linkTypes = new Int32Array(capacity);
    this.interfaces = new Int32Array(capacity);
  }

  /** Appends a record; the caller keeps `count < capacity` and every record in `data`. */
  add(off: number, len: number, sec: number, nsec: number, originalLength: number, linkType: number, interfaceId: number): void {
    const i = this.count++;
    this.offs[i] = off;
    this.lens[i] = len;
    this.secs[i] = sec;
    this.nsecs[i] = nsec;
    this.origLens[i] = originalLength;
    this.linkTypes[i] = linkType;
    this.interfaces[i] = interfaceId;
  }

  /** Record i as the object the per-packet reader hands out (its data a view of `data`). */
  packetAt(i: number): CapturedPacket {
    const off = this.offs[i];
    return {
      timestampNs: BigInt(this.secs[i]) * 1_000_000_000n + BigInt(this.nsecs[i]),
      linkType: this.linkTypes[i],
      data: this.data.subarray(off, off + this.lens[i]),
      originalLength: this.origLens[i],
      interfaceId: this.interfaces[i],
    };
  }

  /** One packet from a reader that makes objects (pcapng, live capture) as a batch of one. */
  static of(pkt: CapturedPacket, into: RecordBatch): RecordBatch {
    into.data = pkt.data;
    into.count = 0;
    const ns = pkt.timestampNs;
    // Seconds and the rest (both negative before 1970: their sum is the time all the same).
    const sec = ns / 1_000_000_000n;
    into.add(0, pkt.data.length, Number(sec), Number(ns - sec * 1_000_000_000n), pkt.originalLength, pkt.linkType, pkt.interfaceId);
    return into;
  }
}
