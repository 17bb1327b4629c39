import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceClient } from '../../../src/appliance/client.ts';
import { applyConfig, TransactionError } from '../../../src/appliance/config-transaction.ts';
import { CommandError } from '../../../src/appliance/driver-errors.ts';
import { createTransport } from '../../../src/link/open-transport.ts';
import { COMMANDS, type CommandName } from '../../../src/protocol/commands.ts';
import { crcHex } from '../../../src/protocol/crc.ts';
import { SimProcess } from './sim-process.ts';

/**
 * The driver and the typed client against the simulator (`dtmfguard-sim --pty`, its own process,
 * talking through a real socat pty pair), and the `dtmfguard info` command end to end.
 */
const DTMFGUARD = new URL('../../../src/cli/bin/dtmfguard.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dg-appliance-pty-'));
const device = join(dir, 'ttyDG0');
const sim = new SimProcess(['--pty', device, '--reboot-delay-ms', '300']);
const clients: ApplianceClient[] = [];

async function connect(options: Parameters<typeof ApplianceClient.connect>[1] = {}, target: string | ReturnType<typeof createTransport> = device) {
  const c = await ApplianceClient.connect(target, options);
  clients.push(c);
  return c;
}

async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) await c.close();
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DTMFGUARD, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

beforeAll(async () => {
  expect(await sim.start()).toBe(device);
});

afterAll(async () => {
  await closeAll();
  sim.signal('SIGCONT');
  await sim.stop();
  await sim.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('dtmfguard info over a pty', () => {
  it('prints identity, firmware, profile, uptime and link statistics as JSON (port from DTMFGUARD_PORT)', async () => {
    const r = await runCli(['info', '--json'], { DTMFGUARD_PORT: device });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      port: device,
      identity: { model: 'DG-2E1' },
      firmware: { slot: 'A' },
      protocol: 1,
      profile: { channels: 60, spans: 2, maxFrameBytes: 1024 },
      config: { state: 'clean' },
      link: { crcErrors: 0, timeouts: 0, state: 'ready' },
    });
    expect(info.firmware.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.uptimeS).toBeGreaterThanOrEqual(0);
    expect(info.link.framesOut).toBe(info.link.framesIn);
  });

  it('prints a readable summary with --port', async () => {
    const r = await runCli(['info', '--port', device]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^appliance {3}DG-2E1 {2}serial \S+/);
    expect(r.stdout).toMatch(/\nlink {8}\S+: frames in 4 out 4, CRC errors 0, NAKs sent 0 received 0, timeouts 0/);
  });

  it('exits 3 with one clear line when nothing answers on the port', async () => {
    // A pty pair with nobody on the other end: the open succeeds, HELLO is never answered.
    const silent = join(dir, 'ttySILENT');
    const socat = spawn('socat', [`pty,raw,echo=0,link=${silent}`, `pty,raw,echo=0,link=${silent}.other`], { stdio: 'ignore' });
    try {
      await until(() => existsSync(silent), 5000, 'socat');
      const r = await runCli(['info', '--port', silent]);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^DG1201: nothing answered on \S+ \(DG1203: response timeout after 1000 ms \(HELLO \d+, 3 attempts\)\): check that the appliance is powered/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      socat.kill('SIGTERM');
    }
  });
});

