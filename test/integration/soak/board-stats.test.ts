// The board-side truth the soak judges by (DeviceServer.stats.executed / reexecuted, read through the
// rig socket's `stats` request): a repeated line answered from memory is not an execution; the same
// non-idempotent line run again after its memory was lost is counted as run twice.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import { DeviceServer } from '../../../firmware-sim/server/device-server.ts';
import { FaultRegistry } from '../../../firmware-sim/faults/registry.ts';
import { startRigServer } from '../../../firmware-sim/rig/rig-server.ts';
import { rigCall } from '../../../firmware-sim/rig/rig-client.ts';
import { TestHost } from '../../unit/sim/test-host.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function setup() {
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock: new ManualBoardClock(0), serial: 'DG2E1-000042' });
  const server = new DeviceServer(board, { rebootDelayMs: 20, countersIntervalMs: 0, healthIntervalMs: 0 });
  cleanup.push(() => server.close());
  return { board, server, host: new TestHost(server) };
}

describe('board execution counts', () => {
  it('counts executions per command, not repeats answered from memory', async () => {
    const { server, host } = setup();
    await host.request('SET_SECURE', { ch: '3', state: 'on' }, 10);
    await host.request('SET_SECURE', { ch: '3', state: 'on' }, 10); // the same line: answered from memory
    await host.request('RESET_COUNTERS', { span: '1' }, 11);
    expect(server.stats.executed).toEqual({ SET_SECURE: 1, RESET_COUNTERS: 1 });
    expect(server.stats.repeats).toBe(1);
    expect(server.stats.reexecuted).toEqual({});
  });

  it('counts a non-idempotent line run again once its memory is gone as run twice, and an idempotent one not', async () => {
    const { server, host } = setup();
    await host.request('RESET_COUNTERS', { span: '1' }, 20);
    await host.request('HELLO', { proto: '1' }, 21); // HELLO empties the repeated-line memory (§2.3)
    await host.request('RESET_COUNTERS', { span: '1' }, 20);
    await host.request('SET_SECURE', { ch: '2', state: 'on' }, 22);
    await host.request('HELLO', { proto: '1' }, 23);
    await host.request('SET_SECURE', { ch: '2', state: 'on' }, 22);
    expect(server.stats.executed.RESET_COUNTERS).toBe(2);
    expect(server.stats.reexecuted).toEqual({ RESET_COUNTERS: 1 });
  });

  it('answers a stats request on the rig socket with the same counts', async () => {
    const { board, server, host } = setup();
    const dir = mkdtempSync(join(tmpdir(), 'dg-rig-stats-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const rig = await startRigServer(join(dir, 'rig.sock'), new FaultRegistry({ board, server }));
    cleanup.push(() => rig.close());
    await host.request('RESET_COUNTERS', { span: '2' }, 5);
    const r = await rigCall(rig.path, { stats: true });
    expect(r).toMatchObject({ ok: true, stats: { executed: { RESET_COUNTERS: 1 }, reexecuted: {} } });
    const bad = await rigCall(rig.path, { stats: 1 } as never);
    expect(bad).toMatchObject({ ok: false, code: 'DG5906' });
  });
});
