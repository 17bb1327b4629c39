import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { emptySnapshot, type BoardSnapshot } from '../../../src/service/board-snapshot.ts';
import { ApplianceMetrics } from '../../../src/service/metrics.ts';
import { parsePrometheusText } from '../../helpers/prometheus.ts';

function board(): BoardSnapshot {
  const s = emptySnapshot();
  s.link = { ...s.link, state: 'ready', up: true, framesIn: 10, framesOut: 11, rttMs: 12 };
  s.identity = { model: 'DG-E1-2', serial: 'SIM0001', firmware: '1.0.0', slot: 'A', hardware: 'r1', protocol: 1, channels: 60, spans: 2, bootId: 'B00T0001' };
  s.health = { tempC: 41.5, vMainMv: 12000, v3v3Mv: 3300, vCoreMv: 1000, dspLoadPct: 37, uptimeS: 100, bypass: false };
  s.spans = [{ span: 1, type: 'e1', up: true, alarms: { los: false, lof: false, ais: false, rai: true }, counters: { cv: 100, crc_err: 5, fas_err: 1, slips: 0, es: 3, ses: 1 }, loopback: 'off', countedS: 100, epoch: 'B00T0001/0' }];
  s.channels.set(3, { secureSessions: 2, maskedDigits: 19, secure: true });
  return s;
}

describe('metrics', () => {
  it('exposes link, span, health and channel metrics in Prometheus text that a parser reads', async () => {
    const s = board();
    const m = new ApplianceMetrics(() => s);
    const families = parsePrometheusText(await m.registry.metrics());
    const value = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    expect(value('dtmfguard_link_up')).toBe(1);
    expect(value('dtmfguard_link_frames_received_total')).toBe(10);
    expect(value('dtmfguard_span_alarm', { span: '1', alarm: 'rai' })).toBe(1);
    expect(value('dtmfguard_span_alarm', { span: '1', alarm: 'los' })).toBe(0);
    expect(value('dtmfguard_board_temperature_celsius')).toBe(41.5);
    expect(value('dtmfguard_board_supply_volts', { rail: '3v3' })).toBe(3.3);
    expect(value('dtmfguard_dsp_load_ratio')).toBe(0.37);
    expect(value('dtmfguard_masked_digits_total', { channel: '3' })).toBe(19);
    expect(value('dtmfguard_device_info', { model: 'DG-E1-2', serial: 'SIM0001' })).toBe(1);
    expect(families.get('dtmfguard_span_crc_errors_total')?.type).toBe('counter');
    for (const name of families.keys()) expect(name).toMatch(/^dtmfguard_/);
  });

  it('passes promtool\'s lint of names, units and types (Prometheus naming conventions)', async () => {
    const m = new ApplianceMetrics(() => board());
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await m.registry.metrics(), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('keeps span counters increasing across a counter reset and a reboot', async () => {
    const s = board();
    const m = new ApplianceMetrics(() => s);
    const crc = async () => parsePrometheusText(await m.registry.metrics()).get('dtmfguard_span_crc_errors_total')!.samples[0].value;
    expect(await crc()).toBe(0); // history before the daemon watched is not counted
    s.spans[0].counters.crc_err = 9;
    expect(await crc()).toBe(4);
    s.spans[0].counters.crc_err = 2;
    s.spans[0].epoch = 'B00T0001/1'; // an installer reset the counters
    expect(await crc()).toBe(6);
    s.spans[0].epoch = 'B00T0002/0';
    s.spans[0].counters.crc_err = 1; // the board rebooted
    expect(await crc()).toBe(7);
  });
});
