/**
 * Talk-off (ITU-T Q.24: no digit on ordinary speech): minutes of real synthetic speech from
 * espeak-ng, several languages, male and female voices, speeds and pitches, resampled by sox to
 * 8 kHz mono 16-bit, run through the detector at several levels and through G.711. No digit may
 * come out. The speech is generated here (cached in the OS temp directory between runs) so the
 * test works on a fresh machine with only the Debian packages from scripts/setup.sh.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DtmfDetector, type DetectedDigit } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { decodeG711, encodeG711 } from '../../../src/dsp/g711.ts';
import { dtmfTone } from '../../../src/dsp/generator.ts';
import { rmsToDbm0 } from '../../../src/dsp/levels.ts';

const TEXTS: Record<string, string> = {
  en: [
    'Thank you for calling customer services. Your call may be recorded for training and quality purposes.',
    'Your card number is four one one one, one one one one, one one one one, one one one one, and the expiry date is twelve twenty-eight.',
    'Please hold while I transfer you to the next available agent. The current waiting time is about seven minutes.',
    'Seven hundred and eighty-nine thousand, six hundred and fifty-four. Three point one four one five nine. Two thousand and twenty-six.',
    'Would you like to hear the options again? Press the star key to return to the main menu, or the hash key to repeat.',
    'Good morning, how can I help you today? I was charged twice for the same order and I would like a refund, please.',
    'Could you spell your surname for me? It is S M I T H, and the postcode is S W one A, one A A.',
    'Ninety-nine, eighty-eight, seventy-seven, sixty-six, fifty-five, forty-four, thirty-three, twenty-two, eleven, zero, oh, nought.',
    'The weather in the north will be bright and breezy, with scattered showers spreading from the west later this evening.',
    'She sells sea shells by the sea shore; the shells she sells are surely sea shells. Peter Piper picked a peck of pickled peppers.',
    'Alright, I have updated the delivery address. You should receive a confirmation e-mail within the next twenty-four hours. Is there anything else?',
    'Yes, um, actually, I wanted to ask about the interest rate on my savings account, because it seems to have changed last month.',
  ].join(' '),
  de: [
    'Guten Tag, vielen Dank für Ihren Anruf. Ihre Kundennummer lautet eins zwei drei vier fünf sechs sieben acht neun null.',
    'Bitte haben Sie einen Moment Geduld, der nächste freie Mitarbeiter ist gleich für Sie da.',
    'Die Karte läuft im Dezember zweitausendachtundzwanzig ab. Können Sie mir bitte Ihre Postleitzahl nennen?',
    'Dreiundneunzig, siebenundachtzig, fünfundsechzig, zweihundertvierundvierzig. Das Wetter wird morgen sonnig und warm.',
  ].join(' '),
  fr: [
    'Bonjour et merci de votre appel. Votre numéro de client est quatre un un un, un un un un.',
    'Veuillez patienter, un conseiller va vous répondre. La date d’expiration est douze vingt-huit.',
    'Soixante-dix-sept, quatre-vingt-dix-neuf, trois cent quarante-deux. Il fera beau demain sur toute la région parisienne.',
  ].join(' '),
  es: [
    'Buenos días, gracias por llamar. Su número de cuenta es cuatro uno uno uno, uno uno uno uno.',
    'Por favor espere mientras le transfiero con un agente. La fecha de caducidad es doce veintiocho.',
    'Setenta y siete, noventa y nueve, trescientos cuarenta y dos. Mañana hará sol en casi todo el país.',
  ].join(' '),
};

/** voice (language + variant), words per minute, pitch 0–99, text. */
const VOICES: [string, number, number, string][] = [
  ['en+m3', 150, 50, 'en'],
  ['en+f3', 175, 70, 'en'],
  ['en-us+m1', 140, 40, 'en'],
  ['en-us+f2', 190, 80, 'en'],
  ['en-us+f4', 160, 60, 'en'],
  ['en+klatt', 160, 50, 'en'],
  ['en+croak', 130, 30, 'en'],
  ['de+m2', 150, 45, 'de'],
  ['de+f2', 170, 70, 'de'],
  ['fr+m4', 160, 50, 'fr'],
  ['fr+f1', 180, 75, 'fr'],
  ['es+m1', 165, 40, 'es'],
  ['es+f5', 155, 65, 'es'],
];

