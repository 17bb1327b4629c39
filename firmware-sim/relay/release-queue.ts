/**
 * The native path's release schedule: every stream's next deadline in one binary min-heap, so one
 * timer (a timerfd, udp-batch.c) serves the whole relay instead of a JS timer per stream, and a
 * tick pumps every stream that is due at once (its packets then leave in one sendmmsg).
 *
 * A stream re-armed earlier leaves its later entry behind; entries that no longer match the
 * stream's armed deadline are skipped when they come up (lazy deletion: no search on re-arm).
 *
 * Times go in and out through `times` (slots Q_NOW, Q_AT), not as arguments and return values:
 * V8 boxes a double crossing a call it does not inline, 16 bytes a call, and whether it inlines
 * these depends on the caller's size and history. Measured at 1,000 streams on real sockets: a
 * popDue(now) per due stream and an arm(s, at) per packet boxed 6-7 bytes a packet each in some
 * runs and none in others (relay-times.ts does the same for the relay and its streams).
 */
/** The time (ms) popDue() judges against. */
export const Q_NOW = 0;
/** The deadline (ms) arm() arms for, and the one peek() finds. */
export const Q_AT = 1;

export class ReleaseQueue<S> {
  /** The queue's time slots, Q_NOW and Q_AT: the caller writes what a call reads, and reads what it wrote. */
  readonly times = new Float64Array(2);
  private readonly at: number[] = [];
  private readonly items: S[] = [];
  /**
   * Each stream's armed deadline (Infinity: not armed), in a record of its own made once: a
   * deadline (a fraction of a ms) stored as a Map value would be a heap number per arm, per packet.
   */
  private readonly armed = new Map<S, { at: number }>();

  get size(): number {
    return this.at.length;
  }

  /**
   * Whether anything is queued; if so, times[Q_AT] is the earliest deadline (possibly a stale
   * entry's: a tick then finds nothing due).
   */
  peek(): boolean {
    if (this.at.length === 0) return false;
    this.times[Q_AT] = this.at[0];
    return true;
  }

  /** Arms `s` for times[Q_AT], unless it is already armed for that time or earlier. */
  arm(s: S): void {
    const at = this.times[Q_AT];
    let cur = this.armed.get(s);
    if (cur === undefined) this.armed.set(s, (cur = { at: Infinity }));
    if (cur.at <= at) return;
    cur.at = at;
    let i = this.at.length;
    this.at.push(at);
    this.items.push(s);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p] <= at) break;
      this.at[i] = this.at[p];
      this.items[i] = this.items[p];
      i = p;
    }
    this.at[i] = at;
    this.items[i] = s;
  }

  /** `s` is gone: its entries still queued are skipped, and its record is dropped. */
  forget(s: S): void {
    this.armed.delete(s);
  }

  /**
   * `s` is kept for later (a relay's spare stream): its entries still queued are skipped, as after
   * `forget`, but its record stays, so arming it again allocates nothing.
   */
  disarm(s: S): void {
    const cur = this.armed.get(s);
    if (cur !== undefined) cur.at = Infinity;
  }

  /** Removes and returns the next stream due at times[Q_NOW], disarmed, or undefined when none is. */
  popDue(): S | undefined {
    const now = this.times[Q_NOW];
    while (this.at.length && this.at[0] <= now) {
      const at = this.at[0];
      const s = this.items[0];
      this.removeTop();
      const cur = this.armed.get(s);
      if (cur !== undefined && cur.at === at) {
        cur.at = Infinity;
        return s;
      }
    }
    return undefined;
  }

  private removeTop(): void {
    const lastAt = this.at.pop()!;
    const last = this.items.pop()!;
    const n = this.at.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && this.at[l + 1] < this.at[l] ? l + 1 : l;
      if (this.at[c] >= lastAt) break;
      this.at[i] = this.at[c];
      this.items[i] = this.items[c];
      i = c;
    }
    this.at[i] = lastAt;
    this.items[i] = last;
  }
}
