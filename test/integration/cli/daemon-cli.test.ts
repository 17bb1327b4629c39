// `dtmfguard serve` as the daemon of an appliance on a real pty, and the CLI going through its
// control socket: no second opener conflict, the daemon's own link statistics, logs, and a clean
// SIGTERM that leaves no lock or socket behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTMFGUARD, run, startSim, waitFor, type SimHandle } from '../../helpers/sim-process.ts';
import { parsePrometheusText } from '../../helpers/prometheus.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-serve-'));
const env = { DTMFGUARD_LOCK_DIR: dir, DTMFGUARD_RUN_DIR: dir, DTMFGUARD_AUDIT_LOG: join(dir, 'audit.jsonl') };
const pty = join(dir, 'ttyDG1');
let sim: SimHandle;
let daemon: ChildProcess;
let daemonExit: Promise<number | null>;
let daemonOut = '';
let http: string;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  sim = await startSim(pty, 'sip-edge');
  http = `127.0.0.1:${await freePort()}`;
  daemon = spawn(process.execPath, [DTMFGUARD, 'serve', '--port', pty, '--http', http, '--poll-ms', '300', '--max-attempts', '5', '--response-timeout-ms', '800'], { env: { ...process.env, ...env } });
  daemonExit = new Promise((r) => daemon.on('exit', (code) => r(code)));
  daemon.stdout!.on('data', (d) => (daemonOut += d));
  daemon.stderr!.on('data', (d) => (daemonOut += d));
  await waitFor('daemon ready', async () => (await fetch(`http://${http}/readyz`).catch(() => undefined))?.status === 200, 30_000);
});

afterAll(async () => {
  daemon?.kill('SIGKILL');
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI through the daemon', () => {
  it('commands go through the control socket while the daemon holds the port', async () => {
    expect(existsSync(join(dir, 'LCK..ttyDG1'))).toBe(true);
    const set = await run(DTMFGUARD, ['mask-tone', '1', '--port', pty], env);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^mask tone set to 1/);
    const info = JSON.parse((await run(DTMFGUARD, ['info', '--json', '--port', pty], env)).stdout);
    expect(info.identity.model).toBe('DG-SIP120');
    // The daemon's link has carried its own polls: far more frames than one CLI run would.
    expect(info.link.framesOut).toBeGreaterThan(5);
    const secure = await run(DTMFGUARD, ['secure', 'on', '--channel', '5', '--port', pty], env);
    expect(secure.stdout).toMatch(/secure mode on for 1 channel/);
  });

  it('/metrics shows the change, and logs show the daemon\'s structured lines', async () => {
    const metrics = await waitFor('secure channel in metrics', async () => {
      const m = parsePrometheusText(await (await fetch(`http://${http}/metrics`)).text());
      return m.get('dtmfguard_secure_channels')?.samples[0].value === 1 && m;
    });
    expect(metrics.get('dtmfguard_secure_sessions_total')?.samples.find((s) => s.labels.channel === '5')?.value).toBe(1);
    const logs = await run(DTMFGUARD, ['logs', '-n', '200', '--port', pty], env);
    const lines = logs.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.event === 'secure.change' && l.channel === 5)).toMatchObject({ on: true, level: 'info' });
    expect(lines.find((l) => l.event === 'daemon.start')).toBeTruthy();
  });

  it('audit entries record the CLI user as seen by the daemon', async () => {
    const audit = JSON.parse((await run(DTMFGUARD, ['audit', 'show', '--json', '--port', pty], env)).stdout);
    expect(audit.find((e: { action: string }) => e.action === 'secure.set')).toMatchObject({ origin: expect.stringMatching(/^cli:pid \d+$/), result: 'ok' });
  });

  it('refuses driver options out of range before opening anything', async () => {
    const r = await run(DTMFGUARD, ['serve', '--port', join(dir, 'other'), '--max-attempts', '0'], env);
    expect([r.status, r.stderr]).toEqual([2, 'DG1209: driver option maxAttempts=0 out of range: use an integer from 1 to 20\n']);
  });

  it('SIGTERM stops the daemon cleanly: exit 0, no lock, no socket', async () => {
    daemon.kill('SIGTERM');
    expect(await daemonExit).toBe(0);
    expect(existsSync(join(dir, 'LCK..ttyDG1'))).toBe(false);
    expect(existsSync(join(dir, 'ttyDG1.sock'))).toBe(false);
    expect(daemonOut).toMatch(/"event":"daemon.stop"/);
    // And the port is free for a direct opener again.
    expect((await run(DTMFGUARD, ['mask-tone', '--port', pty], env)).stdout).toBe('mask tone 1\n');
  });
});
