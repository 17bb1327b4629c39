/**
 * Loader of the per-channel DSP kernel (channel-kernel.c, built by scripts/build-wasm.sh into
 * build/dsp/channel-kernel.wasm) and the channel handle the DSP classes drive it through.
 *
 * The kernel is optional: without the .wasm (no clang where it was installed) `loadKernel()`
 * returns null and Masker, G711Masker and the board pipelines run their JS implementation, which
 * stays the reference the kernel is tested against (test/unit/dsp/wasm-kernel*.test.ts).
 * DTMFGUARD_DSP_KERNEL=js forces the JS implementation for the whole process; a path there loads
 * that .wasm instead of the built one (a missing file then means no kernel, as when not built).
 *
 * One instance serves every channel of the process: a channel is one block of its linear memory
 * (state, delay line, block buffers; see channelBytes), freed by `dispose()` or, as a safety net,
 * when the channel object is garbage-collected. Tables that never change (rate constants, pair-fit
 * inverses, mask tones, G.711 decode tables) are stored once and shared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DgError } from '../../errors.ts';
import { DTMF_KEYS } from '../dtmf-keys.ts';
import type { DetectedDigit, PendingDigit } from '../detector.ts';
import type { MaskWindow } from '../masker.ts';

/** Where scripts/build-wasm.sh puts the kernel. */
export const KERNEL_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'dsp', 'channel-kernel.wasm');

interface Exports {
  memory: WebAssembly.Memory;
  k_alloc(n: number): number;
  k_free(p: number): void;
  k_windows(): number;
  k_digits(): number;
  k_run(c: number, inp: number, out: number, n: number): number;
  k_finish(c: number, out: number): number;
  k_set_secure(c: number, on: number): void;
  k_pending_key(c: number): number;
  k_pending_start(c: number): number;
  k_pending_confirmed(c: number): number;
  k_chan_bytes(b: number, d: number, elem: number, markSize: number): number;
  k_chan_new(cfg: number): number;
  k_chan_reset(c: number): void;
  k_decode_check(law: number, table: number): number;
}

/**
 * Elements per kernel call: longer inputs go through in pieces (the result does not depend on
 * chunking). Bounds what one call can report: a window needs a whole 5 ms block, a digit three
 * 10 ms ones, far under the kernel's MAX_WINDOWS and MAX_DIGITS at any rate from 4 kHz.
 */
const PIECE = 8192;
/** Doubles of a channel configuration (layout: k_chan_new in channel-kernel.c). */
const CFG_LENGTH = 67;

/** What a channel is made of; the numbers come from the JS classes so both judge alike. */
export interface KernelChannelConfig {
  /** Samples per 5 ms half. */
  halfSize: number;
  delaySamples: number;
  /** 2: Int16 samples; 1: G.711 codewords. */
  elementBytes: 1 | 2;
  /** What the delay line holds before the stream starts. */
  fillValue: number;
  /** The mask tone (samples or codewords), one period, and a key naming it for sharing. */
  maskTable: Int16Array | Uint8Array;
  maskKey: string;
  /** G.711 decode table (codewords only), and a key naming it. */
  decodeTable: Int16Array | null;
  decodeKey: string;
  /** DtmfAnalysis constants (kernelConstants) and the rate they belong to. */
  analysisK: Float64Array;
  gateEnergy: number;
  sampleRate: number;
  /** TonePresence.kernelParams(). */
  presence: number[];
  markSize: number;
  secure: boolean;
  /** DtmfDetector.kernelParams(), for a pipeline; null for a masker alone. */
  detector: { block: number[]; pairInverse: Float64Array; digit: number[] } | null;
}

