import { DgError } from '../errors.ts';
import type { MaskTone } from '../dsp/dtmf-keys.ts';
import { AUDIO_ERR } from '../audio/audio-errors.ts';
import { describeFormat } from '../audio/audio-format.ts';
import { openAudioFile, type RawFormat } from '../audio/audio-source.ts';
import { decodeToInt16 } from '../audio/sample-decode.ts';
import { InbandScanner, type InbandDigit } from './inband-scanner.ts';
import { SnippetRecorder, type AudioSnippet } from './snippet-recorder.ts';
import { isLeak, type DigitReport, type FileVerdict } from './verdict.ts';

export interface AudioVerifyOptions {
  maskTone?: MaskTone;
  /** How to read a file without a recognised header. */
  rawFormat?: RawFormat;
  /** Verify what a truncated file holds instead of refusing it (the verdict then says truncated). */
  allowTruncated?: boolean;
  /** Frames per read (tests use small blocks to prove chunking does not matter). */
  blockFrames?: number;
  /** Run the attacker's receiver (fragments too short or quiet for Q.24) too. Default true. */
  attacker?: boolean;
  /** When given, filled with the audio around each digit (for the HTML report). */
  snippets?: Map<DigitReport, AudioSnippet>;
}

/**
 * Verifies one recording in a single streaming pass: blocks are read, split into channels and fed
 * to one detector per channel, so memory stays constant whatever the length of the file.
 * Throws DgError when the file cannot be read (the caller records it per file).
 */
export async function verifyAudioFile(path: string, opts: AudioVerifyOptions = {}): Promise<FileVerdict> {
  const src = await openAudioFile(path, { rawFormat: opts.rawFormat });
  try {
    const { format } = src;
    const warnings: string[] = [];
    if (src.truncated) {
      const have = (src.frames / format.sampleRate).toFixed(3);
      const want = ((src.declaredFrames ?? 0) / format.sampleRate).toFixed(3);
      const what = `the header declares ${want} s of audio but the file holds ${have} s; the recording is incomplete`;
      // An auditor must never get a clean verdict on a cut-off recording without being told.
      if (!opts.allowTruncated) throw new DgError(AUDIO_ERR.truncated, `${path}: truncated: ${what} (add --allow-truncated to verify the part that is there)`);
      warnings.push(`truncated: ${what}; only that part was verified`);
    }
    if (format.container === 'wav' && src.declaredFrames === undefined) {
      // Written to a pipe: the writer could not go back to fill in the length, so a cut-off file
      // looks the same as a complete one. Read to the end, and say that nothing could be checked.
      warnings.push('the WAV header gives no data length (the file was written to a pipe); it was read to its end and could not be checked for truncation');
    }
    if (src.frames === 0) throw new DgError(AUDIO_ERR.noAudio, `${path}: holds no audio samples`);

    const rate = format.sampleRate;
    const detectors = Array.from({ length: format.channels }, () => new InbandScanner({ sampleRate: rate, attacker: opts.attacker }));
    let snippetCount = 0;
    const recorders = Array.from({ length: format.channels }, () =>
      opts.snippets
        ? new SnippetRecorder<DigitReport>((d, s) => {
            if (snippetCount++ < 500) opts.snippets!.set(d, s);
          }, rate)
        : undefined,
    );
    const digits: DigitReport[] = [];
    const stereo = format.channels > 1;
    const collect = (channel: number, found: InbandDigit[]): void => {
      for (const d of found) {
        const r: DigitReport = {
          digit: d.digit,
          startMs: (d.startSample * 1000) / rate,
          endMs: (d.endSample * 1000) / rate,
          source: 'inband',
          ...(stereo ? { channel: channel + 1 } : {}),
          detector: d.detector,
          leak: isLeak(d.digit, opts.maskTone),
        };
        digits.push(r);
        recorders[channel]?.request(r, d.startSample, d.endSample);
      }
    };
    for await (const block of src.blocks(opts.blockFrames)) {
      const channels = decodeToInt16(block, format);
      for (let c = 0; c < channels.length; c++) {
        recorders[c]?.push(channels[c]);
        collect(c, detectors[c].process(channels[c]));
      }
    }
    for (let c = 0; c < detectors.length; c++) {
      collect(c, detectors[c].flush());
      detectors[c].dispose();
      recorders[c]?.flush();
    }
    // Channels are detected independently; report in time order, left before right on a tie.
    digits.sort((a, b) => a.startMs - b.startMs || (a.channel ?? 0) - (b.channel ?? 0));

    return {
      file: path,
      kind: format.container,
      format: describeFormat(format),
      durationMs: (src.frames * 1000) / format.sampleRate,
      ...(src.truncated ? { truncated: true } : {}),
      warnings,
      digits,
      leaks: digits.filter((d) => d.leak).length,
    };
  } finally {
    await src.close();
  }
}
