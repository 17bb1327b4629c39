/**
 * The reader's record batches (record-batch.ts, `reader.records()`) against its packets: the same
 * frames, capture times, lengths, link types and interfaces, in pcap of both resolutions and byte
 * orders and in pcapng, whatever the chunking of the stream (records straddling chunks), and the
 * same summary when the file is damaged part-way.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/read-capture.ts';
import type { CaptureSummary } from '../../../src/capture/capture-errors.ts';
import { pcapFileHeader, pcapngEnhancedPacket, pcapngInterface, pcapngSectionHeader, pcapRecord, toTsUnits, type PcapFormat } from '../../../src/capture/pcap-writer.ts';
import { readAll } from './read-all.ts';

// Capture times across a second boundary, one before 1970 would need a signed field (not in pcap).
const T0 = 1_700_000_000_999_123_456n;
const frames = Array.from({ length: 40 }, (_, i) => Uint8Array.from({ length: (i * 53) % 200 }, (_, k) => (k * 7 + i) & 0xff));
const times = frames.map((_, i) => T0 + BigInt(i) * 20_013_017n);

function pcap(f: PcapFormat): Uint8Array {
  return Buffer.concat([pcapFileHeader(f), ...frames.map((d, i) => pcapRecord(f, times[i], d, d.length + i))]);
}

function pcapng(): Uint8Array {
  return Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), pcapngInterface(113, { tsresol: 6 }),
    ...frames.map((d, i) => pcapngEnhancedPacket(i % 2, toTsUnits(times[i], i % 2 === 0 ? 9 : 6), d, { originalLength: d.length + 1 }))]);
}

interface Rec {
  ns: bigint;
  data: number[];
  originalLength: number;
  linkType: number;
  interfaceId: number;
}

async function readRecords(bytes: Uint8Array, chunkSize: number): Promise<{ records: Rec[]; summary: CaptureSummary }> {
  const chunks: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunkSize) chunks.push(Buffer.from(bytes.subarray(o, o + chunkSize)));
  const reader = readCapture(Readable.from(chunks, { objectMode: false }));
  const records: Rec[] = [];
  for await (const b of reader.records!()) {
    for (let i = 0; i < b.count; i++) {
      const off = b.offs[i];
      records.push({ ns: BigInt(b.secs[i]) * 1_000_000_000n + BigInt(b.nsecs[i]), data: [...b.data.subarray(off, off + b.lens[i])],
        originalLength: b.origLens[i], linkType: b.linkTypes[i], interfaceId: b.interfaces[i] });
      // What the general path is handed for a record is the same record.
      const p = b.packetAt(i);
      expect(p.timestampNs).toBe(records[records.length - 1].ns);
      expect([...p.data]).toEqual(records[records.length - 1].data);
    }
  }
  return { records, summary: reader.summary };
}

async function readPackets(bytes: Uint8Array, chunkSize: number): Promise<{ records: Rec[]; summary: CaptureSummary }> {
  const { packets, summary } = await readAll(bytes, chunkSize);
  return { records: packets.map((p) => ({ ns: p.timestampNs, data: [...p.data], originalLength: p.originalLength, linkType: p.linkType, interfaceId: p.interfaceId })), summary };
}

describe('capture record batches', () => {
  it.each([
    ['pcap µs little-endian', () => pcap({ linkType: 1 })],
    ['pcap µs big-endian', () => pcap({ linkType: 1, bigEndian: true })],
    ['pcap ns little-endian', () => pcap({ linkType: 1, nano: true })],
    ['pcap ns big-endian', () => pcap({ linkType: 1, nano: true, bigEndian: true })],
    ['pcapng, two interfaces', pcapng],
  ])('%s: the same records as the packets, in any chunking', async (_n, make) => {
    const bytes = make();
    const want = await readPackets(bytes, 1 << 20);
    expect(want.records.length).toBe(frames.length);
    expect(new Set(want.records.map((r) => r.ns % 1_000_000_000n)).size).toBeGreaterThan(30);
    for (const size of [1 << 20, 1000, 97, 16, 7]) {
      const got = await readRecords(bytes, size);
      expect(got.records, `chunks of ${size}`).toEqual(want.records);
      expect(got.summary).toEqual(want.summary);
    }
  });

  it('a file cut inside a record: the records before it and the same partial summary', async () => {
    const bytes = pcap({ linkType: 1, nano: true });
    for (const cut of [bytes.length - 5, bytes.length - 150, 24 + 8]) {
      const b = bytes.subarray(0, cut);
      const want = await readPackets(b, 64);
      const got = await readRecords(b, 64);
      expect(got).toEqual(want);
      expect(got.summary.partial).toBeDefined();
    }
  });
});
