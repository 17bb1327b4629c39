import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, MAX_FRAME_BYTES, type Frame } from '../../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../../src/protocol/parser.ts';
import { arbFrame } from './arbitraries.ts';

/** Feeds the chunks synchronously and collects every item the stream emits, then ends it. */
async function parse(chunks: Buffer[]): Promise<{ items: ParsedItem[]; s: FrameStream }> {
  const s = new FrameStream();
  const items: ParsedItem[] = [];
  s.on('data', (it: ParsedItem) => items.push(it));
  const done = new Promise<void>((resolve, reject) => {
    s.on('end', resolve);
    s.on('error', reject);
  });
  for (const c of chunks) s.write(c);
  s.end();
  await done;
  return { items, s };
}

function frames(items: ParsedItem[]): Frame[] {
  return items.flatMap((i) => (i.type === 'frame' ? [i.frame] : []));
}

/** Splits `buf` at the given cut positions. */
function cut(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Garbage that holds no "\n" (so it cannot end a frame early) — named fixture kinds. */
const GARBAGE = {
  lineNoise: Buffer.from([0xff, 0x00, 0x13, 0x11, 0x7f, 0x80]),
  terminalTyping: Buffer.from('hello? ATZ\r', 'latin1'),
  halfFrame: Buffer.from('REQ 12 GET_SPAN_STATUS span=1 *0000', 'latin1'),
};

describe('FrameStream', () => {
  it('finds every frame when the byte stream is split at every position', async () => {
    const fs: Frame[] = [
      { kind: 'req', seq: 1, name: 'HELLO', fields: { proto: '1' } },
      { kind: 'evt', seq: 65535, name: 'ALARM', fields: { span: '2', alarm: 'ais', state: 'off' } },
      { kind: 'err', seq: 3, name: 'SET_SIP', fields: { code: '2', text: 'port 70000 is out of range' } },
    ];
    const wire = Buffer.concat(fs.map(encodeFrame));
    for (let i = 0; i <= wire.length; i++) {
      for (const j of [i, Math.min(wire.length, i + 1), Math.min(wire.length, i + 17)]) {
        const { items } = await parse([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
        expect(frames(items)).toEqual(fs);
        expect(items.length).toBe(3);
      }
    }
  });

  it('property: random frames, random garbage lines between them, random splits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(arbFrame, fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (parts, cuts) => {
          const pieces: Buffer[] = [];
          let garbageLines = 0;
          for (const [f, g] of parts) {
            if (g) {
              // Garbage then a delimiter: the parser must resynchronise at that delimiter.
              const noNl = Buffer.from(g.filter((b) => b !== 0x0a));
              pieces.push(noNl, Buffer.from('\r\n'));
              if (noNl.length > 0) garbageLines++; // a bare "\r\n" is an empty line, not garbage
            }
            pieces.push(encodeFrame(f));
          }
          const wire = Buffer.concat(pieces);
          const { items, s } = await parse(cut(wire, cuts));
          expect(frames(items)).toEqual(parts.map(([f]) => f));
          expect(s.stats.discardedFrames).toBe(garbageLines);
          // Every byte is accounted for.
          expect(s.stats.bytesIn).toBe(wire.length);
          expect(s.stats.frameBytes + s.stats.discardedBytes + s.stats.emptyLineBytes).toBe(wire.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a frame with flipped bits is never emitted; its neighbours survive', async () => {
    await fc.assert(
      fc.asyncProperty(arbFrame, arbFrame, arbFrame, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 5 }), async (a, b, c, flips, cuts) => {
        const bad = Buffer.from(encodeFrame(b));
        for (const bit of new Set(flips.map((p) => p % ((bad.length - 1) * 8)))) bad[bit >> 3] ^= 1 << (bit & 7);
        const wire = Buffer.concat([encodeFrame(a), bad, encodeFrame(c)]);
        const { items, s } = await parse(cut(wire, cuts));
        const got = frames(items);
        // b is never accepted (a flip may turn one line into two, or merge b's line with c's).
        expect(got).not.toContainEqual(b);
        expect(got[0]).toEqual(a);
        if (bad.at(-1) === 0x0a && !bad.subarray(0, -1).includes(0x0a)) expect(got).toEqual([a, c]);
        expect(s.stats.frameBytes + s.stats.discardedBytes + s.stats.emptyLineBytes).toBe(wire.length);
      }),
      { numRuns: 500 },
    );
  });

  it('bounds its buffer: an endless line is dropped, counted, and parsing resumes at the next delimiter', async () => {
    const s = new FrameStream();
    const items: ParsedItem[] = [];
    s.on('data', (it: ParsedItem) => items.push(it));
    const junk = Buffer.alloc(100, 0x41);
    for (let i = 0; i < 1000; i++) {
      s.write(junk);
      expect(s.pendingBytes).toBeLessThanOrEqual(MAX_FRAME_BYTES + junk.length);
    }
    const f: Frame = { kind: 'ok', seq: 5, name: 'PING', fields: { uptime_s: '12' } };
    s.write(Buffer.concat([Buffer.from('tail\r\n'), encodeFrame(f)]));
    await new Promise((r) => setImmediate(r));
    expect(items).toEqual([
      { type: 'discarded', bytes: 100_000 + 6, reason: 'too-long', hint: {} },
      { type: 'frame', frame: f, bytes: encodeFrame(f).length },
    ]);
    expect(s.stats.byReason['too-long']).toBe(1);
    s.destroy();
  });

  it('reports the reason and the readable header of a discarded line, and ignores bare delimiters', async () => {
    const good = encodeFrame({ kind: 'req', seq: 77, name: 'GET_HEALTH', fields: {} });
    const crcBroken = Buffer.from(good);
    crcBroken[4] = 0x38; // '77' -> '87'? no: byte 4 is the first '7' of the seq -> '8'
    const { items, s } = await parse([Buffer.from('\r\n\n'), crcBroken, GARBAGE.lineNoise, Buffer.from('\n'), GARBAGE.terminalTyping, Buffer.from('\n'), GARBAGE.halfFrame]);
    expect(items).toEqual([
      { type: 'discarded', bytes: good.length, reason: 'crc', hint: { kind: 'req', seq: 87, name: 'GET_HEALTH' } },
      { type: 'discarded', bytes: GARBAGE.lineNoise.length + 1, reason: 'syntax', hint: {} },
      { type: 'discarded', bytes: GARBAGE.terminalTyping.length + 1, reason: 'syntax', hint: {} },
      { type: 'discarded', bytes: GARBAGE.halfFrame.length, reason: 'incomplete', hint: { kind: 'req', seq: 12, name: 'GET_SPAN_STATUS' } },
    ]);
    expect(s.stats.emptyLines).toBe(2);
    expect(s.stats.discardedFrames).toBe(4);
  });
});
