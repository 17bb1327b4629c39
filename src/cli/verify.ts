import { Command, Option } from 'commander';
import { isDgError } from '../errors.ts';
import { MASK_TONES, type MaskTone } from '../dsp/dtmf-keys.ts';
import { RAW_FORMATS, sniffPath, unsupportedKind, type RawFormat } from '../audio/audio-source.ts';
import type { FileKind } from '../audio/file-kind.ts';
import { verifyAudioFile } from '../verify/audio-verify.ts';
import { formatVerdictText, summarize, verdictExitCode, type FileVerdict } from '../verify/verdict.ts';

export interface VerifyRunOptions {
  maskTone?: MaskTone;
  rawFormat?: RawFormat;
  allowTruncated?: boolean;
}

export type FileVerifier = (path: string, opts: VerifyRunOptions) => Promise<FileVerdict>;

/**
 * One verifier per file kind, chosen from the file's first bytes. A recognised kind with no entry
 * here (pcap, pcapng, RF64 for now) is refused with a message naming what is supported; adding
 * captures is one import and one entry.
 */
export const readers: Partial<Record<FileKind, FileVerifier>> = {
  wav: verifyAudioFile,
  raw: verifyAudioFile,
};

/** Verifies each file in turn; a file that cannot be read is recorded (and reported), not fatal. */
export async function verifyFiles(paths: string[], opts: VerifyRunOptions, warn: (line: string) => void): Promise<FileVerdict[]> {
  const out: FileVerdict[] = [];
  for (const path of paths) {
    try {
      const kind = await sniffPath(path);
      const reader = readers[kind];
      if (!reader) throw unsupportedKind(path, kind);
      const verdict = await reader(path, opts);
      for (const w of verdict.warnings) warn(`warning: ${path}: ${w}`);
      out.push(verdict);
    } catch (e) {
      if (!isDgError(e)) throw e;
      warn(e.message);
      out.push({ file: path, kind: 'unknown', warnings: [], digits: [], leaks: 0, error: { code: e.code, message: e.message } });
    }
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('List the DTMF digits in recordings; with --mask-tone, report any other digit as a leak (exit 1).')
    .argument('<file...>', 'recordings: .wav (PCM 8/16/24/32-bit, float32, A-law, µ-law; 8000 Hz; mono or stereo) or raw audio with --format')
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('--mask-tone <tone>', 'the appliance mask tone: every other digit is a leak').choices(MASK_TONES))
    .addOption(new Option('--format <format>', 'read files without a WAV header as 8000 Hz mono raw audio of this format').choices(RAW_FORMATS))
    .option('--allow-truncated', 'verify the part of a truncated WAV file that is there (the verdict says truncated) instead of refusing it')
    .addHelpText(
      'after',
      `
Exit status: 0 no leak (or no --mask-tone), 1 leak found, 2 bad usage or unreadable input.
Times are from the start of the file; stereo files are verified per channel (channel 1 = left).

Examples:
  $ dtmfguard verify call.wav
  $ dtmfguard verify --mask-tone '#' --json call-1.wav call-2.wav
  $ dtmfguard verify --format alaw --mask-tone 0 trunk-capture.al`,
    )
    .action(async (files: string[], o: { json?: boolean; maskTone?: MaskTone; format?: RawFormat; allowTruncated?: boolean }) => {
      const verdicts = await verifyFiles(
        files,
        { maskTone: o.maskTone, rawFormat: o.format, allowTruncated: o.allowTruncated },
        (line) => process.stderr.write(`${line}\n`),
      );
      const verdict = summarize(verdicts, o.maskTone);
      process.stdout.write(o.json ? `${JSON.stringify(verdict, null, 2)}\n` : formatVerdictText(verdict));
      process.exitCode = verdictExitCode(verdict);
    });
}
