// The live feed on an in-process dual-E1 board with the system clock (as the simulator runs it):
// how scenario steps are held, applied or skipped, and where the call lands in the mirrored RTP
// stream (the chain maps scenario time to stream time with `offsetMs` and the holds).
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { FaultRegistry } from '../../../firmware-sim/faults/registry.ts';
import { RtpMirror } from '../../../firmware-sim/tdm/rtp-mirror.ts';
import { LiveFeed, type FeedEvent, type LiveLane } from '../../../firmware-sim/chain/live-feed.ts';
import { encodeG711 } from '../../../src/dsp/g711.ts';

const A_LAW_IDLE = 0xd5;
/** The board's masker lookahead (firmware-sim/channel/channel.ts). */
const LOOKAHEAD_MS = 40;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function board() {
  const b = createBoard(loadProfile(shippedProfilePath('dual-e1')));
  const faults = new FaultRegistry({ board: b });
  return { b, faults };
}

function idle(ms: number): Uint8Array {
  return new Uint8Array(ms * 8).fill(A_LAW_IDLE);
}

function lane(ms: number, actions: LiveLane['actions'] = []): LiveLane {
  return { span: 1, timeslot: 1, caller: idle(ms), actions };
}

describe('LiveFeed actions', () => {
  it('feeder: applies secure mode and span faults at their moments, without holding', async () => {
    const { b, faults } = board();
    const events: FeedEvent[] = [];
    const feed = new LiveFeed(b, { faults, secure: 'feeder', faultPolicy: 'feeder', onEvent: (e) => events.push(e) });
    const r = await feed.run([lane(300, [{ atMs: 50, kind: 'secure', on: true }, { atMs: 100, kind: 'fault', name: 'los', value: 'on', span: 1 }])]);
    expect(r.holds).toEqual([]);
    expect(events.filter((e) => e.feed === 'applied').map((e) => (e as { action: unknown }).action)).toEqual([
      { kind: 'secure', on: true, channel: 1 },
      { kind: 'fault', name: 'los', value: 'on', span: 1 },
    ]);
    expect(b.secureMode(1).on).toBe(true);
    expect(faults.list().find((f) => f.fault === 'los' && f.span === 1)?.value).toBe('on');
  });

  it('host: holds at a step until the board shows it done by someone else, and reports the hold', async () => {
    const { b, faults } = board();
    const events: FeedEvent[] = [];
    const feed = new LiveFeed(b, {
      faults,
      secure: 'host',
      onEvent: (e) => {
        events.push(e);
        // The "host": switches secure mode 250 ms after the feed says it waits.
        if (e.feed === 'hold') setTimeout(() => b.setSecure(1, true, 'host'), 250);
      },
    });
    const r = await feed.run([lane(200, [{ atMs: 100, kind: 'secure', on: true }])]);
    expect(events.map((e) => e.feed)).toEqual(['start', 'hold', 'resume', 'done']);
    expect(events[2]).toMatchObject({ feed: 'resume', atMs: 100, by: 'host' });
    expect(r.holds).toHaveLength(1);
    expect(r.holds[0].atScenarioMs).toBe(100);
    expect(r.holds[0].ms).toBeGreaterThanOrEqual(240);
    expect(r.holds[0].ms).toBeLessThan(1000);
    // The stream is the call, the hold, both leads and the drain, in whole 20 ms packets.
    expect(r.streamMs).toBeGreaterThanOrEqual(200 + r.holds[0].ms + r.offsetMs);
    expect(r.streamMs % 20).toBe(0);
  });

  it('host: a step nobody does ends its hold at the timeout, and the feed goes on', async () => {
    const { b, faults } = board();
    const events: FeedEvent[] = [];
    const feed = new LiveFeed(b, { faults, faultPolicy: 'host', holdTimeoutMs: 100, onEvent: (e) => events.push(e) });
    await feed.run([lane(100, [{ atMs: 0, kind: 'fault', name: 'los', value: 'on', span: 1 }])]);
    expect(events.find((e) => e.feed === 'resume')).toMatchObject({ by: 'timeout' });
    expect(faults.list().find((f) => f.fault === 'los' && f.span === 1)?.value).toBe('off');
  });

  it('skip: leaves secure mode alone (the negative control)', async () => {
    const { b, faults } = board();
    const events: FeedEvent[] = [];
    const feed = new LiveFeed(b, { faults, secure: 'skip', onEvent: (e) => events.push(e) });
    await feed.run([lane(100, [{ atMs: 10, kind: 'secure', on: true }])]);
    expect(events.map((e) => e.feed)).toEqual(['start', 'done']);
    expect(b.secureMode(1).on).toBe(false);
  });

  it('refuses a second feed while one plays (DG5852)', async () => {
    const { b, faults } = board();
    const feed = new LiveFeed(b, { faults });
    const first = feed.run([lane(100)]);
    await expect(feed.run([lane(100)])).rejects.toThrow(/DG5852/);
    await first;
  });
});

