/**
 * DSP benchmark, run by `npm run bench` (node --expose-gc --import tsx scripts/bench-dsp.ts):
 * detector, masker and the board's per-channel pipeline side by side with spandsp's dtmf_rx (C) on
 * the same fixed workload in one run, memory per channel, and the smallest masker lookahead that
 * leaks nothing. Prints one JSON line per figure: {"name","unit","value","reference"?,"reference_value"?}.
 *
 * The masker and pipeline figures measure what the product runs: the WebAssembly kernel
 * (src/dsp/wasm/, `dsp.kernel` says whether it was built); the `*_js` figures the JS reference of
 * the same classes, in the same run.
 *
 * Throughput is in multiples of real time on one core, which is also the number of channels one
 * core could carry. Every timed pass uses fresh per-channel state and 160-sample (20 ms) calls, as
 * a media server feeds a channel; the C harness is timed the same way.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DtmfDetector } from '../src/dsp/detector.ts';
import { Masker, type MaskWindow } from '../src/dsp/masker.ts';
import { BoardChannelPipeline, G711BoardChannelPipeline } from '../src/dsp/board-pipeline.ts';
import { encodeAlaw } from '../src/dsp/g711.ts';
import { benchWorkload, lookaheadCases, RATE, type Workload } from './dsp-workload.ts';
import { buildSpandspHarness, runSpandsp } from './spandsp-harness.ts';

const CHUNK = 160;
/** Long enough per figure to average out timer and GC noise on a busy 2-core machine. */
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
/** Rounds of (ours, reference) pairs per throughput figure; the medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Figure {
  name: string;
  unit: string;
  value: number;
  reference?: string;
  reference_value?: number;
}
function emit(f: Figure): void {
  process.stdout.write(`${JSON.stringify(f)}\n`);
}
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/**
 * Runs `pass` (one whole workload on fresh state) after a warm-up until MIN_SECONDS of this
 * process's CPU time have passed. CPU time (user + system, process.cpuUsage), not wall time: on a
 * shared machine the wall clock also counts the time other processes held the core, and the C
 * reference is timed by its CPU clock too (CLOCK_PROCESS_CPUTIME_ID in spandsp-dtmf-rx.c).
 */
function timeIt(audioSeconds: number, pass: () => number): { xRealtime: number; check: number } {
  let check = pass(); // warm-up: let the JIT compile the hot loops before timing
  pass();
  let passes = 0;
  const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
  const c0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS || passes < 3) {
    check += pass();
    passes++;
    elapsed = cpuSeconds(process.cpuUsage(c0));
  }
  return { xRealtime: (audioSeconds * passes) / elapsed, check };
}

function detectorPass(x: Int16Array): number {
  const d = new DtmfDetector({ sampleRate: RATE });
  let n = 0;
  for (let i = 0; i < x.length; i += CHUNK) n += d.process(x.subarray(i, i + CHUNK)).length;
  return n + d.flush().length;
}

/** What the product runs (the WebAssembly kernel when built, see src/dsp/wasm/kernel.ts), or the JS reference. */
type Impl = 'auto' | 'js';

function maskerPass(x: Int16Array, implementation: Impl = 'auto'): number {
  const m = new Masker({ maskTone: '#', implementation });
  const out = new Int16Array(CHUNK);
  let n = 0;
  for (let i = 0; i < x.length; i += CHUNK) {
    const chunk = x.subarray(i, i + CHUNK);
    m.process(chunk, out);
    n += m.drainWindows().length;
  }
  m.flush();
  n += m.drainWindows().length;
  m.dispose();
  return n;
}

/** Before the shared analysis, for comparison: a detector and a masker each analysing the chunk. */
function separatePipelinePass(x: Int16Array): number {
  return detectorPass(x) + maskerPass(x, 'js');
}

/** The board's audio path on one linear channel: detector + masker over one analysis. */
function pipelinePass(x: Int16Array, implementation: Impl = 'auto'): number {
  const p = new BoardChannelPipeline({ maskTone: '#', implementation });
  const out = new Int16Array(CHUNK);
  let n = 0;
  for (let i = 0; i < x.length; i += CHUNK) {
    n += p.process(x.subarray(i, i + CHUNK), out).digits.length;
    n += p.drainWindows().length;
  }
  n += p.flush().digits.length;
  n += p.drainWindows().length;
  p.dispose();
  return n;
}

/** The board's audio path on one A-law channel: codewords in, decoded for the one analysis, codewords out. */
function g711PipelinePass(codes: Uint8Array, implementation: Impl = 'auto'): number {
  const p = new G711BoardChannelPipeline('alaw', { maskTone: '#', implementation });
  const out = new Uint8Array(CHUNK);
  let n = 0;
  for (let i = 0; i < codes.length; i += CHUNK) {
    const c = codes.subarray(i, i + CHUNK);
    n += p.process(c, c.length === CHUNK ? out : new Uint8Array(c.length)).digits.length;
    n += p.drainWindows().length;
  }
  n += p.flush().digits.length;
  n += p.drainWindows().length;
  p.dispose();
  return n;
}

