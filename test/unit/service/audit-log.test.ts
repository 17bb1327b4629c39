import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, readAuditEntries, verifyAuditLog } from '../../../src/service/audit-log.ts';

let dir: string;
let path: string;

function writeLines(lines: string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-audit-'));
  path = join(dir, 'audit.jsonl');
  let t = Date.UTC(2026, 10, 22, 9, 0, 0);
  const log = new AuditLog(path, () => new Date((t += 1000)));
  log.append({ who: 'alice', origin: 'cli', action: 'mask-tone.set', details: { tone: '#' }, result: 'ok' });
  log.append({ who: 'alice', origin: 'cli', action: 'secure.set', details: { channel: 3, on: true }, result: 'ok' });
  log.append({ who: 'bob', origin: 'cli', action: 'firmware.activate', details: { slot: 'B' }, result: 'refused', reason: 'bad signature' });
  log.append({ who: 'bob', origin: 'cli', action: 'counters.reset', details: { span: 1 }, result: 'ok' });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('audit log', () => {
  it('chains entries and verifies clean', () => {
    const entries = readAuditEntries(path);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[1].prev).toBe(entries[0].hash);
    expect(verifyAuditLog(path)).toEqual({ ok: true, entries: 4 });
  });

  it('continues the chain when reopened', () => {
    new AuditLog(path).append({ who: 'carol', origin: 'cli', action: 'loopback.set', result: 'ok' });
    expect(verifyAuditLog(path)).toEqual({ ok: true, entries: 5 });
  });

  it('names an edited entry', () => {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    lines[1] = lines[1].replace('"who":"alice"', '"who":"mallory"');
    writeLines(lines);
    expect(verifyAuditLog(path).firstBad).toMatchObject({ line: 2, seq: 2, problem: 'altered' });
  });

  it('names a deleted entry', () => {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    lines.splice(2, 1);
    writeLines(lines);
    expect(verifyAuditLog(path).firstBad).toMatchObject({ line: 3, seq: 4, problem: 'missing' });
  });

  it('names reordered entries', () => {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    [lines[1], lines[2]] = [lines[2], lines[1]];
    writeLines(lines);
    expect(verifyAuditLog(path).firstBad).toMatchObject({ line: 2, seq: 3, problem: 'reordered' });
  });

  it('catches entries cut from the end through the head file', () => {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    writeLines(lines.slice(0, 3));
    expect(verifyAuditLog(path).firstBad).toMatchObject({ seq: 4, problem: 'truncated' });
  });

  it('redacts card numbers that reach an entry', () => {
    new AuditLog(path).append({ who: 'x', origin: 'cli', action: 'trigger-code.set', details: { note: '4111111111111111' }, result: 'ok' });
    expect(readFileSync(path, 'utf8')).not.toContain('4111111111111111');
    expect(verifyAuditLog(path).ok).toBe(true);
  });
});
