/**
 * A stand-in for the relay's socket addon (firmware-sim/relay/udp-native.ts, UdpBatch) with a relay
 * on its native path and no sockets, under a fake clock: the driver writes datagrams into the
 * relay's own receive buffer as recvmmsg would and calls `onRecv(n)` (the stand-in stamps the read's
 * time, as the addon does), fires the release timer with `onTimer()` when `timerAt` has come, and
 * counts what the relay sends. The addon's clock is the fake clock. Used by
 * scripts/relay-drive.ts (relay-alloc.ts, relay-call-heap.ts), the relay's stall test
 * (test/unit/relay/relay-backlog.test.ts) and its spares test (relay-spares.test.ts).
 */
import { RtpRelay, type RelayClock, type RtpRelayOptions } from '../firmware-sim/relay/rtp-relay.ts';
import { RecvBuffer, type UdpBatch } from '../firmware-sim/relay/udp-native.ts';

export interface UdpBatchStandIn {
  relay: RtpRelay;
  /** The relay's receive buffer, through its own layout. */
  recv: RecvBuffer;
  /** When the relay's release timer is armed for (Infinity: not armed). */
  timerAt: number;
  /** Datagrams the relay has sent (forward and mirror counted apart). */
  sent: number;
  /** Hands the relay a batch of `n` datagrams, written into slots 0..n-1 of `recv`. */
  onRecv(n: number): void;
  /** Fires the release timer. */
  onTimer(): void;
}

/**
 * A relay with `opts` (clock aside) on the stand-in. `now` is the fake clock; `pending` answers the
 * addon's question whether a datagram waits in the socket.
 */
export function relayOnStandIn(opts: Omit<RtpRelayOptions, 'clock'>, now: () => number, pending: () => boolean): UdpBatchStandIn {
  const clock: RelayClock = { now, setTimeout: () => 0, clearTimeout: () => {} };
  let buffer: ArrayBuffer | null = null;
  let fds = 3;
  let clockView: Float64Array | undefined;
  const s = { timerAt: Infinity, sent: 0, onRecv: (_n: number) => {}, onTimer: () => {} };
  const lib: UdpBatch = {
    open: () => [fds++, 40_000, 8 << 20],
    watch(_fd, b, _slots, _size, fn) {
      if (b) {
        buffer = b;
        const readAt = new RecvBuffer(b).readAt;
        s.onRecv = (n) => {
          readAt[0] = now();
          fn(n);
        };
      } else s.onTimer = () => fn(0);
      return {};
    },
    unwatch: () => {},
    send: (_fd, _b, _t, count) => {
      s.sent += count;
      return 0;
    },
    timer: () => fds++,
    arm: (_fd, us) => {
      s.timerAt = now() + us / 1000;
    },
    clock: (b) => {
      // The relay's one clock buffer, viewed once: the stand-in allocates nothing a call either.
      if (clockView?.buffer !== b) clockView = new Float64Array(b);
      clockView[0] = now();
    },
    close: () => {},
    pending,
  };
  const relay = new RtpRelay({ ...opts, clock });
  // The native path's start without sockets (start() takes it only on the system clock with the addon loaded).
  (relay as unknown as { startNative(l: UdpBatch, a: { host: string; port: number; family: 4 }): void }).startNative(lib, { host: '127.0.0.1', port: 0, family: 4 });
  if (!buffer) throw new Error('the relay did not hand over its receive buffer');
  return Object.assign(s, { relay, recv: new RecvBuffer(buffer) });
}
