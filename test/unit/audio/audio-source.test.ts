import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAudioFile, sniffPath, type AudioSource } from '../../../src/audio/audio-source.ts';
import { decodeToInt16, interleaveBytes, interleaveInt16, splitChannels } from '../../../src/audio/sample-decode.ts';
import { sniffFileKind } from '../../../src/audio/file-kind.ts';
import { encodeWav, WavWriter } from '../../../src/audio/wav-writer.ts';
import { AUDIO_ERR } from '../../../src/audio/audio-errors.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-audio-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A deterministic 16-bit test signal covering the whole range, including both extremes. */
function ramp(n: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(32767 * Math.sin(i * 0.0137) * Math.cos(i * 0.00091));
  x[0] = -32768;
  x[1] = 32767;
  return x;
}

async function readAll(src: AudioSource, blockFrames?: number): Promise<Int16Array[]> {
  const parts: Int16Array[][] = [];
  for await (const block of src.blocks(blockFrames)) parts.push(decodeToInt16(block, src.format));
  const out: Int16Array[] = [];
  for (let c = 0; c < src.format.channels; c++) {
    const ch = new Int16Array(parts.reduce((n, p) => n + p[c].length, 0));
    let o = 0;
    for (const p of parts) {
      ch.set(p[c], o);
      o += p[c].length;
    }
    out.push(ch);
  }
  return out;
}

function sox(...args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** What sox decodes a file to, as signed 16-bit: the independent oracle. */
function soxToS16(path: string): Int16Array {
  const out = join(dir, `oracle-${Math.random().toString(36).slice(2)}.raw`);
  sox('-D', path, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', out);
  const b = readFileSync(out);
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2).slice();
}

describe('reading WAV files made by sox (sox as the oracle)', () => {
  const N = 20_011; // not a multiple of any block size used below
  let srcRaw: string;
  beforeAll(() => {
    srcRaw = join(dir, 'ramp.raw');
    writeFileSync(srcRaw, Buffer.from(ramp(N).buffer));
  });

  it.each([
    ['16-bit PCM', ['-e', 'signed-integer', '-b', '16'], 'pcm_s16le', 0],
    ['8-bit unsigned PCM', ['-e', 'unsigned-integer', '-b', '8'], 'pcm_u8', 0],
    ['24-bit PCM', ['-e', 'signed-integer', '-b', '24'], 'pcm_s24le', 0],
    ['32-bit PCM', ['-e', 'signed-integer', '-b', '32'], 'pcm_s32le', 0],
    ['32-bit float', ['-e', 'floating-point', '-b', '32'], 'float32le', 1],
    ['A-law', ['-e', 'a-law'], 'alaw', 0],
    ['µ-law', ['-e', 'u-law'], 'ulaw', 0],
  ] as const)('decodes %s like sox does', async (_name, enc, encoding, tolerance) => {
    const wav = join(dir, `ramp-${encoding}.wav`);
    sox('-D', '-t', 'raw', '-r', '8000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', srcRaw, '-r', '8000', ...enc, wav);
    const src = await openAudioFile(wav);
    try {
      expect(src.format.encoding).toBe(encoding);
      expect(src.frames).toBe(N);
      const [ours] = await readAll(src, 997);
      const oracle = soxToS16(wav);
      expect(ours.length).toBe(oracle.length);
      let worst = 0;
      for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(ours[i] - oracle[i]));
      expect(worst).toBeLessThanOrEqual(tolerance);
    } finally {
      await src.close();
    }
  });

  it('reads a WAVE_FORMAT_EXTENSIBLE stereo file from sox per channel, whatever the block size', async () => {
    const wav = join(dir, 'stereo24.wav');
    // sox writes WAVE_FORMAT_EXTENSIBLE for more than 16 bits; left = ramp, right = ramp inverted.
    sox('-D', '-t', 'raw', '-r', '8000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', srcRaw, '-b', '24', '-c', '2', wav, 'remix', '1', '1i');
    expect(readFileSync(wav).readUInt16LE(20)).toBe(0xfffe);
    const src = await openAudioFile(wav);
    try {
      const whole = await readAll(src, 100_000);
      for (const block of [1, 160, 4093]) expect(await readAll(src, block)).toEqual(whole);
      const x = ramp(N);
      expect(whole[0]).toEqual(x);
      // sox inverts exactly except -32768 which clips to 32767 (24-bit: -(-8388608) clips).
      for (const i of [5, 1000, N - 1]) expect(whole[1][i]).toBeCloseTo(-x[i], -1);
    } finally {
      await src.close();
    }
  });
});

