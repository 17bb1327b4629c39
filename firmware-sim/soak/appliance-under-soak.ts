/**
 * One simulated appliance under soak, as production runs it: the simulator on a pty with serial
 * corruption from the start and a rig socket for faults, and its own `dtmfguard serve` daemon
 * (one daemon per appliance). Gives the soak what it reads afterwards: the daemon's log events,
 * its process figures (/proc), /metrics, and the board's own execution counts (rig `stats`).
 */
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DTMFGUARD_BIN, DTMFGUARD_SIM_BIN, PROFILE_DIR, ProcessGroup, freeTcpPort, runToEnd, waitUntil, type Started } from '../chain/processes.ts';
import { rigCall } from '../rig/rig-client.ts';
import type { DeviceServerStats } from '../server/device-server.ts';

export interface ApplianceOptions {
  name: string;
  profile: string;
  workDir: string;
  group: ProcessGroup;
  /** Serial corruption probability per byte (docs/faults.md `corrupt`), switched on by the soak once connected. */
  corrupt: number;
  mirror?: string;
  alarmTimingMs?: string;
}

export interface ProcessFigures {
  rssKb: number;
  fds: number;
  /** V8 heap used, from the daemon's /metrics (process metrics), when it exposes it. */
  heapBytes?: number;
}

export interface LogEvent {
  event: string;
  time?: number;
  [k: string]: unknown;
}

export class ApplianceUnderSoak {
  readonly pty: string;
  readonly rig: string;
  readonly env: NodeJS.ProcessEnv;
  http = 0;
  sim?: Started;
  daemon?: Started;

  constructor(readonly opts: ApplianceOptions) {
    mkdirSync(opts.workDir, { recursive: true });
    this.pty = join(opts.workDir, 'tty');
    this.rig = join(opts.workDir, 'rig.sock');
    this.env = { DTMFGUARD_LOCK_DIR: opts.workDir, DTMFGUARD_RUN_DIR: opts.workDir, DTMFGUARD_AUDIT_LOG: join(opts.workDir, 'audit.jsonl'), DTMFGUARD_LOG_DIR: opts.workDir };
  }

  get name(): string {
    return this.opts.name;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.http}/metrics`;
  }

  async start(): Promise<void> {
    const o = this.opts;
    // Corruption is switched on by the soak once the daemon is connected (see soak.ts: at 1% of
    // bytes the daemon's first HELLO seldom gets through with the stock three attempts).
    const args = ['--pty', this.pty, '--profile', join(PROFILE_DIR, `${o.profile}.json`), '--rig-socket', this.rig];
    if (o.mirror) args.push('--mirror', o.mirror);
    if (o.alarmTimingMs) args.push('--alarm-timing-ms', o.alarmTimingMs);
    const sim = (this.sim = o.group.node(`${o.name} simulator`, DTMFGUARD_SIM_BIN, args));
    await waitUntil(`the ${o.name} simulator`, () => /serving/.test(sim.output()) || sim.child.exitCode !== null);
    if (sim.child.exitCode !== null) throw new Error(`the ${o.name} simulator stopped: ${sim.output().trim()}`);
    this.http = await freeTcpPort();
    this.daemon = o.group.node(`${o.name} daemon`, DTMFGUARD_BIN, ['serve', '--port', this.pty, '--http', `127.0.0.1:${this.http}`, '--poll-ms', '500'], this.env);
    const daemon = this.daemon;
    await waitUntil(`the ${o.name} daemon`, () => this.ready(), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; its last words: ${daemon.output().trim().split('\n').slice(-3).join(' | ')}`);
    });
  }

  async ready(): Promise<boolean> {
    const r = await fetch(`http://127.0.0.1:${this.http}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return r?.status === 200;
  }

  /** Runs `dtmfguard ARGS --port PTY` through this appliance's daemon. */
  cli(args: string[], timeoutMs = 60_000): ReturnType<typeof runToEnd> {
    return runToEnd(DTMFGUARD_BIN, [...args, '--port', this.pty], this.env, timeoutMs);
  }

  async fault(name: string, value: string, span?: number): Promise<boolean> {
    const r = await rigCall(this.rig, { fault: name, value, ...(span ? { span } : {}) }).catch(() => undefined);
    return Boolean(r?.ok);
  }

  async boardStats(): Promise<DeviceServerStats | undefined> {
    const r = await rigCall(this.rig, { stats: true }).catch(() => undefined);
    return r && r.ok && 'stats' in r ? r.stats : undefined;
  }

  /** The daemon's structured log lines (pino JSON) that carry an `event`. */
  events(): LogEvent[] {
    const out: LogEvent[] = [];
    for (const line of (this.daemon?.output() ?? '').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const j = JSON.parse(line) as LogEvent & { time?: unknown };
        // pino writes ISO times here (the daemon's logger); the soak computes with epoch ms.
        if (typeof j.time === 'string') j.time = Date.parse(j.time);
        if (typeof j.event === 'string') out.push(j as LogEvent);
      } catch {
        // a line cut by the end of the output so far
      }
    }
    return out;
  }

  async metrics(): Promise<string> {
    return fetch(this.metricsUrl, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.text())
      .catch(() => '');
  }

  async figures(): Promise<ProcessFigures | undefined> {
    const pid = this.daemon?.child.pid;
    if (!pid) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      const fds = readdirSync(`/proc/${pid}/fd`).length;
      const heap = sumMetric(await this.metrics(), 'dtmfguard_nodejs_heap_size_used_bytes');
      return { rssKb, fds, ...(heap > 0 ? { heapBytes: heap } : {}) };
    } catch {
      return undefined;
    }
  }
}

/** Sum of a metric's samples in Prometheus text (all label sets). */
export function sumMetric(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(' ').pop());
  return sum;
}
