/**
 * The board's per-channel DSP path in one object: the Q.24 detector and the masker over ONE tone
 * analysis (dtmf-analysis.ts), instead of each running its own filters over the same audio.
 *
 *   input ──┬── delay line (lookahead) ─────────────────► mask switch ──► output
 *           └── DtmfAnalysis (5 ms halves, undelayed) ─┬► TonePresence ─┘   (masker: every 5 ms)
 *                                                      └► DtmfDetector ──► digits (every 10 ms)
 *
 * The output, the mask windows and the digits are those of a `Masker` (or `G711Masker`) and a
 * `DtmfDetector` fed the same stream (the tests hold it to that), for any chunking.
 */
import type { DetectedDigit, DetectorOptions, DtmfDetector, PendingDigit } from './detector.ts';
import type { G711Codec } from './g711.ts';
import type { MaskerOptions, MaskWindow } from './mask-core.ts';
import { type ChannelEngine, g711Engine, linearEngine } from './channel-engine.ts';

export interface BoardChannelOptions extends MaskerOptions {
  /** Options of the detector (its sample rate is the masker's). */
  detector?: Omit<DetectorOptions, 'sampleRate'>;
}

/** Output and digits of one call. `out` may be the caller's buffer. */
export interface PipelineResult<T> {
  out: T;
  /** Digits that ended within the stream so far (reported once each). */
  digits: DetectedDigit[];
}

/** One channel on 16-bit linear audio. */
export class BoardChannelPipeline {
  readonly delaySamples: number;
  private readonly engine: ChannelEngine<Int16Array>;

  constructor(opts: BoardChannelOptions) {
    const { o, engine } = linearEngine(opts, opts.detector, true);
    this.delaySamples = o.delaySamples;
    this.engine = engine;
  }

  /**
   * The JS reference's detector. With the kernel running the channel it only holds the options
   * (its own state stays idle): ask `pending()` for the digit being followed.
   */
  get detector(): DtmfDetector {
    return this.engine.detector!;
  }

  get secure(): boolean {
    return this.engine.secure;
  }
  set secure(on: boolean) {
    this.engine.secure = on;
  }

  /** The delayed, masked stream (into `out` if given) and the digits that ended. */
  process(input: Int16Array, out: Int16Array = new Int16Array(input.length)): PipelineResult<Int16Array> {
    if (out.length < input.length) throw new RangeError('output buffer shorter than input');
    this.engine.process(input, out);
    return { out: out.length === input.length ? out : out.subarray(0, input.length), digits: this.engine.takeDigits() };
  }

  /** End of stream: the last `delaySamples` samples and the last digits; then a new stream starts. */
  flush(): PipelineResult<Int16Array> {
    const out = new Int16Array(this.delaySamples);
    this.engine.finish(out);
    return { out, digits: this.engine.takeDigits() };
  }

  drainWindows(): MaskWindow[] {
    return this.engine.drainWindows();
  }

  /** The digit the detector is following (for an early warning), as `DtmfDetector.pending`. */
  pending(): PendingDigit | null {
    return this.engine.pending();
  }

  /** Bytes of per-channel state. */
  get stateBytes(): number {
    return this.engine.stateBytes;
  }

  /** Which implementation runs this channel (channel-engine.ts). */
  get implementation(): 'kernel' | 'js' {
    return this.engine.kind;
  }

  /** Frees the channel's kernel memory now instead of at garbage collection; unusable afterwards. */
  dispose(): void {
    this.engine.dispose();
  }
}

/**
 * One channel on G.711 codewords: the delay line carries the codewords themselves (outside mask
 * windows the output is the very codewords that came in), the analysis gets them decoded.
 */
export class G711BoardChannelPipeline {
  readonly delaySamples: number;
  private readonly engine: ChannelEngine<Uint8Array>;

  constructor(codec: G711Codec, opts: BoardChannelOptions) {
    const { o, engine } = g711Engine(codec, opts, opts.detector, true);
    this.delaySamples = o.delaySamples;
    this.engine = engine;
  }

  /** See BoardChannelPipeline.detector. */
  get detector(): DtmfDetector {
    return this.engine.detector!;
  }

  get secure(): boolean {
    return this.engine.secure;
  }
  set secure(on: boolean) {
    this.engine.secure = on;
  }

  process(codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): PipelineResult<Uint8Array> {
    if (out.length < codes.length) throw new RangeError('output buffer shorter than input');
    this.engine.process(codes, out);
    return { out: out.length === codes.length ? out : out.subarray(0, codes.length), digits: this.engine.takeDigits() };
  }

  flush(): PipelineResult<Uint8Array> {
    const out = new Uint8Array(this.delaySamples);
    this.engine.finish(out);
    return { out, digits: this.engine.takeDigits() };
  }

  drainWindows(): MaskWindow[] {
    return this.engine.drainWindows();
  }

  pending(): PendingDigit | null {
    return this.engine.pending();
  }

  get stateBytes(): number {
    return this.engine.stateBytes;
  }

  get implementation(): 'kernel' | 'js' {
    return this.engine.kind;
  }

  dispose(): void {
    this.engine.dispose();
  }
}
