import { describe, it, expect } from 'vitest';
import { Span, type SpanEvent, type SpanOptions } from '../../../firmware-sim/span/index.ts';

const KINDS: Array<[string, SpanOptions]> = [
  ['E1', { kind: 'e1' }],
  ['T1 ESF', { kind: 't1', framing: 'esf' }],
  ['T1 D4', { kind: 't1', framing: 'd4' }],
];

/** Steps in `stepMs` increments until `pred` holds; returns the span time it first held, or null. */
function timeUntil(span: Span, pred: () => boolean, maxMs: number, stepMs = 10): number | null {
  for (let t = 0; t <= maxMs; t += stepMs) {
    if (pred()) return span.nowMs;
    span.step(stepMs);
  }
  return null;
}

function collect(span: Span): SpanEvent[] {
  const events: SpanEvent[] = [];
  span.onEvent((e) => events.push(e));
  return events;
}

describe.each(KINDS)('%s alarms', (_name, opts) => {
  it('LOS: defect at once, red declared after 2.5 s, cleared 10 s after the signal returns', () => {
    const span = new Span({ ...opts, startMs: 0 });
    const events = collect(span);
    span.step(1000);
    span.injectFault('los', 'on');
    const onAt = span.nowMs;
    span.step(10);
    expect(span.status().defects.los).toBe(true);
    const declared = timeUntil(span, () => span.status().alarms.red, 5000);
    // declared 2.5 s after the fault, to within one tick (≤ 3 ms) and the 10 ms polling step
    expect(declared! - onAt).toBeGreaterThanOrEqual(2500);
    expect(declared! - onAt).toBeLessThanOrEqual(2515);
    expect(span.status().alarms).toEqual({ red: true, blue: false, yellow: false });
    span.step(2000);
    span.injectFault('los', 'off');
    const offAt = span.nowMs;
    span.step(20);
    expect(span.status().defects.los).toBe(false);
    const cleared = timeUntil(span, () => !span.status().alarms.red, 12_000);
    expect(cleared! - offAt).toBeGreaterThanOrEqual(10_000);
    expect(cleared! - offAt).toBeLessThanOrEqual(10_030);
    const near = events.filter((e) => e.side === 'near');
    expect(near.map((e) => [e.alarm, e.active])).toEqual([['red', true], ['red', false]]);
    expect(near[0].atMs - onAt).toBeGreaterThanOrEqual(2500);
    expect(near[0].atMs - onAt).toBeLessThanOrEqual(2504);
  });

  it('a LOS shorter than 2.5 s raises no alarm (the defect is integrated, not reported)', () => {
    const span = new Span(opts);
    const events = collect(span);
    span.injectFault('los', true);
    span.step(2400);
    span.injectFault('los', false);
    span.step(15_000);
    expect(events.filter((e) => e.side === 'near')).toEqual([]);
    // but the seconds with the defect are severely errored
    expect(span.counters().current.ses).toBe(3);
  });

  it('LOF: corrupted framing pattern gives OOF at once and red after 2.5 s', () => {
    const span = new Span(opts);
    span.injectFault('lof', 'on');
    span.step(10);
    expect(span.status().defects).toMatchObject({ lof: true, los: false, ais: false });
    expect(span.status().alarms.red).toBe(false);
    span.step(2500);
    expect(span.status().alarms.red).toBe(true);
    span.injectFault('lof', 'off');
    span.step(20);
    expect(span.status().defects.lof).toBe(false);
    span.step(9_950);
    expect(span.status().alarms.red).toBe(true);
    span.step(60);
    expect(span.status().alarms.red).toBe(false);
  });

  it('AIS: all ones gives blue (not red, although it carries no framing) after 2.5 s, cleared after 10 s', () => {
    const span = new Span(opts);
    span.injectFault('ais', 'on');
    span.step(20);
    expect(span.status().defects.ais).toBe(true);
    expect(span.status().defects.lof).toBe(true);
    span.step(2470);
    expect(span.status().alarms.blue).toBe(false);
    span.step(20);
    expect(span.status().alarms).toEqual({ red: false, blue: true, yellow: false });
    span.injectFault('ais', 'off');
    span.step(9_990);
    expect(span.status().alarms.blue).toBe(true);
    span.step(20);
    expect(span.status().alarms).toEqual({ red: false, blue: false, yellow: false });
  });

  it('RAI from the far end gives yellow after 2.5 s, cleared 10 s after it stops', () => {
    const span = new Span(opts);
    span.injectFault('rai', 'on');
    span.step(100);
    expect(span.status().defects.rai).toBe(true);
    const declared = timeUntil(span, () => span.status().alarms.yellow, 5000);
    expect(declared).toBeGreaterThanOrEqual(2500);
    expect(declared).toBeLessThanOrEqual(2600);
    expect(span.status().alarms).toEqual({ red: false, blue: false, yellow: true });
    span.injectFault('rai', 'off');
    const offAt = span.nowMs;
    const cleared = timeUntil(span, () => !span.status().alarms.yellow, 12_000);
    expect(cleared! - offAt).toBeGreaterThanOrEqual(10_000);
    expect(cleared! - offAt).toBeLessThanOrEqual(10_100);
  });

  it('consequent action: while the appliance is in red it sends RAI, and the far end goes yellow', () => {
    const span = new Span(opts);
    span.injectFault('los', 'on');
    span.step(6000);
    expect(span.status().alarms.red).toBe(true);
    expect(span.farEnd.status().defects.rai).toBe(true);
    expect(span.farEnd.status().alarms.yellow).toBe(true);
    expect(span.farEnd.status().alarms.red).toBe(false);
    span.injectFault('los', 'off');
    span.step(25_000);
    expect(span.farEnd.status().alarms.yellow).toBe(false);
  });

  it('alarm persistence can be configured per span', () => {
    const span = new Span({ ...opts, alarmTiming: { red: { declareMs: 100, clearMs: 200 } } });
    span.injectFault('los', 'on');
    span.step(120);
    expect(span.status().alarms.red).toBe(true);
    span.injectFault('los', 'off');
    span.step(220);
    expect(span.status().alarms.red).toBe(false);
  });
});

