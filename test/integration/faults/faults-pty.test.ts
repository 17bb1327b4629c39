/**
 * Every fault as the host sees it: the simulator in its own process (`dtmfguard-sim --pty ...
 * --rig-socket ...`, a real socat pty pair), faults switched at run time with the real
 * `dtmfguard-sim fault` command (or, where many switches are needed, the same rig socket request it
 * sends), and their effects read through the real protocol: `dtmfguard spans`, `dtmfguard check`
 * and the ApplianceClient. Span alarm persistence is shortened to 300 ms / 1000 ms
 * (`--alarm-timing-ms`) so LOS declared-then-cleared takes about a second, not 12.5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceClient, type ApplianceEvent } from '../../../src/appliance/client.ts';
import { rigCall } from '../../../firmware-sim/rig/rig-client.ts';
import { SimProcess } from '../appliance/sim-process.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DTMFGUARD = join(ROOT, 'src/cli/bin/dtmfguard.mjs');
const DTMFGUARD_SIM = join(ROOT, 'firmware-sim/bin/dtmfguard-sim.mjs');
const dir = mkdtempSync(join(tmpdir(), 'dg-faults-'));
const tty = join(dir, 'ttyDG0');
const rig = join(dir, 'rig.sock');
const DECLARE_MS = 300;
const CLEAR_MS = 1000;
const sim = new SimProcess(['--pty', tty, '--rig-socket', rig, '--alarm-timing-ms', `${DECLARE_MS},${CLEAR_MS}`, '--reboot-delay-ms', '300', '--fault', 'slip=off']);

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, DTMFGUARD_RUN_DIR: dir, DTMFGUARD_LOCK_DIR: dir, DTMFGUARD_PORT: tty },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `dtmfguard-sim fault --rig-socket RIG ...`, expected to succeed. */
async function fault(...args: string[]): Promise<string> {
  const r = await run(DTMFGUARD_SIM, ['fault', '--rig-socket', rig, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The same request `dtmfguard-sim fault` sends, without starting a process. */
async function rigSet(name: string, value: string, scope: { span?: number; channel?: number } = {}): Promise<void> {
  const r = await rigCall(rig, { fault: name, value, ...scope });
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

/** Runs `fn` with a fault switched on, and always switches it off again (a failed test must not poison the next). */
async function withFault(name: string, value: string, fn: () => Promise<unknown>, viaCli = false): Promise<void> {
  if (viaCli) await fault(name, value);
  else await rigSet(name, value);
  try {
    await fn();
  } finally {
    await rigSet(name, 'off');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  expect(await sim.start()).toBe(tty);
});
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('faults seen by the dtmfguard commands', () => {
  it('fault list shows every fault; bad values and unreachable sockets give the contract exit codes', async () => {
    const list = JSON.parse(await fault('list', '--json')) as { faults: Array<{ fault: string; value: string; span?: number }> };
    expect(list.faults.map((f) => f.fault)).toEqual(expect.arrayContaining(['corrupt', 'drop', 'latency', 'silence', 'reset', 'dsp-stall', 'overheat', 'voltage', 'bypass', 'reboot', 'los', 'lof', 'ais', 'rai', 'ber', 'slip']));
    expect(list.faults.every((f) => f.value === 'off')).toBe(true);
    const bad = await run(DTMFGUARD_SIM, ['fault', '--rig-socket', rig, 'ber', '2', '--span', '1']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, expect.stringMatching(/^DG5902: fault ber: bad value "2"/)]);
    const gone = await run(DTMFGUARD_SIM, ['fault', '--rig-socket', join(dir, 'nobody'), 'los', 'on']);
    expect([gone.code, gone.stderr]).toEqual([3, expect.stringMatching(/^DG5909: /)]);
  });

  it('los on: dtmfguard spans and check see LOS after the integration time; los off: cleared after the clear time', async () => {
    expect(await fault('los', 'on', '--span', '1')).toBe('los span 1: on\nlos span 2: off\n');
    const t0 = Date.now();
    const spans = await until('LOS on span 1', async () => {
      const r = await run(DTMFGUARD, ['spans', '--json']);
      const s = JSON.parse(r.stdout) as Array<{ span: number; los: boolean; state: string }>;
      return s[0].los && s;
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(DECLARE_MS);
    expect(spans.map((s) => [s.span, s.state, s.los])).toEqual([[1, 'down', true], [2, 'up', false]]);
    const check = await run(DTMFGUARD, ['check']);
    expect(check.stdout).toMatch(/^DTMFGUARD CRITICAL - span 1 LOS \(red alarm/);
    expect(check.code).toBe(2);
    await fault('los', 'off', '--span', '1');
    const t1 = Date.now();
    // Still raised within the clear time (the alarm persists, G.806 / T1.231)...
    const early = JSON.parse((await run(DTMFGUARD, ['spans', '--json'])).stdout) as Array<{ los: boolean }>;
    if (Date.now() - t1 < CLEAR_MS - 100) expect(early[0].los).toBe(true);
    // ...and cleared after it.
    await until('LOS cleared', async () => !(JSON.parse((await run(DTMFGUARD, ['spans', '--json'])).stdout) as Array<{ los: boolean }>)[0].los);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(CLEAR_MS);
    expect((await run(DTMFGUARD, ['check'])).code).toBe(0);
  });

  it('bypass on: check is CRITICAL (calls pass unmasked); overheat: CRITICAL temperature; off: OK again', async () => {
    await fault('bypass', 'on');
    const b = await run(DTMFGUARD, ['check']);
    expect(b.stdout).toMatch(/^DTMFGUARD CRITICAL - bypass relay engaged: calls pass UNMASKED/);
    expect(b.code).toBe(2);
    await fault('bypass', 'off');
    await fault('overheat', 'on');
    const h = await run(DTMFGUARD, ['check']);
    expect(h.stdout).toMatch(/^DTMFGUARD CRITICAL - board temperature 85 °C \| temperature=85;60;70/);
    await fault('overheat', '65');
    expect((await run(DTMFGUARD, ['check'])).code).toBe(1);
    await fault('overheat', 'off');
    expect((await run(DTMFGUARD, ['check'])).code).toBe(0);
  });
});

describe('faults seen by the appliance client', () => {
  let client: ApplianceClient;
  const events: ApplianceEvent[] = [];
  const links: string[] = [];
  const seen = (name: string, pred: (d: Record<string, unknown>) => boolean = () => true) =>
    until(`EVT ${name}`, () => events.find((e) => e.name === name && pred(e.data as Record<string, unknown>)));

  beforeAll(async () => {
    client = await ApplianceClient.connect(tty, {
      // Tolerant of a corrupted line (as scripts/bench-control.ts), quick to see a silent one.
      driver: { maxAttempts: 20, responseTimeoutMs: 250, failuresBeforeResync: 6, failuresBeforeReopen: 12, heartbeatIntervalMs: 300, heartbeatTimeoutMs: 250, reopenBackoffMs: 100, reopenBackoffMaxMs: 500, maxReopenAttempts: 100 },
    });
    client.on('event', (e: ApplianceEvent) => events.push(e));
    client.on('link', (s: { state: string }) => links.push(s.state));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('dsp-stall: EVT DSP stalled, then ok', async () => {
    await fault('dsp-stall', 'on', '--channel', '3');
    expect((await seen('DSP')).data).toEqual({ ch: 3, state: 'stalled' });
    await rigSet('dsp-stall', 'off', { channel: 3 });
    await seen('DSP', (d) => d.state === 'ok');
  });

  it('lof, ais, rai: EVT ALARM with the alarm named for its cause, raised and cleared', async () => {
    for (const [f, alarm] of [['lof', 'lof'], ['ais', 'ais'], ['rai', 'rai']] as const) {
      await rigSet(f, 'on', { span: 2 });
      await seen('ALARM', (d) => d.span === 2 && d.alarm === alarm && d.state === true);
      expect((await client.getSpanStatus(2))[alarm]).toBe(true);
      await rigSet(f, 'off', { span: 2 });
      await seen('ALARM', (d) => d.span === 2 && d.alarm === alarm && d.state === false);
    }
  });

  it('ber: CV, CRC-4 and FAS errors and errored seconds rise; slip: slips rise; RESET_COUNTERS clears', async () => {
    await client.resetCounters(2);
    await fault('ber', '1e-4', '--span', '2');
    await fault('slip', '20', '--span', '1');
    await sleep(2200);
    await rigSet('ber', 'off', { span: 2 });
    await rigSet('slip', 'off', { span: 1 });
    const s2 = await client.getSpanStatus(2);
    expect(s2.cv).toBeGreaterThan(100);
    expect(s2.crc_err).toBeGreaterThan(50);
    expect(s2.es).toBeGreaterThanOrEqual(1);
    expect((await client.getSpanStatus(1)).slips).toBeGreaterThanOrEqual(20);
    await client.resetCounters(2);
    expect((await client.getSpanStatus(2)).cv).toBe(0);
  });

  it('a local loopback keeps a line LOS from the host; line loopback does not', async () => {
    await client.setLoopback(1, 'local');
    await rigSet('los', 'on', { span: 1 });
    await sleep(DECLARE_MS * 3);
    expect((await client.getSpanStatus(1)).los).toBe(false);
    await client.setLoopback(1, 'line');
    await seen('ALARM', (d) => d.span === 1 && d.alarm === 'los' && d.state === true);
    // The rig sees both ends: the far end gets the dead line looped back to it, so it loses signal too.
    const rep = JSON.parse(await fault('spans', '--span', '1', '--json')) as { spans: Array<{ loopback: string; faults: { los: boolean }; near: { defects: { los: boolean } }; far: { defects: { los: boolean } } }> };
    expect(rep.spans[0]).toMatchObject({ loopback: 'line', faults: { los: true }, near: { defects: { los: true } }, far: { defects: { los: true } } });
    await rigSet('los', 'off', { span: 1 });
    await client.setLoopback(1, 'off');
    await seen('ALARM', (d) => d.span === 1 && d.alarm === 'los' && d.state === false);
  });

  it('voltage low: the main rail reads 15 % low in GET_HEALTH', async () => {
    await fault('voltage', 'low');
    expect((await client.getHealth()).v_main_mv).toBe(10200);
    await rigSet('voltage', 'off');
    expect((await client.getHealth()).v_main_mv).toBe(12000);
  });

  it('corrupt 0.01: the host counts CRC errors and NAKs, and every command still succeeds', async () => {
    const before = client.stats();
    await withFault('corrupt', '0.01', async () => {
      // PING: short frames both ways (about 70 bytes per exchange, half of the exchanges damaged).
      for (let i = 0; i < 40; i++) expect((await client.ping()).boot_id).toBe(client.hello.boot_id);
    }, true);
    const after = client.stats();
    expect(after.crcErrors + after.badFrames - before.crcErrors - before.badFrames).toBeGreaterThan(0);
    expect(after.naksReceived - before.naksReceived).toBeGreaterThan(0);
    expect(after.retries).toBeGreaterThan(before.retries);
  });

  it('drop 0.005: lost bytes become timeouts, NAKs and retries; commands still succeed', async () => {
    const before = client.stats();
    await withFault('drop', '0.005', async () => {
      for (let i = 0; i < 30; i++) await client.ping();
    });
    const after = client.stats();
    expect(after.retries).toBeGreaterThan(before.retries);
    expect(after.timeouts + after.naksReceived + after.crcErrors + after.badFrames).toBeGreaterThan(before.timeouts + before.naksReceived + before.crcErrors + before.badFrames);
  });

  it('latency 200: the round trip takes both delays', async () => {
    // Timed here: the driver's own RTT restarts at each retry (its 250 ms timeout is below 400 ms).
    const timed = async () => {
      const t = performance.now();
      await client.ping();
      return performance.now() - t;
    };
    await withFault('latency', '200', async () => {
      expect(await timed()).toBeGreaterThanOrEqual(400);
    }, true);
    expect(await timed()).toBeLessThan(200);
  });

  it('silence on: the heartbeat declares the link down; silence off: it recovers', async () => {
    links.length = 0;
    await withFault('silence', 'on', () => until('link not ready', () => client.linkState !== 'ready'), true);
    await until('link ready again', () => client.linkState === 'ready', 20_000);
    expect(links[0]).not.toBe('ready');
    expect((await client.ping()).uptime_s).toBeGreaterThanOrEqual(0);
  });

  it('reboot: EVT BOOT reason=watchdog, the client sees a new boot id', async () => {
    const before = (await client.ping()).boot_id;
    await fault('reboot', 'on');
    const boot = await seen('BOOT', (d) => d.reason === 'watchdog');
    expect((boot.data as { boot_id: string }).boot_id).not.toBe(before);
    expect((await client.ping()).boot_id).toBe((boot.data as { boot_id: string }).boot_id);
  });

  it('reset on: the next command is cut mid-line, the board boots (reason=power) and the retried command succeeds', async () => {
    await fault('reset', 'on');
    expect((await client.getHealth()).bypass).toBe(false);
    await seen('BOOT', (d) => d.reason === 'power');
    const list = JSON.parse(await fault('list', '--json')) as { faults: Array<{ fault: string; value: string }> };
    expect(list.faults.find((f) => f.fault === 'reset')?.value).toBe('off');
  });
});

describe('faults from the simulator command line', () => {
  it('--fault starts a TCP simulator with faults switched: check sees bypass and the temperature', async () => {
    const tcpSim = new SimProcess(['--tcp', '127.0.0.1:0', '--fault', 'bypass=on', '--fault', 'overheat=65', '--fault', 'rai=on,span=1', '--alarm-timing-ms', '100,1000']);
    try {
      const target = await tcpSim.start();
      expect(target).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      await sleep(500);
      const r = await run(DTMFGUARD, ['check', '--port', target]);
      expect(r.stdout).toMatch(/^DTMFGUARD CRITICAL - bypass relay engaged: calls pass UNMASKED; span 1 RAI \(yellow alarm.*; board temperature 65 °C/);
      expect(r.code).toBe(2);
    } finally {
      await tcpSim.stop();
    }
  });

  it('a bad --fault is a usage error (exit 2) before anything starts', async () => {
    for (const [arg, code] of [['los', 'DG5905'], ['cable=cut', 'DG5901'], ['ber=3', 'DG5902'], ['dsp-stall=on', 'DG5903']]) {
      const r = await run(DTMFGUARD_SIM, ['--tcp', '127.0.0.1:0', '--fault', arg]);
      expect([r.code, r.stderr.trim()]).toEqual([2, expect.stringMatching(new RegExp(`^${code}: `))]);
    }
  });
});
