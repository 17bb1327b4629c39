/**
 * What every primary-rate receiver shares: loss of signal, the AIS (all-ones) detector, the
 * hand-over of the received payload toward the host, and the per-second anomaly counts that the
 * performance monitor classifies. The framing-specific parts (frame alignment, CRC checking, RAI)
 * are in e1.ts and t1.ts.
 */
import { ZEROS, type FrameFormat } from './format.ts';

// Module-local binding: hot loops read it thousands of times per tick.
const Z = ZEROS;

/** Anomalies and defects seen by a receiver during one second (the input of performance monitoring). */
export interface SecondCounts {
  /** Line code violations (bipolar violations and excess zeros, one per injected line bit error). */
  cv: number;
  /** CRC-4 (E1) or CRC-6 (ESF) block errors. D4 has no CRC: always 0. */
  crc: number;
  /** Frame alignment errors: E1 errored FAS words, T1 errored F bits (ESF FPS, D4 Ft and Fs). */
  fe: number;
  /** Far-end block errors reported back to us (E1 E bits at 0). */
  febe: number;
  /** Controlled slips. */
  slips: number;
  /** Transitions into out-of-frame. */
  oofEvents: number;
  /** Defects present at any time in the second. */
  los: boolean;
  oof: boolean;
  ais: boolean;
}

export function emptySecond(): SecondCounts {
  return { cv: 0, crc: 0, fe: 0, febe: 0, slips: 0, oofEvents: 0, los: false, oof: false, ais: false };
}

/** What the line delivers to a receiver for one tick. */
export interface LineTick {
  frames: Uint8Array;
  /** False while the line carries no pulses at all (cable cut, far end off). */
  pulses: boolean;
  /** Line code violations the line interface saw in this tick. */
  violations: number;
}

export abstract class Receiver {
  readonly format: FrameFormat;
  /** Loss of signal defect. */
  los = false;
  /** Out of frame (loss of frame alignment) defect. A span starts framed: the model begins with a working line. */
  oof = false;
  /** Alarm indication signal (all ones) defect. */
  ais = false;
  /** Remote alarm indication received from the far end. */
  rai = false;
  /** Counts for the second in progress; the owner takes and replaces it each second. */
  counts: SecondCounts = emptySecond();
  /** Received frames toward the host, with the bearers of frames received out of frame replaced by all ones (AIS downstream, G.704 consequent action). */
  readonly payload: Uint8Array;
  /** One entry per CRC block checked in the last tick: true when errored (drives the E bits we send back). */
  blockErrors: boolean[] = [];

  private aisZeros = 0;
  private aisFrames = 0;
  private aisLowWindows = 0;
  private aisHighWindows = 0;
  private readonly aisWindowFrames: number;

  constructor(format: FrameFormat) {
    this.format = format;
    this.payload = new Uint8Array(format.frameBytes * format.framesPerTick);
    // G.775 §5.2 (E1): AIS is 2 or fewer zeros in each of two consecutive 512-bit (double frame)
    // periods. T1: the same rule over 3 ms windows (24 frames, 4632 bits), long enough that the
    // zeros of the framing pattern (FPS 001011, Ft 101010) keep an all-ones-payload idle signal
    // (µ-law 0xFF on every channel) from looking like AIS.
    this.aisWindowFrames = format.kind === 'e1' ? 2 : 24;
  }

  /** Processes one tick of line signal. */
  process(line: LineTick): void {
    const { frames } = line;
    this.blockErrors = [];
    if (!line.pulses) {
      // G.775 §5.1 / T1.231: LOS after 175 ± 75 pulse periods without a pulse; a tick is at least
      // 2316 bit periods, so a tick without pulses always raises it. Nothing is framed.
      this.los = true;
      this.counts.los = true;
      this.loseAlignment(false);
      this.resetAis();
      this.payload.fill(0xff);
      this.counts.oof = true;
      return;
    }
    if (this.los) {
      // Cleared once pulses are back at ≥ 12.5 % density over 175 bit periods (G.775): at once at
      // tick resolution. The framer then has to find alignment again.
      this.los = false;
    }
    this.counts.cv += line.violations;
    this.payload.set(frames);
    const fb = this.format.frameBytes;
    for (let f = 0; f < this.format.framesPerTick; f++) {
      const base = f * fb;
      this.frame(frames, base, f);
      this.aisWindow(frames, base);
      if (this.oof) this.payload.fill(0xff, base + 1, base + fb);
    }
    this.endTick(frames);
    if (this.oof) {
      this.counts.oof = true;
      this.rai = false; // RAI is read from the framing; out of frame it cannot be seen
    }
    if (this.ais) this.counts.ais = true;
  }

  /**
   * True when the receiver is framed, error-free and would stay in exactly this state on an
   * unchanged clean signal (used to skip idle time without changing any outcome).
   */
  get steady(): boolean {
    return !this.los && !this.oof && !this.ais && !this.rai && this.aisLowWindows === 0 && this.framingSteady();
  }

  protected abstract framingSteady(): boolean;

  /** Framing-specific processing of frame `index` (0-based within the tick) at `base`. */
  protected abstract frame(frames: Uint8Array, base: number, index: number): void;
  /** Framing-specific work at the end of a tick (block CRC checks). */
  protected abstract endTick(frames: Uint8Array): void;
  /** Resets the framing state machine: out of frame, hunting. `counted` adds an OOF event. */
  protected loseAlignment(counted: boolean): void {
    if (!this.oof && counted) this.counts.oofEvents++;
    this.oof = true;
  }

  private aisWindow(frames: Uint8Array, base: number): void {
    // Only "at most 2 zeros" matters, so counting stops at 3 (ordinary traffic gets there in a byte).
    if (this.aisZeros <= 2) {
      let z = this.aisZeros;
      const end = base + this.format.frameBytes;
      let i = base;
      if (this.format.kind === 't1') {
        if (!(frames[base] & 1)) z++; // the F bit
        i++;
      }
      for (; i < end && z <= 2; i++) z += Z[frames[i]];
      this.aisZeros = z;
    }
    if (++this.aisFrames < this.aisWindowFrames) return;
    if (this.aisZeros <= 2) {
      this.aisHighWindows = 0;
      if (++this.aisLowWindows >= 2) this.ais = true;
    } else {
      this.aisLowWindows = 0;
      if (++this.aisHighWindows >= 2) this.ais = false;
    }
    this.aisZeros = 0;
    this.aisFrames = 0;
  }

  private resetAis(): void {
    this.ais = false;
    this.aisZeros = this.aisFrames = this.aisLowWindows = this.aisHighWindows = 0;
  }
}
