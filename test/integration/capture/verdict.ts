/** Test helper: the per-stream verdict of one capture, in a form to compare across formats. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { analyseCapture, type CaptureAnalysisResult } from '../../../src/rtp/capture-analysis.ts';
import { decodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';

export interface StreamVerdict {
  label: string;
  codec?: G711Codec;
  packets: number;
  lost: number;
  duplicates: number;
  reordered: number;
  late: number;
  jitter: number;
  events: string[];
  audioLength: number;
  audioSha256: string;
  inband: string;
}

export async function captureVerdict(file: string, opts: { eventPt?: number; rtpPorts?: number[] } = {}): Promise<{ streams: StreamVerdict[]; audio: Map<string, Uint8Array>; result: CaptureAnalysisResult }> {
  const a = analyseCapture(createReadStream(file), opts);
  const chunks = new Map<string, Uint8Array[]>();
  const events = new Map<string, string[]>();
  for await (const o of a.outputs()) {
    const label = `${o.stream.src}|${o.stream.srcPort}|${o.stream.dst}|${o.stream.dstPort}|${o.stream.ssrc}`;
    if (o.kind === 'audio') (chunks.get(label) ?? chunks.set(label, []).get(label)!).push(Uint8Array.from(o.codes));
    else (events.get(label) ?? events.set(label, []).get(label)!).push(`${o.digit ?? o.event}@${o.rtpTimestamp}/${o.duration}${o.endSeen ? '' : '?'}`);
  }
  const result = a.result();
  const audio = new Map<string, Uint8Array>();
  const streams = result.streams.map((s) => {
    const key = `${s.id.src}|${s.id.srcPort}|${s.id.dst}|${s.id.dstPort}|${s.id.ssrc}`;
    const parts = chunks.get(key) ?? [];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    audio.set(s.label, bytes);
    const inband = s.codec ? detectDigits(decodeG711(s.codec, bytes)).map((d) => d.digit).join('') : '';
    return {
      label: s.label, codec: s.codec, packets: s.packets, lost: s.sequence.lost, duplicates: s.sequence.duplicates,
      reordered: s.sequence.reordered, late: s.late, jitter: s.sequence.jitter, events: events.get(key) ?? [],
      audioLength: bytes.length, audioSha256: createHash('sha256').update(bytes).digest('hex'), inband,
    };
  }).sort((x, y) => (x.label < y.label ? -1 : 1));
  return { streams, audio, result };
}
