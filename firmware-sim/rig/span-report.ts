/**
 * What a test rig sees of the lines that the host cannot: both ends of each span model (the far
 * end shows what a loopback sends back), the faults on the line, and the 15-minute performance
 * intervals (current one and up to 96 completed, newest first), as in the DS1/E1 MIB (RFC 4805).
 */
import type { Board } from '../board/board.ts';
import type { IntervalCounters } from '../span/performance.ts';
import type { FaultState, SpanStatus } from '../span/span.ts';

export interface SpanReport {
  span: number;
  kind: 'e1' | 't1';
  framing: string;
  loopback: string;
  faults: FaultState;
  near: Pick<SpanStatus, 'defects' | 'alarms' | 'available'> & { current: IntervalCounters };
  far: Pick<SpanStatus, 'defects' | 'alarms' | 'available'> & { current: IntervalCounters };
  intervals: IntervalCounters[];
}

export function spanReports(board: Board, only?: number): SpanReport[] {
  const n = board.profile.interfaces.spans.length;
  const spans = only === undefined ? Array.from({ length: n }, (_, i) => i + 1) : [only];
  return spans.map((span) => {
    const m = board.spanModel(span).model;
    const near = m.status();
    const far = m.farEnd.status();
    return {
      span,
      kind: near.kind,
      framing: near.framing,
      loopback: near.loopback,
      faults: near.faults,
      near: { defects: near.defects, alarms: near.alarms, available: near.available, current: m.counters().current },
      far: { defects: far.defects, alarms: far.alarms, available: far.available, current: m.farEnd.counters().current },
      intervals: m.intervals(),
    };
  });
}
