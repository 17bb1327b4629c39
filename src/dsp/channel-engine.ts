/**
 * What runs a channel behind Masker, G711Masker and the board pipelines: the WebAssembly kernel
 * (wasm/kernel.ts) when it is built, else the JS reference (mask-core.ts with a DtmfDetector on
 * the shared analysis). Both give the same output, mask windows and digits for any chunking (the
 * differential tests in test/unit/dsp/wasm-kernel*.test.ts); the public classes only forward.
 */
import { DtmfDetector, type DetectedDigit, type DetectorOptions, type PendingDigit } from './detector.ts';
import { DtmfAnalysis } from './dtmf-analysis.ts';
import { type G711Codec, g711Silence } from './g711.ts';
import { type MaskCore, type MaskerOptions, type MaskWindow, NO_WINDOWS, type ResolvedOptions, g711MaskCore, linearMaskCore, resolveG711Options, resolveMaskerOptions } from './mask-core.ts';
import { maskToneCodes, maskToneTable } from './mask-tone.ts';
import { TonePresence } from './tone-presence.ts';
import { type KernelChannel, loadKernel } from './wasm/kernel.ts';
import { DgError } from '../errors.ts';
import { emptyArray } from '../empty-array.ts';

/** What `takeDigits` returns when there is nothing: one shared empty array, as NO_WINDOWS (mask-core.ts). */
const NO_DIGITS: DetectedDigit[] = [];

/** One channel's audio path; T is Int16Array (linear) or Uint8Array (G.711 codewords). */
export interface ChannelEngine<T extends Int16Array | Uint8Array> {
  readonly kind: 'kernel' | 'js';
  secure: boolean;
  /** out[0..input.length) = the delayed, masked stream. */
  process(input: T, out: T): void;
  /** End of stream: the last `delaySamples` outputs into `out`; then a new stream starts. */
  finish(out: T): void;
  drainWindows(): MaskWindow[];
  /** Digits that ended since the last call (pipelines only). */
  takeDigits(): DetectedDigit[];
  pending(): PendingDigit | null;
  /** The JS reference's detector (pipelines; with the kernel an idle one holding the options). */
  readonly detector: DtmfDetector | null;
  /** Bytes of per-channel state. */
  readonly stateBytes: number;
  /**
   * The channel as it was made (same configuration, secure as at the start), nothing of the last
   * stream kept, unfinished windows and digits dropped: for a caller that starts another stream on
   * it instead of making a channel (the relay's spare streams). Call `finish` first when the last
   * stream's tail is wanted.
   */
  reset(): void;
  dispose(): void;
}

/** A JS channel as made: its core, and the pipeline's detector reading the core's analysis. */
interface JsParts<T extends Int16Array | Uint8Array> {
  core: MaskCore<T>;
  detector: DtmfDetector | null;
}

/** The JS reference: a MaskCore, with a detector on its analysis for a pipeline. */
class JsEngine<T extends Int16Array | Uint8Array> implements ChannelEngine<T> {
  readonly kind = 'js';
  private core: MaskCore<T>;
  detector: DtmfDetector | null;
  /**
   * @param make builds the channel's parts; `reset` builds them again. The reference is kept
   * simple rather than allocation-free: production channels run on the kernel (k_chan_reset).
   */
  constructor(
    private readonly make: () => JsParts<T>,
    private readonly decodeTable: Int16Array | null,
  ) {
    ({ core: this.core, detector: this.detector } = make());
  }
  reset(): void {
    ({ core: this.core, detector: this.detector } = this.make());
  }
  get secure(): boolean {
    return this.core.secure;
  }
  set secure(on: boolean) {
    this.core.secure = on;
  }
  process(input: T, out: T): void {
    if (this.decodeTable) (this.core as unknown as MaskCore<Uint8Array>).runCodes(input as Uint8Array, this.decodeTable, out as Uint8Array);
    else this.core.run(input as Int16Array, input, out);
  }
  finish(out: T): void {
    this.core.finish(out);
  }
  drainWindows(): MaskWindow[] {
    return this.core.drainWindows();
  }
  takeDigits(): DetectedDigit[] {
    const d = this.core.digits;
    if (d.length === 0) return NO_DIGITS;
    this.core.digits = [];
    return d;
  }
  pending(): PendingDigit | null {
    return this.detector ? this.detector.pending() : null;
  }
  get stateBytes(): number {
    return this.core.stateBytes;
  }
  dispose(): void {}
}

