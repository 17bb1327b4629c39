import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplianceClient } from '../../../src/appliance/client.ts';
import { SimProcess } from './sim-process.ts';

/**
 * The driver over raw TCP to the simulator serving as a console server (`dtmfguard-sim --tcp`).
 * The board hangs (SIGSTOP): the TCP connection stays up and the operating system reports
 * nothing, so only the application heartbeat can find out.
 */
const sim = new SimProcess(['--tcp', '127.0.0.1:0']);
let target = '';
let client: ApplianceClient | undefined;

beforeAll(async () => {
  target = await sim.start();
});

afterAll(async () => {
  await client?.close();
  sim.signal('SIGCONT');
  await sim.stop();
  await sim.kill();
});

function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('ApplianceClient over tcp:// to the simulator', () => {
  it('answers over TCP, catches a hung board with the heartbeat, and reconnects when it comes back', async () => {
    expect(target).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    client = await ApplianceClient.connect(target, {
      driver: { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 200, failuresBeforeResync: 1, failuresBeforeReopen: 2, reopenBackoffMs: 100, reopenBackoffMaxMs: 400, maxReopenAttempts: 50 },
    });
    expect(client.hello.model).toBe('DG-2E1');
    const bootId = client.hello.boot_id;
    // Idle, the heartbeat keeps the link proven.
    await new Promise((r) => setTimeout(r, 800));
    expect(client.stats().framesOut).toBeGreaterThan(3);
    expect(client.linkState).toBe('ready');
    const stoppedAt = Date.now();
    sim.signal('SIGSTOP');
    await until(() => client!.linkState !== 'ready', 5000, 'the heartbeat to notice the hung board');
    const detectMs = Date.now() - stoppedAt;
    const s = client.stats();
    expect(s.timeouts).toBeGreaterThanOrEqual(2);
    expect(s.resyncs).toBeGreaterThanOrEqual(1);
    sim.signal('SIGCONT');
    await until(() => client!.linkState === 'ready', 15_000, 'the reconnect');
    expect(client.stats().reconnects).toBe(1);
    // Same process, same board: the boot id is unchanged, and commands work again.
    expect(client.hello.boot_id).toBe(bootId);
    expect((await client.ping()).boot_id).toBe(bootId);
    console.log(`hung board detected by the heartbeat after ${detectMs} ms (interval 300 ms, timeout 200 ms, reopen after 2 misses)`);
  });
});
