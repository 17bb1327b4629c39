// The daemon against the simulated board over a real TCP connection on loopback (the way a console
// server carries the serial line): metrics scraped and parsed, alarms raised and cleared in the log,
// changes through the control socket audited with the caller's identity, the link cut and restored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { DeviceServer } from '../../../firmware-sim/server/device-server.ts';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { readAuditEntries, verifyAuditLog } from '../../../src/service/audit-log.ts';
import { ControlClient } from '../../../src/service/control-socket.ts';
import { Daemon } from '../../../src/service/daemon.ts';
import { createLogger } from '../../../src/service/logger.ts';
import { parsePrometheusText } from '../../helpers/prometheus.ts';
import { waitFor } from '../../helpers/sim-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-daemon-'));
const board = createBoard(loadProfile(shippedProfilePath('dual-e1')));
const device = new DeviceServer(board, { rebootDelayMs: 100, countersIntervalMs: 0, healthIntervalMs: 0 });
const sockets = new Set<net.Socket>();
const tcp = net.createServer((s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  device.attach(s);
});
let accepting = true;
const logLines: Array<Record<string, unknown>> = [];
let daemon: Daemon;
let base: string;


async function scrape() {
  return parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
}

function sample(f: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) {
  return f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

beforeAll(async () => {
  process.env.DTMFGUARD_LOCK_DIR = join(dir, 'lock');
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as net.AddressInfo).port;
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) logLines.push(JSON.parse(l));
      cb();
    },
  });
  daemon = new Daemon({
    port: `tcp://127.0.0.1:${port}`,
    http: '127.0.0.1:0',
    socketPath: join(dir, 'ctl.sock'),
    auditLogPath: join(dir, 'audit.jsonl'),
    logger: createLogger({ destination, pretty: false }),
    pollIntervalMs: 200,
    restartAfterFailureMs: 300,
    driver: { driver: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 200, responseTimeoutMs: 300, reopenBackoffMs: 50, reopenBackoffMaxMs: 200, maxReopenAttempts: 3 } },
  });
  await daemon.start();
  base = `http://${daemon.httpAddress}`;
  await waitFor('link up', async () => sample(await scrape(), 'dtmfguard_link_up') === 1);
});

afterAll(async () => {
  await daemon?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => tcp.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon', () => {
  it('exposes identity, link, spans and health as Prometheus metrics', async () => {
    const f = await waitFor('spans polled', async () => {
      const m = await scrape();
      return sample(m, 'dtmfguard_span_up', { span: '2' }) !== undefined && m;
    });
    expect(sample(f, 'dtmfguard_device_info', { serial: board.serial })).toBe(1);
    expect(sample(f, 'dtmfguard_span_alarm', { span: '1', alarm: 'los' })).toBe(0);
    expect(sample(f, 'dtmfguard_board_temperature_celsius')).toBeGreaterThan(0);
    expect(sample(f, 'dtmfguard_link_frames_received_total')).toBeGreaterThan(0);
    expect(f.get('dtmfguard_span_crc_errors_total')?.type).toBe('counter');
  });

  it('raises and clears an alarm: gauge, /healthz with since, and log events with severity', async () => {
    board.setAlarm(1, 'los', true);
    await waitFor('LOS gauge', async () => sample(await scrape(), 'dtmfguard_span_alarm', { span: '1', alarm: 'los' }) === 1);
    const health = await (await fetch(`${base}/healthz`)).json();
    expect(health.status).toBe('failing');
    expect(health.problems[0]).toMatchObject({ id: 'span1.los', severity: 'critical', since: expect.stringMatching(/^\d{4}-/) });
    board.setAlarm(1, 'los', false);
    await waitFor('LOS cleared', async () => sample(await scrape(), 'dtmfguard_span_alarm', { span: '1', alarm: 'los' }) === 0);
    expect(logLines.find((l) => l.event === 'alarm.raised' && l.alarm === 'span1.los')).toMatchObject({ level: 'error', severity: 'critical' });
    await waitFor('clear logged', () => logLines.find((l) => l.event === 'alarm.cleared' && l.alarm === 'span1.los'));
  });

  it('keeps span counters increasing across a counter reset made through the daemon', async () => {
    board.addCounters(1, { crc_err: 7 });
    await waitFor('7 CRC errors', async () => sample(await scrape(), 'dtmfguard_span_crc_errors_total', { span: '1' }) === 7);
    const client = await ControlClient.connect(daemon.socketPath);
    await client.call('counters.reset', { spans: [1] });
    board.addCounters(1, { crc_err: 2 });
    await waitFor('9 CRC errors', async () => sample(await scrape(), 'dtmfguard_span_crc_errors_total', { span: '1' }) === 9);
    client.close();
  });

  it('applies a change from the control socket and audits it with the caller from the kernel', async () => {
    const client = await ControlClient.connect(daemon.socketPath);
    const r = await client.call<{ version: number }>('mask-tone.set', { tone: '0' });
    client.close();
    expect(board.maskTone).toBe('0');
    expect(r.version).toBeGreaterThan(0);
    const entries = readAuditEntries(join(dir, 'audit.jsonl'));
    expect(entries.find((e) => e.action === 'config.apply')).toMatchObject({ who: userInfo().username, origin: `cli:pid ${process.pid}`, result: 'ok', details: { change: { maskTone: '0' } } });
    expect(verifyAuditLog(join(dir, 'audit.jsonl'))).toMatchObject({ ok: true });
  });

  it('refuses state changes over HTTP', async () => {
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('survives the appliance disappearing and returning', async () => {
    accepting = false;
    tcp.close();
    for (const s of sockets) s.destroy();
    await waitFor('link down', async () => sample(await scrape(), 'dtmfguard_link_up') === 0);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const port = Number(daemon['opts'].port.split(':').pop());
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
    accepting = true;
    await waitFor('link back', async () => sample(await scrape(), 'dtmfguard_link_up') === 1, 30000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(accepting).toBe(true);
  });
});
