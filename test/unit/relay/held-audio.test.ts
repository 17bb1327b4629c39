/**
 * HeldAudio: the held audio packets as slots in typed arrays, their bytes in a reused store. What
 * matters: a held copy is independent of the caller's bytes, a slot keeps its bytes until freed
 * however many others are taken, freed or grown meanwhile, and large datagrams are kept whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeldAudio, SLOT_BYTES } from '../../../firmware-sim/relay/held-audio.ts';
import { taggedDatagram as datagram } from './tagged-datagram.ts';


describe('HeldAudio', () => {
  it('holds a copy: the caller may overwrite its buffer at once (the native receive slot)', () => {
    const h = new HeldAudio();
    const recv = Buffer.from(datagram(1, 172));
    const s = h.hold(recv, 12, 160, 160, 7, true);
    recv.fill(0);
    expect(h.datagram(s)).toEqual(datagram(1, 172));
    expect(h.payload(s)).toEqual(datagram(1, 172).subarray(12));
    expect([h.idx[s], h.len[s], h.seq[s], h.marker[s], h.payloadOffset[s]]).toEqual([160, 160, 7, 1, 12]);
  });

  it('keeps a datagram larger than a slot whole, as its own copy', () => {
    const h = new HeldAudio();
    const big = Buffer.from(datagram(2, SLOT_BYTES + 300));
    const s = h.hold(big, 12, 0, SLOT_BYTES + 288, 1, false);
    big.fill(0);
    expect(h.datagram(s)).toEqual(datagram(2, SLOT_BYTES + 300));
    expect(h.payload(s).length).toBe(SLOT_BYTES + 288);
  });

  it('never changes a held slot while others are taken, freed and the store grows (any order)', () => {
    // Views made in advance (a spare stream's, for 172-octet datagrams) or not: sizes of that
    // shape come often, so the prepared views are handed out and must show the right bytes.
    const size = fc.oneof(fc.constant(172), fc.integer({ min: 13, max: SLOT_BYTES + 64 }));
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.boolean(), size), { minLength: 1, maxLength: 200 }), (prepared, ops) => {
        const h = new HeldAudio();
        if (prepared) h.prepareViews(172, 12);
        const live = new Map<number, number>(); // slot -> tag
        const sizes = new Map<number, number>();
        let tag = 0;
        for (const [take, n] of ops) {
          if (take || live.size === 0) {
            tag++;
            const s = h.hold(datagram(tag, n), 12, tag, n - 12, tag & 0xffff, (tag & 1) === 1);
            // The times are the caller's to write (rtp-stream.ts); they must survive growth too.
            h.arrivedAt[s] = tag + 0.25;
            h.deadline[s] = tag + 70.5;
            expect(live.has(s)).toBe(false);
            live.set(s, tag);
            sizes.set(s, n);
          } else {
            const s = live.keys().next().value!;
            h.release(s);
            live.delete(s);
          }
          for (const [s, t] of live) {
            expect(h.datagram(s)).toEqual(datagram(t, sizes.get(s)!));
            expect(h.payload(s)).toEqual(datagram(t, sizes.get(s)!).subarray(12));
            // Every field of every slot: they share one buffer (held-audio.ts's layout), so a
            // view placed over another's would show here.
            expect([h.idx[s], h.len[s], h.seq[s], h.marker[s], h.payloadOffset[s]]).toEqual([t, sizes.get(s)! - 12, t & 0xffff, t & 1, 12]);
            expect(h.arrivedAt[s]).toBe(t + 0.25);
            expect(h.deadline[s]).toBe(t + 70.5);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('hands out the views made in advance for datagrams of their shape, and right views for others', () => {
    const h = new HeldAudio();
    h.prepareViews(172, 12);
    const a = h.hold(datagram(1, 172), 12, 0, 160, 1, false);
    const view = h.datagram(a);
    const pay = h.payload(a);
    expect(view).toEqual(datagram(1, 172));
    expect(pay).toEqual(datagram(1, 172).subarray(12));
    h.release(a);
    // The same slot again, same shape: the very same views, now over the new bytes.
    const b = h.hold(datagram(2, 172), 12, 160, 160, 2, false);
    expect(b).toBe(a);
    expect(h.datagram(b)).toBe(view);
    expect(h.payload(b)).toBe(pay);
    expect(view).toEqual(datagram(2, 172));
    // Another shape (a 30 ms packet with a CSRC) in the next slot.
    const c = h.hold(datagram(3, 256), 16, 320, 240, 3, false);
    expect(h.datagram(c)).toEqual(datagram(3, 256));
    expect(h.payload(c)).toEqual(datagram(3, 256).subarray(16));
  });
});