/** espeak-ng → sox (8 kHz, mono, 16-bit signed, little-endian raw) → bytes. */
function synthesize(voice: string, wpm: number, pitch: number, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const espeak = spawn('espeak-ng', ['-v', voice, '-s', String(wpm), '-p', String(pitch), '--stdout', text], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sox = spawn('sox', ['-q', '-t', 'wav', '-', '-t', 'raw', '-r', '8000', '-c', '1', '-e', 'signed-integer', '-b', '16', '-L', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    espeak.stdout.pipe(sox.stdin);
    const chunks: Buffer[] = [];
    let stderr = '';
    sox.stdout.on('data', (c: Buffer) => chunks.push(c));
    espeak.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    sox.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    espeak.on('error', reject);
    sox.on('error', reject);
    sox.on('close', (code) => {
      const out = Buffer.concat(chunks);
      if (code !== 0 || out.length === 0) reject(new Error(`espeak-ng ${voice} | sox failed (${code}): ${stderr.trim()}`));
      else resolve(out);
    });
  });
}

interface Clip {
  name: string;
  samples: Int16Array;
}

let clips: Clip[] = [];

beforeAll(async () => {
  const version = execFileSync('espeak-ng', ['--version']).toString().trim();
  const key = createHash('sha256').update(JSON.stringify({ version, TEXTS, VOICES })).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `dtmfguard-talkoff-${key}`);
  mkdirSync(dir, { recursive: true });
  const load = async ([voice, wpm, pitch, lang]: (typeof VOICES)[number]): Promise<Clip> => {
    const name = `${voice}-${wpm}-${pitch}`;
    const file = join(dir, `${name}.raw`);
    let bytes: Buffer;
    if (existsSync(file)) {
      bytes = readFileSync(file);
    } else {
      bytes = await synthesize(voice, wpm, pitch, TEXTS[lang]);
      // Write then rename, so a run killed half way never leaves a truncated cache entry.
      writeFileSync(`${file}.${process.pid}.tmp`, bytes);
      renameSync(`${file}.${process.pid}.tmp`, file);
    }
    const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
    return { name, samples };
  };
  // Two at a time: the CI machine has two cores.
  const out: Clip[] = [];
  for (let i = 0; i < VOICES.length; i += 2) out.push(...(await Promise.all(VOICES.slice(i, i + 2).map(load))));
  clips = out;
});

function detect(x: Int16Array): DetectedDigit[] {
  const det = new DtmfDetector();
  const out: DetectedDigit[] = [];
  // 20 ms packets, as the board's channels receive audio.
  for (let off = 0; off < x.length; off += 160) out.push(...det.process(x.subarray(off, off + 160)));
  return [...out, ...det.flush()];
}

function scaled(x: Int16Array, gainDb: number): Int16Array {
  const g = 10 ** (gainDb / 20);
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] * g)));
  return out;
}

/** Active speech level: RMS over the 10 ms blocks that are not near-silent, in dBm0. */
function activeLevelDbm0(x: Int16Array): number {
  let e = 0;
  let n = 0;
  for (let off = 0; off + 80 <= x.length; off += 80) {
    let b = 0;
    for (let i = off; i < off + 80; i++) b += x[i] * x[i];
    if (b / 80 > 100 * 100) {
      e += b;
      n += 80;
    }
  }
  return rmsToDbm0(Math.sqrt(e / n));
}

describe('talk-off: espeak-ng speech gives no digit', () => {
  it('has at least 3 minutes of real speech at an ordinary level', () => {
    const seconds = clips.reduce((s, c) => s + c.samples.length, 0) / 8000;
    expect(seconds).toBeGreaterThanOrEqual(180);
    for (const c of clips) {
      const level = activeLevelDbm0(c.samples);
      expect(level, c.name).toBeGreaterThan(-30);
      expect(level, c.name).toBeLessThan(0);
    }
  });

  it('no digit at 0, −10, −20 dB and at +6 dB (clipping) of the synthesised level', () => {
    for (const c of clips) {
      for (const gainDb of [0, -10, -20, 6]) {
        const found = detect(gainDb === 0 ? c.samples : scaled(c.samples, gainDb));
        expect(found.map((d) => `${d.digit}@${Math.round(d.startMs)}ms`), `${c.name} at ${gainDb} dB`).toEqual([]);
      }
    }
  });

  it('no digit after a G.711 A-law or µ-law round trip', () => {
    for (const c of clips) {
      for (const codec of ['alaw', 'ulaw'] as const) {
        const found = detect(decodeG711(codec, encodeG711(codec, c.samples)));
        expect(found.map((d) => d.digit), `${c.name} through ${codec}`).toEqual([]);
      }
    }
  });

  it('the same speech with real digits keyed over it: every digit is found (the check can fail)', () => {
    // Digits at −10 dBm0 per tone keyed every 1.3 s over the speech turned down 6 dB (talk-over is
    // harder than silence): shows the detector is alive on this very audio, not deaf to it.
    for (const c of clips) {
      const x = Float64Array.from(c.samples, (v) => v * 10 ** (-6 / 20));
      const sent: string[] = [];
      for (let at = 4000, k = 0; at + 800 < x.length; at += 10_400, k++) {
        const key = DTMF_KEYS[k % 16];
        const tone = dtmfTone({ key, durationMs: 80, levelDbm0: -10 });
        for (let i = 0; i < tone.length; i++) x[at + i] += tone[i];
        sent.push(key);
      }
      const found = detect(Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v)))));
      expect(found.map((d) => d.digit).join(''), c.name).toBe(sent.join(''));
    }
  });
});
