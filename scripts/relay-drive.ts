/**
 * A relay on its native path driven without sockets, for scripts/relay-alloc.ts and
 * scripts/relay-call-heap.ts: `streams` streams of 20 ms PCMU in secure mode with a mirror, a quiet
 * line with a digit every 2 s (the masker masks), through the native path's own entry points (the
 * receive batch and the release timer of udp-native.ts) by the addon's stand-in: datagrams are
 * written into the relay's receive buffer as recvmmsg would, 32 a batch, and the relay's sends go
 * nowhere. Time is a fake clock: round r of packets at 20·r ms, stream i 20·i/streams ms into it.
 * The driver itself allocates nothing per packet (`driverOnly` measures it alone).
 */
import { RECV_SLOT_BYTES } from '../firmware-sim/relay/udp-native.ts';
import { relayOnStandIn, type UdpBatchStandIn } from './udp-batch-stand-in.ts';
import { G711Masker } from '../src/dsp/masker.ts';
import { relayLineSignal } from './relay-line-signal.ts';

const PTIME = 160;
const BATCH = 32;

/** The masker's implementation: the JS reference allocates some 90 bytes a packet more than the kernel. */
export function maskerImplementation(): 'kernel' | 'js' {
  const m = new G711Masker('ulaw', { maskTone: '#' });
  const kind = m.implementation;
  m.dispose();
  return kind;
}

export interface RelayDrive {
  io: UdpBatchStandIn;
  /** Round r: every stream's packet, in batches as recvmmsg would hand them over; the release timer fires when due. */
  round(r: number): void;
  /** The first `n` streams' senders are replaced by new calls (new SSRCs) from the next round on. */
  renew(n: number): void;
}

export function relayDrive(o: { streams: number; spares?: number; driverOnly?: boolean }): RelayDrive {
  const { streams, driverOnly = false } = o;
  const line = relayLineSignal('ulaw');
  const linePackets = Math.floor(line.length / PTIME);
  let now = 0;
  // The driver hands over every datagram it writes at once: nothing ever waits in this socket.
  const io = relayOnStandIn({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', mirror: '127.0.0.1:9', secure: true, lookaheadMs: 40, streams: o.spares ?? 0 }, () => now, () => false);
  const { bytes, lengths, ages } = io.recv;
  if (lengths.length < BATCH) throw new Error(`receive buffer of ${lengths.length} slots`);

  const ssrcs = new Uint32Array(streams);
  for (let i = 0; i < streams; i++) ssrcs[i] = (Math.imul(0x9e3779b9, i + 1) ^ 0x5bd1e995) >>> 0;
  /** Each stream starts its line at its own point, so digits do not come all at once. */
  const lineOffset = new Int32Array(streams);
  for (let i = 0; i < streams; i++) lineOffset[i] = (i * 37) % linePackets;
  /**
   * Each stream's first timestamp, as a sender picks it: random over 32 bits (RFC 3550 §5.1), so half
   * the streams' timestamps are 2^31 or more, as their SSRCs are; the relay must not pay for that.
   */
  const tsBase = new Uint32Array(streams);
  for (let i = 0; i < streams; i++) tsBase[i] = Math.imul(0x85ebca6b, i + 7) >>> 0;

  /** Writes round r's packet of stream i into receive slot k (RFC 3550 §5.1 fixed header, PT 0), no allocation. */
  const write = (k: number, i: number, r: number): void => {
    const at = k * RECV_SLOT_BYTES;
    const seq = (r + i) & 0xffff;
    const ts = (tsBase[i] + Math.imul(r, PTIME)) >>> 0;
    const ssrc = ssrcs[i];
    bytes[at] = 0x80;
    bytes[at + 1] = r === 0 ? 0x80 : 0x00;
    bytes[at + 2] = seq >> 8;
    bytes[at + 3] = seq & 0xff;
    bytes[at + 4] = ts >>> 24;
    bytes[at + 5] = (ts >>> 16) & 0xff;
    bytes[at + 6] = (ts >>> 8) & 0xff;
    bytes[at + 7] = ts & 0xff;
    bytes[at + 8] = ssrc >>> 24;
    bytes[at + 9] = (ssrc >>> 16) & 0xff;
    bytes[at + 10] = (ssrc >>> 8) & 0xff;
    bytes[at + 11] = ssrc & 0xff;
    const from = ((lineOffset[i] + r) % linePackets) * PTIME;
    for (let j = 0; j < PTIME; j++) bytes[at + 12 + j] = line[from + j];
    lengths[k] = 12 + PTIME;
  };

  const round = (r: number): void => {
    const t0 = r * 20;
    for (let first = 0; first < streams; first += BATCH) {
      const n = Math.min(BATCH, streams - first);
      const at = t0 + ((first + n - 1) * 20) / streams;
      if (!driverOnly && io.timerAt <= at) {
        now = io.timerAt;
        io.timerAt = Infinity;
        io.onTimer();
      }
      now = at;
      for (let k = 0; k < n; k++) {
        write(k, first + k, r);
        ages[k] = at - (t0 + ((first + k) * 20) / streams);
      }
      if (!driverOnly) io.onRecv(n);
    }
  };

  const renew = (n: number): void => {
    // A different SSRC each time (a multiplicative hash step), so renewing again makes new calls again.
    for (let i = 0; i < Math.min(n, streams); i++) ssrcs[i] = (Math.imul(ssrcs[i] ^ 0x5eed, 0x9e3779b1) + 1) >>> 0;
  };
  return { io, round, renew };
}