/**
 * A call of `callMs` of A-law idle with 100 ms of a 1 kHz tone (not DTMF) from `toneAtMs`, and a
 * feed mirroring timeslot 1 of span 1 as RTP to a socket of the test's, which collects the packets.
 */
async function toneCall(callMs: number, toneAtMs: number) {
  const { b, faults } = board();
  const rx: Socket = createSocket('udp4');
  const packets: Buffer[] = [];
  rx.on('message', (m) => packets.push(m));
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => rx.close(() => r())));
  const mirror = await RtpMirror.open(`127.0.0.1:${rx.address().port}`, 'alaw');
  const tone = new Int16Array(800).map((_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const toneCodes = encodeG711('alaw', tone);
  const caller = new Uint8Array(callMs * 8).fill(A_LAW_IDLE);
  caller.set(toneCodes, toneAtMs * 8);
  return { feed: new LiveFeed(b, { faults, mirror }), mirror, packets, toneCodes, caller };
}

describe('LiveFeed stream', () => {
  it('mirrors the call offsetMs plus the lookahead into the stream, codewords unchanged outside secure mode', async () => {
    // 300 ms idle, then 100 ms of a 1 kHz tone at -10 dBm0 (not DTMF: it passes as it is), then idle.
    const { feed, mirror, packets, toneCodes, caller } = await toneCall(600, 300);
    const r = await feed.run([{ span: 1, timeslot: 1, caller }]);
    await mirror.close();
    await new Promise((res) => setTimeout(res, 50));
    expect(packets.length).toBe(r.streamMs / 20);
    // RTP (RFC 3550): 12-byte header, no CSRC; in sequence order on loopback.
    const stream = Buffer.concat(packets.map((p) => p.subarray(12)));
    const at = stream.indexOf(Buffer.from(toneCodes));
    expect(at).toBeGreaterThan(0);
    // Where the chain expects it: scenario time + offsetMs, and the masker's lookahead delay.
    expect(at / 8).toBeCloseTo(300 + r.offsetMs + LOOKAHEAD_MS, 0);
  });

  it('accounts for idle the line inserts when the event loop stalls longer than the lead', async () => {
    const { feed, mirror, packets, toneCodes, caller } = await toneCall(700, 400);
    const running = feed.run([{ span: 1, timeslot: 1, caller }]);
    // A 300 ms stall (garbage collection, a busy CI machine), 100 ms into the call: longer than the lead.
    setTimeout(() => {
      const end = performance.now() + 300;
      while (performance.now() < end);
    }, 100);
    const r = await running;
    await mirror.close();
    await new Promise((res) => setTimeout(res, 50));
    const shifted = r.gaps.filter((g) => g.atScenarioMs <= 400).reduce((n, g) => n + g.ms, 0);
    expect(shifted).toBeGreaterThan(100);
    const stream = Buffer.concat(packets.map((p) => p.subarray(12)));
    const at = stream.indexOf(Buffer.from(toneCodes));
    expect(at).toBeGreaterThan(0);
    expect(at / 8).toBeCloseTo(400 + r.offsetMs + LOOKAHEAD_MS + shifted, 0);
  });
});
