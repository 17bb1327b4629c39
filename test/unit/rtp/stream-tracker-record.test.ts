/**
 * StreamTracker.pushRecord (the verifier's per-packet entry: payload by offset in a larger buffer,
 * capture time as seconds and nanoseconds) against push (a datagram object, a BigInt time): the
 * same outputs and the same stream reports, field for field, for captures with jitter, reordering,
 * duplicates, events, several flows, heuristic discovery, idle timeouts and time going backwards.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamTracker, type TrackerOutput } from '../../../src/rtp/stream-tracker.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../../../src/rtp/telephone-event.ts';

const FLOWS = [
  { src: '192.0.2.10', srcPort: 40000, dst: '198.51.100.7', dstPort: 20000, ssrc: 0x11223344, pt: 8 },
  { src: '192.0.2.11', srcPort: 40002, dst: '198.51.100.7', dstPort: 20002, ssrc: 0x55667788, pt: 0 },
];

interface Pkt {
  flow: number;
  payload: Uint8Array;
  ns: bigint;
}

function rtp(flow: number, seq: number, ts: number, pt: number, payload: Uint8Array): Uint8Array {
  return serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: pt, sequence: seq & 0xffff,
    timestamp: ts >>> 0, ssrc: FLOWS[flow].ssrc, csrc: [], payload });
}

/** Packets of both flows with the given arrival offsets (ns, may go backwards), some events, some noise. */
function capture(t0: bigint, jitter: number[], order: number[]): Pkt[] {
  const pkts: Pkt[] = [];
  jitter.forEach((j, i) => {
    const flow = i % 2;
    const k = i >> 1;
    const ns = t0 + BigInt(k) * 20_000_000n + BigInt(j);
    if (k % 17 === 5) {
      pkts.push({ flow, ns, payload: rtp(flow, 100 + k, 9000 + 160 * (k - (k % 17)), 101, serializeTelephoneEvent({ event: k % 12, end: k % 34 === 5, volume: 10, duration: 160 * (k % 17) })) });
    } else {
      pkts.push({ flow, ns, payload: rtp(flow, 100 + k, 9000 + 160 * k, FLOWS[flow].pt, new Uint8Array(160).fill(k & 0xff)) });
    }
    if (k % 23 === 7) pkts.push({ flow, ns, payload: Uint8Array.of(1, 2, 3, 4) }); // not RTP
  });
  // Swaps of neighbours (reordering), a duplicate, and a silence of over a minute (the idle sweep).
  for (const at of order) if (at + 1 < pkts.length) [pkts[at], pkts[at + 1]] = [pkts[at + 1], pkts[at]];
  if (pkts.length > 10) pkts.splice(7, 0, { ...pkts[6] });
  const late = pkts.length >> 1;
  for (let i = late; i < pkts.length; i++) pkts[i] = { ...pkts[i], ns: pkts[i].ns + 61_000_000_000n };
  return pkts;
}

function plain(outs: TrackerOutput[]): unknown[] {
  return outs.map((o) => (o.kind === 'audio' ? { ...o, codes: [...o.codes] } : { ...o }));
}

function viaPush(pkts: Pkt[]): unknown {
  const t = new StreamTracker();
  const out: unknown[] = [];
  for (const p of pkts) {
    const f = FLOWS[p.flow];
    out.push(...plain(t.push({ src: f.src, srcPort: f.srcPort, dst: f.dst, dstPort: f.dstPort, payload: p.payload }, p.ns)));
  }
  out.push(...plain(t.flush()));
  return { out, reports: t.reports(), nonRtp: t.nonRtp };
}

function viaRecord(pkts: Pkt[]): unknown {
  const t = new StreamTracker();
  const out: unknown[] = [];
  // One buffer with every payload at an odd offset, bytes around each that are not its own.
  const buf = new Uint8Array(pkts.reduce((n, p) => n + p.payload.length + 5, 3)).fill(0x80);
  let o = 3;
  for (const p of pkts) {
    buf.set(p.payload, o);
    const f = FLOWS[p.flow];
    out.push(...plain(t.pushRecord(f.src, f.srcPort, f.dst, f.dstPort, buf, o, o + p.payload.length, Number(p.ns / 1_000_000_000n), Number(p.ns % 1_000_000_000n))));
    o += p.payload.length + 5;
  }
  out.push(...plain(t.flush()));
  return { out, reports: t.reports(), nonRtp: t.nonRtp };
}

describe('StreamTracker.pushRecord', () => {
  it('gives what push gives on a capture of two flows with events, noise, reordering and an idle gap', () => {
    const jitter = Array.from({ length: 400 }, (_, i) => ((i * 7919) % 4_000_001) - 2_000_000);
    const pkts = capture(1_700_000_000_987_654_321n, jitter, [3, 40, 41, 77, 200]);
    const want = viaPush(pkts) as { out: Array<{ kind: string }>; reports: Array<{ jitterMs: number; firstMs: number }> };
    // The capture exercises what it claims to: audio, events, a stream finished by the idle timeout.
    expect(want.out.some((o) => o.kind === 'event')).toBe(true);
    expect(want.reports.length).toBeGreaterThanOrEqual(4);
    expect(want.reports[0].jitterMs).toBeGreaterThan(0);
    expect(viaRecord(pkts)).toEqual(want);
  });

  it('property: any start time (ns, µs or s resolution), arrival jitter and reordering', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 4_000_000_000_999_999_999n }),
        fc.constantFrom(1n, 1000n, 1_000_000_000n),
        fc.array(fc.integer({ min: -30_000_000, max: 30_000_000 }), { minLength: 4, maxLength: 120 }),
        fc.array(fc.nat(200), { maxLength: 6 }),
        (t, unit, jitter, order) => {
          const pkts = capture((t / unit) * unit, jitter.map((j) => Number((BigInt(j) / unit) * unit)), order).filter((p) => p.ns >= 0n);
          expect(viaRecord(pkts)).toEqual(viaPush(pkts));
        },
      ),
      { numRuns: 150 },
    );
  });
});
