import { describe, expect, it } from 'vitest';
import { alerts, formatPerfDatum, formatStatusLine, parseRange, worst } from '../../../src/service/nagios.ts';

describe('Nagios ranges (Monitoring Plugins guidelines)', () => {
  it.each([
    ['10', [-1, 11], [0, 10]],
    ['10:', [9], [10, 1e9]],
    ['~:10', [11], [-1e9, 10]],
    ['10:20', [9, 21], [10, 20]],
    ['@10:20', [10, 15, 20], [9, 21]],
  ])('%s alerts on %j and not on %j', (text, alerting, fine) => {
    const r = parseRange(text);
    for (const v of alerting) expect(alerts(r, v), `${v}`).toBe(true);
    for (const v of fine) expect(alerts(r, v), `${v}`).toBe(false);
  });

  it('refuses malformed ranges with a code', () => {
    for (const bad of ['', 'abc', '20:10', '1:x']) expect(() => parseRange(bad)).toThrow(/DG4101/);
  });
});

describe('status line and perfdata', () => {
  it('formats the status line with perfdata in the plugin format', () => {
    const line = formatStatusLine('DTMFGUARD', 'WARNING', 'span 1 RAI (yellow alarm)', [
      { label: 'temperature', value: 61.5, uom: '', warn: parseRange('60'), crit: parseRange('70'), min: 0 },
      { label: 'span 1 crc errors', value: 12, uom: 'c' },
      { label: 'dsp_load', value: 37, uom: '%', min: 0, max: 100 },
    ]);
    expect(line).toBe("DTMFGUARD WARNING - span 1 RAI (yellow alarm) | temperature=61.5;60;70;0 'span 1 crc errors'=12c dsp_load=37%;;;0;100");
  });

  it('keeps the text on one line and out of the perfdata', () => {
    expect(formatStatusLine('X', 'OK', 'a|b\nc')).toBe('X OK - a b c');
    expect(formatPerfDatum({ label: "it's", value: 1 })).toBe("'it''s'=1");
  });

  it('ranks states', () => {
    expect(worst(['OK', 'WARNING'])).toBe('WARNING');
    expect(worst(['WARNING', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worst(['UNKNOWN', 'CRITICAL', 'OK'])).toBe('CRITICAL');
    expect(worst([])).toBe('OK');
  });
});
