import { DgError } from '../errors.ts';
import { AUDIO_ERR } from './audio-errors.ts';
import { BYTES_PER_SAMPLE, TELEPHONY_RATE_HZ, type AudioFormat, type SampleEncoding } from './audio-format.ts';
import type { RandomAccess } from './random-access.ts';

/**
 * RIFF/WAVE header walking (Microsoft "Multimedia Programming Interface and Data Specifications
 * 1.0", and the WAVE_FORMAT_EXTENSIBLE addendum). Chunks may come in any order; each chunk body is
 * padded to an even length (the pad byte is not counted in the chunk size); chunks we do not need
 * (LIST, fact, cue, bext ...) are skipped by seeking, never read.
 */

export const WAVE_FORMAT = {
  pcm: 0x0001,
  float: 0x0003,
  alaw: 0x0006,
  mulaw: 0x0007,
  extensible: 0xfffe,
} as const;

/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag (mmreg.h). */
const EXTENSIBLE_GUID_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

/**
 * Data sizes that writers put in a header they could not go back and fix (writing to a pipe):
 * sox writes 0x7FFFF000, others 0xFFFFFFFF. The data then runs to the end of the file.
 */
const STREAMED_DATA_SIZES = new Set([0xffffffff, 0x7ffff000]);

export interface WavLayout {
  format: AudioFormat;
  /** The fmt chunk's format tag (after resolving WAVE_FORMAT_EXTENSIBLE to its subformat). */
  formatTag: number;
  dataOffset: number;
  /** Bytes the data chunk header declares (undefined when the writer left a streaming placeholder). */
  declaredDataBytes: number | undefined;
  /** Whole frames' worth of data bytes actually present in the file. */
  availableDataBytes: number;
  /** The file ends before the declared end of the data chunk. */
  truncated: boolean;
}

export async function readWavLayout(src: RandomAccess, name: string): Promise<WavLayout> {
  const riff = await src.read(0, 12);
  if (riff.length < 12 || riff.toString('latin1', 0, 4) !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WAVE') {
    throw new DgError(AUDIO_ERR.malformedWav, `${name}: not a RIFF/WAVE file (header damaged or truncated)`);
  }

  let fmt: { format: AudioFormat; tag: number } | undefined;
  let data: { offset: number; size: number } | undefined;
  let pos = 12;
  while (pos + 8 <= src.size && !(fmt && data)) {
    const head = await src.read(pos, 8);
    const id = head.toString('latin1', 0, 4);
    const size = head.readUInt32LE(4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (body + size > src.size) {
        throw new DgError(AUDIO_ERR.truncated, `${name}: file ends inside the fmt chunk; the recording is incomplete`);
      }
      fmt = parseFmt(await src.read(body, Math.min(size, 64)), name);
    } else if (id === 'data') {
      data = { offset: body, size };
      // A streamed or truncated data chunk runs to the end of the file: nothing can follow it.
      if (STREAMED_DATA_SIZES.has(size) || body + size > src.size) break;
    }
    pos = body + size + (size & 1);
  }

  if (!fmt) throw new DgError(AUDIO_ERR.malformedWav, `${name}: WAV file has no fmt chunk before its end; the file is damaged`);
  if (!data) throw new DgError(AUDIO_ERR.malformedWav, `${name}: WAV file has no data chunk; the file is damaged or holds no audio`);

  const streamed = STREAMED_DATA_SIZES.has(data.size);
  const presentBytes = Math.max(0, src.size - data.offset);
  const truncated = !streamed && data.size > presentBytes;
  const usable = streamed ? presentBytes : Math.min(data.size, presentBytes);
  const { blockAlign } = fmt.format;
  return {
    format: fmt.format,
    formatTag: fmt.tag,
    dataOffset: data.offset,
    declaredDataBytes: streamed ? undefined : data.size,
    availableDataBytes: usable - (usable % blockAlign),
    truncated,
  };
}

function parseFmt(b: Buffer, name: string): { format: AudioFormat; tag: number } {
  if (b.length < 16) throw new DgError(AUDIO_ERR.malformedWav, `${name}: fmt chunk is ${b.length} bytes, shorter than 16; the file is damaged`);
  let tag = b.readUInt16LE(0);
  const channels = b.readUInt16LE(2);
  const sampleRate = b.readUInt32LE(4);
  const blockAlign = b.readUInt16LE(12);
  const bits = b.readUInt16LE(14);

  if (tag === WAVE_FORMAT.extensible) {
    // cbSize (2) + wValidBitsPerSample (2) + dwChannelMask (4) + SubFormat GUID (16) = 24 bytes after the 16.
    if (b.length < 40 || !b.subarray(26, 40).equals(EXTENSIBLE_GUID_TAIL)) {
      throw new DgError(AUDIO_ERR.unsupportedEncoding, `${name}: WAVE_FORMAT_EXTENSIBLE with an unknown subformat; convert with: sox ${name} -e signed-integer -b 16 -r 8000 out.wav`);
    }
    tag = b.readUInt16LE(24);
  }

  const encoding = encodingOf(tag, bits);
  if (!encoding) {
    throw new DgError(
      AUDIO_ERR.unsupportedEncoding,
      `${name}: WAV format tag 0x${tag.toString(16).padStart(4, '0')} with ${bits}-bit samples is not supported (PCM 8/16/24/32-bit, float32, A-law, µ-law are); convert with: sox ${name} -e signed-integer -b 16 out.wav`,
    );
  }
  if (channels < 1) throw new DgError(AUDIO_ERR.malformedWav, `${name}: fmt chunk says 0 channels; the file is damaged`);
  if (channels > 2) {
    throw new DgError(AUDIO_ERR.unsupportedChannels, `${name}: ${channels} channels; mono and stereo are supported (split with: sox ${name} out.wav remix 1 2)`);
  }
  if (sampleRate !== TELEPHONY_RATE_HZ) {
    // We do not resample: a resampler in the verifier would be one more thing for an auditor to trust.
    throw new DgError(
      AUDIO_ERR.unsupportedRate,
      `${name}: sample rate ${sampleRate} Hz is not supported; DTMF is verified at 8000 Hz (convert with: sox ${name} -r 8000 out.wav)`,
    );
  }
  if (blockAlign !== channels * BYTES_PER_SAMPLE[encoding]) {
    throw new DgError(AUDIO_ERR.malformedWav, `${name}: fmt block align ${blockAlign} does not match ${channels} channel(s) of ${bits}-bit samples; the file is damaged`);
  }
  return { format: { container: 'wav', encoding, sampleRate, channels, blockAlign }, tag };
}

function encodingOf(tag: number, bits: number): SampleEncoding | undefined {
  switch (tag) {
    case WAVE_FORMAT.pcm:
      return bits === 8 ? 'pcm_u8' : bits === 16 ? 'pcm_s16le' : bits === 24 ? 'pcm_s24le' : bits === 32 ? 'pcm_s32le' : undefined;
    case WAVE_FORMAT.float:
      return bits === 32 ? 'float32le' : undefined;
    case WAVE_FORMAT.alaw:
      return bits === 8 ? 'alaw' : undefined;
    case WAVE_FORMAT.mulaw:
      return bits === 8 ? 'ulaw' : undefined;
    default:
      return undefined;
  }
}
