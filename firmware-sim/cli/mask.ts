import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DgError } from '../../src/errors.ts';
import { MASK_TONES, type MaskTone } from '../../src/dsp/dtmf-keys.ts';
import { G711Masker, Masker, MIN_LEAK_FREE_LOOKAHEAD_MS, type MaskWindow } from '../../src/dsp/masker.ts';
import { AUDIO_ERR } from '../../src/audio/audio-errors.ts';
import { describeFormat } from '../../src/audio/audio-format.ts';
import { openAudioFile, type AudioSource } from '../../src/audio/audio-source.ts';
import { decodeToInt16, interleaveBytes, interleaveInt16, splitChannels } from '../../src/audio/sample-decode.ts';
import { WavWriter } from '../../src/audio/wav-writer.ts';

/** The board's default lookahead (design brief: delay line of 40 ms). */
const DEFAULT_LOOKAHEAD_MS = 40;
const MAX_LOOKAHEAD_MS = 1000;

export interface MaskFileOptions {
  maskTone: MaskTone;
  lookaheadMs?: number;
}

export interface MaskFileResult {
  input: string;
  output: string;
  format: string;
  frames: number;
  maskTone: MaskTone;
  delaySamples: number;
  /** Mask windows in the output file's time, per channel (1-based); they never carry a digit value. */
  windows: Array<{ channel: number; startMs: number; endMs: number }>;
}

/** One channel's masker over either codewords (G.711: outside windows the same bytes come back) or PCM16. */
interface ChannelMasker {
  readonly delaySamples: number;
  process(block: Uint8Array | Int16Array): Uint8Array | Int16Array;
  flush(): Uint8Array | Int16Array;
  drainWindows(): MaskWindow[];
}

/**
 * Runs one channel of the board's DSP pipeline (detector on the undelayed input, delay line,
 * masker) over a WAV file offline, in secure mode, per channel. The board's delay is removed from
 * the output so it lines up sample for sample with the input (same length, same timing); the
 * output has the input's format, and for G.711 the input's codewords outside mask windows.
 */
export async function maskFile(input: string, output: string, opts: MaskFileOptions): Promise<MaskFileResult> {
  if ((await canonical(input)) === (await canonical(output))) {
    throw new DgError(AUDIO_ERR.sameFile, `${output} is the input file; write the masked audio to another file`);
  }
  const src = await openAudioFile(input);
  let writer: WavWriter | undefined;
  try {
    const { format } = src;
    if (src.truncated) {
      throw new DgError(AUDIO_ERR.truncated, `${input}: truncated: the file ends before its data chunk does; mask a complete recording`);
    }
    const g711 = format.encoding === 'alaw' || format.encoding === 'ulaw';
    if (!g711 && format.encoding !== 'pcm_s16le') {
      throw new DgError(
        AUDIO_ERR.maskEncoding,
        `${input}: mask writes its output in the input's format and supports 16-bit PCM, A-law and µ-law, not ${format.encoding}; convert with: sox ${input} -b 16 in16.wav`,
      );
    }
    // secure: true spelled out: this command is the board's secure-mode path (interface contract).
    const maskerOpts = { maskTone: opts.maskTone, lookaheadMs: opts.lookaheadMs ?? DEFAULT_LOOKAHEAD_MS, sampleRate: format.sampleRate, secure: true };
    const maskers: ChannelMasker[] = Array.from({ length: format.channels }, () =>
      g711 ? (new G711Masker(format.encoding as 'alaw' | 'ulaw', maskerOpts) as ChannelMasker) : (new Masker(maskerOpts) as ChannelMasker),
    );
    const delay = maskers[0].delaySamples;
    writer = await WavWriter.create(output, { encoding: format.encoding, sampleRate: format.sampleRate, channels: format.channels });

    const split = (block: Uint8Array): Array<Uint8Array | Int16Array> => (g711 ? splitChannels(block, format) : decodeToInt16(block, format));
    const join = (chs: Array<Uint8Array | Int16Array>): Uint8Array => (g711 ? interleaveBytes(chs as Uint8Array[]) : interleaveInt16(chs as Int16Array[]));
    // The first `delay` output samples are the delay line's initial silence: drop them to re-align.
    let skip = delay;
    const emit = async (chs: Array<Uint8Array | Int16Array>): Promise<void> => {
      const drop = Math.min(skip, chs[0].length);
      skip -= drop;
      if (drop < chs[0].length) await writer!.write(join(chs.map((ch) => ch.subarray(drop))));
    };

    const windows: MaskFileResult['windows'] = [];
    const collect = (): void => {
      maskers.forEach((m, c) => {
        for (const w of m.drainWindows()) {
          // Windows are in the masker's (delayed) output indexes; shift them onto the aligned file.
          const start = Math.max(0, w.startSample - delay);
          const end = Math.min(src.frames, w.endSample - delay);
          if (end > start) windows.push({ channel: c + 1, startMs: (start * 1000) / format.sampleRate, endMs: (end * 1000) / format.sampleRate });
        }
      });
    };
    for await (const block of src.blocks()) {
      const chs = split(block);
      await emit(chs.map((ch, c) => maskers[c].process(ch)));
      collect();
    }
    await emit(maskers.map((m) => m.flush()));
    collect();
    await writer.close();
    windows.sort((a, b) => a.startMs - b.startMs || a.channel - b.channel);
    return { input, output, format: describeFormat(format), frames: src.frames, maskTone: opts.maskTone, delaySamples: delay, windows };
  } catch (e) {
    await writer?.abort();
    throw e;
  } finally {
    await src.close();
  }
}

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

