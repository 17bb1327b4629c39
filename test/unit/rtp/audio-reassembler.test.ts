import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AudioReassembler, SILENCE_CODE, type AudioChunk } from '../../../src/rtp/audio-reassembler.ts';

/** 20 ms packets of µ-law whose bytes encode their own index, so order mistakes show. */
function packet(i: number): Uint8Array {
  return new Uint8Array(160).fill(i & 0x7f);
}

function run(order: number[], window: number, base = 1000): { chunks: AudioChunk[]; r: AudioReassembler } {
  const r = new AudioReassembler(base, { reorderWindow: window });
  const chunks: AudioChunk[] = [];
  for (const i of order) r.push(base + i * 160, 'ulaw', packet(i), chunks);
  r.flush(chunks);
  return { chunks, r };
}

function flat(chunks: AudioChunk[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((c) => [...c.codes]));
}

describe('AudioReassembler', () => {
  it('restores timestamp order of packets shuffled within the window (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 8 }), fc.infiniteStream(fc.nat()), (n, w, rnd) => {
      // Displace each packet by less than the window: a realistic bounded reordering.
      const order = Array.from({ length: n }, (_, i) => ({ i, k: i + ((rnd.next().value as number) % w) }))
        .sort((a, b) => a.k - b.k).map((x) => x.i);
      const { chunks, r } = run(order, w);
      expect(r.late).toBe(0);
      expect([...flat(chunks)]).toEqual([...flat(Array.from({ length: n }, (_, i) => ({ codes: packet(i) }) as AudioChunk))]);
      // Sample offsets are contiguous from 0.
      let next = 0;
      for (const c of chunks) {
        expect(c.sampleOffset).toBe(next);
        next += c.codes.length;
      }
    }), { numRuns: 100 });
  });

  it('fills lost packets with µ-law silence of the exact length', () => {
    const { chunks, r } = run([0, 1, 4, 5], 2);
    const out = flat(chunks);
    expect(out.length).toBe(6 * 160);
    expect(out.subarray(320, 640).every((b) => b === SILENCE_CODE.ulaw)).toBe(true);
    expect(chunks.filter((c) => c.silence).map((c) => [c.sampleOffset, c.codes.length])).toEqual([[320, 320]]);
    expect(r.filledSamples).toBe(320);
  });

  it('drops a packet that arrives after its place was emitted, and counts it', () => {
    const { chunks, r } = run([0, 1, 2, 3, 4, 5, 1], 2);
    expect(r.late).toBe(1);
    expect(flat(chunks).length).toBe(6 * 160);
  });

  it('holds a copy, not a view of the reader\'s chunk (a Buffer\'s slice() would be a view)', () => {
    const chunk = Buffer.alloc(4096, 0x55);
    const r = new AudioReassembler(0, { reorderWindow: 5 });
    const out: AudioChunk[] = [];
    r.push(0, 'ulaw', chunk.subarray(100, 260), out);
    chunk.fill(0); // the reader moving on must not change what was captured
    r.flush(out);
    expect(out[0].codes.every((b) => b === 0x55)).toBe(true);
    expect(out[0].codes.buffer).not.toBe(chunk.buffer);
  });

  it('keeps memory bounded: never holds more than the window', () => {
    const r = new AudioReassembler(0, { reorderWindow: 5 });
    const out: AudioChunk[] = [];
    for (let i = 0; i < 100; i++) r.push(i * 160, 'alaw', packet(i), out);
    expect(out.length).toBe(95);
  });

  it('does not fill a timestamp jump longer than maxGapSamples', () => {
    const r = new AudioReassembler(0, { reorderWindow: 1, maxGapSamples: 8000 });
    const out: AudioChunk[] = [];
    r.push(0, 'alaw', packet(0), out);
    r.push(160 + 800_000, 'alaw', packet(1), out);
    r.flush(out);
    expect(r.jumps).toBe(1);
    expect(out.map((c) => c.sampleOffset)).toEqual([0, 800_160]);
  });
});

