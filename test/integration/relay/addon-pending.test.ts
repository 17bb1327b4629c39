/**
 * The addon's `pending(fd)` on a real UDP socket on loopback: false on an empty receive queue, true
 * while a datagram waits, and it takes nothing (the relay's release tick asks it before acting on
 * deadlines, rtp-relay.ts releaseDue; the datagram must still reach the receive batch after).
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { loadUdpBatch, RECV_SLOT_BYTES, RECV_SLOTS, RecvBuffer } from '../../../firmware-sim/relay/udp-native.ts';

const lib = loadUdpBatch();

describe.runIf(lib !== null || process.env.CI)('udp-batch pending', () => {
  it('says whether a datagram waits, without taking it', async () => {
    const [fd, port] = lib!.open(4, '127.0.0.1', 0, 0, null, 0);
    const sender = createSocket('udp4');
    const recv = new RecvBuffer();
    const got: number[] = [];
    let watcher: object | undefined;
    try {
      expect(lib!.pending(fd)).toBe(false);
      await new Promise<void>((resolve, reject) => sender.send(Uint8Array.from([1, 2, 3]), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
      // Loopback delivers within the send call; a short wait covers a busy machine.
      for (let i = 0; i < 100 && !lib!.pending(fd); i++) await new Promise((r) => setTimeout(r, 5));
      expect(lib!.pending(fd)).toBe(true);
      expect(lib!.pending(fd)).toBe(true);
      // Still there for the receive batch, whole.
      watcher = lib!.watch(fd, recv.buffer, RECV_SLOTS, RECV_SLOT_BYTES, (n) => {
        for (let k = 0; k < n; k++) got.push(recv.lengths[k]);
      });
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual([3]);
      expect(Array.from(recv.bytes.subarray(0, 3))).toEqual([1, 2, 3]);
      expect(lib!.pending(fd)).toBe(false);
    } finally {
      if (watcher) lib!.unwatch(watcher);
      lib!.close(fd);
      sender.close();
    }
  });
});
