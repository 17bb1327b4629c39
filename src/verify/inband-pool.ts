/**
 * In-band receivers on worker threads: the main thread reads the capture and tracks the RTP
 * streams (one pass, in order, as in the single-thread verifier), and hands each stream's G.711
 * audio to one worker, chosen when the stream appears (round robin, so shards stay even whatever
 * the addresses). Each worker runs the same InbandStream per stream as the single-thread path, so
 * the digits are the same; only the order they come back in differs, which the verdict's sort
 * settles.
 *
 * Memory stays flat: past MAX_IN_FLIGHT batches queued on a worker the reader waits (`drain`) for
 * one to come back; it checks between read chunks, so a chunk's worth (≤ 1 MiB) may come on top.
 */
import { Worker } from 'node:worker_threads';
import type { G711Codec } from '../dsp/g711.ts';
import { BATCH_BYTES, BatchWriter } from './inband-batch.ts';
import type { InbandFinding } from './inband-stream.ts';
import type { InbandWorkerData } from './inband-worker.ts';

/** Batches queued per worker before the reader waits: enough to ride over a scheduling hiccup. */
const MAX_IN_FLIGHT = 4;

interface Shard {
  worker: Worker;
  writer: BatchWriter;
  free: ArrayBuffer[];
  inFlight: number;
  done?: Array<[number, InbandFinding[]]>;
}

export class InbandPool {
  private readonly shards: Shard[] = [];
  private streams = 0;
  private failure: Error | undefined;
  /** Resolved when a batch comes back or a worker fails (the reader waits on it when congested). */
  private wake: (() => void) | undefined;
  private finishing: ((v: void) => void) | undefined;

  constructor(workers: number, attacker: boolean | undefined) {
    const data: InbandWorkerData = { attacker };
    for (let i = 0; i < workers; i++) {
      // execArgv [] : the entry registers tsx itself, whether or not the parent was started with it.
      const worker = new Worker(new URL('./inband-worker.mjs', import.meta.url), { workerData: data, execArgv: [] });
      const shard: Shard = { worker, writer: new BatchWriter(), free: [], inFlight: 0 };
      worker.on('message', (m: { type: 'ack'; buf: ArrayBuffer } | { type: 'done'; findings: Array<[number, InbandFinding[]]> }) => {
        if (m.type === 'ack') {
          shard.inFlight--;
          shard.free.push(m.buf);
        } else {
          shard.done = m.findings;
        }
        this.poke();
      });
      worker.on('error', (e) => {
        this.failure ??= e;
        this.poke();
      });
      worker.on('exit', (code) => {
        if (!shard.done) this.failure ??= new Error(`in-band worker stopped (exit ${code}) before the end of the capture`);
        this.poke();
      });
      this.shards.push(shard);
    }
  }

  get size(): number {
    return this.shards.length;
  }

  /** A new stream: its index (the key of its findings), which also picks its worker. */
  open(): number {
    return this.streams++;
  }

  /** Queues one chunk of a stream's audio (copied). */
  push(stream: number, codec: G711Codec, sampleOffset: number, codes: Uint8Array): void {
    const shard = this.shards[stream % this.shards.length];
    if (!shard.writer.fits(codes.length)) this.send(shard);
    shard.writer.add(stream, codec, sampleOffset, codes);
  }

  /** True when the reader should `await drain()` before feeding more. */
  get congested(): boolean {
    if (this.failure) return true;
    for (const s of this.shards) if (s.inFlight >= MAX_IN_FLIGHT) return true;
    return false;
  }

  async drain(): Promise<void> {
    while (this.congested) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Sends what is queued, flushes every stream and returns the findings per stream index. */
  async finish(): Promise<Map<number, InbandFinding[]>> {
    for (const s of this.shards) {
      if (s.writer.used > 0) this.send(s);
      s.worker.postMessage({ type: 'end' });
    }
    while (!this.shards.every((s) => s.done)) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.finishing = resolve));
    }
    const out = new Map<number, InbandFinding[]>();
    for (const s of this.shards) for (const [idx, f] of s.done!) out.set(idx, f);
    return out;
  }

  /** Stops the workers (always call it, also after a failure). */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.worker.terminate()));
  }

  private send(shard: Shard): void {
    const w = shard.writer;
    shard.worker.postMessage({ type: 'batch', buf: w.buf, used: w.used }, [w.buf]);
    shard.inFlight++;
    w.reset(shard.free.pop() ?? new ArrayBuffer(BATCH_BYTES));
  }

  private poke(): void {
    const w = this.wake;
    const f = this.finishing;
    this.wake = undefined;
    this.finishing = undefined;
    w?.();
    f?.();
  }
}
