/**
 * The masker's leak test set and the lookahead scan built on it (used by the unit tests and by
 * scripts/bench-masker.ts; the lead's benchmark may call `minLeakFreeLookaheadMs`).
 *
 * A case is one real tone at a known place [toneStart, toneEnd) of the input, in silence, white
 * noise 15 dB under the weaker tone, or directly between two stretches of speech-like audio. The
 * masker leaks nothing on a case when every output sample carrying a tone sample (output index =
 * input index + delay) lies inside a mask window: outside windows the output is the delayed input,
 * and the input outside [toneStart, toneEnd) holds no tone by construction.
 */
import { DTMF_KEYS, type DtmfKey, type MaskTone } from './dtmf-keys.ts';
import { concat, dtmfTone, mix, toInt16, whiteNoise } from './generator.ts';
import { type MaskWindow, Masker } from './masker.ts';
import { speechLike } from './mask-speech-like.ts';

export type LeakBackground = 'silence' | 'noise' | 'speech';

export interface LeakCase {
  name: string;
  key: DtmfKey;
  durationMs: number;
  levelDbm0: number;
  twistDb: number;
  lowDeviation: number;
  highDeviation: number;
  background: LeakBackground;
  seed: number;
}

export interface LeakInput {
  leakCase: LeakCase;
  samples: Int16Array;
  /** Input sample indexes of the tone, end exclusive. */
  toneStart: number;
  toneEnd: number;
}

export interface LeakResult {
  /** Tone samples whose output lies outside every mask window (0 = no leak). */
  leakedSamples: number;
  /** Output samples masked before the tone's first sample (negative: the leading edge leaked). */
  leadMargin: number;
  /** Output samples masked after the tone's last sample (negative: the tail leaked). */
  tailMargin: number;
  /** Length of the mask window over the tone minus the tone's length, in samples. */
  lengthExcess: number;
  windows: MaskWindow[];
  /** The whole output: process() of the input, then flush(). */
  output: Int16Array;
}

const SPEECH_DBM0 = -20;
const SNR_DB = 15;
const MARGIN_MS = 120; // background before and after the tone

/** The leak test set of the masker's requirements (about 800 cases, 5 minutes of audio). */
export function leakCases(): LeakCase[] {
  const cases: LeakCase[] = [];
  let seed = 1;
  const add = (
    key: DtmfKey,
    durationMs: number,
    levelDbm0: number,
    background: LeakBackground,
    twistDb = 0,
    lowDeviation = 0,
    highDeviation = 0,
  ): void => {
    const name = `${background} ${durationMs}ms ${levelDbm0}dBm0 twist${twistDb} dev${lowDeviation}/${highDeviation} key#${DTMF_KEYS.indexOf(key)}`;
    cases.push({ name, key, durationMs, levelDbm0, twistDb, lowDeviation, highDeviation, background, seed: seed++ });
  };
  for (const key of DTMF_KEYS) {
    // Digits in silence, every duration and level of the requirement.
    for (const d of [40, 60, 100, 500]) for (const l of [0, -10, -20, -30]) add(key, d, l, 'silence');
    // Bursts too short for a Q.24 detector, down to what a sensitive detector still finds.
    for (const d of [10, 15, 20, 25, 30]) for (const l of [-10, -30, -45]) add(key, d, l, 'silence');
    // Twist at Q.24's limits with ±1.5% deviation, every sign combination.
    for (const [twist, dl, dh] of [
      [4, 0.015, -0.015],
      [4, -0.015, 0.015],
      [-8, -0.015, 0.015],
      [-8, 0.015, -0.015],
    ]) {
      for (const l of [-10, -30]) add(key, 40, l, 'silence', twist, dl, dh);
      add(key, 20, -20, 'silence', twist, dl, dh);
      add(key, 100, -20, 'noise', twist, dl, dh);
    }
    // White noise 15 dB under the weaker tone.
    for (const d of [40, 20]) for (const l of [-10, -30, -45]) add(key, d, l, 'noise');
    // Directly between two stretches of speech-like audio at −20 dBm0.
    for (const d of [100, 40, 20]) for (const l of [-10, -20]) add(key, d, l, 'speech');
    for (const d of [100, 40]) add(key, d, -30, 'speech');
  }
  return cases;
}

