/**
 * What a decoded audio header says about the samples that follow, whatever the container.
 * Every reader yields interleaved frames in one of these encodings; sample-decode.ts turns them
 * into 16-bit linear per channel for the detector.
 */
export type SampleEncoding =
  | 'pcm_u8' // WAV 8-bit PCM is unsigned, offset 128 (Microsoft RIFF spec)
  | 'pcm_s16le'
  | 'pcm_s24le'
  | 'pcm_s32le'
  | 'float32le'
  | 'alaw' // ITU-T G.711 A-law, one byte per sample
  | 'ulaw'; // ITU-T G.711 µ-law, one byte per sample

export const BYTES_PER_SAMPLE: Record<SampleEncoding, number> = {
  pcm_u8: 1,
  pcm_s16le: 2,
  pcm_s24le: 3,
  pcm_s32le: 4,
  float32le: 4,
  alaw: 1,
  ulaw: 1,
};

export interface AudioFormat {
  /** Where the samples came from: a RIFF/WAVE file or headerless raw audio. */
  container: 'wav' | 'raw';
  encoding: SampleEncoding;
  sampleRate: number;
  channels: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
}

/** The only rate the detector and the board run at: narrowband telephony (G.711 is 8 kHz by definition). */
export const TELEPHONY_RATE_HZ = 8000;

export function describeFormat(f: AudioFormat): string {
  const ch = f.channels === 1 ? 'mono' : f.channels === 2 ? 'stereo' : `${f.channels} channels`;
  return `${f.container}/${f.encoding}, ${f.sampleRate} Hz, ${ch}`;
}
