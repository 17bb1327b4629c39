import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLuhnRuns } from '../../../src/redact.ts';
import { dtmfSequence, digitsOf, expectOneLineError, verify, writePcm16Wav, type JsonVerdict } from './verify-helpers.ts';

/**
 * `dtmfguard verify` as a user runs it: real WAV files from our generator and from sox, raw audio,
 * bad files, and the JSON document, stderr line and exit code of each.
 */
let dir: string;
/** EBU Tech 3306 RF64: "RF64", size -1 (the real sizes are in a ds64 chunk), "WAVE", start of ds64. */
const RF64_HEADER_START = 'RF64\xff\xff\xff\xffWAVEds64\x1c\x00\x00\x00';
const KEYS = '147*2580369#ABCD';
let placed: ReturnType<typeof dtmfSequence>['placed'];
const f = (name: string): string => join(dir, name);
const sox = (...args: string[]): void => void execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-'));
  const seq = dtmfSequence(KEYS);
  placed = seq.placed;
  writePcm16Wav(f('keys.wav'), seq.samples);
  writePcm16Wav(f('pan.wav'), dtmfSequence('4111111111111111').samples); // a test PAN, never a real card
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dtmfguard verify on good recordings', () => {
  it('lists every digit of a generated PCM16 file with its times, and exits 0 without --mask-tone', async () => {
    const r = await verify(['--json', f('keys.wav')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as JsonVerdict;
    expect(v.result).toBe('listed');
    expect(v.maskTone).toBeNull();
    const digits = v.files[0].digits;
    expect(digits.map((d) => d.digit).join('')).toBe(KEYS);
    digits.forEach((d, i) => {
      expect(d.source).toBe('inband');
      expect(d.leak).toBe(false);
      expect(d.channel).toBeUndefined();
      expect(Math.abs(d.startMs - placed[i].startMs)).toBeLessThanOrEqual(10);
      expect(Math.abs(d.endMs - placed[i].endMs)).toBeLessThanOrEqual(10);
    });
  });

  it.each([
    ['A-law', ['-e', 'a-law']],
    ['µ-law', ['-e', 'u-law']],
    ['8-bit unsigned PCM', ['-e', 'unsigned-integer', '-b', '8']],
    ['24-bit PCM (WAVE_FORMAT_EXTENSIBLE)', ['-b', '24']],
    ['32-bit float', ['-e', 'floating-point', '-b', '32']],
  ])('finds the same digits in the file converted by sox to %s', async (name, args) => {
    const out = f(`keys-${name.replace(/\W+/g, '_')}.wav`);
    sox('-D', f('keys.wav'), ...args, out);
    const r = await verify(['--json', out]);
    expect(r.code).toBe(0);
    expect(digitsOf(r)).toBe(KEYS);
  });

  it('reads raw audio with --format slin16, alaw and ulaw', async () => {
    for (const [fmt, args] of [
      ['slin16', ['-e', 'signed-integer', '-b', '16']],
      ['alaw', ['-e', 'a-law']],
      ['ulaw', ['-e', 'u-law']],
    ] as const) {
      const out = f(`keys.${fmt}`);
      sox(f('keys.wav'), '-t', 'raw', ...args, out);
      const r = await verify(['--json', '--format', fmt, out]);
      expect(r.code, r.stderr).toBe(0);
      expect(digitsOf(r)).toBe(KEYS);
      expect((JSON.parse(r.stdout) as JsonVerdict).files[0].kind).toBe('raw');
    }
  });

  it('reports each channel of a stereo file separately, with its channel number', async () => {
    // Left: the key sequence; right: '#0#' at other times (sox pads and merges the two).
    writePcm16Wav(f('right.wav'), dtmfSequence('#0#', { leadMs: 1000, onMs: 60 }).samples);
    sox('-M', f('keys.wav'), f('right.wav'), f('stereo.wav'));
    const r = await verify(['--json', f('stereo.wav')]);
    expect(r.code).toBe(0);
    const digits = (JSON.parse(r.stdout) as JsonVerdict).files[0].digits;
    expect(digits.filter((d) => d.channel === 1).map((d) => d.digit).join('')).toBe(KEYS);
    expect(digits.filter((d) => d.channel === 2).map((d) => d.digit).join('')).toBe('#0#');
    for (let i = 1; i < digits.length; i++) expect(digits[i].startMs).toBeGreaterThanOrEqual(digits[i - 1].startMs);
  });

  it('finds a digit sox synthesised from its two frequencies (ITU-T Q.23: 852 + 1477 Hz is 9)', async () => {
    sox('-n', '-r', '8000', '-b', '16', '-c', '1', f('nine.wav'), 'synth', '0.1', 'sine', '852', 'sine', '1477', 'channels', '1', 'vol', '0.4', 'pad', '0.2', '0.2');
    const r = await verify(['--json', f('nine.wav')]);
    expect(r.code).toBe(0);
    expect(digitsOf(r)).toBe('9');
  });
});

