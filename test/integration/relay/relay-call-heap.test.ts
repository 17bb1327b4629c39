import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * A call started on a spare stream leaves next to nothing for the collector (issue 4: a thousand
 * calls starting together on fresh state gave young-generation collections some 5 ms of copying
 * and promoting, and made packets late). scripts/relay-call-heap.ts starts 1,000 new calls on a
 * relay already carrying 1,000, three sets one after another, and reads the heap after a full
 * collection before and after each; the least set counts (in the others the relay's own maps may
 * double). Measured at the change (2026-12-07, seven runs): on spares 0-149 bytes of JS heap a call
 * and none outside it (1.8-2.3 KB and 2.2 KB before spares kept their maskers and views); on fresh
 * state 3.7-4.2 KB and 10.9 KB. Spares without their views read 729 bytes (the JS bound fails);
 * without their maskers, 473-591 bytes and 2.2 KB outside the heap (the outside bound fails).
 */
const ROOT = new URL('../../..', import.meta.url).pathname;

function measure(spares?: number): { js_bytes_per_call: number; outside_bytes_per_call: number; new_calls: number } {
  const r = spawnSync(process.execPath, ['--single-threaded-gc', '--import', 'tsx', 'scripts/relay-call-heap.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...(spares === undefined ? {} : { SPARES: String(spares) }) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('memory a new call leaves in the relay', () => {
  it('is under 450 bytes of JS heap and 200 outside it on a spare stream', () => {
    const m = measure();
    expect(m.new_calls).toBe(1000);
    expect(m.js_bytes_per_call).toBeLessThan(450);
    expect(m.outside_bytes_per_call).toBeLessThan(200);
  });

  it('is kilobytes on fresh state (the measure sees a call\'s state)', () => {
    const m = measure(0);
    expect(m.js_bytes_per_call).toBeGreaterThan(2500);
    expect(m.outside_bytes_per_call).toBeGreaterThan(8000);
  });
});
