import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../../src/audio/wav-writer.ts';

/**
 * A damaged kernel file (a copy cut short) must stop a command with a code and what to do, not a
 * WebAssembly stack trace, and not fall back to the JS path unnoticed. Checked the way an
 * installer meets it: `dtmfguard verify` on a recording, the kernel path given by
 * DTMFGUARD_DSP_KERNEL.
 */
const ROOT = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dg-kernel-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a damaged DSP kernel file', () => {
  it('ends `dtmfguard verify` with exit 2 and DG2607 naming the file and the rebuild', () => {
    const damaged = join(dir, 'channel-kernel.wasm');
    // The wasm magic and version, then a section cut off in the middle: what a truncated copy looks like.
    writeFileSync(damaged, Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7f, 0x60]));
    const wav = join(dir, 'quiet.wav');
    writeFileSync(wav, encodeWav({ encoding: 'alaw', sampleRate: 8000, channels: 1 }, new Uint8Array(8000).fill(0xd5)));
    const r = spawnSync(process.execPath, ['src/cli/bin/dtmfguard.mjs', 'verify', wav], {
      cwd: ROOT,
      env: { ...process.env, DTMFGUARD_DSP_KERNEL: damaged },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DG2607/);
    expect(lines[0]).toContain(damaged);
    expect(lines[0]).toMatch(/scripts\/build-wasm\.sh/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
