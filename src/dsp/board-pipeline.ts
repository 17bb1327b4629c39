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
import { type DetectedDigit, DtmfDetector, type DetectorOptions, type PendingDigit } from './detector.ts';
import type { G711Codec } from './g711.ts';
import { type MaskCore, type MaskerOptions, type MaskWindow, g711MaskCore, linearMaskCore } from './masker.ts';
import { DgError } from '../errors.ts';

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

const NO_DIGITS: DetectedDigit[] = [];

/** Shared by the linear and the G.711 channel: the core with its detector attached. */
function attach<T extends Int16Array | Uint8Array>(core: MaskCore<T>, opts: BoardChannelOptions, sampleRate: number): DtmfDetector {
  const detector = new DtmfDetector({ ...opts.detector, sampleRate });
  if (detector.blockSize !== 2 * core.analysis.blockSize) {
    throw new DgError('DG2605', `sample rate ${sampleRate} Hz: the detector's 10 ms block is not two 5 ms halves; use 8000 Hz`);
  }
  core.detector = detector;
  return detector;
}

function takeDigits<T extends Int16Array | Uint8Array>(core: MaskCore<T>): DetectedDigit[] {
  const d = core.digits;
  if (d.length === 0) return NO_DIGITS;
  core.digits = [];
  return d;
}

/** One channel on 16-bit linear audio. */
export class BoardChannelPipeline {
  readonly delaySamples: number;
  readonly detector: DtmfDetector;
  private readonly core: MaskCore<Int16Array>;

  constructor(opts: BoardChannelOptions) {
    const { o, core } = linearMaskCore(opts);
    this.delaySamples = o.delaySamples;
    this.core = core;
    this.detector = attach(this.core, opts, o.sampleRate);
  }

  get secure(): boolean {
    return this.core.secure;
  }
  set secure(on: boolean) {
    this.core.secure = on;
  }

  /** The delayed, masked stream (into `out` if given) and the digits that ended. */
  process(input: Int16Array, out: Int16Array = new Int16Array(input.length)): PipelineResult<Int16Array> {
    if (out.length < input.length) throw new RangeError('output buffer shorter than input');
    this.core.run(input, input, out);
    return { out: out.length === input.length ? out : out.subarray(0, input.length), digits: takeDigits(this.core) };
  }

  /** End of stream: the last `delaySamples` samples and the last digits; then a new stream starts. */
  flush(): PipelineResult<Int16Array> {
    const out = new Int16Array(this.delaySamples);
    this.core.finish(out);
    return { out, digits: takeDigits(this.core) };
  }

  drainWindows(): MaskWindow[] {
    return this.core.drainWindows();
  }

  /** The digit the detector is following (for an early warning), as `DtmfDetector.pending`. */
  pending(): PendingDigit | null {
    return this.detector.pending();
  }
}

/**
 * One channel on G.711 codewords: the delay line carries the codewords themselves (outside mask
 * windows the output is the very codewords that came in), the analysis gets them decoded.
 */
export class G711BoardChannelPipeline {
  readonly delaySamples: number;
  readonly detector: DtmfDetector;
  private readonly core: MaskCore<Uint8Array>;
  private readonly decodeTable: Int16Array;

  constructor(codec: G711Codec, opts: BoardChannelOptions) {
    const { o, core, decodeTable } = g711MaskCore(codec, opts);
    this.delaySamples = o.delaySamples;
    this.core = core;
    this.decodeTable = decodeTable;
    this.detector = attach(this.core, opts, o.sampleRate);
  }

  get secure(): boolean {
    return this.core.secure;
  }
  set secure(on: boolean) {
    this.core.secure = on;
  }

  process(codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): PipelineResult<Uint8Array> {
    if (out.length < codes.length) throw new RangeError('output buffer shorter than input');
    this.core.runCodes(codes, this.decodeTable, out);
    return { out: out.length === codes.length ? out : out.subarray(0, codes.length), digits: takeDigits(this.core) };
  }

  flush(): PipelineResult<Uint8Array> {
    const out = new Uint8Array(this.delaySamples);
    this.core.finish(out);
    return { out, digits: takeDigits(this.core) };
  }

  drainWindows(): MaskWindow[] {
    return this.core.drainWindows();
  }

  pending(): PendingDigit | null {
    return this.detector.pending();
  }
}
