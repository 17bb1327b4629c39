import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { killGroup, startSim, stopSim, WireHost } from './wire-host.ts';

/**
 * The simulator on a real pseudo-terminal pair made by socat: the host opens the device path with
 * serialport, as it would a USB serial adapter, closes it and opens it again.
 */
const dir = mkdtempSync(join(tmpdir(), 'dg-sim-pty-'));
const device = join(dir, 'ttyDG0');
let sim: ChildProcess | undefined;
let stderr = () => '';

async function openHost(): Promise<{ port: SerialPort; host: WireHost }> {
  const port = new SerialPort({ path: device, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  return { port, host: new WireHost(port) };
}

async function close(port: SerialPort): Promise<void> {
  await new Promise<void>((r) => port.close(() => r()));
}

function socatPid(): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-P', String(sim!.pid), 'socat'], { encoding: 'utf8' }).trim().split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  const started = await startSim(['--pty', device, '--profile', new URL('../../../hardware-profiles/dual-t1.json', import.meta.url).pathname, '--json']);
  sim = started.child;
  stderr = started.stderr;
  expect(JSON.parse(started.firstLine)).toMatchObject({ device, model: 'DG-2T1', channels: 48, simulatorEnd: `${device}.sim` });
});

afterAll(async () => {
  if (sim) await Promise.race([stopSim(sim), new Promise((r) => setTimeout(r, 5000))]);
  killGroup(sim);
  rmSync(dir, { recursive: true, force: true });
});

describe('dtmfguard-sim --pty', () => {
  it('keeps serving while the host closes and reopens the port 3 times; state persists across opens', async () => {
    let serial = '';
    for (let round = 0; round < 3; round++) {
      const { port, host } = await openHost();
      const hello = await host.request('HELLO', { proto: '1' });
      expect(hello.kind).toBe('ok');
      expect(hello.fields.model).toBe('DG-2T1');
      if (round === 0) serial = hello.fields.serial;
      expect(hello.fields.serial).toBe(serial); // the same board each time
      const tone = ['0', '1', '#'][round];
      expect((await host.request('SET_MASK_TONE', { tone })).fields).toEqual({ tone });
      if (round > 0) expect(hello.fields.cfg).toBe('staged'); // the previous session's staged write survived
      await close(port);
    }
    expect(sim!.exitCode).toBeNull();
  });

  it('recreates the pair at the same path if socat dies, and serves again', async () => {
    const pid = socatPid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const newPid = socatPid();
      if (!newPid || newPid === pid || !existsSync(device)) continue;
      const { port, host } = await openHost();
      try {
        answered = (await host.request('PING', {}, 2000)).kind === 'ok';
      } catch {
        /* the simulator end may still be reopening */
      }
      await close(port);
    }
    expect(answered, stderr()).toBe(true);
  });

  it('stops on SIGTERM with exit 0, ending socat and removing the device links', async () => {
    const pid = socatPid();
    expect(await stopSim(sim!)).toBe(0);
    expect(existsSync(device)).toBe(false);
    expect(existsSync(`${device}.sim`)).toBe(false);
    expect(() => process.kill(pid!, 0)).toThrow();
  });
});
