/**
 * Drives the board's span models in real time: the model has no timers of its own
 * (docs/spans.md), so something must move it for alarms to be declared and cleared while nobody
 * asks. Every `periodMs` the board advances its spans; spans with nothing going on advance in
 * whole 3 s blocks, which cost almost nothing (measured in docs/faults.md).
 */
import type { Board } from './board.ts';
import { realTimers, type ServerTimers } from '../server/device-server.ts';

/** 100 ms: alarm changes reach the host within a tenth of a second of the model's time. */
export const SPAN_TICK_MS = 100;

export function driveSpans(board: Board, options: { periodMs?: number; timers?: ServerTimers } = {}): () => void {
  const timers = options.timers ?? realTimers;
  const period = options.periodMs ?? SPAN_TICK_MS;
  let handle: unknown = null;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    board.syncSpans(false);
    handle = timers.setTimeout(tick, period);
  };
  handle = timers.setTimeout(tick, period);
  return () => {
    stopped = true;
    if (handle !== null) timers.clearTimeout(handle);
  };
}
