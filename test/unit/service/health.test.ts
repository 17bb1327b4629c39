import { describe, expect, it } from 'vitest';
import { emptySnapshot, type BoardSnapshot } from '../../../src/service/board-snapshot.ts';
import { evaluateProblems, trackProblems } from '../../../src/service/health.ts';

function healthy(): BoardSnapshot {
  const s = emptySnapshot();
  s.link = { ...s.link, up: true, state: 'ready' };
  s.health = { tempC: 40, vMainMv: 12000, v3v3Mv: 3300, vCoreMv: 1000, dspLoadPct: 20, uptimeS: 10, bypass: false };
  s.spans = [{ span: 1, type: 't1', up: true, alarms: { los: false, lof: false, ais: false, rai: false }, counters: { cv: 0, crc_err: 0, fas_err: 0, slips: 0, es: 0, ses: 0 }, loopback: 'off', countedS: 600, epoch: 'b/0' }];
  return s;
}

describe('health evaluation', () => {
  it('finds nothing wrong on a healthy board', () => {
    expect(evaluateProblems(healthy())).toEqual([]);
  });

  it('grades alarms by colour: red and blue critical, yellow warning', () => {
    const s = healthy();
    s.spans[0].alarms = { los: true, lof: false, ais: true, rai: true };
    const p = evaluateProblems(s);
    expect(p.map((x) => [x.id, x.severity])).toEqual([['span1.los', 'critical'], ['span1.ais', 'critical'], ['span1.rai', 'warning']]);
  });

  it('reports bypass, a stalled DSP and a down link as critical', () => {
    const s = healthy();
    s.health!.bypass = true;
    s.channels.set(7, { secure: false, secureSessions: 0, maskedDigits: 0, dspStalled: true });
    expect(evaluateProblems(s).map((x) => x.id)).toEqual(['bypass', 'channel7.dsp']);
    s.link = { ...s.link, up: false, state: 'failed' };
    expect(evaluateProblems(s)).toEqual([{ id: 'link.down', severity: 'critical', what: expect.stringMatching(/gave up/) }]);
  });

  it('applies thresholds to temperature and error rates', () => {
    const s = healthy();
    s.health!.tempC = 65;
    s.spans[0].counters.crc_err = 200; // 20 per minute over 10 minutes
    expect(evaluateProblems(s).map((x) => [x.id, x.severity])).toEqual([['span1.crc', 'warning'], ['temperature', 'warning']]);
    s.health!.tempC = 75;
    expect(evaluateProblems(s).find((x) => x.id === 'temperature')?.severity).toBe('critical');
  });

  it('grades supply rails against their nominal voltage (±5% warning, ±10% critical)', () => {
    const s = healthy();
    s.health!.vMainMv = 11300; // -5.8%
    expect(evaluateProblems(s).map((x) => [x.id, x.severity])).toEqual([['supply.main', 'warning']]);
    s.health!.v3v3Mv = 2900; // -12%
    expect(evaluateProblems(s).find((x) => x.id === 'supply.3v3')?.severity).toBe('critical');
  });

  it('tracks since when each problem holds and what was raised and cleared', () => {
    const since = new Map<string, string>();
    const los = { id: 'span1.los', severity: 'critical' as const, what: 'x' };
    expect(trackProblems(since, [los], 't1')).toEqual({ raised: [los], cleared: [] });
    expect(trackProblems(since, [los], 't2')).toEqual({ raised: [], cleared: [] });
    expect(since.get('span1.los')).toBe('t1');
    expect(trackProblems(since, [], 't3')).toEqual({ raised: [], cleared: ['span1.los'] });
  });
});
