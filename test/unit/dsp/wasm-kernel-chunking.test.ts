/**
 * Kernel vs JS reference under random chunkings (1 sample to 2 s per call), secure toggles
 * between calls, flushes and restarts, every mask tone, both laws and linear, several lookaheads:
 * the output, windows, digits and pending digits must be identical.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaskTone } from '../../../src/dsp/dtmf-keys.ts';
import { keyedSequence } from './masker-helpers.ts';
import { type Codec, type Kind, KERNEL_BUILT, asInput, firstDifference, runChannel } from './wasm-kernel-harness.ts';

/** Streams to cut up: digits in speech, weak digits in noise, an off-frequency sequence. */
const STREAMS = [
  keyedSequence('4111111111111111', { speech: true, seed: 31, levelDbm0: -15 }).samples,
  keyedSequence('0123', { snrDb: 15, levelDbm0: -22, seed: 32 }).samples,
  keyedSequence('ABCD*#', { deviation: 0.03, onMs: 60, seed: 33 }).samples,
];

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('kernel vs JS reference, random chunking', () => {
  it('the same for any chunking, toggles and restarts', () => {
    fc.assert(
      fc.property(
        fc.record({
          stream: fc.integer({ min: 0, max: STREAMS.length - 1 }),
          kind: fc.constantFrom<Kind>('pipeline', 'masker'),
          codec: fc.constantFrom<Codec>('linear', 'alaw', 'ulaw'),
          maskTone: fc.constantFrom<MaskTone>('#', '0', '1'),
          lookaheadMs: fc.constantFrom(0, 3, 15, 40, 125),
          secure: fc.boolean(),
          chunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 16_000 })), { minLength: 1, maxLength: 8 }),
          toggles: fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }),
          streams: fc.integer({ min: 1, max: 2 }),
        }),
        (c) => {
          const spec = { kind: c.kind, codec: c.codec, maskTone: c.maskTone, lookaheadMs: c.lookaheadMs, secure: c.secure };
          const input = asInput(STREAMS[c.stream], c.codec);
          const schedule = { chunks: c.chunks, toggles: new Set(c.toggles), streams: c.streams };
          const js = runChannel(spec, 'js', input, schedule);
          const wasm = runChannel(spec, 'kernel', input, schedule);
          expect(firstDifference(wasm.output, js.output)).toBe(-1);
          expect(wasm.windows).toEqual(js.windows);
          expect(wasm.digits).toEqual(js.digits);
          expect(wasm.pending).toEqual(js.pending);
        },
      ),
      { numRuns: 150 },
    );
  });
});
