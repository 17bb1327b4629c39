/**
 * The times a relay and its streams hand each other per packet, kept in one Float64Array the
 * relay owns and its streams share, instead of passed as arguments and return values.
 *
 * Why: relay time is a fraction of a millisecond (the kernel's arrival stamp less an age), so
 * never a small integer, and V8 boxes a double it passes to, or returns from, a function it does
 * not inline: a 16-byte heap object per call, several calls per packet. Those boxes were about a
 * third of what the relay's packet path allocated (scripts/relay-alloc.ts), and every
 * young-generation collection they bring pauses the event loop while packets are due
 * (docs/benchmarks.md, RTP relay). Elements of a typed array are read and written unboxed.
 *
 * One thread writes and reads them, so a value is good from its write to the next: the relay
 * writes NOW before each call into a stream; a stream writes SENT just before each send.
 */
export type RelayTimes = Float64Array;

/** The time (ms, the relay's clock) a stream acts at: the datagram's arrival, or the tick's time. */
export const T_NOW = 0;
/** The arrival time (ms) of the datagram a stream is sending, for the relay's latency figure. */
export const T_SENT = 1;

export function relayTimes(): RelayTimes {
  return new Float64Array(2);
}
