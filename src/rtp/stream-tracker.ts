/**
 * RTP streams found in captured UDP, tracked one packet at a time in constant memory per stream.
 *
 * Discovery: a flow (5-tuple + SSRC) is RTP when its port was given (`rtpPorts`), when SIP/SDP seen
 * earlier in the capture announced its destination, or, by heuristic, when two packets in a row pass
 * `looksLikeRtp` with the same SSRC and consecutive sequence numbers (RFC 3550 A.1 probation,
 * MIN_SEQUENTIAL = 2).
 * Payload types: from the SDP describing the stream's destination; a payload type that SDP does not
 * name falls back to PCMU 0, PCMA 8 and `eventPt` (default 101) for telephone-event, so a sender
 * using an unnegotiated event type is still checked rather than ignored.
 * Out: G.711 audio chunks in timestamp order with gaps filled, and one record per RFC 4733 event.
 */
import type { G711Codec } from '../dsp/g711.ts';
import type { UdpDatagram } from '../capture/udp.ts';
import { formatIpv6, ipv6Bytes } from '../capture/ip-address.ts';
import { AudioReassembler, type AudioChunk } from './audio-reassembler.ts';
import { EventDeduplicator, type DedupedEvent } from './event-deduplicator.ts';
import { looksLikeRtp, parseRtp, type RtpPacket } from './packet.ts';
import { looksLikeSip, parseSdp, sipSdpBody, type PayloadKind } from './sdp.ts';
import { emptyArray } from '../empty-array.ts';
import { SequenceStats, unwrapTimestamp, type SequenceStatsSnapshot } from './sequence-stats.ts';
import { parseTelephoneEvent } from './telephone-event.ts';

