import type { EventEmitter } from 'node:events';

/**
 * A byte pipe to the board. Every transport (serial device, raw TCP to a console server, the
 * in-memory pair) has this one shape so the driver never knows which one it holds.
 *
 * A transport can be opened again after it closed: the driver's recovery ladder reopens the same
 * object rather than building a new one.
 *
 * Events:
 * - `data` (chunk: Buffer): bytes from the board, in arrival order, split anywhere.
 * - `close` (error?: Error): the link went away without `close()` being called (cable pulled,
 *   console server dropped us). The operating system may never report this (USB unplug on some
 *   adapters, half-open TCP), which is why the driver also runs an application heartbeat.
 */
export interface Transport extends EventEmitter {
  /** What the user typed, e.g. `/dev/ttyUSB0` or `tcp://10.0.0.5:7001`; for messages and logs. */
  readonly target: string;
  readonly isOpen: boolean;
  /** Opens the link; rejects with a DgError (DG11xx, exit 3) when the far end is unreachable. */
  open(): Promise<void>;
  /** Writes bytes; resolves once they were handed to the operating system. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the link; never rejects, and a closed transport may be closed again. */
  close(): Promise<void>;
}
