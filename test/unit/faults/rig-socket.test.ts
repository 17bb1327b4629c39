// The rig socket (firmware-sim/rig/) on a real Unix socket in a temporary directory, with a board
// and its fault registry in this process: requests, answers, refusals, and socket-file handling.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import { FaultRegistry } from '../../../firmware-sim/faults/registry.ts';
import { FaultyLine } from '../../../firmware-sim/faults/faulty-line.ts';
import { answer, startRigServer, type RigServer } from '../../../firmware-sim/rig/rig-server.ts';
import { rigCall } from '../../../firmware-sim/rig/rig-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-rig-'));
const rigs: RigServer[] = [];
afterAll(async () => {
  for (const r of rigs) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

function registry() {
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock: new ManualBoardClock(0) });
  return { board, faults: new FaultRegistry({ board, line: new FaultyLine() }) };
}

describe('rig socket', () => {
  it('switches a fault and lists them over the socket (owner-only)', async () => {
    const { board, faults } = registry();
    const path = join(dir, 'rig1');
    const rig = await startRigServer(path, faults);
    rigs.push(rig);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await rigCall(path, { fault: 'bypass', value: 'on' })).toEqual({ ok: true, faults: [{ fault: 'bypass', area: 'board', value: 'on' }] });
    expect(board.health().bypass).toBe(true);
    expect(await rigCall(path, { fault: 'los', value: true, span: 2 })).toEqual({
      ok: true,
      faults: [{ fault: 'los', area: 'line', value: 'off', span: 1 }, { fault: 'los', area: 'line', value: 'on', span: 2 }],
    });
    const list = await rigCall(path, { list: true });
    if (!list.ok || !('faults' in list)) throw new Error(JSON.stringify(list));
    expect(list.faults.find((e) => e.fault === 'corrupt')).toEqual({ fault: 'corrupt', area: 'serial', value: 'off' });
    expect(list.faults.length).toBe(10 + 6 * 2); // 10 unscoped, 6 line faults × 2 spans
    expect(await rigCall(path, { fault: 'ber', value: 9, span: 1 })).toMatchObject({ ok: false, code: 'DG5902' });
  });

  it('spans: both ends of a span model, its faults and loopback, for what the host cannot see', async () => {
    const { board, faults } = registry();
    const path = join(dir, 'rig2');
    rigs.push(await startRigServer(path, faults));
    board.setLoopback(2, 'line');
    await rigCall(path, { fault: 'ber', value: '1e-5', span: 2 });
    (board.clock as ManualBoardClock).advance(2000);
    const r = await rigCall(path, { spans: true, span: 2 });
    if (!r.ok || !('spans' in r)) throw new Error(JSON.stringify(r));
    expect(r.spans).toHaveLength(1);
    expect(r.spans[0]).toMatchObject({ span: 2, kind: 'e1', loopback: 'line', faults: { ber: 0.00001 } });
    // Line loopback: the far end receives the line's errors back.
    expect(r.spans[0].far.current.crc).toBeGreaterThan(0);
    expect(r.spans[0].near.current.cv).toBeGreaterThan(0);
    const all = await rigCall(path, { spans: true });
    expect(all.ok && 'spans' in all && all.spans.map((s) => s.span)).toEqual([1, 2]);
    expect(await rigCall(path, { spans: true, span: 3 })).toMatchObject({ ok: false, code: 'DG5903' });
  });

  it('answers malformed requests with DG5906 and keeps serving', () => {
    const { faults } = registry();
    expect(answer(faults, '{"fault":')).toMatchObject({ ok: false, code: 'DG5906' });
    expect(answer(faults, '{"fault":"los"}')).toMatchObject({ ok: false, code: 'DG5906' });
    expect(answer(faults, '{"list":true,"x":1}')).toMatchObject({ ok: false, code: 'DG5906' });
    expect(answer(faults, '{"fault":"nope","value":"on"}')).toMatchObject({ ok: false, code: 'DG5901' });
    expect(answer(faults, '{"fault":"silence","value":"on"}')).toMatchObject({ ok: true });
  });

  it('replaces a socket left by a dead simulator, refuses a live one and a plain file', async () => {
    const stale = join(dir, 'stale');
    const old = createServer();
    await new Promise<void>((r) => old.listen(stale, () => r()));
    // A live socket is not taken over.
    await expect(startRigServer(stale, registry().faults)).rejects.toThrow(/^DG5908: .*another simulator/);
    await new Promise((r) => old.close(r));
    // A killed process leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(lstatSync(stale).isSocket()).toBe(true);
    const rig = await startRigServer(stale, registry().faults);
    rigs.push(rig);
    expect((await rigCall(stale, { list: true })).ok).toBe(true);
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'not a socket');
    await expect(startRigServer(plain, registry().faults)).rejects.toThrow(/^DG5908: .*not a socket/);
  });

  it('a client with nobody listening gets DG5909 with exit code 3', async () => {
    await expect(rigCall(join(dir, 'nobody'), { list: true })).rejects.toMatchObject({ code: 'DG5909', exitCode: 3 });
  });
});
