/**
 * Pull-based reading of exact byte counts from a Node Readable, holding at most one record beyond
 * the chunk the stream handed us: memory stays constant whatever the capture size. Reads that fall
 * inside the current chunk are zero-copy subarrays and synchronous, which keeps the per-packet cost low.
 */
import type { Readable } from 'node:stream';

export class ByteReader {
  private readonly it: AsyncIterator<unknown>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  /** Bytes consumed from the start of the stream (for error messages). */
  offset = 0;

  constructor(source: Readable | AsyncIterable<Uint8Array>) {
    this.it = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }

  /** Bytes available without waiting. */
  get buffered(): number {
    return this.chunk.length - this.pos;
  }

  /** The next n buffered bytes without consuming them (undefined if fewer are buffered). */
  peek(n: number): Uint8Array | undefined {
    return this.chunk.length - this.pos < n ? undefined : this.chunk.subarray(this.pos, this.pos + n);
  }

  /** Reads n bytes if they are already buffered, else returns undefined (call `fill` and retry). */
  tryRead(n: number): Uint8Array | undefined {
    if (this.chunk.length - this.pos < n) return undefined;
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /**
   * Consumes n bytes if they are already buffered and returns where they start in `current`, else
   * -1 (call `fill` and retry): for a reader of a few fixed fields, which needs no view of them.
   */
  tryConsume(n: number): number {
    if (this.chunk.length - this.pos < n) return -1;
    const at = this.pos;
    this.pos += n;
    this.offset += n;
    return at;
  }

  /** The buffered chunk `tryConsume` offsets point into (valid until the next `fill`). */
  get current(): Uint8Array {
    return this.chunk;
  }

  /** Makes at least n bytes buffered; returns false if the stream ended first. */
  async fill(n: number): Promise<boolean> {
    while (this.chunk.length - this.pos < n) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const v = r.value;
      const got = typeof v === 'string' ? Buffer.from(v, 'latin1') : (v as Uint8Array);
      if (got.length === 0) continue;
      // A plain Uint8Array over the same bytes, not the stream's Buffer: every record, payload and
      // copy source is a subarray of this chunk, and a Buffer's subarray runs its species
      // constructor (FastBuffer, in JS) each time; a plain one's does not.
      const next = got.constructor === Uint8Array ? got : new Uint8Array(got.buffer, got.byteOffset, got.length);
      const rest = this.chunk.length - this.pos;
      if (rest === 0) {
        this.chunk = next;
      } else {
        // Only the unread tail (less than one record) is copied, so memory stays bounded.
        const joined = new Uint8Array(rest + next.length);
        joined.set(this.chunk.subarray(this.pos), 0);
        joined.set(next, rest);
        this.chunk = joined;
      }
      this.pos = 0;
    }
    return true;
  }

  /** Reads exactly n bytes; returns what there was (shorter) if the stream ended first. */
  async read(n: number): Promise<Uint8Array> {
    const fast = this.tryRead(n);
    if (fast) return fast;
    await this.fill(n);
    return this.tryRead(Math.min(n, this.buffered))!;
  }

  /** Discards n bytes without holding them; returns the number actually skipped. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) break;
      const step = Math.min(left, this.buffered);
      this.pos += step;
      this.offset += step;
      left -= step;
    }
    return n - left;
  }

  /** Releases the underlying stream when the consumer stops early. */
  async close(): Promise<void> {
    this.done = true;
    await this.it.return?.();
  }
}
