import { DgError } from '../errors.ts';
import { DRIVER_CODES } from './driver-errors.ts';

/**
 * Every timeout and attempt count of the driver, in one place. Each default says why it is what
 * it is; `resolveOptions` range-checks whatever a caller overrides.
 */
export interface DriverOptions {
  /**
   * Wait for a response this long (ms). A frame is under 1 KiB: at 115200 baud (11.5 bytes/ms)
   * that is under 90 ms each way, plus the board's own processing; 1 s leaves a wide margin
   * and still lets an installer see a dead link within seconds.
   */
  responseTimeoutMs: number;
  /**
   * Attempts per command, the first included. Every attempt resends the identical line: after a
   * NAK (the board never acted on it) any command; after a timeout or a damaged answer an
   * idempotent one, or a non-idempotent one while the board's repeated-line memory still holds
   * its line (docs/protocol.md §6). 3 rides out a burst of line noise without hiding a dead link
   * for long.
   */
  maxAttempts: number;
  /** Commands waiting behind the one in flight; beyond this, callers get DG1211 (back-pressure). */
  maxQueue: number;
  /**
   * Send a heartbeat after this much silence from the board (ms). Neither a USB unplug nor a
   * half-open TCP session to a console server is reliably reported by the operating system;
   * only asking the board tells. 5 s keeps the line almost idle (one short frame each way).
   */
  heartbeatIntervalMs: number;
  /** A heartbeat is a normal command: it gets this long to be answered (ms). */
  heartbeatTimeoutMs: number;
  /**
   * Consecutive failed exchanges (timeouts, unanswered heartbeats) before the driver resyncs:
   * discards its partial input and sends a lone delimiter so the board's parser drops any
   * half-received frame too. 2: one timeout may be noise, two in a row is a pattern.
   */
  failuresBeforeResync: number;
  /**
   * Consecutive failures before the driver closes and reopens the port (a resync did not help).
   * 4: two more exchanges after the resync.
   */
  failuresBeforeReopen: number;
  /**
   * Reopen attempts (open + hello) before the driver gives up and enters its terminal state,
   * reported as DG1207. 6 attempts with the backoff below wait 16 s in all (plus up to
   * maxAttempts x responseTimeoutMs per unanswered hello, about 34 s worst case): enough for a
   * board reboot or a console server restart, short enough that the NOC hears of an outage soon.
   */
  maxReopenAttempts: number;
  /** First wait before a reopen (ms); doubles each attempt. 250 ms: a pty or socket comes back fast. */
  reopenBackoffMs: number;
  /** Cap on the reopen wait (ms): the backoff grows to this and stays; never unbounded. */
  reopenBackoffMaxMs: number;
}

export const DEFAULT_DRIVER_OPTIONS: Readonly<DriverOptions> = Object.freeze({
  responseTimeoutMs: 1_000,
  maxAttempts: 3,
  maxQueue: 256,
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 1_000,
  failuresBeforeResync: 2,
  failuresBeforeReopen: 4,
  maxReopenAttempts: 6,
  reopenBackoffMs: 250,
  reopenBackoffMaxMs: 8_000,
});

const RANGES: Record<keyof DriverOptions, [number, number]> = {
  responseTimeoutMs: [10, 600_000],
  maxAttempts: [1, 20],
  maxQueue: [1, 100_000],
  heartbeatIntervalMs: [50, 3_600_000],
  heartbeatTimeoutMs: [10, 600_000],
  failuresBeforeResync: [1, 100],
  failuresBeforeReopen: [1, 100],
  maxReopenAttempts: [1, 1_000],
  reopenBackoffMs: [0, 600_000],
  reopenBackoffMaxMs: [0, 3_600_000],
};

/** Defaults overlaid with `overrides`, every value range-checked (DG1209, exit 2). */
export function resolveOptions(overrides: Partial<DriverOptions> = {}): DriverOptions {
  const o: DriverOptions = { ...DEFAULT_DRIVER_OPTIONS };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof DriverOptions, number | undefined]>) {
    if (value === undefined) continue;
    const range = RANGES[key];
    if (!range) throw new DgError(DRIVER_CODES.badOptions, `unknown driver option ${key}`);
    if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new DgError(DRIVER_CODES.badOptions, `driver option ${key}=${value} out of range: use an integer from ${range[0]} to ${range[1]}`);
    }
    o[key] = value;
  }
  if (o.failuresBeforeReopen < o.failuresBeforeResync) {
    throw new DgError(DRIVER_CODES.badOptions, `failuresBeforeReopen (${o.failuresBeforeReopen}) must be at least failuresBeforeResync (${o.failuresBeforeResync})`);
  }
  if (o.reopenBackoffMaxMs < o.reopenBackoffMs) {
    throw new DgError(DRIVER_CODES.badOptions, `reopenBackoffMaxMs (${o.reopenBackoffMaxMs}) must be at least reopenBackoffMs (${o.reopenBackoffMs})`);
  }
  return o;
}