/**
 * The reassembler as it was before the reorder window became a ring (an array of held packets,
 * insertion by splice, the oldest out by shift): the reference for the differential test below.
 */
function arrayReference(base: number, window: number, maxGap: number, packets: Array<{ ts: number; codes: Uint8Array }>): { chunks: AudioChunk[]; late: number; filled: number; jumps: number } {
  const held: Array<{ ts: number; codes: Uint8Array }> = [];
  const chunks: AudioChunk[] = [];
  let nextTs: number | undefined;
  let late = 0;
  let filled = 0;
  let jumps = 0;
  const emit = (h: { ts: number; codes: Uint8Array }): void => {
    let { ts, codes } = h;
    if (nextTs !== undefined) {
      if (ts + codes.length <= nextTs) {
        late++;
        return;
      }
      if (ts < nextTs) {
        codes = codes.subarray(nextTs - ts);
        ts = nextTs;
      } else if (ts > nextTs) {
        const gap = ts - nextTs;
        if (gap > maxGap) jumps++;
        else {
          for (let o = 0; o < gap; o += 8000) chunks.push({ codec: 'ulaw', sampleOffset: nextTs + o - base, codes: new Uint8Array(Math.min(8000, gap - o)).fill(SILENCE_CODE.ulaw), silence: true });
          filled += gap;
        }
      }
    }
    if (codes.length > 0) chunks.push({ codec: 'ulaw', sampleOffset: ts - base, codes, silence: false });
    nextTs = ts + codes.length;
  };
  for (const p of packets) {
    if (nextTs !== undefined && p.ts + p.codes.length <= nextTs) {
      late++;
      continue;
    }
    let i = held.length;
    while (i > 0 && held[i - 1].ts > p.ts) i--;
    held.splice(i, 0, { ts: p.ts, codes: Uint8Array.from(p.codes) });
    while (held.length > window) emit(held.shift()!);
  }
  while (held.length > 0) emit(held.shift()!);
  return { chunks, late, filled, jumps };
}

describe('AudioReassembler: the ring against the array it replaced', () => {
  it('property: the same chunks, late, filled and jump counts for any arrival order, duplicates, overlaps, gaps and window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.record({ slot: fc.integer({ min: 0, max: 40 }), shift: fc.integer({ min: -80, max: 80 }), len: fc.integer({ min: 1, max: 240 }),
          // Where the payload sits in its datagram (pushBytes), and now and then one too large for the shared slabs.
          at: fc.integer({ min: 0, max: 16 }), large: fc.integer({ min: 0, max: 15 }) }), { maxLength: 80 }),
        (window, raw) => {
          const base = 5000;
          const packets = raw.map((p, k) => ({ ts: base + p.slot * 160 + p.shift, codes: new Uint8Array(p.large === 0 ? 4097 + p.len : p.len).fill(k & 0x7f), at: p.at }));
          const ref = arrayReference(base, window, 2000, packets);
          const r = new AudioReassembler(base, { reorderWindow: window, maxGapSamples: 2000 });
          const chunks: AudioChunk[] = [];
          // One datagram buffer for all, overwritten after each push: what is held must be a copy.
          const datagram = new Uint8Array(8192);
          for (const [k, p] of packets.entries()) {
            if (k % 2 === 0) r.push(p.ts, 'ulaw', p.codes, chunks);
            else {
              datagram.fill(0xee);
              datagram.set(p.codes, p.at);
              r.pushBytes(p.ts, 'ulaw', datagram, p.at, p.at + p.codes.length, chunks);
              datagram.fill(0x11);
            }
          }
          r.flush(chunks);
          expect(chunks.map((c) => ({ ...c, codes: [...c.codes] }))).toEqual(ref.chunks.map((c) => ({ ...c, codes: [...c.codes] })));
          expect([r.late, r.filledSamples, r.jumps]).toEqual([ref.late, ref.filled, ref.jumps]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
