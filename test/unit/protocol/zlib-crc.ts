import * as zlib from 'node:zlib';

/** zlib's CRC-32 (Node >= 20.15) as an independent oracle for ours; undefined on older Node. */
export const crc: ((b: Uint8Array) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (b) => (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(b) : undefined;
