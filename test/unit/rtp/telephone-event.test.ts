import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseTelephoneEvent, serializeTelephoneEvent, eventToKey, keyToEvent } from '../../../src/rtp/telephone-event.ts';

// Named fixture, RFC 4733 §2.3 layout: event 11 ('#'), E bit set, R bit set (must be ignored), volume 10, duration 1600.
const POUND_END_PAYLOAD = Uint8Array.from([0x0b, 0xca, 0x06, 0x40]);

describe('telephone-event payload', () => {
  it('parses event, end bit, volume and duration and ignores the reserved bit', () => {
    expect(parseTelephoneEvent(POUND_END_PAYLOAD)).toEqual({ event: 11, end: true, volume: 10, duration: 1600 });
  });
  it('throws on a payload shorter than 4 bytes', () => {
    expect(() => parseTelephoneEvent(POUND_END_PAYLOAD.subarray(0, 3))).toThrow(/4/);
  });
  it('round-trips every field combination (property)', () => {
    fc.assert(fc.property(fc.record({ event: fc.integer({ min: 0, max: 255 }), end: fc.boolean(),
      volume: fc.integer({ min: 0, max: 63 }), duration: fc.integer({ min: 0, max: 0xffff }) }), (e) => {
      expect(parseTelephoneEvent(serializeTelephoneEvent(e))).toEqual(e);
    }));
  });
});

describe('DTMF event codes (RFC 4733 §3.2)', () => {
  it('maps 0–15 to 0–9, *, #, A–D and back', () => {
    const keys = Array.from({ length: 16 }, (_, i) => eventToKey(i));
    expect(keys.join('')).toBe('0123456789*#ABCD');
    for (let i = 0; i < 16; i++) expect(keyToEvent(keys[i]!)).toBe(i);
  });
  it('has no key for other events (16 flash and up, negative, fractional)', () => {
    for (const e of [16, 32, 255, -1, 1.5]) expect(eventToKey(e)).toBeUndefined();
  });
});
