/**
 * Writing pcap and pcapng, in every flavour the reader accepts: for named test fixtures, the
 * capture benchmark, and anything that records traffic. Byte-level only; no I/O.
 */
import { BLOCK_SHB } from './pcapng.ts';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from './pcap.ts';

export interface PcapFormat {
  linkType: number;
  /** Nanosecond timestamps (magic 0xA1B23C4D) instead of microseconds. */
  nano?: boolean;
  /** Byte order of the file; little-endian by default, as x86 tcpdump writes. */
  bigEndian?: boolean;
  snapLen?: number;
}

export function pcapFileHeader(f: PcapFormat): Buffer {
  const b = Buffer.alloc(24);
  const le = !f.bigEndian;
  const u32 = (v: number, o: number): number => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const u16 = (v: number, o: number): number => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  u32(f.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0);
  u16(2, 4);
  u16(4, 6);
  u32(0, 8); // thiszone
  u32(0, 12); // sigfigs
  u32(f.snapLen ?? 262144, 16);
  u32(f.linkType, 20);
  return b;
}

export function pcapRecord(f: PcapFormat, timestampNs: bigint, data: Uint8Array, originalLength = data.length): Buffer {
  const b = Buffer.alloc(16 + data.length);
  const le = !f.bigEndian;
  const u32 = (v: number, o: number): number => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const sec = timestampNs / 1_000_000_000n;
  const ns = timestampNs % 1_000_000_000n;
  u32(Number(sec), 0);
  u32(Number(f.nano ? ns : ns / 1000n), 4);
  u32(data.length, 8);
  u32(originalLength, 12);
  b.set(data, 16);
  return b;
}

export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

function block(type: number, body: Uint8Array, le: boolean): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  if (le) {
    b.writeUInt32LE(type >>> 0, 0);
    b.writeUInt32LE(total, 4);
    b.writeUInt32LE(total, total - 4);
  } else {
    b.writeUInt32BE(type >>> 0, 0);
    b.writeUInt32BE(total, 4);
    b.writeUInt32BE(total, total - 4);
  }
  b.set(body, 8);
  return b;
}

function options(opts: PcapngOption[], le: boolean): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const o of opts) {
    const h = Buffer.alloc(4 + ((o.value.length + 3) & ~3));
    if (le) {
      h.writeUInt16LE(o.code, 0);
      h.writeUInt16LE(o.value.length, 2);
    } else {
      h.writeUInt16BE(o.code, 0);
      h.writeUInt16BE(o.value.length, 2);
    }
    h.set(o.value, 4);
    parts.push(h);
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

/** Section Header Block (§4.1), version 1.0, section length unknown (−1). */
export function pcapngSectionHeader(bigEndian = false): Buffer {
  const body = Buffer.alloc(16);
  const le = !bigEndian;
  if (le) {
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
    body.writeUInt16LE(0, 6);
  } else {
    body.writeUInt32BE(0x1a2b3c4d, 0);
    body.writeUInt16BE(1, 4);
    body.writeUInt16BE(0, 6);
  }
  body.writeBigInt64LE(-1n, 8);
  return block(BLOCK_SHB, body, le);
}

/**
 * Interface Description Block (§4.2). `tsresol` is the raw if_tsresol byte (6 = µs, 9 = ns,
 * 0x80|n = 2^-n s); omitted means the default, microseconds.
 */
export function pcapngInterface(linkType: number, opts: { tsresol?: number; tsoffsetSec?: bigint; snapLen?: number; bigEndian?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const head = Buffer.alloc(8);
  if (le) {
    head.writeUInt16LE(linkType, 0);
    head.writeUInt32LE(opts.snapLen ?? 0, 4);
  } else {
    head.writeUInt16BE(linkType, 0);
    head.writeUInt32BE(opts.snapLen ?? 0, 4);
  }
  const o: PcapngOption[] = [];
  if (opts.tsresol !== undefined) o.push({ code: 9, value: Uint8Array.of(opts.tsresol) });
  if (opts.tsoffsetSec !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(opts.tsoffsetSec);
    else v.writeBigInt64BE(opts.tsoffsetSec);
    o.push({ code: 14, value: v });
  }
  return block(1, Buffer.concat([head, options(o, le)]), le);
}

/** Timestamp in the units of an interface's if_tsresol byte. */
export function toTsUnits(timestampNs: bigint, tsresol = 6): bigint {
  const v = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) return (timestampNs << v) / 1_000_000_000n;
  return v <= 9n ? timestampNs / 10n ** (9n - v) : timestampNs * 10n ** (v - 9n);
}

/** Enhanced Packet Block (§4.3); `units` is the timestamp already in the interface's resolution. */
export function pcapngEnhancedPacket(interfaceId: number, units: bigint, data: Uint8Array, opts: { originalLength?: number; bigEndian?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const padded = (data.length + 3) & ~3;
  const body = Buffer.alloc(20 + padded);
  const u32 = (v: number, o: number): number => (le ? body.writeUInt32LE(v >>> 0, o) : body.writeUInt32BE(v >>> 0, o));
  u32(interfaceId, 0);
  u32(Number(units >> 32n), 4);
  u32(Number(units & 0xffffffffn), 8);
  u32(data.length, 12);
  u32(opts.originalLength ?? data.length, 16);
  body.set(data, 20);
  return block(6, body, le);
}

/** Simple Packet Block (§4.4): interface 0, no timestamp. */
export function pcapngSimplePacket(data: Uint8Array, bigEndian = false): Buffer {
  const padded = (data.length + 3) & ~3;
  const body = Buffer.alloc(4 + padded);
  if (bigEndian) body.writeUInt32BE(data.length, 0);
  else body.writeUInt32LE(data.length, 0);
  body.set(data, 4);
  return block(3, body, !bigEndian);
}

/** Any other block (name resolution, statistics, custom), for testing that readers skip it. */
export function pcapngBlock(type: number, body: Uint8Array, bigEndian = false): Buffer {
  const padded = Buffer.alloc((body.length + 3) & ~3);
  padded.set(body);
  return block(type, padded, !bigEndian);
}
