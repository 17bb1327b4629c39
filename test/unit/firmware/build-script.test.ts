import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyImage, DEV_PUBLIC_KEY } from '../../../firmware-sim/firmware/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-fw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-sim-firmware.ts', ...args], { encoding: 'utf8' });

describe('scripts/build-sim-firmware.ts', () => {
  it('builds a signed simulator image that the board verifies, deterministically', () => {
    const out = join(dir, 'fw.img');
    const r = run(['--version', '1.2.3', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'DG-SIM', version: '1.2.3', devKey: true });
    const img = readFileSync(out);
    expect(verifyImage(img, DEV_PUBLIC_KEY, { model: 'DG-SIM' })).toMatchObject({ ok: true, version: '1.2.3' });
    const again = join(dir, 'fw2.img');
    expect(run(['--version', '1.2.3', '--out', again]).status).toBe(0);
    expect(readFileSync(again).equals(img)).toBe(true);
  });

  it('signs with --key, and the dev key then refuses the image', () => {
    const key = join(dir, 'other.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]);
    const out = join(dir, 'other.img');
    expect(run(['--version', '2.0.0', '--out', out, '--key', key]).status).toBe(0);
    expect(verifyImage(readFileSync(out))).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('exits 2 with a coded one-line message on bad usage', () => {
    const r = run(['--version', 'one', '--out', join(dir, 'x.img')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^DG5801: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const noKey = run(['--version', '1.0.0', '--out', join(dir, 'x.img'), '--key', join(dir, 'missing.pem')]);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/DG5802/);
  });
});
