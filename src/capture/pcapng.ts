/**
 * pcapng (draft-ietf-opsawg-pcapng): Section Header, Interface Description, Enhanced Packet,
 * Simple Packet and the obsolete Packet block; every other block type is skipped by its length.
 * Timestamps follow each interface's if_tsresol (§4.2, default 10^-6 s) and if_tsoffset.
 * Blocks are read one at a time; non-packet blocks larger than a bound are skipped unread, so
 * memory stays constant whatever the file holds.
 */
import type { ByteReader } from './byte-reader.ts';
import { CAPTURE_CODES, captureError, countSkip, type CaptureSummary } from './capture-errors.ts';
import { MAX_RECORD_BYTES, type CapturedPacket } from './captured-packet.ts';

export const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_PB_OBSOLETE = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Interfaces per section we keep; more is a damaged or hostile file, and would grow memory without bound. */
const MAX_INTERFACES = 65536;
/** Bound for blocks we parse; larger non-packet blocks (name tables, journals) are skipped unread. */
const MAX_PARSED_BLOCK = MAX_RECORD_BYTES + 64;

interface Iface {
  linkType: number;
  snapLen: number;
  /** ns = ts * mul / div + offsetNs */
  mul: bigint;
  div: bigint;
  shift: bigint;
  offsetNs: bigint;
}

export function isPcapngMagic(m: Uint8Array): boolean {
  return m[0] === 0x0a && m[1] === 0x0d && m[2] === 0x0d && m[3] === 0x0a;
}

/** §4.2 if_tsresol: MSB clear = 10^-v seconds, MSB set = 2^-v seconds. */
function makeIface(linkType: number, snapLen: number, tsresol: number, tsoffset: bigint): Iface {
  const v = tsresol & 0x7f;
  const base = { linkType, snapLen, offsetNs: tsoffset * 1_000_000_000n };
  if (tsresol & 0x80) return { ...base, mul: 1_000_000_000n, div: 1n, shift: BigInt(v) };
  if (v <= 9) return { ...base, mul: 10n ** BigInt(9 - v), div: 1n, shift: 0n };
  return { ...base, mul: 1n, div: 10n ** BigInt(v - 9), shift: 0n };
}

function toNs(i: Iface, ts: bigint): bigint {
  let t = ts * i.mul;
  if (i.shift) t >>= i.shift;
  if (i.div !== 1n) t /= i.div;
  return t + i.offsetNs;
}

