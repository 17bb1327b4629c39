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
import type { MaskerOptions } from './mask-core.ts';
import { g711Engine, linearEngine } from './channel-engine.ts';
import { EngineChannel } from './engine-channel.ts';

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
export class BoardChannelPipeline extends EngineChannel<Int16Array> {
  constructor(opts: BoardChannelOptions) {
    super(linearEngine(opts, opts.detector, true));
  }

  /**
   * The JS reference's detector. With the kernel running the channel it only holds the options
   * (its own state stays idle): ask `pending()` for the digit being followed.
   */
  get detector(): DtmfDetector {
    return this.engine.detector!;
  }

  /** The delayed, masked stream (into `out` if given) and the digits that ended. */
  process(input: Int16Array, out: Int16Array = new Int16Array(input.length)): PipelineResult<Int16Array> {
    return { out: this.processInto(input, out), digits: this.engine.takeDigits() };
  }

  /** End of stream: the last `delaySamples` samples and the last digits; then a new stream starts. */
  flush(): PipelineResult<Int16Array> {
    return { out: this.finishInto(new Int16Array(this.delaySamples)), digits: this.engine.takeDigits() };
  }

  /** The digit the detector is following (for an early warning), as `DtmfDetector.pending`. */
  pending(): PendingDigit | null {
    return this.engine.pending();
  }
}

/**
 * One channel on G.711 codewords: the delay line carries the codewords themselves (outside mask
 * windows the output is the very codewords that came in), the analysis gets them decoded.
 */
export class G711BoardChannelPipeline extends EngineChannel<Uint8Array> {
  constructor(codec: G711Codec, opts: BoardChannelOptions) {
    super(g711Engine(codec, opts, opts.detector, true));
  }

  /** See BoardChannelPipeline.detector. */
  get detector(): DtmfDetector {
    return this.engine.detector!;
  }

  process(codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): PipelineResult<Uint8Array> {
    return { out: this.processInto(codes, out), digits: this.engine.takeDigits() };
  }

  flush(): PipelineResult<Uint8Array> {
    return { out: this.finishInto(new Uint8Array(this.delaySamples)), digits: this.engine.takeDigits() };
  }

  pending(): PendingDigit | null {
    return this.engine.pending();
  }
}
