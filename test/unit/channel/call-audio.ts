/**
 * Test calls for the channel tests: two legs laid out on a timeline (speech, DTMF digits,
 * silence), as G.711 codewords, with the positions of every digit kept for the checks.
 */
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { detectDigits, type DetectedDigit } from '../../../src/dsp/detector.ts';
import { decodeG711, encodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { dtmfTone, toInt16 } from '../../../src/dsp/generator.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';

export type Part = { digits: string; toneMs?: number; gapMs?: number; levelDbm0?: number } | { speechMs: number; seed: number } | { silenceMs: number };

/** One leg: the parts one after the other at 8 kHz. */
export function leg(parts: Part[]): { pcm: Int16Array; digits: Array<{ key: DtmfKey; startMs: number; endMs: number }> } {
  const chunks: Float64Array[] = [];
  const digits: Array<{ key: DtmfKey; startMs: number; endMs: number }> = [];
  let ms = 0;
  for (const p of parts) {
    if ('digits' in p) {
      const toneMs = p.toneMs ?? 80;
      const gapMs = p.gapMs ?? 80;
      for (const key of p.digits as Iterable<DtmfKey>) {
        chunks.push(dtmfTone({ key, durationMs: toneMs, levelDbm0: p.levelDbm0 ?? -10 }), new Float64Array(gapMs * 8));
        digits.push({ key, startMs: ms, endMs: ms + toneMs });
        ms += toneMs + gapMs;
      }
    } else if ('speechMs' in p) {
      chunks.push(speechLike(p.speechMs, p.seed, -20));
      ms += p.speechMs;
    } else {
      chunks.push(new Float64Array(p.silenceMs * 8));
      ms += p.silenceMs;
    }
  }
  const all = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return { pcm: toInt16(all), digits };
}

/** Pads (with the codec's silence) or cuts codewords to `n`. */
export function fit(codes: Uint8Array, n: number, codec: G711Codec): Uint8Array {
  const out = new Uint8Array(n).fill(codec === 'alaw' ? 0xd5 : 0xff);
  out.set(codes.subarray(0, n));
  return out;
}

export function codewords(pcm: Int16Array, codec: G711Codec): Uint8Array {
  return encodeG711(codec, pcm);
}

/** What a receiver hears in a leg's output: digits found by the Q.24 detector. */
export function heard(codes: Uint8Array, codec: G711Codec): DetectedDigit[] {
  return detectDigits(decodeG711(codec, codes));
}
