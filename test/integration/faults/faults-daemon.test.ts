/**
 * Faults as the NOC sees them: the daemon (`Daemon`, as `dtmfguard serve` runs it) watching a
 * simulator in its own process over TCP (`dtmfguard-sim --tcp 127.0.0.1:0 --rig-socket ...`);
 * faults switched through the rig socket; effects read from /healthz and /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Daemon } from '../../../src/service/daemon.ts';
import { createLogger } from '../../../src/service/logger.ts';
import { rigCall } from '../../../firmware-sim/rig/rig-client.ts';
import { parsePrometheusText } from '../../helpers/prometheus.ts';
import { SimProcess } from '../appliance/sim-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-faults-daemon-'));
const rig = join(dir, 'rig.sock');
const sim = new SimProcess(['--tcp', '127.0.0.1:0', '--rig-socket', rig, '--alarm-timing-ms', '200,800', '--reboot-delay-ms', '200']);
let daemon: Daemon;
let base: string;

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const f = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
  return f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function problems(): Promise<string[]> {
  const h = (await (await fetch(`${base}/healthz`)).json()) as { problems: Array<{ id: string }> };
  return h.problems.map((p) => p.id);
}

async function set(fault: string, value: string, scope: { span?: number; channel?: number } = {}): Promise<void> {
  const r = await rigCall(rig, { fault, value, ...scope });
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

beforeAll(async () => {
  const target = await sim.start();
  process.env.DTMFGUARD_LOCK_DIR = join(dir, 'lock');
  daemon = new Daemon({
    port: target,
    http: '127.0.0.1:0',
    socketPath: join(dir, 'ctl.sock'),
    auditLogPath: join(dir, 'audit.jsonl'),
    logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }), pretty: false }),
    pollIntervalMs: 200,
    restartAfterFailureMs: 300,
    driver: { driver: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 200, responseTimeoutMs: 300, reopenBackoffMs: 50, reopenBackoffMaxMs: 200, maxReopenAttempts: 50 } },
  });
  await daemon.start();
  base = `http://${daemon.httpAddress}`;
  await waitFor('link up', async () => (await metric('dtmfguard_link_up')) === 1);
});

afterAll(async () => {
  await daemon?.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('faults seen by the daemon', () => {
  it('dsp-stall: a critical problem for the channel and the stalled-channels gauge, until it runs again', async () => {
    await set('dsp-stall', 'on', { channel: 3 });
    await waitFor('channel 3 stalled', async () => (await problems()).includes('channel3.dsp'));
    expect(await metric('dtmfguard_dsp_stalled_channels')).toBe(1);
    await set('dsp-stall', 'off', { channel: 3 });
    await waitFor('channel 3 running', async () => !(await problems()).includes('channel3.dsp'));
  });

  it('los: the span alarm gauge goes to 1 and back to 0; ber: the CRC error counter rises', async () => {
    await set('los', 'on', { span: 2 });
    await waitFor('LOS gauge', async () => (await metric('dtmfguard_span_alarm', { span: '2', alarm: 'los' })) === 1);
    expect(await problems()).toContain('span2.los');
    await set('los', 'off', { span: 2 });
    await waitFor('LOS cleared', async () => (await metric('dtmfguard_span_alarm', { span: '2', alarm: 'los' })) === 0);
    await set('ber', '1e-5', { span: 1 });
    await waitFor('CRC errors counted', async () => ((await metric('dtmfguard_span_crc_errors_total', { span: '1' })) ?? 0) > 10);
    await set('ber', 'off', { span: 1 });
  });

  it('bypass: /healthz fails with the bypass problem', async () => {
    await set('bypass', 'on');
    await waitFor('bypass problem', async () => (await problems())[0] === 'bypass');
    expect(((await (await fetch(`${base}/healthz`)).json()) as { status: string }).status).toBe('failing');
    await set('bypass', 'off');
    await waitFor('bypass cleared', async () => !(await problems()).includes('bypass'));
  });

  it('silence: the link goes down, then comes back when the line speaks again', async () => {
    await set('silence', 'on');
    try {
      await waitFor('link down', async () => (await metric('dtmfguard_link_up')) === 0);
      expect(await problems()).toEqual(['link.down']);
    } finally {
      await set('silence', 'off');
    }
    await waitFor('link up again', async () => (await metric('dtmfguard_link_up')) === 1, 20_000);
  });
});
