import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskToneCodes } from '../../../src/dsp/mask-tone.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { parseTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import { audioPacket, eventPacket, fakeMasker, ramp, streamHarness } from './stream-harness.ts';

const PKT = 160; // 20 ms of G.711 at 8 kHz

/** A steady 20 ms stream of `n` packets, packet i arriving at 20·i ms. */
function steady(n: number, o: { ts0?: number; seq0?: number; payload?: (i: number) => Uint8Array; pt?: number } = {}) {
  return Array.from({ length: n }, (_, i) => ({
    t: 20 * i,
    dg: audioPacket((o.seq0 ?? 1000) + i, (o.ts0 ?? 5000) + i * PKT, o.payload ? o.payload(i) : ramp(PKT, i * 7), { pt: o.pt }),
  }));
}

describe('RtpStream timing', () => {
  it('outside secure mode sends the very datagrams that came in, each 40 ms after it arrived', () => {
    const h = streamHarness({}, false);
    const pkts = steady(10);
    for (const p of pkts) h.deliver(p.t, p.dg);
    h.advance(1000);
    expect(h.sent.length).toBe(10);
    // The very bytes: audio is held as a copy in the stream's own storage (held-audio.ts).
    h.sent.forEach((s, i) => expect(s.data).toEqual(pkts[i].dg));
    // Packets 0–7 leave when the lookahead past their end has arrived: exactly 40 ms later.
    for (let i = 0; i < 8; i++) expect(h.sent[i].at - h.sent[i].arrivedAt).toBe(40);
    // The last two have no following audio: they go at their deadline (hold + 30 ms jitter allowance).
    expect(h.sent[8].at - h.sent[8].arrivedAt).toBe(70);
    expect(h.counters.late + h.counters.duplicates + h.counters.lost).toBe(0);
  });

  it('rounds the hold up to whole packets when the lookahead is not a multiple of the packetisation', () => {
    const h = streamHarness({ lookaheadMs: 40 }, true);
    // 30 ms packets: the 40 ms past packet n's end are in packet n+2, which arrives 60 ms later.
    for (let i = 0; i < 8; i++) h.deliver(30 * i, audioPacket(i, i * 240, ramp(240, i)));
    h.advance(1000);
    for (let i = 0; i < 6; i++) expect(h.sent[i].at - h.sent[i].arrivedAt).toBe(60);
  });

  it('in secure mode with nothing to mask, the payload leaves unchanged, re-aligned to its own packet', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(80, 160, 240, 480),
        fc.integer({ min: 15, max: 120 }),
        fc.integer({ min: 3, max: 25 }),
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (len, lookaheadMs, n, swaps, ts0) => {
          const ms = len / 8;
          // A packet behind schedule by less than the jitter allowance is put back in place.
          const h = streamHarness({ lookaheadMs, jitterMs: ms + 2 }, true);
          const dgs = Array.from({ length: n }, (_, i) => audioPacket(i, ts0 + i * len, ramp(len, i * 13)));
          // Some packets (never the first, which starts the stream) are held up in the network and
          // arrive 1 ms after their successor; the others arrive on their sender's clock.
          const arrivals = dgs.map((dg, i) => ({ dg, t: i * ms + (i > 0 && i + 1 < n && swaps[i] ? ms + 1 : 0) }));
          arrivals.sort((a, b) => a.t - b.t);
          for (const a of arrivals) h.deliver(a.t, a.dg);
          h.end();
          expect(h.sent.map((s) => s.data)).toEqual(dgs);
          expect(h.counters.late).toBe(0);
          expect(h.counters.audioMasked).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('masks exactly the codewords the masker changed, at their own positions, A-law and µ-law', () => {
    for (const pt of [0, 8]) {
      const h = streamHarness({ createMasker: fakeMasker((c) => (c === 0x00 ? 0x2a : c)) }, true);
      const payload = (i: number) => {
        const p = ramp(PKT, 1 + i);
        if (i === 3) p.fill(0x00, 100, 160);
        if (i === 4) p.fill(0x00, 0, 30);
        return p;
      };
      const pkts = steady(8, { payload, pt });
      for (const p of pkts) h.deliver(p.t, p.dg);
      h.end();
      expect(h.sent.length).toBe(8);
      h.sent.forEach((s, i) => {
        const sent = parseRtp(s.data);
        const expected = payload(i).map((c) => (c === 0 ? 0x2a : c));
        expect(Buffer.from(sent.payload)).toEqual(Buffer.from(expected));
        expect(s.data.subarray(0, 12)).toEqual(pkts[i].dg.subarray(0, 12));
      });
      expect(h.counters.audioMasked).toBe(2);
      // One window: samples 3·160+100 .. 4·160+30 of the stream, in ms from its first packet.
      expect(h.spans).toEqual([{ startMs: (480 + 100) / 8, endMs: (640 + 30) / 8, source: 'inband' }]);
    }
  });
});

describe('RtpStream reordering, loss, duplicates', () => {
  it('puts a reordered packet back in place', () => {
    const h = streamHarness();
    const pkts = steady(6);
    h.deliver(0, pkts[0].dg);
    h.deliver(20, pkts[1].dg);
    h.deliver(60, pkts[3].dg);
    h.deliver(65, pkts[2].dg); // held up 25 ms in the network, within the 30 ms allowance
    h.deliver(80, pkts[4].dg);
    h.deliver(100, pkts[5].dg);
    h.end();
    expect(h.sent.map((s) => parseRtp(s.data).sequence)).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
    expect(h.counters.late).toBe(0);
  });

  it('sends nothing for a lost packet, drops it as late when it finally comes, and keeps the others on time', () => {
    const h = streamHarness();
    const pkts = steady(10);
    for (const p of pkts) if (p !== pkts[4]) h.deliver(p.t, p.dg);
    h.deliver(190, pkts[4].dg); // its samples went to the masker as silence at 110 ms
    h.advance(1000);
    expect(h.sent.map((s) => parseRtp(s.data).sequence)).toEqual([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009]);
    // Packet 2 needs the lost packet's samples: it waits until its deadline, arrival + 40 ms +
    // 30 ms jitter allowance, when the hole is filled with silence; packet 3 goes with it. The
    // others keep their 40 ms, except the last two, which wait for audio that never comes.
    expect(h.sent.map((s) => s.at - s.arrivedAt)).toEqual([40, 40, 70, 50, 40, 40, 40, 70, 70]);
    expect(h.counters.lost).toBe(1);
    expect(h.counters.late).toBe(1);
  });

  it('sends a duplicated packet once', () => {
    const h = streamHarness();
    const pkts = steady(6);
    for (const p of pkts) {
      h.deliver(p.t, p.dg);
      if (p === pkts[2]) h.deliver(p.t + 1, Buffer.from(p.dg)); // still pending
    }
    h.deliver(200, Buffer.from(pkts[1].dg)); // long gone
    h.end();
    expect(h.sent.length).toBe(6);
    expect(h.counters.duplicates).toBe(2);
    expect(h.counters.late).toBe(0);
  });

  it('follows the RTP timestamp across its 32-bit wrap', () => {
    const h = streamHarness();
    const pkts = steady(8, { ts0: 2 ** 32 - 3 * PKT, seq0: 65533 });
    for (const p of pkts) h.deliver(p.t, p.dg);
    h.end();
    expect(h.sent.map((s) => s.data)).toEqual(pkts.map((p) => p.dg));
    expect(h.counters.late + h.counters.lost).toBe(0);
  });

  it('restarts after a long silence-suppression gap without feeding it all and without extra delay', () => {
    const h = streamHarness();
    const a = steady(5);
    for (const p of a) h.deliver(p.t, p.dg);
    // 5 s later a new talkspurt (marker bit), timestamps jumped by 5 s.
    const b = Array.from({ length: 5 }, (_, i) => ({
      t: 5100 + 20 * i,
      dg: audioPacket(1005 + i, 5000 + 5 * PKT + 40000 + i * PKT, ramp(PKT, 50 + i), { marker: i === 0 }),
    }));
    for (const p of b) h.deliver(p.t, p.dg);
    h.end();
    expect(h.sent.map((s) => s.data)).toEqual([...a, ...b].map((p) => p.dg));
    for (let i = 0; i < 3; i++) expect(h.sent[5 + i].at - h.sent[5 + i].arrivedAt).toBe(40);
    expect(h.counters.late).toBe(0);
  });
});

describe('RtpStream RFC 4733 events', () => {
  /** The sipp sample capture's shape: 7 updates 20 ms apart, then the end packet three times with one sequence number. */
  function keyPress(event: number, ts: number, seq0: number, t0: number) {
    const out: { t: number; dg: Buffer }[] = [];
    for (let j = 0; j < 7; j++) out.push({ t: t0 + 20 * j, dg: eventPacket(seq0 + j, ts, { event, end: false, volume: 10, duration: 320 * j }, { marker: j === 0 }) });
    for (let r = 0; r < 3; r++) out.push({ t: t0 + 140 + r, dg: eventPacket(seq0 + 7, ts, { event, end: true, volume: 10, duration: 2240 }) });
    return out;
  }

  it('rewrites the event code of every packet, the repeated end packets included, and nothing else', () => {
    for (const event of [0, 1, 5, 10, 11, 12, 15]) {
      const h = streamHarness({ maskTone: '0' });
      const pkts = keyPress(event, 17632, 12080, 0);
      for (const p of pkts) h.deliver(p.t, p.dg);
      h.end();
      expect(h.sent.length).toBe(10);
      h.sent.forEach((s, i) => {
        const inP = parseRtp(pkts[i].dg);
        const outP = parseRtp(s.data);
        expect(parseTelephoneEvent(outP.payload)).toEqual({ ...parseTelephoneEvent(inP.payload), event: 0 });
        expect(s.data.subarray(0, 12)).toEqual(pkts[i].dg.subarray(0, 12)); // seq, ts, marker, SSRC
        expect(s.data.subarray(13)).toEqual(pkts[i].dg.subarray(13)); // E, R, volume, duration
      });
      expect(h.spans).toEqual([{ startMs: 0, endMs: 280, source: 'rfc4733' }]);
    }
  });

  it('holds events for the lookahead, leaves non-DTMF events alone, and passes everything unchanged outside secure mode', () => {
    const h = streamHarness();
    const flash = eventPacket(1, 800, { event: 16, end: false, volume: 0, duration: 160 });
    h.deliver(0, flash);
    h.advance(39);
    expect(h.sent.length).toBe(0);
    h.advance(40);
    expect(h.sent[0].data).toEqual(flash);

    const plain = streamHarness({}, false);
    const pkts = keyPress(9, 1000, 7, 0);
    for (const p of pkts) plain.deliver(p.t, p.dg);
    plain.end();
    plain.sent.forEach((s, i) => expect(s.original).toBe(pkts[i].dg));
    expect(plain.spans).toEqual([]);
  });

  it('masks the in-band audio under an event with the mask tone, from the event timestamp to its end', () => {
    const h = streamHarness({ maskTone: '#' });
    const AUDIO = 0x11;
    const ts0 = 90_000;
    // Audio packets every 20 ms; the gateway reports the digit from sample 1600 (200 ms) for
    // 100 ms, its first event packet one packet after the tone began.
    for (let i = 0; i < 25; i++) {
      h.deliver(20 * i, audioPacket(i, ts0 + i * PKT, new Uint8Array(PKT).fill(AUDIO)));
      const j = i - 11; // event updates at 220, 240, ... 300 ms
      if (j >= 0 && j <= 4) h.deliver(20 * i + 1, eventPacket(100 + j, ts0 + 1600, { event: 3, end: j === 4, volume: 8, duration: 160 * (j + 1) }));
    }
    h.end();
    const tone = maskToneCodes('#', 'alaw');
    const audio = h.sent.map((s) => parseRtp(s.data)).filter((p) => p.payloadType === 8);
    expect(audio.length).toBe(25);
    for (const p of audio) {
      for (let k = 0; k < PKT; k++) {
        const i = p.timestamp - ts0 + k;
        const inWindow = i >= 1600 && i < 2400;
        expect(p.payload[k]).toBe(inWindow ? tone[i - 1600] : AUDIO);
      }
    }
    const events = h.sent.map((s) => parseRtp(s.data)).filter((p) => p.payloadType === 101);
    expect(events.map((e) => e.payload[0])).toEqual([11, 11, 11, 11, 11]);
    expect(h.spans).toEqual([{ startMs: 200, endMs: 300, source: 'rfc4733' }]);
  });

  it('keeps masking past the last reported duration while the end packet is missing (fail closed)', () => {
    const h = streamHarness({ eventHangoverMs: 100 });
    const AUDIO = 0x11;
    for (let i = 0; i < 30; i++) {
      h.deliver(20 * i, audioPacket(i, i * PKT, new Uint8Array(PKT).fill(AUDIO)));
      // Updates for 60 ms, then nothing: the end packets were lost.
      if (i >= 1 && i <= 3) h.deliver(20 * i + 1, eventPacket(100 + i, 0, { event: 7, end: false, volume: 8, duration: 160 * i }));
    }
    h.end();
    const audio = h.sent.map((s) => parseRtp(s.data)).filter((p) => p.payloadType === 8);
    const maskedSamples = audio.reduce((n, p) => n + p.payload.filter((c) => c !== AUDIO).length, 0);
    // 480 samples reported + 800 of hangover, minus the odd tone codeword equal to AUDIO.
    expect(maskedSamples).toBeGreaterThan(1200);
    expect(maskedSamples).toBeLessThanOrEqual(1280);
    expect(h.spans).toEqual([{ startMs: 0, endMs: 160, source: 'rfc4733' }]);
  });
});

describe('RtpStream odd senders', () => {
  it('follows a sender that restarts its timestamps on the same SSRC, after three packets far behind', () => {
    const h = streamHarness();
    const a = steady(20, { ts0: 1_000_000 });
    for (const p of a) h.deliver(p.t, p.dg);
    // The phone restarts: timestamps from 0 again, sequence numbers carry on.
    const b = Array.from({ length: 10 }, (_, i) => ({ t: 400 + 20 * i, dg: audioPacket(1020 + i, i * PKT, ramp(PKT, 90 + i)) }));
    for (const p of b) h.deliver(p.t, p.dg);
    h.end();
    expect(h.counters.resyncs).toBe(1);
    expect(h.counters.late).toBe(2); // the first two of the new timeline, before it was clearly one
    expect(h.sent.map((s) => s.data)).toEqual([...a, ...b.slice(2)].map((p) => p.dg));
  });

  it('holds comfort noise and other payload types as long as the audio, unchanged, so they do not overtake it', () => {
    const h = streamHarness();
    const pkts = steady(5);
    for (const p of pkts) h.deliver(p.t, p.dg);
    const cn = audioPacket(1005, 5000 + 5 * PKT, new Uint8Array([40]), { pt: 13 }); // RFC 3389, 1 octet: noise level
    h.advance(100);
    h.deliver(100, cn);
    h.advance(1000);
    expect(h.sent.map((s) => parseRtp(s.data).sequence)).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
    expect(h.sent[5].original).toBe(cn);
    expect(h.sent[5].at - h.sent[5].arrivedAt).toBe(40);
    // The talkspurt's last packet did not wait for audio that the comfort noise says is not coming.
    expect(h.sent[4].at).toBe(100);
  });
});
