/**
 * `reset()` on the four channel classes, kernel and JS reference: a channel that ran part of one
 * stream (cut anywhere: mid-digit, in a mask window, secure mode switched) and was then reset must
 * treat the next stream exactly as a new channel does. In the kernel, the channel's whole block
 * must also be byte for byte what it was when opened: nothing of the last stream is left in it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaskTone } from '../../../src/dsp/dtmf-keys.ts';
import { loadKernel } from '../../../src/dsp/wasm/kernel.ts';
import { keyedSequence } from './masker-helpers.ts';
import { type ChannelSpec, type Codec, type Kind, type TestChannel, KERNEL_BUILT, asInput, feedChannel, firstDifference, openChannel } from './wasm-kernel-harness.ts';

const STREAMS = [
  keyedSequence('4111111111111111', { speech: true, seed: 41, levelDbm0: -15 }).samples,
  keyedSequence('0123', { snrDb: 15, levelDbm0: -22, seed: 42 }).samples,
  keyedSequence('ABCD*#', { deviation: 0.03, onMs: 60, seed: 43 }).samples,
];

/** Part of a stream through `ch`, not ended: `cut` samples in `chunk`-sized calls, secure flipped before call `flip`. */
function runPart(ch: TestChannel, input: Int16Array | Uint8Array, cut: number, chunk: number, flip: number): void {
  for (let pos = 0, call = 0; pos < cut; pos += chunk, call++) {
    if (call === flip) ch.secure = !ch.secure;
    ch.run(input.subarray(pos, Math.min(cut, pos + chunk)));
    ch.pend();
  }
}

/** Bytes of the kernel channel behind `ch` (its block in the kernel's memory, allocator header excluded). */
function kernelBlock(ch: TestChannel): Uint8Array {
  const ptr = (ch as unknown as { engine: { ch: { ptr: number } } }).engine.ch.ptr;
  const memory = loadKernel()!.exports().memory.buffer;
  return new Uint8Array(memory, ptr, ch.stateBytes - 16).slice();
}

const IMPLEMENTATIONS: ('kernel' | 'js')[] = KERNEL_BUILT || process.env.CI ? ['kernel', 'js'] : ['js'];

describe('a channel reset', () => {
  it('takes the next stream as a new channel does', () => {
    fc.assert(
      fc.property(
        fc.record({
          implementation: fc.constantFrom(...IMPLEMENTATIONS),
          kind: fc.constantFrom<Kind>('pipeline', 'masker'),
          codec: fc.constantFrom<Codec>('linear', 'alaw', 'ulaw'),
          maskTone: fc.constantFrom<MaskTone>('#', '0', '1'),
          lookaheadMs: fc.constantFrom(0, 15, 40, 125),
          secure: fc.boolean(),
          first: fc.integer({ min: 0, max: STREAMS.length - 1 }),
          cut: fc.integer({ min: 1, max: 20_000 }),
          firstChunk: fc.integer({ min: 1, max: 400 }),
          flip: fc.integer({ min: -1, max: 30 }),
          second: fc.integer({ min: 0, max: STREAMS.length - 1 }),
          chunks: fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 4 }),
        }),
        (c) => {
          const spec: ChannelSpec = { kind: c.kind, codec: c.codec, maskTone: c.maskTone, lookaheadMs: c.lookaheadMs, secure: c.secure };
          const schedule = { chunks: c.chunks };
          const second = asInput(STREAMS[c.second], c.codec);
          const reused = openChannel(spec, c.implementation);
          expect(reused.implementation).toBe(c.implementation);
          runPart(reused, asInput(STREAMS[c.first], c.codec), c.cut, c.firstChunk, c.flip);
          reused.reset();
          expect(reused.secure).toBe(c.secure);
          const got = feedChannel(reused, second, schedule);
          const fresh = openChannel(spec, c.implementation);
          const want = feedChannel(fresh, second, schedule);
          reused.dispose();
          fresh.dispose();
          expect(firstDifference(got.output, want.output)).toBe(-1);
          expect(got.windows).toEqual(want.windows);
          expect(got.digits).toEqual(want.digits);
          expect(got.pending).toEqual(want.pending);
        },
      ),
      { numRuns: 120 },
    );
  });

  describe.skipIf(!KERNEL_BUILT && !process.env.CI)('in the kernel', () => {
    const specs: ChannelSpec[] = [];
    for (const kind of ['masker', 'pipeline'] as const) {
      for (const codec of ['linear', 'alaw', 'ulaw'] as const) specs.push({ kind, codec, maskTone: '#', lookaheadMs: 40, secure: true });
    }
    it.each(specs)('leaves the block as opened: $kind, $codec', (spec) => {
      const ch = openChannel(spec, 'kernel');
      const opened = kernelBlock(ch);
      // Stopped inside the second digit (keys of 40 ms, gaps of 40 ms), secure mode switched off.
      runPart(ch, asInput(STREAMS[0], spec.codec), 1_000, 160, 3);
      expect(firstDifference([...kernelBlock(ch)], [...opened])).not.toBe(-1);
      ch.reset();
      expect(firstDifference([...kernelBlock(ch)], [...opened])).toBe(-1);
      ch.dispose();
    });
  });
});