export interface StreamId {
  ssrc: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

export function streamLabel(id: StreamId): string {
  const ep = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return `${ep(id.src, id.srcPort)} > ${ep(id.dst, id.dstPort)} ssrc 0x${id.ssrc.toString(16).padStart(8, '0')}`;
}

export type TrackerOutput =
  | ({ kind: 'audio'; stream: StreamId } & AudioChunk)
  | ({ kind: 'event'; stream: StreamId; /** the 32-bit RTP timestamp as sent */ rtpTimestamp: number; startMs: number; endMs: number } & DedupedEvent);

export interface StreamReport {
  id: StreamId;
  label: string;
  /** How the stream was recognised. */
  foundBy: 'port' | 'sdp' | 'heuristic';
  packets: number;
  audioPackets: number;
  eventPackets: number;
  /** Packets of payload types we do not decode (other codecs, comfort noise ...). */
  otherPackets: number;
  payloadTypes: number[];
  codec?: G711Codec;
  sequence: SequenceStatsSnapshot;
  jitterMs: number;
  /** Audio packets that arrived after the reorder window had moved past them. */
  late: number;
  filledSamples: number;
  timestampJumps: number;
  events: number;
  eventRepeats: number;
  malformedEvents: number;
  /** Capture time of the first and last packet, milliseconds since the Unix epoch (a number, so reports serialise to JSON). */
  firstMs: number;
  lastMs: number;
}

export interface StreamTrackerOptions {
  /** UDP ports (either end) whose traffic is RTP without the heuristic (`--rtp-port`). */
  rtpPorts?: number[];
  /** telephone-event payload type when no SDP names one (`--event-pt`); 101 by common use. */
  eventPt?: number;
  /** Packets held per stream to restore timestamp order (see AudioReassembler). */
  reorderWindow?: number;
  /** Heuristic candidates remembered at once; oldest forgotten first. */
  maxCandidates?: number;
  /**
   * A stream silent this long (capture time) is finished: its held audio and open event are
   * emitted and its state freed, so a day of calls does not grow memory. 60 s: longer than any hold
   * without RTP that still counts as the same talk spurt; a stream that resumes after it is
   * reported again as a new segment of the same SSRC and 5-tuple.
   */
  idleTimeoutMs?: number;
}

/** RTP clock of G.711 and of telephone-event as SDP maps them here (RFC 3551 §4.5.14, RFC 4733 §2.1). */
const CLOCK_RATE = 8000;

interface Stream {
  id: StreamId;
  key: string;
  /** The SDP payload map of `destKey` as of `sdpVersion` (looked up again when SDP changes). */
  sdp: Map<number, PayloadKind> | undefined;
  sdpVersion: number;
  foundBy: StreamReport['foundBy'];
  destKey: string;
  seq: SequenceStats;
  audio?: AudioReassembler;
  events: EventDeduplicator;
  /**
   * Extended RTP timestamps of the first packet and the highest so far; -1 before the first (they are
   * never negative). Numbers from the start, for the reason given at `SequenceStats.lastTransit`.
   */
  baseTs: number;
  maxTs: number;
  /** Capture time of the first and the last packet, in the tracker's clock (`StreamTracker.clock`). */
  first: number;
  last: number;
  packets: number;
  audioPackets: number;
  eventPackets: number;
  otherPackets: number;
  malformedEvents: number;
  eventCount: number;
  pts: Set<number>;
  /** The last payload type added to `pts` (a Set insertion per packet is not free). */
  lastPt: number;
  codec?: G711Codec;
}

interface Candidate {
  sequence: number;
  data: Uint8Array;
  /** Capture time in the tracker's clock. */
  at: number;
}

export class StreamTracker {
  private readonly streams = new Map<string, Stream>();
  /**
   * The same streams by a number made of SSRC and ports, so the per-packet lookup builds no string
   * (the string key is only built for a packet of no known stream).
   */
  private readonly byHash = new Map<number, Stream | Stream[]>();
  /** Bumped by every SDP learnt, so streams refresh their cached payload map. */
  private sdpVersion = 0;
  /** Reused for the reassembler's and the deduplicator's output (no array per packet). */
  private readonly chunks: AudioChunk[] = [];
  private readonly evs: DedupedEvent[] = [];
  /**
   * Capture time of the packet being handled, in nanoseconds since `originNs` (the first packet's
   * whole second): a number, so the per-packet path makes no BigInt (each BigInt operation is an
   * allocation), and in a typed array so it reaches the methods it is used in without a heap
   * number per call. Exact while within 2^53 ns (104 days) of the origin.
   */
  private readonly clock = new Float64Array(1);
  private originNs: bigint | undefined;
  private originSec = 0;
  /** When the next idle sweep is due and when the last ran, in the clock's units (NaN: none yet). */
  private nextSweep = Number.NaN;
  private lastSweep = Number.NaN;
  private readonly candidates = new Map<string, Candidate>();
  private readonly ports: Set<number>;
  private readonly defaults: Map<number, PayloadKind>;
  /** Payload maps from SDP, by "address|port" of the receiving side. */
  private readonly sdpByDest = new Map<string, Map<number, PayloadKind>>();
  private readonly opts: Required<Omit<StreamTrackerOptions, 'rtpPorts'>>;
  /** Reports of streams finished by the idle timeout. */
  private readonly finished: StreamReport[] = [];
  private readonly out: TrackerOutput[] = [];
  private readonly idleNs: number;
  sipMessages = 0;
  sdpMedia = 0;
  /** UDP datagrams that belonged to no RTP stream. */
  nonRtp = 0;

  constructor(opts: StreamTrackerOptions = {}) {
    this.ports = new Set(opts.rtpPorts ?? []);
    this.opts = { eventPt: opts.eventPt ?? 101, reorderWindow: opts.reorderWindow ?? 50, maxCandidates: opts.maxCandidates ?? 4096,
      idleTimeoutMs: opts.idleTimeoutMs ?? 60_000 };
    this.idleNs = Math.round(this.opts.idleTimeoutMs * 1e6);
    this.defaults = new Map<number, PayloadKind>([[0, 'ulaw'], [8, 'alaw'], [this.opts.eventPt, 'telephone-event']]);
  }

  /**
   * Feeds one UDP datagram captured at `ns`; returns audio and events that became final, in an array
   * that the next `push` reuses (consume it first).
   */
  push(udp: UdpDatagram, ns: bigint): TrackerOutput[] {
    if (this.originNs === undefined) this.setOrigin(ns);
    this.clock[0] = Number(ns - this.originNs!);
    const p = udp.payload;
    return this.pushAt(udp.src, udp.srcPort, udp.dst, udp.dstPort, p, 0, p.length);
  }

