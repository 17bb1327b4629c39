/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): 24-byte file header, then 16-byte record headers.
 * Microsecond (0xA1B2C3D4) and nanosecond (0xA1B23C4D) magics in either byte order, and the
 * "modified" Kuznetsov format (0xA1B2CD34) whose records carry 8 extra header bytes.
 */
import type { ByteReader } from './byte-reader.ts';
import { CAPTURE_CODES, captureError, type CaptureSummary } from './capture-errors.ts';
import { MAX_RECORD_BYTES, type CapturedPacket } from './captured-packet.ts';
import { RecordBatch } from './record-batch.ts';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const FILE_HEADER = 24;

export function isPcapMagic(m: Uint8Array): boolean {
  return pcapMagicInfo(m) !== undefined;
}

function pcapMagicInfo(m: Uint8Array): { little: boolean; nano: boolean; modified: boolean } | undefined {
  const be = ((m[0] << 24) | (m[1] << 16) | (m[2] << 8) | m[3]) >>> 0;
  const le = ((m[3] << 24) | (m[2] << 16) | (m[1] << 8) | m[0]) >>> 0;
  for (const [v, little] of [[be, false], [le, true]] as const) {
    if (v === PCAP_MAGIC_US) return { little, nano: false, modified: false };
    if (v === PCAP_MAGIC_NS) return { little, nano: true, modified: false };
    if (v === PCAP_MAGIC_MODIFIED) return { little, nano: false, modified: true };
  }
  return undefined;
}

export async function* readPcap(r: ByteReader, summary: CaptureSummary): AsyncGenerator<CapturedPacket> {
  for await (const batch of readPcapBatches(r, summary)) yield* batch;
}

/** Records per batch at most: bounds a batch's array whatever the chunk size. */
const MAX_BATCH = 4096;

/**
 * The records as arrays: every record already buffered is parsed synchronously into one array, so
 * a consumer pays one await per read chunk instead of one per packet. Each packet's `data` is a
 * view of the reader's chunk, valid while the consumer handles the batch.
 */
export async function* readPcapBatches(r: ByteReader, summary: CaptureSummary): AsyncGenerator<CapturedPacket[]> {
  for await (const b of readPcapRecords(r, summary)) {
    const batch = new Array<CapturedPacket>(b.count);
    for (let i = 0; i < b.count; i++) batch[i] = b.packetAt(i);
    yield batch;
  }
}

/**
 * The records of each read chunk as one RecordBatch (no object, view or BigInt per record). The
 * same batch object is refilled for every chunk: handle it before asking for the next. All records
 * of a batch are in one chunk: the batch is handed out before every wait for more bytes, which
 * may replace the chunk.
 */
export async function* readPcapRecords(r: ByteReader, summary: CaptureSummary): AsyncGenerator<RecordBatch> {
  const header = await r.read(FILE_HEADER);
  if (header.length < FILE_HEADER) {
    throw captureError(CAPTURE_CODES.tooShort, `pcap file header is ${header.length} bytes, expected 24: the file is truncated`);
  }
  const info = pcapMagicInfo(header)!;
  const hv = new DataView(header.buffer, header.byteOffset, FILE_HEADER);
  const little = info.little;
  const major = hv.getUint16(4, little);
  if (major !== 2) throw captureError(CAPTURE_CODES.badVersion, `pcap version ${major} is not supported (expected 2): re-save the capture with editcap or tshark`);
  // The link type is the low 16 bits; the upper bits carry FCS information (draft-ietf-opsawg-pcap §4).
  const linkType = hv.getUint32(20, little) & 0xffff;
  const fracToNs = info.nano ? 1 : 1000;
  const recHeader = info.modified ? 24 : 16;
  summary.format = 'pcap';
  const u32 = little
    ? (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

  const batch = new RecordBatch(MAX_BATCH);
  for (;;) {
    // The record header is read in place (no view of it per packet).
    let h = r.tryConsume(recHeader);
    if (h < 0) {
      if (batch.count > 0) {
        yield batch;
        batch.count = 0;
      }
      if (!(await r.fill(recHeader))) {
        if (r.buffered > 0) {
          summary.partial = { code: CAPTURE_CODES.truncated, offset: r.offset,
            message: `capture ends inside a record header (${r.buffered} of ${recHeader} bytes): the last record was skipped` };
        }
        return;
      }
      h = r.tryConsume(recHeader);
    }
    const b = r.current;
    const sec = u32(b, h);
    const frac = u32(b, h + 4);
    const inclLen = u32(b, h + 8);
    const origLen = u32(b, h + 12);
    if (inclLen > MAX_RECORD_BYTES) {
      if (batch.count > 0) yield batch;
      summary.partial = { code: CAPTURE_CODES.badLength, offset: r.offset - recHeader,
        message: `record length ${inclLen} is beyond any snapshot length: the rest of the file was skipped` };
      return;
    }
    let at = r.tryConsume(inclLen);
    if (at < 0) {
      // The header stays consumed while the body is awaited: hand out what is parsed first (its
      // records are in the chunk the fill may replace).
      if (batch.count > 0) {
        yield batch;
        batch.count = 0;
      }
      await r.fill(inclLen);
      at = r.tryConsume(inclLen);
      if (at < 0) {
        summary.partial = { code: CAPTURE_CODES.truncated, offset: r.offset - recHeader,
          message: `capture ends inside a record (${r.buffered} of ${inclLen} bytes): the last record was skipped` };
        return;
      }
    }
    summary.packets++;
    summary.bytes += inclLen;
    if (batch.count === 0) batch.data = r.current;
    batch.add(at, inclLen, sec, frac * fracToNs, origLen, linkType, 0);
    if (batch.count >= MAX_BATCH) {
      yield batch;
      batch.count = 0;
    }
  }
}