describe('ApplianceClient against the simulator', () => {
  it('runs every command of the catalogue', async () => {
    const c = await connect();
    const seen = new Set<CommandName>();
    const ok = async <T>(name: CommandName, p: Promise<T>): Promise<T> => {
      seen.add(name);
      return p;
    };
    /** A command the board may refuse on this model or in this state: the refusal is typed. */
    const refused = async (name: CommandName, p: Promise<unknown>, boardErr: RegExp) => {
      seen.add(name);
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e, name).toBeInstanceOf(CommandError);
      expect((e as CommandError).message, name).toMatch(boardErr);
    };
    expect((await ok('HELLO', c.call('HELLO', { proto: 1 }))).model).toBe('DG-2E1');
    expect((await ok('PING', c.ping())).boot_id).toMatch(/^[0-9A-F]{8}$/);
    expect(await ok('SET_MASK_TONE', c.setMaskTone('0'))).toEqual({ tone: '0' });
    expect(await ok('GET_MASK_TONE', c.getMaskTone('staged'))).toEqual({ tone: '0', view: 'staged' });
    expect(await ok('SET_TRIGGER', c.setTrigger('*8'))).toEqual({ code: '*8' });
    expect((await ok('GET_TRIGGER', c.getTrigger())).view).toBe('running');
    expect(await ok('CFG_STATUS', c.cfgStatus())).toMatchObject({ cfg: 'staged' });
    expect((await ok('CFG_ROLLBACK', c.cfgRollback())).discarded.sort()).toEqual(['mask_tone', 'trigger']);
    expect(await ok('SET_SECURE', c.setSecure(7, true))).toEqual({ ch: 7, state: true });
    expect(await ok('GET_SECURE', c.getSecure(7))).toMatchObject({ ch: 7, state: true });
    expect((await ok('GET_SECURE_SUMMARY', c.getSecureSummary())).on).toContain(7);
    await ok('SET_SPAN_CONFIG', c.setSpanConfig({ span: 1, framing: 'no-crc4', line_code: 'hdb3', lbo: 0, clock: 'internal' }));
    expect(await ok('GET_SPAN_CONFIG', c.getSpanConfig(1, 'staged'))).toMatchObject({ framing: 'no-crc4', clock: 'internal' });
    const commit = await ok('CFG_COMMIT', c.cfgCommit());
    expect(commit.changed).toEqual(['span1']);
    expect((await ok('GET_SPAN_STATUS', c.getSpanStatus(1))).type).toBe('e1');
    expect(await ok('RESET_COUNTERS', c.resetCounters(1))).toEqual({ span: 1 });
    expect(await ok('SET_LOOPBACK', c.setLoopback(2, 'local'))).toEqual({ span: 2, mode: 'local' });
    await c.setLoopback(2, 'off');
    expect((await ok('GET_HEALTH', c.getHealth())).dsp_load_pct).toBeGreaterThanOrEqual(0);
    // A dual-E1 model has no SIP edge (§11: ERR unsupported).
    await refused('GET_SIP', c.getSip(), /^DG1205: .*error 3 unsupported/);
    await refused('SET_SIP', c.setSip({ listen: '0.0.0.0:5004', forward: '192.0.2.1:5004', pt_pcmu: 0, pt_pcma: 8, pt_event: 101 }), /^DG1205: .*error 3 unsupported/);
    expect((await ok('FW_SLOTS', c.fwSlots())).active).toBe('A');
    // Firmware transfer of an unsigned image (named fixture: 16 bytes 00..0F): chunks go in,
    // the signature check refuses it at FW_END.
    const image = Uint8Array.from({ length: 16 }, (_, i) => i);
    const sha256 = createHash('sha256').update(image).digest('hex');
    expect(await ok('FW_BEGIN', c.fwBegin({ slot: 'B', size: image.length, sha256 }))).toMatchObject({ slot: 'B', next_offset: 0 });
    expect(await ok('FW_CHUNK', c.fwChunk({ slot: 'B', offset: 0, crc: crcHex(image), data: image }))).toEqual({ slot: 'B', next_offset: 16 });
    expect((await ok('FW_STATUS', c.fwStatus())).next_offset).toBe(16);
    await refused('FW_END', c.fwEnd('B'), /^DG1205: .*error (9|10) image-(hash|signature)/);
    expect(await ok('FW_ABORT', c.fwAbort())).toEqual({ state: 'idle' });
    await refused('FW_ACTIVATE', c.fwActivate('B'), /^DG1205: .*error (6|12) (slot-empty|bad-state)/);
    // REBOOT last: the board goes silent, boots, and the client re-reads its state on BOOT.
    const rebooted = new Promise<void>((resolve) => c.once('state', () => resolve()));
    expect(await ok('REBOOT', c.reboot())).toEqual({});
    await rebooted;
    expect(c.state.secureOn).toEqual([]); // secure mode does not survive a reboot
    expect((await c.getSpanConfig(1)).framing).toBe('no-crc4'); // committed configuration does
    expect([...seen].sort()).toEqual((Object.keys(COMMANDS) as CommandName[]).sort());
    expect(c.stats()).toMatchObject({ crcErrors: 0, naksReceived: 0, timeouts: 0 });
    await closeAll();
  });

  it('runs a thousand commands in a row without a retry', async () => {
    const c = await connect();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) await c.getSpanStatus(1 + (i % 2));
      else if (i % 3 === 1) await c.setSecure(1 + (i % 60), i % 2 === 0);
      else await c.ping();
    }
    const ms = performance.now() - t0;
    const s = c.stats();
    expect(s.commandsOk).toBeGreaterThanOrEqual(1000);
    expect(s).toMatchObject({ retries: 0, timeouts: 0, crcErrors: 0, staleResponses: 0, commandsFailed: 0 });
    // Not a performance assertion (that is the benchmark's job): a sanity bound on a slow CI.
    expect(ms).toBeLessThan(50_000);
    console.log(`1000 commands over the pty in ${ms.toFixed(0)} ms, mean round trip ${s.rtt.meanMs.toFixed(2)} ms`);
    await closeAll();
  });

  it('recovers by itself when the simulator is killed and started again', async () => {
    const c = await connect({ driver: { reopenBackoffMs: 200, reopenBackoffMaxMs: 1000, maxReopenAttempts: 60, heartbeatIntervalMs: 500, heartbeatTimeoutMs: 300 } });
    const bootBefore = c.hello.boot_id;
    const states: string[] = [];
    c.on('link', (s: { state: string }) => states.push(s.state));
    const reconnected = new Promise((r) => c.driver.once('reconnected', r));
    await sim.kill('SIGKILL');
    await until(() => c.linkState === 'recovering', 10_000, 'the driver to notice the loss');
    // A command issued while the board is gone waits for the reconnect (idempotent: kept).
    const pending = c.getMaskTone();
    await sim.start();
    await reconnected;
    expect(c.linkState).toBe('ready');
    expect(c.hello.boot_id).not.toBe(bootBefore);
    expect((await pending).tone).toMatch(/^[#01]$/);
    const s = c.stats();
    expect(s.reconnects).toBe(1);
    expect(s.failedReopens).toBeGreaterThanOrEqual(1); // the port was gone for a while: reopening failed first
    expect(states).toContain('recovering');
    expect(states.at(-1)).toBe('ready');
    await closeAll();
  });

  it('leaves the board on its old configuration when a transaction is cut off by a hung link', async () => {
    const before = await connect();
    const tone = (await before.getMaskTone()).tone;
    const trigger = (await before.getTrigger()).code;
    await closeAll();
    const newTone = tone === '0' ? '1' : '0';
    // The board hangs (SIGSTOP) just as the second staging command goes out.
    const transport = createTransport(device);
    const write = transport.write.bind(transport);
    let hung = false;
    transport.write = async (bytes: Uint8Array) => {
      if (!hung && Buffer.from(bytes).includes('SET_TRIGGER')) {
        hung = true;
        sim.signal('SIGSTOP');
      }
      return write(bytes);
    };
    const c = await connect(
      { driver: { responseTimeoutMs: 300, maxAttempts: 2, failuresBeforeResync: 1, failuresBeforeReopen: 2, maxReopenAttempts: 2, reopenBackoffMs: 100, reopenBackoffMaxMs: 200 } },
      transport,
    );
    const e = await applyConfig(c, { maskTone: newTone, trigger: '*55' }).then(() => undefined, (x: unknown) => x);
    expect(hung).toBe(true);
    expect(e).toBeInstanceOf(TransactionError);
    expect((e as TransactionError).stage).toBe('stage');
    expect((e as TransactionError).message).toMatch(/^DG1303: stage failed: .*the running settings are unchanged/);
    expect(c.linkState).toBe('failed');
    await closeAll();
    sim.signal('SIGCONT');
    // A new host finds the old values running and the cut-off change only staged.
    const after = await connect();
    expect((await after.getMaskTone()).tone).toBe(tone);
    expect((await after.getTrigger()).code).toBe(trigger);
    expect(after.state.cfg.cfg).toBe('staged');
    // The next transaction discards the leftover before applying its own change.
    const r = await applyConfig(after, { trigger: '*9' });
    expect(r.discardedLeftover).toContain('mask_tone');
    expect((await after.getMaskTone()).tone).toBe(tone);
    expect((await after.getTrigger()).code).toBe('*9');
  });
});

// socat must be installed for these tests (scripts/setup.sh installs it).
if (spawnSync('socat', ['-V']).status !== 0) throw new Error('socat is not installed: run scripts/setup.sh');