/**
 * Bytes of heap and typed-array memory per instance, from `count` live instances. A channel run
 * by the kernel keeps its state in the kernel's linear memory, which grows by 64 kB pages: for
 * those the heap of the JS objects is measured and the channel's block in the kernel
 * (`stateBytes`, exact) added.
 */
function bytesPerChannel(make: () => unknown, count = 2000): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  const probe = make() as { implementation?: string; stateBytes?: number };
  const kernel = probe.implementation === 'kernel';
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return kernel ? m.heapUsed : m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const keep: unknown[] = [];
  for (let i = 0; i < count; i++) keep.push(make());
  const after = used();
  if (keep.length !== count) throw new Error('unreachable');
  return (after - before) / count + (kernel ? (probe.stateBytes ?? 0) : 0);
}

/** Samples of placed digits whose output position is not inside a mask window. */
function leakedSamples(w: Workload, lookaheadMs: number): number {
  const m = new Masker({ maskTone: '#', lookaheadMs });
  const windows: MaskWindow[] = [];
  const out = new Int16Array(CHUNK);
  for (let i = 0; i < w.samples.length; i += CHUNK) {
    m.process(w.samples.subarray(i, i + CHUNK), out);
    windows.push(...m.drainWindows());
  }
  m.flush();
  windows.push(...m.drainWindows());
  const d = m.delaySamples;
  let leaked = 0;
  let k = 0;
  for (const digit of w.digits) {
    // Output sample j carries input sample j - d: the tone occupies output [start + d, end + d).
    for (let j = digit.startSample + d; j < digit.endSample + d; j++) {
      while (k < windows.length && windows[k].endSample <= j) k++;
      if (!(k < windows.length && windows[k].startSample <= j)) leaked++;
    }
  }
  return leaked;
}

/** The timed figures; each one's pass processes the whole workload once on fresh state. */
const THROUGHPUT: Record<string, (w: Workload, codes: Uint8Array) => number> = {
  detector: (w) => detectorPass(w.samples),
  masker: (w) => maskerPass(w.samples),
  pipeline: (w) => pipelinePass(w.samples),
  pipeline_alaw: (_w, codes) => g711PipelinePass(codes),
  // The JS reference implementation of the same classes (what runs when the kernel is not built).
  masker_js: (w) => maskerPass(w.samples, 'js'),
  pipeline_js: (w) => pipelinePass(w.samples, 'js'),
  pipeline_alaw_js: (_w, codes) => g711PipelinePass(codes, 'js'),
  pipeline_separate: (w) => separatePipelinePass(w.samples),
};

