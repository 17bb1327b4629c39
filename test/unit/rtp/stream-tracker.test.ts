import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StreamTracker, streamLabel, type TrackerOutput } from '../../../src/rtp/stream-tracker.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import type { UdpDatagram } from '../../../src/capture/udp.ts';

const FLOW = { src: '192.0.2.10', srcPort: 40000, dst: '198.51.100.7', dstPort: 20000 };
const SSRC = 0x11223344;

function rtp(seq: number, ts: number, pt: number, payload: Uint8Array, marker = false): Uint8Array {
  return serializeRtp({ version: 2, padding: false, extension: false, marker, payloadType: pt, sequence: seq & 0xffff,
    timestamp: ts >>> 0, ssrc: SSRC, csrc: [], payload });
}

function udp(payload: Uint8Array, flow = FLOW): UdpDatagram {
  return { ...flow, payload };
}

/** n packets of 20 ms A-law, each filled with its index, from seq0/ts0 (wrapping both counters). */
function audioPackets(n: number, seq0 = 65530, ts0 = 0xffffff00): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => rtp(seq0 + i, ts0 + i * 160, 8, new Uint8Array(160).fill(i + 1)));
}

function runAll(t: StreamTracker, pkts: Uint8Array[], flow = FLOW): TrackerOutput[] {
  const out: TrackerOutput[] = [];
  pkts.forEach((p, i) => out.push(...t.push(udp(p, flow), BigInt(i) * 20_000_000n)));
  out.push(...t.flush());
  return out;
}

function audioBytes(out: TrackerOutput[]): number[] {
  return out.flatMap((o) => (o.kind === 'audio' ? [...o.codes] : []));
}

