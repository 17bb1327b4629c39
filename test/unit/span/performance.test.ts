import { describe, it, expect } from 'vitest';
import { classifySecond, Span, INTERVAL_MS } from '../../../firmware-sim/span/index.ts';
import { PerformanceMonitor } from '../../../firmware-sim/span/performance.ts';
import { emptySecond, type SecondCounts } from '../../../firmware-sim/span/receiver.ts';

const sec = (c: Partial<SecondCounts>): SecondCounts => ({ ...emptySecond(), ...c });

describe('second classification', () => {
  it('E1 (G.826): ES from one CRC-4 block error, SES from 300 (30 % of 1000 blocks) or any defect', () => {
    expect(classifySecond('e1-crc4', sec({}))).toEqual({ es: false, ses: false });
    expect(classifySecond('e1-crc4', sec({ crc: 1 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('e1-crc4', sec({ crc: 299 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('e1-crc4', sec({ crc: 300 }))).toEqual({ es: true, ses: true });
    expect(classifySecond('e1-crc4', sec({ los: true }))).toEqual({ es: true, ses: true });
    expect(classifySecond('e1-crc4', sec({ oof: true }))).toEqual({ es: true, ses: true });
    expect(classifySecond('e1-crc4', sec({ ais: true }))).toEqual({ es: true, ses: true });
    // Slips and line code violations alone are not block errors.
    expect(classifySecond('e1-crc4', sec({ slips: 1, cv: 5 }))).toEqual({ es: false, ses: false });
    // The RFC 4805 figure can be chosen instead.
    expect(classifySecond('e1-crc4', sec({ crc: 831 }), 832)).toEqual({ es: true, ses: false });
  });

  it('T1 ESF (T1.231): SES from 320 CRC-6 errors; a controlled slip makes an ES', () => {
    expect(classifySecond('esf', sec({ crc: 319 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('esf', sec({ crc: 320 }))).toEqual({ es: true, ses: true });
    expect(classifySecond('esf', sec({ slips: 1 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('esf', sec({ fe: 3 }))).toEqual({ es: false, ses: false });
  });

  it('T1 D4: ES from one framing bit error, SES from 8', () => {
    expect(classifySecond('d4', sec({ fe: 1 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('d4', sec({ fe: 7 }))).toEqual({ es: true, ses: false });
    expect(classifySecond('d4', sec({ fe: 8 }))).toEqual({ es: true, ses: true });
  });
});

describe('unavailable time (G.826 Annex A, T1.231)', () => {
  it('10 consecutive SES become UAS from the first; 10 consecutive non-SES become available from the first', () => {
    const pm = new PerformanceMonitor('e1-crc4', 0);
    const add = (n: number, c: Partial<SecondCounts>, from: number) => {
      for (let i = 0; i < n; i++) pm.addSecond((from + i) * 1000, sec(c));
      return from + n;
    };
    let t = add(9, { crc: 500 }, 0); // 9 SES: still available
    expect(pm.current()).toMatchObject({ es: 9, ses: 9, uas: 0 });
    t = add(1, { crc: 1 }, t); // an ES that is not an SES breaks the run
    t = add(10, { los: true }, t); // 10 SES: unavailable, counted as UAS from the first
    expect(pm.isAvailable).toBe(false);
    expect(pm.current()).toMatchObject({ es: 10, ses: 9, uas: 10 });
    t = add(5, { crc: 2 }, t); // errored but not severely: still unavailable, tentatively UAS
    expect(pm.current()).toMatchObject({ uas: 15 });
    t = add(5, {}, t); // 10 non-SES in a row: available again from the first of them
    expect(pm.isAvailable).toBe(true);
    expect(pm.current()).toMatchObject({ es: 15, ses: 9, uas: 10, seconds: 30 });
  });

  it('corrects the previous interval when the 10 SES straddle a 15-minute boundary', () => {
    const pm = new PerformanceMonitor('esf', 0);
    for (let s = 0; s < 895; s++) pm.addSecond(s * 1000, sec({}));
    for (let s = 895; s < 905; s++) pm.addSecond(s * 1000, sec({ oof: true }));
    const [prev] = pm.intervals();
    expect(prev).toMatchObject({ startMs: 0, seconds: 900, es: 0, ses: 0, uas: 5, sefs: 5 });
    expect(pm.current()).toMatchObject({ startMs: INTERVAL_MS, seconds: 5, es: 0, ses: 0, uas: 5 });
  });
});

describe('15-minute intervals', () => {
  it('an idle span fills intervals aligned to quarter hours, keeps 96 and drops older ones; counters reset', () => {
    const start = 5 * 60_000; // the model starts 5 minutes into a quarter hour
    const span = new Span({ kind: 'e1', startMs: start });
    span.step(10 * 60_000);
    const first = span.intervals()[0];
    expect(first).toMatchObject({ startMs: 0, seconds: 600, valid: false });
    const t0 = performance.now();
    span.step(25 * 3600_000); // 25 hours
    const elapsed = performance.now() - t0;
    const iv = span.intervals();
    expect(iv.length).toBe(96);
    expect(iv[0].startMs).toBe(span.nowMs - INTERVAL_MS);
    expect(iv.every((r) => r.valid && r.seconds === 900 && r.es === 0)).toBe(true);
    expect(span.counters().total).toMatchObject({ intervals: 96, seconds: 96 * 900, es: 0 });
    expect(elapsed).toBeLessThan(5000); // idle time is skipped, not simulated frame by frame
    span.injectFault('los', 'on');
    span.step(5000);
    expect(span.counters().current.ses).toBe(5);
    span.resetCounters();
    expect(span.intervals()).toEqual([]);
    expect(span.counters().current).toMatchObject({ seconds: 0, ses: 0, valid: false });
  });
});

describe('counters under injected bit errors', () => {
  it('E1 at BER 1e-4: CV, CRC-4 and FAS error rates match the binomial expectation; every second ES, none SES', () => {
    const span = new Span({ kind: 'e1', seed: 11 });
    span.injectFault('ber', 1e-4);
    span.step(20_000);
    const c = span.counters().current;
    const bitsPerSecond = 2_048_000;
    const cvExpected = 20 * bitsPerSecond * 1e-4; // 4096
    expect(Math.abs(c.cv - cvExpected)).toBeLessThan(4 * Math.sqrt(cvExpected));
    // A block (2048 bits) is errored with p = 1 - (1 - 1e-4)^2048; CRC-4 misses 1/16 of multi-bit patterns.
    const p0 = (1 - 1e-4) ** 2048;
    const p1 = 2048 * 1e-4 * (1 - 1e-4) ** 2047;
    const crcExpected = 20 * 1000 * (p1 + (1 - p0 - p1) * (15 / 16));
    expect(Math.abs(c.crc - crcExpected)).toBeLessThan(4 * Math.sqrt(crcExpected));
    const fasExpected = 20 * 4000 * (1 - (1 - 1e-4) ** 7);
    expect(Math.abs(c.fe - fasExpected)).toBeLessThan(4 * Math.sqrt(fasExpected) + 2);
    expect(c).toMatchObject({ seconds: 20, es: 20, ses: 0, uas: 0, les: 20, oofEvents: 0 });
  });

  it('T1 ESF at BER 1e-3: about 330 of 333 superframes errored each second, so SES (≥ 320) and then unavailable', () => {
    const span = new Span({ kind: 't1', framing: 'esf', seed: 5 });
    span.injectFault('ber', 1e-3);
    span.step(12_000);
    const c = span.counters().current;
    expect(c.crc / 12).toBeGreaterThan(320);
    expect(c).toMatchObject({ seconds: 12, uas: 12, es: 0, ses: 0 });
  });

  it('T1 ESF at BER 1e-5: ES but not SES (about 15 errored superframes a second)', () => {
    const span = new Span({ kind: 't1', framing: 'esf', seed: 5 });
    span.injectFault('ber', 1e-5);
    // T1 ticks are 3 ms superframes, so whole seconds close on multiples of 3 s.
    span.step(12_000);
    const c = span.counters().current;
    expect(c.crc).toBeGreaterThan(12 * 10);
    expect(c.crc).toBeLessThan(12 * 20);
    expect(c).toMatchObject({ seconds: 12, es: 12, ses: 0, uas: 0 });
  });

  it('E1 over a full 15-minute interval at BER 1e-6: ES fraction 1 - e^-2.048 (Poisson), no SES', () => {
    const span = new Span({ kind: 'e1', seed: 2024 });
    span.injectFault('ber', 1e-6);
    span.step(INTERVAL_MS);
    const [iv] = span.intervals();
    expect(iv).toMatchObject({ startMs: 0, seconds: 900, valid: true, ses: 0, uas: 0 });
    // 2.048 bit errors a second on average; a second is errored unless it has none.
    const esExpected = 900 * (1 - Math.exp(-2.048));
    const sd = Math.sqrt(900 * Math.exp(-2.048) * (1 - Math.exp(-2.048)));
    expect(Math.abs(iv.es - esExpected)).toBeLessThan(4 * sd);
    expect(Math.abs(iv.cv - 900 * 2.048)).toBeLessThan(4 * Math.sqrt(900 * 2.048));
    expect(span.counters().current.seconds).toBe(0);
  });

  it('slips: counted per second, CSS, and ES on T1 but not on E1', () => {
    for (const [opts, esExpected] of [[{ kind: 'e1' as const }, 0], [{ kind: 't1' as const, framing: 'esf' as const }, 12]] as const) {
      const span = new Span(opts);
      span.injectFault('slip', 2);
      span.step(12_000);
      expect(span.counters().current).toMatchObject({ seconds: 12, slips: 24, css: 12, es: esExpected });
    }
  });
});