function parseLookahead(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_LOOKAHEAD_MS) {
    throw new DgError(AUDIO_ERR.badOption, `--lookahead-ms must be a number of milliseconds from 0 to ${MAX_LOOKAHEAD_MS} (got '${s}')`);
  }
  return n;
}

export function register(program: Command): void {
  program
    .command('mask')
    .description("Run one channel of the board's DSP pipeline offline, in secure mode: every DTMF digit in IN is replaced by the mask tone.")
    .argument('<in>', 'input .wav: 16-bit PCM, A-law or µ-law, 8000 Hz, mono or stereo (each channel masked on its own)')
    .argument('<out>', 'output .wav, same format as the input (G.711 codewords outside mask windows unchanged), aligned with the input')
    .addOption(new Option('--mask-tone <tone>', 'the DTMF tone that replaces every digit').choices(MASK_TONES).default('#'))
    .option('--lookahead-ms <ms>', 'delay line length: how far the detector looks ahead of the output', String(DEFAULT_LOOKAHEAD_MS))
    .option('--json', 'print a JSON summary (format, delay, mask windows) on stdout')
    .addHelpText(
      'after',
      `
Exit status: 0 written, 2 bad usage or unreadable input.

Examples:
  $ dtmfguard-sim mask call.wav call-masked.wav
  $ dtmfguard-sim mask --mask-tone 0 --lookahead-ms 20 --json call.wav call-masked.wav
  $ dtmfguard verify --mask-tone 0 call-masked.wav   # should exit 0`,
    )
    .action(async (input: string, output: string, o: { maskTone: MaskTone; lookaheadMs: string; json?: boolean }) => {
      const lookaheadMs = parseLookahead(o.lookaheadMs);
      if (lookaheadMs < MIN_LEAK_FREE_LOOKAHEAD_MS) {
        // Allowed (an experiment may want to see the leak) but never silently.
        process.stderr.write(
          `warning: --lookahead-ms ${lookaheadMs} is below ${MIN_LEAK_FREE_LOOKAHEAD_MS} ms, the masker's guaranteed leak-free lookahead; the start of a digit may get through\n`,
        );
      }
      const result = await maskFile(input, output, { maskTone: o.maskTone, lookaheadMs });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const seconds = (result.frames / 8000).toFixed(3);
        process.stdout.write(
          `${output}: ${result.format}, ${seconds} s, ${result.windows.length} mask window(s) with tone '${result.maskTone}', lookahead ${result.delaySamples / 8} ms\n`,
        );
      }
    });
}
