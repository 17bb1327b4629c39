import { describe, it, expect } from 'vitest';
import { EventDeduplicator, type DedupedEvent } from '../../../src/rtp/event-deduplicator.ts';

/** The packets an RFC 4733 sender emits for one key press: updates every 50 ms, three end packets (§2.5.1.4). */
function press(event: number, durationTs: number): Array<{ event: number; end: boolean; volume: number; duration: number }> {
  const pkts = [];
  for (let d = 400; d < durationTs; d += 400) pkts.push({ event, end: false, volume: 10, duration: d });
  for (let k = 0; k < 3; k++) pkts.push({ event, end: true, volume: 10, duration: durationTs });
  return pkts;
}

describe('EventDeduplicator', () => {
  it('turns each press with its three end packets into one event', () => {
    const d = new EventDeduplicator();
    const out: DedupedEvent[] = [];
    for (const [i, ev] of [[0, 4], [8000, 1], [16000, 11]] as const) for (const p of press(ev, 1600)) d.push(1000 + i, p, 0n, out);
    d.flush(out);
    expect(out.map((e) => [e.digit, e.timestamp, e.duration, e.endSeen])).toEqual([['4', 1000, 1600, true], ['1', 9000, 1600, true], ['#', 17000, 1600, true]]);
    expect(d.repeats).toBe(6);
  });

  it('reports a press whose end packets were all lost, once, when the next one starts', () => {
    const d = new EventDeduplicator();
    const out: DedupedEvent[] = [];
    for (const p of press(7, 1600).filter((p) => !p.end)) d.push(0, p, 0n, out);
    expect(out).toHaveLength(0);
    for (const p of press(7, 1600)) d.push(8000, p, 0n, out); // same key again, new timestamp: a second press
    expect(out.map((e) => [e.timestamp, e.endSeen, e.duration])).toEqual([[0, false, 1200], [8000, true, 1600]]);
  });

  it('merges the segments of a long event (§2.5.1.3) into one press', () => {
    const d = new EventDeduplicator();
    const out: DedupedEvent[] = [];
    d.push(0, { event: 5, end: false, volume: 10, duration: 0xffff }, 0n, out);
    d.push(0xffff, { event: 5, end: false, volume: 10, duration: 400 }, 0n, out);
    d.push(0xffff, { event: 5, end: true, volume: 10, duration: 800 }, 0n, out);
    d.flush(out);
    expect(out.map((e) => [e.digit, e.timestamp, e.duration, e.packets])).toEqual([['5', 0, 0xffff + 800, 3]]);
  });

  it('emits a press that was still open at the end of the capture on flush', () => {
    const d = new EventDeduplicator();
    const out: DedupedEvent[] = [];
    d.push(0, { event: 12, end: false, volume: 10, duration: 400 }, 1_700_000_000_123_456_789n, out);
    d.flush(out);
    expect(out).toEqual([expect.objectContaining({ digit: 'A', endSeen: false, firstSeenMs: 1_700_000_000_123.456 })]);
  });
});
