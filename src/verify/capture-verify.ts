/**
 * The leak verifier for captures, one streaming pass:
 *   capture reader → link/IP/UDP → RTP streams (src/rtp) → G.711 decode → Q.24 + attacker receivers
 *                                                        → RFC 4733 events (deduplicated)
 * → digit reports per stream. Memory is bounded by the number of streams (each holds a detector
 * pair and a 2 s snippet ring when a report is wanted), not by the size of the capture.
 *
 * A capture damaged part-way still gets a verdict for what came before the damage; the verdict says
 * where reading stopped and why (`capture.partial`, a warning, `truncated`).
 */
import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { MaskTone } from '../dsp/dtmf-keys.ts';
import { readCapture, type CaptureReader, type CapturedPacket } from '../capture/read-capture.ts';
import { UdpDecoder } from '../capture/udp-decoder.ts';
import { StreamTracker, streamLabel, type StreamId, type StreamReport } from '../rtp/stream-tracker.ts';
import { emptyArray } from '../empty-array.ts';
import { InbandPool } from './inband-pool.ts';
import { InbandStream, type InbandFinding } from './inband-stream.ts';
import { SnippetRecorder, type AudioSnippet } from './snippet-recorder.ts';
import { isLeak, type CaptureMeta, type DigitReport, type FileVerdict, type StreamSummary } from './verdict.ts';

export interface CaptureVerifyOptions {
  maskTone?: MaskTone;
  /** UDP ports whose traffic is RTP without the heuristic (`--rtp-port`). */
  rtpPorts?: number[];
  /** telephone-event payload type where no SDP names one (`--event-pt`, default 101). */
  eventPt?: number;
  /** Run the attacker's receiver as well as the Q.24 one. Default true. */
  attacker?: boolean;
  /** When given, filled with the audio around each in-band digit and each event (for the HTML report). */
  snippets?: Map<DigitReport, AudioSnippet>;
  /** Most snippets kept per file (memory bound). Default 500. */
  maxSnippets?: number;
  /**
   * Worker threads for the in-band receivers (inband-pool.ts), 0 for none. Default 0 here;
   * `verifyCaptureFile` picks workers for large files. Ignored when `snippets` is given (the
   * snippet recorder needs the decoded audio on this thread).
   */
  workers?: number;
  /**
   * With worker threads, every Nth new stream keeps its in-band receivers on this thread (0: none).
   * Default: `mainThreadEvery(workers)`.
   */
  mainEvery?: number;
}

/**
 * Files at least this big get worker threads by default: starting a worker (tsx, the DSP modules)
 * costs about 0.1 s, which a capture of this size repays many times over.
 */
export const WORKERS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Workers for a file of `bytes`: one per core beyond the reader's, at least one, at most 4. On 2
 * cores one worker beats two (measured on 64 MB: 1.72 s wall and 2.96 s CPU against 1.83 s and
 * 3.44 s): the reader's thread is busy too, and a third thread only adds start-up and switching.
 */
export function defaultWorkers(bytes: number): number {
  if (bytes < WORKERS_FROM_BYTES) return 0;
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * With one worker, every fourth stream's in-band receivers run on the reading thread. Why: with
 * everything in-band on the worker the reader idles while the worker sets the pace, so the reader
 * takes a share. The share follows what each side costs: at first every sixth (the reader's own
 * path 1.6 µs a packet against 2.4 in-band: 1.6 + 2.4/6 ≈ 2.4 × 5/6); since the attacker kernel
 * got cheaper (cc98f14) the worker still set the pace with a sixth (1 GB: worker 10.1 s of CPU,
 * reader 7.2 s), and a fourth evens them (docs/benchmarks.md, "Round 4": 1 GB wall 10.8–11.4 s
 * against 11.9–12.4 s for every sixth, every third no better than every fourth).
 * With two or more workers the reader has no time to spare.
 */
export function mainThreadEvery(workers: number): number {
  return workers === 1 ? 4 : 0;
}

const RATE = 8000;

interface StreamState {
  label: string;
  /** The receivers, on this thread; undefined when a worker runs them. */
  inband?: InbandStream;
  /** The stream's index in the worker pool (-1 on this thread). */
  shard: number;
  recorder?: SnippetRecorder<DigitReport>;
  /** Next expected sample index (for the summary's audio length). */
  next: number;
  otherEvents: number;
}

/** Verifies a capture file (pcap or pcapng). Throws DgError (exit 2) when the file is unreadable from the start. */
export async function verifyCaptureFile(path: string, opts: CaptureVerifyOptions = {}): Promise<FileVerdict> {
  let workers = opts.workers;
  if (workers === undefined) {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // Unreadable: the reader reports it with its DG code.
    }
    workers = defaultWorkers(size);
  }
  return verifyCapture(path, readCapture(createReadStream(path, { highWaterMark: 1 << 20 })), { ...opts, workers });
}