  /**
   * `push` of a datagram whose payload is `bytes[start, end)` (a capture reader's chunk), captured
   * `sec` seconds and `nsec` nanoseconds after the Unix epoch: the verifier's per-packet path, with
   * no datagram object, payload view or BigInt made for it.
   */
  pushRecord(src: string, srcPort: number, dst: string, dstPort: number, bytes: Uint8Array, start: number, end: number, sec: number, nsec: number): TrackerOutput[] {
    if (this.originNs === undefined) this.setOrigin(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    this.clock[0] = (sec - this.originSec) * 1e9 + nsec;
    return this.pushAt(src, srcPort, dst, dstPort, bytes, start, end);
  }

  private setOrigin(ns: bigint): void {
    this.originSec = Number(ns / 1_000_000_000n);
    this.originNs = BigInt(this.originSec) * 1_000_000_000n;
  }

  /** Nanoseconds since the Unix epoch of a time in the clock's units. */
  private epochNs(t: number): bigint {
    return this.originNs! + BigInt(t);
  }

  private pushAt(src: string, srcPort: number, dst: string, dstPort: number, bytes: Uint8Array, start: number, end: number): TrackerOutput[] {
    // One array for every call (its contents are valid until the next push): a new one per packet was
    // an allocation per packet.
    const out = this.out;
    emptyArray(out);
    const now = this.clock[0];
    // Sweep for idle streams about once a second of capture time: cheap, and bounds memory.
    if (Number.isNaN(this.lastSweep) || now > this.nextSweep || now < this.lastSweep) {
      this.lastSweep = now;
      this.nextSweep = now + 1e9;
      this.sweep(now, out);
    }
    const n = end - start;
    if (n < 12 || bytes[start] >> 6 !== 2) {
      const payload = view(bytes, start, end);
      if (looksLikeSip(payload)) this.learnSdp(payload);
      else this.nonRtp++;
      return out;
    }
    const ssrc = ((bytes[start + 8] << 24) | (bytes[start + 9] << 16) | (bytes[start + 10] << 8) | bytes[start + 11]) >>> 0;
    let s = this.find(src, srcPort, dst, dstPort, ssrc);
    if (!s) {
      const payload = view(bytes, start, end);
      const key = `${src}|${srcPort}|${dst}|${dstPort}|${ssrc}`;
      if (!looksLikeRtp(payload)) {
        this.nonRtp++;
        return out;
      }
      const destKey = `${dst}|${dstPort}`;
      const foundBy = this.ports.has(srcPort) || this.ports.has(dstPort) ? 'port' : this.sdpByDest.has(destKey) ? 'sdp' : undefined;
      const sequence = (payload[2] << 8) | payload[3];
      let previous: Candidate | undefined;
      if (!foundBy) {
        const c = this.candidates.get(key);
        if (!c || ((c.sequence + 1) & 0xffff) !== sequence) {
          this.candidates.delete(key);
          if (this.candidates.size >= this.opts.maxCandidates) {
            this.candidates.delete(this.candidates.keys().next().value as string);
            this.nonRtp++;
          }
          this.candidates.set(key, { sequence, data: new Uint8Array(payload), at: now });
          return out;
        }
        previous = c;
        this.candidates.delete(key);
      }
      s = this.newStream({ ssrc, src, srcPort, dst, dstPort }, key, foundBy ?? 'heuristic', destKey, now);
      this.streams.set(key, s);
      this.index(s);
      if (previous) {
        this.clock[0] = previous.at;
        this.handle(s, parseRtp(previous.data), out);
        this.clock[0] = now;
      }
    }
    // The usual packet (no CSRC, extension or padding) is read in place; anything else is parsed strictly.
    if ((bytes[start] & 0x3f) === 0) {
      this.handleFields(s, bytes[start + 1] & 0x7f, (bytes[start + 2] << 8) | bytes[start + 3],
        ((bytes[start + 4] << 24) | (bytes[start + 5] << 16) | (bytes[start + 6] << 8) | bytes[start + 7]) >>> 0, bytes, start + 12, end, out);
      return out;
    }
    let pkt: RtpPacket;
    try {
      pkt = parseRtp(view(bytes, start, end));
    } catch {
      this.nonRtp++;
      return out;
    }
    this.handle(s, pkt, out);
    return out;
  }

  private static hash(ssrc: number, srcPort: number, dstPort: number): number {
    return (ssrc ^ ((srcPort << 16) | dstPort)) >>> 0;
  }

  private find(src: string, srcPort: number, dst: string, dstPort: number, ssrc: number): Stream | undefined {
    const hit = this.byHash.get(StreamTracker.hash(ssrc, srcPort, dstPort));
    if (hit === undefined) return undefined;
    if (!Array.isArray(hit)) return sameFlow(hit.id, src, srcPort, dst, dstPort, ssrc) ? hit : undefined;
    for (const s of hit) if (sameFlow(s.id, src, srcPort, dst, dstPort, ssrc)) return s;
    return undefined;
  }

  private index(s: Stream): void {
    const h = StreamTracker.hash(s.id.ssrc, s.id.srcPort, s.id.dstPort);
    const hit = this.byHash.get(h);
    if (hit === undefined) this.byHash.set(h, s);
    else if (Array.isArray(hit)) hit.push(s);
    else this.byHash.set(h, [hit, s]);
  }

  private unindex(s: Stream): void {
    const h = StreamTracker.hash(s.id.ssrc, s.id.srcPort, s.id.dstPort);
    const hit = this.byHash.get(h);
    if (hit === s) this.byHash.delete(h);
    else if (Array.isArray(hit)) {
      const rest = hit.filter((x) => x !== s);
      if (rest.length === 0) this.byHash.delete(h);
      else this.byHash.set(h, rest.length === 1 ? rest[0] : rest);
    }
  }

  /** End of capture: emits everything still held in reorder windows and open events. */
  flush(): TrackerOutput[] {
    const out: TrackerOutput[] = [];
    for (const s of this.streams.values()) this.flushStream(s, out);
    return out;
  }

  /** Every stream seen, finished ones first, in the order they were found. */
  reports(): StreamReport[] {
    return [...this.finished, ...[...this.streams.values()].map((s) => this.report(s))];
  }

  private flushStream(s: Stream, out: TrackerOutput[]): void {
    const chunks: AudioChunk[] = [];
    s.audio?.flush(chunks);
    for (const c of chunks) out.push(audioOut(s.id, c));
    const evs: DedupedEvent[] = [];
    s.events.flush(evs);
    for (const e of evs) out.push(this.eventOut(s, e));
  }

  private sweep(now: number, out: TrackerOutput[]): void {
    for (const [key, s] of this.streams) {
      if (now - s.last <= this.idleNs) continue;
      this.flushStream(s, out);
      this.finished.push(this.report(s));
      this.streams.delete(key);
      this.unindex(s);
    }
  }

  private report(s: Stream): StreamReport {
    const sequence = s.seq.snapshot();
    return {
      id: s.id,
      label: streamLabel(s.id),
      foundBy: s.foundBy,
      packets: s.packets,
      audioPackets: s.audioPackets,
      eventPackets: s.eventPackets,
      otherPackets: s.otherPackets,
      payloadTypes: [...s.pts].sort((a, b) => a - b),
      codec: s.codec,
      sequence,
      // Microseconds are plenty; long float tails would read as digit runs in output scanned for card data.
      jitterMs: Math.round((sequence.jitter / CLOCK_RATE) * 1e6) / 1000,
      late: s.audio?.late ?? 0,
      filledSamples: s.audio?.filledSamples ?? 0,
      timestampJumps: s.audio?.jumps ?? 0,
      events: s.eventCount,
      eventRepeats: s.events.repeats,
      malformedEvents: s.malformedEvents,
      firstMs: nsToMs(this.epochNs(s.first)),
      lastMs: nsToMs(this.epochNs(s.last)),
    };
  }

  private newStream(id: StreamId, key: string, foundBy: Stream['foundBy'], destKey: string, at: number): Stream {
    return { id, key, sdp: undefined, sdpVersion: -1, foundBy, destKey, seq: new SequenceStats(), events: new EventDeduplicator(), baseTs: -1, maxTs: -1, first: at, last: at,
      packets: 0, audioPackets: 0, eventPackets: 0, otherPackets: 0, malformedEvents: 0, eventCount: 0, pts: new Set(), lastPt: -1 };
  }

  private kindOf(s: Stream, pt: number): PayloadKind | undefined {
    if (s.sdpVersion !== this.sdpVersion) {
      s.sdp = this.sdpByDest.get(s.destKey);
      s.sdpVersion = this.sdpVersion;
    }
    return s.sdp?.get(pt) ?? this.defaults.get(pt);
  }

  private handle(s: Stream, pkt: RtpPacket, out: TrackerOutput[]): void {
    this.handleFields(s, pkt.payloadType, pkt.sequence, pkt.timestamp, pkt.payload, 0, pkt.payload.length, out);
  }

  /** A packet's fields, captured at `clock[0]`; its payload is `bytes[start, end)` (no view made for audio). */
  private handleFields(s: Stream, payloadType: number, sequence: number, timestamp: number, bytes: Uint8Array, start: number, end: number, out: TrackerOutput[]): void {
    if (s.seq.record(sequence) < 0) return; // duplicate sequence number: already processed
    const now = this.clock[0];
    s.packets++;
    s.last = now;
    if (payloadType !== s.lastPt) {
      s.pts.add(payloadType);
      s.lastPt = payloadType;
    }
    const extTs = unwrapTimestamp(timestamp, s.maxTs < 0 ? undefined : s.maxTs);
    if (s.baseTs < 0) s.baseTs = extTs;
    if (extTs > s.maxTs) s.maxTs = extTs;
    const kind = this.kindOf(s, payloadType);
    if (kind === 'ulaw' || kind === 'alaw') {
      s.audioPackets++;
      s.codec = kind;
      // Arrival in timestamp units, relative to the stream's first packet so a Number keeps precision.
      s.seq.recordTransit(((now - s.first) / 1e9) * CLOCK_RATE, extTs);
      s.audio ??= new AudioReassembler(s.baseTs, { reorderWindow: this.opts.reorderWindow });
      const chunks = this.chunks;
      s.audio.pushBytes(extTs, kind, bytes, start, end, chunks);
      for (let i = 0; i < chunks.length; i++) out.push(audioOut(s.id, chunks[i]));
      emptyArray(chunks);
    } else if (kind === 'telephone-event') {
      s.eventPackets++;
      let ev;
      try {
        ev = parseTelephoneEvent(view(bytes, start, end));
      } catch {
        s.malformedEvents++;
        return;
      }
      const evs = this.evs;
      s.events.push(extTs, ev, this.epochNs(now), evs);
      for (let i = 0; i < evs.length; i++) out.push(this.eventOut(s, evs[i]));
      emptyArray(evs);
    } else {
      s.otherPackets++;
    }
  }

  private eventOut(s: Stream, e: DedupedEvent): TrackerOutput {
    s.eventCount++;
    // Timeline position from RTP timestamps (what a recorder would play), not capture arrival time.
    const startMs = ((e.timestamp - (s.baseTs < 0 ? e.timestamp : s.baseTs)) / CLOCK_RATE) * 1000;
    return { kind: 'event', stream: s.id, ...e, rtpTimestamp: e.timestamp % 2 ** 32, startMs, endMs: startMs + (e.duration / CLOCK_RATE) * 1000 };
  }

  private learnSdp(payload: Uint8Array): void {
    // The SDP address must match how decodeUdp prints addresses (RFC 5952 form for IPv6).
    this.sipMessages++;
    const body = sipSdpBody(payload);
    if (!body) return;
    for (const m of parseSdp(body)) {
      if (!m.address) continue;
      const address = canonicalAddress(m.address);
      this.sdpMedia++;
      const map = new Map<number, PayloadKind>();
      for (const p of m.payloadTypes) map.set(p.pt, p.kind);
      this.sdpByDest.set(`${address}|${m.port}`, map);
      this.sdpVersion++;
    }
  }
}

/** The same fields and order as `{ kind, stream, ...chunk }`, without the spread. */
function audioOut(stream: StreamId, c: AudioChunk): TrackerOutput {
  return { kind: 'audio', stream, codec: c.codec, sampleOffset: c.sampleOffset, codes: c.codes, silence: c.silence };
}

function sameFlow(id: StreamId, src: string, srcPort: number, dst: string, dstPort: number, ssrc: number): boolean {
  return id.ssrc === ssrc && id.srcPort === srcPort && id.dstPort === dstPort && id.src === src && id.dst === dst;
}

/** `bytes[start, end)`, without a new view when that is all of it. */
function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}

function nsToMs(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}

function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a;
  try {
    return formatIpv6(ipv6Bytes(a), 0);
  } catch {
    return a;
  }
}
