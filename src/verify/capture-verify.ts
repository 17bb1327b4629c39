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
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { MaskTone } from '../dsp/dtmf-keys.ts';
import { decodeG711 } from '../dsp/g711.ts';
import { readCapture, type CaptureReader } from '../capture/read-capture.ts';
import { UdpDecoder } from '../capture/udp-decoder.ts';
import { StreamTracker, streamLabel, type StreamId, type StreamReport } from '../rtp/stream-tracker.ts';
import { InbandScanner } from './inband-scanner.ts';
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
}

const RATE = 8000;

interface StreamState {
  label: string;
  scanner: InbandScanner;
  recorder?: SnippetRecorder<DigitReport>;
  /** Stream sample index where the scanner's origin is (it restarts after a timestamp jump). */
  base: number;
  /** Next expected sample index. */
  next: number;
  pcm: Int16Array;
  otherEvents: number;
}

/** Verifies a capture file (pcap or pcapng). Throws DgError (exit 2) when the file is unreadable from the start. */
export async function verifyCaptureFile(path: string, opts: CaptureVerifyOptions = {}): Promise<FileVerdict> {
  return verifyCapture(path, readCapture(createReadStream(path, { highWaterMark: 1 << 20 })), opts);
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

  const stateOf = (id: StreamId): StreamState => {
    let st = states.get(id);
    if (!st) {
      st = {
        label: streamLabel(id),
        scanner: new InbandScanner({ sampleRate: RATE, attacker: opts.attacker }),
        recorder: opts.snippets ? new SnippetRecorder<DigitReport>(sink, RATE) : undefined,
        base: 0,
        next: 0,
        pcm: new Int16Array(160),
        otherEvents: 0,
      };
      states.set(id, st);
    }
    return st;
  };

  const collect = (st: StreamState, found: ReturnType<InbandScanner['process']>): void => {
    for (const f of found) {
      const d: DigitReport = {
        digit: f.digit,
        startMs: ((st.base + f.startSample) * 1000) / RATE,
        endMs: ((st.base + f.endSample) * 1000) / RATE,
        source: 'inband',
        stream: st.label,
        detector: f.detector,
        leak: isLeak(f.digit, opts.maskTone),
      };
      digits.push(d);
      st.recorder?.request(d, st.base + f.startSample, st.base + f.endSample);
    }
  };

  const consume = (o: ReturnType<StreamTracker['push']>[number]): void => {
    const st = stateOf(o.stream);
    if (o.kind === 'audio') {
      if (o.sampleOffset !== st.next) {
        // A timestamp jump too long to fill: the audio restarts there, with fresh receivers.
        collect(st, st.scanner.flush());
        st.base = o.sampleOffset;
      }
      if (st.pcm.length < o.codes.length) st.pcm = new Int16Array(o.codes.length);
      const pcm = decodeG711(o.codec, o.codes, st.pcm.subarray(0, o.codes.length));
      st.recorder?.push(pcm, o.sampleOffset);
      collect(st, st.scanner.process(pcm));
      st.next = o.sampleOffset + o.codes.length;
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

  for await (const pkt of reader) {
    const udp = decoder.decode(pkt);
    if (!udp) continue;
    const outs = tracker.push(udp, pkt.timestampNs);
    for (let i = 0; i < outs.length; i++) consume(outs[i]);
  }
  for (const o of tracker.flush()) consume(o);
  for (const st of states.values()) {
    collect(st, st.scanner.flush());
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
  digits.sort((a, b) => a.startMs - b.startMs || (a.stream! < b.stream! ? -1 : a.stream! > b.stream! ? 1 : 0));

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

function describeCounts(c: Record<string, number>): string {
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', ');
}

/** For callers holding a Readable (tests, benches). */
export function verifyCaptureStream(name: string, source: Readable | AsyncIterable<Uint8Array>, opts: CaptureVerifyOptions = {}): Promise<FileVerdict> {
  return verifyCapture(name, readCapture(source), opts);
}