/** The kernel: the channel's state lives in the kernel's memory. */
class KernelEngine<T extends Int16Array | Uint8Array> implements ChannelEngine<T> {
  readonly kind = 'kernel';
  private on: boolean;
  private windows: MaskWindow[] = [];
  private digits: DetectedDigit[] = [];
  private idleDetector: DtmfDetector | null = null;
  constructor(
    private readonly ch: KernelChannel,
    private readonly secureAtStart: boolean,
    readonly stateBytes: number,
    private readonly detectorOptions: DetectorOptions | null,
  ) {
    this.on = secureAtStart;
  }
  reset(): void {
    // In place: a reset channel allocates nothing, so a relay call started on a spare stream
    // leaves the collector nothing new (docs/benchmarks.md, RTP relay). `digits` needs no
    // clearing: the pipelines take them after every call.
    this.ch.reset();
    this.secure = this.secureAtStart;
    // Popped, not `length = 0`, which would drop the array's store (src/empty-array.ts).
    emptyArray(this.windows);
  }
  get secure(): boolean {
    return this.on;
  }
  set secure(on: boolean) {
    this.on = on;
    this.ch.secure = on;
  }
  process(input: T, out: T): void {
    this.ch.run(input, out, this.windows, this.digits);
  }
  finish(out: T): void {
    this.ch.finish(out, this.windows, this.digits);
  }
  drainWindows(): MaskWindow[] {
    const w = this.windows;
    if (w.length === 0) return NO_WINDOWS;
    this.windows = [];
    return w;
  }
  takeDigits(): DetectedDigit[] {
    const d = this.digits;
    if (d.length === 0) return NO_DIGITS;
    this.digits = [];
    return d;
  }
  pending(): PendingDigit | null {
    return this.detectorOptions ? this.ch.pending() : null;
  }
  get detector(): DtmfDetector | null {
    if (!this.detectorOptions) return null;
    return (this.idleDetector ??= new DtmfDetector(this.detectorOptions));
  }
  dispose(): void {
    this.ch.dispose();
  }
}

/** Per rate: the analysis constants, the presence thresholds and the half size the kernel is given. */
const RATE_PARAMS = new Map<number, { k: Float64Array; gateEnergy: number; presence: number[]; halfSize: number }>();

function rateParams(sampleRate: number): { k: Float64Array; gateEnergy: number; presence: number[]; halfSize: number } {
  let p = RATE_PARAMS.get(sampleRate);
  if (p === undefined) {
    const an = new DtmfAnalysis(sampleRate);
    p = { ...an.kernelConstants(), presence: new TonePresence(sampleRate, an).kernelParams(), halfSize: an.blockSize };
    RATE_PARAMS.set(sampleRate, p);
  }
  return p;
}

/** The detector of a pipeline, checked against the analysis's halves (DG2605). */
function pipelineDetector(detectorOpts: Omit<DetectorOptions, 'sampleRate'> | undefined, o: ResolvedOptions): DtmfDetector {
  const detector = new DtmfDetector({ ...detectorOpts, sampleRate: o.sampleRate });
  const half = rateParams(o.sampleRate).halfSize;
  if (detector.blockSize !== 2 * half) {
    throw new DgError('DG2605', `sample rate ${o.sampleRate} Hz: the detector's 10 ms block is not two 5 ms halves; use 8000 Hz`);
  }
  return detector;
}

function wantKernel(opts: MaskerOptions): boolean {
  const impl = opts.implementation ?? 'auto';
  if (impl === 'js') return false;
  const k = loadKernel();
  if (k === null && impl === 'kernel') {
    throw new DgError('DG2606', 'the DSP kernel is not built: run scripts/build-wasm.sh (needs clang and lld), or use the JS implementation');
  }
  return k !== null;
}

