/**
 * Properties of the stream under arbitrary networks: random delays (reordering), losses and
 * duplicates, any packetisation and lookahead.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { G711Masker } from '../../../src/dsp/masker.ts';
import { encodeG711 } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { audioPacket, ramp, streamHarness } from './stream-harness.ts';

const network = fc.record({
  len: fc.constantFrom(80, 160, 240, 480),
  lookaheadMs: fc.integer({ min: 15, max: 100 }),
  jitterMs: fc.integer({ min: 0, max: 80 }),
  n: fc.integer({ min: 2, max: 40 }),
  /** Per packet: extra network delay (ms), lost, duplicated. */
  fate: fc.array(fc.record({ delay: fc.nat({ max: 120 }), lost: fc.nat({ max: 5 }).map((x) => x === 0), dup: fc.nat({ max: 5 }).map((x) => x === 0) }), { minLength: 40, maxLength: 40 }),
  ts0: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('RtpStream under any network', () => {
  it('never sends a packet twice, never out of timestamp order, never with another packet\'s audio', () => {
    fc.assert(
      fc.property(network, ({ len, lookaheadMs, jitterMs, n, fate, ts0 }) => {
        const h = streamHarness({ lookaheadMs, jitterMs }, true);
        const ms = len / 8;
        const dgs = Array.from({ length: n }, (_, i) => audioPacket(i, ts0 + i * len, ramp(len, i * 31 + 5)));
        const arrivals: { t: number; k: number }[] = [];
        dgs.forEach((_, i) => {
          const f = fate[i];
          if (f.lost && i > 0) return;
          arrivals.push({ t: i * ms + f.delay, k: i });
          if (f.dup) arrivals.push({ t: i * ms + f.delay + 3, k: i });
        });
        arrivals.sort((a, b) => a.t - b.t || a.k - b.k);
        for (const a of arrivals) h.deliver(a.t, dgs[a.k]);
        h.end();
        const seqs = h.sent.map((s) => parseRtp(s.data).sequence);
        expect(new Set(seqs).size).toBe(seqs.length);
        // Timestamps only go forward (the timestamp of packet k is ts0 + k·len, so order = sequence order here).
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        // An identity masker: whatever was lost around it, each packet carries exactly its own audio.
        for (const s of h.sent) expect(s.data).toEqual(dgs[parseRtp(s.data).sequence]);
        const c = h.counters;
        const received = arrivals.length;
        expect(h.sent.length + c.late + c.duplicates).toBe(received);
      }),
      { numRuns: 300 },
    );
  });

  it('sends every packet that arrives within the jitter allowance of its schedule', () => {
    fc.assert(
      fc.property(network, ({ len, lookaheadMs, jitterMs, n, fate, ts0 }) => {
        const h = streamHarness({ lookaheadMs, jitterMs }, true);
        const ms = len / 8;
        const dgs = Array.from({ length: n }, (_, i) => audioPacket(i, ts0 + i * len, ramp(len, i)));
        // Delays below the allowance (packet 0 on time: it starts the stream).
        const arrivals = dgs.map((dg, i) => ({ t: i * ms + (i === 0 ? 0 : fate[i].delay % (jitterMs + 1)), dg }));
        arrivals.sort((a, b) => a.t - b.t);
        for (const a of arrivals) h.deliver(a.t, a.dg);
        h.end();
        expect(h.counters.late).toBe(0);
        expect(h.sent.length).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('with the board masker, the relayed audio is what the masker makes of the whole stream at once', () => {
    // Digits over noise, cut into packets that arrive reordered within the allowance: the relay
    // must feed the masker the same stream, so its output must match a one-pass masking.
    const clean = concat(silence(120), dtmfTone({ key: '8', durationMs: 70 }), silence(90), dtmfTone({ key: 'C', durationMs: 45, levelDbm0: -20 }), silence(200));
    const codes = encodeG711('alaw', toInt16(mix(clean, whiteNoise(clean.length / 8, -40, 5))));
    fc.assert(
      fc.property(fc.constantFrom(80, 160, 240), fc.array(fc.nat({ max: 30 }), { minLength: 64, maxLength: 64 }), (len, delays) => {
        const masker = new G711Masker('alaw', { maskTone: '1', lookaheadMs: 40 });
        const oneShot = new Uint8Array(codes.length + masker.delaySamples);
        oneShot.set(masker.process(codes), 0);
        oneShot.set(masker.flush(), codes.length);
        const expected = oneShot.subarray(masker.delaySamples);

        const h = streamHarness({ maskTone: '1', lookaheadMs: 40, jitterMs: 40, createMasker: (codec, s) => new G711Masker(codec, s) }, true);
        const n = Math.floor(codes.length / len);
        const arrivals = Array.from({ length: n }, (_, i) => ({ t: (i * len) / 8 + (i === 0 ? 0 : delays[i % 64]), dg: audioPacket(i, 7000 + i * len, codes.subarray(i * len, (i + 1) * len)) }));
        arrivals.sort((a, b) => a.t - b.t);
        for (const a of arrivals) h.deliver(a.t, a.dg);
        h.end();
        expect(h.sent.length).toBe(n);
        for (const s of h.sent) {
          const p = parseRtp(s.data);
          const at = p.timestamp - 7000;
          expect(Buffer.from(p.payload)).toEqual(Buffer.from(expected.subarray(at, at + len)));
        }
        expect(h.counters.audioMasked).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });
});
