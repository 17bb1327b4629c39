/**
 * The gate the attacker receiver's kernel hands the Q.24 receiver (attacker-kernel.c gate_flags,
 * read by src/verify/attacker-receiver.ts): after each `process`, one flag per 10 ms block the
 * call completed, in order from `first`, each the screen's verdict on the window that is that
 * block, exactly as the JS screen (high-group-screen.ts, at the attacker's −50 dBm0 floor) gives
 * it. A flag for the wrong window (2 ms off) would let the Q.24 receiver skip a block with a key.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTMF_KEYS, HIGH_GROUP_HZ } from '../../../src/dsp/dtmf-keys.ts';
import { decodeAlaw, encodeAlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak } from '../../../src/dsp/levels.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { loadKernel } from '../../../src/dsp/wasm/kernel.ts';
import { attackerReceiver } from '../../../src/verify/attacker-receiver.ts';
import { HighGroupScreen } from '../../../src/verify/high-group-screen.ts';

const KERNEL_BUILT = loadKernel() !== null;
const N = 80;

function screenFlags(x: Int16Array): number[] {
  const peak = dbm0ToPeak(-50);
  const screen = new HighGroupScreen(HIGH_GROUP_HZ, 8000, (peak * peak * N) / 2);
  return Array.from({ length: Math.floor(x.length / N) }, (_, b) => (screen.mayPass(x, 0, b * N) ? 1 : 0));
}

/** The kernel's flags over x fed in `chunks` (cycled): block index → flag, each block once. */
function kernelFlags(x: Int16Array, chunks: number[]): number[] {
  const r = attackerReceiver({});
  expect(r.implementation).toBe('kernel');
  const flags: number[] = [];
  for (let i = 0, k = 0; i < x.length; ) {
    const n = Math.min(chunks[k++ % chunks.length], x.length - i);
    r.process(x.subarray(i, i + n));
    i += n;
    const g = r.gate!;
    // Exactly the blocks this call completed: those ending in (i − n, i].
    const done = Math.floor(i / N) - Math.floor((i - n) / N);
    expect(g.count).toBe(done);
    if (done > 0) expect(g.first).toBe(Math.floor((i - n) / N));
    for (let j = 0; j < g.count; j++) flags[g.first + j] = g.flags[j];
  }
  r.dispose();
  return flags;
}

function speechAndTones(seed: number, tones: { key: number; ms: number; level: number; gap: number }[]): Int16Array {
  const signal = concat(silence(12), ...tones.flatMap((t) => [dtmfTone({ key: DTMF_KEYS[t.key], durationMs: t.ms, levelDbm0: t.level }), silence(t.gap)]));
  return decodeAlaw(encodeAlaw(toInt16(mix(signal, speechLike(signal.length / 8, seed, -30)))));
}

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('attacker receiver kernel: the Q.24 block gate', () => {
  it('flags every block once, as the JS screen judges the window that is the block (20 ms packets)', () => {
    const x = speechAndTones(7, Array.from({ length: 40 }, (_, i) => ({ key: i % 16, ms: 15 + ((i * 17) % 80), level: -45 + (i % 9) * 4, gap: 10 + ((i * 7) % 60) })));
    const ref = screenFlags(x);
    expect(ref.filter((f) => f === 0).length).toBeGreaterThan(ref.length / 4);
    expect(ref.filter((f) => f === 1).length).toBeGreaterThan(ref.length / 8);
    expect(kernelFlags(x, [160])).toEqual(ref);
  });

  it('property: the same in any chunking up to a kernel piece', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 15 }), ms: fc.integer({ min: 8, max: 90 }), level: fc.double({ min: -48, max: -5, noNaN: true }), gap: fc.integer({ min: 1, max: 80 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 5 }),
        (tones, seed, chunks) => {
          const x = speechAndTones(seed, tones);
          expect(kernelFlags(x, chunks)).toEqual(screenFlags(x));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('gives no flags for a call longer than a kernel piece (its blocks are not gated)', () => {
    const x = speechAndTones(3, [{ key: 5, ms: 60, level: -20, gap: 700 }]);
    const r = attackerReceiver({});
    r.process(x.subarray(0, 4097));
    expect(r.gate!.count).toBe(0);
    r.process(x.subarray(4097, 4257));
    expect(r.gate!.count).toBe(2);
    r.process(x.subarray(4257, 4257));
    expect(r.gate!.count).toBe(0);
    r.dispose();
  });
});
