/**
 * A stream whose state is reused for another call (RtpStream.reuse, RtpRelay's spares) must behave
 * exactly as a fresh one: the same datagrams, byte for byte, at the same times, the same masked
 * spans and the same counters, whatever the first call left behind (held packets, events, a
 * secure-off fence, another codec, a resync). A leftover would be worse than a wrong figure: audio
 * or secure state of one call reaching another.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { encodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { G711Masker } from '../../../src/dsp/masker.ts';
import type { MaskerFactory } from '../../../firmware-sim/relay/masker-port.ts';
import { audioPacket, eventPacket, fakeMasker, streamHarness } from './stream-harness.ts';

/** One call as it reaches the relay: what arrives when, and when secure mode changes. */
interface Call {
  codec: G711Codec;
  /** Samples a packet. */
  len: number;
  ts0: number;
  seq0: number;
  /** Per packet: network delay (ms), lost, duplicated, a digit's tone (else noise), an RFC 4733 event, comfort noise instead. */
  fate: { delay: number; lost: boolean; dup: boolean; tone: number; event: boolean; cn: boolean }[];
  /** A silence-suppression hole (samples) before this packet index, or none. */
  hole: { at: number; samples: number } | null;
  /** The sender restarts its timestamps from this packet index on (a resync in the relay), or never. */
  restartAt: number | null;
  /** Secure mode switched at these times (ms from the call's start), alternating from `secure`. */
  secure: boolean;
  toggles: number[];
}

const call: fc.Arbitrary<Call> = fc.record({
  codec: fc.constantFrom<G711Codec>('alaw', 'ulaw'),
  len: fc.constantFrom(80, 160, 240),
  ts0: fc.integer({ min: 0, max: 0xffffffff }),
  seq0: fc.integer({ min: 0, max: 0xffff }),
  fate: fc.array(
    fc.record({
      delay: fc.nat({ max: 70 }),
      lost: fc.nat({ max: 9 }).map((x) => x === 0),
      dup: fc.nat({ max: 9 }).map((x) => x === 0),
      tone: fc.nat({ max: 40 }),
      event: fc.nat({ max: 7 }).map((x) => x === 0),
      cn: fc.nat({ max: 19 }).map((x) => x === 0),
    }),
    { minLength: 8, maxLength: 45 },
  ),
  hole: fc.option(fc.record({ at: fc.integer({ min: 1, max: 40 }), samples: fc.integer({ min: 800, max: 24_000 }) }), { nil: null }),
  restartAt: fc.option(fc.integer({ min: 2, max: 40 }), { nil: null }),
  secure: fc.boolean(),
  toggles: fc.array(fc.nat({ max: 900 }), { maxLength: 4 }).map((t) => [...t].sort((a, b) => a - b)),
});

/** A packet's codewords: a digit's tone (tone < 16: that key, loud) or a quiet line. */
function payload(codec: G711Codec, len: number, tone: number, k: number): Uint8Array {
  const noise = whiteNoise(len / 8, -50, k + 1);
  const pcm = tone < 16 ? mix(concat(dtmfTone({ key: DTMF_KEYS[tone], durationMs: len / 8, levelDbm0: -12 })), noise) : mix(silence(len / 8), noise);
  return encodeG711(codec, toInt16(pcm));
}

