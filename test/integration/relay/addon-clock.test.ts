/**
 * The addon's time on real fds: what the relay reads instead of performance.now() on its socket
 * path (udp-batch.c's header: a double crossing into or out of a native call is a heap object).
 * clock() writes CLOCK_MONOTONIC, which NativeClock puts on performance.now()'s scale; a batch
 * carries its read time, from which the relay takes each datagram's arrival; arm() counts whole
 * microseconds.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { loadUdpBatch, NativeClock, RECV_SLOT_BYTES, RECV_SLOTS, RecvBuffer } from '../../../firmware-sim/relay/udp-native.ts';

const lib = loadUdpBatch();

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe.runIf(lib !== null || process.env.CI)('udp-batch time', () => {
  it('clock(): NativeClock reads performance.now() within 0.2 ms, and never goes back', () => {
    const clock = new NativeClock(lib!, performance.now());
    let last = -Infinity;
    for (let i = 0; i < 1000; i++) {
      const before = performance.now();
      clock.read();
      const t = clock.ms[0] + clock.ms[1];
      const after = performance.now();
      // The offset is taken once, from two readings a few µs apart; the clocks are one clock.
      expect(t).toBeGreaterThan(before - 0.2);
      expect(t).toBeLessThan(after + 0.2);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });

  it('a batch carries its read time, and the arrival (read time less age) lies between send and read', async () => {
    const [fd, port] = lib!.open(4, '127.0.0.1', 0, 0, null, 0);
    const sender = createSocket('udp4');
    const recv = new RecvBuffer();
    const clock = new NativeClock(lib!, performance.now());
    const seen: Array<{ readAt: number; arrival: number; handedAt: number }> = [];
    // The batch waits in the socket for 30 ms before it is watched: its age must show that.
    const sentAt = performance.now();
    await new Promise<void>((resolve, reject) => sender.send(Uint8Array.from([1, 2, 3]), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    await new Promise((r) => setTimeout(r, 30));
    const watcher = lib!.watch(fd, recv.buffer, RECV_SLOTS, RECV_SLOT_BYTES, (n) => {
      const handedAt = performance.now();
      const readAt = recv.readAt[0] + clock.ms[1];
      for (let k = 0; k < n; k++) seen.push({ readAt, arrival: readAt - recv.ages[k], handedAt });
    });
    try {
      await until('the batch', () => seen.length > 0);
      const [{ readAt, arrival, handedAt }] = seen;
      expect(readAt).toBeGreaterThan(sentAt + 29);
      expect(readAt).toBeLessThanOrEqual(handedAt + 0.2);
      expect(arrival).toBeGreaterThan(sentAt - 0.2);
      expect(arrival).toBeLessThan(sentAt + 25);
    } finally {
      lib!.unwatch(watcher);
      lib!.close(fd);
      sender.close();
    }
  });

  it('arm(fd, µs): fires once, no sooner than asked; 0 or less fires at once', async () => {
    const fd = lib!.timer();
    const fired: number[] = [];
    const watcher = lib!.watch(fd, null, 0, 0, () => fired.push(performance.now()));
    try {
      for (const us of [15_000, 2_500]) {
        fired.length = 0;
        const t0 = performance.now();
        lib!.arm(fd, us);
        await until(`a tick after ${us} µs`, () => fired.length > 0);
        expect(fired[0] - t0).toBeGreaterThanOrEqual(us / 1000 - 0.05);
        await new Promise((r) => setTimeout(r, 30));
        expect(fired).toHaveLength(1);
      }
      for (const us of [0, -5]) {
        fired.length = 0;
        lib!.arm(fd, us);
        await until(`a tick at once (${us} µs)`, () => fired.length > 0);
      }
    } finally {
      lib!.unwatch(watcher);
      lib!.close(fd);
    }
  });
});
