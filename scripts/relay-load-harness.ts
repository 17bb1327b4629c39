/**
 * Builds and runs scripts/relay-load.c, the relay benchmark's load generator and sink (sendmmsg /
 * recvmmsg from C, so the generator is never the limit the relay is blamed for).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const RELAY_LOAD_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'relay-load.c');

/** What relay-load prints at the end of a run (see the comment at the top of relay-load.c). */
export interface RelayLoadResult {
  streams: number;
  seconds: number;
  warmup_s: number;
  lookahead_ms: number;
  /** Lookahead + 1 ms: a packet delayed more is late. */
  limit_ms: number;
  sent: number;
  send_errors: number;
  received: { forward: number; mirror: number };
  lost: { forward: number; mirror: number };
  duplicates: number;
  unknown: number;
  /** Packets sent after the warm-up, less each stream's tail; delays and late counted on both sides. */
  measured: { packets_sent: number; delays: number; lost: number; late: number; min_ms: number; median_ms: number; p99_ms: number; p999_ms: number; max_ms: number };
  warmup: { late: number; max_ms: number };
  tail: { late: number; max_ms: number };
  generator: { max_send_lag_ms: number; sends_over_1ms_behind: number; max_receive_lag_ms: number; receives_over_1ms_queued: number; cpu_s: number };
}

/** Compiles relay-load.c with -O2 into `outDir` (default: the system temp dir), once per source change. */
export function buildRelayLoad(outDir = join(tmpdir(), 'dtmfguard-relay-load')): string {
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, 'relay-load');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(RELAY_LOAD_SOURCE).mtimeMs) {
    execFileSync('gcc', ['-O2', '-Wall', '-o', bin, RELAY_LOAD_SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

export interface RelayLoadRun {
  /** The sink ports: where the relays forward and mirror to. */
  forwardPort: number;
  mirrorPort: number;
  /** Hands the generator the relays' ports (one per stream) and resolves with its result. */
  start(ports: number[]): Promise<RelayLoadResult>;
  kill(): void;
}

export interface RelayLoadOptions {
  streams: number;
  seconds: number;
  lookaheadMs: number;
  warmupSeconds: number;
  /** 8 PCMA or 0 PCMU: the codec of `audioFile` (raw codewords). */
  payloadType: 0 | 8;
  audioFile: string;
  /** CPUs the generator may run on (taskset -c), e.g. '1'. */
  cpus?: string;
  /** Run the generator under SCHED_FIFO (chrt -f 10): it must not be the one that falls behind. */
  realtime?: boolean;
  /** Kill the generator if it has not finished this long after its start (default: its run + 60 s). */
  timeoutMs?: number;
}

/** Starts the generator; resolves once its sinks are bound. */
export async function startRelayLoad(bin: string, o: RelayLoadOptions): Promise<RelayLoadRun> {
  const args = [String(o.streams), String(o.seconds), String(o.lookaheadMs), String(o.warmupSeconds), String(o.payloadType), o.audioFile];
  const argv = [...(o.realtime ? ['chrt', '-f', '10'] : []), ...(o.cpus ? ['taskset', '-c', o.cpus] : []), bin, ...args];
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  // A benchmark on a shared machine must never outlive its run.
  const watchdog = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? o.seconds * 1000 + 60_000);
  child.on('exit', () => clearTimeout(watchdog));
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let exited: string | undefined;
  lines.on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (queue.length) resolve(queue.shift()!);
      else if (exited) reject(new Error(exited));
      else waiting.push(resolve);
    });
  const failed = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) => {
      exited = `relay-load exited (${signal ?? code}) before its result`;
      reject(new Error(exited));
    }),
  );
  failed.catch(() => {});
  const ready = JSON.parse(await Promise.race([nextLine(), failed])) as { forward: number; mirror: number };
  return {
    forwardPort: ready.forward,
    mirrorPort: ready.mirror,
    async start(ports) {
      child.stdin!.end(`${ports.join(' ')}\n`);
      const res = JSON.parse(await Promise.race([nextLine(), failed])) as RelayLoadResult;
      return res;
    },
    kill() {
      if (child.exitCode === null) child.kill();
    },
  };
}
