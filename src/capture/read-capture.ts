/**
 * The capture reader: pcap or pcapng, told apart by the magic number, read as a pull-based stream.
 *
 *   for await (const pkt of reader) ...   // constant memory, one record at a time
 *   for await (const b of reader.batches()) ...  // or: the records of each read chunk in one array
 *   for await (const b of reader.records()) ...  // or: the same as a RecordBatch (no object per record)
 *   reader.summary                        // format, counts, what was skipped, why it stopped early
 *
 * An unreadable file (empty, not a capture, damaged header) throws a DgError (DG6xxx, exit 2) from
 * the first iteration. Damage after the header ends the iteration and sets `summary.partial`.
 */
import type { Readable } from 'node:stream';
import { isDgError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { CAPTURE_CODES, captureError, type CaptureSummary } from './capture-errors.ts';
import type { CapturedPacket } from './captured-packet.ts';
import { isPcapMagic, readPcapBatches, readPcapRecords } from './pcap.ts';
import { isPcapngMagic, readPcapng } from './pcapng.ts';
import { RecordBatch } from './record-batch.ts';

export type { CapturedPacket } from './captured-packet.ts';
export { RecordBatch } from './record-batch.ts';

export interface CaptureReader extends AsyncIterable<CapturedPacket> {
  readonly summary: CaptureSummary;
  /**
   * The same packets in arrays, one await per array instead of one per packet (the verifier's hot
   * loop). Optional for other readers (live capture); iterate a reader once, one way or the other.
   */
  batches?(): AsyncIterable<CapturedPacket[]>;
  /**
   * The same records without an object per record (record-batch.ts); one RecordBatch refilled
   * each time, so handle it before asking for the next. Optional, like `batches`.
   */
  records?(): AsyncIterable<RecordBatch>;
}

/** How one format's records come out: as packet arrays, or as record batches. */
interface Shape<T> {
  pcap: (r: ByteReader, summary: CaptureSummary) => AsyncGenerator<T>;
  pcapng: (r: ByteReader, summary: CaptureSummary) => AsyncGenerator<T>;
  size: (b: T) => number;
}

const PACKETS: Shape<CapturedPacket[]> = {
  pcap: readPcapBatches,
  pcapng: (r, summary) => singles(readPcapng(r, summary)),
  size: (b) => b.length,
};

const RECORDS: Shape<RecordBatch> = {
  pcap: readPcapRecords,
  pcapng: (r, summary) => singleRecords(readPcapng(r, summary)),
  size: (b) => b.count,
};

export function readCapture(source: Readable | AsyncIterable<Uint8Array>): CaptureReader {
  const summary: CaptureSummary = { format: 'unknown', packets: 0, bytes: 0, skipped: {} };
  let started = false;
  const start = <T>(shape: Shape<T>): AsyncGenerator<T> => {
    if (started) throw new Error('a capture reader can be iterated only once');
    started = true;
    return iterate(source, summary, shape);
  };
  return {
    summary,
    [Symbol.asyncIterator]() {
      return flatten(start(PACKETS));
    },
    batches() {
      return { [Symbol.asyncIterator]: () => start(PACKETS) };
    },
    records() {
      return { [Symbol.asyncIterator]: () => start(RECORDS) };
    },
  };
}

async function* flatten(batches: AsyncGenerator<CapturedPacket[]>): AsyncGenerator<CapturedPacket> {
  for await (const b of batches) yield* b;
}

async function* iterate<T>(source: Readable | AsyncIterable<Uint8Array>, summary: CaptureSummary, shape: Shape<T>): AsyncGenerator<T> {
  const r = new ByteReader(source);
  let yielded = false;
  try {
    let ok: boolean;
    try {
      ok = await r.fill(4);
    } catch (e) {
      throw captureError(CAPTURE_CODES.readFailed, `cannot read the capture: ${ioReason(e)}`);
    }
    if (!ok) {
      throw captureError(CAPTURE_CODES.tooShort, r.buffered === 0 ? 'the capture file is empty' : 'the capture file is shorter than any file header');
    }
    // Look at the magic without consuming it: each format reader parses its own file header.
    const magic = r.peek(4)!;
    let inner: AsyncGenerator<T>;
    if (isPcapMagic(magic)) inner = shape.pcap(r, summary);
    else if (isPcapngMagic(magic)) inner = shape.pcapng(r, summary);
    else throw captureError(CAPTURE_CODES.badMagic, 'not a pcap or pcapng capture (unknown magic number): give a file written by tcpdump, tshark or Wireshark');
    try {
      for await (const b of inner) {
        if (shape.size(b) === 0) continue;
        yielded = true;
        yield b;
      }
    } catch (e) {
      if (isDgError(e) && !yielded) throw e;
      if (isDgError(e)) {
        summary.partial = { code: e.code, offset: r.offset, message: e.message.replace(/^DG\d+: /, '') };
        return;
      }
      // An I/O failure of the stream: what was read so far stands, the rest is reported as skipped.
      if (!yielded) throw captureError(CAPTURE_CODES.readFailed, `cannot read the capture: ${ioReason(e)}`);
      summary.partial = { code: CAPTURE_CODES.readFailed, offset: r.offset, message: `read failed (${ioReason(e)}): the rest of the file was skipped` };
    }
  } finally {
    await r.close().catch(() => undefined);
  }
}

/** pcapng's reader yields packet by packet (blocks of many kinds); as one-packet batches. */
async function* singles(packets: AsyncGenerator<CapturedPacket>): AsyncGenerator<CapturedPacket[]> {
  for await (const p of packets) yield [p];
}

/** pcapng's packets as record batches of one (the same batch refilled). */
async function* singleRecords(packets: AsyncGenerator<CapturedPacket>): AsyncGenerator<RecordBatch> {
  const batch = new RecordBatch(1);
  for await (const p of packets) yield RecordBatch.of(p, batch);
}

function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'ENOENT') return `no such file (${err.path ?? ''})`;
  if (err && err.code === 'EISDIR') return 'it is a directory';
  if (err && err.code === 'EACCES') return 'permission denied';
  return err && err.message ? err.message.split('\n')[0] : String(e);
}
