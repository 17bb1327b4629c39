/**
 * RFC 4733 telephone-event rewriting for secure mode (design brief): every packet of a DTMF
 * event, the repeated end packets included (RFC 4733 §2.5.1.4), leaves with the mask digit's event
 * code. Only the event octet changes: E and R bits, volume, duration, and the whole RTP header
 * (sequence, timestamp, marker, SSRC) are the sender's own bytes.
 */
import type { MaskTone } from '../../src/dsp/dtmf-keys.ts';
import { eventToKey, keyToEvent, TELEPHONE_EVENT_LENGTH } from '../../src/rtp/telephone-event.ts';

/** True for the event codes that carry a keyed digit: 0–15 (RFC 4733 §3.2 Table 7). */
export function isDtmfEvent(code: number): boolean {
  return eventToKey(code) !== undefined;
}

/**
 * A copy of `datagram` with the event code of each 4-octet event block in the payload (at
 * `payloadOffset`, `payloadLength` octets) replaced by the mask digit's code when it is a DTMF
 * digit. Other events (flash, modem tones, §3.2 and RFC 4734) pass unchanged. The input is not
 * modified: the caller may still need the original bytes.
 */
export function rewriteEventDatagram(datagram: Uint8Array, payloadOffset: number, payloadLength: number, maskTone: MaskTone): Buffer {
  const out = Buffer.from(datagram);
  const maskCode = keyToEvent(maskTone);
  for (let o = 0; o + TELEPHONE_EVENT_LENGTH <= payloadLength; o += TELEPHONE_EVENT_LENGTH) {
    if (isDtmfEvent(out[payloadOffset + o])) out[payloadOffset + o] = maskCode;
  }
  return out;
}
