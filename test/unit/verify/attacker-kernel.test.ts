/**
 * The attacker receiver's WebAssembly port (src/dsp/wasm/attacker-kernel.c, through
 * src/verify/attacker-receiver.ts) against its JS reference (src/verify/attacker-detector.ts):
 * fragment for fragment (key, start, end, hits), over speech-like audio with Q.24 digits, 10–23 ms
 * bursts down to −45 dBm0 alone and under speech, the same after a masker, white noise, and in any
 * chunking with restarts (fast-check). Then the in-band scanner end to end, and memory.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTMF_KEYS, type DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { Masker } from '../../../src/dsp/masker.ts';
import { KERNEL_PATH, loadKernel } from '../../../src/dsp/wasm/kernel.ts';
import type { Fragment } from '../../../src/verify/attacker-detector.ts';
import { attackerReceiver } from '../../../src/verify/attacker-receiver.ts';
import { BoardChannelPipeline } from '../../../src/dsp/board-pipeline.ts';
import { InbandScanner, type InbandDigit } from '../../../src/verify/inband-scanner.ts';

const KERNEL_BUILT = loadKernel() !== null;

/** What a receiver finds in x fed in `chunks` (cycled), flushed (a restart of the stream) at each of the ascending `restarts` and at the end; then disposed. */
function feed<T>(r: { process(x: Int16Array): T[]; flush(): T[]; dispose(): void }, x: Int16Array, chunks: number[], restarts: number[]): T[] {
  const out: T[] = [];
  let k = 0;
  let cut = 0;
  for (let i = 0; i < x.length; ) {
    let n = Math.min(chunks[k++ % chunks.length], x.length - i);
    if (cut < restarts.length && restarts[cut] > i && restarts[cut] < i + n) n = restarts[cut] - i;
    out.push(...r.process(x.subarray(i, i + n)));
    i += n;
    if (cut < restarts.length && restarts[cut] === i) {
      out.push(...r.flush());
      cut++;
    }
  }
  out.push(...r.flush());
  r.dispose();
  return out;
}

/** Fragments of x fed in `chunks` (cycled), with a flush (a restart of the stream) after each index in `restarts`. */
function fragments(x: Int16Array, implementation: 'js' | undefined, chunks: number[] = [160], restarts: number[] = []): Fragment[] {
  const r = attackerReceiver({}, implementation);
  if (implementation === undefined) expect(r.implementation).toBe('kernel');
  return feed(r, x, chunks, restarts);
}

const keys = (s: string): DtmfKey[] => [...s] as DtmfKey[];

/**
 * Named fixture "speech, digits and bursts": speech-like audio at −10, −20 and −35 dBm0 with a
 * Q.24 digit after each stretch (40–80 ms, −10 to −30 dBm0), then a burst of 10–23 ms at −45 to
 * −10 dBm0 with twist −3..+3 dB, every other one under speech at −35 dBm0.
 */
function speechDigitsBursts(seed: number): Float64Array {
  const parts: Float64Array[] = [];
  const levels = [-10, -20, -35];
  keys('4111111111111111').forEach((k, i) => {
    parts.push(speechLike(500, seed + i, levels[i % 3]));
    parts.push(dtmfTone({ key: k, durationMs: 40 + 10 * (i % 5), levelDbm0: -10 - 4 * (i % 6) }), silence(40 + i));
    const burst = dtmfTone({ key: DTMF_KEYS[(seed + i) % 16], durationMs: 10 + (i % 14), levelDbm0: -45 + 5 * (i % 8), twistDb: (i % 3) * 3 - 3 });
    parts.push(i % 2 ? mix(burst, speechLike(burst.length / 8, seed + 100 + i, -35)) : burst, silence(30));
  });
  return concat(...parts);
}

describe('attacker receiver kernel: presence', () => {
  it('is built where the tests run under CI (setup.sh builds it; the verifier would silently run JS)', () => {
    if (process.env.CI) {
      expect(loadKernel(), `${KERNEL_PATH} missing: run scripts/build-wasm.sh`).not.toBeNull();
      expect(attackerReceiver().implementation).toBe('kernel');
    }
  });

  it('runs the JS reference for a configuration the port does not cover, and when asked', () => {
    expect(attackerReceiver({ hopSamples: 8 }).implementation).toBe('js');
    expect(attackerReceiver({ sampleRate: 16000 }).implementation).toBe('js');
    expect(attackerReceiver({ screen: false }).implementation).toBe('js');
    expect(attackerReceiver({}, 'js').implementation).toBe('js');
  });
});