function main(): void {
  // BENCH_DSP_FIGURES=detector,pipeline runs only those throughput figures (for quick comparisons).
  const only = process.env.BENCH_DSP_FIGURES?.split(',').filter(Boolean);
  const figures = Object.keys(THROUGHPUT).filter((f) => !only || only.includes(f));
  const w = benchWorkload();
  const seconds = w.samples.length / RATE;
  const codes = encodeAlaw(w.samples);

  // The C reference on the very same samples, calibrated to run about MIN_SECONDS per measurement.
  const bin = buildSpandspHarness();
  const probe = runSpandsp(bin, w.samples, 5);
  const iterations = Math.max(5, Math.ceil((MIN_SECONDS * 5) / Math.max(probe.cpuSeconds, 1e-3)));
  const ref = 'spandsp dtmf_rx (C, -O2)';

  // On a shared machine the load changes from second to second, so the runs alternate: C, ours, C,
  // ours, ... in ROUNDS rounds, each timed by its own CPU clock; each of our figures is also
  // compared with the mean of the two C runs around it. Reported: the medians of each side and the
  // ratio of the medians (the headline), with the median of the neighbour ratios as a cross-check.
  const refRuns: number[] = [];
  const ours: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  let c = runSpandsp(bin, w.samples, iterations);
  refRuns.push(c.xRealtimeCpu);
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of figures) {
      // Each figure in a fresh process: the JIT specialises shared code (the masker core serves both
      // Int16Array and Uint8Array) for whatever ran first, and one figure must not tax the next.
      const line = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--throughput', name], { encoding: 'utf8' });
      const value = (JSON.parse(line) as { xRealtime: number }).xRealtime;
      const before = c.xRealtimeCpu;
      c = runSpandsp(bin, w.samples, iterations);
      refRuns.push(c.xRealtimeCpu);
      (ours[name] ??= []).push(value);
      (ratios[name] ??= []).push(value / ((before + c.xRealtimeCpu) / 2));
    }
  }
  const refMedian = median(refRuns);
  const kernel = new Masker({ maskTone: '#' });
  emit({ name: 'dsp.kernel', unit: 'implementation of masker and pipeline figures', value: kernel.implementation === 'kernel' ? 1 : 0, reference: 'WebAssembly kernel built (1) or JS (0)', reference_value: 1 });
  kernel.dispose();
  emit({ name: 'dsp.spandsp_dtmf_rx.throughput', unit: 'x realtime per core (CPU time)', value: round(refMedian) });
  for (const name of figures) {
    emit({ name: `dsp.${name}.throughput`, unit: 'x realtime per core (CPU time)', value: round(median(ours[name])), reference: ref, reference_value: round(refMedian) });
  }
  for (const name of figures) {
    emit({ name: `dsp.${name}.speed_vs_spandsp`, unit: 'ratio of medians', value: round(median(ours[name]) / refMedian, 2), reference: 'target (at least)', reference_value: 1 });
    emit({ name: `dsp.${name}.speed_vs_spandsp_neighbours`, unit: 'median ratio to the neighbouring C runs', value: round(median(ratios[name]), 2), reference: 'target (at least)', reference_value: 1 });
  }
  if (process.env.BENCH_DSP_THROUGHPUT_ONLY) return;

  // The same run's accuracy on the workload: a fast detector that misses digits would be no use.
  emit({ name: 'dsp.detector.digits_found', unit: 'digits', value: detectorPass(w.samples), reference: 'digits placed', reference_value: w.digits.length });
  emit({ name: 'dsp.spandsp_dtmf_rx.digits_found', unit: 'digits', value: c.digits.length, reference: 'digits placed', reference_value: w.digits.length });

  const memDet = bytesPerChannel(() => new DtmfDetector({ sampleRate: RATE }));
  const memMask = bytesPerChannel(() => new Masker({ maskTone: '#' }));
  const memPipe = bytesPerChannel(() => {
    const p = new G711BoardChannelPipeline('alaw', { maskTone: '#' });
    p.process(codes.subarray(0, CHUNK));
    return p;
  });
  const memPipeLinear = bytesPerChannel(() => {
    const p = new BoardChannelPipeline({ maskTone: '#' });
    p.process(w.samples.subarray(0, CHUNK));
    return p;
  });
  const memPipeJs = bytesPerChannel(() => {
    const p = new G711BoardChannelPipeline('alaw', { maskTone: '#', implementation: 'js' });
    p.process(codes.subarray(0, CHUNK));
    return p;
  });
  for (const [name, v] of [
    ['detector', memDet],
    ['masker', memMask],
    ['pipeline', memPipeLinear],
    ['pipeline_alaw', memPipe],
    ['pipeline_alaw_js', memPipeJs],
  ] as const) {
    if (v !== undefined) emit({ name: `dsp.${name}.memory_per_channel`, unit: 'bytes', value: Math.round(v), reference: 'sizeof(dtmf_rx_state_t)', reference_value: c.stateBytes });
  }

  // Smallest lookahead with zero leaked samples at it and at every longer lookahead up to 40 ms,
  // swept in one-sample steps over every case.
  const cases = lookaheadCases();
  const maxSamples = 40 * (RATE / 1000);
  let minNoLeak = maxSamples + 1;
  for (let d = maxSamples; d >= 0; d--) {
    const leaked = cases.reduce((n, k) => n + leakedSamples(k.workload, (d * 1000) / RATE), 0);
    if (leaked > 0) break;
    minNoLeak = d;
  }
  const leakedAtDefault = cases.reduce((n, k) => n + leakedSamples(k.workload, 40), 0);
  emit({ name: 'dsp.masker.leaked_samples_at_40ms', unit: 'samples', value: leakedAtDefault, reference: 'required', reference_value: 0 });
  if (minNoLeak <= maxSamples) {
    emit({ name: 'dsp.masker.min_lookahead_no_leak', unit: 'ms', value: (minNoLeak * 1000) / RATE, reference: 'target (at most)', reference_value: 20 });
    const below = minNoLeak - 1;
    if (below >= 0) {
      const leaked = cases.reduce((n, k) => n + leakedSamples(k.workload, (below * 1000) / RATE), 0);
      emit({ name: 'dsp.masker.leaked_samples_1_sample_below_min', unit: 'samples', value: leaked });
    }
  }
}

const figure = process.argv.indexOf('--throughput');
if (figure > 0) {
  const name = process.argv[figure + 1];
  const pass = THROUGHPUT[name];
  if (!pass) throw new Error(`unknown throughput figure ${name}`);
  const w = benchWorkload();
  const codes = encodeAlaw(w.samples);
  const { xRealtime } = timeIt(w.samples.length / RATE, () => pass(w, codes));
  process.stdout.write(`${JSON.stringify({ xRealtime })}\n`);
} else {
  main();
}