/** What arrives, in arrival order, each at its time (ms from `t0`); secure-mode changes among them. */
function schedule(c: Call, t0: number): { t: number; dg?: Buffer; secure?: boolean }[] {
  const ms = c.len / 8;
  const out: { t: number; dg?: Buffer; secure?: boolean }[] = [];
  let ts = c.ts0;
  let on = c.secure;
  for (const t of c.toggles) out.push({ t: t0 + t, secure: (on = !on) });
  c.fate.forEach((f, k) => {
    if (c.hole && c.hole.at === k) ts += c.hole.samples;
    if (c.restartAt === k) ts = (ts - 0x40000000) >>> 0; // far behind the masker: the relay resyncs after three
    const when = t0 + k * ms + f.delay;
    const marker = k === 0 || (c.hole !== null && c.hole.at === k);
    const seq = (c.seq0 + k) & 0xffff;
    let dg: Buffer;
    if (f.event) dg = eventPacket(seq, ts, { event: f.tone % 16, end: f.delay % 2 === 0, volume: 10, duration: c.len * (1 + (f.delay % 3)) });
    else if (f.cn) dg = audioPacket(seq, ts, new Uint8Array([40]), { pt: 13 });
    else dg = audioPacket(seq, ts, payload(c.codec, c.len, f.tone, k), { pt: c.codec === 'ulaw' ? 0 : 8, marker });
    if (!f.lost || k === 0) out.push({ t: when, dg });
    if (f.dup) out.push({ t: when + 2, dg });
    ts = (ts + c.len) >>> 0;
  });
  return out.sort((a, b) => a.t - b.t);
}

function play(h: ReturnType<typeof streamHarness>, c: Call, t0: number): void {
  for (const a of schedule(c, t0)) {
    if (a.secure !== undefined) {
      h.advance(a.t);
      h.setSecure(a.secure);
    } else h.deliver(a.t, a.dg!);
  }
}

/** Everything a call produced: datagrams with their times, spans, counters. */
function outcome(h: ReturnType<typeof streamHarness>) {
  return {
    sent: h.sent.map((s) => ({ data: s.data.toString('hex'), at: s.at, arrivedAt: s.arrivedAt })),
    spans: [...h.spans],
    counters: { ...h.counters },
  };
}

const settings = (createMasker: MaskerFactory) => ({ maskTone: '#' as const, lookaheadMs: 40, jitterMs: 30, eventHangoverMs: 100, maxGapMs: 500, createMasker });

/**
 * Call `b` on a stream that first carried call `a` (drained first or not, as the relay's sweep or
 * its stop would leave it) against call `b` on a fresh stream, at the same times.
 */
function compare(createMasker: MaskerFactory, a: Call, b: Call, drained: boolean): void {
  const reused = streamHarness(settings(createMasker), a.secure);
  play(reused, a, 0);
  if (drained) reused.end();
  const t0 = 5_000;
  reused.reuse(0x5eed0001, t0);
  reused.setSecure(b.secure);
  play(reused, b, t0);
  reused.end();

  const fresh = streamHarness(settings(createMasker), b.secure);
  fresh.startAt(t0);
  play(fresh, b, t0);
  fresh.end();
  expect(outcome(reused)).toEqual(outcome(fresh));
}

describe('a stream reused for another call', () => {
  it('sends what a fresh stream sends, at the same times, whatever the call before left (any network, events, holes, resyncs, secure changes)', () => {
    // The stand-in masker changes every codeword, so any sample treated as secure that should not
    // be (or the reverse) shows in the bytes.
    fc.assert(
      fc.property(call, call, fc.boolean(), (a, b, drained) => compare(fakeMasker((c) => c ^ 0x55), a, b, drained)),
      { numRuns: 300 },
    );
  });

  it('with the board masker: the same masked audio, events and spans as a fresh stream', () => {
    fc.assert(
      fc.property(call, call, fc.boolean(), (a, b, drained) => compare((codec, s) => new G711Masker(codec, s), a, b, drained)),
      { numRuns: 40 },
    );
  });

  it('keeps its held-audio store: reused a hundred times with packets still held, it never grows', () => {
    const h = streamHarness({ createMasker: fakeMasker() }, true);
    const held = (h.stream as unknown as { held: { capacity: number } }).held;
    const first = held.capacity;
    for (let r = 0; r < 100; r++) {
      h.reuse(0x5eed0000 + r, r * 1000);
      // Five packets in 10 ms: all still held (the lookahead is 40 ms) when the next call takes the state.
      for (let k = 0; k < 5; k++) h.deliver(r * 1000 + 2 * k, audioPacket(k, 1000 + 160 * k, new Uint8Array(160).fill(0x55)));
    }
    expect(held.capacity).toBe(first);
  });
});