/** Verifies packets from any capture reader (a file, or tcpdump's live stream). */
export async function verifyCapture(name: string, reader: CaptureReader, opts: CaptureVerifyOptions = {}, extra: Partial<CaptureMeta> = {}): Promise<FileVerdict> {
  const decoder = new UdpDecoder();
  const tracker = new StreamTracker({ rtpPorts: opts.rtpPorts, eventPt: opts.eventPt });
  // The tracker hands out one StreamId object per stream, so it keys the state without building a string per packet.
  const states = new Map<StreamId, StreamState>();
  const digits: DigitReport[] = [];
  const maxSnippets = opts.maxSnippets ?? 500;
  let snippetCount = 0;
  const sink = (d: DigitReport, s: AudioSnippet): void => {
    if (opts.snippets && snippetCount < maxSnippets) {
      opts.snippets.set(d, s);
      snippetCount++;
    }
  };

  // Worker threads only where they can run the whole in-band path (snippets need the audio here).
  const pool = !opts.snippets && (opts.workers ?? 0) > 0 ? new InbandPool(opts.workers!, opts.attacker) : undefined;
  /** Stream states by pool index, to label what the workers found. */
  const byShard: StreamState[] = [];
  const mainEvery = pool ? (opts.mainEvery ?? mainThreadEvery(pool.size)) : 0;
  let opened = 0;

  const stateOf = (id: StreamId): StreamState => {
    let st = states.get(id);
    if (!st) {
      const here = !pool || (mainEvery > 0 && opened++ % mainEvery === mainEvery - 1);
      st = {
        label: streamLabel(id),
        inband: here ? new InbandStream(opts.attacker) : undefined,
        shard: here ? -1 : pool!.open(),
        recorder: opts.snippets ? new SnippetRecorder<DigitReport>(sink, RATE) : undefined,
        next: 0,
        otherEvents: 0,
      };
      if (st.shard >= 0) byShard[st.shard] = st;
      states.set(id, st);
    }
    return st;
  };

  const found: InbandFinding[] = [];
  const collect = (st: StreamState): void => {
    for (const f of found) {
      const d: DigitReport = {
        digit: f.digit,
        startMs: f.startMs,
        endMs: f.endMs,
        source: 'inband',
        stream: st.label,
        detector: f.detector,
        leak: isLeak(f.digit, opts.maskTone),
      };
      digits.push(d);
      st.recorder?.request(d, f.startSample, f.endSample);
    }
    emptyArray(found);
  };

  const consume = (o: ReturnType<StreamTracker['push']>[number]): void => {
    const st = stateOf(o.stream);
    if (o.kind === 'audio') {
      if (st.shard >= 0) {
        pool!.push(st.shard, o.codec, o.sampleOffset, o.codes);
        st.next = o.sampleOffset + o.codes.length;
        return;
      }
      const inband = st.inband!;
      inband.restart(o.sampleOffset, found);
      if (found.length > 0) collect(st);
      const pcm = inband.decode(o.codec, o.codes);
      st.recorder?.push(pcm, o.sampleOffset);
      inband.scan(pcm, found);
      if (found.length > 0) collect(st);
      st.next = inband.next;
    } else {
      if (o.digit === undefined) {
        st.otherEvents++;
        return;
      }
      const d: DigitReport = {
        digit: o.digit,
        startMs: o.startMs,
        endMs: o.endMs,
        source: 'rfc4733',
        stream: st.label,
        endSeen: o.endSeen,
        leak: isLeak(o.digit, opts.maskTone),
      };
      digits.push(d);
      // Gateways often let a tone's start through in-band before switching to events: show the audio.
      st.recorder?.request(d, Math.round((o.startMs * RATE) / 1000), Math.round((o.endMs * RATE) / 1000));
    }
  };

  try {
    const handle = (pkt: CapturedPacket): void => {
      const udp = decoder.decode(pkt);
      if (!udp) return;
      const outs = tracker.push(udp, pkt.timestampNs);
      for (let i = 0; i < outs.length; i++) consume(outs[i]);
    };
    if (reader.records) {
      // The usual frame goes from the reader's chunk to the tracker with no object, view or BigInt
      // made for it (record-batch.ts, UdpDecoder.decodeRecord, StreamTracker.pushRecord).
      for await (const b of reader.records()) {
        const data = b.data;
        for (let i = 0; i < b.count; i++) {
          if (decoder.decodeRecord(b, i)) {
            const outs = tracker.pushRecord(decoder.src, decoder.srcPort, decoder.dst, decoder.dstPort, data, decoder.start, decoder.end, b.secs[i], b.nsecs[i]);
            for (let k = 0; k < outs.length; k++) consume(outs[k]);
          } else handle(b.packetAt(i));
        }
        if (pool?.congested) await pool.drain();
      }
    } else if (reader.batches) {
      // One await per read chunk, not per packet.
      for await (const batch of reader.batches()) {
        for (let i = 0; i < batch.length; i++) handle(batch[i]);
        if (pool?.congested) await pool.drain();
      }
    } else {
      for await (const pkt of reader) {
        handle(pkt);
        if (pool?.congested) await pool.drain();
      }
    }
    for (const o of tracker.flush()) consume(o);
    if (pool) {
      for (const [shard, fs] of await pool.finish()) {
        found.push(...fs);
        collect(byShard[shard]);
      }
    }
  } finally {
    await pool?.close();
  }
  for (const st of states.values()) {
    if (st.inband) {
      st.inband.flush(found);
      st.inband.dispose();
      collect(st);
    }
    st.recorder?.flush();
  }

  const summary = reader.summary;
  const reports = tracker.reports();
  const byLabel = new Map([...states.values()].map((st) => [st.label, st]));
  const streams = reports.map((r) => toSummary(r, byLabel.get(r.label)));
  const warnings: string[] = [];
  if (summary.partial) {
    warnings.push(`the capture is damaged at byte ${summary.partial.offset} (${summary.partial.code}: ${summary.partial.message}); only the packets before it were verified`);
  }
  const skippedRecords = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  if (skippedRecords > 0) warnings.push(`${skippedRecords} capture record(s) skipped: ${describeCounts(summary.skipped)}`);
  if (streams.length === 0) warnings.push('no RTP stream found: give --rtp-port PORT if the media uses ports SIP/SDP in the capture does not name');
  const other = streams.reduce((n, s) => n + s.otherEvents, 0);
  if (other > 0) warnings.push(`${other} RFC 4733 event(s) with a non-DTMF code (listed per stream, not digits)`);
  digits.sort(digitOrder);

  const capture: CaptureMeta = {
    format: summary.format,
    packets: summary.packets,
    bytes: summary.bytes,
    skippedRecords: summary.skipped,
    skippedFrames: decoder.skipped,
    nonRtpDatagrams: tracker.nonRtp,
    sipMessages: tracker.sipMessages,
    sdpMedia: tracker.sdpMedia,
    ...(summary.partial ? { partial: summary.partial } : {}),
    ...extra,
  };
  const first = Math.min(...reports.map((r) => r.firstMs));
  const last = Math.max(...reports.map((r) => r.lastMs));
  return {
    file: name,
    kind: summary.format,
    format: `${summary.format}, ${streams.length} RTP stream(s)`,
    ...(reports.length > 0 ? { durationMs: Math.round((last - first) * 1000) / 1000 } : {}),
    ...(summary.partial ? { truncated: true } : {}),
    warnings,
    digits,
    leaks: digits.filter((d) => d.leak).length,
    streams,
    capture,
  };
}

