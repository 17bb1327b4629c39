/**
 * Loader of the relay's native socket loop (native/udp-batch.c, built by scripts/build-native.sh
 * into build/relay/udp-batch.node) and the buffers the relay shares with it.
 *
 * The addon is optional: without it (no gcc or Node headers where it was installed)
 * `loadUdpBatch()` returns null and the relay uses Node's dgram, the reference the native path is
 * compared with byte for byte (test/integration/relay/relay-io-paths.test.ts).
 * DTMFGUARD_RELAY_IO=dgram forces dgram for the whole process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DgError } from '../../src/errors.ts';

/** Where scripts/build-native.sh puts the addon. */
export const UDP_BATCH_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'relay', 'udp-batch.node');

/** The addon's functions (see udp-batch.c for each one's contract). */
export interface UdpBatch {
  /** Opens a non-blocking UDP socket bound to host:port, connected to connectHost:connectPort if given: [fd, bound port, SO_RCVBUF granted]. Throws an Error whose code is the errno name. */
  open(family: 4 | 6, host: string, port: number, recvBufferBytes: number, connectHost: string | null, connectPort: number): [number, number, number];
  /** Calls fn(count) per batch of datagrams read into `buffer` (RecvBuffer's layout), or fn(0) per expiry of a timerfd (buffer null). */
  watch(fd: number, buffer: ArrayBuffer | null, slots: number, slotSize: number, fn: (count: number) => void): object;
  unwatch(handle: object): void;
  /** Sends `count` datagrams, (offset, length) pairs in `table`, from `buffer`; returns how many failed. */
  send(fd: number, buffer: ArrayBuffer, table: ArrayBuffer, count: number): number;
  timer(): number;
  /** Arms a timerfd to fire once, `us` whole microseconds from now (an int32: a double would be boxed per call). */
  arm(fd: number, us: number): void;
  /** Writes CLOCK_MONOTONIC (ms) into `buffer`'s first float64: a reading that allocates nothing. */
  clock(buffer: ArrayBuffer): void;
  /** Whether a datagram waits in the socket's receive queue (nothing is taken). */
  pending(fd: number): boolean;
  close(fd: number): void;
}

let cached: UdpBatch | null | undefined;
const ADDON_FUNCTIONS: readonly (keyof UdpBatch)[] = ['open', 'watch', 'unwatch', 'send', 'timer', 'arm', 'clock', 'pending', 'close'];

