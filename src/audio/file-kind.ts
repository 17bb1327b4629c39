/**
 * What a file is, from its first bytes (never from its name: recordings arrive misnamed).
 * The verifier keeps a table of readers keyed by this kind; a kind without a reader is reported
 * as recognised but unsupported, so adding one (pcap, pcapng) is one table entry.
 */
export type FileKind =
  | 'wav' // RIFF....WAVE
  | 'rf64' // RF64....WAVE (EBU Tech 3306, > 4 GiB)
  | 'rifx' // big-endian RIFF
  | 'pcap' // libpcap, either byte order, µs or ns timestamps
  | 'pcapng' // Section Header Block 0x0A0D0D0A
  | 'raw'; // no recognised header: headerless audio if the user named a --format

export function sniffFileKind(head: Uint8Array): FileKind {
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  if (b.length >= 12) {
    const riff = b.toString('latin1', 0, 4);
    const wave = b.toString('latin1', 8, 12) === 'WAVE';
    if (wave && riff === 'RIFF') return 'wav';
    if (wave && riff === 'RF64') return 'rf64';
    if (wave && riff === 'RIFX') return 'rifx';
  }
  if (b.length >= 4) {
    const magic = b.readUInt32LE(0);
    // pcap: 0xA1B2C3D4 (µs) or 0xA1B23C4D (ns), written in the capturing host's byte order.
    if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) return 'pcap';
    if (magic === 0x0a0d0d0a) return 'pcapng';
  }
  return 'raw';
}

/** How many leading bytes sniffFileKind needs. */
export const SNIFF_BYTES = 12;
