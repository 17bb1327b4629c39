import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceClient } from '../../../src/appliance/client.ts';
import { killGroup, startSim, stopSim } from './wire-host.ts';

/**
 * The two halves of the protocol against each other: the host's typed client and driver
 * (src/appliance/) on a real pty made by the simulator (firmware-sim/). Catches drift between the
 * two implementations of docs/protocol.md that each side's own tests cannot see.
 */
const dir = mkdtempSync(join(tmpdir(), 'dg-sim-interop-'));
const device = join(dir, 'ttyDG1');
let sim: ChildProcess | undefined;
let client: ApplianceClient | undefined;

beforeAll(async () => {
  sim = (await startSim(['--pty', device, '--reboot-delay-ms', '300'])).child;
});

afterAll(async () => {
  await client?.close();
  if (sim) await Promise.race([stopSim(sim), new Promise((r) => setTimeout(r, 5000))]);
  killGroup(sim);
  rmSync(dir, { recursive: true, force: true });
});

describe('host client against the simulated board', () => {
  it('connects, writes and reads back typed values, gets typed refusals, and rides through a reboot', async () => {
    client = await ApplianceClient.connect(device);
    expect(await client.call('HELLO', { proto: 1 })).toMatchObject({ model: 'DG-2E1', channels: 60, spans: 2, max_frame: 1024, cfg: 'clean' });
    expect(await client.call('SET_SECURE', { ch: 5, state: true })).toEqual({ ch: 5, state: true });
    expect(await client.call('GET_SECURE_SUMMARY', {})).toEqual({ channels: 60, on: [5] });
    expect(await client.call('SET_SPAN_CONFIG', { span: 2, framing: 'no-crc4', line_code: 'ami', lbo: 0, clock: 'internal' })).toMatchObject({ view: 'staged', framing: 'no-crc4' });
    expect(await client.call('CFG_COMMIT', {})).toEqual({ version: 2, changed: ['span2'] });
    await expect(client.call('GET_SECURE', { ch: 99 })).rejects.toThrow(/no-such-channel/);
    const before = (await client.call('PING', {})).boot_id;
    await client.call('REBOOT', {});
    await new Promise((r) => setTimeout(r, 1000));
    const after = await client.call('PING', {});
    expect(after.boot_id).not.toBe(before);
    expect(await client.call('GET_SPAN_CONFIG', { span: 2 })).toMatchObject({ framing: 'no-crc4', view: 'running' });
    expect(client.driver.stats).toMatchObject({ crcErrors: 0, naksReceived: 0 });
  });
});