describe('our writer, read back', () => {
  it('round-trips PCM16 and G.711 codewords exactly through WavWriter in several writes', async () => {
    const x = ramp(3001);
    const codes = new Uint8Array(3001).map((_, i) => (i * 37) & 0xff);
    for (const [encoding, data] of [
      ['pcm_s16le', interleaveInt16([x, x.map((v) => v >> 1)])],
      ['alaw', interleaveBytes([codes, codes.map((c) => c ^ 0x55)])],
      ['ulaw', interleaveBytes([codes, codes.slice().reverse()])],
    ] as const) {
      const path = join(dir, `rt-${encoding}.wav`);
      const w = await WavWriter.create(path, { encoding, sampleRate: 8000, channels: 2 });
      for (let o = 0; o < data.length; o += 1234) await w.write(data.subarray(o, o + 1234));
      await w.close();
      expect(readFileSync(path)).toEqual(encodeWav({ encoding, sampleRate: 8000, channels: 2 }, data));
      const src = await openAudioFile(path);
      const blocks: Uint8Array[] = [];
      for await (const b of src.blocks(500)) blocks.push(b);
      await src.close();
      expect(Buffer.concat(blocks)).toEqual(Buffer.from(data));
      if (encoding !== 'pcm_s16le') expect(splitChannels(Buffer.concat(blocks), src.format)[0]).toEqual(codes);
    }
  });

  it('leaves no output behind when aborted', async () => {
    const path = join(dir, 'aborted.wav');
    const w = await WavWriter.create(path, { encoding: 'pcm_s16le', sampleRate: 8000, channels: 1 });
    await w.write(new Uint8Array(10));
    await w.abort();
    expect(() => readFileSync(path)).toThrow();
    expect(() => readFileSync(`${path}.partial-${process.pid}`)).toThrow();
  });

  it('reports a directory that does not exist as DG2013', async () => {
    await expect(WavWriter.create(join(dir, 'no', 'such', 'dir.wav'), { encoding: 'alaw', sampleRate: 8000, channels: 1 })).rejects.toThrow(
      new RegExp(`^${AUDIO_ERR.writeFailed}: .*ENOENT`),
    );
  });
});

describe('raw audio and file kinds', () => {
  it('reads --format slin16, alaw and ulaw files as 8 kHz mono', async () => {
    const x = ramp(801);
    const slin = join(dir, 'x.sln');
    writeFileSync(slin, Buffer.from(x.buffer));
    const src = await openAudioFile(slin, { rawFormat: 'slin16' });
    expect(src.format).toEqual({ container: 'raw', encoding: 'pcm_s16le', sampleRate: 8000, channels: 1, blockAlign: 2 });
    expect((await readAll(src, 64))[0]).toEqual(x);
    await src.close();

    const al = join(dir, 'x.al');
    writeFileSync(al, Buffer.from([0xd5, 0x55, 0x2a, 0xaa]));
    const a = await openAudioFile(al, { rawFormat: 'alaw' });
    expect(a.frames).toBe(4);
    expect((await readAll(a))[0]).toEqual(new Int16Array([8, -8, -32256, 32256])); // G.711 Table 1a decision values
    await a.close();
  });

  it('refuses an odd-length slin16 file', async () => {
    const p = join(dir, 'odd.sln');
    writeFileSync(p, Buffer.alloc(7));
    await expect(openAudioFile(p, { rawFormat: 'slin16' })).rejects.toThrow(new RegExp(`^${AUDIO_ERR.rawLength}: .*7 bytes`));
  });

  it('names the formats it reads when a file has no header and no --format', async () => {
    const p = join(dir, 'text.txt');
    writeFileSync(p, 'hello, this is not audio\n');
    await expect(openAudioFile(p)).rejects.toThrow(new RegExp(`^${AUDIO_ERR.unknownFormat}: .*--format slin16\\|alaw\\|ulaw`));
  });

  it('sniffs pcap in both byte orders, ns pcap, pcapng, RF64 and WAV', () => {
    const PCAP_LE = Buffer.from('d4c3b2a1020004000000000000000000', 'hex');
    const PCAP_BE = Buffer.from('a1b2c3d4000200040000000000000000', 'hex');
    const PCAP_NS_LE = Buffer.from('4d3cb2a1020004000000000000000000', 'hex');
    const PCAPNG_SHB = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000', 'hex');
    expect([PCAP_LE, PCAP_BE, PCAP_NS_LE, PCAPNG_SHB].map(sniffFileKind)).toEqual(['pcap', 'pcap', 'pcap', 'pcapng']);
    expect(sniffFileKind(Buffer.from('RF64\xff\xff\xff\xffWAVE', 'latin1'))).toBe('rf64');
    expect(sniffFileKind(Buffer.from('RIFF\x24\x00\x00\x00WAVE', 'latin1'))).toBe('wav');
    expect(sniffFileKind(Buffer.from('RIFF\x24\x00\x00\x00AVI ', 'latin1'))).toBe('raw');
  });

  it('refuses a capture given to the audio reader with DG2004 and the supported formats', async () => {
    const p = join(dir, 'c.pcap');
    writeFileSync(p, Buffer.from('d4c3b2a10200040000000000000000000000040001000000', 'hex'));
    expect(await sniffPath(p)).toBe('pcap');
    await expect(openAudioFile(p)).rejects.toThrow(new RegExp(`^${AUDIO_ERR.unsupportedContainer}: .*pcap capture.*supported: \\.wav`));
  });

  it('gives one clear line for a missing file, a directory and an empty file', async () => {
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, '');
    const sub = join(dir, 'a-directory.wav');
    mkdirSync(sub);
    await expect(openAudioFile(join(dir, 'missing.wav'))).rejects.toThrow(new RegExp(`^${AUDIO_ERR.cannotOpen}: .*no such file`));
    await expect(openAudioFile(sub)).rejects.toThrow(new RegExp(`^${AUDIO_ERR.cannotOpen}: .*is a directory`));
    await expect(openAudioFile(empty)).rejects.toThrow(new RegExp(`^${AUDIO_ERR.empty}: .*empty \\(0 bytes\\)`));
  });
});
