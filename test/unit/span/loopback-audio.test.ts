import { describe, it, expect } from 'vitest';
import { Span, type SpanOptions } from '../../../firmware-sim/span/index.ts';
import { isDgError } from '../../../src/errors.ts';

const KINDS: Array<[string, SpanOptions, number]> = [
  ['E1', { kind: 'e1' }, 16],
  ['T1 ESF', { kind: 't1', framing: 'esf' }, 24],
  ['T1 D4', { kind: 't1', framing: 'd4' }, 12],
];

/** Fixture: 800 A-law/µ-law codewords (100 ms) of a ramp that avoids 0xFF (the AIS/idle value). */
const PATTERN = Uint8Array.from({ length: 800 }, (_, i) => (i * 7 + 3) % 0xfe);
/** Same length, another timeslot, so crossed timeslots would show. */
const PATTERN2 = Uint8Array.from({ length: 800 }, (_, i) => (i * 13 + 1) % 0xfe);

function indexOfSeq(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe.each(KINDS)('%s audio and loopbacks', (_name, opts, framesPerTick) => {
  const TS = 5;
  const TS2 = opts.kind === 'e1' ? 17 : 24;

  it('no loopback: what the host sends on a timeslot reaches the far end unchanged, and the reverse', () => {
    const span = new Span(opts);
    span.openChannel(TS);
    span.openChannel(TS2);
    span.farEnd.openChannel(TS);
    span.farEnd.openChannel(TS2);
    expect(span.transmit(TS, PATTERN)).toBe(PATTERN.length);
    span.farEnd.transmit(TS2, PATTERN2);
    span.step(150);
    const atFar = span.farEnd.receive(TS);
    expect(atFar.subarray(0, PATTERN.length)).toEqual(PATTERN);
    expect(atFar.subarray(PATTERN.length).every((b) => b === span.format.idle)).toBe(true);
    expect(span.receive(TS2).subarray(0, PATTERN2.length)).toEqual(PATTERN2);
    expect(span.farEnd.receive(TS2).every((b) => b === span.format.idle)).toBe(true);
  });

  it('local loopback: what the host transmits on a timeslot is what it receives, even with the line cut', () => {
    const span = new Span(opts);
    span.openChannel(TS);
    span.openChannel(TS2);
    span.setLoopback('local');
    span.injectFault('los', 'on');
    span.transmit(TS, PATTERN);
    span.transmit(TS2, PATTERN2);
    span.step(150);
    expect(span.receive(TS).subarray(0, PATTERN.length)).toEqual(PATTERN);
    expect(span.receive(TS2).subarray(0, PATTERN2.length)).toEqual(PATTERN2);
    span.step(4000);
    expect(span.status().defects.los).toBe(false);
    expect(span.status().alarms.red).toBe(false);
    // Without the loopback the cut line is seen: LOS, and all ones toward the host.
    span.setLoopback('none');
    span.step(3000);
    expect(span.status().alarms.red).toBe(true);
    const rx = span.receive(TS);
    expect(rx.subarray(rx.length - 100).every((b) => b === 0xff)).toBe(true);
  });

  it('line loopback: the far end receives its own signal, bit for bit, line errors and CRC included', () => {
    const span = new Span({ ...opts, seed: 9 });
    span.farEnd.openChannel(TS);
    span.openChannel(TS);
    span.setLoopback('line');
    span.farEnd.transmit(TS, PATTERN);
    span.step(150);
    expect(span.farEnd.receive(TS).subarray(0, PATTERN.length)).toEqual(PATTERN);
    // The appliance still receives the line.
    expect(span.receive(TS).subarray(0, PATTERN.length)).toEqual(PATTERN);
    span.injectFault('ber', 1e-4);
    span.step(2850);
    const near = span.counters().current;
    const far = span.farEnd.counters().current;
    const errs = opts.framing === 'd4' ? 'fe' : 'crc';
    expect(near[errs]).toBeGreaterThan(0);
    // Both ends judge the very same errored frames.
    expect(far[errs]).toBe(near[errs]);
  });

  it('payload loopback: timeslots come back to the far end with framing regenerated', () => {
    const span = new Span({ ...opts, seed: 4 });
    span.farEnd.openChannel(TS);
    span.setLoopback('payload');
    span.farEnd.transmit(TS, PATTERN);
    span.step(150);
    const back = span.farEnd.receive(TS);
    // Looped through the receive buffer: one tick later.
    expect(indexOfSeq(back, PATTERN)).toBe(framesPerTick);
    // Framing regenerated: corrupted framing on the line does not reach the far end ...
    span.injectFault('lof', 'on');
    span.step(300);
    expect(span.status().defects.lof).toBe(true);
    expect(span.farEnd.status().defects.lof).toBe(false);
    span.injectFault('lof', 'off');
    // ... and neither do CRC errors: the CRC is recomputed over the (errored) payload.
    if (opts.framing !== 'd4') {
      span.step(2550);
      const before = span.farEnd.counters().current.crc;
      span.injectFault('ber', 1e-4);
      span.step(3000);
      expect(span.counters().current.crc).toBeGreaterThan(0);
      expect(span.farEnd.counters().current.crc).toBe(before);
    }
    // Whereas a line loopback hands the corrupted framing straight back.
    const line = new Span(opts);
    line.setLoopback('line');
    line.injectFault('lof', 'on');
    line.step(300);
    expect(line.farEnd.status().defects.lof).toBe(true);
  });

  it('controlled slips repeat or delete one frame toward the host, alternately', () => {
    const span = new Span(opts);
    span.openChannel(TS);
    span.farEnd.openChannel(TS);
    span.injectFault('slip', 1);
    const ramp = Uint8Array.from({ length: 8000 }, (_, i) => i % 251);
    span.farEnd.transmit(TS, ramp);
    span.step(999);
    const first = span.receive(TS);
    expect(first.length).toBe(Math.floor(999 * 8 / framesPerTick) * framesPerTick);
    span.step(12); // the first slip: a repeated frame
    const afterOne = span.receive(TS);
    expect(first.length + afterOne.length).toBe(Math.floor(1011 * 8 / framesPerTick) * framesPerTick + 1);
    span.step(1000); // the second slip: a deleted frame
    const all = first.length + afterOne.length + span.receive(TS).length;
    expect(all).toBe(Math.floor(2011 * 8 / framesPerTick) * framesPerTick);
    expect(span.counters().current.slips + (span.intervals()[0]?.slips ?? 0)).toBe(2);
  });
});

describe('E1 CAS signalling', () => {
  it('ABCD bits set for a timeslot reach the far end in TS16 (G.704 §5.1.3)', () => {
    const span = new Span({ kind: 'e1', signalling: 'cas' });
    span.setCas(5, 0b0101);
    span.setCas(20, 0b0011);
    span.step(10);
    const farRx = span.far.rx as unknown as { casRx: Uint8Array };
    expect(farRx.casRx[5]).toBe(0b0101);
    expect(farRx.casRx[20]).toBe(0b0011);
    expect(farRx.casRx[6]).toBe(0b1101);
    expect(span.casReceived(5)).toBe(0b1101);
    expect(() => new Span({ kind: 'e1', signalling: 'ccs' }).setCas(5, 1)).toThrow(/DG5707/);
  });
});

describe('span API', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return isDgError(e) ? e.code : 'not a DgError';
    }
    return undefined;
  };

  it('refuses bad faults, loopbacks, timeslots, durations and options with coded errors', () => {
    const span = new Span({ kind: 'e1' });
    expect(code(() => span.injectFault('smoke', 'on'))).toBe('DG5701');
    expect(code(() => span.injectFault('ber', 2))).toBe('DG5702');
    expect(code(() => span.injectFault('ber', 'lots'))).toBe('DG5702');
    expect(code(() => span.injectFault('los', 'maybe'))).toBe('DG5702');
    expect(code(() => span.setLoopback('remote'))).toBe('DG5703');
    expect(code(() => span.openChannel(16))).toBe('DG5704');
    expect(code(() => span.openChannel(0))).toBe('DG5704');
    expect(code(() => span.transmit(3, new Uint8Array(1)))).toBe('DG5704');
    expect(code(() => span.step(-1))).toBe('DG5705');
    expect(code(() => span.sync())).toBe('DG5705');
    expect(code(() => new Span({ kind: 'e1', framing: 'esf' }))).toBe('DG5706');
    expect(code(() => new Span({ kind: 'x' as 'e1' }))).toBe('DG5706');
    expect(code(() => new Span({ kind: 't1' }).openChannel(25))).toBe('DG5704');
    span.injectFault('ber', '1e-6');
    span.injectFault('slip', 3);
    span.injectFault('ais', 1);
    expect(span.faults()).toEqual({ los: false, lof: false, ais: true, rai: false, ber: 1e-6, slip: 3 });
    span.clearFaults();
    expect(span.faults()).toEqual({ los: false, lof: false, ais: false, rai: false, ber: 0, slip: 0 });
  });

  it('sync() advances to the injected clock', () => {
    let now = 1_700_000_000_000;
    const span = new Span({ kind: 't1', clock: () => now });
    expect(span.nowMs).toBe(now);
    now += 4500;
    span.sync();
    expect(span.nowMs).toBe(now);
    span.sync();
    expect(span.nowMs).toBe(now);
  });

  it('skipping idle time gives exactly the counters of frame-by-frame simulation', () => {
    const run = (forceFrames: boolean) => {
      const span = new Span({ kind: 't1', framing: 'esf', seed: 77 });
      if (forceFrames) span.openChannel(1); // an open channel disables skipping
      span.step(30_000);
      span.injectFault('ber', 1e-4);
      span.step(3000);
      span.injectFault('ber', 0);
      span.injectFault('lof', 'on');
      span.step(4000);
      span.injectFault('lof', 'off');
      span.step(60_000);
      return { counters: span.counters(), status: span.status() };
    };
    const skipped = run(false);
    expect(skipped.counters.current.es).toBeGreaterThan(3);
    expect(run(true)).toEqual(skipped);
  });
});
