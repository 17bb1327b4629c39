import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readWavLayout } from '../../../src/audio/wav-header.ts';
import { BufferRandomAccess } from '../../../src/audio/random-access.ts';
import { encodeWav, wavHeader } from '../../../src/audio/wav-writer.ts';
import { AUDIO_ERR } from '../../../src/audio/audio-errors.ts';
import { openWavSource } from '../../../src/audio/audio-source.ts';

/** A chunk as it sits in a RIFF file: id, little-endian size, body, pad byte when the size is odd. */
function chunk(id: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function riff(chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, body]);
}

/** fmt chunk body: tag, channels, rate, byte rate, block align, bits (+ optional extension). */
function fmtBody(tag: number, channels: number, rate: number, bits: number, ext?: Buffer): Buffer {
  const b = Buffer.alloc(16);
  const align = (bits / 8) * channels;
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  return ext ? Buffer.concat([b, ext]) : b;
}

/** WAVE_FORMAT_EXTENSIBLE tail: cbSize 22, valid bits, channel mask, KSDATAFORMAT_SUBTYPE GUID of `subTag`. */
function extensibleExt(subTag: number, bits: number, guidTail = '000000001000800000aa00389b71'): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(22, 0);
  b.writeUInt16LE(bits, 2);
  b.writeUInt32LE(4, 4);
  b.writeUInt16LE(subTag, 8);
  Buffer.from(guidTail, 'hex').copy(b, 10);
  return b;
}

const SAMPLES_16 = Buffer.from([0x01, 0x00, 0xff, 0x7f, 0x00, 0x80, 0xfe, 0xff]); // 1, 32767, -32768, -2

async function layoutOf(buf: Buffer) {
  return readWavLayout(new BufferRandomAccess(buf), 'fixture.wav');
}

