import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveOptions } from '../appliance/options.ts';
import { DgError } from '../errors.ts';
import { Daemon } from '../service/daemon.ts';
import { DEFAULT_HTTP_ADDRESS } from '../service/http-server.ts';
import { addPortOption, resolvePort } from './port-option.ts';

/** The numeric id of a group, from /etc/group (the control socket's group decides who may configure). */
export function groupId(name: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name) return Number(gid);
  }
  throw new DgError('DG4206', `no group '${name}': create it with 'groupadd --system ${name}' or pass another --socket-group`);
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run the daemon that owns the appliance link: control socket for the CLI, /metrics /healthz /readyz on HTTP, alarms in the log, audit log.')
    .option('--http <addr:port|off>', 'where to serve /metrics, /healthz and /readyz (read-only)', DEFAULT_HTTP_ADDRESS)
    .option('--socket <path>', 'control socket path (default /run/dtmfguard/<port>.sock, or under $DTMFGUARD_RUN_DIR)')
    .option('--socket-group <group>', 'group owning the control socket (mode 0660): its members may configure the appliance')
    .option('--audit-log <path>', 'audit log (default /var/log/dtmfguard/<port>.audit.jsonl, or $DTMFGUARD_AUDIT_LOG)')
    .option('--max-attempts <n>', 'tries per command on a noisy line, the first included (driver default 3)', (v) => Number(v))
    .option('--response-timeout-ms <ms>', 'how long to wait for each answer (driver default 1000)', (v) => Number(v))
    .option('--poll-ms <ms>', 'how often to read health, spans and secure channels', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 100 || n > 3_600_000) throw new DgError('DG4207', `--poll-ms ${v}: use 100 to 3600000`);
      return n;
    });
  addPortOption(cmd)
    .addHelpText('after', '\nExample:\n  dtmfguard serve --port /dev/ttyUSB0 --http 127.0.0.1:9817 --socket-group dtmfguard\n\nStops cleanly on SIGTERM or SIGINT (port lock and socket removed).')
    .action(async (opts: { port?: string; http: string; socket?: string; socketGroup?: string; auditLog?: string; pollMs?: number; maxAttempts?: number; responseTimeoutMs?: number }) => {
      const port = resolvePort(opts);
      // Range-checked by the driver (DG1209, exit 2) before anything is opened.
      const driver = resolveOptions({ maxAttempts: opts.maxAttempts, responseTimeoutMs: opts.responseTimeoutMs });
      const daemon = new Daemon({
        port,
        http: opts.http,
        socketPath: opts.socket,
        socketGid: opts.socketGroup ? groupId(opts.socketGroup) : undefined,
        auditLogPath: opts.auditLog,
        pollIntervalMs: opts.pollMs,
        driver: { driver: { maxAttempts: driver.maxAttempts, responseTimeoutMs: driver.responseTimeoutMs } },
      });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await daemon.stop();
    });
}
