/**
 * The driver's only source of time. Injected so that timeouts, retries, heartbeat and backoff
 * run under fake time in tests (see ManualClock) and under real time everywhere else.
 */
export interface Clock {
  /** Milliseconds, monotonic (not wall time: NTP steps must not fire or starve timeouts). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: number };

export const systemClock: Clock = (() => {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => performance.now(),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      // A driver timer alone must not keep a CLI process alive after it is done.
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle: TimerHandle): void {
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
})();

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order and lets real
 * I/O (streams, setImmediate, promises) settle between them, so a test can say "two seconds pass"
 * and then look at what the driver did.
 */
export class ManualClock implements Clock {
  #now = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Lets pending I/O callbacks run (several event-loop turns). */
  static async settle(turns = 10): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
  }

  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await ManualClock.settle();
    for (;;) {
      let dueId = -1;
      let due: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (t.at <= end && (!due || t.at < due.at)) {
          due = t;
          dueId = id;
        }
      }
      if (!due) break;
      this.#timers.delete(dueId);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await ManualClock.settle();
    }
    this.#now = end;
    await ManualClock.settle();
  }
}
