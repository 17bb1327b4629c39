/**
 * The fixed DSP workload of `npm run bench` and of the lookahead measurement: seeded, so every run
 * (and the C reference) sees the same samples.
 */
import type { DtmfKey } from '../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, silence, toInt16, whiteNoise, mix } from '../src/dsp/generator.ts';
import { speechLike } from '../src/dsp/mask-speech-like.ts';

export const RATE = 8000;

export interface PlacedDigit {
  key: DtmfKey;
  /** Input sample indexes of the tone, end exclusive. */
  startSample: number;
  endSample: number;
}

export interface Workload {
  samples: Int16Array;
  digits: PlacedDigit[];
}

/** A test PAN (Visa's published test number) and every key once: never a real card number. */
const SEQUENCES: DtmfKey[][] = [[...'4111111111111111'], [...'0123456789ABCD*#']] as DtmfKey[][];

/**
 * 8 rounds of 4.5 s of speech-like audio at −20 dBm0 followed by 16 digits (80 ms tone, 80 ms
 * pause, −10 dBm0 per tone), then 1 s of speech: 57.5 s, 128 digits. Callers key while nobody talks,
 * so the digits sit in the pauses; the speech is what a detector must not turn into digits.
 */
export function benchWorkload(): Workload {
  const parts: Float64Array[] = [];
  const digits: PlacedDigit[] = [];
  let at = 0;
  const push = (x: Float64Array): void => {
    parts.push(x);
    at += x.length;
  };
  for (let round = 0; round < 8; round++) {
    push(speechLike(4500, 1000 + round));
    for (const key of SEQUENCES[round % 2]) {
      const tone = dtmfTone({ key, durationMs: 80, levelDbm0: -10 });
      digits.push({ key, startSample: at, endSample: at + tone.length });
      push(tone);
      push(silence(80));
    }
  }
  push(speechLike(1000, 2000));
  return { samples: toInt16(concat(...parts)), digits };
}

export interface LookaheadCase {
  name: string;
  workload: Workload;
}

/**
 * Tones for the zero-leak lookahead sweep: every key at the edges of Q.24's acceptance range
 * (0 and −25 dBm0, twist +4 and −8 dB, ±1.5 % deviation) and a short 25 ms burst, apart by 60 ms,
 * once in silence and once over white noise at −40 dBm0.
 */
export function lookaheadCases(): LookaheadCase[] {
  const variants: Array<{ durationMs: number; levelDbm0: number; twistDb: number; dev: number }> = [
    { durationMs: 40, levelDbm0: 0, twistDb: 0, dev: 0.015 },
    { durationMs: 40, levelDbm0: -25, twistDb: 4, dev: -0.015 },
    { durationMs: 60, levelDbm0: -20, twistDb: -8, dev: 0.015 },
    { durationMs: 100, levelDbm0: -10, twistDb: 0, dev: 0 },
    { durationMs: 25, levelDbm0: -10, twistDb: 0, dev: 0 },
  ];
  const keys: DtmfKey[] = [...'123A456B789C*0#D'] as DtmfKey[];
  const build = (noiseDbm0: number | undefined, seed: number): Workload => {
    const parts: Float64Array[] = [silence(60)];
    const digits: PlacedDigit[] = [];
    let at = parts[0].length;
    let phase = 0;
    for (const v of variants) {
      for (const key of keys) {
        phase = (phase + 1.3) % (2 * Math.PI);
        const tone = dtmfTone({ key, durationMs: v.durationMs, levelDbm0: v.levelDbm0, twistDb: v.twistDb, lowDeviation: v.dev, highDeviation: -v.dev, phase });
        digits.push({ key, startSample: at, endSample: at + tone.length });
        parts.push(tone, silence(60));
        at += tone.length + Math.round(0.06 * RATE);
      }
    }
    const clean = concat(...parts);
    const x = noiseDbm0 === undefined ? clean : mix(clean, whiteNoise((clean.length * 1000) / RATE, noiseDbm0, seed));
    return { samples: toInt16(x), digits };
  };
  return [
    { name: 'silence', workload: build(undefined, 0) },
    { name: 'noise -40 dBm0', workload: build(-40, 7) },
  ];
}