export class DspKernel {
  private readonly x: Exports;
  private buffer: ArrayBuffer;
  private h8!: Uint8Array;
  private h16!: Int16Array;
  private f64!: Float64Array;
  private readonly shared = new Map<string, number>();
  private scratchIn = 0;
  private scratchOut = 0;
  private scratchBytes = 0;
  private readonly windowsPtr: number;
  private readonly digitsPtr: number;
  private readonly cfgPtr: number;
  private readonly registry = new FinalizationRegistry<number>((ptr) => this.x.k_free(ptr));

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, { env: { atan2: Math.atan2 } });
    this.x = instance.exports as unknown as Exports;
    this.buffer = this.x.memory.buffer;
    this.views();
    this.windowsPtr = this.x.k_windows();
    this.digitsPtr = this.x.k_digits();
    this.cfgPtr = this.alloc(CFG_LENGTH * 8);
    this.scratch(PIECE * 2);
  }

  /** Views over the memory; memory.grow (in k_alloc) detaches the old buffer. */
  private views(): void {
    this.buffer = this.x.memory.buffer;
    this.h8 = new Uint8Array(this.buffer);
    this.h16 = new Int16Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  private fresh(): void {
    if (this.x.memory.buffer !== this.buffer) this.views();
  }

  private alloc(bytes: number): number {
    const p = this.x.k_alloc(bytes);
    if (p === 0) throw new RangeError('DSP kernel: out of memory');
    this.fresh();
    return p;
  }

  private scratch(bytes: number): void {
    if (bytes <= this.scratchBytes) return;
    if (this.scratchIn !== 0) {
      this.x.k_free(this.scratchIn);
      this.x.k_free(this.scratchOut);
    }
    this.scratchIn = this.alloc(bytes);
    this.scratchOut = this.alloc(bytes);
    this.scratchBytes = bytes;
    this.view16 = new Int16Array(0);
    this.view8 = new Uint8Array(0);
  }

  /** A table stored once under `key`. */
  private sharedTable(key: string, data: Int16Array | Uint8Array | Float64Array): number {
    let p = this.shared.get(key);
    if (p === undefined) {
      p = this.alloc(data.byteLength);
      this.h8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
      this.shared.set(key, p);
    }
    return p;
  }

  /** Bytes of linear memory one channel of this shape takes (allocator header included). */
  channelBytes(halfSize: number, delaySamples: number, elementBytes: number, markSize: number): number {
    return this.x.k_chan_bytes(halfSize, delaySamples, elementBytes, markSize);
  }

  /** A new channel; its memory is freed by `dispose()` or when it is garbage-collected. */
  open(c: KernelChannelConfig): KernelChannel {
    // Other users of the module (the verifier's attacker receiver) may have grown the memory.
    this.fresh();
    const tablePtr = this.sharedTable(`mask/${c.maskKey}`, c.maskTable);
    const decodePtr = c.decodeTable ? this.sharedTable(`decode/${c.decodeKey}`, c.decodeTable) : 0;
    const kPtr = this.sharedTable(`k/${c.sampleRate}`, c.analysisK);
    const invPtr = c.detector ? this.sharedTable(`inv/${c.sampleRate}`, c.detector.pairInverse) : 0;
    this.scratch(Math.max(PIECE, c.delaySamples) * 2);
    const cfg = new Float64Array(CFG_LENGTH);
    cfg.set([c.halfSize, c.delaySamples, c.elementBytes, c.markSize, c.fillValue, tablePtr, c.maskTable.length, decodePtr, kPtr, c.gateEnergy, c.secure ? 1 : 0, c.detector ? 1 : 0], 0);
    cfg.set(c.presence, 12);
    cfg[66] = c.decodeKey === 'alaw' ? 1 : c.decodeKey === 'ulaw' ? 2 : 0;
    if (c.detector) {
      cfg[22] = invPtr;
      cfg.set(c.detector.block, 23);
      cfg.set(c.detector.digit, 33);
    }
    this.f64.set(cfg, this.cfgPtr >> 3);
    const ptr = this.x.k_chan_new(this.cfgPtr);
    if (ptr === 0) throw new RangeError('DSP kernel: out of memory');
    this.fresh();
    const ch = new KernelChannel(this, ptr, c.elementBytes, c.delaySamples, c.sampleRate);
    this.registry.register(ch, ptr, ch);
    return ch;
  }

  /** @internal */ free(ch: KernelChannel, ptr: number): void {
    this.registry.unregister(ch);
    this.x.k_free(ptr);
  }

  /** @internal Runs `input` through channel `ptr` into `out`, collecting windows and digits. */
  run(ptr: number, elem: 1 | 2, sampleRate: number, input: Int16Array | Uint8Array, out: Int16Array | Uint8Array, windows: MaskWindow[], digits: DetectedDigit[]): void {
    const x = this.x;
    const n = input.length;
    // Other users of the module (the verifier's attacker receiver) may have grown the memory.
    this.fresh();
    for (let pos = 0; pos < n; pos += PIECE) {
      const m = Math.min(PIECE, n - pos);
      const part = m === n ? input : input.subarray(pos, pos + m);
      let counts: number;
      if (elem === 2) {
        const h = this.h16;
        const i0 = this.scratchIn >> 1;
        h.set(part as Int16Array, i0);
        counts = x.k_run(ptr, this.scratchIn, this.scratchOut, m);
        // TypedArray.set, not a loop: element reads through a view of wasm memory are slow in V8
        // (measured: 290 ns for 160 samples by a loop, 45 ns by subarray + set). The view of the
        // output is kept while the chunk size stays the same (as it does for a media stream).
        (out as Int16Array).set(this.outView(m) as Int16Array, pos);
      } else {
        const h = this.h8;
        h.set(part as Uint8Array, this.scratchIn);
        counts = x.k_run(ptr, this.scratchIn, this.scratchOut, m);
        (out as Uint8Array).set(this.outView8(m), pos);
      }
      if (counts !== 0) this.collect(counts, sampleRate, windows, digits);
    }
  }

  /** @internal The end of a stream: the `delaySamples` outputs still held, the last windows and digits. */
  finish(ptr: number, elem: 1 | 2, sampleRate: number, d: number, out: Int16Array | Uint8Array, windows: MaskWindow[], digits: DetectedDigit[]): void {
    this.fresh();
    const counts = this.x.k_finish(ptr, this.scratchOut);
    if (elem === 2) (out as Int16Array).set(this.h16.subarray(this.scratchOut >> 1, (this.scratchOut >> 1) + d));
    else (out as Uint8Array).set(this.h8.subarray(this.scratchOut, this.scratchOut + d));
    if (counts !== 0) this.collect(counts, sampleRate, windows, digits);
  }

  private view16: Int16Array = new Int16Array(0);
  private view8: Uint8Array = new Uint8Array(0);

  /** The first m outputs of the scratch area (a view kept while m and the memory stay the same). */
  private outView(m: number): Int16Array {
    let v = this.view16;
    if (v.length !== m || v.buffer !== this.buffer) {
      const o0 = this.scratchOut >> 1;
      v = this.view16 = this.h16.subarray(o0, o0 + m);
    }
    return v;
  }
  private outView8(m: number): Uint8Array {
    let v = this.view8;
    if (v.length !== m || v.buffer !== this.buffer) v = this.view8 = this.h8.subarray(this.scratchOut, this.scratchOut + m);
    return v;
  }

  private collect(counts: number, sampleRate: number, windows: MaskWindow[], digits: DetectedDigit[]): void {
    const f = this.f64;
    const nw = counts & 0xffff;
    const nd = counts >>> 16;
    let w = this.windowsPtr >> 3;
    for (let i = 0; i < nw; i++, w += 2) windows.push({ startSample: f[w], endSample: f[w + 1] });
    let g = this.digitsPtr >> 3;
    for (let i = 0; i < nd; i++, g += 3) {
      const start = f[g + 1];
      const end = f[g + 2];
      digits.push({ digit: DTMF_KEYS[f[g]], startSample: start, endSample: end, startMs: (start * 1000) / sampleRate, endMs: (end * 1000) / sampleRate });
    }
  }

  /** Whether the kernel's vector G.711 decoder gives `table` (the law's decode table) for all 256 codewords. */
  decodeMatches(law: 'alaw' | 'ulaw', table: Int16Array): boolean {
    const p = this.alloc(table.byteLength);
    this.h16.set(table, p >> 1);
    const ok = this.x.k_decode_check(law === 'alaw' ? 1 : 2, p) === 1;
    this.x.k_free(p);
    return ok;
  }

  /** @internal */ exports(): Exports {
    return this.x;
  }
}

