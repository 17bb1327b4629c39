import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectDigits } from '../../../src/dsp/detector.ts';
import { renderScenario } from '../../../firmware-sim/scenario/render.ts';
import { loadScenario, parseScenario } from '../../../firmware-sim/scenario/schema.ts';

const DIR = join(import.meta.dirname, '../../../firmware-sim/scenarios');

describe('scenario files', () => {
  it('every example scenario loads and renders', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const r = renderScenario(loadScenario(join(DIR, f)));
      expect(r.caller.length, f).toBe(Math.round(r.durationMs * 8));
      expect(r.keyed.length, f).toBeGreaterThan(0);
    }
  });

  it('renders the card payment: digits where the timeline puts them, secure flags, actions', () => {
    const r = renderScenario(loadScenario(join(DIR, 'card-payment.json')));
    const secureKeys = r.keyed.filter((k) => k.secure);
    expect(secureKeys).toHaveLength(16 + 4 + 3);
    expect(r.keyed.filter((k) => !k.secure)).toEqual([]);
    // The IVR scenario keys a menu choice before secure mode: it must pass unmasked.
    const ivr = renderScenario(loadScenario(join(DIR, 'e1-ivr-with-alarm.json')));
    expect(ivr.keyed.filter((k) => !k.secure).map((k) => k.key)).toEqual(['3']);
    expect(ivr.actions.filter((a) => a.kind === 'fault').map((a) => a.kind === 'fault' && `${a.name} ${a.value}`)).toEqual(['los on', 'los off']);
    expect(r.actions.map((a) => a.kind === 'secure' && a.on)).toEqual([true, false]);
    // The caller leg, as rendered, holds the keyed digits where the timeline says (our detector finds them).
    const found = detectDigits(r.caller);
    expect(found.map((d) => d.digit).join('')).toBe(r.keyed.filter((k) => k.leg === 'caller').map((k) => k.key).join(''));
    for (let i = 0; i < found.length; i++) {
      expect(Math.abs(found[i].startMs - r.keyed[i].startMs)).toBeLessThanOrEqual(15);
    }
  });

  it('refuses bad scenarios with a code and the path of the field', () => {
    expect(() => parseScenario({ name: 'x', timeline: [{ digits: { keys: '12X' } }] })).toThrow(/DG5201: scenario: timeline.0/);
    expect(() => parseScenario({ name: 'x', timeline: [] })).toThrow(/DG5201: scenario: timeline/);
    expect(() => parseScenario({ name: 'x', maskTone: '5', timeline: [{ pause: { ms: 1 } }] })).toThrow(/DG5201: scenario: maskTone/);
    expect(() => loadScenario('/nonexistent.json')).toThrow(/DG5202/);
  });
});
