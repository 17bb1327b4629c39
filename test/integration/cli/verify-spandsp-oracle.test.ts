import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { buildSpandspHarness, runSpandsp } from '../../../scripts/spandsp-harness.ts';
import { verify, writePcm16Wav, type JsonVerdict } from './verify-helpers.ts';

/**
 * spandsp's dtmf_rx (scripts/spandsp-dtmf-rx.c, built against libspandsp-dev) as an independent
 * oracle: on a clean sequence well inside both receivers' acceptance ranges, `dtmfguard verify`
 * must report the same digits in the same order, each at the place dtmf_rx decided it.
 */
let dir: string;
let bin: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-spandsp-'));
  bin = buildSpandspHarness(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every key twice, with durations 50–110 ms, pauses 50–90 ms and levels −5 to −20 dBm0 varied deterministically. */
function cleanSequence(): { samples: Int16Array; keys: string; starts: number[] } {
  const keys = ('123A456B789C*0#D' + 'D#0*C987B654A321') as string;
  const parts = [silence(150)];
  const starts: number[] = [];
  let at = parts[0].length;
  [...keys].forEach((key, i) => {
    const tone = dtmfTone({ key: key as DtmfKey, durationMs: 50 + ((i * 17) % 61), levelDbm0: -5 - ((i * 7) % 16), phase: i * 0.7 });
    const gap = silence(50 + ((i * 13) % 41));
    starts.push(at);
    parts.push(tone, gap);
    at += tone.length + gap.length;
  });
  parts.push(silence(150));
  return { samples: toInt16(concat(...parts)), keys, starts };
}

describe('dtmfguard verify against spandsp dtmf_rx', () => {
  it('reports the same digits as dtmf_rx on a clean generated sequence', async () => {
    const { samples, keys, starts } = cleanSequence();
    const ref = runSpandsp(bin, samples);
    expect(ref.digits.map((d) => d.digit).join('')).toBe(keys); // the oracle itself sees the sequence

    const wav = join(dir, 'clean.wav');
    writePcm16Wav(wav, samples);
    const r = await verify(['--json', wav]);
    expect(r.code, r.stderr).toBe(0);
    const ours = (JSON.parse(r.stdout) as JsonVerdict).files[0].digits;
    expect(ours.map((d) => d.digit).join('')).toBe(ref.digits.map((d) => d.digit).join(''));

    ours.forEach((d, i) => {
      const startSample = d.startMs * 8;
      // Ours estimates the tone's edge; dtmf_rx decides within a few of its 102-sample blocks after it.
      expect(Math.abs(startSample - starts[i])).toBeLessThanOrEqual(80);
      expect(ref.digits[i].onSample).toBeGreaterThan(startSample);
      expect(ref.digits[i].onSample - startSample).toBeLessThan(400);
    });
  });

  it('the harness reports a timed run and its state size', () => {
    const run = runSpandsp(bin, cleanSequence().samples, 3);
    expect(run.iterations).toBe(3);
    expect(run.seconds).toBeGreaterThan(0);
    expect(run.xRealtime).toBeGreaterThan(100);
    expect(run.stateBytes).toBeGreaterThan(100);
  });
});
