/**
 * One streaming pass over a capture: reader → link/IP/UDP (with reassembly) → RTP streams.
 *
 *   const a = analyseCapture(createReadStream(file), { rtpPorts, eventPt });
 *   for await (const out of a.outputs()) ...   // audio chunks in order, deduplicated events
 *   a.result()                                 // capture summary, skipped counts, per-stream reports
 *
 * Memory is bounded by the number of streams, not the capture size.
 */
import type { Readable } from 'node:stream';
import { readCapture } from '../capture/read-capture.ts';
import type { CaptureSummary } from '../capture/capture-errors.ts';
import type { ReassemblerOptions, ReassemblerStats } from '../capture/ip-reassembler.ts';
import { UdpDecoder } from '../capture/udp-decoder.ts';
import { StreamTracker, type StreamReport, type StreamTrackerOptions, type TrackerOutput } from './stream-tracker.ts';

export interface CaptureAnalysisResult {
  capture: CaptureSummary;
  /** Frames that carried no UDP we could use, by reason (non-IP, non-UDP, truncated ...). */
  skippedFrames: Record<string, number>;
  reassembly: ReassemblerStats;
  /** UDP datagrams that belonged to no RTP stream (and were not SIP). */
  nonRtpDatagrams: number;
  sipMessages: number;
  sdpMedia: number;
  streams: StreamReport[];
}

export interface CaptureAnalysis {
  outputs(): AsyncGenerator<TrackerOutput>;
  /** Valid once `outputs()` has finished. */
  result(): CaptureAnalysisResult;
}

export function analyseCapture(source: Readable | AsyncIterable<Uint8Array>, opts: StreamTrackerOptions & ReassemblerOptions = {}): CaptureAnalysis {
  const reader = readCapture(source);
  const decoder = new UdpDecoder(opts);
  const tracker = new StreamTracker(opts);
  return {
    async *outputs() {
      for await (const pkt of reader) {
        const udp = decoder.decode(pkt);
        if (!udp) continue;
        const out = tracker.push(udp, pkt.timestampNs);
        for (let i = 0; i < out.length; i++) yield out[i];
      }
      yield* tracker.flush();
    },
    result() {
      return {
        capture: reader.summary,
        skippedFrames: decoder.skipped,
        reassembly: decoder.reassembler.stats,
        nonRtpDatagrams: tracker.nonRtp,
        sipMessages: tracker.sipMessages,
        sdpMedia: tracker.sdpMedia,
        streams: tracker.reports(),
      };
    },
  };
}
