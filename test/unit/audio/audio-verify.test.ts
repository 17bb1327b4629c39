import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';
import { encodeAlaw } from '../../../src/dsp/g711.ts';
import { encodeWav } from '../../../src/audio/wav-writer.ts';
import { interleaveBytes, interleaveInt16 } from '../../../src/audio/sample-decode.ts';
import { verifyAudioFile } from '../../../src/verify/audio-verify.ts';
import { summarize, verdictExitCode, formatVerdictText } from '../../../src/verify/verdict.ts';

/**
 * The streaming verifier: whatever the read block size, it reports exactly what the detector
 * reports on the whole signal at once, per channel.
 */
let dir: string;
let left: Int16Array;
let right: Int16Array;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-averify-'));
  const seq = (keys: string, lead: number): Int16Array =>
    toInt16(concat(silence(lead), ...[...keys].flatMap((k) => [dtmfTone({ key: k as DtmfKey, durationMs: 70 }), silence(60)]), silence(100)));
  left = seq('4111', 100);
  right = seq('#0*9', 170).subarray(0, left.length);
  writeFileSync(join(dir, 'stereo.wav'), encodeWav({ encoding: 'pcm_s16le', sampleRate: 8000, channels: 2 }, interleaveInt16([left, right])));
  writeFileSync(join(dir, 'alaw.wav'), encodeWav({ encoding: 'alaw', sampleRate: 8000, channels: 1 }, interleaveBytes([encodeAlaw(left)])));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verifyAudioFile', () => {
  it('reports per channel exactly what the detector finds on each whole channel', async () => {
    const v = await verifyAudioFile(join(dir, 'stereo.wav'), { maskTone: '#' });
    const expected = [
      ...detectDigits(left).map((d) => ({ ch: 1, digit: d.digit, startMs: d.startMs, endMs: d.endMs })),
      ...detectDigits(right).map((d) => ({ ch: 2, digit: d.digit, startMs: d.startMs, endMs: d.endMs })),
    ].sort((a, b) => a.startMs - b.startMs || a.ch - b.ch);
    expect(expected.map((d) => d.digit).sort().join('')).toBe([...'4111#0*9'].sort().join(''));
    expect(v.digits.map((d) => ({ ch: d.channel, digit: d.digit, startMs: d.startMs, endMs: d.endMs }))).toEqual(expected);
    expect(v.leaks).toBe(v.digits.filter((d) => d.digit !== '#').length);
    expect(v.format).toBe('wav/pcm_s16le, 8000 Hz, stereo');
    expect(v.durationMs).toBe((left.length * 1000) / 8000);
  });

  it('property: the read block size does not change the result', async () => {
    const whole = await verifyAudioFile(join(dir, 'alaw.wav'), { blockFrames: 1 << 20 });
    expect(whole.digits.map((d) => d.digit).join('')).toBe('4111');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3000 }), async (blockFrames) => {
        const v = await verifyAudioFile(join(dir, 'alaw.wav'), { blockFrames });
        expect(v.digits).toEqual(whole.digits);
      }),
      { numRuns: 15 },
    );
  });

  it('summarises to exit 1 on a leak, 0 when clean, 2 when incomplete, and lists without a mask tone', async () => {
    const v = await verifyAudioFile(join(dir, 'alaw.wav'), { maskTone: '1' });
    expect(v.leaks).toBe(1); // the 4
    expect(verdictExitCode(summarize([v], '1'))).toBe(1);
    const clean = { ...v, digits: v.digits.filter((d) => !d.leak), leaks: 0 };
    expect(verdictExitCode(summarize([clean], '1'))).toBe(0);
    expect(summarize([clean], undefined).result).toBe('listed');
    const broken = { file: 'x.wav', kind: 'unknown', warnings: [], digits: [], leaks: 0, error: { code: 'DG2001', message: 'DG2001: x' } };
    expect(verdictExitCode(summarize([clean, broken], '1'))).toBe(2);
    expect(verdictExitCode(summarize([v, broken], '1'))).toBe(1);
    expect(formatVerdictText(summarize([v, broken], '1'))).toMatch(/alaw\.wav: .*\nx\.wav: not verified \(DG2001\)\nverdict: LEAK: 1 digit/s);
  });
});
