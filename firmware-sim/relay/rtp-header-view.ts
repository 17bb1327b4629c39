/**
 * The relay's RTP header reader: the fields its packet path needs, read in place from the
 * datagram's bytes into one reused object, so a packet costs the JS heap nothing here.
 *
 * `parseRtp` (src/rtp/packet.ts) builds an object, a DataView, a CSRC array, an extension record
 * and a payload view per packet: some 330 bytes a packet, about a third of what the native path
 * allocated, and every young-generation collection that this garbage brings about pauses the
 * event loop while packets are due (docs/benchmarks.md, RTP relay). The relay reads no CSRC and no
 * extension data, so this reader only checks that they fit.
 *
 * It accepts and refuses exactly what `parseRtp` does (test/unit/relay/rtp-header-view.test.ts
 * checks the two against each other on random and mutated datagrams): RFC 3550 §5.1 (at least the
 * 12-octet fixed header, version 2, the CSRC list within the datagram, a padding count of at
 * least 1 that fits after the header) and §5.3.1 (the extension header and its length within the
 * datagram).
 */

/** Why `read` refused a datagram; '' after a datagram it accepted. Each is one rule of parseRtp's. */
export type RtpHeaderReject = '' | 'short' | 'version' | 'csrc' | 'extension-header' | 'extension-length' | 'padding-zero' | 'padding-overrun';

/** The header fields of one datagram, as the relay's stream logic takes them (rtp-stream.ts). */
export interface RtpHeaderFields {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** Octets from the datagram's first to the payload's (after the CSRC list and the extension). */
  readonly payloadOffset: number;
  /** Payload octets, the padding excluded. */
  readonly payloadLength: number;
}

/** RFC 3550 §5.1: the fixed header. */
const FIXED = 12;

export class RtpHeaderView implements RtpHeaderFields {
  version = 0;
  padding = false;
  extension = false;
  marker = false;
  payloadType = 0;
  sequence = 0;
  timestamp = 0;
  ssrc = 0;
  payloadOffset = 0;
  payloadLength = 0;
  reason: RtpHeaderReject = '';

  /**
   * Reads the header of the datagram `bytes[offset, offset + length)`; false when it is not valid
   * RTP (then `reason` says which rule, and the other fields are not to be used). The fields are
   * overwritten by the next read: a caller that keeps them copies them.
   */
  read(bytes: Uint8Array, offset: number, length: number): boolean {
    if (length < FIXED) return this.refuse('short');
    const b0 = bytes[offset];
    // RFC 3550 §5.1: "The version defined by this specification is two (2)."
    this.version = b0 >> 6;
    if (this.version !== 2) return this.refuse('version');
    this.padding = (b0 & 0x20) !== 0;
    this.extension = (b0 & 0x10) !== 0;
    let at = FIXED + (b0 & 0x0f) * 4;
    if (at > length) return this.refuse('csrc');
    if (this.extension) {
      // RFC 3550 §5.3.1: a 16-bit profile-defined field, then the length in 32-bit words, not counting this 4-octet header.
      if (at + 4 > length) return this.refuse('extension-header');
      const end = at + 4 + ((bytes[offset + at + 2] << 8) | bytes[offset + at + 3]) * 4;
      if (end > length) return this.refuse('extension-length');
      at = end;
    }
    let payloadEnd = length;
    if (this.padding) {
      // RFC 3550 §5.1: the last octet counts the padding octets, itself included, so it is at least 1.
      const count = bytes[offset + length - 1];
      if (count === 0) return this.refuse('padding-zero');
      if (at + count > length) return this.refuse('padding-overrun');
      payloadEnd = length - count;
    }
    const b1 = bytes[offset + 1];
    this.marker = (b1 & 0x80) !== 0;
    this.payloadType = b1 & 0x7f;
    this.sequence = (bytes[offset + 2] << 8) | bytes[offset + 3];
    this.timestamp = ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
    this.ssrc = ((bytes[offset + 8] << 24) | (bytes[offset + 9] << 16) | (bytes[offset + 10] << 8) | bytes[offset + 11]) >>> 0;
    this.payloadOffset = at;
    this.payloadLength = payloadEnd - at;
    this.reason = '';
    return true;
  }

  private refuse(why: RtpHeaderReject): false {
    this.reason = why;
    return false;
  }
}
