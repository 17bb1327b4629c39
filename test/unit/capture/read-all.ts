/** Test helper: reads a whole capture from bytes delivered in the given chunk sizes. */
import { Readable } from 'node:stream';
import { readCapture } from '../../../src/capture/read-capture.ts';
import type { CapturedPacket } from '../../../src/capture/captured-packet.ts';
import type { CaptureSummary } from '../../../src/capture/capture-errors.ts';

export async function readAll(bytes: Uint8Array, chunkSize = 65536): Promise<{ packets: CapturedPacket[]; summary: CaptureSummary }> {
  const chunks: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunkSize) chunks.push(Buffer.from(bytes.subarray(o, o + chunkSize)));
  const reader = readCapture(Readable.from(chunks, { objectMode: false }));
  const packets: CapturedPacket[] = [];
  for await (const p of reader) packets.push({ ...p, data: Uint8Array.from(p.data) });
  return { packets, summary: reader.summary };
}