describe('StreamTracker', () => {
  it('finds a stream by heuristic and keeps its first (probation) packet', () => {
    const t = new StreamTracker();
    const out = runAll(t, audioPackets(10));
    const [r] = t.reports();
    expect(r).toMatchObject({ foundBy: 'heuristic', packets: 10, audioPackets: 10, codec: 'alaw', payloadTypes: [8] });
    expect(r.sequence).toMatchObject({ received: 10, expected: 10, lost: 0 });
    expect(audioBytes(out)).toEqual(Array.from({ length: 10 }, (_, i) => new Array(160).fill(i + 1)).flat());
    expect(r.label).toBe('192.0.2.10:40000 > 198.51.100.7:20000 ssrc 0x11223344');
  });

  it('reports loss, duplicates and reordering, and fills the lost packet with silence', () => {
    const p = audioPackets(8);
    const t = new StreamTracker();
    const out = runAll(t, [p[0], p[1], p[3], p[2], p[2], p[4], p[6], p[7]]); // 5 lost, 2 late and duplicated
    const [r] = t.reports();
    expect(r.sequence).toMatchObject({ received: 7, expected: 8, lost: 1, duplicates: 1, reordered: 1 });
    const bytes = audioBytes(out);
    expect(bytes.length).toBe(8 * 160);
    expect(bytes.slice(5 * 160, 6 * 160).every((b) => b === 0xd5)).toBe(true); // A-law silence
    expect(bytes.slice(2 * 160, 4 * 160)).toEqual([...new Array(160).fill(3), ...new Array(160).fill(4)]);
    expect(r.filledSamples).toBe(160);
  });

  it('dedupes RFC 4733 events on SSRC + timestamp + event and places them on the stream timeline', () => {
    const pkts = audioPackets(5, 100, 8000);
    let seq = 105;
    const evTs = 8000 + 5 * 160;
    for (let d = 160; d <= 800; d += 160) pkts.push(rtp(seq++, evTs, 101, serializeTelephoneEvent({ event: 9, end: false, volume: 10, duration: d }), d === 160));
    for (let k = 0; k < 3; k++) pkts.push(rtp(seq++, evTs, 101, serializeTelephoneEvent({ event: 9, end: true, volume: 10, duration: 960 })));
    const t = new StreamTracker();
    const evs = runAll(t, pkts).filter((o) => o.kind === 'event');
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ digit: '9', event: 9, rtpTimestamp: evTs, startMs: 100, endMs: 220, endSeen: true, packets: 6 });
    expect(t.reports()[0]).toMatchObject({ eventPackets: 8, events: 1, eventRepeats: 2 });
  });

  it('learns the telephone-event payload type from SDP seen in the capture', () => {
    const sdp = Buffer.from([
      'SIP/2.0 200 OK', 'Content-Type: application/sdp', '', 'v=0', 'c=IN IP4 198.51.100.7',
      'm=audio 20000 RTP/AVP 0 96 101', 'a=rtpmap:96 telephone-event/8000', 'a=rtpmap:101 opus/48000/2', '',
    ].join('\r\n'));
    const t = new StreamTracker();
    t.push({ src: '198.51.100.7', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: sdp }, 0n);
    const out = runAll(t, [rtp(1, 0, 96, serializeTelephoneEvent({ event: 3, end: true, volume: 5, duration: 800 })),
      rtp(2, 0, 101, serializeTelephoneEvent({ event: 4, end: true, volume: 5, duration: 800 }))]);
    expect(t.sipMessages).toBe(1);
    expect(out.filter((o) => o.kind === 'event').map((o) => o.kind === 'event' && o.digit)).toEqual(['3']);
    expect(t.reports()[0]).toMatchObject({ foundBy: 'sdp', otherPackets: 1 }); // PT 101 is Opus here, not an event
  });

  it('matches an SDP IPv6 address written in a non-canonical form (RFC 5952)', () => {
    const sdp = Buffer.from(['SIP/2.0 200 OK', 'Content-Type: application/sdp', '', 'v=0', 'c=IN IP6 2001:DB8:0:0::0007',
      'm=audio 20000 RTP/AVP 96', 'a=rtpmap:96 telephone-event/8000', ''].join('\r\n'));
    const t = new StreamTracker();
    t.push({ src: '2001:db8::7', srcPort: 5060, dst: '2001:db8::1', dstPort: 5060, payload: sdp }, 0n);
    const flow6 = { src: '2001:db8::1', srcPort: 40000, dst: '2001:db8::7', dstPort: 20000 };
    const out = runAll(t, [rtp(1, 0, 96, serializeTelephoneEvent({ event: 0, end: true, volume: 5, duration: 800 }))], flow6);
    expect(out.map((o) => o.kind === 'event' && o.digit)).toEqual(['0']);
    expect(t.reports()[0]).toMatchObject({ foundBy: 'sdp', label: '[2001:db8::1]:40000 > [2001:db8::7]:20000 ssrc 0x11223344' });
  });

  it('accepts a single packet on an --rtp-port and a custom --event-pt', () => {
    const t = new StreamTracker({ rtpPorts: [20000], eventPt: 120 });
    const out = runAll(t, [rtp(7, 0, 120, serializeTelephoneEvent({ event: 10, end: true, volume: 5, duration: 800 }))]);
    expect(out.map((o) => o.kind === 'event' && o.digit)).toEqual(['*']);
    expect(t.reports()[0].foundBy).toBe('port');
  });

  it('keeps streams apart by SSRC and by 5-tuple', () => {
    const t = new StreamTracker();
    runAll(t, audioPackets(3));
    runAll(t, audioPackets(3), { ...FLOW, srcPort: 40002 });
    expect(t.reports().map((r) => streamLabel(r.id))).toHaveLength(2);
  });

  it('finishes a stream idle past the timeout: its audio and open event come out, its report stays', () => {
    const t = new StreamTracker({ idleTimeoutMs: 5_000 });
    const out: TrackerOutput[] = [];
    audioPackets(3).forEach((p, i) => out.push(...t.push(udp(p), BigInt(i) * 20_000_000n)));
    out.push(...t.push(udp(rtp(65533, 0xffffff00 + 480, 101, serializeTelephoneEvent({ event: 2, end: false, volume: 5, duration: 400 }))), 80_000_000n));
    expect(out.filter((o) => o.kind === 'audio')).toHaveLength(0); // still in the reorder window
    // Another flow, 10 s later: the sweep finishes the first stream.
    out.push(...t.push(udp(audioPackets(1)[0], { ...FLOW, srcPort: 40002 }), 10_000_000_000n));
    expect(audioBytes(out).length).toBe(3 * 160);
    expect(out.filter((o) => o.kind === 'event').map((o) => o.kind === 'event' && [o.digit, o.endSeen])).toEqual([['2', false]]);
    expect(t.reports()).toHaveLength(1);
    expect(t.reports()[0]).toMatchObject({ packets: 4, lastMs: 80 });
    expect(t.flush()).toEqual([]);
  });

  it('finds no stream in random UDP payloads (property, fixed seed)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }), { maxLength: 30 }), (payloads) => {
      const t = new StreamTracker();
      for (const p of payloads) t.push(udp(p), 0n);
      t.flush();
      // Two random packets in a row would need the same SSRC and consecutive sequence numbers.
      expect(t.reports()).toHaveLength(0);
    }), { seed: 4733, numRuns: 300 });
  });
});
