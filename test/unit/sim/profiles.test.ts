import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DgError } from '../../../src/errors.ts';
import { listShippedProfiles, loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

function dualE1(): Record<string, any> {
  return JSON.parse(readFileSync(shippedProfilePath('dual-e1'), 'utf8'));
}

function failure(path: string): DgError {
  try {
    loadProfile(path);
  } catch (e) {
    if (e instanceof DgError) return e;
    throw e;
  }
  throw new Error('loadProfile accepted a bad file');
}

describe('hardware profiles', () => {
  it('ships a dual-E1 (60 A-law), a dual-T1 (48 µ-law) and a SIP edge (120) model, all valid', () => {
    expect(listShippedProfiles()).toEqual(expect.arrayContaining(['dual-e1', 'dual-t1', 'sip-edge']));
    const e1 = loadProfile(shippedProfilePath('dual-e1'));
    expect([e1.channels, e1.codecs, e1.interfaces.spans.map((s) => s.type)]).toEqual([60, ['alaw'], ['e1', 'e1']]);
    const t1 = loadProfile(shippedProfilePath('dual-t1'));
    expect([t1.channels, t1.codecs, t1.interfaces.spans.map((s) => s.type)]).toEqual([48, ['ulaw'], ['t1', 't1']]);
    const sip = loadProfile(shippedProfilePath('sip-edge'));
    expect([sip.channels, sip.interfaces.spans.length, sip.interfaces.sip?.ptEvent]).toEqual([120, 0, 101]);
    for (const name of listShippedProfiles()) expect(() => loadProfile(shippedProfilePath(name))).not.toThrow();
  });

  it('names the file problem: missing (DG3001), not JSON (DG3002)', () => {
    const missing = failure(join(dir, 'nope.json'));
    expect(missing.code).toBe('DG3001');
    expect(missing.message).toContain('ENOENT');
    const notJson = failure(write('bad.json', '{ "model": '));
    expect(notJson.code).toBe('DG3002');
    expect(notJson.exitCode).toBe(2);
  });

  const cases: Array<[string, (p: Record<string, any>) => void, string]> = [
    ['wrong type', (p) => (p.channels = 'sixty'), 'field channels'],
    ['more channels than GET_SECURE_SUMMARY can list in one frame', (p) => ((p.interfaces = { spans: [], sip: { listen: '0.0.0.0:5004', forward: '127.0.0.1:5006', ptPcmu: 0, ptPcma: 8, ptEvent: 101 } }), (p.channels = 480)), 'field channels: Too big'],
    ['channels not matching the spans', (p) => (p.channels = 59), 'field channels: the spans carry 60 channels'],
    ['T1 framing on an E1 span', (p) => (p.interfaces.spans[1].framing = 'esf'), 'field interfaces.spans[1].framing'],
    ['misspelt field', (p) => (p.serial.baud = 9600), 'field serial.baud: unknown field'],
    ['missing field', (p) => delete p.identity.serialPrefix, 'field identity.serialPrefix'],
    ['µ-law only on E1', (p) => (p.codecs = ['ulaw']), 'field codecs: E1 spans need alaw'],
    ['shipped firmware not supported', (p) => (p.firmware.shipped = '9.9.9'), 'field firmware.shipped'],
    ['telephone-event PT outside 96..127', (p) => (p.interfaces.sip = { listen: '0.0.0.0:5004', forward: '127.0.0.1:5006', ptPcmu: 0, ptPcma: 8, ptEvent: 13 }), 'field interfaces.sip.ptEvent'],
  ];
  for (const [what, mutate, expected] of cases) {
    it(`DG3003 names the field: ${what}`, () => {
      const p = dualE1();
      mutate(p);
      const e = failure(write(`${what.replace(/\W+/g, '-')}.json`, JSON.stringify(p)));
      expect(e.code).toBe('DG3003');
      expect(e.message).toContain(expected);
      expect(e.message.split('\n')).toHaveLength(1);
    });
  }
});
