import { DgError } from '../errors.ts';
import { AUDIO_ERR } from './audio-errors.ts';
import { TELEPHONY_RATE_HZ, type AudioFormat } from './audio-format.ts';
import { FileRandomAccess, type RandomAccess } from './random-access.ts';
import { readWavLayout } from './wav-header.ts';
import { sniffFileKind, SNIFF_BYTES, type FileKind } from './file-kind.ts';

/** Headerless formats a user can name with `--format` (Asterisk's names: slin16 is 8 kHz S16LE here). */
export const RAW_FORMATS = ['slin16', 'alaw', 'ulaw'] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];

export function isRawFormat(s: string): s is RawFormat {
  return (RAW_FORMATS as readonly string[]).includes(s);
}

/**
 * An opened audio file, read block by block. `truncated` is true when the header promised more
 * than the file holds: what is there can still be read, but whoever reports on it must say so.
 */
export interface AudioSource {
  readonly name: string;
  readonly format: AudioFormat;
  /** Frames that can be read. */
  readonly frames: number;
  /** Frames the header declares, when it declares any (WAV, not streamed). */
  readonly declaredFrames: number | undefined;
  readonly truncated: boolean;
  /** Interleaved frames, `framesPerBlock` at a time (the last block may be shorter). */
  blocks(framesPerBlock?: number): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

/** One second of 8 kHz audio per read: small enough for constant memory, big enough to amortise I/O. */
export const DEFAULT_BLOCK_FRAMES = 8000;

class RegionSource implements AudioSource {
  constructor(
    private readonly file: RandomAccess,
    readonly name: string,
    readonly format: AudioFormat,
    private readonly offset: number,
    private readonly bytes: number,
    readonly declaredFrames: number | undefined,
    readonly truncated: boolean,
  ) {}

  get frames(): number {
    return this.bytes / this.format.blockAlign;
  }

  async *blocks(framesPerBlock = DEFAULT_BLOCK_FRAMES): AsyncGenerator<Uint8Array> {
    const step = Math.max(1, framesPerBlock) * this.format.blockAlign;
    for (let pos = 0; pos < this.bytes; pos += step) {
      const want = Math.min(step, this.bytes - pos);
      const got = await this.file.read(this.offset + pos, want);
      if (got.length < want) {
        throw new DgError(AUDIO_ERR.truncated, `${this.name}: file shrank while being read; verify a finished recording`);
      }
      yield got;
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** Opens a RIFF/WAVE file. Throws DgError for anything but 8 kHz mono/stereo audio in a supported encoding. */
export async function openWavSource(file: RandomAccess, name: string): Promise<AudioSource> {
  const layout = await readWavLayout(file, name);
  const { format } = layout;
  if (layout.availableDataBytes === 0 && !layout.truncated) {
    throw new DgError(AUDIO_ERR.noAudio, `${name}: WAV file holds no audio samples (empty data chunk)`);
  }
  const declaredFrames = layout.declaredDataBytes === undefined ? undefined : Math.floor(layout.declaredDataBytes / format.blockAlign);
  return new RegionSource(file, name, format, layout.dataOffset, layout.availableDataBytes, declaredFrames, layout.truncated);
}

/** Opens headerless 8 kHz mono audio in the named format. */
export async function openRawSource(file: RandomAccess, name: string, raw: RawFormat): Promise<AudioSource> {
  const encoding = raw === 'slin16' ? 'pcm_s16le' : raw;
  const blockAlign = raw === 'slin16' ? 2 : 1;
  if (file.size % blockAlign !== 0) {
    throw new DgError(AUDIO_ERR.rawLength, `${name}: ${file.size} bytes is not a whole number of 16-bit samples; is it really --format ${raw}?`);
  }
  const format: AudioFormat = { container: 'raw', encoding, sampleRate: TELEPHONY_RATE_HZ, channels: 1, blockAlign };
  return new RegionSource(file, name, format, 0, file.size, undefined, false);
}

/** Opens a file for reading only if it is non-empty; the caller sniffs and picks a reader. */
export async function openNonEmpty(path: string): Promise<FileRandomAccess> {
  const file = await FileRandomAccess.open(path);
  if (file.size === 0) {
    await file.close();
    throw new DgError(AUDIO_ERR.empty, `${path} is empty (0 bytes); give a recording`);
  }
  return file;
}

export interface OpenAudioOptions {
  /** How to read a file with no recognised header. */
  rawFormat?: RawFormat;
}

/** The kind of a file from its first bytes, after checking it exists, is a file and is not empty. */
export async function sniffPath(path: string): Promise<FileKind> {
  const file = await openNonEmpty(path);
  try {
    return sniffFileKind(await file.read(0, SNIFF_BYTES));
  } finally {
    await file.close();
  }
}

/**
 * Opens a WAV file or, with `rawFormat`, headerless audio. A WAV header wins over `rawFormat`
 * (the header is what the writer knew). Other recognised containers get a clear DG2004.
 */
export async function openAudioFile(path: string, opts: OpenAudioOptions = {}): Promise<AudioSource> {
  const file = await openNonEmpty(path);
  try {
    const kind = sniffFileKind(await file.read(0, SNIFF_BYTES));
    switch (kind) {
      case 'wav':
        return await openWavSource(file, path);
      case 'raw':
        if (!opts.rawFormat) {
          throw new DgError(
            AUDIO_ERR.unknownFormat,
            `${path}: not a WAV file (no RIFF/WAVE header); for headerless audio give --format ${RAW_FORMATS.join('|')}`,
          );
        }
        return await openRawSource(file, path, opts.rawFormat);
      default:
        throw unsupportedKind(path, kind);
    }
  } catch (e) {
    await file.close();
    throw e;
  }
}

export function unsupportedKind(path: string, kind: FileKind): DgError {
  const what: Record<FileKind, string> = {
    wav: 'a WAV file',
    rf64: 'an RF64 file (> 4 GiB WAV)',
    rifx: 'a big-endian RIFX file',
    pcap: 'a pcap capture',
    pcapng: 'a pcapng capture',
    raw: 'headerless audio',
  };
  return new DgError(
    AUDIO_ERR.unsupportedContainer,
    `${path} is ${what[kind]}, which this command cannot read; supported: .wav (PCM, A-law, µ-law, 8000 Hz) and raw audio with --format ${RAW_FORMATS.join('|')}`,
  );
}