/** The process's addon, or null when there is none (not built, or DTMFGUARD_RELAY_IO=dgram). */
export function loadUdpBatch(): UdpBatch | null {
  if (process.env.DTMFGUARD_RELAY_IO === 'dgram') return null;
  if (cached !== undefined) return cached;
  // Any other value of DTMFGUARD_RELAY_IO than native/dgram is the addon's path (as DTMFGUARD_DSP_KERNEL is the kernel's).
  const env = process.env.DTMFGUARD_RELAY_IO;
  const path = env && env !== 'native' ? env : UDP_BATCH_PATH;
  if (!existsSync(path)) return (cached = null);
  try {
    cached = createRequire(import.meta.url)(path) as UdpBatch;
  } catch (e) {
    // A damaged or foreign build (cut short, another Node's ABI) is the installer's to fix; running
    // on dgram unnoticed would hide it, so say which file and what to do.
    throw new DgError('DG5308', `the relay's socket addon ${path} does not load (${(e as Error).message.split('\n')[0]}): rebuild it with scripts/build-native.sh, or set DTMFGUARD_RELAY_IO=dgram`);
  }
  // A build from before the relay's source changed loads but lacks what the relay now calls.
  const missing = ADDON_FUNCTIONS.find((f) => typeof (cached as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing) {
    cached = undefined;
    throw new DgError('DG5308', `the relay's socket addon ${path} is older than the relay (it has no ${missing}()): rebuild it with scripts/build-native.sh, or set DTMFGUARD_RELAY_IO=dgram`);
  }
  return cached;
}

/** Datagrams read per batch (recvmmsg), and the largest one: a UDP datagram's maximum, so nothing dgram carries is cut. */
export const RECV_SLOTS = 32;
export const RECV_SLOT_BYTES = 65_536;

/**
 * The receive buffer: RECV_SLOTS slots of RECV_SLOT_BYTES, then a length per slot (int32; -1:
 * larger than a slot), then an arrival age per slot (float64, ms before the read), then the read's
 * time (float64, CLOCK_MONOTONIC ms: NativeClock's scale).
 */
export class RecvBuffer {
  readonly bytes: Uint8Array;
  readonly lengths: Int32Array;
  readonly ages: Float64Array;
  /** [0]: when the batch was read, CLOCK_MONOTONIC ms. */
  readonly readAt: Float64Array;
  /** Per slot, the last view handed out: a stream's datagrams are all one length, so views are made once, not per packet. */
  private readonly views: Uint8Array[] = [];

  /** `buffer`: one of this layout already made (a stand-in for the addon reads the relay's with it). */
  constructor(readonly buffer = new ArrayBuffer(RECV_SLOTS * (RECV_SLOT_BYTES + 12) + 8)) {
    this.bytes = new Uint8Array(buffer);
    this.lengths = new Int32Array(buffer, RECV_SLOTS * RECV_SLOT_BYTES, RECV_SLOTS);
    this.ages = new Float64Array(buffer, RECV_SLOTS * (RECV_SLOT_BYTES + 4), RECV_SLOTS);
    this.readAt = new Float64Array(buffer, RECV_SLOTS * (RECV_SLOT_BYTES + 12), 1);
  }

  /** The datagram of slot `k`, `length` octets: valid until the next batch overwrites the slot. */
  view(k: number, length: number): Uint8Array {
    const v = this.views[k];
    if (v !== undefined && v.length === length) return v;
    return (this.views[k] = this.bytes.subarray(k * RECV_SLOT_BYTES, k * RECV_SLOT_BYTES + length));
  }
}

/** Datagrams queued for one sendmmsg: bytes packed in `buffer`, (offset, length) pairs in `table`. */
export class SendQueue {
  static readonly MAX = 1024;
  readonly buffer = new ArrayBuffer(SendQueue.MAX * 256);
  private readonly bytes = new Uint8Array(this.buffer);
  readonly table = new Int32Array(SendQueue.MAX * 2);
  /** Each queued datagram's arrival time (ms), written by the relay: its latency is taken at the flush. */
  readonly arrivedAt = new Float64Array(SendQueue.MAX);
  count = 0;
  private used = 0;

  /** Queues a copy of `d`; false when it does not fit (flush, then queue again). */
  push(d: Uint8Array): boolean {
    const n = d.length;
    if (this.count === SendQueue.MAX || this.used + n > this.bytes.length) return false;
    this.bytes.set(d, this.used);
    this.table[2 * this.count] = this.used;
    this.table[2 * this.count + 1] = n;
    this.count++;
    this.used += n;
    return true;
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
  }
}

/**
 * The addon's clock on the relay's scale, read without allocating: `read()` stores CLOCK_MONOTONIC
 * in `ms[0]` and the relay adds `ms[1]`, the offset to its own clock (performance.now(), which
 * counts uv_hrtime, the same CLOCK_MONOTONIC, from the process's start), taken once. Why not
 * performance.now() on the packet path: each call returned a boxed double (16 bytes), three a
 * batch (see udp-batch.c's header; docs/benchmarks.md, "The clock without boxes").
 */
export class NativeClock {
  // Its own ArrayBuffer, kept: a small typed array made alone lives on the JS heap until its
  // `buffer` is first asked for, which then moves it.
  private readonly buffer = new ArrayBuffer(16);
  readonly ms = new Float64Array(this.buffer);

  constructor(
    private readonly lib: UdpBatch,
    relayNow: number,
  ) {
    lib.clock(this.buffer);
    this.ms[1] = relayNow - this.ms[0];
  }

  /** Reads the clock into ms[0]; the relay's time is ms[0] + ms[1]. */
  read(): void {
    this.lib.clock(this.buffer);
  }
}