function toSummary(r: StreamReport, st: StreamState | undefined): StreamSummary {
  return {
    stream: r.label,
    foundBy: r.foundBy,
    ...(r.codec ? { codec: r.codec === 'alaw' ? 'PCMA' : 'PCMU' } : {}),
    payloadTypes: r.payloadTypes,
    packets: r.packets,
    lost: r.sequence.lost,
    duplicates: r.sequence.duplicates,
    reordered: r.sequence.reordered,
    late: r.late,
    jitterMs: r.jitterMs,
    filledSamples: r.filledSamples,
    timestampJumps: r.timestampJumps,
    audioMs: st ? (st.next * 1000) / RATE : 0,
    events: r.events,
    otherEvents: st?.otherEvents ?? 0,
    malformedEvents: r.malformedEvents,
    firstAt: new Date(r.firstMs).toISOString(),
    lastAt: new Date(r.lastMs).toISOString(),
    // Microseconds are plenty; a long float tail reads as a digit run to a card-data scan.
    spanMs: Math.round((r.lastMs - r.firstMs) * 1000) / 1000,
  };
}

/**
 * Time, then stream, then what no two findings share: the order does not depend on when each
 * receiver reported (workers report at the end), so one thread and many give the same document.
 */
function digitOrder(a: DigitReport, b: DigitReport): number {
  return a.startMs - b.startMs || cmp(a.stream!, b.stream!) || cmp(a.source, b.source) || cmp(a.detector ?? '', b.detector ?? '') || a.endMs - b.endMs || cmp(a.digit, b.digit);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeCounts(c: Record<string, number>): string {
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', ');
}

/** For callers holding a Readable (tests, benches). */
export function verifyCaptureStream(name: string, source: Readable | AsyncIterable<Uint8Array>, opts: CaptureVerifyOptions = {}): Promise<FileVerdict> {
  return verifyCapture(name, readCapture(source), opts);
}
