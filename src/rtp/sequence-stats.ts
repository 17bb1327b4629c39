/**
 * Per-stream reception statistics (RFC 3550 §6.4.1, Appendix A.1, A.3, A.8): extended sequence
 * numbers, loss, duplicates, reordering and interarrival jitter. Memory is constant: duplicates are
 * recognised within the last DUP_WINDOW sequence numbers.
 */

const DUP_WINDOW = 1024;

export interface SequenceStatsSnapshot {
  /** Unique packets received. */
  received: number;
  /** RFC 3550 A.3: highest extended sequence number minus the lowest, plus one. */
  expected: number;
  /** expected − received, never negative (duplicates do not hide loss, since they are not counted). */
  lost: number;
  duplicates: number;
  /** Packets that arrived after a packet with a higher sequence number. */
  reordered: number;
  /** RFC 3550 A.8 interarrival jitter, in timestamp units. */
  jitter: number;
}

export class SequenceStats {
  private maxExt = -1;
  private minExt = Number.POSITIVE_INFINITY;
  private readonly ring = new Float64Array(DUP_WINDOW).fill(-1);
  private received = 0;
  private duplicates = 0;
  private reordered = 0;
  private jitter = 0;
  /**
   * NaN until the first arrival. A number from the start, not `undefined`: V8 then keeps the field
   * as an unboxed double updated in place, where a field that once held `undefined` takes a new
   * heap number at every store (one allocation per packet).
   */
  private lastTransit = Number.NaN;

  /**
   * Records a packet's sequence number; returns its extended sequence number, or -1 for a duplicate
   * (which the caller should drop).
   */
  record(sequence: number): number {
    let ext: number;
    if (this.maxExt < 0) ext = sequence + 65536; // room below for packets reordered before the first
    else {
      // Unwrap relative to the highest seen: the nearest value congruent mod 2^16 (RFC 3550 A.1).
      const base = this.maxExt - (this.maxExt & 0xffff);
      ext = base + sequence;
      if (ext - this.maxExt > 32768) ext -= 65536;
      else if (this.maxExt - ext > 32768) ext += 65536;
    }
    const slot = ext % DUP_WINDOW;
    if (this.ring[slot] === ext) {
      this.duplicates++;
      return -1;
    }
    this.ring[slot] = ext;
    this.received++;
    if (ext > this.maxExt) this.maxExt = ext;
    else this.reordered++;
    if (ext < this.minExt) this.minExt = ext;
    return ext;
  }

  /**
   * RFC 3550 A.8: J += (|D| − J) / 16, with D the difference in transit time of consecutive
   * arrivals; `arrival` is the arrival time in timestamp units, `rtpTimestamp` the extended timestamp.
   */
  recordTransit(arrival: number, rtpTimestamp: number): void {
    const transit = arrival - rtpTimestamp;
    if (!Number.isNaN(this.lastTransit)) {
      const d = Math.abs(transit - this.lastTransit);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  snapshot(): SequenceStatsSnapshot {
    const expected = this.maxExt < 0 ? 0 : this.maxExt - this.minExt + 1;
    return {
      received: this.received,
      expected,
      lost: Math.max(0, expected - this.received),
      duplicates: this.duplicates,
      reordered: this.reordered,
      jitter: this.jitter,
    };
  }
}

/** Unwraps a 32-bit RTP timestamp to the value nearest `reference` (both as plain numbers). */
export function unwrapTimestamp(ts: number, reference: number | undefined): number {
  if (reference === undefined) return ts + 2 ** 32; // room below for earlier packets
  const base = reference - (reference % 2 ** 32);
  let ext = base + ts;
  if (ext - reference > 2 ** 31) ext -= 2 ** 32;
  else if (reference - ext > 2 ** 31) ext += 2 ** 32;
  return ext;
}
