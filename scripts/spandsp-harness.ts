/**
 * Builds and runs scripts/spandsp-dtmf-rx.c, spandsp's dtmf_rx as an independent reference
 * receiver: the benchmark's speed reference and a test oracle for our detector.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'spandsp-dtmf-rx.c');

export interface SpandspDigit {
  digit: string;
  /** Samples at which dtmf_rx decided the digit was on and off (lagging the tone edges). */
  onSample: number;
  offSample: number;
}

export interface SpandspRun {
  digits: SpandspDigit[];
  samples: number;
  iterations: number;
  chunk: number;
  /** Wall-clock time of the timed passes, and multiples of real time by it. */
  seconds: number;
  xRealtime: number;
  /** CPU time of the timed passes (CLOCK_PROCESS_CPUTIME_ID), and multiples of real time by it. */
  cpuSeconds: number;
  xRealtimeCpu: number;
  stateBytes: number;
}

/** Compiles the harness with -O2 into `outDir` (default: the system temp dir), once per source change. */
export function buildSpandspHarness(outDir = join(tmpdir(), 'dtmfguard-spandsp')): string {
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, 'spandsp-dtmf-rx');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(HARNESS_SOURCE).mtimeMs) {
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'spandsp'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    execFileSync('gcc', ['-O2', '-Wall', '-o', bin, HARNESS_SOURCE, ...flags], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

/** Runs dtmf_rx over `samples` (8 kHz): digits from a sample-exact pass, then `iterations` timed passes. */
export function runSpandsp(bin: string, samples: Int16Array, iterations = 0, chunk = 160, workDir = dirname(bin)): SpandspRun {
  const file = join(workDir, `workload-${process.pid}.s16le`);
  writeFileSync(file, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  try {
    return JSON.parse(execFileSync(bin, [file, String(iterations), String(chunk)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as SpandspRun;
  } finally {
    execFileSync('rm', ['-f', file]);
  }
}
