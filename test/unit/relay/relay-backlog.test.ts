/**
 * The native path after a stall of its event loop (a collection, a busy machine, a thousand streams
 * starting at once): the datagrams that arrived meanwhile wait in the socket, and the addon hands
 * them over 32 at a time, with the release timer's ticks in between. None of them may be dropped as
 * late: a stream's deadline has only passed once every datagram that arrived before it has been read.
 * The release tick may come first (both fds are ready at once after a stall); it asks the socket
 * whether anything waits (the addon's `pending`).
 *
 * Driven through the native path's own entry points (the receive batch and the release tick) by a
 * stand-in for the addon, under a fake clock, as scripts/relay-alloc.ts drives it.
 */
import { describe, expect, it } from 'vitest';
import { RECV_SLOT_BYTES, RECV_SLOTS } from '../../../firmware-sim/relay/udp-native.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { relayOnStandIn } from '../../../scripts/udp-batch-stand-in.ts';

const STREAMS = 4;
const PTIME = 160;

function rig() {
  let now = 0;
  /** Datagrams in the stand-in's socket, not yet handed over. */
  let waiting = 0;
  const io = relayOnStandIn({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true, lookaheadMs: 40 }, () => now, () => waiting > 0);
  const tick = () => {
    if (io.timerAt <= now) {
      io.timerAt = Infinity;
      io.onTimer();
    }
  };
  /** Hands over datagrams (each with its arrival time) as the addon would, at most RECV_SLOTS a batch, ticks in between. */
  const read = (queued: { datagram: Uint8Array; at: number }[]) => {
    waiting = queued.length;
    for (let first = 0; first < queued.length; first += RECV_SLOTS) {
      tick();
      const batch = queued.slice(first, first + RECV_SLOTS);
      waiting -= batch.length;
      batch.forEach((q, k) => {
        io.recv.bytes.set(q.datagram, k * RECV_SLOT_BYTES);
        io.recv.lengths[k] = q.datagram.length;
        io.recv.ages[k] = now - q.at;
      });
      io.onRecv(batch.length);
    }
  };
  return { relay: io.relay, read, tick, setNow: (t: number) => (now = t), sent: () => io.sent };
}

/** Round r of stream i: 20 ms of quiet µ-law, arriving at 20·r ms. */
function packet(i: number, r: number): { datagram: Uint8Array; at: number } {
  const datagram = serializeRtp({ version: 2, padding: false, extension: false, marker: r === 0, payloadType: 0, sequence: r, timestamp: 0x90000000 + r * PTIME, ssrc: 0xf0000000 + i, csrc: [], payload: new Uint8Array(PTIME).fill(0xff) });
  return { datagram, at: r * 20 };
}

describe('RtpRelay native path after a stall', () => {
  it('drops nothing as late when the socket held 400 ms of datagrams, read 32 at a time with ticks between', () => {
    const r = rig();
    const rounds = 60;
    // Five rounds on time, each read 1 ms after it arrived.
    for (let round = 0; round < 5; round++) {
      r.setNow(round * 20 + 1);
      r.read(Array.from({ length: STREAMS }, (_, i) => packet(i, round)));
    }
    // The loop stalls from 81 ms to 500 ms: rounds 5-24 wait in the socket, in arrival order.
    r.setNow(500);
    const queued = [];
    for (let round = 5; round < 25; round++) for (let i = 0; i < STREAMS; i++) queued.push(packet(i, round));
    r.read(queued);
    // Then on time again.
    for (let round = 25; round < rounds; round++) {
      r.setNow(round * 20 + 1);
      r.tick();
      r.read(Array.from({ length: STREAMS }, (_, i) => packet(i, round)));
    }
    const s = r.relay.stats();
    expect({ late: s.late, lost: s.lost, gapsFilled: s.gapsFilled }).toEqual({ late: 0, lost: 0, gapsFilled: 0 });
    // Everything but each stream's last two packets (they wait for a lookahead that never comes) has left.
    expect(r.sent()).toBe(STREAMS * (rounds - 2));
  });
});
