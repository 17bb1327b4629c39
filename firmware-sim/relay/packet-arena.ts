/**
 * Copies of received audio datagrams, packed side by side into shared 64 KiB blocks.
 *
 * Node hands each received datagram over in an ArrayBuffer of its own, and the relay holds every
 * audio packet for the lookahead (40 ms: two to three packets a stream). With 1,000 streams that
 * is thousands of ArrayBuffers alive across each young-generation collection, which V8 must copy
 * and track one by one: collections of 4-6 ms on the event loop, each one delaying every packet
 * queued behind it (measured with scripts/bench-relay.ts). Held as views into a few blocks, the
 * same packets cost the collector a fraction of that, and Node's buffer dies young.
 *
 * A block is never written twice: the next copy goes into a fresh block once one is full, and a
 * block is freed by the collector when no packet in it is held or queued for sending any more. So
 * a datagram still in a socket's send queue, or a packet held long for a hole, is never
 * overwritten.
 */
const BLOCK_BYTES = 64 * 1024;
/** Larger datagrams are held as they came: a copy would waste most of a block. */
export const ARENA_MAX_DATAGRAM = 2048;

export class PacketArena {
  private block = new ArrayBuffer(0);
  private used = 0;

  /** A copy of `d` (same bytes, same length), or `d` itself when it is larger than ARENA_MAX_DATAGRAM. */
  copy(d: Uint8Array): Uint8Array {
    const n = d.length;
    if (n > ARENA_MAX_DATAGRAM) return d;
    if (this.used + n > this.block.byteLength) {
      this.block = new ArrayBuffer(BLOCK_BYTES);
      this.used = 0;
    }
    const out = new Uint8Array(this.block, this.used, n);
    out.set(d);
    // 8-byte alignment keeps each copy's start on a word boundary.
    this.used += (n + 7) & ~7;
    return out;
  }
}
