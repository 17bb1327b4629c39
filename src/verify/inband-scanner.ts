/**
 * In-band digits of one channel or stream: the Q.24 receiver (what a person or an IVR would hear as
 * a digit) and the attacker's receiver (fragments too short or too quiet for Q.24) side by side.
 * A fragment that is only part of a digit the Q.24 receiver reported (same key, overlapping) is the
 * same finding and is dropped; every other fragment is reported on its own, marked `attacker`.
 *
 * Fragments are held until the Q.24 receiver can no longer claim them: it reports a digit only when
 * the digit ends, so a fragment waits while a digit of its key that started before it is followed.
 */
import { DtmfDetector, type DetectedDigit } from '../dsp/detector.ts';
import type { DtmfKey } from '../dsp/dtmf-keys.ts';
import type { Fragment } from './attacker-detector.ts';
import { attackerReceiver, type FragmentReceiver } from './attacker-receiver.ts';
import { emptyArray } from '../empty-array.ts';

export interface InbandDigit {
  digit: DtmfKey;
  /** Samples from the start of the channel (the scanner's origin). */
  startSample: number;
  endSample: number;
  detector: 'q24' | 'attacker';
}

export interface InbandScannerOptions {
  sampleRate?: number;
  /** Run the attacker's receiver too. Default true. */
  attacker?: boolean;
  /** 'js': the attacker's receiver runs its JS reference even where the kernel is built (tests). */
  implementation?: 'js';
}

/** A fragment within 20 ms of a reported digit of the same key belongs to it (its edge or tail). */
const SAME_DIGIT_MARGIN_MS = 20;
/** The Q.24 receiver reports a digit 3 bad blocks (30 ms) after it ends; wait a little longer. */
const REPORT_LATENCY_MS = 60;
/** Held fragments beyond this are released unjudged (memory bound; only a pathological input gets here). */
const MAX_HELD = 256;

const byStart = (a: InbandDigit, b: InbandDigit): number => a.startSample - b.startSample;

export class InbandScanner {
  private readonly q24: DtmfDetector;
  private readonly attacker: FragmentReceiver | null;
  private readonly margin: number;
  private readonly latency: number;
  private held: Fragment[] = [];
  private spare: Fragment[] = [];
  /** Q.24 digits reported recently, to absorb late fragments. */
  private recent: DetectedDigit[] = [];
  private processed = 0;

  constructor(opts: InbandScannerOptions = {}) {
    const sampleRate = opts.sampleRate ?? 8000;
    this.q24 = new DtmfDetector({ sampleRate });
    this.attacker = opts.attacker === false ? null : attackerReceiver({ sampleRate }, opts.implementation);
    this.margin = (SAME_DIGIT_MARGIN_MS * sampleRate) / 1000;
    this.latency = (REPORT_LATENCY_MS * sampleRate) / 1000;
  }

  process(samples: Int16Array): InbandDigit[] {
    const out: InbandDigit[] = [];
    this.processed += samples.length;
    // The attacker's receiver first: its screen tells the Q.24 receiver which of these blocks
    // cannot be keys (detector.ts BlockGate), and those cost it no filtering.
    const fragments = this.attacker?.process(samples) ?? [];
    this.take(this.q24.process(samples, this.attacker?.gate), fragments, out, false);
    return out;
  }

  flush(): InbandDigit[] {
    const out: InbandDigit[] = [];
    this.take(this.q24.flush(), this.attacker?.flush() ?? [], out, true);
    this.processed = 0;
    this.recent = [];
    return out;
  }

  /** Frees the attacker receiver's kernel memory; the scanner cannot be used afterwards. */
  dispose(): void {
    this.attacker?.dispose();
  }

  private take(digits: DetectedDigit[], fragments: Fragment[], out: InbandDigit[], end: boolean): void {
    // The common case, nothing found and nothing held: no work (this runs for every packet).
    if (digits.length === 0 && fragments.length === 0 && this.held.length === 0) {
      if (this.recent.length > 0 && !end) this.prune();
      return;
    }
    for (const d of digits) {
      out.push({ digit: d.digit, startSample: d.startSample, endSample: d.endSample, detector: 'q24' });
      this.recent.push(d);
    }
    for (const f of fragments) this.held.push(f);
    const pending = end ? null : this.q24.pending();
    // The two held lists swap roles each call (this runs per packet while fragments wait): no new array.
    const keep = this.spare;
    for (const f of this.held) {
      if (this.absorbed(f)) continue;
      const claimable = pending !== null && pending.digit === f.digit && pending.startSample < f.endSample + this.margin;
      const waiting = !end && (claimable || f.endSample > this.processed - this.latency);
      if (waiting && keep.length < MAX_HELD) keep.push(f);
      else out.push({ digit: f.digit, startSample: f.startSample, endSample: f.endSample, detector: 'attacker' });
    }
    this.spare = this.held;
    emptyArray(this.spare);
    this.held = keep;
    this.prune();
    if (out.length > 1) out.sort(byStart);
  }

  /** A fragment that a reported Q.24 digit of the same key overlaps (within the margin) is that digit. */
  private absorbed(f: Fragment): boolean {
    for (const d of this.recent) {
      if (d.digit === f.digit && f.startSample < d.endSample + this.margin && f.endSample > d.startSample - this.margin) return true;
    }
    return false;
  }

  /** A digit can absorb only fragments that end after its start minus the margin; older ones are judged. */
  private prune(): void {
    const horizon = this.processed - this.latency - 2 * this.margin;
    const oldestHeld = this.held.reduce((m, f) => Math.min(m, f.startSample), Infinity);
    const limit = Math.min(horizon, oldestHeld);
    if (this.recent.length > 0 && this.recent[0].endSample + this.margin <= limit) this.recent = this.recent.filter((d) => d.endSample + this.margin > limit);
  }
}
