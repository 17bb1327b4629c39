import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ApplianceClient } from '../../../src/appliance/client.ts';
import { ManualClock } from '../../../src/appliance/clock.ts';
import { CommandError } from '../../../src/appliance/driver-errors.ts';
import { createMemoryPair, type MemoryTransport } from '../../../src/link/memory-transport.ts';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { DeviceServer } from '../../../firmware-sim/server/device-server.ts';

/**
 * The driver against the simulated board's real device server (firmware-sim/server), over an
 * in-memory link whose board-to-host direction loses or damages chosen frames: the resend rule
 * of docs/protocol.md §6 and the board's repeated-line memory (§2.3) together.
 */

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** What the wire does to a frame the board sends: deliver it, lose it, or damage its CRC. */
type Fate = 'deliver' | 'lose' | 'damage';

async function rig(fate: (line: string) => Fate, options: { rebootDelayMs?: number; hostFate?: (line: string) => Fate } = {}) {
  const clock = new ManualClock();
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { serial: 'DG2E1-000042' });
  const server = new DeviceServer(board, { rebootDelayMs: options.rebootDelayMs ?? 1500, countersIntervalMs: 0, healthIntervalMs: 0, timers: clock });
  const { host, device } = createMemoryPair('repeat-memory');
  await device.open();
  // Every line the host writes, as text (to check sequence numbers of resends).
  const hostLines: string[] = [];
  const apply = (f: Fate, bytes: Buffer): Buffer => {
    if (f === 'lose') return Buffer.alloc(0);
    if (f === 'damage') {
      const out = Buffer.from(bytes);
      const i = out.indexOf(' *') + 2;
      out[i] = out[i] === 0x30 ? 0x31 : 0x30; // a CRC digit changed: kind, seq and name stay readable
      return out;
    }
    return bytes;
  };
  host.tap = (bytes) => {
    hostLines.push(...bytes.toString('latin1').split('\r\n').filter(Boolean));
    return apply(options.hostFate?.(bytes.toString('latin1')) ?? 'deliver', bytes);
  };
  device.tap = (bytes) => apply(fate(bytes.toString('latin1')), bytes);
  server.attach(bridge(device));
  const client = new ApplianceClient(host, { clock, driver: { failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
  const started = client.start();
  await clock.advance(0);
  await started;
  cleanup.push(() => server.close(), () => client.close());
  return { clock, board, server, client, hostLines };
}

/** The device end of the memory pair as the Duplex the device server serves. */
function bridge(end: MemoryTransport): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      end.write(chunk).then(() => cb(), cb);
    },
  });
  end.on('data', (b: Buffer) => d.push(b));
  return d;
}

/** Captures a rejection without leaving it unhandled while time is advanced. */
function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: CommandError }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: CommandError) => ({ ok: false as const, error }),
  );
}

const linesOf = (lines: string[], name: string) => lines.filter((l) => l.startsWith('REQ ') && l.split(' ')[2] === name);

