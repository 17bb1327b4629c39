import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A socket addon that does not load (a build cut short, one made for another Node) must stop
 * `dtmfguard-sim relay` with a code and what to do, not a stack trace, and not quietly fall back
 * to dgram. The addon's path comes from DTMFGUARD_RELAY_IO, as the installer's own file would.
 */
const ROOT = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dg-addon-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `dtmfguard-sim relay` with its socket addon at `addon`: its exit status and stderr lines. */
function relayWith(addon: string): { status: number | null; stderr: string; lines: string[] } {
  const r = spawnSync(process.execPath, ['firmware-sim/bin/dtmfguard-sim.mjs', 'relay', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9'], {
    cwd: ROOT,
    env: { ...process.env, DTMFGUARD_RELAY_IO: addon },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr, lines: r.stderr.trim().split('\n') };
}

describe('a damaged relay socket addon', () => {
  it('ends `dtmfguard-sim relay` with exit 2 and DG5308 naming the file and the rebuild', () => {
    const damaged = join(dir, 'udp-batch.node');
    writeFileSync(damaged, Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01])); // an ELF header cut short
    const r = relayWith(damaged);
    expect(r.status, r.stderr).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^DG5308: /);
    expect(r.lines[0]).toContain(damaged);
    expect(r.lines[0]).toMatch(/scripts\/build-native\.sh/);
  });

  it('ends it the same way when the addon is older than the relay (a function it now calls is missing)', () => {
    // Stands in for a build made before udp-batch.c gained clock() (and arm() took microseconds, and
    // the receive buffer the read's time): it loads, but lacks it.
    const stale = join(dir, 'udp-batch-stale.cjs');
    writeFileSync(stale, 'for (const f of ["open", "watch", "unwatch", "send", "timer", "arm", "pending", "close"]) exports[f] = () => { throw new Error("not called"); };\n');
    const r = relayWith(stale);
    expect(r.status, r.stderr).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^DG5308: .* is older than the relay \(it has no clock\(\)\): rebuild it with scripts\/build-native\.sh/);
    expect(r.lines[0]).toContain(stale);
  });
});