describe('alarms under bit errors', () => {
  it('E1 at BER 1e-2 loses frame alignment repeatedly (3 bad FAS in a row becomes likely) and the OOF events are counted', () => {
    const span = new Span({ kind: 'e1', seed: 7 });
    span.injectFault('ber', 1e-2);
    span.step(10_000);
    const c = span.counters().current;
    // P(FAS word errored) = 1 - 0.99^7 = 6.8 %; three in a row at 4000 words/s: about 1.2 per second
    expect(c.oofEvents).toBeGreaterThanOrEqual(3);
    expect(c.oofEvents).toBeLessThanOrEqual(30);
    // every second is severely errored (≈ 94 % of blocks errored), so after 10 s the span is unavailable
    expect(c).toMatchObject({ seconds: 10, uas: 10, es: 0, ses: 0 });
    expect(span.status().available).toBe(false);
  });

  it('E1 at BER 1e-5 keeps frame alignment: no OOF, no alarm', () => {
    const span = new Span({ kind: 'e1', seed: 3 });
    span.injectFault('ber', 1e-5);
    span.step(5000);
    expect(span.counters().current.oofEvents).toBe(0);
    expect(span.status().alarms).toEqual({ red: false, blue: false, yellow: false });
  });

  it('E1 E bits: the far end counts as FEBE the CRC-4 errors the appliance received (G.704 §2.3.3.4)', () => {
    const span = new Span({ kind: 'e1', seed: 21 });
    span.injectFault('ber', 1e-4);
    span.step(3000);
    const near = span.counters().current.crc;
    const far = span.farEnd.counters().current.febe;
    expect(near).toBeGreaterThan(300);
    // E bits trail the blocks they report by up to one multiframe.
    expect(Math.abs(far - near)).toBeLessThanOrEqual(2);
  });

  it('RAI is sent on the defect for E1 (G.732 §4.2) but only on the red failure for T1 (T1.403)', () => {
    for (const [opts, immediate] of [[{ kind: 'e1' as const }, true], [{ kind: 't1' as const }, false]] as const) {
      const span = new Span(opts);
      span.injectFault('los', 'on');
      span.step(200);
      expect(span.farEnd.status().defects.rai, opts.kind).toBe(immediate);
    }
  });
});
