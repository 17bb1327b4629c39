/**
 * Secure mode on and off (the analysis always runs, so switching on masks at once, samples already
 * in the delay line included, and the delay never changes), and a sample rate other than 8 kHz.
 */
import { describe, expect, it } from 'vitest';
import { G711Masker, Masker } from '../../../src/dsp/masker.ts';
import { buildLeakInput, leakCases, runLeakCase } from '../../../src/dsp/mask-leak-scan.ts';
import { encodeG711 } from '../../../src/dsp/g711.ts';
import { keyedSequence, runStream, windowMap } from './masker-helpers.ts';

describe('masker secure mode', () => {
  it('off: the output is the delayed input, digits included, and no window is reported', () => {
    const { samples } = keyedSequence('4111111111111111');
    const m = new Masker({ maskTone: '#', secure: false });
    const { output, windows } = runStream(m, samples, [160]);
    expect(windows).toEqual([]);
    expect(Buffer.from(output.subarray(m.delaySamples).buffer.slice(m.delaySamples * 2)).equals(Buffer.from(samples.buffer))).toBe(true);
    const g = new G711Masker('ulaw', { maskTone: '#', secure: false });
    const codes = encodeG711('ulaw', samples);
    const r = runStream(g, codes, [160]);
    expect(Buffer.from(r.output.subarray(g.delaySamples)).equals(Buffer.from(codes))).toBe(true);
  });

  it('switched on while a digit is in the delay line: all of it masked, with the same delay', () => {
    const { samples, tones } = keyedSequence('7', { onMs: 200 });
    const m = new Masker({ maskTone: '0', secure: false });
    const d = m.delaySamples;
    // Switch when the tone is 25 ms in at the input: none of it has left yet (40 ms delay), but the
    // analysis met its start while secure mode was still off.
    const switchAt = tones[0].start + 200;
    const head = m.process(samples.subarray(0, switchAt));
    expect(m.drainWindows()).toEqual([]);
    m.secure = true;
    const tail = m.process(samples.subarray(switchAt));
    const rest = m.flush();
    const windows = m.drainWindows();
    expect(head.length + tail.length + rest.length).toBe(samples.length + d);
    // The whole tone leaves after the switch and is covered: the analysis had seen its start.
    const inWin = windowMap(windows, samples.length + d);
    for (let i = tones[0].start; i < tones[0].end; i++) expect(inWin[i + d]).toBe(1);
  });

  it('switched off in the middle of a digit: the window ends there, the rest passes unchanged', () => {
    const { samples, tones } = keyedSequence('7', { onMs: 200 });
    const m = new Masker({ maskTone: '0' });
    const d = m.delaySamples;
    const switchAt = tones[0].start + 800;
    m.process(samples.subarray(0, switchAt));
    m.secure = false;
    const tail = m.process(samples.subarray(switchAt));
    m.flush();
    const windows = m.drainWindows();
    expect(windows).toHaveLength(1);
    expect(windows[0].endSample).toBe(switchAt);
    for (let j = 0; j < tail.length; j++) expect(tail[j]).toBe(samples[switchAt + j - d]);
  });
});

describe('masker at other sample rates', () => {
  // 16 kHz: 80-sample blocks; 11025 Hz: 55-sample blocks (odd: the Goertzel loop's remainder path).
  for (const rate of [16000, 11025]) {
    it(`${rate} Hz: masks every tone of a subset of the leak set (the analysis scales its 5 ms blocks)`, () => {
      const cases = leakCases().filter((c) => [40, 20, 10].includes(c.durationMs) && c.background !== 'speech');
      const failures: string[] = [];
      for (const c of cases) {
        const r = runLeakCase(buildLeakInput(c, rate), '#', 40, rate);
        if (r.leakedSamples !== 0 || r.leadMargin < 0 || r.tailMargin < 0) failures.push(c.name);
      }
      expect(cases.length).toBeGreaterThan(200);
      expect(failures).toEqual([]);
    });
  }
});
