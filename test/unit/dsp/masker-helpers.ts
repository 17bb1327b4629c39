/** Shared by the masker tests: running a stream through, keyed digit sequences, a reference Goertzel. */
import { DTMF_KEYS, type DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { rmsToDbm0 } from '../../../src/dsp/levels.ts';
import { type MaskWindow } from '../../../src/dsp/masker.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';

interface StreamMasker<T extends Int16Array | Uint8Array> {
  process(input: T): T;
  flush(): T;
  drainWindows(): MaskWindow[];
}

/** Feeds `input` in chunks of the given sizes (cycled; one chunk when empty), then flushes. */
export function runStream<T extends Int16Array | Uint8Array>(
  masker: StreamMasker<T>,
  input: T,
  chunks: readonly number[] = [],
): { output: T; windows: MaskWindow[] } {
  const parts: T[] = [];
  const windows: MaskWindow[] = [];
  let pos = 0;
  let c = 0;
  while (pos < input.length) {
    const n = chunks.length ? Math.max(1, chunks[c++ % chunks.length]) : input.length;
    parts.push(masker.process(input.subarray(pos, pos + n) as T));
    windows.push(...masker.drainWindows());
    pos += n;
  }
  parts.push(masker.flush());
  windows.push(...masker.drainWindows());
  const total = parts.reduce((n, p) => n + p.length, 0);
  const output = new (input.constructor as new (n: number) => T)(total);
  let o = 0;
  for (const p of parts) {
    output.set(p as never, o);
    o += p.length;
  }
  return { output, windows };
}

/** True for every output index inside one of the windows. */
export function windowMap(windows: readonly MaskWindow[], length: number): Uint8Array {
  const m = new Uint8Array(length);
  for (const w of windows) m.fill(1, w.startSample, Math.min(length, w.endSample));
  return m;
}

export interface KeyedTone {
  key: DtmfKey;
  start: number;
  end: number;
}

export interface SequenceOptions {
  onMs?: number;
  offMs?: number;
  levelDbm0?: number;
  twistDb?: number;
  deviation?: number;
  /** White noise this many dB under the tone level. */
  snrDb?: number;
  /** Speech-like audio at −20 dBm0 before and after the digits instead of silence. */
  speech?: boolean;
  seed?: number;
}

/** Keys a digit sequence (ITU-T Q.24 timing by default: 40 ms on, 40 ms off) with 200 ms around it. */
export function keyedSequence(keys: string, o: SequenceOptions = {}): { samples: Int16Array; tones: KeyedTone[] } {
  const onMs = o.onMs ?? 40;
  const offMs = o.offMs ?? 40;
  const seed = o.seed ?? 1;
  const parts: Float64Array[] = [];
  const tones: KeyedTone[] = [];
  const lead = o.speech ? speechLike(400, seed, -20) : silence(200);
  parts.push(lead);
  let pos = lead.length;
  let i = 0;
  for (const k of keys) {
    const tone = dtmfTone({
      key: k as DtmfKey,
      durationMs: onMs,
      levelDbm0: o.levelDbm0 ?? -10,
      twistDb: o.twistDb ?? 0,
      lowDeviation: o.deviation ?? 0,
      highDeviation: -(o.deviation ?? 0),
      phase: (seed + i++) * 1.7,
    });
    tones.push({ key: k as DtmfKey, start: pos, end: pos + tone.length });
    const gap = silence(offMs);
    parts.push(tone, gap);
    pos += tone.length + gap.length;
  }
  parts.push(o.speech ? speechLike(400, seed + 1, -20) : silence(200));
  let x = concat(...parts);
  if (o.snrDb !== undefined) x = mix(x, whiteNoise((x.length * 1000) / 8000, (o.levelDbm0 ?? -10) - o.snrDb, seed));
  return { samples: toInt16(x), tones };
}

/** Power of the component at `freq` over x[off..off+n), as the level of a sine in dBm0 (reference Goertzel). */
export function toneLevelDbm0(x: ArrayLike<number>, off: number, n: number, freq: number, sampleRate = 8000): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  let re = 0;
  let im = 0;
  for (let k = 0; k < n; k++) {
    re += x[off + k] * Math.cos(w * k);
    im -= x[off + k] * Math.sin(w * k);
  }
  const amplitude = (2 * Math.hypot(re, im)) / n;
  return rmsToDbm0(amplitude / Math.SQRT2);
}

export function rmsDbm0(x: ArrayLike<number>, off: number, n: number): number {
  let e = 0;
  for (let k = 0; k < n; k++) e += x[off + k] * x[off + k];
  return rmsToDbm0(Math.sqrt(e / n));
}

const ALL_KEYS = DTMF_KEYS.join('');

/**
 * Named 16-bit streams on the Q.24 rows' edges (deviation, level, twist, duration, interruption,
 * noise), speech, and streams that end inside a 5 ms half, inside a 10 ms block and on its
 * boundary: two implementations of one path must agree on all of them (board-pipeline.test.ts,
 * wasm-kernel.test.ts).
 */
export const Q24_EDGE_STREAMS: Readonly<Record<string, () => Int16Array>> = {
  'test PAN between speech, −15 dBm0': () => keyedSequence('4111111111111111', { speech: true, seed: 3, levelDbm0: -15 }).samples,
  'all keys +1.5 % (accept row)': () => keyedSequence(ALL_KEYS, { deviation: 0.015, seed: 4 }).samples,
  'all keys −3.5 % (reject row)': () => keyedSequence(ALL_KEYS, { deviation: -0.035, seed: 5 }).samples,
  'all keys −25 dBm0, high group 4 dB louder': () => keyedSequence(ALL_KEYS, { levelDbm0: -25, twistDb: 4, seed: 6 }).samples,
  'all keys −20 dBm0, low group 8 dB louder': () => keyedSequence(ALL_KEYS, { levelDbm0: -20, twistDb: -8, seed: 7 }).samples,
  'all keys at 15 dB SNR': () => keyedSequence(ALL_KEYS, { snrDb: 15, seed: 8 }).samples,
  '23 ms bursts (reject row)': () => keyedSequence('159D', { onMs: 23, offMs: 60, seed: 9 }).samples,
  '−55 dBm0 (reject row)': () => keyedSequence('2580', { levelDbm0: -55, seed: 10 }).samples,
  '10 ms interruption inside 60 ms digits': () => {
    const parts: Float64Array[] = [silence(100)];
    for (const key of ['3', '6', '9', '#'] as const) {
      parts.push(dtmfTone({ key, durationMs: 30, levelDbm0: -12 }), silence(10), dtmfTone({ key, durationMs: 30, levelDbm0: -12, phase: 1 }), silence(70));
    }
    return toInt16(concat(...parts));
  },
  // Odd lengths: the stream ends inside a 5 ms half, inside the second half of a 10 ms block, on a boundary.
  'ends mid-half during a digit': () => keyedSequence('7', { seed: 11 }).samples.subarray(0, 1600 + 40 + 17),
  'ends mid-block during a digit': () => keyedSequence('8', { seed: 12 }).samples.subarray(0, 1600 + 40),
  'ends on a block boundary during a digit': () => keyedSequence('9', { seed: 13 }).samples.subarray(0, 1600 + 80),
};
