import { open, type FileHandle } from 'node:fs/promises';
import { DgError } from '../errors.ts';
import { AUDIO_ERR } from './audio-errors.ts';

/**
 * Positional reads on a file: headers are walked chunk by chunk and the data is read in blocks,
 * so a multi-hour recording is never held in memory.
 */
export interface RandomAccess {
  readonly size: number;
  /** Up to `length` bytes at `position`; shorter only at the end of the file. */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export class FileRandomAccess implements RandomAccess {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileRandomAccess> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw openError(path, e);
    }
    try {
      const st = await handle.stat();
      if (st.isDirectory()) throw new DgError(AUDIO_ERR.cannotOpen, `${path} is a directory; give an audio file`);
      if (!st.isFile()) throw new DgError(AUDIO_ERR.cannotOpen, `${path} is not a regular file; give an audio file`);
      return new FileRandomAccess(handle, st.size);
    } catch (e) {
      await handle.close();
      throw openError(path, e);
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(buf, got, want - got, position + got);
      if (bytesRead === 0) break; // the file shrank under us: return what there is
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** An in-memory RandomAccess, for tests and for data that is already in a buffer. */
export class BufferRandomAccess implements RandomAccess {
  constructor(private readonly buf: Uint8Array) {}
  get size(): number {
    return this.buf.length;
  }
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(this.buf.length, position + length);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + position, Math.max(0, end - position));
  }
  async close(): Promise<void> {}
}

function openError(path: string, e: unknown): DgError {
  if (e instanceof DgError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new DgError(AUDIO_ERR.cannotOpen, `${path}: no such file; check the path`);
    case 'EISDIR':
      return new DgError(AUDIO_ERR.cannotOpen, `${path} is a directory; give an audio file`);
    case 'EACCES':
    case 'EPERM':
      return new DgError(AUDIO_ERR.cannotOpen, `${path}: permission denied; check the file's permissions`);
    default:
      return new DgError(AUDIO_ERR.cannotOpen, `${path}: cannot read (${code ?? String(e)})`);
  }
}
