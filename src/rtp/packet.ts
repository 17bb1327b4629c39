/**
 * RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1).
 * Parsing is strict: a packet whose header counts do not fit its length is rejected with
 * RtpParseError, because stream discovery relies on malformed candidates being refused.
 */

export interface RtpPacket {
  version: number;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrc: number[];
  headerExtension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
}

/** A packet that is not valid RTP; `reason` names the header field that did not fit. */
export class RtpParseError extends Error {
  constructor(readonly reason: string) {
    super(`not a valid RTP packet: ${reason}`);
    this.name = 'RtpParseError';
  }
}

/** RFC 3550 §5.1: 12-byte fixed header. */
export const RTP_HEADER_LENGTH = 12;

export function parseRtp(buf: Uint8Array): RtpPacket {
  if (buf.length < RTP_HEADER_LENGTH) throw new RtpParseError(`${buf.length} bytes, shorter than the 12-byte fixed header`);
  const b0 = buf[0];
  const b1 = buf[1];
  const version = b0 >> 6;
  // RFC 3550 §5.1: "The version defined by this specification is two (2)."
  if (version !== 2) throw new RtpParseError(`version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = RTP_HEADER_LENGTH + cc * 4;
  if (offset > buf.length) throw new RtpParseError(`CSRC count ${cc} exceeds the packet length ${buf.length}`);
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(view.getUint32(RTP_HEADER_LENGTH + i * 4));
  let headerExtension: RtpPacket['headerExtension'];
  if (extension) {
    // RFC 3550 §5.3.1: 16-bit profile-defined field, then a length in 32-bit words excluding the 4-byte header.
    if (offset + 4 > buf.length) throw new RtpParseError('extension bit set but no room for the extension header');
    const profile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    const end = offset + 4 + words * 4;
    if (end > buf.length) throw new RtpParseError(`extension length ${words} words exceeds the packet length`);
    headerExtension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let payloadEnd = buf.length;
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included, so it is at least 1.
    const count = buf[buf.length - 1];
    if (count === 0) throw new RtpParseError('padding bit set but padding count is 0');
    if (offset + count > buf.length) throw new RtpParseError(`padding count ${count} exceeds the payload`);
    payloadEnd = buf.length - count;
  }
  return {
    version,
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrc,
    headerExtension,
    payload: buf.subarray(offset, payloadEnd),
  };
}

/**
 * Serialises a packet. The extension bit follows `headerExtension` being present; when `padding`
 * is set, padding to a 4-byte boundary (at least one octet, RFC 3550 §5.1) is appended.
 */
export function serializeRtp(p: RtpPacket): Buffer {
  if (p.csrc.length > 15) throw new RangeError(`at most 15 CSRCs fit the CC field, got ${p.csrc.length}`);
  const ext = p.headerExtension;
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('header extension data must be a multiple of 4 bytes');
  const headerLen = RTP_HEADER_LENGTH + p.csrc.length * 4 + (ext ? 4 + ext.data.length : 0);
  const unpadded = headerLen + p.payload.length;
  const padLen = p.padding ? 4 - (unpadded % 4) : 0; // 1..4, never 0
  const out = Buffer.alloc(unpadded + padLen);
  out[0] = ((p.version & 0x03) << 6) | (p.padding ? 0x20 : 0) | (ext ? 0x10 : 0) | p.csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequence & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  let o = RTP_HEADER_LENGTH;
  for (const c of p.csrc) {
    out.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (ext) {
    out.writeUInt16BE(ext.profile & 0xffff, o);
    out.writeUInt16BE(ext.data.length / 4, o + 2);
    out.set(ext.data, o + 4);
    o += 4 + ext.data.length;
  }
  out.set(p.payload, o);
  if (padLen > 0) out[out.length - 1] = padLen;
  return out;
}

/**
 * Cheap test for stream discovery on a UDP payload: version 2, a header that parses, and a payload
 * type outside the range RTCP uses (72–76 with the marker bit, RFC 5761 §4: 200–204 as octet 1).
 * A single packet can pass by chance; the stream tracker asks for consecutive sequence numbers too.
 */
export function looksLikeRtp(buf: Uint8Array): boolean {
  if (buf.length < RTP_HEADER_LENGTH || buf[0] >> 6 !== 2) return false;
  const pt = buf[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return false; // RTCP SR/RR/SDES/BYE/APP (RFC 5761 §4)
  try {
    parseRtp(buf);
    return true;
  } catch {
    return false;
  }
}