describe('non-idempotent commands against the simulated board, answers lost or damaged', () => {
  it('RESET_COUNTERS whose answer is lost: resent with the same seq, answered from memory, executed once', async () => {
    let lost = 0;
    const { clock, board, server, client, hostLines } = await rig((line) => (line.startsWith('OK ') && line.includes(' RESET_COUNTERS ') && lost++ === 0 ? 'lose' : 'deliver'));
    const reset = vi.spyOn(board, 'resetCounters');
    const r = settled(client.resetCounters(1));
    await clock.advance(1000);
    expect((await r).ok).toBe(true);
    const sent = linesOf(hostLines, 'RESET_COUNTERS');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]); // the identical line: same seq, name and fields
    expect(reset).toHaveBeenCalledTimes(1);
    expect(server.stats.repeats).toBe(1);
  });

  it('a damaged answer, a NAKed line and an event in between do not clear the memory', async () => {
    let answers = 0;
    let requests = 0;
    const { clock, board, server, client, hostLines } = await rig((line) => (line.startsWith('OK ') && line.includes(' RESET_COUNTERS ') && answers++ === 0 ? 'damage' : 'deliver'), {
      // The host's first resend is damaged on the way in: the board NAKs it and never acts on it.
      hostFate: (line) => (line.startsWith('REQ ') && line.includes(' RESET_COUNTERS ') && requests++ === 1 ? 'damage' : 'deliver'),
    });
    const reset = vi.spyOn(board, 'resetCounters');
    // Between the first copy and the copy answered from memory: the host's NAK of the damaged
    // answer, the board's NAK of the damaged resend, and an event.
    const r = settled(client.resetCounters(2));
    board.setSecure(5, true, 'host');
    await clock.advance(0);
    expect((await r).ok).toBe(true);
    expect(server.stats.naksReceived).toBe(1); // the host NAKed the damaged answer (§5)
    expect(server.stats.naksSent).toBe(1); // the board NAKed the damaged resend
    expect(server.stats.eventsSent).toBe(1);
    expect(linesOf(hostLines, 'RESET_COUNTERS')).toHaveLength(3);
    expect(new Set(linesOf(hostLines, 'RESET_COUNTERS')).size).toBe(1);
    expect(reset).toHaveBeenCalledTimes(1);
    expect(server.stats.repeats).toBe(1);
    expect(clock.now()).toBe(0); // resent at once, no timeout
  });

  it('REBOOT whose answer and BOOT event are both lost: the resend after the boot is answered from memory, one boot', async () => {
    let lost = 0;
    const { clock, board, server, client, hostLines } = await rig((line) => ((line.startsWith('OK ') && line.includes(' REBOOT ') && lost++ === 0) || line.startsWith('EVT 0 BOOT ') ? 'lose' : 'deliver'));
    const boots = vi.spyOn(board, 'boot');
    const r = settled(client.reboot());
    await clock.advance(1000); // first timeout: the resend reaches a board still rebooting (deaf)
    await clock.advance(1000); // second timeout: the board booted at 1500 ms; this resend is answered from memory
    expect((await r).ok).toBe(true);
    expect(boots).toHaveBeenCalledTimes(1);
    expect(server.stats.repeats).toBe(1);
    expect(new Set(linesOf(hostLines, 'REBOOT')).size).toBe(1);
    expect(linesOf(hostLines, 'REBOOT')).toHaveLength(3);
  });

  it('REBOOT whose answer is lost but whose BOOT event arrives: never resent, DG1203 outcome unknown, one boot', async () => {
    const { clock, board, client, hostLines } = await rig((line) => (line.startsWith('OK ') && line.includes(' REBOOT ') ? 'lose' : 'deliver'), { rebootDelayMs: 500 });
    const boots = vi.spyOn(board, 'boot');
    const r = settled(client.reboot());
    await clock.advance(1000);
    const res = await r;
    expect(!res.ok && res.error.message).toMatch(/^DG1203: response timeout after 1000 ms: REBOOT \d+ got no readable answer \(1 attempt\) and the board rebooted \(event BOOT 0\), so it was not resent; outcome unknown/);
    await clock.advance(5000);
    expect(linesOf(hostLines, 'REBOOT')).toHaveLength(1);
    expect(boots).toHaveBeenCalledTimes(1);
  });
});

describe('property: whatever the line loses or damages, a non-idempotent command runs at most once, and exactly once when reported done', () => {
  const fate = fc.constantFrom<Fate>('deliver', 'deliver', 'lose', 'damage');
  it('RESET_COUNTERS and REBOOT under random loss and damage in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('RESET_COUNTERS', 'REBOOT'), fc.array(fate, { maxLength: 12 }), fc.array(fate, { maxLength: 12 }), async (name, toHost, toBoard) => {
        let armed = false;
        let i = 0;
        let j = 0;
        const r = await rig((line) => (armed ? (toHost[i++] ?? 'deliver') : 'deliver'), {
          rebootDelayMs: 700,
          hostFate: () => (armed ? (toBoard[j++] ?? 'deliver') : 'deliver'),
        });
        const runs = name === 'REBOOT' ? vi.spyOn(r.board, 'boot') : vi.spyOn(r.board, 'resetCounters');
        armed = true;
        let done: Awaited<ReturnType<typeof settled<unknown>>> | undefined;
        void settled<unknown>(name === 'REBOOT' ? r.client.reboot() : r.client.resetCounters(1)).then((x) => (done = x));
        for (let t = 0; t < 40 && !done; t++) await r.clock.advance(250);
        await r.clock.advance(1000); // a REBOOT answered just now boots after the reboot delay
        await r.client.close();
        r.server.close();
        expect(done, 'the command settles').toBeDefined();
        expect(runs.mock.calls.length, `${name} ran ${runs.mock.calls.length} times`).toBeLessThanOrEqual(1);
        if (done!.ok) expect(runs).toHaveBeenCalledTimes(1);
        else expect(['timeout', 'nak', 'link-lost']).toContain(done!.error.reason);
      }),
      { numRuns: 60, seed: 4733 },
    );
  });
});
