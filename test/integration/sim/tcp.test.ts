import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, SIM_BIN, startSim, stopSim, WireHost } from './wire-host.ts';

/** The simulator behind raw TCP on loopback, as a console server (ser2net) would serve a board. */
let sim: ChildProcess | undefined;
let port = 0;

async function dial(): Promise<{ sock: Socket; host: WireHost }> {
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return { sock, host: new WireHost(sock) };
}

beforeAll(async () => {
  const started = await startSim(['--tcp', '127.0.0.1:0', '--profile', new URL('../../../hardware-profiles/sip-edge.json', import.meta.url).pathname, '--reboot-delay-ms', '200']);
  sim = started.child;
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(started.firstLine);
  expect(m, started.firstLine).not.toBeNull();
  port = Number(m![1]);
});

afterAll(async () => {
  if (sim) await Promise.race([stopSim(sim), new Promise((r) => setTimeout(r, 5000))]);
  killGroup(sim);
});

describe('dtmfguard-sim --tcp', () => {
  it('a host that drops mid-transaction leaves nothing applied; the next host finds the stage and commits it whole', async () => {
    const a = await dial();
    expect((await a.host.request('HELLO', { proto: '1' })).fields).toMatchObject({ model: 'DG-SIP120', channels: '120', spans: '0', cfg: 'clean' });
    await a.host.request('SET_SIP', { listen: '127.0.0.1:7004', forward: '127.0.0.1:7006', pt_pcmu: '0', pt_pcma: '8', pt_event: '96' });
    await a.host.request('SET_MASK_TONE', { tone: '1' });
    a.sock.destroy(); // the TCP connection drops before CFG_COMMIT

    const b = await dial();
    expect((await b.host.request('GET_SIP')).fields).toMatchObject({ listen: '0.0.0.0:5004', pt_event: '101', view: 'running' });
    expect((await b.host.request('CFG_STATUS')).fields).toEqual({ cfg: 'staged', version: '1', pending: 'mask_tone,sip' });
    expect((await b.host.request('CFG_COMMIT')).fields).toEqual({ version: '2', changed: 'mask_tone,sip' });
    expect((await b.host.request('GET_SIP')).fields).toMatchObject({ listen: '127.0.0.1:7004', pt_event: '96' });
    b.sock.destroy();
  });

  it('a second host replaces the first; REBOOT is answered, then BOOT arrives', async () => {
    const a = await dial();
    await a.host.request('PING');
    const b = await dial();
    const closed = new Promise<void>((r) => a.sock.once('close', () => r()));
    await b.host.request('PING');
    await closed;
    expect((await b.host.request('REBOOT')).kind).toBe('ok');
    const boot = await b.host.waitFor((f) => f.kind === 'evt' && f.name === 'BOOT');
    expect(boot).toMatchObject({ seq: 0, fields: { reason: 'reboot', slot: 'A', fw: '2.0.1' } });
    expect((await b.host.request('CFG_STATUS')).fields.version).toBe('2'); // committed configuration survives a reboot
    b.sock.destroy();
  });

  it('refuses bad usage with exit 2 and a one-line coded message', () => {
    const both = spawnSync(process.execPath, [SIM_BIN, '--tcp', '127.0.0.1:0', '--pty', '/tmp/x'], { encoding: 'utf8' });
    expect(both.status).toBe(2);
    expect(both.stderr.trim()).toMatch(/^DG4301: give exactly one of --pty PATH or --tcp HOST:PORT/);
    const badProfile = spawnSync(process.execPath, [SIM_BIN, '--tcp', '127.0.0.1:0', '--profile', '/nonexistent/p.json'], { encoding: 'utf8' });
    expect(badProfile.status).toBe(2);
    expect(badProfile.stderr.trim().split('\n')).toHaveLength(1);
    expect(badProfile.stderr).toMatch(/^DG3001: cannot read hardware profile/);
  });

  it('--pty refuses what it cannot do safely: no socat (DG5001), a path socat would misread (DG5003), a real file (DG5004)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-sim-usage-'));
    try {
      const noSocat = spawnSync(process.execPath, [SIM_BIN, '--pty', join(dir, 'tty')], { encoding: 'utf8', env: { ...process.env, PATH: dir } });
      expect([noSocat.status, noSocat.stderr.trim()]).toEqual([2, 'DG5001: socat is not installed; install it (apt-get install socat) to use --pty, or use --tcp']);
      const comma = spawnSync(process.execPath, [SIM_BIN, '--pty', join(dir, 'a,b')], { encoding: 'utf8' });
      expect([comma.status, comma.stderr]).toEqual([2, expect.stringMatching(/^DG5003: /)]);
      const file = join(dir, 'precious');
      writeFileSync(file, 'not a device');
      const clobber = spawnSync(process.execPath, [SIM_BIN, '--pty', file], { encoding: 'utf8' });
      expect([clobber.status, clobber.stderr]).toEqual([2, expect.stringMatching(/^DG5004: .*precious exists and is not a symbolic link/)]);
      expect(readFileSync(file, 'utf8')).toBe('not a device');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
