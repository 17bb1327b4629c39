/**
 * The views the relay's packet path keeps instead of making one per packet (receive slots, held
 * slots) and the release heap's per-stream record: each must show the current bytes and state,
 * whatever changed since it was made (length, payload offset, the store's growth, re-arming).
 */
import { describe, expect, it } from 'vitest';
import { HeldAudio } from '../../../firmware-sim/relay/held-audio.ts';
import { ReleaseQueue } from '../../../firmware-sim/relay/release-queue.ts';
import { armAt, earliest, popDueAt } from './release-queue-calls.ts';
import { RECV_SLOT_BYTES, RecvBuffer } from '../../../firmware-sim/relay/udp-native.ts';
import { taggedDatagram as datagram } from './tagged-datagram.ts';


describe('RecvBuffer.view', () => {
  it("is the slot's datagram at its length, made once per slot and length", () => {
    const r = new RecvBuffer();
    r.bytes.set(datagram(1, 172), 3 * RECV_SLOT_BYTES);
    r.bytes.set(datagram(2, 172), 4 * RECV_SLOT_BYTES);
    const a = r.view(3, 172);
    expect(a).toEqual(datagram(1, 172));
    expect(r.view(4, 172)).toEqual(datagram(2, 172));
    expect(r.view(3, 172)).toBe(a);
    // The next batch puts a shorter datagram in the slot.
    r.bytes.set(datagram(5, 40), 3 * RECV_SLOT_BYTES);
    expect(r.view(3, 40)).toEqual(datagram(5, 40));
    expect(r.view(3, 172).length).toBe(172);
  });
});

describe('HeldAudio views', () => {
  it("follow a reused slot's new payload offset and size", () => {
    const h = new HeldAudio();
    const s = h.hold(datagram(1, 172), 12, 0, 160, 1, false);
    expect(h.payload(s)).toEqual(datagram(1, 172).subarray(12));
    expect(h.datagram(s)).toBe(h.datagram(s));
    expect(h.payload(s)).toBe(h.payload(s));
    h.release(s);
    // Same payload length, other offset (a CSRC): the same slot comes back from the free stack.
    const t = h.hold(datagram(2, 176), 16, 160, 160, 2, false);
    expect(t).toBe(s);
    expect(h.payload(t)).toEqual(datagram(2, 176).subarray(16));
    expect(h.datagram(t)).toEqual(datagram(2, 176));
    h.release(t);
    const u = h.hold(datagram(3, 92), 12, 320, 80, 3, false);
    expect(h.datagram(u)).toEqual(datagram(3, 92));
    expect(h.payload(u)).toEqual(datagram(3, 92).subarray(12));
  });

  it("are of the current store after it grew: writes through the datagram's view show in the payload's", () => {
    const h = new HeldAudio();
    const s = h.hold(datagram(1, 172), 12, 0, 160, 1, false);
    const before = h.datagram(s);
    h.payload(s);
    for (let i = 1; i < 40; i++) h.hold(datagram(i + 1, 172), 12, i * 160, 160, i, false);
    const d = h.datagram(s);
    expect(d).not.toBe(before);
    expect(d).toEqual(datagram(1, 172));
    d[12] ^= 0xff; // emitAudio masks in place through this view
    expect(h.payload(s)[0]).toBe(d[12]);
  });
});

describe('ReleaseQueue', () => {
  it('pops a stream once at its earliest deadline, then takes a later one for it', () => {
    const q = new ReleaseQueue<string>();
    armAt(q, 'a', 10);
    armAt(q, 'a', 30); // later than armed: kept at 10
    armAt(q, 'b', 20);
    armAt(q, 'a', 5); // earlier: re-armed, the entry at 10 left behind
    expect(popDueAt(q, 4)).toBeUndefined();
    expect(popDueAt(q, 25)).toBe('a');
    expect(popDueAt(q, 25)).toBe('b');
    expect(popDueAt(q, 25)).toBeUndefined(); // a's stale entry at 10 skipped
    armAt(q, 'a', 40);
    armAt(q, 'b', 35);
    expect(earliest(q)).toBe(35);
    expect(popDueAt(q, 50)).toBe('b');
    expect(popDueAt(q, 50)).toBe('a');
    armAt(q, 'a', 60);
    q.forget('a');
    expect(popDueAt(q, 100)).toBeUndefined();
    armAt(q, 'a', 70);
    expect(popDueAt(q, 100)).toBe('a');
  });

  it('skips a disarmed stream\'s queued entries, as a forgotten one\'s, and takes it again when armed', () => {
    const q = new ReleaseQueue<string>();
    armAt(q, 'a', 10);
    armAt(q, 'b', 20);
    q.disarm('a');
    expect(popDueAt(q, 30)).toBe('b');
    expect(popDueAt(q, 30)).toBeUndefined();
    armAt(q, 'a', 40);
    expect(popDueAt(q, 50)).toBe('a');
  });
});
