/**
 * ReleaseQueue's calls with times as arguments and results, for tests: the queue itself takes and
 * gives them through its `times` slots (release-queue.ts says why).
 */
import { Q_AT, Q_NOW, type ReleaseQueue } from '../../../firmware-sim/relay/release-queue.ts';

export function armAt<S>(q: ReleaseQueue<S>, s: S, at: number): void {
  q.times[Q_AT] = at;
  q.arm(s);
}

export function popDueAt<S>(q: ReleaseQueue<S>, now: number): S | undefined {
  q.times[Q_NOW] = now;
  return q.popDue();
}

/** The earliest deadline queued, or undefined. */
export function earliest<S>(q: ReleaseQueue<S>): number | undefined {
  return q.peek() ? q.times[Q_AT] : undefined;
}
