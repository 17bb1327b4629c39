/**
 * BoardChannelPipeline runs the detector and the masker over ONE analysis (dtmf-analysis.ts). It
 * must give exactly what a separate `Masker` (or `G711Masker`) and `DtmfDetector` give on the
 * same stream: the same output samples or codewords, the same mask windows, the same digits with
 * the same edges. The fixtures hold the Q.24 rows' edge cases (deviation, level, twist, duration,
 * interruption, noise) and speech, so the shared path meets Q.24 wherever the detector's does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoardChannelPipeline, G711BoardChannelPipeline } from '../../../src/dsp/board-pipeline.ts';
import { type DetectedDigit, DtmfDetector } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { decodeG711, encodeG711 } from '../../../src/dsp/g711.ts';
import { G711Masker, Masker, type MaskWindow } from '../../../src/dsp/masker.ts';
import { isDgError } from '../../../src/errors.ts';
import { Q24_EDGE_STREAMS, runStream } from './masker-helpers.ts';

const ALL_KEYS = DTMF_KEYS.join('');

/** Named fixtures: each a stream the separate detector and masker are run on too. */
const FIXTURES = Q24_EDGE_STREAMS;

function separate(x: Int16Array, chunk: number): { output: Int16Array; windows: MaskWindow[]; digits: DetectedDigit[] } {
  const { output, windows } = runStream(new Masker({ maskTone: '#' }), x, [chunk]);
  const d = new DtmfDetector();
  const digits: DetectedDigit[] = [];
  for (let i = 0; i < x.length; i += chunk) digits.push(...d.process(x.subarray(i, i + chunk)));
  digits.push(...d.flush());
  return { output, windows, digits };
}

function shared(p: BoardChannelPipeline, x: Int16Array, chunks: readonly number[]): { output: Int16Array; windows: MaskWindow[]; digits: DetectedDigit[] } {
  const parts: Int16Array[] = [];
  const windows: MaskWindow[] = [];
  const digits: DetectedDigit[] = [];
  let c = 0;
  for (let pos = 0; pos < x.length; ) {
    const n = Math.max(1, chunks[c++ % chunks.length]);
    const r = p.process(x.subarray(pos, pos + n));
    parts.push(r.out);
    digits.push(...r.digits);
    windows.push(...p.drainWindows());
    pos += n;
  }
  const last = p.flush();
  parts.push(last.out);
  digits.push(...last.digits);
  windows.push(...p.drainWindows());
  const output = new Int16Array(parts.reduce((n, q) => n + q.length, 0));
  let o = 0;
  for (const q of parts) {
    output.set(q, o);
    o += q.length;
  }
  return { output, windows, digits };
}

describe('BoardChannelPipeline: detector and masker over one analysis', () => {
  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`same output, windows and digits as a separate Masker and DtmfDetector: ${name}`, () => {
      const x = make();
      const ref = separate(x, 160);
      const got = shared(new BoardChannelPipeline({ maskTone: '#' }), x, [160]);
      expect(got.digits).toEqual(ref.digits);
      expect(got.windows).toEqual(ref.windows);
      expect(Buffer.from(got.output.buffer).equals(Buffer.from(ref.output.buffer))).toBe(true);
    });
  }

  it('finds what Q.24 asks on the accept rows and nothing on the reject rows (not only "the same as the detector")', () => {
    const digitsOf = (x: Int16Array): string => shared(new BoardChannelPipeline({ maskTone: '#' }), x, [160]).digits.map((d) => d.digit).join('');
    expect(digitsOf(FIXTURES['all keys +1.5 % (accept row)']())).toBe(ALL_KEYS);
    expect(digitsOf(FIXTURES['all keys −25 dBm0, high group 4 dB louder']())).toBe(ALL_KEYS);
    expect(digitsOf(FIXTURES['all keys at 15 dB SNR']())).toBe(ALL_KEYS);
    expect(digitsOf(FIXTURES['10 ms interruption inside 60 ms digits']())).toBe('369#');
    expect(digitsOf(FIXTURES['all keys −3.5 % (reject row)']())).toBe('');
    expect(digitsOf(FIXTURES['23 ms bursts (reject row)']())).toBe('');
    expect(digitsOf(FIXTURES['−55 dBm0 (reject row)']())).toBe('');
  });

  it('any chunking gives the same output, windows and digits', () => {
    const x = FIXTURES['test PAN between speech, −15 dBm0']();
    const ref = shared(new BoardChannelPipeline({ maskTone: '0' }), x, [x.length]);
    expect(ref.digits.length).toBe(16);
    const chunks = fc.array(fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 400 }), fc.integer({ min: 401, max: 9000 })), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(chunks, (cs) => {
        const got = shared(new BoardChannelPipeline({ maskTone: '0' }), x, cs);
        expect(got.digits).toEqual(ref.digits);
        expect(got.windows).toEqual(ref.windows);
        expect(Buffer.from(got.output.buffer).equals(Buffer.from(ref.output.buffer))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('is ready for a new stream after flush (same result twice)', () => {
    const x = FIXTURES['all keys at 15 dB SNR']();
    const p = new BoardChannelPipeline({ maskTone: '1', lookaheadMs: 20 });
    const first = shared(p, x, [160]);
    const second = shared(p, x, [160]);
    expect(second).toEqual(first);
    expect(first.digits.length).toBe(16);
  });

  it('G.711: same codewords, windows and digits as a G711Masker and a detector on the decoded audio', () => {
    for (const codec of ['alaw', 'ulaw'] as const) {
      const codes = encodeG711(codec, FIXTURES['test PAN between speech, −15 dBm0']());
      const ref = runStream(new G711Masker(codec, { maskTone: '#', lookaheadMs: 20 }), codes, [160]);
      const d = new DtmfDetector();
      const refDigits = [...d.process(decodeG711(codec, codes)), ...d.flush()];
      const p = new G711BoardChannelPipeline(codec, { maskTone: '#', lookaheadMs: 20 });
      const parts: Uint8Array[] = [];
      const digits: DetectedDigit[] = [];
      const windows: MaskWindow[] = [];
      for (let i = 0; i < codes.length; i += 160) {
        const r = p.process(codes.subarray(i, i + 160));
        parts.push(r.out.slice());
        digits.push(...r.digits);
        windows.push(...p.drainWindows());
      }
      const last = p.flush();
      parts.push(last.out);
      digits.push(...last.digits);
      windows.push(...p.drainWindows());
      expect(digits).toEqual(refDigits);
      expect(refDigits.length).toBe(16);
      expect(windows).toEqual(ref.windows);
      expect(Buffer.concat(parts).equals(Buffer.from(ref.output))).toBe(true);
    }
  });

  it('refuses a sample rate whose 10 ms block is not two 5 ms halves (DG2605) and a bad codec (DG2604)', () => {
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return isDgError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(err(() => new BoardChannelPipeline({ maskTone: '#', sampleRate: 22050 }))).toBe('DG2605');
    expect(err(() => new G711BoardChannelPipeline('pcm' as never, { maskTone: '#' }))).toBe('DG2604');
  });
});