async function errorOf(buf: Buffer): Promise<string> {
  try {
    await layoutOf(buf);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('WAV header', () => {
  it('reads a plain 16-bit PCM mono header', async () => {
    const l = await layoutOf(riff([chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', SAMPLES_16)]));
    expect(l.format).toEqual({ container: 'wav', encoding: 'pcm_s16le', sampleRate: 8000, channels: 1, blockAlign: 2 });
    expect(l.dataOffset).toBe(12 + 24 + 8);
    expect(l.availableDataBytes).toBe(8);
    expect(l.truncated).toBe(false);
  });

  it.each([
    [1, 8, 'pcm_u8'],
    [1, 24, 'pcm_s24le'],
    [1, 32, 'pcm_s32le'],
    [3, 32, 'float32le'],
    [6, 8, 'alaw'],
    [7, 8, 'ulaw'],
  ] as const)('maps format tag %i with %i-bit samples to %s', async (tag, bits, encoding) => {
    const data = Buffer.alloc((bits / 8) * 4);
    const l = await layoutOf(riff([chunk('fmt ', fmtBody(tag, 1, 8000, bits)), chunk('data', data)]));
    expect(l.format.encoding).toBe(encoding);
  });

  it.each([
    [6, 8, 'alaw'],
    [7, 8, 'ulaw'],
    [1, 16, 'pcm_s16le'],
  ] as const)('resolves WAVE_FORMAT_EXTENSIBLE with subformat %i', async (sub, bits, encoding) => {
    const l = await layoutOf(riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, bits, extensibleExt(sub, bits))), chunk('data', Buffer.alloc(4))]));
    expect(l.format.encoding).toBe(encoding);
    expect(l.formatTag).toBe(sub);
  });

  it('refuses an extensible subformat GUID that is not a tag-derived one', async () => {
    const buf = riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16, extensibleExt(1, 16, 'ff'.repeat(14)))), chunk('data', Buffer.alloc(4))]);
    expect(await errorOf(buf)).toMatch(new RegExp(`^${AUDIO_ERR.unsupportedEncoding}: .*EXTENSIBLE`));
  });

  it('finds fmt after data, skips LIST and odd-sized chunks with their pad byte', async () => {
    const buf = riff([
      chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00', 'latin1')),
      chunk('junk', Buffer.alloc(3, 0xaa)), // odd: one pad byte follows
      chunk('data', SAMPLES_16),
      chunk('fmt ', fmtBody(1, 1, 8000, 16)),
    ]);
    const l = await layoutOf(buf);
    expect(l.format.encoding).toBe('pcm_s16le');
    expect(buf.subarray(l.dataOffset, l.dataOffset + l.availableDataBytes)).toEqual(SAMPLES_16);
  });

  it('reads an odd-sized 8-bit data chunk followed by a chunk after its pad byte', async () => {
    const data = Buffer.from([0x80, 0x81, 0x7f]);
    const l = await layoutOf(riff([chunk('fmt ', fmtBody(1, 1, 8000, 8)), chunk('data', data), chunk('LIST', Buffer.alloc(4))]));
    expect(l.availableDataBytes).toBe(3);
    expect(l.truncated).toBe(false);
  });

  it('reports a data chunk cut short as truncated, keeping whole frames only', async () => {
    const full = riff([chunk('fmt ', fmtBody(1, 2, 8000, 16)), chunk('data', Buffer.alloc(400))]);
    const cut = full.subarray(0, full.length - 401 + 103); // 103 bytes of data: 25 stereo frames and 3 bytes
    const l = await layoutOf(cut);
    expect(l.truncated).toBe(true);
    expect(l.declaredDataBytes).toBe(400);
    expect(l.availableDataBytes).toBe(100);
  });

  it('reads a streamed header (sox 0x7FFFF000, 0xFFFFFFFF placeholders) to the end of the file, not as truncated', async () => {
    for (const placeholder of [0x7ffff000, 0xffffffff]) {
      const buf = riff([chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', SAMPLES_16)]);
      buf.writeUInt32LE(placeholder, 12 + 24 + 4);
      const l = await layoutOf(buf);
      expect(l.truncated).toBe(false);
      expect(l.declaredDataBytes).toBeUndefined();
      expect(l.availableDataBytes).toBe(8);
    }
  });

  it.each([
    ['a sample rate other than 8000 Hz', riff([chunk('fmt ', fmtBody(1, 1, 16000, 16)), chunk('data', SAMPLES_16)]), AUDIO_ERR.unsupportedRate, /16000 Hz.*sox fixture\.wav -r 8000/],
    ['three channels', riff([chunk('fmt ', fmtBody(1, 3, 8000, 16)), chunk('data', Buffer.alloc(6))]), AUDIO_ERR.unsupportedChannels, /3 channels/],
    ['12-bit PCM', riff([chunk('fmt ', fmtBody(1, 1, 8000, 16).fill(12, 14, 15)), chunk('data', SAMPLES_16)]), AUDIO_ERR.unsupportedEncoding, /12-bit/],
    ['GSM 6.10 (tag 0x31)', riff([chunk('fmt ', fmtBody(0x31, 1, 8000, 8)), chunk('data', SAMPLES_16)]), AUDIO_ERR.unsupportedEncoding, /0x0031/],
    ['no data chunk', riff([chunk('fmt ', fmtBody(1, 1, 8000, 16))]), AUDIO_ERR.malformedWav, /no data chunk/],
    ['no fmt chunk', riff([chunk('data', SAMPLES_16)]), AUDIO_ERR.malformedWav, /no fmt chunk/],
    ['a 14-byte fmt chunk', riff([chunk('fmt ', fmtBody(1, 1, 8000, 16).subarray(0, 14)), chunk('data', SAMPLES_16)]), AUDIO_ERR.malformedWav, /shorter than 16/],
    ['a block align that does not match', riff([chunk('fmt ', fmtBody(1, 1, 8000, 16).fill(4, 12, 13)), chunk('data', SAMPLES_16)]), AUDIO_ERR.malformedWav, /block align/],
    ['a file cut inside the fmt chunk', riff([chunk('fmt ', fmtBody(1, 1, 8000, 16))]).subarray(0, 30), AUDIO_ERR.truncated, /fmt chunk/],
    ['a header shorter than 12 bytes', Buffer.from('RIFF\x00\x00', 'latin1'), AUDIO_ERR.malformedWav, /not a RIFF\/WAVE/],
  ] as const)('refuses %s with one line and its code', async (_what, buf, code, pattern) => {
    const msg = await errorOf(buf);
    expect(msg.startsWith(`${code}: fixture.wav`)).toBe(true);
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('\n');
  });

  it('refuses an empty data chunk as holding no audio', async () => {
    const file = new BufferRandomAccess(riff([chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', Buffer.alloc(0))]));
    await expect(openWavSource(file, 'empty-data.wav')).rejects.toThrow(new RegExp(`^${AUDIO_ERR.noAudio}: empty-data.wav`));
  });

  it('property: the data is found whatever chunks surround it, in whatever order', async () => {
    const extra = fc.array(
      fc.record({ id: fc.constantFrom('LIST', 'junk', 'bext', 'cue '), body: fc.uint8Array({ maxLength: 37 }) }),
      { maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(extra, extra, fc.boolean(), fc.uint8Array({ minLength: 2, maxLength: 64 }), async (before, after, fmtFirst, raw) => {
        const data = Buffer.from(raw.subarray(0, raw.length & ~1));
        fc.pre(data.length > 0);
        const fmt = chunk('fmt ', fmtBody(1, 1, 8000, 16));
        const body = [...before.map((c) => chunk(c.id, c.body)), ...(fmtFirst ? [fmt, chunk('data', data)] : [chunk('data', data), fmt]), ...after.map((c) => chunk(c.id, c.body))];
        const buf = riff(body);
        const l = await layoutOf(buf);
        expect(buf.subarray(l.dataOffset, l.dataOffset + l.availableDataBytes)).toEqual(data);
        expect(l.truncated).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('WAV writer header', () => {
  it('writes the 44-byte canonical PCM header', () => {
    const h = wavHeader({ encoding: 'pcm_s16le', sampleRate: 8000, channels: 1 }, 8);
    const CANONICAL_PCM16_MONO_8K_8_BYTES = [
      '52494646', '2c000000', '57415645', // "RIFF", 36 + 8, "WAVE"
      '666d7420', '10000000', // "fmt ", 16
      '0100', '0100', '401f0000', '803e0000', '0200', '1000', // PCM, 1 ch, 8000 Hz, 16000 B/s, align 2, 16 bit
      '64617461', '08000000', // "data", 8
    ].join('');
    expect(h.toString('hex')).toBe(CANONICAL_PCM16_MONO_8K_8_BYTES);
  });

  it('writes A-law with an 18-byte fmt and a fact chunk, and reads back what it wrote', async () => {
    const data = Buffer.from([0xd5, 0x55, 0x2a]); // odd length: a pad byte follows
    const file = encodeWav({ encoding: 'alaw', sampleRate: 8000, channels: 1 }, data);
    expect(file.length % 2).toBe(0);
    expect(file.readUInt32LE(16)).toBe(18); // fmt size with cbSize
    expect(file.toString('latin1', 38, 42)).toBe('fact');
    expect(file.readUInt32LE(46)).toBe(3); // fact: sample frames
    const l = await layoutOf(file);
    expect(l.format.encoding).toBe('alaw');
    expect(file.subarray(l.dataOffset, l.dataOffset + l.availableDataBytes)).toEqual(data);
  });
});
