/**
 * The relay's native socket path, without sockets: the addon is there under CI (setup.sh builds
 * it; without it the relay would silently run on dgram), the release queue gives back streams in
 * deadline order with re-arming, and the send queue packs datagrams as sendmmsg will read them.
 */
import { existsSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReleaseQueue } from '../../../firmware-sim/relay/release-queue.ts';
import { armAt, popDueAt } from './release-queue-calls.ts';
import { loadUdpBatch, SendQueue, UDP_BATCH_PATH } from '../../../firmware-sim/relay/udp-native.ts';

describe('udp-batch addon', () => {
  it('is built where the tests run under CI (setup.sh runs scripts/build-native.sh; the relay would silently use dgram)', () => {
    if (process.env.CI) expect(loadUdpBatch(), `${UDP_BATCH_PATH} missing: run scripts/build-native.sh`).not.toBeNull();
  });

  it('is not older than its source when built (a stale addon would run old code)', () => {
    if (!existsSync(UDP_BATCH_PATH)) return;
    const source = new URL('../../../firmware-sim/relay/native/udp-batch.c', import.meta.url);
    expect(statSync(UDP_BATCH_PATH).mtimeMs, 'udp-batch.c is newer: run scripts/build-native.sh').toBeGreaterThanOrEqual(statSync(source).mtimeMs);
  });

  it('is not used when DTMFGUARD_RELAY_IO=dgram', () => {
    const was = process.env.DTMFGUARD_RELAY_IO;
    process.env.DTMFGUARD_RELAY_IO = 'dgram';
    try {
      expect(loadUdpBatch()).toBeNull();
    } finally {
      if (was === undefined) delete process.env.DTMFGUARD_RELAY_IO;
      else process.env.DTMFGUARD_RELAY_IO = was;
    }
  });
});

describe('ReleaseQueue', () => {
  it('gives back each stream once, at its earliest armed deadline, in deadline order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (arms, now) => {
        const q = new ReleaseQueue<number>();
        const earliest = new Map<number, number>();
        for (const [s, at] of arms) {
          armAt(q, s, at);
          earliest.set(s, Math.min(at, earliest.get(s) ?? Infinity));
        }
        const got: number[] = [];
        for (let s = popDueAt(q, now); s !== undefined; s = popDueAt(q, now)) got.push(s);
        const want = [...earliest].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
        expect(got.map((s) => earliest.get(s))).toEqual(want.map(([, at]) => at));
        expect(new Set(got)).toEqual(new Set(want.map(([s]) => s)));
        // What is left is due later: nothing more at `now`, each left stream once at its deadline.
        expect(popDueAt(q, now)).toBeUndefined();
        const rest: number[] = [];
        for (let s = popDueAt(q, Infinity); s !== undefined; s = popDueAt(q, Infinity)) rest.push(s);
        expect(rest.sort((a, b) => a - b)).toEqual([...earliest].filter(([, at]) => at > now).map(([s]) => s).sort((a, b) => a - b));
      }),
    );
  });

  it('re-arms a stream popped, and forgets one swept', () => {
    const q = new ReleaseQueue<string>();
    armAt(q, 'a', 10);
    armAt(q, 'b', 5);
    expect(popDueAt(q, 10)).toBe('b');
    armAt(q, 'b', 7);
    expect(popDueAt(q, 10)).toBe('b');
    expect(popDueAt(q, 10)).toBe('a');
    armAt(q, 'a', 20);
    q.forget('a');
    expect(popDueAt(q, 30)).toBeUndefined();
  });
});

describe('SendQueue', () => {
  it('packs datagrams with their (offset, length) and refuses one that does not fit', () => {
    const q = new SendQueue();
    const a = Uint8Array.from([1, 2, 3]);
    const b = new Uint8Array(172).fill(0x55);
    expect(q.push(a)).toBe(true);
    expect(q.push(b)).toBe(true);
    expect(q.count).toBe(2);
    expect(Array.from(q.table.subarray(0, 4))).toEqual([0, 3, 3, 172]);
    expect(Array.from(new Uint8Array(q.buffer, 0, 3))).toEqual([1, 2, 3]);
    expect(new Uint8Array(q.buffer, 3, 172)).toEqual(b);
    expect(q.push(new Uint8Array(q.buffer.byteLength))).toBe(false);
    q.clear();
    expect(q.count).toBe(0);
    for (let i = 0; i < SendQueue.MAX; i++) expect(q.push(a)).toBe(true);
    expect(q.push(a)).toBe(false);
  });
});
