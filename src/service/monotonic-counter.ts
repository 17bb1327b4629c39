/**
 * Prometheus counters must only go up (a drop reads as a counter reset and `rate()` copes with one
 * per scrape, but not with the board's counters being reset by an installer or by a reboot between
 * scrapes). The board's counters restart from zero on `RESET_COUNTERS` and on every boot; this
 * accumulator turns a series of board readings into a total that keeps increasing across both.
 */
export class MonotonicCounter {
  private total = 0;
  private last: number | undefined;
  private epoch: string | undefined;

  /**
   * Feeds one board reading. `epoch` identifies the counting run (boot id plus a reset generation):
   * a new epoch means the board counted from zero again, so the whole reading is new.
   * Returns the increase this reading added.
   */
  observe(reading: number, epoch: string): number {
    let delta: number;
    if (this.last === undefined) {
      // First sight: what the board counted before we watched is history, not news.
      delta = 0;
    } else if (epoch !== this.epoch) {
      delta = reading;
    } else if (reading >= this.last) {
      delta = reading - this.last;
    } else {
      // Same epoch but lower: the board's 32-bit counter wrapped (protocol §11), or a reset we
      // were not told of. Count what we can see since zero.
      delta = this.last > 0xf0000000 ? reading + 2 ** 32 - this.last : reading;
    }
    this.last = reading;
    this.epoch = epoch;
    this.total += delta;
    return delta;
  }

  get value(): number {
    return this.total;
  }
}
