/**
 * The sequence numbers of a stream's last fed audio packets, to tell a duplicate (UDP may deliver
 * an RTP packet twice) from a late packet once its samples have been fed.
 *
 * A fixed ring made with the stream, not an array grown by push: the array reached its size over
 * the stream's first 64 packets, so some 700 bytes a stream were allocated a second or more after
 * it started, and a thousand calls starting together had them copied and promoted by a collection
 * in the middle of steady traffic (docs/benchmarks.md, RTP relay).
 */
export class RecentSeqs {
  private readonly ring: Uint16Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Uint16Array(capacity);
  }

  /** Remembers `seq`, forgetting the oldest once `capacity` are kept. */
  add(seq: number): void {
    this.ring[this.next] = seq;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count++;
  }

  has(seq: number): boolean {
    const ring = this.ring;
    for (let i = 0; i < this.count; i++) if (ring[i] === seq) return true;
    return false;
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}