describe('dtmfguard verify --mask-tone', () => {
  it('exits 1 and lists every leaked digit of a test PAN, one object each', async () => {
    const r = await verify(['--json', '--mask-tone', '#', f('pan.wav')]);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as JsonVerdict;
    expect(v.result).toBe('leak');
    expect(v.leakCount).toBe(16);
    expect(v.files[0].digits.every((d) => d.leak)).toBe(true);
    expect(v.files[0].digits.map((d) => d.digit).join('')).toBe('4111111111111111');
  });

  it('does not count the mask tone itself as a leak', async () => {
    writePcm16Wav(f('zeros.wav'), dtmfSequence('000').samples);
    const r = await verify(['--mask-tone', '0', f('zeros.wav')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: clean/);
    const j = await verify(['--json', '--mask-tone', '1', f('zeros.wav')]);
    expect(j.code).toBe(1);
  });

  it('prints the digits one per line in text mode, never run together', async () => {
    const r = await verify(['--mask-tone', '1', f('pan.wav')]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\d{5,}/);
    expect(r.stdout.match(/LEAK$/gm)).toHaveLength(1); // only the 4 is a leak with mask tone 1
    expect(r.stdout).toMatch(/verdict: LEAK: 1 digit/);
  });

  it('never writes the leaked test PAN as one digit run (the Luhn scan finds nothing in text or JSON)', async () => {
    for (const args of [['--mask-tone', '#'], ['--json', '--mask-tone', '#'], ['--json']]) {
      const r = await verify([...args, f('pan.wav')]);
      expect(r.stdout).toMatch(/4/);
      expect(findLuhnRuns(r.stdout + r.stderr)).toEqual([]);
    }
    expect(findLuhnRuns('4111111111111111')).not.toEqual([]); // the scan does find the PAN as a run
  });

  it('refuses a mask tone that is not #, 0 or 1', async () => {
    const r = await verify(['--mask-tone', '5', f('pan.wav')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^DG4001: .*'5' is invalid. Allowed choices are #, 0, 1/);
  });
});

describe('dtmfguard verify on bad input', () => {
  it.each([
    ['a missing file', () => f('nope.wav'), 'DG2001', /no such file/],
    ['a directory', () => (mkdirSync(f('a-dir'), { recursive: true }), f('a-dir')), 'DG2001', /is a directory/],
    ['an empty file', () => (writeFileSync(f('empty.wav'), ''), f('empty.wav')), 'DG2002', /empty \(0 bytes\)/],
    ['a text file', () => (writeFileSync(f('notes.wav'), 'not audio at all\n'), f('notes.wav')), 'DG2003', /not a WAV file.*--format slin16\|alaw\|ulaw/],
    ['a 16 kHz file', () => (sox(f('keys.wav'), '-r', '16000', f('wide.wav')), f('wide.wav')), 'DG2007', /16000 Hz is not supported.*sox .*-r 8000/],
    ['a WAV header with no samples', () => (sox('-n', '-r', '8000', '-c', '1', f('nothing.wav'), 'trim', '0', '0'), f('nothing.wav')), 'DG2010', /no audio samples/],
    // A kind the readers table has no entry for: recognised, and refused naming what is supported.
    ['an RF64 file', () => (writeFileSync(f('big.wav'), Buffer.from(RF64_HEADER_START, 'latin1')), f('big.wav')), 'DG2004', /RF64 file.*supported: \.wav/],
  ])('exits 2 with one DG line for %s', async (_what, make, code, pattern) => {
    const path = make();
    const r = await verify(['--json', path]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, code);
    expect(r.stderr).toMatch(pattern);
    const v = JSON.parse(r.stdout) as JsonVerdict;
    expect(v.result).toBe('incomplete');
    expect(v.files[0].error?.code).toBe(code);
  });

  it('refuses a truncated WAV file unless --allow-truncated, and then says it is truncated', async () => {
    const whole = readFileSync(f('pan.wav'));
    writeFileSync(f('cut.wav'), whole.subarray(0, Math.floor(whole.length / 2) + 1));
    const r = await verify(['--mask-tone', '#', f('cut.wav')]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, 'DG2009');
    expect(r.stderr).toMatch(/truncated: the header declares 2\.960 s of audio but the file holds 1\.4\d\d s.*--allow-truncated/);

    const a = await verify(['--json', '--mask-tone', '#', '--allow-truncated', f('cut.wav')]);
    expect(a.code).toBe(1); // the half that is there still leaks
    expect(a.stderr).toMatch(/^warning: .*cut\.wav: truncated/);
    const v = JSON.parse(a.stdout) as JsonVerdict;
    expect(v.files[0].truncated).toBe(true);
    expect(v.files[0].digits.length).toBeGreaterThan(5);
    expect(v.files[0].digits.length).toBeLessThan(16);
  });

  it('reads a WAV file sox wrote to a pipe (no length in the header) to its end, with a warning', async () => {
    // With a generated input sox does not know the length up front, and cannot seek back on a pipe.
    const piped = execFileSync('sox', ['-n', '-r', '8000', '-b', '16', '-c', '1', '-t', 'wav', '-', 'synth', '0.1', 'sine', '852', 'sine', '1477', 'channels', '1', 'vol', '0.4', 'pad', '0.2', '0.2'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(piped.readUInt32LE(40)).toBe(0x7ffff000); // sox's placeholder data size
    writeFileSync(f('piped.wav'), piped);
    const r = await verify(['--json', f('piped.wav')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*piped\.wav: the WAV header gives no data length .*could not be checked for truncation\n$/);
    expect(digitsOf(r)).toBe('9');
    expect((JSON.parse(r.stdout) as JsonVerdict).files[0].warnings).toHaveLength(1);
  });

  it('refuses headerless audio without --format', async () => {
    writeFileSync(f('headerless.raw'), readFileSync(f('keys.wav')).subarray(44));
    const r = await verify([f('headerless.raw')]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, 'DG2003');
  });

  it('verifies the readable files of a batch and lets a leak win over an unreadable file (exit 1)', async () => {
    const r = await verify(['--json', '--mask-tone', '#', f('keys.wav'), f('nope.wav'), f('pan.wav')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, 'DG2001');
    const v = JSON.parse(r.stdout) as JsonVerdict;
    expect(v.files.map((x) => x.error?.code ?? x.digits.length)).toEqual([16, 'DG2001', 16]);
    expect(v.result).toBe('leak');
  });

  it('exits 2 when no leak was found but a file could not be read', async () => {
    writePcm16Wav(f('hash.wav'), dtmfSequence('##').samples);
    const r = await verify(['--mask-tone', '#', f('hash.wav'), f('nope.wav')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/verdict: incomplete: 1 of 2 files/);
  });

  it('needs at least one file, and shows examples in --help', async () => {
    const none = await verify([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^DG\d{4}: .*file/);
    const help = await verify(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n\s+\$ dtmfguard verify/);
    expect(help.stdout).toMatch(/--mask-tone <tone>/);
  });
});
