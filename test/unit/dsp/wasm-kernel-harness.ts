/**
 * Shared by the kernel's differential tests: one stream run through a channel class with a given
 * implementation ('kernel' or 'js'), recording everything a caller can observe: the output,
 * the mask windows, the digits and the pending digit after every call.
 */
import { BoardChannelPipeline, G711BoardChannelPipeline } from '../../../src/dsp/board-pipeline.ts';
import type { DetectedDigit, PendingDigit } from '../../../src/dsp/detector.ts';
import type { MaskTone } from '../../../src/dsp/dtmf-keys.ts';
import { type G711Codec, encodeG711 } from '../../../src/dsp/g711.ts';
import { G711Masker, Masker, type MaskWindow } from '../../../src/dsp/masker.ts';
import { loadKernel } from '../../../src/dsp/wasm/kernel.ts';

export type Kind = 'masker' | 'pipeline';
export type Codec = 'linear' | G711Codec;

export interface ChannelSpec {
  kind: Kind;
  codec: Codec;
  maskTone: MaskTone;
  lookaheadMs?: number;
  sampleRate?: number;
  secure?: boolean;
}

export interface Run {
  /** Output samples (linear) or codewords (G.711), flushes included. */
  output: number[];
  windows: MaskWindow[];
  digits: DetectedDigit[];
  /** pending() after every call (pipelines). */
  pending: (PendingDigit | null)[];
}

export interface Schedule {
  /** Chunk sizes, cycled. */
  chunks: readonly number[];
  /** Call indexes before which `secure` flips. */
  toggles?: ReadonlySet<number>;
  /** Streams run one after another through the same channel (flush between them). */
  streams?: number;
}

interface AnyChannel {
  secure: boolean;
  readonly implementation: 'kernel' | 'js';
  readonly stateBytes: number;
  drainWindows(): MaskWindow[];
  reset(): void;
  dispose(): void;
}

/** A channel of any class behind one face: run a chunk, end the stream, the pending digit. */
export type TestChannel = AnyChannel & { run(x: Int16Array | Uint8Array): { out: ArrayLike<number>; digits: DetectedDigit[] }; end(): { out: ArrayLike<number>; digits: DetectedDigit[] }; pend(): PendingDigit | null };

export function openChannel(spec: ChannelSpec, implementation: 'kernel' | 'js'): TestChannel {
  const opts = { maskTone: spec.maskTone, lookaheadMs: spec.lookaheadMs, sampleRate: spec.sampleRate, secure: spec.secure, implementation };
  if (spec.kind === 'masker') {
    const m = spec.codec === 'linear' ? new Masker(opts) : new G711Masker(spec.codec, opts);
    return Object.assign(m, {
      run: (x: Int16Array | Uint8Array) => ({ out: (m.process as (x: Int16Array | Uint8Array) => ArrayLike<number>)(x), digits: [] }),
      end: () => ({ out: m.flush() as ArrayLike<number>, digits: [] }),
      pend: () => null,
    });
  }
  const p = spec.codec === 'linear' ? new BoardChannelPipeline(opts) : new G711BoardChannelPipeline(spec.codec, opts);
  return Object.assign(p, {
    run: (x: Int16Array | Uint8Array) => (p.process as (x: Int16Array | Uint8Array) => { out: ArrayLike<number>; digits: DetectedDigit[] })(x),
    end: () => p.flush() as { out: ArrayLike<number>; digits: DetectedDigit[] },
    pend: () => p.pending(),
  });
}

/** The stream as the channel takes it: samples, or their G.711 codewords. */
export function asInput(samples: Int16Array, codec: Codec): Int16Array | Uint8Array {
  return codec === 'linear' ? samples : encodeG711(codec, samples);
}

export function runChannel(spec: ChannelSpec, implementation: 'kernel' | 'js', input: Int16Array | Uint8Array, schedule: Schedule): Run {
  const ch = openChannel(spec, implementation);
  if (ch.implementation !== implementation) throw new Error(`asked for ${implementation}, got ${ch.implementation}`);
  const run = feedChannel(ch, input, schedule);
  ch.dispose();
  return run;
}

/** Runs `input` through an open channel by `schedule`, each stream ended by a flush. */
export function feedChannel(ch: TestChannel, input: Int16Array | Uint8Array, schedule: Schedule): Run {
  const run: Run = { output: [], windows: [], digits: [], pending: [] };
  const streams = schedule.streams ?? 1;
  let call = 0;
  for (let s = 0; s < streams; s++) {
    let c = 0;
    for (let pos = 0; pos < input.length; ) {
      if (schedule.toggles?.has(call)) ch.secure = !ch.secure;
      const n = Math.max(1, schedule.chunks[c++ % schedule.chunks.length]);
      const r = ch.run(input.subarray(pos, pos + n));
      for (let i = 0; i < r.out.length; i++) run.output.push(r.out[i]);
      run.digits.push(...r.digits);
      run.windows.push(...ch.drainWindows());
      run.pending.push(ch.pend());
      pos += n;
      call++;
    }
    const f = ch.end();
    for (let i = 0; i < f.out.length; i++) run.output.push(f.out[i]);
    run.digits.push(...f.digits);
    run.windows.push(...ch.drainWindows());
    run.pending.push(ch.pend());
  }
  return run;
}

/** Index of the first difference between two outputs, or -1. */
export function firstDifference(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Whether the kernel is there to compare (CI must have it: see wasm-kernel.test.ts). */
export const KERNEL_BUILT = loadKernel() !== null;
