/**
 * Shared by the verify and mask integration tests: run the real commands as a user would, and
 * write WAV fixtures from our generator.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { encodeWav } from '../../../src/audio/wav-writer.ts';
import { interleaveInt16 } from '../../../src/audio/sample-decode.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const DTMFGUARD = `${ROOT}src/cli/bin/dtmfguard.mjs`;
export const DTMFGUARD_SIM = `${ROOT}firmware-sim/bin/dtmfguard-sim.mjs`;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const verify = (args: string[], cwd?: string): Promise<RunResult> => run(DTMFGUARD, ['verify', ...args], cwd);
export const mask = (args: string[], cwd?: string): Promise<RunResult> => run(DTMFGUARD_SIM, ['mask', ...args], cwd);

export interface Placed {
  key: DtmfKey;
  startMs: number;
  endMs: number;
}

/** Keys as tones of `onMs` with `offMs` pauses, after `leadMs` of silence; returns samples and placements. */
export function dtmfSequence(keys: string, opts: { onMs?: number; offMs?: number; leadMs?: number; levelDbm0?: number } = {}): { samples: Int16Array; placed: Placed[] } {
  const on = opts.onMs ?? 80;
  const off = opts.offMs ?? 80;
  const lead = opts.leadMs ?? 200;
  const parts = [silence(lead)];
  const placed: Placed[] = [];
  let t = lead;
  for (const key of keys as unknown as DtmfKey[]) {
    parts.push(dtmfTone({ key: key as DtmfKey, durationMs: on, levelDbm0: opts.levelDbm0 ?? -10 }), silence(off));
    placed.push({ key: key as DtmfKey, startMs: t, endMs: t + on });
    t += on + off;
  }
  parts.push(silence(200));
  return { samples: toInt16(concat(...parts)), placed };
}

export function writePcm16Wav(path: string, ...channels: Int16Array[]): void {
  writeFileSync(path, encodeWav({ encoding: 'pcm_s16le', sampleRate: 8000, channels: channels.length }, interleaveInt16(channels)));
}

export interface JsonDigit {
  digit: string;
  startMs: number;
  endMs: number;
  source: string;
  channel?: number;
  leak: boolean;
}
export interface JsonVerdict {
  maskTone: string | null;
  result: string;
  digitCount: number;
  leakCount: number;
  files: Array<{ file: string; kind: string; format?: string; truncated?: boolean; warnings: string[]; digits: JsonDigit[]; leaks: number; error?: { code: string; message: string } }>;
}

export function digitsOf(r: RunResult, file = 0): string {
  return (JSON.parse(r.stdout) as JsonVerdict).files[file].digits.map((d) => d.digit).join('');
}

/** A user error is one line with a DG code, never a stack trace. */
export function expectOneLineError(stderr: string, code: string): void {
  // commander follows a usage error with the program's hint line "(add --help for usage)".
  const lines = stderr.split('\n').filter((l) => l && !l.startsWith('npm warn') && l !== '(add --help for usage)');
  if (lines.length !== 1 || !lines[0].startsWith(`${code}: `) || /\bat .*:\d+:\d+/.test(stderr)) {
    throw new Error(`expected one ${code} line on stderr, got:\n${stderr}`);
  }
}
