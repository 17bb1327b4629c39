/**
 * A stream's audio packets held for the lookahead, as a struct of arrays: one slot number per
 * packet, its fields in typed arrays and its datagram's bytes copied into a byte store the stream
 * owns and reuses.
 *
 * Why not an object per packet: the relay holds every audio packet for the lookahead (two to three
 * a stream), so at 1,000 streams thousands of records and views are alive at each young-generation
 * collection, which V8 copies one by one; measured on the native path, 1.3-1.7 ms of each 1.5-4 ms
 * scavenge on the event loop (docs/benchmarks.md, RTP relay). Slots in typed arrays are not heap
 * objects: the collector has nothing of them to copy, and nothing is allocated per packet here.
 *
 * A slot's bytes are reused once it is freed, so `datagram(slot)` is a view valid until the slot is
 * freed: whoever keeps the bytes beyond that (a socket's send queue) must copy them. The views
 * themselves are kept per slot and made again only when the slot's datagram or payload changes
 * length or place (a stream's packets are all alike): a view per fed and per sent packet was a
 * third of what the relay's packet path allocated once the parser's garbage was gone.
 */

/** Bytes of a slot: 20 and 30 ms G.711 packets (172 and 252 octets) fit; larger ones are held as a copy of their own. */
export const SLOT_BYTES = 512;
const INITIAL_SLOTS = 8;
/**
 * What the view caches hold for a slot with no view yet: a view of no bytes, never a match (a held
 * datagram has a header, a payload at least a sample). Not `undefined` in a growing array: the
 * arrays then change their element kind (and so their map) as slots fill, and each change threw
 * the relay's optimised send path back to unoptimised code, which allocates per packet
 * (scripts/relay-alloc.ts: now and then 60 instead of 15 bytes a packet until V8 optimised it again).
 */
const NO_VIEW = new Uint8Array(0);

export class HeldAudio {
  /** Stream sample index of the packet's first sample. */
  idx = new Float64Array(INITIAL_SLOTS);
  /** Samples (= payload octets). */
  len = new Int32Array(INITIAL_SLOTS);
  seq = new Int32Array(INITIAL_SLOTS);
  marker = new Uint8Array(INITIAL_SLOTS);
  /** Offset of the payload in the datagram. */
  payloadOffset = new Int32Array(INITIAL_SLOTS);
  arrivedAt = new Float64Array(INITIAL_SLOTS);
  deadline = new Float64Array(INITIAL_SLOTS);
  private size = new Int32Array(INITIAL_SLOTS);
  private bytes = new Uint8Array(INITIAL_SLOTS * SLOT_BYTES);
  /** Datagrams larger than SLOT_BYTES (rare): a copy each, by slot. */
  private large: (Uint8Array | undefined)[] = [];
  private free = new Int32Array(INITIAL_SLOTS);
  /** By slot: the last views handed out of `bytes` (NO_VIEW after growth, which replaces `bytes`). */
  private datagramViews: Uint8Array[] = [];
  private payloadViews: Uint8Array[] = [];
  private freeCount = 0;
  private capacity = 0;

  constructor() {
    this.grow(INITIAL_SLOTS);
  }

  /**
   * Takes a slot and copies `datagram` into it (the caller's bytes may be reused after this call).
   * The caller writes the slot's times (`arrivedAt`, `deadline`) itself: passed as arguments, each
   * fraction of a ms would be a heap number per packet (relay-times.ts).
   */
  hold(datagram: Uint8Array, payloadOffset: number, idx: number, len: number, seq: number, marker: boolean): number {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    const slot = this.free[--this.freeCount];
    const n = datagram.length;
    if (n <= SLOT_BYTES) {
      this.bytes.set(datagram, slot * SLOT_BYTES);
      this.large[slot] = undefined;
    } else {
      // new + set, not slice(): a Buffer's slice() is a view of the same memory.
      const copy = new Uint8Array(n);
      copy.set(datagram);
      this.large[slot] = copy;
    }
    this.size[slot] = n;
    this.idx[slot] = idx;
    this.len[slot] = len;
    this.seq[slot] = seq;
    this.marker[slot] = marker ? 1 : 0;
    this.payloadOffset[slot] = payloadOffset;
    return slot;
  }

  /** The slot's datagram, writable in place: a view valid until the slot is freed. */
  datagram(slot: number): Uint8Array {
    const large = this.large[slot];
    if (large) return large;
    const n = this.size[slot];
    const v = this.datagramViews[slot];
    // The slot's place in `bytes` is fixed: only the length can differ.
    if (v.length === n) return v;
    const at = slot * SLOT_BYTES;
    return (this.datagramViews[slot] = this.bytes.subarray(at, at + n));
  }

  /** The slot's payload (its codewords): a view valid until the slot is freed. */
  payload(slot: number): Uint8Array {
    const large = this.large[slot];
    const off = this.payloadOffset[slot];
    if (large) return large.subarray(off, off + this.len[slot]);
    const at = slot * SLOT_BYTES + off;
    const n = this.len[slot];
    const v = this.payloadViews[slot];
    if (v.byteOffset === at && v.length === n) return v;
    return (this.payloadViews[slot] = this.bytes.subarray(at, at + n));
  }

  release(slot: number): void {
    this.large[slot] = undefined;
    this.free[this.freeCount++] = slot;
  }

  private grow(to: number): void {
    const from = this.capacity;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(to);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(to);
      b.set(a);
      return b;
    };
    if (from > 0) {
      this.idx = f64(this.idx);
      this.arrivedAt = f64(this.arrivedAt);
      this.deadline = f64(this.deadline);
      this.len = i32(this.len);
      this.seq = i32(this.seq);
      this.payloadOffset = i32(this.payloadOffset);
      this.size = i32(this.size);
      const m = new Uint8Array(to);
      m.set(this.marker);
      this.marker = m;
      const bytes = new Uint8Array(to * SLOT_BYTES);
      bytes.set(this.bytes);
      this.bytes = bytes;
    }
    this.datagramViews = new Array<Uint8Array>(to).fill(NO_VIEW);
    this.payloadViews = new Array<Uint8Array>(to).fill(NO_VIEW);
    this.large = Array.from({ length: to }, (_, i) => this.large[i]);
    // Every slot was taken when growing: the free stack holds only the new ones.
    this.free = new Int32Array(to);
    this.freeCount = 0;
    for (let s = to - 1; s >= from; s--) this.free[this.freeCount++] = s;
    this.capacity = to;
  }
}
