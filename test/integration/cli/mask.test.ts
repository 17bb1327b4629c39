import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfSequence, digitsOf, expectOneLineError, mask, verify, writePcm16Wav, type JsonVerdict } from './verify-helpers.ts';
import { openAudioFile } from '../../../src/audio/audio-source.ts';

/**
 * `dtmfguard-sim mask` as a user runs it, judged by our verifier and by an independent decoder
 * (multimon-ng): the masked file must verify clean and the original must not.
 */
let dir: string;
const f = (name: string): string => join(dir, name);
const sox = (...args: string[]): void => void execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
/** multimon-ng's DTMF decoder (it converts the WAV through sox itself). */
const multimon = (path: string): string =>
  execFileSync('multimon-ng', ['-q', '-c', '-a', 'DTMF', '-t', 'wav', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter((l) => l.startsWith('DTMF: '))
    .map((l) => l.slice(6).trim())
    .join('');

const PAN = '4111111111111111'; // a test PAN, never a real card number

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-mask-'));
  writePcm16Wav(f('pan.wav'), dtmfSequence(PAN).samples);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readCodes(path: string): Promise<Buffer> {
  const src = await openAudioFile(path);
  const parts: Uint8Array[] = [];
  for await (const b of src.blocks()) parts.push(b);
  await src.close();
  return Buffer.concat(parts);
}

describe('dtmfguard-sim mask', () => {
  it('masks a test PAN so the output verifies clean while the original leaks every digit', async () => {
    const m = await mask([f('pan.wav'), f('pan-masked.wav')]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/16 mask window\(s\) with tone '#', lookahead 40 ms/);

    const original = await verify(['--json', '--mask-tone', '#', f('pan.wav')]);
    expect(original.code).toBe(1);
    expect(digitsOf(original)).toBe(PAN);
    expect((JSON.parse(original.stdout) as JsonVerdict).leakCount).toBe(16);

    const masked = await verify(['--json', '--mask-tone', '#', f('pan-masked.wav')]);
    expect(masked.code).toBe(0);
    expect((JSON.parse(masked.stdout) as JsonVerdict).result).toBe('clean');
    expect(digitsOf(masked)).toMatch(/^#{1,16}$/);
    // The independent decoder agrees: the PAN before, only the mask tone after.
    expect(multimon(f('pan.wav'))).toBe(PAN);
    expect(multimon(f('pan-masked.wav'))).toMatch(/^#+$/);
  });

  it('writes the same header and length as the input, aligned with it sample for sample', async () => {
    await mask(['--mask-tone', '0', f('pan.wav'), f('pan-0.wav')]);
    const a = readFileSync(f('pan.wav'));
    const b = readFileSync(f('pan-0.wav'));
    expect(b.length).toBe(a.length);
    expect(b.subarray(0, 44)).toEqual(a.subarray(0, 44));
    // The first tone starts at 200 ms (sample 1600): the lead-in is passed through untouched and
    // not shifted by the 40 ms delay line; the middle of the first tone is replaced.
    const at = (ms: number): number => 44 + ms * 16;
    expect(b.subarray(at(0), at(150))).toEqual(a.subarray(at(0), at(150)));
    expect(b.subarray(at(220), at(260)).equals(a.subarray(at(220), at(260)))).toBe(false);
  });

  it('keeps A-law codewords outside the mask windows it reports, and replaces the digits inside', async () => {
    sox(f('pan.wav'), '-e', 'a-law', f('pan-alaw.wav'));
    const m = await mask(['--json', '--mask-tone', '1', '--lookahead-ms', '20', f('pan-alaw.wav'), f('pan-alaw-masked.wav')]);
    expect(m.code, m.stderr).toBe(0);
    const summary = JSON.parse(m.stdout) as { format: string; delaySamples: number; windows: Array<{ channel: number; startMs: number; endMs: number }> };
    expect(summary.format).toBe('wav/alaw, 8000 Hz, mono');
    expect(summary.delaySamples).toBe(160);
    expect(summary.windows).toHaveLength(16);
    expect(JSON.stringify(summary)).not.toMatch(/"digit"/); // windows never carry a digit value

    const inCodes = await readCodes(f('pan-alaw.wav'));
    const outCodes = await readCodes(f('pan-alaw-masked.wav'));
    expect(outCodes.length).toBe(inCodes.length);
    const inWindow = new Uint8Array(inCodes.length);
    for (const w of summary.windows) inWindow.fill(1, Math.round(w.startMs * 8), Math.round(w.endMs * 8));
    let changedOutside = 0;
    let changedInside = 0;
    for (let i = 0; i < inCodes.length; i++) {
      if (inCodes[i] !== outCodes[i]) inWindow[i] ? changedInside++ : changedOutside++;
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(16 * 400);

    const v = await verify(['--json', '--mask-tone', '1', f('pan-alaw-masked.wav')]);
    expect(v.code).toBe(0);
    expect(digitsOf(v)).toMatch(/^1+$/);
  });

  it('masks µ-law and each channel of a stereo file on its own', async () => {
    writePcm16Wav(f('right.wav'), dtmfSequence('9876', { leadMs: 700 }).samples);
    sox('-M', f('pan.wav'), f('right.wav'), '-e', 'u-law', f('stereo-ulaw.wav'));
    const before = await verify(['--json', '--mask-tone', '#', f('stereo-ulaw.wav')]);
    expect(before.code).toBe(1);
    expect((JSON.parse(before.stdout) as JsonVerdict).leakCount).toBe(20);

    const m = await mask([f('stereo-ulaw.wav'), f('stereo-ulaw-masked.wav')]);
    expect(m.code, m.stderr).toBe(0);
    const after = await verify(['--json', '--mask-tone', '#', f('stereo-ulaw-masked.wav')]);
    expect(after.code).toBe(0);
    const digits = (JSON.parse(after.stdout) as JsonVerdict).files[0].digits;
    expect(new Set(digits.map((d) => d.channel))).toEqual(new Set([1, 2]));
  });

  it('masks a call with real speech (espeak-ng): only the keyed digits are found, and the speech passes through', async () => {
    execFileSync('espeak-ng', ['-w', f('speech22k.wav'), 'Thank you for calling. Please enter your card number after the tone, then press the hash key.'], { stdio: 'ignore' });
    sox(f('speech22k.wav'), '-r', '8000', '-b', '16', f('speech.wav'));
    // speech, the test PAN keyed in a pause, speech again; as A-law, as a trunk recorder stores it.
    sox(f('speech.wav'), f('pan.wav'), f('speech.wav'), '-e', 'a-law', f('call.wav'));
    const before = await verify(['--json', '--mask-tone', '#', f('call.wav')]);
    expect(before.code).toBe(1);
    expect(digitsOf(before)).toBe(PAN); // no talk-off on the speech

    const m = await mask(['--json', f('call.wav'), f('call-masked.wav')]);
    expect(m.code, m.stderr).toBe(0);
    const after = await verify(['--json', '--mask-tone', '#', f('call-masked.wav')]);
    expect(after.code).toBe(0);

    const windows = (JSON.parse(m.stdout) as { windows: Array<{ startMs: number; endMs: number }> }).windows;
    const inCodes = await readCodes(f('call.wav'));
    const outCodes = await readCodes(f('call-masked.wav'));
    const masked = new Uint8Array(inCodes.length);
    for (const w of windows) masked.fill(1, Math.round(w.startMs * 8), Math.round(w.endMs * 8));
    let changedOutside = 0;
    let maskedSpeech = 0;
    const speechEnd = (await readCodes(f('speech.wav'))).length / 2; // samples of the first sentence (16-bit)
    for (let i = 0; i < inCodes.length; i++) {
      if (!masked[i] && inCodes[i] !== outCodes[i]) changedOutside++;
      if (i < speechEnd && masked[i]) maskedSpeech++;
    }
    expect(changedOutside).toBe(0);
    expect(maskedSpeech / speechEnd).toBeLessThan(0.02); // fail-closed may catch a syllable, not the speech
  });

  it.each([
    ['the same file for input and output', () => [f('pan.wav'), f('pan.wav')], 'DG2014', /is the input file/],
    ['a 24-bit input it cannot write back unchanged', () => (sox(f('pan.wav'), '-b', '24', f('pan24.wav')), [f('pan24.wav'), f('o.wav')]), 'DG2015', /pcm_s24le.*sox .* -b 16/],
    ['a missing input', () => [f('nope.wav'), f('o.wav')], 'DG2001', /no such file/],
    ['an output directory that does not exist', () => [f('pan.wav'), f('no/such/dir/o.wav')], 'DG2013', /cannot write the output/],
    ['a negative lookahead', () => ['--lookahead-ms', '-5', f('pan.wav'), f('o.wav')], 'DG2012', /--lookahead-ms must be a number of milliseconds from 0 to 1000 \(got '-5'\)/],
    ['a mask tone that is not #, 0 or 1', () => ['--mask-tone', '7', f('pan.wav'), f('o.wav')], 'DG4001', /Allowed choices are #, 0, 1/],
  ])('exits 2 with one DG line for %s', async (_what, args, code, pattern) => {
    const r = await mask(args());
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, code);
    expect(r.stderr).toMatch(pattern);
    expect(existsSync(f('o.wav'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('warns on stderr, but masks, when the lookahead is below the leak-free minimum', async () => {
    const r = await mask(['--lookahead-ms', '5', f('pan.wav'), f('pan-5ms.wav')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: --lookahead-ms 5 is below \d+ ms/);
    expect(r.stdout).toMatch(/lookahead 5 ms/);
  });

  it('shows examples in --help', async () => {
    const r = await mask(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ dtmfguard-sim mask call\.wav call-masked\.wav/);
  });
});
