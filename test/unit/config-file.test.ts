import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromConfigChange, parseConfigData } from '../../src/config/config-file.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('configuration file', () => {
  it('turns a file into absolute settings and back', () => {
    const file = { maskTone: '0', triggerCode: '*7', spans: [{ span: 2, framing: 'esf', lineCode: 'b8zs', lbo: 3, clock: 'internal' }] };
    const { change, kind } = parseConfigData(file, 'f.json');
    expect(kind).toBe('config');
    expect(change).toEqual({ maskTone: '0', trigger: '*7', spans: [{ span: 2, framing: 'esf', line_code: 'b8zs', lbo: 3, clock: 'internal' }] });
    expect(fromConfigChange(change)).toEqual(file);
  });

  it('takes a hardware profile: its defaults and interface settings', () => {
    const profile = JSON.parse(readFileSync(join(ROOT, 'hardware-profiles/sip-edge.json'), 'utf8'));
    const { change, kind } = parseConfigData(profile, 'sip-edge.json');
    expect(kind).toBe('profile');
    expect(change.maskTone).toBe(profile.defaults.maskTone);
    expect(change.sip?.pt_event).toBe(profile.interfaces.sip.ptEvent);
    expect(change.spans).toBeUndefined();
  });

  it('points at the bad field', () => {
    expect(() => parseConfigData({ maskTone: '5' }, 'a.json')).toThrow(/DG3202: a.json: field maskTone: /);
    expect(() => parseConfigData({ spans: [{ span: 1, framing: 'crc4', lineCode: 'hdb3', lbo: 9, clock: 'line' }] }, 'b.json')).toThrow(/DG3202: b.json: field spans\[0\]\.lbo/);
    expect(() => parseConfigData({ mask: '#' }, 'c.json')).toThrow(/DG3202: c.json: .*mask/);
    expect(() => parseConfigData({}, 'd.json')).toThrow(/DG3202: d.json: .*sets nothing/);
    expect(() => parseConfigData({ model: 'X', channels: 1 }, 'p.json')).toThrow(/DG3201: p.json: hardware profile field/);
  });
});
