/** The board's notion of time, injected so tests can move it by hand. Milliseconds, monotonic. */
export interface BoardClock {
  now(): number;
}

export const systemBoardClock: BoardClock = { now: () => performance.now() };

/** A clock that moves only when told. */
export class ManualBoardClock implements BoardClock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
