import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import { DeviceServer } from '../../../firmware-sim/server/device-server.ts';
import { encodeFrame } from '../../../src/protocol/frame.ts';
import { TestHost } from './test-host.ts';

const profile = loadProfile(shippedProfilePath('dual-e1'));
const servers: DeviceServer[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

function setup() {
  const board = createBoard(profile, { clock: new ManualBoardClock() });
  const server = new DeviceServer(board, { countersIntervalMs: 0, healthIntervalMs: 0 });
  servers.push(server);
  return { board, server, host: new TestHost(server) };
}

/** State-changing requests whose effect is easy to observe on the board. */
type Board = ReturnType<typeof setup>['board'];
const WRITES: Array<{ name: string; fields: Record<string, string>; changed: (b: Board) => boolean }> = [
  { name: 'SET_SECURE', fields: { ch: '3', state: 'on' }, changed: (b) => b.secureMode(3).on },
  { name: 'SET_MASK_TONE', fields: { tone: '0' }, changed: (b) => b.config('staged').maskTone !== '#' },
  { name: 'SET_LOOPBACK', fields: { span: '1', mode: 'line' }, changed: (b) => b.spanStatus(1).loopback !== 'off' },
  { name: 'RESET_COUNTERS', fields: { span: '1' }, changed: (b) => b.spanStatus(1).counters.cv === 0 },
];

describe('device server properties', () => {
  it('a request with 1 to 3 flipped bits is never acted on, and the board still answers the next good request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITES), fc.integer({ min: 0, max: 65535 }), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), async (w, seq, flips) => {
        const { board, host } = setup();
        board.addCounters(1, { cv: 1 });
        const line = Buffer.from(encodeFrame({ kind: 'req', seq, name: w.name, fields: w.fields }));
        const body = line.length - 2; // flips in "\r\n" only change where the line ends
        for (const bit of new Set(flips.map((p) => p % (body * 8)))) line[bit >> 3] ^= 1 << (bit & 7);
        host.raw(line);
        host.raw('\r\n'); // in case a flip removed the delimiter: the next request starts clean
        const ping = await host.request('PING', {}, 60000);
        expect(ping.kind).toBe('ok');
        expect(w.changed(board)).toBe(false);
        expect(host.received.filter((f) => f.kind === 'ok' && f.name === w.name)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('after random garbage and a delimiter, the board answers the next request (resynchronisation)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 3000 }), async (garbage) => {
        const { host, server } = setup();
        host.raw(Buffer.from(garbage));
        host.raw('\r\n');
        const r = await host.request('GET_MASK_TONE', {}, 60001);
        expect(r).toMatchObject({ kind: 'ok', fields: { tone: '#' } });
        // Every garbage line was NAKed or dropped, never answered as a request.
        expect(host.received.filter((f) => f.kind === 'ok')).toHaveLength(1);
        expect(server.stats.bytesIn).toBe(garbage.length + 2 + encodeFrame({ kind: 'req', seq: 60001, name: 'GET_MASK_TONE', fields: {} }).length);
      }),
      { numRuns: 100 },
    );
  });
});
