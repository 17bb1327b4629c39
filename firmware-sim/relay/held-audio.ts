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

/**
 * Every field array of a capacity, and the byte store, are views of one ArrayBuffer: its memory is
 * outside the JS heap, so the collector copies only the views, where an array of its own each (small
 * typed arrays keep their elements on the heap) was 2.8 KB of a new stream's 9.6 KB that the first
 * young-generation collections copied and promoted (docs/benchmarks.md, RTP relay).
 */
function layout(to: number) {
  const buffer = new ArrayBuffer(to * (3 * 8 + 5 * 4 + 1 + SLOT_BYTES));
  let at = 0;
  const f64 = () => new Float64Array(buffer, (at += to * 8) - to * 8, to);
  const i32 = () => new Int32Array(buffer, (at += to * 4) - to * 4, to);
  const u8 = (n: number) => new Uint8Array(buffer, (at += n) - n, n);
  // The bytes first, at offset 0 (payload() compares a cached view's byteOffset with the slot's
  // place in them); then Float64, then Int32: every view starts at a multiple of its element size.
  const bytes = u8(to * SLOT_BYTES);
  return { bytes, idx: f64(), arrivedAt: f64(), deadline: f64(), len: i32(), seq: i32(), payloadOffset: i32(), size: i32(), free: i32(), marker: u8(to) };
}

type Layout = ReturnType<typeof layout>;
const KEPT = ['bytes', 'idx', 'arrivedAt', 'deadline', 'len', 'seq', 'payloadOffset', 'size', 'marker'] as const;

export class HeldAudio {
  /** Stream sample index of the packet's first sample. */
  idx!: Float64Array;
  /** Samples (= payload octets). */
  len!: Int32Array;
  seq!: Int32Array;
  marker!: Uint8Array;
  /** Offset of the payload in the datagram. */
  payloadOffset!: Int32Array;
  arrivedAt!: Float64Array;
  deadline!: Float64Array;
  private size!: Int32Array;
  private bytes!: Uint8Array;
  /** Datagrams larger than SLOT_BYTES (rare): a copy each, by slot; made with the first one. */
  private large: (Uint8Array | undefined)[] | undefined;
  private free!: Int32Array;
  /** By slot: the last views handed out of `bytes` (NO_VIEW after growth, which replaces `bytes`). */
  private datagramViews: Uint8Array[] = [];
  private payloadViews: Uint8Array[] = [];
  private freeCount = 0;
  private capacity = 0;

  constructor() {
    this.adopt(layout(INITIAL_SLOTS));
    this.grow(INITIAL_SLOTS);
  }

  /** Takes a layout's views as the store (their contents as they are). */
  private adopt(l: Layout): void {
    ({ bytes: this.bytes, idx: this.idx, arrivedAt: this.arrivedAt, deadline: this.deadline, len: this.len, seq: this.seq } = l);
    ({ payloadOffset: this.payloadOffset, size: this.size, free: this.free, marker: this.marker } = l);
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
      if (this.large) this.large[slot] = undefined;
    } else {
      // new + set, not slice(): a Buffer's slice() is a view of the same memory.
      const copy = new Uint8Array(n);
      copy.set(datagram);
      (this.large ??= new Array<Uint8Array | undefined>(this.capacity).fill(undefined))[slot] = copy;
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
    const large = this.large?.[slot];
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
    const large = this.large?.[slot];
    const off = this.payloadOffset[slot];
    if (large) return large.subarray(off, off + this.len[slot]);
    const at = slot * SLOT_BYTES + off;
    const n = this.len[slot];
    const v = this.payloadViews[slot];
    if (v.byteOffset === at && v.length === n) return v;
    return (this.payloadViews[slot] = this.bytes.subarray(at, at + n));
  }

  release(slot: number): void {
    if (this.large) this.large[slot] = undefined;
    this.free[this.freeCount++] = slot;
  }

  /**
   * Makes every slot's views now for datagrams of `length` octets with the payload at `offset` (a
   * relay's spare streams, made at its start): a call whose packets are of that shape then makes
   * none (some 0.6 KB a call otherwise, made on its first packets, that the collector copies and
   * promotes; docs/benchmarks.md, RTP relay). Other shapes get their views when they come.
   */
  prepareViews(length: number, offset: number): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      const at = slot * SLOT_BYTES;
      this.datagramViews[slot] = this.bytes.subarray(at, at + length);
      this.payloadViews[slot] = this.bytes.subarray(at + offset, at + length);
    }
  }

  /**
   * Frees every slot and zeroes what they held (a stream's state reused for another call,
   * rtp-stream.ts `reuse`): slots are then taken in the order a new store gives them, and no byte
   * of the last call is left. The store and the views are kept.
   */
  clear(): void {
    for (const k of KEPT) this[k].fill(0);
    this.large = undefined;
    this.freeCount = 0;
    this.freeSlots(0, this.capacity);
  }

  /** Pushes slots [from, to) on the free stack, highest first, so the lowest is taken first. */
  private freeSlots(from: number, to: number): void {
    for (let s = to - 1; s >= from; s--) this.free[this.freeCount++] = s;
  }

  private grow(to: number): void {
    const from = this.capacity;
    if (from > 0) {
      const l = layout(to);
      // Every field but the free stack (rebuilt below) keeps its slots' values.
      for (const k of KEPT) l[k].set(this[k]);
      this.adopt(l);
      if (this.large) this.large = Array.from({ length: to }, (_, i) => this.large![i]);
    }
    this.datagramViews = new Array<Uint8Array>(to).fill(NO_VIEW);
    this.payloadViews = new Array<Uint8Array>(to).fill(NO_VIEW);
    // Every slot was taken when growing: the free stack holds only the new ones.
    this.freeCount = 0;
    this.freeSlots(from, to);
    this.capacity = to;
  }
}
