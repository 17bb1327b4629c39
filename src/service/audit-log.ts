/**
 * The audit log (PCI DSS 10.2.2, 10.3): every configuration change and firmware action, with who,
 * what, when, result and origin. Append-only JSON lines, each entry carrying the SHA-256 of the
 * previous one, so editing, deleting or reordering any entry breaks the chain at that entry.
 *
 * Deleting entries from the end leaves a valid shorter chain; the head file (`<log>.head`, the
 * last sequence number and hash, rewritten after each append) catches that when it is kept apart
 * from the log, e.g. shipped to the NOC with every entry.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DgError } from '../errors.ts';
import { redactValue } from '../redact.ts';

export type AuditResult = 'ok' | 'failed' | 'refused';

export interface AuditRecord {
  /** OS user name of whoever asked (socket peer credentials for CLI clients). */
  who: string;
  /** Where the request came from: `cli`, `cli:pid 1234`, `daemon`, `http`, ... */
  origin: string;
  /** What was done: `config.apply`, `secure.set`, `firmware.upload`, `counters.reset`, ... */
  action: string;
  /** Arguments of the action; never digit values keyed in secure mode. */
  details?: Record<string, unknown>;
  result: AuditResult;
  /** Why it failed, when it did. */
  reason?: string;
}

export interface AuditEntry extends AuditRecord {
  seq: number;
  /** ISO 8601 UTC. */
  time: string;
  prev: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

/** Canonical JSON (sorted keys at every depth) so the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonical(entry)).digest('hex');
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export class AuditLog {
  private head: AuditHead;

  constructor(
    readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.head = this.readHead();
  }

  private readHead(): AuditHead {
    if (!existsSync(this.path)) return { seq: 0, hash: GENESIS };
    const lines = readFileSync(this.path, 'utf8').split('\n').filter((l) => l.length > 0);
    if (lines.length === 0) return { seq: 0, hash: GENESIS };
    try {
      const last = JSON.parse(lines[lines.length - 1]) as AuditEntry;
      return { seq: last.seq, hash: last.hash };
    } catch {
      throw new DgError('DG7101', `audit log ${this.path} ends in a damaged entry; run 'dtmfguard audit verify' and keep the file as evidence`);
    }
  }

  append(record: AuditRecord): AuditEntry {
    // Through JSON first, so the hash covers exactly what is written (undefined fields vanish).
    const body = JSON.parse(
      JSON.stringify({
        seq: this.head.seq + 1,
        time: this.now().toISOString(),
        ...redactValue(record),
        prev: this.head.hash,
      }),
    ) as Omit<AuditEntry, 'hash'>;
    const entry: AuditEntry = { ...body, hash: entryHash(body) };
    // O_APPEND: the kernel puts each write at the end, whoever else has the file open.
    let fd: number;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      fd = openSync(this.path, 'a', 0o640);
    } catch (e) {
      throw new DgError('DG7103', `cannot write the audit log ${this.path} (${(e as NodeJS.ErrnoException).code}); run as root or set DTMFGUARD_AUDIT_LOG`);
    }
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.head = { seq: entry.seq, hash: entry.hash };
    const tmp = `${this.path}.head.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.head)}\n`);
    renameSync(tmp, `${this.path}.head`);
    return entry;
  }
}

export type AuditProblem = 'malformed' | 'altered' | 'missing' | 'reordered' | 'truncated';

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  /** The first entry that breaks the chain: its line (1-based), sequence number and what is wrong. */
  firstBad?: { line: number; seq?: number; problem: AuditProblem; message: string };
}

export function readAuditEntries(path: string): AuditEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditEntry);
}

export function verifyAuditLog(path: string, headPath = `${path}.head`): AuditVerdict {
  if (!existsSync(path)) throw new DgError('DG7102', `no audit log at ${path}; pass --audit-log PATH`);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  let prevHash = GENESIS;
  let prevSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(lines[i]) as AuditEntry;
    } catch {
      return { ok: false, entries: i, firstBad: { line, problem: 'malformed', message: `line ${line} is not a JSON entry` } };
    }
    const { hash, ...body } = entry;
    if (entryHash(body) !== hash) {
      return { ok: false, entries: i, firstBad: { line, seq: entry.seq, problem: 'altered', message: `entry ${entry.seq} (line ${line}) was altered: its content does not match its hash` } };
    }
    if (entry.prev !== prevHash || entry.seq !== prevSeq + 1) {
      // The expected entry standing later in the file means the order was changed, not an entry lost.
      const expectedLater = lines.slice(i + 1).some((l) => l.includes(`"seq":${prevSeq + 1},`));
      const problem: AuditProblem = entry.seq > prevSeq + 1 && !expectedLater ? 'missing' : 'reordered';
      const message =
        problem === 'missing'
          ? `entries ${prevSeq + 1}..${entry.seq - 1} are missing before line ${line}`
          : `entry ${entry.seq} (line ${line}) is out of order after entry ${prevSeq}`;
      return { ok: false, entries: i, firstBad: { line, seq: entry.seq, problem, message } };
    }
    prevHash = hash;
    prevSeq = entry.seq;
  }
  if (existsSync(headPath)) {
    const head = JSON.parse(readFileSync(headPath, 'utf8')) as AuditHead;
    if (head.seq !== prevSeq || head.hash !== prevHash) {
      return {
        ok: false,
        entries: lines.length,
        firstBad: { line: lines.length + 1, seq: prevSeq + 1, problem: 'truncated', message: `the log ends at entry ${prevSeq} but its head records entry ${head.seq}: entries were removed from the end` },
      };
    }
  }
  return { ok: true, entries: lines.length };
}
