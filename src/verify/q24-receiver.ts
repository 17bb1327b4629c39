/**
 * The Q.24 receiver as the verifier runs it: the board's per-channel pipeline in the WebAssembly
 * kernel (src/dsp/board-pipeline.ts over src/dsp/wasm/channel-kernel.c) with masking off and no
 * lookahead, used for its detector only, when the kernel is built; else the JS DtmfDetector.
 * The pipeline's digits and pending digit are the DtmfDetector's on the same audio, for any
 * chunking (test/unit/dsp/board-pipeline.test.ts, wasm-kernel*.test.ts); the verifier's own check
 * is test/unit/verify/attacker-kernel.test.ts (the in-band scanner either way). The kernel costs
 * 0.43 µs per 20 ms packet here against 0.60 µs for the JS detector (docs/benchmarks.md).
 */
import { BoardChannelPipeline } from '../dsp/board-pipeline.ts';
import { DtmfDetector, type DetectedDigit, type PendingDigit } from '../dsp/detector.ts';
import { loadKernel } from '../dsp/wasm/kernel.ts';

export interface Q24Receiver {
  readonly implementation: 'kernel' | 'js';
  process(samples: Int16Array): DetectedDigit[];
  /** End of stream: digits still open; then a new stream starts at sample 0. */
  flush(): DetectedDigit[];
  pending(): PendingDigit | null;
  /** Frees kernel memory now rather than at garbage collection; unusable afterwards. */
  dispose(): void;
}

/** The pipeline's delayed output, which the verifier does not need: one buffer for all streams, of
 * the chunk's exact length (a longer one would make the pipeline cut a view of it per call). */
let scratch = new Int16Array(160);

class KernelQ24 implements Q24Receiver {
  readonly implementation = 'kernel';
  // The mask tone is never played (secure mode off); the pipeline needs one to be built.
  readonly p = new BoardChannelPipeline({ maskTone: '#', lookaheadMs: 0, secure: false });

  process(samples: Int16Array): DetectedDigit[] {
    if (scratch.length !== samples.length) scratch = new Int16Array(samples.length);
    return this.p.process(samples, scratch).digits;
  }

  flush(): DetectedDigit[] {
    return this.p.flush().digits;
  }

  pending(): PendingDigit | null {
    return this.p.pending();
  }

  dispose(): void {
    this.p.dispose();
  }
}

class JsQ24 implements Q24Receiver {
  readonly implementation = 'js';
  constructor(private readonly d: DtmfDetector) {}
  process(samples: Int16Array): DetectedDigit[] {
    return this.d.process(samples);
  }
  flush(): DetectedDigit[] {
    return this.d.flush();
  }
  pending(): PendingDigit | null {
    return this.d.pending();
  }
  dispose(): void {}
}

/** A Q.24 receiver for one stream: the kernel's at 8 kHz where it is built, else the JS detector. */
export function q24Receiver(sampleRate: number, implementation?: 'js'): Q24Receiver {
  if (implementation !== 'js' && sampleRate === 8000 && loadKernel() !== null) {
    const k = new KernelQ24();
    if (k.p.implementation === 'kernel') return k;
    k.dispose();
  }
  return new JsQ24(new DtmfDetector({ sampleRate }));
}