/** One channel's state in the kernel. Not thread-safe, like the classes that hold it. */
export class KernelChannel {
  private ptr: number;

  constructor(
    private readonly kernel: DspKernel,
    ptr: number,
    private readonly elem: 1 | 2,
    private readonly delaySamples: number,
    private readonly sampleRate: number,
  ) {
    this.ptr = ptr;
  }

  private live(): number {
    if (this.ptr === 0) throw new RangeError('DSP channel used after dispose()');
    return this.ptr;
  }

  set secure(on: boolean) {
    this.kernel.exports().k_set_secure(this.live(), on ? 1 : 0);
  }

  run(input: Int16Array | Uint8Array, out: Int16Array | Uint8Array, windows: MaskWindow[], digits: DetectedDigit[]): void {
    this.kernel.run(this.live(), this.elem, this.sampleRate, input, out, windows, digits);
  }

  finish(out: Int16Array | Uint8Array, windows: MaskWindow[], digits: DetectedDigit[]): void {
    this.kernel.finish(this.live(), this.elem, this.sampleRate, this.delaySamples, out, windows, digits);
  }

  pending(): PendingDigit | null {
    const x = this.kernel.exports();
    const p = this.live();
    const key = x.k_pending_key(p);
    if (key < 0) return null;
    return { digit: DTMF_KEYS[key], startSample: x.k_pending_start(p), confirmed: x.k_pending_confirmed(p) === 1 };
  }

  /** The channel as it was opened, in place (k_chan_reset): its configuration kept, its stream state new. */
  reset(): void {
    this.kernel.exports().k_chan_reset(this.live());
  }

  /** Frees the channel's memory in the kernel; the channel cannot be used afterwards. */
  dispose(): void {
    if (this.ptr === 0) return;
    this.kernel.free(this, this.ptr);
    this.ptr = 0;
  }
}

let kernel: DspKernel | null | undefined;

/**
 * The process's kernel, or null when there is none (not built, or DTMFGUARD_DSP_KERNEL=js).
 * Compiled once, synchronously, on first use (the module is about 20 kB).
 */
export function loadKernel(): DspKernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  const env = process.env.DTMFGUARD_DSP_KERNEL;
  if (env === 'js') return kernel;
  const path = env ? env : KERNEL_PATH;
  if (!existsSync(path)) return kernel;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(readFileSync(path));
  } catch (e) {
    // A damaged file (a copy cut short, another build's output) is the installer's to fix, not a
    // reason to mask with the slower JS path unnoticed: say which file and what to do.
    kernel = undefined;
    throw new DgError('DG2607', `the DSP kernel ${path} is damaged (${(e as Error).message.split('\n')[0]}): rebuild it with scripts/build-wasm.sh, or set DTMFGUARD_DSP_KERNEL=js`);
  }
  kernel = new DspKernel(module);
  return kernel;
}
