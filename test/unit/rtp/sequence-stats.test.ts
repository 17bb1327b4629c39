import { describe, it, expect } from 'vitest';
import { SequenceStats, unwrapTimestamp } from '../../../src/rtp/sequence-stats.ts';

function feed(seqs: number[]): SequenceStats {
  const s = new SequenceStats();
  for (const q of seqs) s.record(q & 0xffff);
  return s;
}

describe('SequenceStats (RFC 3550 A.1, A.3)', () => {
  it('counts loss, duplicates and reordering', () => {
    // 10..19 with 13 lost, 15 duplicated, 17 and 16 swapped.
    const s = feed([10, 11, 12, 14, 15, 15, 17, 16, 18, 19]).snapshot();
    expect(s).toMatchObject({ received: 9, expected: 10, lost: 1, duplicates: 1, reordered: 1 });
  });

  it('counts across the 16-bit wrap', () => {
    const s = feed([65533, 65534, 65535, 0, 3, 2, 4]).snapshot(); // 1 lost, 2 late
    expect(s).toMatchObject({ received: 7, expected: 8, lost: 1, duplicates: 0, reordered: 1 });
  });

  it('knows a packet reordered before the first one', () => {
    const s = feed([5, 4, 6]).snapshot();
    expect(s).toMatchObject({ received: 3, expected: 3, lost: 0, reordered: 1 });
  });

  it('computes interarrival jitter as RFC 3550 A.8 does', () => {
    const s = new SequenceStats();
    // 20 ms packets (160 units) arriving at 0, 170, 320, 490: transit 0, 10, 0, 10.
    const arrivals = [0, 170, 320, 490];
    arrivals.forEach((a, i) => s.recordTransit(a, i * 160));
    let j = 0;
    for (const d of [10, 10, 10]) j += (d - j) / 16;
    expect(s.snapshot().jitter).toBeCloseTo(j, 12);
    expect(j).toBeGreaterThan(0);
  });
});

describe('unwrapTimestamp', () => {
  it('extends 32-bit timestamps across the wrap in both directions', () => {
    const a = unwrapTimestamp(0xffffff00, undefined);
    const b = unwrapTimestamp(0x00000100, a);
    expect(b - a).toBe(0x200);
    expect(unwrapTimestamp(0xfffffe00, b) - a).toBe(-0x100);
  });
});
