/**
 * RFC 4733 telephone-event payload (§2.3) and the DTMF event codes (§3.2).
 *
 *  0                   1                   2                   3
 *  |     event     |E|R| volume    |          duration             |
 */
import type { DtmfKey } from '../dsp/dtmf-keys.ts';

export interface TelephoneEvent {
  /** Event code, 0–255 (§2.3.1). */
  event: number;
  /** E bit: the final packet(s) of the event (§2.3.2). */
  end: boolean;
  /** Power level as a positive number of dBm0 below 0 (0–63, §2.3.4); 0 for non-tone events. */
  volume: number;
  /** Duration in timestamp units since the event's RTP timestamp (§2.3.5). */
  duration: number;
}

/** RFC 4733 §2.3: the payload is exactly 4 octets (several events may be stacked in RFC 2198 redundancy, not here). */
export const TELEPHONE_EVENT_LENGTH = 4;

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < TELEPHONE_EVENT_LENGTH) {
    throw new RangeError(`telephone-event payload is ${payload.length} bytes, RFC 4733 §2.3 needs 4`);
  }
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    // The R bit (0x40) is reserved: senders set it to 0 and receivers ignore it (§2.3.3).
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}

export function serializeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(TELEPHONE_EVENT_LENGTH);
  out[0] = e.event & 0xff;
  out[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out[2] = (e.duration >> 8) & 0xff;
  out[3] = e.duration & 0xff;
  return out;
}

/** RFC 4733 §3.2 Table 7: events 0–9 are the digits, 10 is *, 11 is #, 12–15 are A–D. */
const EVENT_KEYS: readonly DtmfKey[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export function eventToKey(event: number): DtmfKey | undefined {
  return Number.isInteger(event) && event >= 0 && event < EVENT_KEYS.length ? EVENT_KEYS[event] : undefined;
}

export function keyToEvent(key: DtmfKey): number {
  const i = EVENT_KEYS.indexOf(key);
  if (i < 0) throw new RangeError(`not a DTMF key: ${JSON.stringify(key)}`);
  return i;
}
