/**
 * Verifier benchmark, run by `npm run bench`:
 * 1. recordings: `verifyAudioFile` over an A-law recording of 10 min and one of 60 min (the fixed
 *    DSP workload repeated), each in a fresh process: throughput (multiples of real time, file read
 *    included) and peak resident memory; if reading streams as it should, the 60-minute file needs
 *    no more memory than the 10-minute one.
 * 2. captures: the real command, `node src/cli/bin/dtmfguard.mjs verify --json --mask-tone '#' FILE`
 *    (reader, link/IP/UDP, RTP streams, G.711 decode, the Q.24 and the attacker's receivers on
 *    every stream — on worker threads from 16 MB —, RFC 4733 events), over a generated pcap of
 *    CAPTURE_CALLS concurrent calls, against `tshark -Y rtpevent` over the same file in the same run
 *    (which decodes RTP and events but no audio). Wall clock side by side (the ratio), CPU time of
 *    each (user + system, all threads: the fair figure on a shared machine), captured audio minutes
 *    per second, and peak RSS of a quarter-size and a full-size capture (flat memory: the two must
 *    be close).
 *
 *   npx tsx scripts/bench-verify.ts             # 24 MB capture: quick enough for CI
 *   npx tsx scripts/bench-verify.ts --mb 1024   # the 1 GB figure (run by hand): 256 MB and 1 GB
 *   npx tsx scripts/bench-verify.ts --captures-only [--workers N]
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeAlaw } from '../src/dsp/g711.ts';
import { WavWriter } from '../src/audio/wav-writer.ts';
import { verifyAudioFile } from '../src/verify/audio-verify.ts';
import { encapsulate, udpIpPackets } from '../src/capture/frame-builder.ts';
import { pcapFileHeader, pcapRecord } from '../src/capture/pcap-writer.ts';
import { serializeRtp } from '../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../src/rtp/telephone-event.ts';
import { benchWorkload, RATE } from './dsp-workload.ts';
// @ts-expect-error plain ESM helper without type declarations
import { tsharkRtpEvents, verifyWithCli } from './bench-verify-cli.mjs';

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

const emit = (f: object): void => void process.stdout.write(`${JSON.stringify(f)}\n`);

async function recordings(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-bench-verify-'));
  try {
    for (const minutes of [10, 60]) {
      const path = join(dir, `recording-${minutes}min.wav`);
      await writeRecording(path, minutes);
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', path], { encoding: 'utf8' });
      const r = JSON.parse(out) as { xRealtime: number; maxRssBytes: number; baseline: number; digits: number };
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

/** Concurrent calls in the generated capture: "hundreds of streams". */
const CAPTURE_CALLS = 200;

/**
 * A µs pcap on Ethernet of CAPTURE_CALLS calls of 20 ms PCMA packets. Each call plays the DSP
 * workload (speech-like audio and keyed digits) from its own offset, so the receivers do real work
 * on every stream; every 4 s each call also sends one RFC 4733 key press (5 packets + 2 end repeats).
 * Returns the packet count, audio seconds and event presses written.
 */
function generateCapture(file: string, bytes: number): { packets: number; audioS: number; presses: number; placedDigits: number } {
  const codes = encodeAlaw(benchWorkload().samples);
  const fd = openSync(file, 'w');
  const fmt = { linkType: 1 };
  writeSync(fd, pcapFileHeader(fmt));
  let written = 24;
  let packets = 0;
  let audioPackets = 0;
  let presses = 0;
  const seq = new Array<number>(CAPTURE_CALLS).fill(0);
  const batch: Buffer[] = [];
  let batchBytes = 0;
  const t0 = 1_700_000_000_000_000_000n;
  const frame = (c: number, ts: number, pt: number, payload: Uint8Array, marker = false): Uint8Array => {
    const rtp = serializeRtp({ version: 2, padding: false, extension: false, marker, payloadType: pt, sequence: seq[c]++ & 0xffff, timestamp: ts >>> 0, ssrc: 0x20000 + c, csrc: [], payload });
    const [ip] = udpIpPackets({ src: `10.2.${c >> 8}.${c & 0xff}`, srcPort: 20000 + 2 * c, dst: '10.3.0.1', dstPort: 40000 + 2 * c }, rtp);
    return encapsulate({ linkType: 1 }, ip);
  };
  const push = (ns: bigint, f: Uint8Array): void => {
    const rec = pcapRecord(fmt, ns, f);
    batch.push(rec);
    batchBytes += rec.length;
    written += rec.length;
    packets++;
    if (batchBytes > 1 << 20) {
      writeSync(fd, Buffer.concat(batch));
      batch.length = 0;
      batchBytes = 0;
    }
  };
  for (let tick = 0; written < bytes; tick++) {
    const ns = t0 + BigInt(tick) * 20_000_000n;
    for (let c = 0; c < CAPTURE_CALLS && written < bytes; c++) {
      const off = ((tick + c * 97) * 160) % (codes.length - 160);
      push(ns + BigInt(c) * 50_000n, frame(c, tick * 160, 8, codes.subarray(off, off + 160)));
      audioPackets++;
      const phase = (tick + c) % 200; // one key press every 4 s per call, 100 ms long
      if (phase === 100 || (tick === 0 && phase > 100 && phase < 105)) presses++; // calls that start mid-press count too
      if (phase >= 100 && phase < 105) {
        const start = (tick - (phase - 100)) * 160;
        const end = phase === 104;
        // The code comes from the press's first tick, so a press never changes code half way.
        const ev = serializeTelephoneEvent({ event: (((tick - (phase - 100)) / 200) | 0) % 12, end, volume: 10, duration: (phase - 99) * 160 });
        for (let r = 0; r < (end ? 3 : 1); r++) push(ns + BigInt(c) * 50_000n + 10_000n + BigInt(r), frame(c, start, 101, ev, phase === 100));
      }
    }
  }
  writeSync(fd, Buffer.concat(batch));
  closeSync(fd);
  return { packets, audioS: (audioPackets * 160) / RATE, presses, placedDigits: Math.round(((audioPackets * 160) / codes.length) * 128) };
}