export async function* readPcapng(r: ByteReader, summary: CaptureSummary): AsyncGenerator<CapturedPacket> {
  summary.format = 'pcapng';
  let little = true;
  let ifaces: Iface[] = [];
  let first = true;

  const stop = (code: string, offset: number, message: string): void => {
    summary.partial = { code, offset, message };
  };

  for (;;) {
    const blockStart = r.offset;
    if (!(await r.fill(8))) {
      if (first) throw captureError(CAPTURE_CODES.tooShort, 'pcapng file is shorter than a section header: the file is truncated');
      if (r.buffered > 0) stop(CAPTURE_CODES.truncated, blockStart, `capture ends inside a block header (${r.buffered} bytes): the last block was skipped`);
      return;
    }
    const peek = r.tryRead(8)!;
    const type0 = new DataView(peek.buffer, peek.byteOffset, 8);
    let type = type0.getUint32(0, little);
    let totalLen: number;
    let body: Uint8Array | undefined;

    if (type0.getUint32(0, false) === BLOCK_SHB) {
      // A new section: its byte-order magic decides how every following block is read (§4.1).
      const bomBytes = await r.read(4);
      if (bomBytes.length < 4) {
        if (first) throw captureError(CAPTURE_CODES.tooShort, 'pcapng section header is truncated');
        stop(CAPTURE_CODES.truncated, blockStart, 'capture ends inside a section header');
        return;
      }
      const bom = new DataView(bomBytes.buffer, bomBytes.byteOffset, 4);
      if (bom.getUint32(0, false) === BYTE_ORDER_MAGIC) little = false;
      else if (bom.getUint32(0, true) === BYTE_ORDER_MAGIC) little = true;
      else {
        if (first) throw captureError(CAPTURE_CODES.badByteOrder, 'pcapng section header has no valid byte-order magic: the file is damaged');
        stop(CAPTURE_CODES.badByteOrder, blockStart, 'a later section header has no valid byte-order magic: the rest of the file was skipped');
        return;
      }
      type = BLOCK_SHB;
      totalLen = type0.getUint32(4, little);
      ifaces = [];
      if (totalLen < 28 || totalLen % 4 !== 0 || totalLen > MAX_PARSED_BLOCK) {
        if (first) throw captureError(CAPTURE_CODES.badLength, `pcapng section header length ${totalLen} is invalid: the file is damaged`);
        stop(CAPTURE_CODES.badLength, blockStart, `section header length ${totalLen} is invalid: the rest of the file was skipped`);
        return;
      }
      const rest = await r.read(totalLen - 12);
      if (rest.length < totalLen - 12) {
        if (first) throw captureError(CAPTURE_CODES.tooShort, 'pcapng section header is truncated');
        stop(CAPTURE_CODES.truncated, blockStart, 'capture ends inside a section header');
        return;
      }
      body = rest;
      // The major version must be 1 (§4.1); other majors are a different format.
      const major = new DataView(rest.buffer, rest.byteOffset, rest.length).getUint16(0, little);
      if (major !== 1) {
        if (first) throw captureError(CAPTURE_CODES.badVersion, `pcapng major version ${major} is not supported (expected 1)`);
        stop(CAPTURE_CODES.badVersion, blockStart, `a section with pcapng major version ${major}: the rest of the file was skipped`);
        return;
      }
      const trailer = new DataView(rest.buffer, rest.byteOffset + rest.length - 4, 4).getUint32(0, little);
      if (trailer !== totalLen) {
        if (first) throw captureError(CAPTURE_CODES.badLength, 'pcapng section header lengths disagree: the file is damaged');
        stop(CAPTURE_CODES.badLength, blockStart, 'section header lengths disagree: the rest of the file was skipped');
        return;
      }
      first = false;
      continue;
    }
    if (first) throw captureError(CAPTURE_CODES.badMagic, 'pcapng file does not start with a section header');

    totalLen = type0.getUint32(4, little);
    if (totalLen < 12 || totalLen % 4 !== 0) {
      stop(CAPTURE_CODES.badLength, blockStart, `block length ${totalLen} is invalid: the rest of the file was skipped`);
      return;
    }
    const isPacket = type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB_OBSOLETE;
    if (totalLen > MAX_PARSED_BLOCK) {
      if (isPacket || type === BLOCK_IDB) {
        stop(CAPTURE_CODES.badLength, blockStart, `block length ${totalLen} is beyond any snapshot length: the rest of the file was skipped`);
        return;
      }
      const skipped = await r.skip(totalLen - 8);
      countSkip(summary.skipped, `pcapng block type 0x${type.toString(16)}`);
      if (skipped < totalLen - 8) {
        stop(CAPTURE_CODES.truncated, blockStart, 'capture ends inside a block: the last block was skipped');
        return;
      }
      continue;
    }
    const bodyLen = totalLen - 12;
    body = r.tryRead(totalLen - 8);
    if (!body) {
      await r.fill(totalLen - 8);
      body = r.tryRead(totalLen - 8);
      if (!body) {
        stop(CAPTURE_CODES.truncated, blockStart, `capture ends inside a block (${r.buffered + 8} of ${totalLen} bytes): the last block was skipped`);
        return;
      }
    }
    const v = new DataView(body.buffer, body.byteOffset, body.length);
    if (v.getUint32(bodyLen, little) !== totalLen) {
      stop(CAPTURE_CODES.badLength, blockStart, 'a block\'s leading and trailing lengths disagree: the rest of the file was skipped');
      return;
    }

    if (type === BLOCK_IDB) {
      if (bodyLen < 8) {
        stop(CAPTURE_CODES.badLength, blockStart, 'interface description block too short: the rest of the file was skipped');
        return;
      }
      let tsresol = 6;
      let tsoffset = 0n;
      forEachOption(v, 8, bodyLen, little, (code, off, len) => {
        if (code === OPT_IF_TSRESOL && len >= 1) tsresol = v.getUint8(off);
        if (code === OPT_IF_TSOFFSET && len >= 8) tsoffset = v.getBigInt64(off, little);
      });
      if (ifaces.length >= MAX_INTERFACES) countSkip(summary.skipped, 'interface description beyond 65536 per section');
      else ifaces.push(makeIface(v.getUint16(0, little), v.getUint32(4, little), tsresol, tsoffset));
      continue;
    }

    if (type === BLOCK_EPB || type === BLOCK_PB_OBSOLETE) {
      if (bodyLen < 20) {
        countSkip(summary.skipped, 'packet block too short');
        continue;
      }
      const ifId = type === BLOCK_EPB ? v.getUint32(0, little) : v.getUint16(0, little);
      const hi = v.getUint32(4, little);
      const lo = v.getUint32(8, little);
      const capLen = v.getUint32(12, little);
      const origLen = v.getUint32(16, little);
      if (20 + capLen > bodyLen) {
        countSkip(summary.skipped, 'packet block captured length exceeds block');
        continue;
      }
      const iface = ifaces[ifId];
      if (!iface) {
        countSkip(summary.skipped, `packet on undeclared interface`);
        continue;
      }
      summary.packets++;
      summary.bytes += capLen;
      yield {
        timestampNs: toNs(iface, (BigInt(hi) << 32n) | BigInt(lo)),
        linkType: iface.linkType,
        data: body.subarray(20, 20 + capLen),
        originalLength: origLen,
        interfaceId: ifId,
      };
      continue;
    }

    if (type === BLOCK_SPB) {
      // §4.4: a Simple Packet Block belongs to interface 0 and has no timestamp.
      const iface = ifaces[0];
      if (!iface || bodyLen < 4) {
        countSkip(summary.skipped, iface ? 'packet block too short' : 'packet on undeclared interface');
        continue;
      }
      const origLen = v.getUint32(0, little);
      let capLen = Math.min(origLen, bodyLen - 4);
      if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
      summary.packets++;
      summary.bytes += capLen;
      yield { timestampNs: 0n, linkType: iface.linkType, data: body.subarray(4, 4 + capLen), originalLength: origLen, interfaceId: 0 };
      continue;
    }
    // Name resolution, interface statistics, decryption secrets, custom blocks: not needed here.
  }
}

function forEachOption(v: DataView, start: number, end: number, little: boolean, fn: (code: number, off: number, len: number) => void): void {
  let o = start;
  while (o + 4 <= end) {
    const code = v.getUint16(o, little);
    const len = v.getUint16(o + 2, little);
    if (code === OPT_ENDOFOPT) return;
    if (o + 4 + len > end) return; // a damaged option list: keep the defaults for what follows
    fn(code, o + 4, len);
    o += 4 + ((len + 3) & ~3);
  }
}
