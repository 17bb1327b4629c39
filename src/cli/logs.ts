/** `dtmfguard logs [--follow]`, `dtmfguard audit show | verify`. */
import type { Command } from 'commander';
import { DgError, EXIT } from '../errors.ts';
import { readAuditEntries, verifyAuditLog, type AuditEntry, type AuditVerdict } from '../service/audit-log.ts';
import { ControlClient, canConnect } from '../service/control-socket.ts';
import { controlSocketPath, defaultAuditLogPath, portSlug } from '../service/paths.ts';
import { addPortOption, resolvePort } from './port-option.ts';
import { emit } from './output.ts';

function auditPath(opts: { port?: string; auditLog?: string }): string {
  if (opts.auditLog) return opts.auditLog;
  return defaultAuditLogPath(resolvePort(opts));
}

function formatEntry(e: AuditEntry): string {
  const details = e.details ? ` ${JSON.stringify(e.details)}` : '';
  return `${e.time}  #${e.seq}  ${e.who} (${e.origin})  ${e.action}${details}  ${e.result}${e.reason ? `: ${e.reason}` : ''}`;
}

export function register(program: Command): void {
  addPortOption(
    program
      .command('logs')
      .option('-n, --lines <n>', 'how many recent lines', (v) => Number(v), 100)
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .description("The daemon's recent log lines (structured JSON, card data redacted)."),
  )
    .addHelpText('after', '\nExample:\n  dtmfguard logs --follow --port /dev/ttyUSB0\n\nNeeds the daemon (dtmfguard serve); its logs also go to journald.')
    .action(async (opts: { port?: string; lines: number; follow?: boolean }) => {
      const port = resolvePort(opts);
      const socket = controlSocketPath(port);
      if (!(await canConnect(socket))) {
        throw new DgError('DG7007', `no daemon runs for ${port}: logs exist only while 'dtmfguard serve' runs (see also: journalctl -u dtmfguard@${portSlug(port)})`, EXIT.unreachable);
      }
      const client = await ControlClient.connect(socket);
      try {
        if (!opts.follow) {
          const lines = await client.call<string[]>('logs', { lines: opts.lines });
          process.stdout.write(lines.map((l) => `${l}\n`).join(''));
          return;
        }
        await new Promise<void>((resolve, reject) => {
          process.once('SIGINT', () => resolve());
          client.call('logs', { lines: opts.lines, follow: true }, (line) => process.stdout.write(`${String(line)}\n`)).then(() => resolve(), reject);
        });
      } finally {
        client.close();
      }
    });

  const audit = program.command('audit').description('The append-only, hash-chained audit log of every change (PCI DSS 10.2).');
  addPortOption(
    audit
      .command('show')
      .option('--audit-log <path>', 'the audit log file (default: the one of --port)')
      .option('-n, --lines <n>', 'how many recent entries', (v) => Number(v), 50)
      .option('--json', 'print the entries as one JSON array')
      .description('Print recent audit entries: who, what, when, result, origin.'),
  )
    .addHelpText('after', '\nExample:\n  dtmfguard audit show --port /dev/ttyUSB0 -n 20')
    .action(async (opts: { port?: string; auditLog?: string; lines: number; json?: boolean }) => {
      const path = auditPath(opts);
      let entries: AuditEntry[];
      try {
        entries = readAuditEntries(path).slice(-opts.lines);
      } catch (e) {
        throw new DgError('DG7102', `cannot read the audit log ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass --audit-log PATH`);
      }
      emit(opts.json, entries, () => (entries.length ? entries.map(formatEntry).join('\n') : 'the audit log is empty'));
    });
  addPortOption(
    audit
      .command('verify')
      .option('--audit-log <path>', 'the audit log file (default: the one of --port)')
      .option('--json', 'print the verdict as JSON')
      .description('Check the hash chain: names the first altered, missing or reordered entry. Exit 0 intact, 1 tampered.'),
  )
    .addHelpText('after', '\nExample:\n  dtmfguard audit verify --audit-log /var/log/dtmfguard/ttyUSB0.audit.jsonl')
    .action(async (opts: { port?: string; auditLog?: string; json?: boolean }) => {
      const path = auditPath(opts);
      const v: AuditVerdict = verifyAuditLog(path);
      emit(opts.json, { file: path, ...v }, () => (v.ok ? `audit log ${path}: intact, ${v.entries} entries` : `audit log ${path}: TAMPERED: ${v.firstBad!.message}`));
      if (!v.ok) process.exitCode = EXIT.checkFailed;
    });
}