async function captures(mb: number, workers: number | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-bench-verify-cap-'));
  try {
    const runs: Array<{ mb: number; rss: number }> = [];
    for (const size of [mb / 4, mb]) {
      const file = join(dir, `bench-${size}mb.pcap`);
      const g = generateCapture(file, size * 1024 * 1024);
      const fileMb = statSync(file).size / (1024 * 1024);
      const r = verifyWithCli(file, { workers });
      runs.push({ mb: fileMb, rss: r.maxRssBytes });
      if (size !== mb) {
        rmSync(file);
        continue;
      }
      // tshark over the same file, same run: RTP (heuristic) and RFC 4733 events, no audio decoding.
      const ts = tsharkRtpEvents(file);
      const ok = ts.status === 0;
      const ref = ok ? { reference: 'tshark -Y rtpevent (no audio decoding), same file', reference_value: Math.round(g.packets / ts.seconds) } : {};
      const load = loadavg().map((x) => x.toFixed(1)).join(' ');
      process.stderr.write(`bench-verify: ${fileMb.toFixed(0)} MB, ${g.packets} packets, ${r.streams} streams, ${(g.audioS / 60).toFixed(0)} audio min, workers ${r.workers}: ours ${r.seconds.toFixed(1)} s wall, ${r.cpuS.toFixed(1)} s CPU (${r.inband} in-band digits, ${r.events} events of ${g.presses}); tshark ${ts.seconds.toFixed(1)} s wall, ${ts.cpuS.toFixed(1)} s CPU; load average ${load}\n`);
      emit({ name: 'verify.capture.packets_per_s', unit: 'packets/s', value: Math.round(g.packets / r.seconds), ...ref, capture_mb: Math.round(fileMb), streams: r.streams, workers: r.workers });
      emit({ name: 'verify.capture.vs_tshark', unit: 'x tshark packet rate (wall, same run)', value: ok ? Number((ts.seconds / r.seconds).toFixed(2)) : 0, reference: 'target', reference_value: 5 });
      emit({ name: 'verify.capture.cpu_us_per_packet', unit: 'us CPU/packet (all threads)', value: Number(((r.cpuS / g.packets) * 1e6).toFixed(2)), ...(ok ? { reference: 'tshark -Y rtpevent', reference_value: Number(((ts.cpuS / g.packets) * 1e6).toFixed(2)) } : {}) });
      emit({ name: 'verify.capture.vs_tshark_cpu', unit: 'x tshark packets per CPU second', value: ok ? Number((ts.cpuS / r.cpuS).toFixed(2)) : 0 });
      emit({ name: 'verify.capture.audio_minutes_per_s', unit: 'audio min/s', value: Number((g.audioS / 60 / r.seconds).toFixed(1)), capture_mb: Math.round(fileMb) });
      emit({ name: 'verify.capture.inband_digits_found', unit: 'digits', value: r.inband, reference: 'digits placed in the audio (about: each call plays the workload from its own offset)', reference_value: g.placedDigits });
      emit({ name: 'verify.capture.events_found', unit: 'presses', value: r.events, reference: 'presses written', reference_value: g.presses });
      emit({ name: 'verify.capture.load_average', unit: '1-min load (2 cores shared)', value: Number(loadavg()[0].toFixed(1)) });
    }
    emit({ name: 'verify.capture.peak_rss', unit: 'bytes', value: runs[1].rss, reference: `same at a quarter of the size (${Math.round(runs[0].mb)} MB)`, reference_value: runs[0].rss, capture_mb: Math.round(runs[1].mb) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--mb');
  const mb = i > 0 ? Number(process.argv[i + 1]) : 24;
  if (!(mb > 0)) throw new Error('usage: bench-verify.ts [--mb N] [--captures-only]');
  const w = process.argv.indexOf('--workers');
  const workers = w > 0 ? Number(process.argv[w + 1]) : undefined;
  if (!process.argv.includes('--captures-only')) await recordings();
  await captures(mb, workers);
}

const m = process.argv.indexOf('--measure');
const gen = process.argv.indexOf('--generate'); // --generate FILE MB: only write the capture (for profiling by hand)
if (gen > 0) process.stderr.write(`${JSON.stringify(generateCapture(process.argv[gen + 1], Number(process.argv[gen + 2]) * 1024 * 1024))}\n`);
else await (m > 0 ? measure(process.argv[m + 1]) : main());
