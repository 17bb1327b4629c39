/**
 * `dtmfguard verify --workers N` on capture files, through the real bin: the JSON verdict is the
 * same with workers as without, a damaged capture still gets its partial verdict and exit status,
 * a file that is not a capture ends in one DG line and exit 2, and a bad --workers value is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCapture, type StreamScript } from '../../unit/verify/capture-fixture.ts';
import { dtmfguard } from './cli.ts';

let dir: string;
let calls: string;
let truncated: string;
let garbage: string;

/** Six calls: a leaked '4' in-band and the mask tone; every other call also sends a leaked '7' event. */
const scripts: StreamScript[] = Array.from({ length: 6 }, (_, i) => ({
  audio: [{ silence: 100 + 30 * i }, { tone: '4', ms: 70 }, { silence: 200 }, { tone: '#', ms: 80 }, { silence: 600 }],
  events: i % 2 ? [{ key: '7', atMs: 800, ms: 100 }] : [],
}));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-workers-'));
  const bytes = buildCapture(scripts);
  calls = join(dir, 'six-calls.pcap');
  writeFileSync(calls, bytes);
  truncated = join(dir, 'six-calls-cut.pcap');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6) + 5));
  garbage = join(dir, 'not-a-capture.pcap');
  writeFileSync(garbage, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0x09, 0x00]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verify --workers', () => {
  it('the same JSON verdict and exit status with 2 workers as with none', async () => {
    const none = await dtmfguard(['verify', '--json', '--mask-tone', '#', '--workers', '0', calls]);
    const two = await dtmfguard(['verify', '--json', '--mask-tone', '#', '--workers', '2', calls]);
    expect(none.code).toBe(1);
    expect(two.code).toBe(1);
    const v = JSON.parse(none.stdout);
    expect(v.files[0].digits.filter((d: { leak: boolean }) => d.leak)).toHaveLength(9);
    expect(two.stdout).toBe(none.stdout);
  });

  it('a truncated capture: the same partial verdict (leaks before the damage, exit 1) through the workers', async () => {
    const none = await dtmfguard(['verify', '--json', '--mask-tone', '#', '--workers', '0', truncated]);
    const two = await dtmfguard(['verify', '--json', '--mask-tone', '#', '--workers', '2', truncated]);
    expect(JSON.parse(two.stdout).files[0].truncated).toBe(true);
    expect(two.code).toBe(none.code);
    expect(two.stdout).toBe(none.stdout);
  });

  it('a file that is not a capture: one DG line, exit 2, with workers too', async () => {
    const r = await dtmfguard(['verify', '--json', '--workers', '2', garbage]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^DG6\d{3}: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a --workers value out of range (DG2107, exit 2)', async () => {
    const r = await dtmfguard(['verify', '--workers', '99', calls]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^DG2107: --workers must be/);
  });
});
