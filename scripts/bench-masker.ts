/**
 * Masker figures, one JSON line each ({"name","unit","value"}):
 *   masker                  throughput on speech-like audio with digits, 20 ms chunks, one core
 *   masker_g711             the same through G711Masker (µ-law in and out)
 *   masker_min_lookahead    smallest lookahead leak-free over the leak test set (mask-leak-scan.ts)
 *   masker_state_bytes      per-channel state of a Masker at the default 40 ms lookahead (typed arrays)
 *   masker_heap_bytes       the same measured on the heap: 2000 maskers, all objects included
 *   masker_speech_masked    share of speech-only audio replaced by the mask tone (fail-closed cost)
 *
 *   node --expose-gc --import tsx scripts/bench-masker.ts [--quick]    (npx tsx works; heap figure noisier)
 * --quick skips the lookahead scan (about 10 s on a busy 2-core machine).
 */
import { concat, dtmfTone, silence, toInt16 } from '../src/dsp/generator.ts';
import { type DtmfKey } from '../src/dsp/dtmf-keys.ts';
import { encodeG711 } from '../src/dsp/g711.ts';
import { G711Masker, Masker } from '../src/dsp/masker.ts';
import { minLeakFreeLookaheadMs } from '../src/dsp/mask-leak-scan.ts';
import { speechLike } from '../src/dsp/mask-speech-like.ts';

const RATE = 8000;
const CHUNK = 160; // one 20 ms RTP packet

function emit(name: string, unit: string, value: number): void {
  console.log(JSON.stringify({ name, unit, value: Number(value.toPrecision(4)) }));
}

/** 60 s: speech-like audio, with a 16-digit test PAN keyed (80 ms on, 80 ms off) every 15 s. */
export function benchAudio(): Int16Array {
  const parts: Float64Array[] = [];
  const pan = '4111111111111111';
  for (let s = 0; s < 4; s++) {
    parts.push(speechLike(12_000, 100 + s, -20, RATE));
    for (const d of pan) parts.push(dtmfTone({ key: d as DtmfKey, durationMs: 80, levelDbm0: -10 }), silence(80));
    parts.push(silence(3000 - 16 * 160));
  }
  return toInt16(concat(...parts));
}

/**
 * Audio seconds processed per CPU second of this process (user + system): "per core", and far
 * less disturbed than wall time when other jobs share the machine.
 */
function xRealtime(samples: number, run: () => void, minMs = 1500): number {
  run(); // warm-up: let the JIT compile the hot loops
  let reps = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    run();
    reps++;
  }
  const c = process.cpuUsage(c0);
  return (reps * samples) / RATE / ((c.user + c.system) / 1e6);
}

/** Heap growth (JS objects plus typed-array backing stores) per Masker, over `count` live ones. */
function heapPerMasker(count: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = () => {
    gc?.();
    gc?.(); // a second pass releases what the first one's finalizers freed
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  new Masker({ maskTone: '#' }); // shared mask table built outside the measurement
  const before = used();
  const keep: Masker[] = [];
  for (let i = 0; i < count; i++) keep.push(new Masker({ maskTone: '#' }));
  const after = used();
  return keep.length ? (after - before) / keep.length : 0;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  // Memory first, before the other figures leave megabytes of garbage behind. Only with
  // --expose-gc: without forced collections the heap delta is noise.
  if ((globalThis as { gc?: unknown }).gc) emit('masker_heap_bytes', 'bytes', heapPerMasker(2000));
  const audio = benchAudio();
  const out = new Int16Array(CHUNK);
  emit(
    'masker',
    'x_realtime',
    xRealtime(audio.length, () => {
      const m = new Masker({ maskTone: '#' });
      for (let p = 0; p + CHUNK <= audio.length; p += CHUNK) m.process(audio.subarray(p, p + CHUNK), out);
      m.flush();
    }),
  );
  const codes = encodeG711('ulaw', audio);
  const outCodes = new Uint8Array(CHUNK);
  emit(
    'masker_g711',
    'x_realtime',
    xRealtime(codes.length, () => {
      const m = new G711Masker('ulaw', { maskTone: '#' });
      for (let p = 0; p + CHUNK <= codes.length; p += CHUNK) m.process(codes.subarray(p, p + CHUNK), outCodes);
      m.flush();
    }),
  );
  if (!quick) emit('masker_min_lookahead', 'ms', minLeakFreeLookaheadMs(5, 40));
  emit('masker_state_bytes', 'bytes', new Masker({ maskTone: '#' }).stateBytes);

  // Talk-off cost: speech alone, how much of it comes out as mask tone.
  const speech = toInt16(speechLike(120_000, 7, -20, RATE));
  const m = new Masker({ maskTone: '#' });
  m.process(speech);
  m.flush();
  const masked = m.drainWindows().reduce((n, w) => n + w.endSample - w.startSample, 0);
  emit('masker_speech_masked', 'ratio', masked / speech.length);
}

main();
