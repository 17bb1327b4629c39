/** One link-layer frame as a capture file recorded it. */
export interface CapturedPacket {
  /** Capture time in nanoseconds since the Unix epoch (pcap and pcapng resolutions converted). */
  timestampNs: bigint;
  /** LINKTYPE_* value (tcpdump.org link-layer header types) of the interface the frame came from. */
  linkType: number;
  /** The captured bytes (at most the snapshot length; may be shorter than `originalLength`). */
  data: Uint8Array;
  /** Length of the frame on the wire. */
  originalLength: number;
  /** pcapng interface index; 0 for classic pcap. */
  interfaceId: number;
}

/**
 * Largest record we hold in memory. tcpdump's and Wireshark's default maximum snapshot length is
 * 262144 bytes; anything far above that is a damaged length field, not a packet.
 */
export const MAX_RECORD_BYTES = 1 << 20;
