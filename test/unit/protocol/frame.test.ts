import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc as zlibCrc32 } from './zlib-crc.ts';
import { crc, decodeFrame, encodeFrame, FrameError, MAX_FRAME_BYTES, type Frame } from '../../../src/protocol/frame.ts';
import { arbFrame } from './arbitraries.ts';

/** Named byte fixtures: what the spec's examples (docs/protocol.md §2) look like on the wire. */
const FIXTURES = {
  setMaskTone: 'REQ 42 SET_MASK_TONE tone=# *',
  errorWithSpaces: 'ERR 7 SET_SPAN_CONFIG code=3 text=T1%20framing%20on%20an%20E1%20span *',
  setMaskToneWire: 'REQ 42 SET_MASK_TONE tone=# *D9B43C5E\r\n',
  errorWire: 'ERR 7 SET_SPAN_CONFIG code=3 text=T1%20framing%20on%20an%20E1%20span *124CDF39\r\n',
};

function withCrc(content: string): Buffer {
  const c = Buffer.from(content.slice(0, -2), 'latin1');
  return Buffer.from(`${content}${crc(c).toString(16).toUpperCase().padStart(8, '0')}\r\n`, 'latin1');
}

function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof FrameError) return e.reason;
    throw e;
  }
  return undefined;
}

describe('CRC-32/ISO-HDLC', () => {
  it('matches the catalogue check value and the spec test vectors', () => {
    expect(crc(Buffer.from('123456789', 'latin1'))).toBe(0xcbf43926);
    expect(crc(new Uint8Array(0))).toBe(0);
    // docs/protocol.md §3 test vectors (cross-checked with Python's zlib.crc32)
    expect(crc(Buffer.from('REQ 42 SET_MASK_TONE tone=#', 'latin1'))).toBe(0xd9b43c5e);
    expect(crc(Buffer.from('OK 42 SET_MASK_TONE tone=#', 'latin1'))).toBe(0xe9f4124a);
    expect(crc(Buffer.from('REQ 0 HELLO proto=1', 'latin1'))).toBe(0xb70bb30a);
  });
  // zlib.crc32 exists from Node 20.15; on older Node this shows as skipped, and the vectors above still pin the algorithm.
  it.skipIf(!zlibCrc32)('agrees with zlib on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => crc(b) === zlibCrc32!(b)));
  });
});

describe('frame codec', () => {
  it('encodes the spec examples byte for byte', () => {
    const line = encodeFrame({ kind: 'req', seq: 42, name: 'SET_MASK_TONE', fields: { tone: '#' } });
    expect(line).toEqual(withCrc(FIXTURES.setMaskTone));
    expect(line.toString('latin1')).toBe(FIXTURES.setMaskToneWire);
    expect(encodeFrame({ kind: 'err', seq: 7, name: 'SET_SPAN_CONFIG', fields: { code: '3', text: 'T1 framing on an E1 span' } }).toString('latin1')).toBe(FIXTURES.errorWire);
    expect(decodeFrame(withCrc(FIXTURES.errorWithSpaces)).fields).toEqual({ code: '3', text: 'T1 framing on an E1 span' });
  });

  it('round-trips random frames, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(arbFrame, (f: Frame) => {
        const line = encodeFrame(f);
        const back = decodeFrame(line);
        expect(back).toEqual(f);
        expect(encodeFrame(back)).toEqual(line);
        // the line is printable ASCII apart from its delimiter
        expect(/^[\x20-\x7e]*\r\n$/.test(line.toString('latin1'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a frame with 1 to 3 flipped bits (CRC-32 guarantee) or a random byte substitution', () => {
    fc.assert(
      fc.property(
        arbFrame,
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        (f, picks) => {
          const line = encodeFrame(f);
          const text = line.subarray(0, line.length - 2); // flips in the delimiter are the parser's business
          const bad = Buffer.from(text);
          const bits = new Set(picks.map((p) => p % (text.length * 8)));
          for (const bit of bits) bad[bit >> 3] ^= 1 << (bit & 7);
          expect(reasonOf(() => decodeFrame(bad))).toBeDefined();
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(arbFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, pos, x) => {
        const line = encodeFrame(f);
        const bad = Buffer.from(line.subarray(0, line.length - 2));
        bad[pos % bad.length] ^= x;
        expect(reasonOf(() => decodeFrame(bad))).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('names the reason for each kind of bad line', () => {
    const good = encodeFrame({ kind: 'evt', seq: 1, name: 'ALARM', fields: { span: '1', alarm: 'los', state: 'on' } });
    const text = good.toString('latin1');
    expect(reasonOf(() => decodeFrame(Buffer.from(text.replace('los', 'lof'), 'latin1')))).toBe('crc');
    expect(reasonOf(() => decodeFrame(Buffer.from(text.replace(/\*([0-9A-F]{8})/, (_m, h: string) => `*${h.toLowerCase()}`), 'latin1')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(Buffer.from('hello world\r\n')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(withCrc('REQ 01 PING *')))).toBe('syntax'); // leading zero
    expect(reasonOf(() => decodeFrame(withCrc('REQ 65536 PING *')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 ping *')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING a=1 a=2 *')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING  a=1 *')))).toBe('syntax');
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING a=%41 *')))).toBe('escape'); // 'A' must not be escaped
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING a=%2f *')))).toBe('escape'); // lower-case hex
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING a=%FF *')))).toBe('escape'); // not UTF-8
    expect(reasonOf(() => decodeFrame(withCrc('REQ 1 PING a=%2 *')))).toBe('escape');
    expect(reasonOf(() => decodeFrame(Buffer.alloc(MAX_FRAME_BYTES, 0x41)))).toBe('too-long');
  });

  it('echoes what it could read of a rejected frame', () => {
    const line = encodeFrame({ kind: 'req', seq: 9, name: 'GET_HEALTH', fields: {} });
    line[line.length - 3] ^= 1; // damage the CRC text
    try {
      decodeFrame(line);
      expect.unreachable();
    } catch (e) {
      expect((e as FrameError).hint).toEqual({ kind: 'req', seq: 9, name: 'GET_HEALTH' });
      expect((e as FrameError).code).toMatch(/^DG100[12]$/);
    }
  });

  it('refuses to encode what it could not send', () => {
    expect(reasonOf(() => encodeFrame({ kind: 'req', seq: 70000, name: 'PING', fields: {} }))).toBe('syntax');
    expect(reasonOf(() => encodeFrame({ kind: 'req', seq: 1, name: 'PING', fields: { Bad: 'x' } }))).toBe('syntax');
    expect(reasonOf(() => encodeFrame({ kind: 'req', seq: 1, name: 'PING', fields: { a: 'x'.repeat(1100) } }))).toBe('too-long');
    // the longest value that fits is accepted
    const room = MAX_FRAME_BYTES - 'REQ 1 PING a= *00000000\r\n'.length;
    expect(encodeFrame({ kind: 'req', seq: 1, name: 'PING', fields: { a: 'x'.repeat(room) } }).length).toBe(MAX_FRAME_BYTES);
  });
});
