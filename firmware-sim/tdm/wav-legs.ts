/**
 * WAV files in and out of the TDM feeder. In: 8 kHz mono (the caller leg) or stereo (caller left,
 * agent right), any encoding the verifier reads; G.711 in the channel's own law keeps its
 * codewords, anything else is converted to it. Out: the channel's codewords as a G.711 WAV, so
 * `dtmfguard verify` reads exactly what the board sent.
 */
import { writeFile } from 'node:fs/promises';
import { openAudioFile } from '../../src/audio/audio-source.ts';
import { decodeToInt16, splitChannels } from '../../src/audio/sample-decode.ts';
import { encodeWav } from '../../src/audio/wav-writer.ts';
import { encodeG711, type G711Codec } from '../../src/dsp/g711.ts';
import { DgError } from '../../src/errors.ts';

export interface Legs {
  caller: Uint8Array;
  agent?: Uint8Array;
}

export async function readLegs(path: string, codec: G711Codec): Promise<Legs> {
  const src = await openAudioFile(path);
  try {
    const f = src.format;
    if (f.channels > 2) throw new DgError('DG5804', `${path} has ${f.channels} channels; give a mono (caller) or stereo (caller, agent) file`);
    if (src.truncated) throw new DgError('DG5804', `${path} is truncated (its data chunk ends early); give a complete recording`);
    const parts: Uint8Array[][] = [];
    for await (const block of src.blocks()) {
      parts.push(f.encoding === codec ? splitChannels(block, f) : decodeToInt16(block, f).map((pcm) => encodeG711(codec, pcm)));
    }
    const join = (c: number) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p[c].length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p[c], o);
        o += p[c].length;
      }
      return out;
    };
    return f.channels === 2 ? { caller: join(0), agent: join(1) } : { caller: join(0) };
  } finally {
    await src.close();
  }
}

export async function writeCodewordsWav(path: string, codec: G711Codec, codes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, encodeWav({ encoding: codec, sampleRate: 8000, channels: 1 }, codes));
  } catch (e) {
    throw new DgError('DG5805', `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the output directory`);
  }
}
