/**
 * Through the real command: a corpus of damaged captures (sipp's samples and a generated call,
 * truncated, with bad record lengths, with random bytes flipped) never crashes or hangs: each file
 * ends as "not verified" with a DG6xxx code (exit 2 when nothing leaked) or as a partial verdict
 * that says where reading stopped. And the attacker's receiver, the sensitive one, finds no digit
 * in ordinary speech (espeak-ng, four voices), while one 12 ms burst inside that speech is found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTone } from '../../../src/dsp/generator.ts';
import type { Verdict } from '../../../src/verify/verdict.ts';
import { buildCapture } from '../../unit/verify/capture-fixture.ts';
import { dtmfguard } from './cli.ts';
import { mulberry32 as prng } from '../../../src/prng.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-robust-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('verify command robustness', () => {
  it('a corpus of 63 damaged captures: every file a DG6xxx "not verified" or a partial verdict, no crash, one run', async () => {
    const bases: Array<[string, Buffer]> = [
      ['g711a', readFileSync('/usr/share/sip-tester/g711a.pcap')],
      ['dtmf_2833_1', readFileSync('/usr/share/sip-tester/dtmf_2833_1.pcap')],
      ['generated', buildCapture([{ audio: [{ silence: 100 }, { tone: '5', ms: 60 }, { silence: 200 }], events: [{ key: '8', atMs: 150, ms: 60 }] }])],
    ];
    const rnd = prng(20261122);
    const files: string[] = [];
    for (const [name, b] of bases) {
      for (let i = 0; i < 20; i++) {
        const m = Buffer.from(b);
        let kind: string;
        if (i < 5) {
          kind = 'cut';
          files.push(write(`${name}-${kind}${i}.pcap`, m.subarray(0, Math.floor(rnd() * m.length))));
          continue;
        } else if (i < 10) {
          // A record length field (first record header at byte 24 + 8) set to something impossible.
          kind = 'len';
          m.writeUInt32LE([0xffffffff, 0x7fffffff, 1 << 21, 3, 0][i - 5], 24 + 8);
        } else {
          kind = 'flip';
          for (let k = 0; k < 1 + (i % 6); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        }
        files.push(write(`${name}-${kind}${i}.pcap`, m));
      }
    }
    // And three that cannot be read at all: random bytes, a cut file header, a pcap magic with version 9.
    files.push(write('random.pcap', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)))));
    files.push(write('header-cut.pcap', bases[0][1].subarray(0, 10)));
    const v9 = Buffer.from(bases[1][1]);
    v9.writeUInt16LE(9, 4);
    files.push(write('version9.pcap', v9));
    const r = await dtmfguard(['verify', '--json', ...files], { timeoutMs: 60_000 });
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect([0, 1, 2]).toContain(r.code);
    const v = JSON.parse(r.stdout) as Verdict;
    expect(v.files).toHaveLength(63);
    let partial = 0;
    let refused = 0;
    for (const f of v.files) {
      if (f.error) {
        refused++;
        // Random bytes have no capture magic: sniffed as headerless audio, refused as such (DG2003).
        expect(f.error.code, f.file).toMatch(f.file.endsWith('random.pcap') ? /^DG2003$/ : /^DG6\d{3}$/);
      } else if (f.truncated) {
        partial++;
        expect(f.warnings.join(' '), f.file).toMatch(/damaged at byte \d+ \(DG6\d{3}: .+\); only the packets before it were verified/);
      }
    }
    expect(refused).toBe(3);
    expect(partial).toBeGreaterThan(20);
    if (refused > 0 && v.leakCount === 0) expect(r.code).toBe(2);
  });

  it('no digit or fragment in espeak-ng speech (4 voices, A-law); a 12 ms burst in it is found by the attacker receiver', async () => {
    const raw: Buffer[] = [];
    for (const [voice, text] of [
      ['en+m3', 'Thank you for calling. Your card number is four one one one, and the expiry date is twelve twenty-eight. Please hold.'],
      ['en-us+f2', 'Would you like to hear the options again? Press the star key to return to the main menu, or the hash key to repeat.'],
      ['de+m2', 'Guten Tag, vielen Dank für Ihren Anruf. Ihre Kundennummer lautet eins zwei drei vier fünf sechs sieben acht neun null.'],
      ['fr+f1', 'Bonjour et merci de votre appel. Veuillez patienter, un conseiller va vous répondre.'],
    ] as const) {
      raw.push(await speak(voice, text));
    }
    const speech = Buffer.concat(raw);
    const speechFile = write('speech.s16', speech);
    const wav = join(dir, 'speech.wav');
    execFileSync('sox', ['-q', '-t', 'raw', '-r', '8000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', speechFile, '-e', 'a-law', wav]);
    const clean = await dtmfguard(['verify', '--json', '--mask-tone', '#', wav]);
    expect(clean.code, clean.stderr).toBe(0);
    const cv = JSON.parse(clean.stdout) as Verdict;
    expect(cv.files[0].durationMs!).toBeGreaterThan(20_000);
    expect(cv.files[0].digits).toEqual([]);

    // The same speech with a 12 ms '3' at −20 dBm0 added at 5 s, over whatever is being said there.
    const s = new Int16Array(speech.buffer.slice(speech.byteOffset, speech.byteOffset + speech.length));
    const tone = dtmfTone({ key: '3', durationMs: 12, levelDbm0: -20 });
    for (let i = 0; i < tone.length; i++) s[40000 + i] = Math.max(-32768, Math.min(32767, Math.round(s[40000 + i] * 0.5 + tone[i])));
    const burstFile = write('burst.s16', Buffer.from(s.buffer));
    const wav2 = join(dir, 'burst.wav');
    execFileSync('sox', ['-q', '-t', 'raw', '-r', '8000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', burstFile, '-e', 'a-law', wav2]);
    const leak = await dtmfguard(['verify', '--json', '--mask-tone', '#', wav2]);
    expect(leak.code, leak.stderr).toBe(1);
    const lv = JSON.parse(leak.stdout) as Verdict;
    expect(lv.files[0].digits.map((d) => [d.digit, d.detector, d.leak])).toEqual([['3', 'attacker', true]]);
    expect(Math.abs(lv.files[0].digits[0].startMs - 5000)).toBeLessThanOrEqual(3);
  });
});

function write(name: string, b: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

/** espeak-ng → sox → 8 kHz 16-bit mono raw. */
function speak(voice: string, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const espeak = spawn('espeak-ng', ['-v', voice, '--stdout', text], { stdio: ['ignore', 'pipe', 'ignore'] });
    const sox = spawn('sox', ['-q', '-t', 'wav', '-', '-t', 'raw', '-r', '8000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-L', '-'], { stdio: ['pipe', 'pipe', 'ignore'] });
    espeak.stdout.pipe(sox.stdin);
    const chunks: Buffer[] = [];
    sox.stdout.on('data', (c: Buffer) => chunks.push(c));
    sox.on('error', reject);
    espeak.on('error', reject);
    sox.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`espeak-ng ${voice} | sox failed (${code})`))));
  });
}
