/**
 * The WebAssembly kernel (src/dsp/wasm/channel-kernel.c) against the JS reference it replaces:
 * on the benchmark workload, the Q.24 rows' edge cases, speech, every mask tone, both G.711 laws,
 * several lookaheads and sample rates, the output must be the same sample for sample (codeword
 * for codeword), with the same mask windows, the same digits (edges included) and the same
 * pending digit after every call. Random chunkings and secure toggles: wasm-kernel-chunking.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchWorkload } from '../../../scripts/dsp-workload.ts';
import { BoardChannelPipeline } from '../../../src/dsp/board-pipeline.ts';
import { DTMF_KEYS, type MaskTone } from '../../../src/dsp/dtmf-keys.ts';
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from '../../../src/dsp/g711.ts';
import { toInt16 } from '../../../src/dsp/generator.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { G711Masker, Masker } from '../../../src/dsp/masker.ts';
import { KERNEL_PATH, loadKernel } from '../../../src/dsp/wasm/kernel.ts';
import { isDgError } from '../../../src/errors.ts';
import { keyedSequence, Q24_EDGE_STREAMS } from './masker-helpers.ts';
import { type ChannelSpec, type Codec, KERNEL_BUILT, type Schedule, asInput, firstDifference, runChannel } from './wasm-kernel-harness.ts';

const ALL_KEYS = DTMF_KEYS.join('');
const ROOT = new URL('../../..', import.meta.url).pathname;

/** Named streams (16-bit linear; G.711 runs take them encoded): the shared Q.24 edge streams and more. */
const FIXTURES: Record<string, () => Int16Array> = {
  ...Q24_EDGE_STREAMS,
  '0 dBm0 (loudest accept row)': () => keyedSequence('147*', { levelDbm0: 0, seed: 14 }).samples,
  'speech only (talk-off material)': () => toInt16(speechLike(3000, 21, -15)),
  'full-scale square wave (clipping, −32768)': () => {
    const x = new Int16Array(4000);
    for (let i = 0; i < x.length; i++) x[i] = (i >> 3) & 1 ? 32767 : -32768;
    return x;
  },
};

function expectSame(spec: ChannelSpec, x: Int16Array, schedule: Schedule): { digits: number; windows: number } {
  const input = asInput(x, spec.codec);
  const js = runChannel(spec, 'js', input, schedule);
  const wasm = runChannel(spec, 'kernel', input, schedule);
  expect(wasm.output.length).toBe(js.output.length);
  // The index of the first difference, not a 100 000-element diff.
  expect(firstDifference(wasm.output, js.output)).toBe(-1);
  expect(wasm.windows).toEqual(js.windows);
  expect(wasm.digits).toEqual(js.digits);
  expect(wasm.pending).toEqual(js.pending);
  return { digits: js.digits.length, windows: js.windows.length };
}

