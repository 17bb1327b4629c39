/**
 * RFC 4733 telephone-events of one stream turned into one record per key press. A sender repeats
 * every event packet with a growing duration (§2.5.1.2) and sends the end packet three times
 * (§2.5.1.4), all with the event's start timestamp: an event is identified by SSRC, RTP timestamp
 * and event code. An event longer than the 16-bit duration field continues in a new segment whose
 * timestamp is the old one plus the old duration (§2.5.1.3); segments are merged back into one.
 * At most MAX_REMEMBERED finished events are remembered for deduplication (constant memory).
 */
import type { DtmfKey } from '../dsp/dtmf-keys.ts';
import { eventToKey, type TelephoneEvent } from './telephone-event.ts';

export interface DedupedEvent {
  event: number;
  digit?: DtmfKey;
  /** Extended RTP timestamp of the event start. */
  timestamp: number;
  /** Total duration in timestamp units (all segments). */
  duration: number;
  volume: number;
  /** False when no end packet was seen (lost, or the capture stopped mid-event). */
  endSeen: boolean;
  /** Capture time of the first packet seen for the event, milliseconds since the Unix epoch. */
  firstSeenMs: number;
  /** Packets of this event up to the first end packet (later end repeats count in `repeats`). */
  packets: number;
}

const MAX_REMEMBERED = 64;

interface State extends DedupedEvent {
  emitted: boolean;
}

export class EventDeduplicator {
  private readonly byKey = new Map<string, State>();
  private open: State | undefined;
  /** Packets that only repeated what was already known (the §2.5.1.4 end retransmissions, etc.). */
  repeats = 0;

  push(extTs: number, e: TelephoneEvent, captureNs: bigint, out: DedupedEvent[]): void {
    const key = `${extTs}|${e.event}`;
    let s = this.byKey.get(key);
    if (s) {
      s.packets++;
      if (s.emitted) {
        this.repeats++;
        return;
      }
      // A segment key maps to the merged state, whose timestamp is the first segment's.
      s.duration = Math.max(s.duration, extTs - s.timestamp + e.duration);
      s.volume = e.volume;
    } else {
      const o = this.open;
      if (o && !o.emitted && o.event === e.event && !o.endSeen && extTs === o.timestamp + o.duration && o.duration > 0) {
        // §2.5.1.3 long-duration continuation: the same press.
        s = o;
        s.packets++;
        s.duration = Math.max(s.duration, extTs - s.timestamp + e.duration);
      } else {
        if (o && !o.emitted) this.emit(o, out);
        s = { event: e.event, digit: eventToKey(e.event), timestamp: extTs, duration: e.duration, volume: e.volume,
          endSeen: false, firstSeenMs: Number(captureNs / 1000n) / 1000, packets: 1, emitted: false };
      }
      this.byKey.set(key, s);
      this.open = s;
      this.forget();
    }
    if (e.end) {
      s.endSeen = true;
      this.emit(s, out);
    }
  }

  /** Emits the event still open at the end of the capture. */
  flush(out: DedupedEvent[]): void {
    if (this.open && !this.open.emitted) this.emit(this.open, out);
  }

  private emit(s: State, out: DedupedEvent[]): void {
    s.emitted = true;
    const { emitted: _e, ...ev } = s;
    out.push(ev);
  }

  private forget(): void {
    for (const [k, s] of this.byKey) {
      if (this.byKey.size <= MAX_REMEMBERED) return;
      if (s === this.open) continue;
      this.byKey.delete(k);
    }
  }
}
