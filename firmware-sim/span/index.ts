/** The E1/T1 span model of the simulated board (docs/spans.md). */
export {
  Span,
  FAULT_NAMES,
  LOOPBACK_MODES,
  type FaultName,
  type FaultState,
  type LoopbackMode,
  type SpanOptions,
  type SpanStatus,
  type SpanDefects,
  type SpanCounters,
  type SpanEvent,
  type SpanEnd,
} from './span.ts';
export { ALARM_NAMES, DEFAULT_ALARM_TIMING, type AlarmName, type AlarmTiming, type AlarmEvent } from './alarms.ts';
export { INTERVAL_MS, INTERVAL_HISTORY, classifySecond, defaultSesThreshold, type IntervalCounters } from './performance.ts';
export { frameFormat, FRAMES_PER_SECOND, type SpanKind, type T1Framing, type E1Signalling, type Framing, type FrameFormat } from './format.ts';
export { CAS_IDLE } from './e1.ts';