describe('the DSP kernel', () => {
  it('is built where the tests run under CI (setup.sh builds it; the classes would silently run JS)', () => {
    if (process.env.CI) expect(loadKernel(), `${KERNEL_PATH} missing: run scripts/build-wasm.sh`).not.toBeNull();
    const m = new Masker({ maskTone: '#' });
    expect(m.implementation).toBe(KERNEL_BUILT ? 'kernel' : 'js');
    m.dispose();
  });

  it('is not older than its source when built (a stale kernel would run old code)', () => {
    if (!existsSync(KERNEL_PATH)) return;
    // Every C file of the module: the channel kernel and the verifier's attacker receiver.
    for (const name of ['channel-kernel.c', 'attacker-kernel.c']) {
      const source = join(ROOT, 'src/dsp/wasm', name);
      expect(statSync(KERNEL_PATH).mtimeMs, `${name} is newer: run scripts/build-wasm.sh`).toBeGreaterThanOrEqual(statSync(source).mtimeMs);
    }
  });

  it('falls back to the JS implementation when the .wasm is absent (and the CLI still starts)', () => {
    const env = { ...process.env, DTMFGUARD_DSP_KERNEL: '/nonexistent/channel-kernel.wasm' };
    const probe = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', "import('./src/dsp/masker.ts').then((m) => console.log(new m.G711Masker('alaw', { maskTone: '#' }).implementation))"],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('js');
    const help = spawnSync(process.execPath, ['src/cli/bin/dtmfguard.mjs', '--help'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage/);
  });

  it("refuses implementation: 'kernel' when there is none, with a DgError saying how to build it", () => {
    if (KERNEL_BUILT) {
      expect(new Masker({ maskTone: '#', implementation: 'kernel' }).implementation).toBe('kernel');
      return;
    }
    try {
      new Masker({ maskTone: '#', implementation: 'kernel' });
      expect.unreachable();
    } catch (e) {
      expect(isDgError(e) && e.code).toBe('DG2606');
    }
  });
});

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('kernel vs JS reference: the same output, windows, digits and pending digit', () => {
  const w = benchWorkload();

  for (const codec of ['linear', 'alaw'] as const) {
    it(`the benchmark workload (57.5 s, 128 digits), board pipeline, ${codec}, 20 ms calls`, () => {
      const r = expectSame({ kind: 'pipeline', codec, maskTone: '#' }, w.samples, { chunks: [160] });
      expect(r.digits).toBe(w.digits.length);
    });
  }

  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: pipelines and maskers, linear, A-law, µ-law`, () => {
      const x = make();
      for (const codec of ['linear', 'alaw', 'ulaw'] as Codec[]) {
        expectSame({ kind: 'pipeline', codec, maskTone: '#' }, x, { chunks: [160] });
        expectSame({ kind: 'masker', codec, maskTone: '0' }, x, { chunks: [37, 400, 1] });
      }
    });
  }

  it('finds the digits it should (the comparison is not between two channels that find nothing)', () => {
    const x = keyedSequence(ALL_KEYS, { seed: 4 }).samples;
    const run = runChannel({ kind: 'pipeline', codec: 'linear', maskTone: '#' }, 'kernel', x, { chunks: [160] });
    expect(run.digits.map((d) => d.digit).join('')).toBe(ALL_KEYS);
    expect(run.windows.length).toBe(ALL_KEYS.length);
    expect(run.pending.some((p) => p !== null && p.confirmed)).toBe(true);
  });

  for (const maskTone of ['#', '0', '1'] as MaskTone[]) {
    it(`mask tone '${maskTone}': the same mask samples and codewords`, () => {
      const x = keyedSequence('4111111111111111', { seed: 2 }).samples;
      for (const codec of ['linear', 'alaw', 'ulaw'] as Codec[]) expectSame({ kind: 'pipeline', codec, maskTone }, x, { chunks: [160] });
    });
  }

  it('lookaheads 0, 5, 13, 15, 40, 333 and 1000 ms (delay lines shorter and longer than a call)', () => {
    const x = keyedSequence('123A', { speech: true, seed: 5 }).samples;
    for (const lookaheadMs of [0, 5, 13, 15, 40, 333, 1000]) {
      expectSame({ kind: 'pipeline', codec: 'linear', maskTone: '#', lookaheadMs }, x, { chunks: [160, 7] });
      expectSame({ kind: 'masker', codec: 'ulaw', maskTone: '1', lookaheadMs }, x, { chunks: [500] });
    }
  });

  it('other sample rates: halves that are not a multiple of 4 samples (11025 Hz), 16 kHz pipelines', () => {
    const x = keyedSequence('5#', { seed: 6 }).samples;
    expectSame({ kind: 'masker', codec: 'linear', maskTone: '#', sampleRate: 11025 }, x, { chunks: [441] });
    expectSame({ kind: 'masker', codec: 'alaw', maskTone: '0', sampleRate: 4000 }, x, { chunks: [80, 3] });
    expectSame({ kind: 'pipeline', codec: 'linear', maskTone: '#', sampleRate: 16000 }, x, { chunks: [320] });
  });

  it('secure off from the start, toggled between calls, and several streams through one channel', () => {
    const x = keyedSequence('0123456789', { speech: true, seed: 7 }).samples;
    expectSame({ kind: 'pipeline', codec: 'alaw', maskTone: '#', secure: false }, x, { chunks: [160], toggles: new Set([20, 41, 42, 77]), streams: 3 });
    expectSame({ kind: 'masker', codec: 'linear', maskTone: '1' }, x, { chunks: [13, 160, 999], toggles: new Set([3, 4, 5, 9]), streams: 2 });
  });

  it('calls longer than the kernel takes at once (pieces of 8192) and a whole stream in one call', () => {
    const x = w.samples.subarray(0, 200_000);
    expectSame({ kind: 'pipeline', codec: 'linear', maskTone: '#' }, x, { chunks: [20_000, 8192, 8193, 1] });
    expectSame({ kind: 'pipeline', codec: 'ulaw', maskTone: '0' }, x, { chunks: [x.length] });
  });
});

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('kernel G.711 decoding', () => {
  it('the vector decoder gives the decode tables for all 256 codewords of each law (else channels use the table)', () => {
    const kernel = loadKernel()!;
    expect(kernel.decodeMatches('alaw', ALAW_DECODE_TABLE)).toBe(true);
    expect(kernel.decodeMatches('ulaw', ULAW_DECODE_TABLE)).toBe(true);
    // The check can fail: the A-law decoder against the µ-law table.
    expect(kernel.decodeMatches('alaw', ULAW_DECODE_TABLE)).toBe(false);
  });
});

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('kernel channels: memory', () => {
  it('dispose() frees a channel for the next one (no growth over 2000 channels), and a disposed channel refuses work', () => {
    const kernel = loadKernel()!;
    const memory = (): number => (kernel as unknown as { exports(): { memory: WebAssembly.Memory } }).exports().memory.buffer.byteLength;
    const warm = new BoardChannelPipeline({ maskTone: '#' });
    warm.dispose();
    const before = memory();
    for (let i = 0; i < 2000; i++) {
      const p = new BoardChannelPipeline({ maskTone: '#' });
      p.process(new Int16Array(160));
      p.dispose();
    }
    expect(memory()).toBe(before);
    const m = new G711Masker('alaw', { maskTone: '#' });
    m.dispose();
    expect(() => m.process(new Uint8Array(160))).toThrow(/dispose/);
  });

  it('reports the bytes one channel takes in the kernel (40 ms lookahead: delay line + state, under 4 kB)', () => {
    const p = new BoardChannelPipeline({ maskTone: '#' });
    expect(p.stateBytes).toBeGreaterThan(640);
    expect(p.stateBytes).toBeLessThan(4096);
    p.dispose();
  });
});
