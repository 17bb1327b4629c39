/**
 * Detector throughput on 8 kHz audio that looks like a call: speech-like voiced and unvoiced
 * segments with syllable envelopes, pauses, and a DTMF digit every few seconds. Prints one JSON
 * line: {"name":"detector","unit":"x_realtime","value":N} (N: seconds of audio per CPU second, on
 * one core). The reference is spandsp's dtmf_rx in C at roughly 20 000× real time.
 *
 * Usage: npx tsx scripts/bench-detector.ts [seconds-of-audio=60] [min-run-seconds=2]
 */
import { DtmfDetector } from '../src/dsp/detector.ts';
import { DTMF_KEYS } from '../src/dsp/dtmf-keys.ts';
import { dtmfTone, toInt16 } from '../src/dsp/generator.ts';

const audioSeconds = Number(process.argv[2] ?? 60);
const minRunSeconds = Number(process.argv[3] ?? 2);
const fs = 8000;

/** Deterministic PRNG so every run measures the same signal. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function callAudio(seconds: number): Int16Array {
  const rand = prng(1234);
  const x = new Float64Array(seconds * fs);
  let i = 0;
  let nextDigit = 2 * fs;
  let d = 0;
  while (i < x.length) {
    if (i >= nextDigit) {
      const tone = dtmfTone({ key: DTMF_KEYS[d++ % 16], durationMs: 60 + 40 * rand(), levelDbm0: -12 });
      x.set(tone.subarray(0, Math.min(tone.length, x.length - i)), i);
      i += tone.length + 400;
      nextDigit = i + Math.floor((2 + 3 * rand()) * fs);
      continue;
    }
    // A syllable: 80-250 ms, voiced (harmonics of a gliding f0) or unvoiced (noise), then a gap.
    const len = Math.floor((0.08 + 0.17 * rand()) * fs);
    const voiced = rand() < 0.7;
    const f0 = 90 + 160 * rand();
    const amp = 2000 + 6000 * rand();
    let phase = 0;
    for (let k = 0; k < len && i < x.length && i < nextDigit; k++, i++) {
      const env = Math.sin((Math.PI * k) / len);
      let v = 0;
      if (voiced) {
        phase += (2 * Math.PI * f0 * (1 + (0.1 * k) / len)) / fs;
        for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / h;
      } else {
        v = 2 * rand() - 1;
      }
      x[i] = amp * env * v;
    }
    i += Math.floor(0.03 * fs + 0.15 * fs * rand());
  }
  return toInt16(x);
}

const audio = callAudio(audioSeconds);
let digits = 0;
const run = (): void => {
  const det = new DtmfDetector();
  // 20 ms chunks, as a channel of the board receives them.
  for (let off = 0; off < audio.length; off += 160) digits += det.process(audio.subarray(off, off + 160)).length;
  digits += det.flush().length;
};
run(); // warm-up: let V8 optimise the hot loops
digits = 0;
let runs = 0;
// CPU time of this process, not wall time: the figure is per core, and the machine may be busy.
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = cpuSeconds();
let elapsed = 0;
do {
  run();
  runs++;
  elapsed = cpuSeconds() - t0;
} while (elapsed < minRunSeconds);
const value = Math.round((runs * audioSeconds) / elapsed);
process.stderr.write(`detector: ${runs} runs of ${audioSeconds} s, ${digits / runs} digits per run, ${(runs * audio.length / elapsed / 1e6).toFixed(1)} M samples/s\n`);
console.log(JSON.stringify({ name: 'detector', unit: 'x_realtime', value }));
