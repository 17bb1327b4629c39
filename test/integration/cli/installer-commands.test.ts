// Each installer command against the simulated appliance over a real pseudo-terminal pair (socat),
// typed as a user would, asserting the output and the effect on the board, then the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DTMFGUARD, run, startSim, waitFor, type SimHandle } from '../../helpers/sim-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-cli-'));
const env = { DTMFGUARD_LOCK_DIR: dir, DTMFGUARD_RUN_DIR: dir, DTMFGUARD_AUDIT_LOG: join(dir, 'audit.jsonl') };
let sim: SimHandle;
const pty = join(dir, 'ttyDG0');
const dg = (...args: string[]) => run(DTMFGUARD, [...args, '--port', pty], env);
const json = async (...args: string[]) => {
  const r = await dg(...args, '--json');
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.status, args.join(' ')).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  sim = await startSim(pty, 'dual-e1');
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('installer commands over a real pty', () => {
  it('mask-tone shows and sets the tone, refusing a bad one with exit 2', async () => {
    expect((await dg('mask-tone')).stdout).toBe('mask tone #\n');
    const set = await dg('mask-tone', '0');
    expect(set.stdout).toMatch(/^mask tone set to 0 \(configuration version \d+\)\n$/);
    expect(await json('mask-tone')).toEqual({ tone: '0' });
    const bad = await dg('mask-tone', '5');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("DG4202: bad mask tone '5': use '#', 0 or 1\n");
  });

  it('secure on/off/status per channel', async () => {
    expect((await dg('secure', 'on', '--channel', '3,7-8')).stdout).toBe('secure mode on for 3 channel(s): 3, 7, 8\n');
    const status = await json('secure', 'status');
    expect(status.map((s: { ch: number; state: boolean }) => [s.ch, s.state])).toEqual([[3, true], [7, true], [8, true]]);
    await dg('secure', 'off', '--channel', '7-8');
    expect((await json('secure', 'status')).map((s: { ch: number }) => s.ch)).toEqual([3]);
    const noChannel = await dg('secure', 'on');
    expect([noChannel.status, noChannel.stderr]).toEqual([2, 'DG4209: secure on needs --channel N (or --channel all)\n']);
    const tooHigh = await dg('secure', 'on', '--channel', '61');
    expect([tooHigh.status, tooHigh.stderr]).toEqual([2, 'DG4204: no channel 61: this appliance has channels 1 to 60\n']);
  });

  it('trigger-code sets the agent keypad code', async () => {
    await dg('trigger-code', '*9#');
    expect(await json('trigger-code')).toEqual({ code: '*9#' });
    expect((await dg('trigger-code', '12a')).status).toBe(2);
  });

  it('spans, loopback and counters', async () => {
    const spans = await json('spans');
    expect(spans.map((s: { span: number; type: string; state: string }) => [s.span, s.type, s.state])).toEqual([[1, 'e1', 'up'], [2, 'e1', 'up']]);
    expect((await dg('loopback', '1', 'line')).stdout).toBe('span 1 loopback line\n');
    expect((await json('spans'))[0].loopback).toBe('line');
    await dg('loopback', '1', 'off');
    const bad = await dg('loopback', '9', 'line');
    expect([bad.status, bad.stderr]).toEqual([2, 'DG4205: no span 9: this appliance has spans 1 to 2\n']);
    expect((await dg('loopback', '1', 'sideways')).status).toBe(2);
    expect((await dg('counters', '--reset', '--span', '2')).stdout).toBe('counters reset on span 2\n');
    const counters = await json('counters', '--span', '2');
    expect(counters[0]).toMatchObject({ span: 2, cv: 0, crc_err: 0 });
    expect((await dg('spans')).stdout).toMatch(/^span\s+type\s+state\s+alarms/);
  });

  it('config show, diff and apply as a transaction; bad files point at the field', async () => {
    const shown = await dg('config', 'show');
    const file = join(dir, 'site.json');
    writeFileSync(file, shown.stdout);
    expect((await dg('config', 'diff', file)).stdout).toBe('no differences: the appliance already runs this configuration\n');
    const cfg = JSON.parse(shown.stdout);
    cfg.maskTone = '1';
    cfg.spans[1].framing = 'no-crc4';
    writeFileSync(file, JSON.stringify(cfg));
    expect((await dg('config', 'diff', file)).stdout).toBe('maskTone: "0" -> "1"\nspans.2: {"span":2,"framing":"crc4","line_code":"hdb3","lbo":0,"clock":"line"} -> {"span":2,"framing":"no-crc4","line_code":"hdb3","lbo":0,"clock":"line"}\n');
    const applied = await dg('config', 'apply', file);
    expect(applied.stdout).toMatch(/^applied configuration .*site.json: version \d+, changed mask_tone, span2/);
    expect(await json('mask-tone')).toEqual({ tone: '1' });
    writeFileSync(file, JSON.stringify({ maskTone: '1', spans: [{ span: 1, framing: 'esf', lineCode: 'hdb3', lbo: 0, clock: 'line' }] }));
    const refused = await dg('config', 'apply', file);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^DG1302: configuration not applied: .*esf.*nothing|^DG1302: configuration not applied: .*the staged change was discarded/);
    writeFileSync(file, '{"maskTone": "#", "spans": [{"span": 1, "framing": "crc4", "lineCode": "hdb3", "lbo": 12, "clock": "line"}]}');
    const badField = await dg('config', 'apply', file);
    expect([badField.status, badField.stderr]).toEqual([2, `DG3202: ${file}: field spans[0].lbo: Too big: expected number to be <=7\n`]);
  });

  it('config apply --confirm rolls back by itself unless confirmed in time', async () => {
    const file = join(dir, 'confirm.json');
    writeFileSync(file, JSON.stringify({ maskTone: '#' }));
    const lapsed = await dg('config', 'apply', file, '--confirm', '2');
    expect(lapsed.stdout).toMatch(/within 2 s/);
    expect(lapsed.status).toBe(1);
    expect(lapsed.stderr).toMatch(/DG1304: configuration version \d+ not confirmed within 2 s: the previous settings were restored/);
    expect(await json('mask-tone')).toEqual({ tone: '1' });

    const holder = spawn(process.execPath, [DTMFGUARD, 'config', 'apply', file, '--confirm', '30', '--port', pty], { env: { ...process.env, ...env } });
    const exited = new Promise((r) => holder.on('close', r));
    let out = '';
    holder.stdout.on('data', (d) => (out += d));
    holder.stderr.on('data', (d) => (out += d));
    await waitFor('the change applied', () => /within 30 s/.test(out));
    const confirmed = await dg('config', 'confirm');
    expect(confirmed.stderr).toBe('');
    expect(confirmed.stdout).toMatch(/^configuration version \d+ confirmed\n$/);
    expect(await exited).toBe(0);
    expect(out).toMatch(/configuration version \d+ confirmed/);
    expect(await json('mask-tone')).toEqual({ tone: '#' });
  });

  it('firmware upload (with a progress report), refusal with the board reason, resume, activate', async () => {
    const payload = join(dir, 'payload.bin');
    writeFileSync(payload, Buffer.alloc(400_000, 0x5a));
    const img = join(dir, 'fw-1.5.0.img');
    const build = await run(join(import.meta.dirname, '../../../node_modules/tsx/dist/cli.mjs'), [join(import.meta.dirname, '../../../scripts/build-sim-firmware.ts'), '--version', '1.5.0', '--model', 'DG-2E1', '--payload', payload, '--out', img], env);
    expect(build.status, build.stderr).toBe(0);

    // An altered image: the board checks the signature and says why it refuses.
    const bad = join(dir, 'fw-bad.img');
    copyFileSync(img, bad);
    const bytes = readFileSync(bad);
    bytes[2000] ^= 0x01;
    writeFileSync(bad, bytes);
    const refused = await dg('firmware', 'upload', bad);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/image-signature: image refused: bad-signature/);

    // Interrupted upload, then the same upload again resumes where it stopped.
    const first = spawn(process.execPath, [DTMFGUARD, 'firmware', 'upload', img, '--port', pty], { env: { ...process.env, ...env } });
    const firstExited = new Promise((r) => first.on('close', r));
    let progress = '';
    first.stderr.on('data', (d) => (progress += d));
    await waitFor('upload under way', () => /upload .*: [1-9]0% /.test(progress));
    first.kill('SIGKILL');
    await firstExited;
    await new Promise((r) => setTimeout(r, 300));
    const resumed = await dg('firmware', 'upload', img);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^resuming an interrupted upload at byte [1-9]\d+/m);
    expect(resumed.stderr).toMatch(/upload .*fw-1.5.0.img: 100% \(400\d+ of 400\d+ bytes/);
    expect(resumed.stdout).toMatch(/^image 1\.5\.0 verified and stored in slot B \(resumed at byte \d+\)/);

    const info = await json('firmware', 'info');
    expect(info.slots).toMatchObject({ active: 'A', b_state: 'valid', b_version: '1.5.0' });
    expect((await dg('firmware', 'activate', 'B')).stdout).toBe('the board is rebooting into slot B\n');
    const after = await waitFor('reboot into B', async () => {
      const r = await dg('info', '--json');
      return r.status === 0 && JSON.parse(r.stdout).firmware.version === '1.5.0' && JSON.parse(r.stdout);
    });
    expect(after.firmware.slot).toBe('B');
  });

  it('a second opener is told who holds the port (exit 3)', async () => {
    const holder = spawn(process.execPath, [DTMFGUARD, 'spans', '--watch', '0.5', '--port', pty], { env: { ...process.env, ...env } });
    const holderExited = new Promise((r) => holder.on('close', r));
    let out = '';
    holder.stdout.on('data', (d) => (out += d));
    await waitFor('watch running', () => /span\s+type/.test(out));
    const second = await dg('mask-tone');
    holder.kill('SIGINT');
    expect(await holderExited).toBe(0);
    expect(second.status).toBe(3);
    expect(second.stderr).toBe(`DG1402: port ${pty} is in use by PID ${holder.pid}; stop that process or talk to its daemon\n`);
  });

  it('every change is in the audit log with who and the result, and the chain verifies', async () => {
    const entries = await json('audit', 'show', '-n', '100');
    const actions = entries.map((e: { action: string }) => e.action);
    for (const a of ['config.apply', 'secure.set', 'loopback.set', 'counters.reset', 'config.confirm', 'config.rollback', 'firmware.upload', 'firmware.activate']) expect(actions).toContain(a);
    expect(entries.find((e: { action: string }) => e.action === 'secure.set')).toMatchObject({ who: userInfo().username, result: 'ok' });
    expect(entries.find((e: { action: string; result: string }) => e.action === 'firmware.upload' && e.result === 'refused').reason).toMatch(/bad-signature/);
    expect((await dg('audit', 'verify')).stdout).toMatch(/intact, \d+ entries/);
  });

  it('unreachable appliance: exit 3 with one line', async () => {
    const r = await run(DTMFGUARD, ['mask-tone', '--port', join(dir, 'nothing-here')], env);
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^DG1\d{3}: /);
  });
});
