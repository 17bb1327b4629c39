import { decodeG711 } from '../dsp/g711.ts';
import type { AudioFormat } from './audio-format.ts';

/**
 * Interleaved frames in any supported encoding → one 16-bit linear array per channel, the form the
 * detector takes. Wider PCM keeps its top 16 bits (DTMF at −25 dBm0 is far above 16-bit
 * quantisation, so nothing the detector needs is lost); float is scaled by 32768 and clipped.
 */
export function decodeToInt16(block: Uint8Array, format: AudioFormat): Int16Array[] {
  const { channels, blockAlign } = format;
  const frames = Math.floor(block.length / blockAlign);
  const view = new DataView(block.buffer, block.byteOffset, block.length);
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Int16Array(frames));

  switch (format.encoding) {
    case 'alaw':
    case 'ulaw': {
      const codes = splitChannels(block, format);
      return codes.map((ch) => decodeG711(format.encoding as 'alaw' | 'ulaw', ch));
    }
    case 'pcm_u8':
      for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c][i] = (block[i * blockAlign + c] - 128) << 8;
      return out;
    case 'pcm_s16le':
      for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c][i] = view.getInt16(i * blockAlign + c * 2, true);
      return out;
    case 'pcm_s24le':
      // The two high bytes of each little-endian 24-bit sample are a signed 16-bit value.
      for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c][i] = view.getInt16(i * blockAlign + c * 3 + 1, true);
      return out;
    case 'pcm_s32le':
      for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c][i] = view.getInt16(i * blockAlign + c * 4 + 2, true);
      return out;
    case 'float32le':
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) {
          const v = Math.round(view.getFloat32(i * blockAlign + c * 4, true) * 32768);
          out[c][i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Number.isNaN(v) ? 0 : v;
        }
      }
      return out;
  }
}

/**
 * One-byte-per-sample interleaved frames (G.711) → one codeword array per channel, untouched, so a
 * masker can hand the same codewords back outside mask windows.
 */
export function splitChannels(block: Uint8Array, format: AudioFormat): Uint8Array[] {
  const { channels } = format;
  if (channels === 1) return [block.slice()];
  const frames = Math.floor(block.length / channels);
  const out: Uint8Array[] = [];
  for (let c = 0; c < channels; c++) {
    const ch = new Uint8Array(frames);
    for (let i = 0; i < frames; i++) ch[i] = block[i * channels + c];
    out.push(ch);
  }
  return out;
}

/** Per-channel codewords → interleaved frames (inverse of splitChannels). */
export function interleaveBytes(channels: Uint8Array[]): Uint8Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Uint8Array(n * channels.length);
  for (let c = 0; c < channels.length; c++) for (let i = 0; i < n; i++) out[i * channels.length + c] = channels[c][i];
  return out;
}

/** Per-channel 16-bit samples → interleaved little-endian PCM16 bytes. */
export function interleaveInt16(channels: Int16Array[]): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const k = channels.length;
  const out = new Uint8Array(n * k * 2);
  const view = new DataView(out.buffer);
  for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) view.setInt16((i * k + c) * 2, channels[c][i], true);
  return out;
}
