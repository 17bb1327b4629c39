/**
 * What a user can get wrong with the new verify options ends in one DG line and exit 2, before any
 * long verification starts; and a WAV recording gets a report and a signed verdict like a capture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfguard } from './cli.ts';

let dir: string;
let key: string;
let pub: string;
let wav: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-cli-'));
  key = join(dir, 'verdict-key.pem');
  pub = join(dir, 'verdict-key.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  // sox synthesises a '9' (852 + 1477 Hz, ITU-T Q.23) in the right channel of a stereo A-law file.
  wav = join(dir, 'stereo.wav');
  execFileSync('sox', ['-q', '-n', '-r', '8000', '-c', '2', '-e', 'a-law', wav, 'synth', '0.3', 'sine', '852', 'sine', '1477', 'remix', '0', '1-2v0.3', 'pad', '0.2', '0.2']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oneDgLine = (stderr: string, code: string): void => {
  const lines = stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(new RegExp(`^${code}: `));
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('verify options: errors and recordings', () => {
  it.each([
    [['verify'], 'DG2106'],
    [['verify', '--interface', 'lo', 'x.wav'], 'DG2107'],
    [['verify', '--sign', 'KEY', 'x.wav'], 'DG2107'],
    [['verify', '--rtp-port', '70000', 'x.pcap'], 'DG2107'],
    [['verify', '--event-pt', 'abc', 'x.pcap'], 'DG2107'],
    [['verify', '--json', '--sign', '/nonexistent/key.pem', 'x.wav'], 'DG2101'],
  ])('%j → %s, exit 2', async (args, code) => {
    const r = await dtmfguard(args);
    expect(r.code).toBe(2);
    oneDgLine(r.stderr, code);
  });

  it('refuses a signing key that is not Ed25519, and verify-signature refuses what is not a verdict', async () => {
    const rsa = join(dir, 'rsa.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa], { stdio: 'ignore' });
    const r = await dtmfguard(['verify', '--json', '--sign', rsa, wav]);
    expect(r.code).toBe(2);
    oneDgLine(r.stderr, 'DG2102');
    const notJson = join(dir, 'notes.txt');
    writeFileSync(notJson, 'hello');
    const s = await dtmfguard(['verify-signature', notJson]);
    expect(s.code).toBe(2);
    oneDgLine(s.stderr, 'DG2104');
  });

  it('a stereo recording: per-channel digit in the report and a signed --out verdict that checks out with the pinned key', async () => {
    const out = join(dir, 'verdict.json');
    const report = join(dir, 'report.html');
    const r = await dtmfguard(['verify', '--mask-tone', '0', '--sign', key, '--out', out, '--report', report, wav]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/9 {2}\(channel 2, inband\) {2}LEAK/);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { files: Array<{ sha256: string; size: number }>; signature: { keyId: string } };
    expect(doc.files[0].sha256).toBe(execFileSync('sha256sum', [wav], { encoding: 'utf8' }).split(' ')[0]);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('channel 2');
    expect(html.match(/<canvas class="spec"/g)).toHaveLength(1);
    const ok = await dtmfguard(['verify-signature', '--json', '--key', pub, out]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, pinned: true, keyId: doc.signature.keyId });
    // Another trusted key: not valid (exit 1).
    const other = join(dir, 'other.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', other]);
    const bad = await dtmfguard(['verify-signature', '--key', other, out]);
    expect(bad.code).toBe(1);
  });
});
