// `dtmfguard check` as Icinga runs it: the real command against the simulated board on a real TCP
// port (a console server's), once per state, asserting the status line and the exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { DeviceServer } from '../../../firmware-sim/server/device-server.ts';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';

const BIN = join(import.meta.dirname, '../../../src/cli/bin/dtmfguard.mjs');
const dir = mkdtempSync(join(tmpdir(), 'dg-check-'));
const board = createBoard(loadProfile(shippedProfilePath('dual-t1')));
const device = new DeviceServer(board, { countersIntervalMs: 0, healthIntervalMs: 0 });
const tcp = net.createServer((s) => device.attach(s));
let port: number;

function check(...args: string[]) {
  // Asynchronous: the board answering the command lives in this process's event loop.
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'check', ...args], { env: { ...process.env, DTMFGUARD_RUN_DIR: dir, DTMFGUARD_LOCK_DIR: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  port = (tcp.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => tcp.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('dtmfguard check', () => {
  it('OK on a healthy board, with perfdata', async () => {
    const r = await check('--port', `tcp://127.0.0.1:${port}`);
    expect(r.stdout).toMatch(/^DTMFGUARD OK - .*no alarms \| temperature=[\d.]+;60;70 dsp_load=\d+%;80;95;0;100 span1_crc_errors=0c/);
    expect(r.status).toBe(0);
  });

  it('WARNING on a yellow alarm', async () => {
    board.setAlarm(2, 'rai', true);
    const r = await check('--port', `tcp://127.0.0.1:${port}`);
    board.setAlarm(2, 'rai', false);
    expect(r.stdout).toMatch(/^DTMFGUARD WARNING - span 2 RAI \(yellow alarm/);
    expect(r.status).toBe(1);
  });

  it('WARNING on a temperature threshold given on the command line', async () => {
    const r = await check('--port', `tcp://127.0.0.1:${port}`, '--warn', 'temperature=10', '--crit', 'temperature=90');
    expect(r.stdout).toMatch(/^DTMFGUARD WARNING - board temperature/);
    expect(r.stdout).toMatch(/temperature=[\d.]+;10;90/);
    expect(r.status).toBe(1);
  });

  it('CRITICAL on a red alarm and on bypass', async () => {
    board.setAlarm(1, 'los', true);
    board.setBypass(true);
    const r = await check('--port', `tcp://127.0.0.1:${port}`);
    board.setAlarm(1, 'los', false);
    board.setBypass(false);
    expect(r.stdout).toMatch(/^DTMFGUARD CRITICAL - bypass relay engaged: calls pass UNMASKED; span 1 LOS/);
    expect(r.status).toBe(2);
  });

  it('CRITICAL when the link is down', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await check('--port', `tcp://127.0.0.1:${deadPort}`);
    expect(r.stdout).toMatch(/^DTMFGUARD CRITICAL - control link down/);
    expect(r.status).toBe(2);
  });

  it('UNKNOWN on bad thresholds and bad usage', async () => {
    const bad = await check('--port', `tcp://127.0.0.1:${port}`, '--warn', 'temperature=hot');
    expect(bad.stdout).toMatch(/^DTMFGUARD UNKNOWN - DG4101: bad threshold range 'hot'/);
    expect(bad.status).toBe(3);
    const usage = await check('--bogus');
    expect(usage.stdout).toMatch(/^DTMFGUARD UNKNOWN - bad usage/);
    expect(usage.status).toBe(3);
  });
});
