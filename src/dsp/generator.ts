/**
 * Test-signal generator: DTMF tones with the parameters ITU-T Q.24 tests a receiver over (level
 * per tone, twist, duration, frequency deviation), plus silence, sines and seeded noise.
 * Samples are floats in 16-bit units so signals can be mixed before one final rounding.
 */
import { type DtmfKey, keyTones } from './dtmf-keys.ts';
import { dbm0ToPeak, dbm0ToRms } from './levels.ts';
import { mulberry32 } from '../prng.ts';

export interface ToneSpec {
  key: DtmfKey;
  durationMs: number;
  /** Level of each tone in dBm0 (the low-group tone when twist is set). Default −10. */
  levelDbm0?: number;
  /** High-group level minus low-group level, in dB: positive means the high group is louder. */
  twistDb?: number;
  /** Fractional frequency error of the low-group tone, e.g. 0.015 for +1.5%. */
  lowDeviation?: number;
  /** Fractional frequency error of the high-group tone. */
  highDeviation?: number;
  sampleRate?: number;
  /** Start phase of both tones in radians (a real keypad's phase is arbitrary). Default 0. */
  phase?: number;
}

function samplesFor(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

export function dtmfTone(spec: ToneSpec): Float64Array {
  const sampleRate = spec.sampleRate ?? 8000;
  const level = spec.levelDbm0 ?? -10;
  const twist = spec.twistDb ?? 0;
  const { low, high } = keyTones(spec.key);
  const fLow = low * (1 + (spec.lowDeviation ?? 0));
  const fHigh = high * (1 + (spec.highDeviation ?? 0));
  const aLow = dbm0ToPeak(level);
  const aHigh = dbm0ToPeak(level + twist);
  const phase = spec.phase ?? 0;
  const n = samplesFor(spec.durationMs, sampleRate);
  const out = new Float64Array(n);
  const wLow = (2 * Math.PI * fLow) / sampleRate;
  const wHigh = (2 * Math.PI * fHigh) / sampleRate;
  for (let i = 0; i < n; i++) out[i] = aLow * Math.sin(wLow * i + phase) + aHigh * Math.sin(wHigh * i + phase);
  return out;
}

export function silence(ms: number, sampleRate = 8000): Float64Array {
  return new Float64Array(samplesFor(ms, sampleRate));
}

export function sine(freqHz: number, ms: number, peak: number, sampleRate = 8000): Float64Array {
  const n = samplesFor(ms, sampleRate);
  const out = new Float64Array(n);
  const w = (2 * Math.PI * freqHz) / sampleRate;
  for (let i = 0; i < n; i++) out[i] = peak * Math.sin(w * i);
  return out;
}


/** White Gaussian noise over the full band (0 to fs/2) with the given total power in dBm0. */
export function whiteNoise(ms: number, rmsDbm0: number, seed: number, sampleRate = 8000): Float64Array {
  const n = samplesFor(ms, sampleRate);
  const out = new Float64Array(n);
  const rms = dbm0ToRms(rmsDbm0);
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two independent standard normals per pair of uniforms.
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = rms * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = rms * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export function concat(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Sum of two signals; the result is as long as the longer one. */
export function mix(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(Math.max(a.length, b.length));
  out.set(a);
  for (let i = 0; i < b.length; i++) out[i] += b[i];
  return out;
}

/** Rounds to the nearest integer and clips to the 16-bit range. */
export function toInt16(x: Float64Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i]);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}
