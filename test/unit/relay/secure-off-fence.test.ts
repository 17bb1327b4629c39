/**
 * Secure mode ending must not unmask audio the caller sent while it was on (fail closed). The
 * relay holds every packet for the lookahead, and a busy event loop can leave more in the socket
 * buffer: without a fence, what leaves after the command goes out as it came in.
 */
import { describe, expect, it } from 'vitest';
import { SECURE_OFF_MARGIN_MS } from '../../../firmware-sim/relay/rtp-stream.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { parseTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import { audioPacket, eventPacket, fakeMasker, ramp, streamHarness } from './stream-harness.ts';

const PKT = 160; // 20 ms of G.711 at 8 kHz
/** The stand-in masker "masks" every codeword, so a masked payload is told apart by sight. */
const MASK = (c: number) => c ^ 0x80;

function harness() {
  return streamHarness({ createMasker: fakeMasker(MASK) }, true);
}
const payloadOf = (d: Buffer) => parseRtp(d).payload;
const isMasked = (d: Buffer, i: number) => payloadOf(d).every((c, k) => c === MASK(ramp(PKT, i * 7)[k]));
const isUntouched = (d: Buffer, i: number) => Buffer.from(payloadOf(d)).equals(Buffer.from(ramp(PKT, i * 7)));
const pkt = (i: number) => audioPacket(1000 + i, 5000 + i * PKT, ramp(PKT, i * 7));

describe('secure mode off: what the caller sent before it stays masked', () => {
  it('packets still held for the lookahead when the command lands leave masked', () => {
    const h = harness();
    for (let i = 0; i < 10; i++) h.deliver(20 * i, pkt(i));
    h.advance(190); // packets 8 and 9 wait for the 40 ms after them
    expect(h.sent.length).toBe(8);
    h.setSecure(false);
    h.advance(1000);
    expect(h.sent.length).toBe(10);
    h.sent.forEach((s, i) => expect(isMasked(s.data, i), `packet ${i}`).toBe(true));
  });

  it('packets queued behind an event-loop stall, sent before the command, leave masked', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.deliver(20 * i, pkt(i));
    // The loop stalls from 90 ms to 600 ms: packets 5–29 (sent 100–580 ms) wait in the socket,
    // and the secure-off command, sent at 500 ms, is read first. The relay reads the queue at 600
    // without running the timers that fell due meanwhile (it acts on deadlines after I/O).
    h.setSecure(false);
    for (let i = 5; i < 30; i++) h.deliverAfterStall(600, Buffer.from(pkt(i)));
    for (let i = 30; i < 80; i++) h.deliver(20 * i, pkt(i));
    h.end();
    // The stall costs a packet (its deadline passed while the loop was away, so its slot went to
    // silence and it came late); everything else leaves.
    const byIndex = new Map(h.sent.map((x) => [parseRtp(x.data).sequence - 1000, x.data]));
    expect(byIndex.size).toBeGreaterThanOrEqual(78);
    for (let i = 0; i < 30; i++) if (byIndex.has(i)) expect(isMasked(byIndex.get(i)!, i), `packet ${i}`).toBe(true);
    // The fence: the sender's position when the relay saw the change (600 ms, placed by the
    // least-delayed packet, which arrived one packet after its first sample) plus the margin.
    const fenceMs = 600 + 20 + SECURE_OFF_MARGIN_MS;
    for (let i = 30; i < 80; i++) {
      expect(byIndex.has(i), `packet ${i}`).toBe(true);
      if (20 * (i + 1) <= fenceMs) expect(isMasked(byIndex.get(i)!, i), `packet ${i}`).toBe(true);
      if (20 * i >= fenceMs) expect(isUntouched(byIndex.get(i)!, i), `packet ${i}`).toBe(true);
    }
    // Secure mode off is honoured once the margin has passed.
    expect(isUntouched(byIndex.get(79)!, 79)).toBe(true);
  });

  it('telephone-events held when secure mode ends are still rewritten to the mask tone', () => {
    const h = harness();
    for (let i = 0; i < 6; i++) h.deliver(20 * i, pkt(i));
    // Key 5 as events at 100 ms, end packet included; the command lands while they are held.
    h.deliver(101, eventPacket(2000, 5000 + 5 * PKT, { event: 5, end: false, volume: 10, duration: 160 }));
    h.deliver(119, eventPacket(2001, 5000 + 5 * PKT, { event: 5, end: true, volume: 10, duration: 320 }));
    h.setSecure(false);
    h.end();
    const events = h.sent.map((s) => parseRtp(s.data)).filter((p) => p.payloadType === 101);
    expect(events.length).toBe(2);
    for (const e of events) expect(parseTelephoneEvent(e.payload).event).toBe(11); // '#' (RFC 4733 §3.2)
  });

  it('a stream that never was secure is not masked by the fence', () => {
    const h = streamHarness({ createMasker: fakeMasker(MASK) }, false);
    for (let i = 0; i < 10; i++) h.deliver(20 * i, pkt(i));
    h.end();
    h.sent.forEach((s, i) => expect(isUntouched(s.data, i), `packet ${i}`).toBe(true));
  });
});
