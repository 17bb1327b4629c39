/**
 * No fragment of a real digit survives the masker: the leak test set of src/dsp/mask-leak-scan.ts
 * (all 16 keys; 40/60/100/500 ms digits and 10–30 ms bursts; 0 to −30 dBm0, bursts down to
 * −45 dBm0; twist +4/−8 dB with ±1.5% deviation; in silence, in 15 dB noise, between stretches of
 * speech-like audio), each tone starting at a different offset within the analysis blocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { keyTones } from '../../../src/dsp/dtmf-keys.ts';
import { type LeakInput, buildLeakInput, leakCases, leakingCases, runLeakCase } from '../../../src/dsp/mask-leak-scan.ts';
import { maskToneTable } from '../../../src/dsp/mask-tone.ts';
import { encodeG711 } from '../../../src/dsp/g711.ts';
import { G711Masker } from '../../../src/dsp/masker.ts';
import { runStream, toneLevelDbm0, windowMap } from './masker-helpers.ts';

let inputs: LeakInput[];

beforeAll(() => {
  inputs = leakCases().map((c) => buildLeakInput(c));
});

describe('masker leak test set', () => {
  it('covers every requirement dimension', () => {
    const names = inputs.map((i) => i.leakCase);
    expect(new Set(names.map((c) => c.key)).size).toBe(16);
    for (const d of [40, 60, 100, 500, 10, 20, 30]) expect(names.some((c) => c.durationMs === d)).toBe(true);
    for (const l of [0, -30, -45]) expect(names.some((c) => c.levelDbm0 === l)).toBe(true);
    for (const b of ['silence', 'noise', 'speech']) expect(names.some((c) => c.background === b)).toBe(true);
    expect(names.some((c) => c.twistDb === -8 && Math.abs(c.lowDeviation) === 0.015)).toBe(true);
    expect(names.some((c) => c.twistDb === 4 && Math.abs(c.highDeviation) === 0.015)).toBe(true);
    // Tones start at every offset within a 40-sample analysis block.
    expect(new Set(inputs.map((i) => i.toneStart % 40)).size).toBe(40);
  });

  for (const lookaheadMs of [40, 15]) {
    it(`masks every sample of every tone, leading edge and tail included, at ${lookaheadMs} ms lookahead`, () => {
      const failures: string[] = [];
      for (const input of inputs) {
        const r = runLeakCase(input, '#', lookaheadMs);
        if (r.leakedSamples !== 0 || r.leadMargin < 0 || r.tailMargin < 0) {
          failures.push(`${input.leakCase.name}: leaked ${r.leakedSamples}, lead ${r.leadMargin}, tail ${r.tailMargin}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  for (const codec of ['alaw', 'ulaw'] as const) {
    it(`masks every sample of every tone through G711Masker (${codec}, 40 ms lookahead, 20 ms packets)`, () => {
      const failures: string[] = [];
      for (const input of inputs) {
        const m = new G711Masker(codec, { maskTone: '1' });
        const { output, windows } = runStream(m, encodeG711(codec, input.samples), [160]);
        const inWin = windowMap(windows, output.length);
        let leaked = 0;
        for (let i = input.toneStart; i < input.toneEnd; i++) if (!inWin[i + m.delaySamples]) leaked++;
        if (leaked) failures.push(`${input.leakCase.name}: leaked ${leaked}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('would see a leak: at 5 ms lookahead the leading edges get through', () => {
    // The analysis needs 10–15 ms to decide; with less lookahead the check above must fail.
    expect(leakingCases(inputs, 5).length).toBeGreaterThan(inputs.length / 2);
  });

  it('over each tone and 20 ms after it, the output in silence is the pure mask tone and nothing else', () => {
    const table = maskToneTable('#');
    const failures: string[] = [];
    for (const input of inputs.filter((i) => i.leakCase.background === 'silence')) {
      const r = runLeakCase(input, '#', 40);
      const d = 320;
      const from = input.toneStart + d;
      const to = input.toneEnd + d + 160;
      const expected = new Int16Array(to - from);
      for (const w of r.windows) {
        for (let j = Math.max(w.startSample, from); j < Math.min(w.endSample, to); j++) {
          expected[j - from] = table[(j - w.startSample) % table.length];
        }
      }
      const got = r.output.subarray(from, to);
      let diff = 0;
      for (let k = 0; k < got.length; k++) if (got[k] !== expected[k]) diff++;
      // Independently of the sample compare: the energy at the real digit's two frequencies is the
      // mask tone's own (same value to 0.01 dB), so nothing of the digit is added to it.
      const { low, high } = keyTones(input.leakCase.key);
      for (const f of [low, high]) {
        const a = toneLevelDbm0(got, 0, got.length, f);
        const b = toneLevelDbm0(expected, 0, expected.length, f);
        if (Math.abs(a - b) > 0.01) diff++;
      }
      if (diff) failures.push(input.leakCase.name);
    }
    expect(failures).toEqual([]);
  });
});
