/**
 * Verifier benchmark, run by `npm run bench`: `verifyAudioFile` over an A-law recording of 10 min
 * and one of 60 min (the fixed DSP workload repeated), each in a fresh process. Reports throughput
 * (multiples of real time, file read included) and the peak resident memory of each process: if
 * reading streams as it should, the 60-minute file needs no more memory than the 10-minute one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeAlaw } from '../src/dsp/g711.ts';
import { WavWriter } from '../src/audio/wav-writer.ts';
import { verifyAudioFile } from '../src/verify/audio-verify.ts';
import { benchWorkload, RATE } from './dsp-workload.ts';

async function writeRecording(path: string, minutes: number): Promise<number> {
  const codes = encodeAlaw(benchWorkload().samples);
  const w = await WavWriter.create(path, { encoding: 'alaw', sampleRate: RATE, channels: 1 });
  let frames = 0;
  while (frames < minutes * 60 * RATE) {
    await w.write(codes);
    frames += codes.length;
  }
  await w.close();
  return frames;
}

async function measure(path: string): Promise<void> {
  const baseline = process.resourceUsage().maxRSS * 1024; // node, tsx and the modules, before any audio
  const t0 = process.hrtime.bigint();
  const v = await verifyAudioFile(path, { maskTone: '#' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const audio = (v.durationMs ?? 0) / 1000;
  process.stdout.write(`${JSON.stringify({ xRealtime: audio / seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, baseline, digits: v.digits.length })}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-bench-verify-'));
  try {
    for (const minutes of [10, 60]) {
      const path = join(dir, `recording-${minutes}min.wav`);
      await writeRecording(path, minutes);
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', path], { encoding: 'utf8' });
      const r = JSON.parse(out) as { xRealtime: number; maxRssBytes: number; baseline: number; digits: number };
      const emit = (f: object): void => void process.stdout.write(`${JSON.stringify(f)}\n`);
      emit({ name: `verify.alaw_${minutes}min.throughput`, unit: 'x realtime per core', value: Math.round(r.xRealtime) });
      emit({ name: `verify.alaw_${minutes}min.peak_rss`, unit: 'bytes', value: r.maxRssBytes });
      emit({ name: `verify.alaw_${minutes}min.peak_rss_growth`, unit: 'bytes', value: r.maxRssBytes - r.baseline });
      emit({ name: `verify.alaw_${minutes}min.digits_found`, unit: 'digits', value: r.digits, reference: 'digits placed', reference_value: Math.ceil((minutes * 60) / 57.48) * 128 });
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--measure');
await (i > 0 ? measure(process.argv[i + 1]) : main());
