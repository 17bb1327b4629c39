import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { DgError } from '../errors.ts';
import { AUDIO_ERR } from './audio-errors.ts';
import { BYTES_PER_SAMPLE, type SampleEncoding } from './audio-format.ts';
import { WAVE_FORMAT } from './wav-header.ts';

export interface WavOutputFormat {
  encoding: SampleEncoding;
  sampleRate: number;
  channels: number;
}

/**
 * The RIFF/WAVE header for `dataBytes` of interleaved frames. Non-PCM formats (A-law, µ-law,
 * float) get the 18-byte fmt chunk with cbSize = 0 and the fact chunk the RIFF spec requires for them.
 */
export function wavHeader(f: WavOutputFormat, dataBytes: number): Buffer {
  const bytes = BYTES_PER_SAMPLE[f.encoding];
  const blockAlign = bytes * f.channels;
  const tag =
    f.encoding === 'alaw' ? WAVE_FORMAT.alaw : f.encoding === 'ulaw' ? WAVE_FORMAT.mulaw : f.encoding === 'float32le' ? WAVE_FORMAT.float : WAVE_FORMAT.pcm;
  const nonPcm = tag !== WAVE_FORMAT.pcm;
  const fmtSize = nonPcm ? 18 : 16;
  const factSize = nonPcm ? 12 : 0;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const h = Buffer.alloc(headerSize);
  let p = 0;
  p += h.write('RIFF', p, 'latin1');
  p = h.writeUInt32LE(headerSize - 8 + dataBytes + (dataBytes & 1), p);
  p += h.write('WAVE', p, 'latin1');
  p += h.write('fmt ', p, 'latin1');
  p = h.writeUInt32LE(fmtSize, p);
  p = h.writeUInt16LE(tag, p);
  p = h.writeUInt16LE(f.channels, p);
  p = h.writeUInt32LE(f.sampleRate, p);
  p = h.writeUInt32LE(f.sampleRate * blockAlign, p);
  p = h.writeUInt16LE(blockAlign, p);
  p = h.writeUInt16LE(bytes * 8, p);
  if (nonPcm) {
    p = h.writeUInt16LE(0, p); // cbSize
    p += h.write('fact', p, 'latin1');
    p = h.writeUInt32LE(4, p);
    p = h.writeUInt32LE(Math.floor(dataBytes / blockAlign), p);
  }
  p += h.write('data', p, 'latin1');
  h.writeUInt32LE(dataBytes, p);
  return h;
}

/** A whole WAV file in memory (fixtures, small outputs). */
export function encodeWav(f: WavOutputFormat, data: Uint8Array): Buffer {
  const pad = data.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([wavHeader(f, data.length), data, pad]);
}

/**
 * Streams a WAV file to disk: header with placeholder sizes, frames as they come, then the sizes
 * patched in. The file is written under a temporary name and renamed on close, so a crash never
 * leaves a half-written output that looks complete.
 */
export class WavWriter {
  private dataBytes = 0;
  private constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly tmpPath: string,
    private readonly format: WavOutputFormat,
    private readonly headerSize: number,
  ) {}

  static async create(path: string, format: WavOutputFormat): Promise<WavWriter> {
    const tmpPath = `${path}.partial-${process.pid}`;
    let handle: FileHandle;
    try {
      handle = await open(tmpPath, 'w');
    } catch (e) {
      throw writeError(path, e);
    }
    const header = wavHeader(format, 0);
    const w = new WavWriter(handle, path, tmpPath, format, header.length);
    await w.guard(() => handle.write(header, 0, header.length, 0));
    return w;
  }

  async write(frames: Uint8Array): Promise<void> {
    if (frames.length === 0) return;
    const at = this.headerSize + this.dataBytes;
    this.dataBytes += frames.length;
    await this.guard(() => this.handle.write(frames, 0, frames.length, at));
  }

  /** Patches the sizes, pads an odd data chunk, and moves the file into place. */
  async close(): Promise<void> {
    const end = this.headerSize + this.dataBytes;
    await this.guard(async () => {
      if (this.dataBytes & 1) await this.handle.write(Buffer.alloc(1), 0, 1, end);
      const header = wavHeader(this.format, this.dataBytes);
      await this.handle.write(header, 0, header.length, 0);
      await this.handle.close();
      await rename(this.tmpPath, this.path);
    });
  }

  /** Drops the partial output (after an input error). */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
    await unlink(this.tmpPath).catch(() => {});
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      await this.abort();
      throw writeError(this.path, e);
    }
  }
}

function writeError(path: string, e: unknown): DgError {
  const code = (e as NodeJS.ErrnoException)?.code ?? String(e);
  return new DgError(AUDIO_ERR.writeFailed, `${path}: cannot write the output (${code}); check the directory exists and is writable`);
}
