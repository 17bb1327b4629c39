/** Counters of one relay, as plain numbers so the per-packet path costs one increment each. */
export interface RelayCounters {
  /** Datagrams received on the listen socket. */
  datagramsIn: number;
  /** G.711 audio packets received. */
  audioIn: number;
  /** RFC 4733 telephone-event packets received. */
  eventsIn: number;
  /** Datagrams sent toward the agent (the forward address). */
  forwarded: number;
  /** Datagrams sent to the mirror address. */
  mirrored: number;
  /** Audio packets that left with a payload different from the one that came in. */
  audioMasked: number;
  /** Event packets that left with a rewritten event code. */
  eventsRewritten: number;
  /** Mask windows reported (in-band and RFC 4733). */
  maskedWindows: number;
  /** Audio packets that came after their samples had been fed to the masker as silence. */
  late: number;
  /** Audio packets received twice. */
  duplicates: number;
  /** Sequence numbers skipped in what was fed to the masker. */
  lost: number;
  /** Holes in the audio filled with silence (loss, late packets, silence suppression). */
  gapsFilled: number;
  /** Datagrams that are not RTP, or RTP with an empty audio payload. */
  malformed: number;
  /** Datagrams the relay does not mask, forwarded unchanged: RTCP at once; comfort noise (and, outside secure mode, any other RTP) after the same delay as its stream's audio. */
  passedThrough: number;
  /** RTP in a codec the masker cannot read (not G.711), dropped in secure mode: it fails closed. */
  unmaskable: number;
  /** Audio packets dropped because their SSRC switched codec mid-stream. */
  codecChanges: number;
  /** Streams whose sender restarted its timestamps, followed by restarting the audio path. */
  resyncs: number;
  /** Socket errors: a peer refusing datagrams (ICMP port unreachable), a failed send. */
  sendErrors: number;
}

export function newRelayCounters(): RelayCounters {
  return {
    datagramsIn: 0,
    audioIn: 0,
    eventsIn: 0,
    forwarded: 0,
    mirrored: 0,
    audioMasked: 0,
    eventsRewritten: 0,
    maskedWindows: 0,
    late: 0,
    duplicates: 0,
    lost: 0,
    gapsFilled: 0,
    malformed: 0,
    passedThrough: 0,
    unmaskable: 0,
    codecChanges: 0,
    resyncs: 0,
    sendErrors: 0,
  };
}
