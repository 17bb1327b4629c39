/**
 * `dtmfguard serve`: the daemon that owns one appliance's control link. It keeps the link up
 * through the driver (and starts over when the driver's recovery ladder gives up), watches the
 * board (events plus a poll), raises and clears alarms as log events, serves the CLI on a Unix
 * control socket and the NOC on read-only HTTP, and writes every change to the audit log.
 */
import { Writable } from 'node:stream';
import { ApplianceClient, type ApplianceEvent } from '../appliance/client.ts';
import { DgError, EXIT } from '../errors.ts';
import { AuditLog } from './audit-log.ts';
import { emptySnapshot, type BoardSnapshot, type ChannelActivity } from './board-snapshot.ts';
import { ControlServer, type CallContext } from './control-socket.ts';
import { evaluateProblems, trackProblems, DEFAULT_THRESHOLDS, type Thresholds } from './health.ts';
import { HttpServer, type HealthReport } from './http-server.ts';
import { createLogger, type Logger } from './logger.ts';
import { ApplianceMetrics } from './metrics.ts';
import { ApplianceOperations, type Caller } from './operations.ts';
import { dispatchOperation } from './dispatch.ts';
import { applyHealth, applyIdentity, applyLinkStats, channelOf, readBoard } from './board-reader.ts';
import { acquirePortLock, type PortLock } from './port-lock.ts';
import { controlSocketPath, defaultAuditLogPath } from './paths.ts';

export interface DaemonOptions {
  port: string;
  /** HOST:PORT for /metrics, /healthz, /readyz; `off` for none. */
  http: string;
  socketPath?: string;
  socketGid?: number;
  auditLogPath?: string;
  logger?: Logger;
  /** How often the board's health, spans and secure channels are read (ms). 5 s: alarms also arrive as events at once; the poll catches what events cannot (counters, temperature). */
  pollIntervalMs?: number;
  /** After the driver gives up (its terminal state), wait this long and start a fresh connection (ms). 30 s: the NOC already sees CRITICAL; retrying faster would only flood the log. */
  restartAfterFailureMs?: number;
  thresholds?: Thresholds;
  /** Driver timing overrides (tests use short ones). */
  driver?: ConstructorParameters<typeof ApplianceClient>[1];
}

/** Log lines kept in memory for `dtmfguard logs`. */
const LOG_RING_LINES = 2000;

export class Daemon {
  readonly snapshot: BoardSnapshot = emptySnapshot();
  readonly metrics = new ApplianceMetrics(() => this.snapshot);
  readonly log: Logger;
  private readonly ring: string[] = [];
  private readonly followers = new Set<(line: string) => void>();
  private client?: ApplianceClient;
  private ops?: ApplianceOperations;
  private lock?: PortLock;
  private control?: ControlServer;
  private http?: HttpServer;
  private audit: AuditLog;
  private pollTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private stopping = false;
  private polling = false;
  readonly socketPath: string;
  readonly auditLogPath: string;
  httpAddress?: string;

  constructor(private readonly opts: DaemonOptions) {
    this.socketPath = opts.socketPath ?? controlSocketPath(opts.port);
    this.auditLogPath = opts.auditLogPath ?? defaultAuditLogPath(opts.port);
    this.log = opts.logger ?? createLogger({ destination: this.teeDestination(), pretty: false });
    this.audit = new AuditLog(this.auditLogPath);
  }

