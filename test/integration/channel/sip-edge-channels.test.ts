// SipEdge as a library on real UDP sockets on loopback: which stream gets which channel, when a
// channel is given back, what happens when none is free, and the relay following the board's
// configuration commits. Secure mode comes from the board's channels (real system clock).
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import type { Board, BoardEvent } from '../../../firmware-sim/board/board.ts';
import { SipEdge } from '../../../firmware-sim/channel/sip-edge.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { waitFor } from '../../helpers/sim-process.ts';

const open: Array<{ close(): unknown }> = [];
const edges: SipEdge[] = [];
afterEach(async () => {
  for (const e of edges.splice(0)) await e.stop();
  for (const s of open.splice(0)) s.close();
});

function udp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
    open.push(s);
  });
}

/** A SIP edge board with `channels` channels, its relay listening on a free loopback port. */
async function setup(channels = 120, streamIdleMs = 60_000): Promise<{ board: Board; edge: SipEdge; send: (ssrc: number) => void; agent: Socket }> {
  const profile = parseProfile({ ...JSON.parse(readFileSync(shippedProfilePath('sip-edge'), 'utf8')), channels });
  const board = createBoard(profile);
  const agent = await udp();
  board.setSip({ listen: '127.0.0.1:0', forward: `127.0.0.1:${agent.address().port}`, ptPcmu: 0, ptPcma: 8, ptEvent: 101 });
  board.commit();
  const edge = new SipEdge(board, { streamIdleMs });
  edges.push(edge);
  const bound = await edge.start();
  expect(bound?.host).toBe('127.0.0.1');
  const caller = await udp();
  const seqs = new Map<number, number>();
  const send = (ssrc: number) => {
    const seq = seqs.get(ssrc) ?? 0;
    seqs.set(ssrc, seq + 1);
    const p = serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc, csrc: [], payload: new Uint8Array(160).fill(0xff) });
    caller.send(p, edge.address()!.port, '127.0.0.1');
  };
  return { board, edge, send, agent };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIP edge streams and channels', () => {
  it('gives channels in the order of first packets, frees them after the stream idle time, masks extra streams', async () => {
    const { edge, send } = await setup(2, 300);
    for (const ssrc of [0xa, 0xb, 0xc]) {
      send(ssrc);
      await waitFor(`stream ${ssrc} seen`, () => edge.channelOf(ssrc) !== undefined || edge.overflow > 0, 2000);
      await pause(30);
    }
    expect([edge.channelOf(0xa), edge.channelOf(0xb), edge.channelOf(0xc)]).toEqual([1, 2, undefined]);
    expect(edge.overflow).toBeGreaterThan(0); // the third found no channel: masked (fail closed)
    await pause(400);
    send(0xd);
    await waitFor('stream 0xd seen', () => edge.channelOf(0xd), 2000);
    expect(edge.channelOf(0xd)).toBe(1); // 0xa and 0xb were idle past 300 ms: their channels came back
    expect(edge.channelOf(0xa)).toBeUndefined();
  });

  it('restarts the relay where a commit moves it, and after a mask tone change', async () => {
    const { board, edge } = await setup();
    const before = edge.address()!.port;
    const other = await udp();
    const port = other.address().port;
    other.close();
    open.pop();
    board.setSip({ ...board.sip(), listen: `127.0.0.1:${port}` });
    board.commit();
    await edge.settled();
    expect(edge.address()?.port).toBe(port);
    expect(port).not.toBe(before);
    board.setMaskTone('0');
    board.commit();
    await edge.settled();
    expect(edge.address()?.port).toBe(port);
  });

  it('a port already taken leaves the board running, the relay off until the next commit', async () => {
    const { board, edge } = await setup();
    const taken = await udp();
    board.setSip({ ...board.sip(), listen: `127.0.0.1:${taken.address().port}` });
    board.commit();
    await edge.settled();
    expect(edge.address()).toBeUndefined();
    board.setSip({ ...board.sip(), listen: '127.0.0.1:0' });
    board.commit();
    await edge.settled();
    expect(edge.address()?.port).toBeGreaterThan(0);
  });
});

describe('idle timeout under the system clock', () => {
  it('a session with no audio at all still ends (source=timeout) after secure_idle_s', async () => {
    const profile = parseProfile(JSON.parse(readFileSync(shippedProfilePath('dual-e1'), 'utf8')));
    const board = createBoard(profile);
    const events: BoardEvent[] = [];
    board.on('event', (e) => events.push(e));
    board.setSecureIdle(1);
    board.commit();
    board.setSecure(9, true);
    await waitFor('secure mode timed out', () => !board.secureMode(9).on, 4000);
    expect(events.filter((e) => e.name === 'SECURE').map((e) => e.fields)).toEqual([
      { ch: 9, state: true, source: 'host' },
      { ch: 9, state: false, source: 'timeout' },
    ]);
    board.channels.stop();
  });
});
