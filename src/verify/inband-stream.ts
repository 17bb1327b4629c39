/**
 * The in-band half of one RTP stream's verification: G.711 decode → Q.24 + attacker receivers, with
 * the stream's sample timeline (a timestamp jump too long to fill restarts the receivers there).
 * One class, so the single-thread verifier and the worker shards (inband-worker.ts) run the very
 * same code and give the same digits.
 */
import type { G711Codec } from '../dsp/g711.ts';
import { decodeG711 } from '../dsp/g711.ts';
import { InbandScanner, type InbandDigit } from './inband-scanner.ts';

const RATE = 8000;

/** An in-band digit on the stream's timeline (ms from the stream's first RTP timestamp). */
export interface InbandFinding {
  digit: InbandDigit['digit'];
  startMs: number;
  endMs: number;
  /** Stream sample indexes (for the snippet recorder). */
  startSample: number;
  endSample: number;
  detector: InbandDigit['detector'];
}

export class InbandStream {
  private readonly scanner: InbandScanner;
  /** Stream sample index where the scanner's origin is. */
  private base = 0;
  /** Next expected sample index. */
  next = 0;
  private pcm = new Int16Array(160);
  /** `pcm` cut to the last chunk's length: packets of a stream are nearly always one length, so one view serves. */
  private view = this.pcm;

  constructor(attacker: boolean | undefined) {
    this.scanner = new InbandScanner({ sampleRate: RATE, attacker });
  }

  /** Feeds one chunk of codewords at `sampleOffset`; appends digits that ended to `out`. */
  push(codec: G711Codec, sampleOffset: number, codes: Uint8Array, out: InbandFinding[]): void {
    this.restart(sampleOffset, out);
    this.scan(this.decode(codec, codes), out);
  }

  /**
   * The three steps of `push`, for a caller that records the decoded audio between them (the
   * snippet recorder must see the digits the restart flushed before the new audio).
   */
  restart(sampleOffset: number, out: InbandFinding[]): void {
    if (sampleOffset !== this.next) {
      // A timestamp jump too long to fill: the audio restarts there, with fresh receivers.
      this.collect(this.scanner.flush(), out);
      this.base = sampleOffset;
      this.next = sampleOffset;
    }
  }

  /** The chunk's samples, valid until the next call. */
  decode(codec: G711Codec, codes: Uint8Array): Int16Array {
    const n = codes.length;
    if (this.view.length !== n) {
      if (this.pcm.length < n) this.pcm = new Int16Array(n);
      this.view = this.pcm.subarray(0, n);
    }
    return decodeG711(codec, codes, this.view);
  }

  scan(pcm: Int16Array, out: InbandFinding[]): void {
    this.collect(this.scanner.process(pcm), out);
    this.next += pcm.length;
  }

  /** End of the stream: digits still open. */
  flush(out: InbandFinding[]): void {
    this.collect(this.scanner.flush(), out);
  }

  /** Frees the receivers' kernel memory (after the last `flush`). */
  dispose(): void {
    this.scanner.dispose();
  }

  private collect(found: InbandDigit[], out: InbandFinding[]): void {
    for (const f of found) {
      const startSample = this.base + f.startSample;
      const endSample = this.base + f.endSample;
      out.push({ digit: f.digit, startMs: (startSample * 1000) / RATE, endMs: (endSample * 1000) / RATE, startSample, endSample, detector: f.detector });
    }
  }
}