export function buildLeakInput(c: LeakCase, sampleRate = 8000): LeakInput {
  const tone = dtmfTone({
    key: c.key,
    durationMs: c.durationMs,
    levelDbm0: c.levelDbm0,
    twistDb: c.twistDb,
    lowDeviation: c.lowDeviation,
    highDeviation: c.highDeviation,
    phase: (c.seed * 2.399963) % (2 * Math.PI), // a real keypad's phase is arbitrary
    sampleRate,
  });
  // The tone starts at every offset within the masker's 5 ms analysis blocks across the set.
  const margin = Math.round((MARGIN_MS * sampleRate) / 1000) + ((c.seed * 17) % 41);
  let before: Float64Array = new Float64Array(margin);
  let after: Float64Array = new Float64Array(margin);
  let x: Float64Array;
  if (c.background === 'speech') {
    before = speechLike((margin * 1000) / sampleRate, c.seed * 2, SPEECH_DBM0, sampleRate);
    after = speechLike(MARGIN_MS, c.seed * 2 + 1, SPEECH_DBM0, sampleRate);
    x = concat(before, tone, after);
  } else {
    x = concat(before, tone, after);
    if (c.background === 'noise') {
      const weaker = c.levelDbm0 + Math.min(0, c.twistDb);
      const ms = (x.length * 1000) / sampleRate;
      x = mix(x, whiteNoise(ms, weaker - SNR_DB, c.seed, sampleRate));
    }
  }
  return { leakCase: c, samples: toInt16(x), toneStart: margin, toneEnd: margin + tone.length };
}

/** Runs one case through a fresh masker in one chunk and measures what leaked. */
export function runLeakCase(input: LeakInput, maskTone: MaskTone, lookaheadMs: number, sampleRate = 8000): LeakResult {
  const masker = new Masker({ maskTone, lookaheadMs, sampleRate });
  const head = masker.process(input.samples);
  const tail = masker.flush();
  const output = new Int16Array(head.length + tail.length);
  output.set(head);
  output.set(tail, head.length);
  const windows = masker.drainWindows();
  const d = masker.delaySamples;
  const start = input.toneStart + d;
  const end = input.toneEnd + d;
  let covered = 0;
  let leadMargin = -(end - start);
  let tailMargin = -(end - start);
  let lengthExcess = -(end - start);
  for (const w of windows) {
    const a = Math.max(w.startSample, start);
    const b = Math.min(w.endSample, end);
    if (b > a) covered += b - a;
    if (w.startSample <= start && w.endSample > start) leadMargin = start - w.startSample;
    if (w.startSample < end && w.endSample >= end) tailMargin = w.endSample - end;
    if (w.startSample <= start && w.endSample >= end) lengthExcess = w.endSample - w.startSample - (end - start);
  }
  return { leakedSamples: end - start - covered, leadMargin, tailMargin, lengthExcess, windows, output };
}

/** Names of the cases that leak at this lookahead (empty: leak-free over the whole set). */
export function leakingCases(inputs: readonly LeakInput[], lookaheadMs: number, maskTone: MaskTone = '#'): string[] {
  const failed: string[] = [];
  for (const input of inputs) {
    if (runLeakCase(input, maskTone, lookaheadMs).leakedSamples > 0) failed.push(input.leakCase.name);
  }
  return failed;
}

/**
 * The smallest lookahead (whole ms, scanned from `fromMs` to `toMs`) from which every larger
 * lookahead in the scan is leak-free over the leak test set; NaN when even `toMs` leaks.
 */
export function minLeakFreeLookaheadMs(fromMs = 5, toMs = 40, inputs: readonly LeakInput[] = leakCases().map((c) => buildLeakInput(c))): number {
  let best = Number.NaN;
  for (let ms = toMs; ms >= fromMs; ms--) {
    if (leakingCases(inputs, ms).length > 0) break;
    best = ms;
  }
  return best;
}
