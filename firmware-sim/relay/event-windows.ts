/**
 * Where RFC 4733 events say a digit was keyed, in stream sample indexes, so the in-band audio of
 * the same timestamps is masked too: gateways often let a tone's start through in-band before they
 * switch to events (design brief).
 *
 * An event is identified by its RTP timestamp, the time the tone began (RFC 4733 §2.3.5); its
 * packets report a growing duration until the E bit. Until the end arrives the window stays open
 * past the last reported duration by `hangoverSamples` (fail closed: the tone is still sounding
 * while the next update is on its way, §2.5.1.2 sends one every 50 ms by default); after that
 * hangover with no update the event is taken as ended, since its end packets can be lost.
 */
import { emptyArray } from '../../src/empty-array.ts';

export interface EventWindow {
  /** First sample (the event's timestamp, as a stream sample index). */
  start: number;
  /** Largest duration reported so far, in samples. */
  duration: number;
  ended: boolean;
  /** Already announced as a finished mask window. */
  reported: boolean;
}

/** What takeExpired and prune return when there is nothing: most calls, and no array a packet. */
const NONE: readonly EventWindow[] = Object.freeze([]);

export class EventWindows {
  private readonly windows: EventWindow[] = [];

  constructor(private readonly hangoverSamples: number) {}

  /** Records one packet of an event; returns the window when this packet is its first end packet. */
  update(start: number, duration: number, end: boolean): EventWindow | undefined {
    let w = this.windows.find((x) => x.start === start);
    if (!w) {
      w = { start, duration, ended: false, reported: false };
      this.windows.push(w);
      this.windows.sort((a, b) => a.start - b.start);
    }
    if (duration > w.duration) w.duration = duration;
    if (end && !w.ended) {
      w.ended = true;
      return w;
    }
    return undefined;
  }

  /** Exclusive end of the window as masking sees it now. */
  endOf(w: EventWindow): number {
    return w.start + w.duration + (w.ended ? 0 : this.hangoverSamples);
  }

  /** Calls `fn(from, to, windowStart)` for each part of [start, end) that lies inside a window. */
  forEachOverlap(start: number, end: number, fn: (from: number, to: number, windowStart: number) => void): void {
    for (const w of this.windows) {
      if (w.start >= end) break;
      const wEnd = this.endOf(w);
      if (wEnd <= start) continue;
      fn(Math.max(start, w.start), Math.min(end, wEnd), w.start);
    }
  }

  /**
   * Unfinished windows that audio has passed (their hangover ran out with no end packet): marked as
   * reported and returned, so the caller announces each once, with the extent it masked.
   */
  takeExpired(position: number): readonly EventWindow[] {
    let out: EventWindow[] | undefined;
    for (const w of this.windows) {
      if (!w.reported && !w.ended && this.endOf(w) <= position) {
        w.reported = true;
        (out ??= []).push(w);
      }
    }
    return out ?? NONE;
  }

  /**
   * Forgets windows that end before `before` (no audio left to mask there) and returns those of
   * them not yet announced, so the caller can report every masked window exactly once.
   */
  prune(before: number): readonly EventWindow[] {
    let gone: EventWindow[] | undefined;
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const w = this.windows[i];
      if (this.endOf(w) < before) {
        this.windows.splice(i, 1);
        if (!w.reported) (gone ??= []).push(w);
      }
    }
    return gone ? gone.reverse() : NONE;
  }

  /** Forgets every window, announced or not (the stream's state reused for another call). */
  clear(): void {
    emptyArray(this.windows);
  }

  get size(): number {
    return this.windows.length;
  }
}
