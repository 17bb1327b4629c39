/**
 * Test helper: a named capture fixture built from a script of audio and RFC 4733 events, written as
 * pcap over Ethernet (RTP over UDP over IPv4), 20 ms packets at their real pacing. Loss and
 * reordering are applied to packet indexes so tests can say exactly what the network did.
 */
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { encodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { encapsulate, udpIpPackets, type UdpEndpoints } from '../../../src/capture/frame-builder.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { pcapFileHeader, pcapRecord } from '../../../src/capture/pcap-writer.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../../../src/rtp/telephone-event.ts';

export type Part = { tone: DtmfKey; ms: number; level?: number } | { silence: number };

export interface StreamScript {
  ends?: UdpEndpoints;
  ssrc?: number;
  codec?: G711Codec;
  audio: Part[];
  /** RFC 4733 key presses at a time (ms from the stream start), sent as 3 updates + 3 end packets. */
  events?: Array<{ key: DtmfKey; atMs: number; ms: number }>;
  /** Packet indexes (in send order) that are lost, and pairs swapped on the wire. */
  lose?: number[];
  swap?: number[];
  /** Each packet sent twice. */
  duplicate?: boolean;
}

export const DEFAULT_ENDS: UdpEndpoints = { src: '192.0.2.10', srcPort: 40000, dst: '192.0.2.20', dstPort: 20000 };
const T0 = 1_700_000_000_000_000_000n;

export function audioOf(parts: Part[]): Int16Array {
  return toInt16(concat(...parts.map((p) => ('tone' in p ? dtmfTone({ key: p.tone, durationMs: p.ms, levelDbm0: p.level ?? -10 }) : silence(p.silence)))));
}

interface Pkt {
  ns: bigint;
  payload: Uint8Array;
}

function streamPackets(s: StreamScript, index: number): Pkt[] {
  const codec = s.codec ?? 'alaw';
  const codes = encodeG711(codec, audioOf(s.audio));
  const ssrc = s.ssrc ?? 0x1000 + index;
  const pkts: Pkt[] = [];
  let seq = 100 * index;
  const rtp = (pt: number, ts: number, payload: Uint8Array, marker = false): Uint8Array =>
    serializeRtp({ version: 2, padding: false, extension: false, marker, payloadType: pt, sequence: seq++ & 0xffff, timestamp: ts >>> 0, ssrc, csrc: [], payload });
  const baseTs = 1000 * (index + 1);
  const items: Array<{ ms: number; make: () => Uint8Array }> = [];
  for (let o = 0; o < codes.length; o += 160) {
    const chunk = codes.subarray(o, o + 160);
    items.push({ ms: o / 8, make: () => rtp(codec === 'alaw' ? 8 : 0, baseTs + o, chunk) });
  }
  for (const e of s.events ?? []) {
    // RFC 4733 §3.2: 0-9, * = 10, # = 11, A-D = 12-15.
    const evCode = e.key === '*' ? 10 : e.key === '#' ? 11 : /[0-9]/.test(e.key) ? Number(e.key) : 12 + 'ABCD'.indexOf(e.key);
    const ts = baseTs + e.atMs * 8;
    const dur = e.ms * 8;
    for (let k = 1; k <= 3; k++) items.push({ ms: e.atMs + (e.ms * k) / 3 - 0.5, make: () => rtp(101, ts, serializeTelephoneEvent({ event: evCode, end: false, volume: 10, duration: Math.round((dur * k) / 3) - (k === 3 ? 1 : 0) }), k === 1) });
    for (let k = 0; k < 3; k++) items.push({ ms: e.atMs + e.ms + k * 0.1, make: () => rtp(101, ts, serializeTelephoneEvent({ event: evCode, end: true, volume: 10, duration: dur })) });
  }
  items.sort((a, b) => a.ms - b.ms);
  for (const it of items) pkts.push({ ns: T0 + BigInt(Math.round(it.ms * 1e6)) + BigInt(index) * 1000n, payload: it.make() });
  return pkts;
}

/** The capture file bytes. */
export function buildCapture(streams: StreamScript[]): Buffer {
  const f = { linkType: LINKTYPE.ETHERNET };
  const all: Array<Pkt & { ends: UdpEndpoints }> = [];
  streams.forEach((s, i) => {
    let pkts = streamPackets(s, i);
    const lose = new Set(s.lose ?? []);
    pkts = pkts.filter((_, k) => !lose.has(k));
    for (const k of s.swap ?? []) {
      if (k + 1 < pkts.length) [pkts[k], pkts[k + 1]] = [{ ...pkts[k + 1], ns: pkts[k].ns }, { ...pkts[k], ns: pkts[k + 1].ns }];
    }
    if (s.duplicate) pkts = pkts.flatMap((p) => [p, { ...p, ns: p.ns + 1000n }]);
    const ends = s.ends ?? { ...DEFAULT_ENDS, srcPort: DEFAULT_ENDS.srcPort + 2 * i, dstPort: DEFAULT_ENDS.dstPort + 2 * i };
    for (const p of pkts) all.push({ ...p, ends });
  });
  all.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  const parts: Buffer[] = [pcapFileHeader(f)];
  for (const p of all) for (const ip of udpIpPackets(p.ends, p.payload)) parts.push(pcapRecord(f, p.ns, encapsulate({ linkType: LINKTYPE.ETHERNET }, ip)));
  return Buffer.concat(parts);
}
