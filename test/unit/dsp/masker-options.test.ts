/** Option checking: user-settable values (mask tone, lookahead) fail with a DgError that says what to do. */
import { describe, expect, it } from 'vitest';
import { DgError } from '../../../src/errors.ts';
import { G711Masker, Masker, type MaskerOptions } from '../../../src/dsp/masker.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DgError ? e.code : `not a DgError: ${String(e)}`;
  }
  return undefined;
}

describe('masker options', () => {
  it('delay is the lookahead in samples (default 40 ms)', () => {
    expect(new Masker({ maskTone: '#' }).delaySamples).toBe(320);
    expect(new Masker({ maskTone: '0', lookaheadMs: 15 }).delaySamples).toBe(120);
    expect(new Masker({ maskTone: '1', lookaheadMs: 20, sampleRate: 16000 }).delaySamples).toBe(320);
    expect(new G711Masker('alaw', { maskTone: '#', lookaheadMs: 0 }).delaySamples).toBe(0);
  });

  it('rejects a bad mask tone, lookahead, sample rate or codec with its code', () => {
    expect(codeOf(() => new Masker({ maskTone: '5' } as unknown as MaskerOptions))).toBe('DG2601');
    expect(codeOf(() => new Masker({ maskTone: '#', sampleRate: 8000.5 }))).toBe('DG2602');
    expect(codeOf(() => new Masker({ maskTone: '#', lookaheadMs: -1 }))).toBe('DG2603');
    expect(codeOf(() => new Masker({ maskTone: '#', lookaheadMs: Number.NaN }))).toBe('DG2603');
    expect(codeOf(() => new Masker({ maskTone: '#', lookaheadMs: 5000 }))).toBe('DG2603');
    expect(codeOf(() => new G711Masker('g722' as never, { maskTone: '#' }))).toBe('DG2604');
    const msg = (() => {
      try {
        new Masker({ maskTone: '#', lookaheadMs: -1 });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(msg).toMatch(/^DG2603: lookahead must be 0 to 1000 ms/);
    expect(msg).not.toMatch(/\n/);
  });

  it('reports its per-channel state size', () => {
    // 40 ms of Int16 delay (640 B) + block buffer + block marks + analysis state.
    const bytes = new Masker({ maskTone: '#' }).stateBytes;
    expect(bytes).toBeGreaterThan(640);
    expect(bytes).toBeLessThan(4096);
  });
});