function openKernel<T extends Int16Array | Uint8Array>(
  o: ResolvedOptions,
  secure: boolean,
  elem: 1 | 2,
  fillValue: number,
  maskTable: Int16Array | Uint8Array,
  maskKey: string,
  decodeTable: Int16Array | null,
  decodeKey: string,
  detector: DtmfDetector | null,
  detectorOpts: Omit<DetectorOptions, 'sampleRate'> | undefined,
): ChannelEngine<T> {
  const kernel = loadKernel()!;
  const rp = rateParams(o.sampleRate);
  const halfSize = rp.halfSize;
  // The mark ring covers every block whose samples are still in the delay line, plus the padding
  // (the same size as MaskCore's).
  const span = Math.ceil(o.delaySamples / halfSize) + 2 + 4;
  let markSize = 8;
  while (markSize < span) markSize *= 2;
  const ch = kernel.open({
    halfSize,
    delaySamples: o.delaySamples,
    elementBytes: elem,
    fillValue,
    maskTable,
    maskKey,
    decodeTable,
    decodeKey,
    analysisK: rp.k,
    gateEnergy: rp.gateEnergy,
    sampleRate: o.sampleRate,
    presence: rp.presence,
    markSize,
    secure,
    detector: detector ? detector.kernelParams() : null,
  });
  return new KernelEngine<T>(ch, secure, kernel.channelBytes(halfSize, o.delaySamples, elem, markSize), detector ? { ...detectorOpts, sampleRate: o.sampleRate } : null);
}

/**
 * A linear (Int16) channel: a masker, or with `detectorOpts` (not undefined, may be {}) a board
 * pipeline with its Q.24 detector on the same analysis.
 */
export function linearEngine(opts: MaskerOptions, detectorOpts?: Omit<DetectorOptions, 'sampleRate'>, withDetector = false): { o: ResolvedOptions; engine: ChannelEngine<Int16Array> } {
  const o = resolveMaskerOptions(opts);
  if (wantKernel(opts)) {
    // The kernel keeps the state, so no JS core is built here (it would be dropped at once: a
    // G711Masker took 15-17 µs to make with one, 6-8 without; docs/benchmarks.md, RTP relay).
    const detector = withDetector ? pipelineDetector(detectorOpts, o) : null;
    return { o, engine: openKernel(o, opts.secure ?? true, 2, 0, maskToneTable(o.maskTone, o.sampleRate), `${o.maskTone}/${o.sampleRate}`, null, '', detector, detectorOpts) };
  }
  return { o, engine: new JsEngine(jsParts(() => linearMaskCore(opts).core, withDetector, detectorOpts, o), null) };
}

/** A G.711 channel (codewords in the delay line, decoded for the analysis); see linearEngine. */
export function g711Engine(codec: G711Codec, opts: MaskerOptions, detectorOpts?: Omit<DetectorOptions, 'sampleRate'>, withDetector = false): { o: ResolvedOptions; engine: ChannelEngine<Uint8Array> } {
  const { o, decodeTable } = resolveG711Options(codec, opts);
  if (wantKernel(opts)) {
    const detector = withDetector ? pipelineDetector(detectorOpts, o) : null;
    const table = maskToneCodes(o.maskTone, codec, o.sampleRate);
    return { o, engine: openKernel(o, opts.secure ?? true, 1, g711Silence(codec), table, `${o.maskTone}/${o.sampleRate}/${codec}`, decodeTable, codec, detector, detectorOpts) };
  }
  return { o, engine: new JsEngine(jsParts(() => g711MaskCore(codec, opts).core, withDetector, detectorOpts, o), decodeTable) };
}

/** The JS engine's `make`: a new core, with a pipeline's detector reading its analysis. */
function jsParts<T extends Int16Array | Uint8Array>(
  newCore: () => MaskCore<T>,
  withDetector: boolean,
  detectorOpts: Omit<DetectorOptions, 'sampleRate'> | undefined,
  o: ResolvedOptions,
): () => JsParts<T> {
  return () => {
    const core = newCore();
    core.detector = withDetector ? pipelineDetector(detectorOpts, o) : null;
    return { core, detector: core.detector };
  };
}
