/**
 * Serial faults, as a Duplex between the DeviceServer and the real stream (pty or TCP socket):
 *
 *   host ⇄ pty/TCP ⇄ [FaultyStream: drop, corrupt, delay, silence] ⇄ DeviceServer ⇄ Board
 *
 * One FaultyLine holds the settings and outlives connections; `wrap(stream)` makes the Duplex for
 * each new connection. Faults act on both directions alike, as line noise does. Randomness is
 * seeded so a failing run can be repeated.
 */
import { Duplex } from 'node:stream';
import { SeededRandom } from '../span/random.ts';
import { realTimers, type ServerTimers } from '../server/device-server.ts';

export interface LineFaults {
  /** Probability per byte of one flipped bit. */
  corrupt: number;
  /** Probability per byte of losing it. */
  drop: number;
  /** Added delay, ms, each direction. */
  latencyMs: number;
  /** Nothing passes either way. */
  silence: boolean;
}

export interface LineFaultStats {
  bytesIn: number;
  bytesOut: number;
  corrupted: number;
  dropped: number;
  /** Bytes swallowed by silence, a reset or a reboot. */
  silenced: number;
}

type Direction = 'in' | 'out';

export interface FaultyLineOptions {
  seed?: number;
  timers?: ServerTimers;
  now?: () => number;
}

export class FaultyLine {
  readonly faults: LineFaults = { corrupt: 0, drop: 0, latencyMs: 0, silence: false };
  readonly stats: LineFaultStats = { bytesIn: 0, bytesOut: 0, corrupted: 0, dropped: 0, silenced: 0 };
  private readonly rng: SeededRandom;
  private readonly timers: ServerTimers;
  private readonly now: () => number;
  private deafUntil = -Infinity;
  private resetArmed: (() => void) | null = null;
  private streams = new Set<FaultyStream>();
  /** The stream of the connection served now (the last one wrapped and still open). */
  current: FaultyStream | null = null;

  constructor(options: FaultyLineOptions = {}) {
    this.rng = new SeededRandom(options.seed ?? 0x5eed);
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => performance.now());
  }

  wrap(inner: Duplex): FaultyStream {
    const s = new FaultyStream(inner, this);
    this.streams.add(s);
    this.current = s;
    s.once('close', () => {
      this.streams.delete(s);
      if (this.current === s) this.current = null;
    });
    return s;
  }

  /** Silence in both directions for `ms` (a board resetting or rebooting hears and says nothing). */
  deafen(ms: number): void {
    this.deafUntil = Math.max(this.deafUntil, this.now() + ms);
  }

  /** Ends a deaf period early (the board has finished restarting). */
  hear(): void {
    this.deafUntil = -Infinity;
  }

  get deaf(): boolean {
    return this.faults.silence || this.now() < this.deafUntil;
  }

  /** At the next request line received, pass half of it, drop the rest and call `onReset`. */
  armReset(onReset: () => void): void {
    this.resetArmed = onReset;
  }

  disarmReset(): void {
    this.resetArmed = null;
  }

  get resetPending(): boolean {
    return this.resetArmed !== null;
  }

  /** Drops and corrupts per the settings; returns what survives. */
  private mangle(chunk: Buffer): Buffer {
    const { corrupt, drop } = this.faults;
    if (corrupt === 0 && drop === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length);
    let n = 0;
    for (const byte of chunk) {
      if (drop > 0 && this.rng.next() < drop) {
        this.stats.dropped++;
        continue;
      }
      let b = byte;
      if (corrupt > 0 && this.rng.next() < corrupt) {
        b ^= 1 << this.rng.int(8);
        this.stats.corrupted++;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }

  /** Half of the first request line in `chunk` (a reset cuts the board off mid-command). */
  private cutMidLine(chunk: Buffer): Buffer | null {
    let start = 0;
    while (start < chunk.length && (chunk[start] === 0x0d || chunk[start] === 0x0a)) start++;
    if (start >= chunk.length) return null;
    let end = chunk.indexOf(0x0a, start);
    if (end < 0) end = chunk.length;
    return chunk.subarray(0, start + Math.max(1, Math.floor((end - start) / 2)));
  }

  /** Host → board. */
  inbound(chunk: Buffer, deliver: (b: Buffer) => void): void {
    this.stats.bytesIn += chunk.length;
    if (this.deaf) {
      this.stats.silenced += chunk.length;
      return;
    }
    if (this.resetArmed) {
      const half = this.cutMidLine(chunk);
      if (half) {
        const onReset = this.resetArmed;
        this.resetArmed = null;
        this.stats.silenced += chunk.length - half.length;
        this.delay('in', this.mangle(half), deliver);
        onReset();
        return;
      }
    }
    this.delay('in', this.mangle(chunk), deliver);
  }

  /** Board → host; `done` when the bytes are handed to the real stream (or discarded). */
  outbound(chunk: Buffer, deliver: (b: Buffer, done: () => void) => void, done: () => void): void {
    this.stats.bytesOut += chunk.length;
    if (this.deaf) {
      this.stats.silenced += chunk.length;
      done();
      return;
    }
    const b = this.mangle(chunk);
    if (this.faults.latencyMs > 0 || this.lastDue.out > this.now()) {
      // Latency delays bytes, it does not slow the line: take the next write at once.
      this.delay('out', b, (x) => deliver(x, () => {}));
      done();
      return;
    }
    deliver(b, done);
  }

  private readonly lastDue: Record<Direction, number> = { in: -Infinity, out: -Infinity };

  /** Delivers after the latency, never before bytes sent earlier in the same direction. */
  private delay(dir: Direction, b: Buffer, deliver: (b: Buffer) => void): void {
    const now = this.now();
    const due = Math.max(now + this.faults.latencyMs, this.lastDue[dir]);
    if (due <= now) {
      deliver(b);
      return;
    }
    this.lastDue[dir] = due;
    this.timers.setTimeout(() => deliver(b), due - now);
  }
}

/** The Duplex a DeviceServer attaches to: reads what the host sent, writes what the board says. */
export class FaultyStream extends Duplex {
  private readonly onData = (d: Buffer) => this.line.inbound(d, (b) => b.length && !this.destroyed && this.push(b));
  private readonly onEnd = () => this.push(null);
  private readonly onClose = () => this.destroy();
  private readonly onError = (e: Error) => this.destroy(e);

  constructor(
    readonly inner: Duplex,
    private readonly line: FaultyLine,
  ) {
    super();
    inner.on('data', this.onData);
    inner.on('end', this.onEnd);
    inner.on('close', this.onClose);
    inner.on('error', this.onError);
    // The server listens for 'error' itself; an unhandled one must not end the simulator.
    this.on('error', () => {});
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.line.outbound(
      chunk,
      (b, done) => {
        if (b.length === 0 || this.inner.destroyed || !this.inner.writable) return done();
        this.inner.write(b, () => done());
      },
      () => cb(),
    );
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.inner.off('data', this.onData);
    this.inner.off('end', this.onEnd);
    this.inner.off('close', this.onClose);
    this.inner.off('error', this.onError);
    cb(err);
  }
}