describe.skipIf(!KERNEL_BUILT && !process.env.CI)('attacker receiver kernel vs JS reference: the same fragments', () => {
  it('speech, digits and bursts through A-law and µ-law, in 20 ms packets and odd chunks', () => {
    for (const seed of [1, 7, 13]) {
      const pcm = toInt16(speechDigitsBursts(seed));
      for (const x of [decodeAlaw(encodeAlaw(pcm)), decodeUlaw(encodeUlaw(pcm))]) {
        const ref = fragments(x, 'js');
        // The bursts are there to be found: a comparison of two empty lists could not fail.
        expect(ref.length).toBeGreaterThan(8);
        expect(fragments(x, undefined)).toEqual(ref);
        expect(fragments(x, undefined, [33, 1, 4097])).toEqual(ref);
        // One call longer than the kernel's piece and its buffer.
        expect(fragments(x, undefined, [x.length])).toEqual(fragments(x, 'js', [x.length]));
      }
    }
  });

  it('masked digits (the masker in front, mask tone #) and white noise', () => {
    const m = new Masker({ maskTone: '#', lookaheadMs: 40 });
    const pcm = toInt16(speechDigitsBursts(3));
    const masked = new Int16Array(pcm.length + m.delaySamples);
    masked.set(m.process(pcm));
    masked.set(m.flush(), pcm.length);
    const ref = fragments(masked, 'js');
    expect(ref.length).toBeGreaterThan(0);
    expect(fragments(masked, undefined)).toEqual(ref);
    const noise = toInt16(whiteNoise(3000, -20, 5));
    expect(fragments(noise, undefined)).toEqual(fragments(noise, 'js'));
  });

  it('property: bursts of 10–23 ms down to −45 dBm0, off frequency and twisted, over noise, in any chunking with restarts', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 15 }),
            ms: fc.integer({ min: 8, max: 60 }),
            level: fc.double({ min: -50, max: -5, noNaN: true }),
            dev: fc.double({ min: -0.04, max: 0.04, noNaN: true }),
            twist: fc.double({ min: -8, max: 8, noNaN: true }),
            gap: fc.integer({ min: 1, max: 60 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: -80, max: -30 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 3 }),
        (tones, noise, seed, chunks, restarts) => {
          const signal = concat(
            ...tones.flatMap((t) => [
              dtmfTone({ key: DTMF_KEYS[t.key], durationMs: t.ms, levelDbm0: t.level, lowDeviation: t.dev, highDeviation: -t.dev, twistDb: t.twist }),
              silence(t.gap),
            ]),
          );
          const x = decodeAlaw(encodeAlaw(toInt16(mix(signal, whiteNoise(signal.length / 8, noise, seed)))));
          const cuts = [...new Set(restarts)].sort((a, b) => a - b);
          expect(fragments(x, undefined, chunks, cuts)).toEqual(fragments(x, 'js', chunks, cuts));
        },
      ),
      { numRuns: 120 },
    );
  });

  it('the in-band scanner gives the same digits with either receiver (Q.24 digits and fragments)', () => {
    const x = decodeAlaw(encodeAlaw(toInt16(speechDigitsBursts(11))));
    const scan = (implementation: 'js' | undefined): InbandDigit[] => {
      const s = new InbandScanner({ implementation });
      const out: InbandDigit[] = [];
      for (let i = 0; i < x.length; i += 160) out.push(...s.process(x.subarray(i, i + 160)));
      out.push(...s.flush());
      s.dispose();
      return out;
    };
    const ref = scan('js');
    expect(ref.filter((d) => d.detector === 'q24').length).toBeGreaterThanOrEqual(16);
    expect(ref.filter((d) => d.detector === 'attacker').length).toBeGreaterThan(4);
    expect(scan(undefined)).toEqual(ref);
  });

  it('property: the in-band scanner with the kernel attacker receiver equals the JS one in any chunking with restarts', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ key: fc.integer({ min: 0, max: 15 }), ms: fc.integer({ min: 8, max: 90 }), level: fc.double({ min: -45, max: -5, noNaN: true }), gap: fc.integer({ min: 5, max: 80 }) }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 6000 }), { maxLength: 3 }),
        (tones, seed, chunks, restarts) => {
          const signal = concat(silence(20), ...tones.flatMap((t) => [dtmfTone({ key: DTMF_KEYS[t.key], durationMs: t.ms, levelDbm0: t.level }), silence(t.gap)]));
          const x = decodeAlaw(encodeAlaw(toInt16(mix(signal, speechLike(signal.length / 8, seed, -40)))));
          const cuts = [...new Set(restarts)].sort((a, b) => a - b);
          const scan = (implementation: 'js' | undefined): InbandDigit[] => feed(new InbandScanner({ implementation }), x, chunks, cuts);
          expect(scan(undefined)).toEqual(scan('js'));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the module's other channels keep working after attacker receivers grew its memory", () => {
    const mem = (loadKernel()!.exports() as unknown as { memory: WebAssembly.Memory }).memory;
    const tone = toInt16(concat(dtmfTone({ key: '5', durationMs: 60, levelDbm0: -10 }), silence(100)));
    const first = new BoardChannelPipeline({ maskTone: '#', lookaheadMs: 0, secure: false });
    expect(first.implementation).toBe('kernel');
    const before = mem.buffer.byteLength;
    const held = [];
    while (mem.buffer.byteLength === before) held.push(attackerReceiver());
    const second = new BoardChannelPipeline({ maskTone: '#', lookaheadMs: 0, secure: false });
    for (const p of [first, second]) {
      const digits = [...p.process(tone).digits, ...p.flush().digits];
      expect(digits.map((d) => d.digit)).toEqual(['5']);
      p.dispose();
    }
    for (const r of held) r.dispose();
  });

  it('memory: a disposed receiver is reused, so opening and disposing many does not grow the module', () => {
    const mem = (loadKernel()!.exports() as unknown as { memory: WebAssembly.Memory }).memory;
    for (let i = 0; i < 50; i++) attackerReceiver().dispose();
    const size = mem.buffer.byteLength;
    for (let i = 0; i < 2000; i++) {
      const r = attackerReceiver();
      r.process(new Int16Array(160));
      r.dispose();
    }
    expect(mem.buffer.byteLength).toBe(size);
    const r = attackerReceiver();
    r.dispose();
    expect(() => r.process(new Int16Array(160))).toThrow(/dispose/);
  });
});