  /** Log lines go to stdout (journald) and to the ring that `dtmfguard logs` reads. */
  private teeDestination(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        const text = chunk.toString('utf8');
        process.stdout.write(text);
        for (const line of text.split('\n')) {
          if (!line) continue;
          this.ring.push(line);
          if (this.ring.length > LOG_RING_LINES) this.ring.shift();
          for (const f of this.followers) f(line);
        }
        cb();
      },
    });
  }

  async start(): Promise<void> {
    this.lock = acquirePortLock(this.opts.port);
    try {
      this.control = new ControlServer({ path: this.socketPath, gid: this.opts.socketGid, handler: (m, p, ctx) => this.handle(m, p, ctx) });
      await this.control.listen();
      if (this.opts.http !== 'off') {
        this.http = new HttpServer({ address: this.opts.http, registry: this.metrics.registry, health: () => this.health(), ready: () => this.snapshot.link.up });
        const addr = await this.http.listen();
        this.httpAddress = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.log.info({ event: 'daemon.start', port: this.opts.port, socket: this.socketPath, http: this.httpAddress, audit: this.auditLogPath }, `dtmfguard daemon for ${this.opts.port}`);
    void this.connect();
    const interval = this.opts.pollIntervalMs ?? 5000;
    this.pollTimer = setInterval(() => void this.poll(), interval);
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    this.setLink('connecting');
    try {
      const client = await ApplianceClient.connect(this.opts.port, this.opts.driver);
      if (this.stopping) {
        await client.close();
        return;
      }
      this.client = client;
      this.ops = new ApplianceOperations(client, this.audit);
      client.on('link', (s: { state: string; reason?: string }) => {
        this.setLink(s.state, s.reason);
      });
      client.on('event', (ev: ApplianceEvent) => this.onEvent(ev));
      client.on('state', () => this.readIdentity());
      client.on('rebooted', (r: { from: string; to: string }) => this.log.warn({ event: 'board.rebooted', ...r }, 'the board rebooted'));
      client.on('terminal', (e: Error) => {
        this.log.error({ event: 'link.failed', severity: 'critical', reason: e.message }, 'control link failed: recovery gave up');
        this.setLink('failed', e.message);
        this.scheduleRestart();
      });
      this.readIdentity();
      this.setLink('ready');
      await this.poll();
    } catch (e) {
      this.log.error({ event: 'link.connect-failed', reason: (e as Error).message }, `cannot reach the appliance on ${this.opts.port}`);
      this.setLink('failed', (e as Error).message);
      this.scheduleRestart();
    }
  }

  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer) return;
    const old = this.client;
    this.client = undefined;
    this.ops = undefined;
    void old?.close().catch(() => undefined);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.connect();
    }, this.opts.restartAfterFailureMs ?? 30_000);
  }

  private setLink(state: string, reason?: string): void {
    const was = this.snapshot.link.state;
    this.snapshot.link.state = state;
    this.snapshot.link.up = state === 'ready';
    if (was !== state) {
      const level = state === 'ready' ? 'info' : state === 'failed' ? 'error' : 'warn';
      this.log[level]({ event: 'link.state', state, was, reason }, `control link ${state}`);
    }
    this.refreshProblems();
  }

  private readIdentity(): void {
    if (this.client) applyIdentity(this.snapshot, this.client);
  }

  private channel(ch: number): ChannelActivity {
    return channelOf(this.snapshot, ch);
  }

  private onEvent(ev: ApplianceEvent): void {
    const d = ev.data as Record<string, unknown>;
    switch (ev.name) {
      case 'SECURE': {
        const a = this.channel(Number(d.ch));
        if (d.state && !a.secure) a.secureSessions++;
        a.secure = Boolean(d.state);
        this.log.info({ event: 'secure.change', channel: d.ch, on: d.state, source: d.source }, `secure mode ${d.state ? 'on' : 'off'} on channel ${d.ch}`);
        break;
      }
      case 'MASKED': {
        // A digit was masked: a count per channel, never the digit (the board does not send it).
        this.channel(Number(d.ch)).maskedDigits++;
        this.log.info({ event: 'digit.masked', channel: Number(d.ch) }, `digit masked on channel ${d.ch}`);
        break;
      }
      case 'DSP': {
        this.channel(Number(d.ch)).dspStalled = d.state === 'stalled';
        break;
      }
      case 'ALARM': {
        const span = this.snapshot.spans.find((s) => s.span === Number(d.span));
        if (span) span.alarms[d.alarm as 'los'] = Boolean(d.state);
        break;
      }
      case 'HEALTH':
        this.applyHealth(d);
        break;
      case 'BOOT':
        this.log.warn({ event: 'board.boot', reason: d.reason, firmware: d.fw, slot: d.slot }, `board booted (${String(d.reason)})`);
        break;
      case 'CFG':
        this.snapshot.configVersion = Number(d.version);
        this.log.info({ event: 'config.changed', version: d.version, changed: d.changed }, `configuration version ${d.version} in force`);
        break;
      default:
        break;
    }
    this.refreshProblems();
  }

  private applyHealth(d: Record<string, unknown>): void {
    applyHealth(this.snapshot, d);
  }

  /** Reads health, spans and secure channels; events keep them current between polls. */
  async poll(): Promise<void> {
    const c = this.client;
    if (!c || this.polling || c.linkState !== 'ready') {
      this.refreshLinkStats();
      this.refreshProblems();
      return;
    }
    this.polling = true;
    try {
      await readBoard(c, this.snapshot);
    } catch (e) {
      this.log.warn({ event: 'poll.failed', reason: (e as Error).message }, 'could not read the board this time');
    } finally {
      this.polling = false;
      this.refreshLinkStats();
      this.refreshProblems();
    }
  }

  private refreshLinkStats(): void {
    if (this.client) applyLinkStats(this.snapshot, this.client);
  }

  /** Alarms raised and cleared become log events with a severity (the NOC's log pipeline alerts on them). */
  private refreshProblems(): void {
    const now = new Date().toISOString();
    const problems = evaluateProblems(this.snapshot, this.opts.thresholds ?? DEFAULT_THRESHOLDS);
    const { raised, cleared } = trackProblems(this.snapshot.problemsSince, problems, now);
    for (const p of raised) this.log[p.severity === 'critical' ? 'error' : 'warn']({ event: 'alarm.raised', alarm: p.id, severity: p.severity }, p.what);
    for (const id of cleared) this.log.info({ event: 'alarm.cleared', alarm: id }, `${id} cleared`);
  }

  health(): HealthReport {
    const problems = evaluateProblems(this.snapshot, this.opts.thresholds ?? DEFAULT_THRESHOLDS);
    return {
      status: problems.some((p) => p.severity === 'critical') ? 'failing' : problems.length ? 'degraded' : 'ok',
      problems: problems.map((p) => ({ what: p.what, severity: p.severity, since: this.snapshot.problemsSince.get(p.id) ?? this.snapshot.at, id: p.id })),
      port: this.opts.port,
      link: { ...this.snapshot.link },
      identity: this.snapshot.identity,
      checkedAt: new Date().toISOString(),
    };
  }

  private requireOps(): ApplianceOperations {
    if (!this.ops || this.snapshot.link.state !== 'ready') {
      throw new DgError('DG1404', `the daemon cannot reach the appliance on ${this.opts.port} (link ${this.snapshot.link.state}); check the cable and 'dtmfguard logs'`, EXIT.unreachable);
    }
    return this.ops;
  }

  /** The control socket's methods. Parameters come from the CLI; each is checked by the operation. */
  private async handle(method: string, params: unknown, ctx: CallContext): Promise<unknown> {
    const p = (params ?? {}) as Record<string, unknown>;
    const caller: Caller = { who: ctx.who, origin: ctx.origin, progress: ctx.progress, signal: ctx.signal };
    switch (method) {
      case 'ping':
        return { pid: process.pid, port: this.opts.port };
      case 'health':
        this.refreshLinkStats();
        return this.health();
      case 'snapshot':
        this.refreshLinkStats();
        return { ...this.snapshot, channels: Object.fromEntries(this.snapshot.channels), resetGeneration: Object.fromEntries(this.snapshot.resetGeneration), problemsSince: Object.fromEntries(this.snapshot.problemsSince) };
      case 'logs': {
        const lines = Math.min(Number(p.lines ?? 100), LOG_RING_LINES);
        const tail = this.ring.slice(-lines);
        if (!p.follow) return tail;
        for (const l of tail) ctx.progress(l);
        await new Promise<void>((resolve) => {
          const f = (line: string) => ctx.progress(line);
          this.followers.add(f);
          ctx.signal.addEventListener('abort', () => {
            this.followers.delete(f);
            resolve();
          });
        });
        return [];
      }
      case 'counters.reset': {
        const spans = (await dispatchOperation(this.requireOps(), method, params, caller)) as number[];
        // The board counts from zero now: start a new epoch at once, so a scrape before the next
        // poll neither counts the old values twice nor sees the _total metrics go down.
        for (const n of spans) {
          const generation = (this.snapshot.resetGeneration.get(n) ?? 0) + 1;
          this.snapshot.resetGeneration.set(n, generation);
          const span = this.snapshot.spans.find((x) => x.span === n);
          if (span) {
            span.counters = { cv: 0, crc_err: 0, fas_err: 0, slips: 0, es: 0, ses: 0 };
            span.countedS = 0;
            span.epoch = `${this.snapshot.identity?.bootId ?? ''}/${generation}`;
          }
        }
        return spans;
      }
      default:
        return dispatchOperation(this.requireOps(), method, params, caller);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.control?.close().catch(() => undefined);
    await this.http?.close().catch(() => undefined);
    await this.client?.close().catch(() => undefined);
    this.lock?.release();
    this.log.info({ event: 'daemon.stop' }, 'dtmfguard daemon stopped');
  }
}
