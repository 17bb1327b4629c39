/**
 * What the relay needs from the board's masker, so the stream logic can be driven by the real
 * `G711Masker` (src/dsp/masker.ts) in production and by a plain delay line in unit tests.
 */
import type { G711Codec } from '../../src/dsp/g711.ts';
import type { MaskTone } from '../../src/dsp/dtmf-keys.ts';

/** A finished mask window, in the masker's output-stream sample indexes (never a digit value). */
export interface CodewordMaskWindow {
  startSample: number;
  endSample: number;
}

/**
 * Codewords in, the same number of codewords out, delayed by `lookaheadMs`: output i is input
 * i - delay except inside mask windows (the G711Masker contract).
 */
export interface CodewordMasker {
  /** Writes into `out` (exactly as long as `codes`) when given, and returns it. */
  process(codes: Uint8Array, out?: Uint8Array): Uint8Array;
  drainWindows(): CodewordMaskWindow[];
  /**
   * The masker as it was made, nothing of the last stream kept: a stream restarting its audio
   * path, or a spare stream taking a new call, resets the masker it has instead of making one
   * (no allocation). Optional: without it the stream makes a new masker each time.
   */
  reset?(): void;
  /** Frees what the masker holds outside the JS heap (the DSP kernel's channel block); optional. */
  dispose?(): void;
}

export interface MaskerSettings {
  maskTone: MaskTone;
  lookaheadMs: number;
  sampleRate: number;
}

export type MaskerFactory = (codec: G711Codec, settings: MaskerSettings) => CodewordMasker;

/** Samples of delay a masker with this lookahead adds (the masker rounds the same way). */
export function lookaheadSamples(settings: MaskerSettings): number {
  return Math.round((settings.lookaheadMs * settings.sampleRate) / 1000);
}
