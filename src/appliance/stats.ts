/**
 * Link and driver counters, first-class data: the service turns them into Prometheus metrics
 * and /healthz, `dtmfguard info` prints them. Monotonic counters only grow (reset() aside).
 */
export interface DriverStats {
  framesIn: number;
  framesOut: number;
  /** Incoming frames whose CRC did not match. */
  crcErrors: number;
  /** Incoming frames rejected for another reason (syntax, too long, bad escape). */
  badFrames: number;
  /** NAKs we sent (one per rejected incoming frame). */
  naksSent: number;
  /** NAKs the board sent us (it rejected one of our frames). */
  naksReceived: number;
  /** Response timeouts (each attempt counts). */
  timeouts: number;
  /** Attempts after the first one. */
  retries: number;
  /** Bytes the parser threw away (noise, partial or rejected frames). */
  discardedBytes: number;
  /** Responses that matched no command in flight (late answers to a timed-out attempt). */
  staleResponses: number;
  events: number;
  resyncs: number;
  /** Successful reopens of the link (after a loss). */
  reconnects: number;
  /** Reopen attempts that failed (open refused or no hello). */
  failedReopens: number;
  commandsOk: number;
  commandsFailed: number;
  /** Round-trip time of answered commands (request written → response parsed), ms. */
  rtt: { count: number; lastMs: number; minMs: number; maxMs: number; meanMs: number };
}

export function emptyStats(): DriverStats {
  return {
    framesIn: 0,
    framesOut: 0,
    crcErrors: 0,
    badFrames: 0,
    naksSent: 0,
    naksReceived: 0,
    timeouts: 0,
    retries: 0,
    discardedBytes: 0,
    staleResponses: 0,
    events: 0,
    resyncs: 0,
    reconnects: 0,
    failedReopens: 0,
    commandsOk: 0,
    commandsFailed: 0,
    rtt: { count: 0, lastMs: 0, minMs: 0, maxMs: 0, meanMs: 0 },
  };
}

/** Microsecond resolution is all a round trip needs; long float tails would read as digit runs in output scanned for card data. */
function micro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function recordRtt(stats: DriverStats, ms: number): void {
  const r = stats.rtt;
  r.count += 1;
  r.lastMs = micro(ms);
  r.minMs = r.count === 1 ? r.lastMs : Math.min(r.minMs, r.lastMs);
  r.maxMs = Math.max(r.maxMs, r.lastMs);
  // Running mean: no unbounded sample list in a daemon that runs for months.
  r.meanMs = micro(r.meanMs + (ms - r.meanMs) / r.count);
}
