// The soak itself under test: `npm run soak` for half a minute with real parts (two simulators on
// socat ptys, their daemons, the CLI, RTP on loopback, tcpdump, the verifier), then the report's
// shape and targets. A soak that stops measuring (no payment, no command, no bad input) fails too.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardDataIn } from '../../../firmware-sim/chain/card-scan.ts';
import type { SoakReport } from '../../../firmware-sim/soak/soak-report.ts';

const ROOT = join(import.meta.dirname, '../../..');
const soakDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('dtmfguard-soak-'));

function runSoak(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/soak.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), 110_000);
    child.on('close', (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
  });
}

describe('npm run soak', () => {
  it('runs half a minute under load and faults, meets every target, and cleans up after itself', { timeout: 120_000 }, async () => {
    const before = new Set(soakDirs());
    const r = await runSoak(['--minutes', '0.5', '--json', '--seed', '3']);
    const report = JSON.parse(r.stdout) as SoakReport;
    expect(report.targets.filter((t) => !t.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(r.status).toBe(0);

    // It measured something on every side.
    expect(report.commands.sent).toBeGreaterThan(5);
    expect(report.commands.lost).toBe(0);
    expect(report.commands.appliedTwice).toBe(0);
    expect(report.payments.done).toBeGreaterThanOrEqual(1);
    expect(report.digits.leaks).toBe(0);
    expect(report.digits.maskTones).toBeGreaterThanOrEqual(report.payments.digitsKeyed);
    // The daemon counts masked digits from the board's events, which a damaged line can lose (an
    // event is not resent): its count may fall short of the digits keyed; the mirror is the judge.
    expect(report.digits.maskedReportedByDaemon).toBeGreaterThan(0);
    expect(report.alarms.injected).toBeGreaterThanOrEqual(1);
    expect(Object.keys(report.board).sort()).toEqual(['dual-e1', 'sip-edge']);
    expect(report.board['sip-edge'].executed.SET_SECURE).toBeGreaterThanOrEqual(2);
    expect(Object.keys(report.parsers)).toHaveLength(10);
    for (const [name, t] of Object.entries(report.parsers)) {
      expect(t.tried, name).toBeGreaterThan(0);
      expect(t.crashes, name).toBe(0);
      expect(t.accepted + t.rejected + t.crashes, name).toBe(t.tried);
    }
    for (const d of Object.values(report.daemons)) {
      expect(d.alive).toBe(true);
      expect(d.start!.fds).toBeGreaterThan(0);
      expect(d.end!.rssKb).toBeGreaterThan(0);
    }
    expect(report.recoveries['sip-edge'].count).toBeGreaterThanOrEqual(1);

    // Progress went to stderr; no card number anywhere in what the soak printed.
    expect(r.stderr).toMatch(/both appliances ready/);
    expect(cardDataIn(r.stdout + r.stderr)).toEqual([]);
    // No work folder left behind.
    expect(soakDirs().filter((d) => !before.has(d))).toEqual([]);
  });

  it('refuses bad arguments with exit 2 and a DG code', async () => {
    const r = await runSoak(['--minutes', 'soon']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^DG4001: .*--minutes/m);
  });
});
