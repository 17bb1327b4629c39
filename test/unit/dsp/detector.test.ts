/**
 * The receiver against ITU-T Q.24 (AT&T column), both sides of every limit, for all 16 keys.
 * Each accepted case also checks the reported edges against the tone's real edges.
 */
import { describe, expect, it } from 'vitest';
import { DtmfDetector, detectDigits, type DetectedDigit } from '../../../src/dsp/detector.ts';
import { DTMF_KEYS, type DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, sine, toInt16, whiteNoise, type ToneSpec } from '../../../src/dsp/generator.ts';
import { dbm0ToPeak } from '../../../src/dsp/levels.ts';
import { decodeG711, encodeG711 } from '../../../src/dsp/g711.ts';

const FS = 8000;
/** Accuracy of the reported start and end against the real tone edges (measured: ≤ 3 ms). */
const EDGE_TOLERANCE_MS = 4;

interface Placed {
  key: DtmfKey;
  start: number;
  end: number;
}

/** Builds silence(leadMs) + tone + gap + tone ... + silence(tailMs) and remembers where each tone is. */
function sequence(tones: ToneSpec[], opts: { leadSamples?: number; gapMs?: number; tailMs?: number } = {}) {
  const parts: Float64Array[] = [new Float64Array(opts.leadSamples ?? 0)];
  const placed: Placed[] = [];
  let at = opts.leadSamples ?? 0;
  tones.forEach((spec, i) => {
    if (i > 0) {
      const gap = silence(opts.gapMs ?? 60);
      parts.push(gap);
      at += gap.length;
    }
    const t = dtmfTone(spec);
    parts.push(t);
    placed.push({ key: spec.key, start: at, end: at + t.length });
    at += t.length;
  });
  parts.push(silence(opts.tailMs ?? 60));
  return { signal: concat(...parts), placed };
}

function expectDetected(found: DetectedDigit[], placed: Placed[], label: string): void {
  expect(found.map((d) => d.digit), label).toEqual(placed.map((p) => p.key));
  found.forEach((d, i) => {
    expect(Math.abs(d.startSample - placed[i].start) / 8, `${label}: start of ${d.digit}`).toBeLessThanOrEqual(EDGE_TOLERANCE_MS);
    expect(Math.abs(d.endSample - placed[i].end) / 8, `${label}: end of ${d.digit}`).toBeLessThanOrEqual(EDGE_TOLERANCE_MS);
    expect(d.startMs).toBeCloseTo((d.startSample * 1000) / FS, 9);
    expect(d.endMs).toBeCloseTo((d.endSample * 1000) / FS, 9);
  });
}

/** One tone, at a few block alignments and start phases, must be detected once with good edges. */
function expectAccepted(spec: ToneSpec, label: string): void {
  for (const [lead, phase] of [[0, 0], [27, 1.3], [61, 2.9]] as const) {
    const { signal, placed } = sequence([{ ...spec, phase }], { leadSamples: 160 + lead });
    expectDetected(detectDigits(toInt16(signal)), placed, `${label}, lead ${lead}`);
  }
}

/** One tone, at a few alignments and phases, must not produce any digit. */
function expectRejected(spec: ToneSpec, label: string): void {
  for (const [lead, phase] of [[0, 0], [27, 1.3], [61, 2.9]] as const) {
    const { signal } = sequence([{ ...spec, phase }], { leadSamples: 160 + lead });
    expect(detectDigits(toInt16(signal)), `${label}, lead ${lead}`).toEqual([]);
  }
}

describe('Q.24 frequency deviation: accept ±1.5%, reject ±3.5%', () => {
  it.each(DTMF_KEYS)('key %s: each group and both at ±1.5% are accepted', (key) => {
    for (const dev of [0.015, -0.015]) {
      expectAccepted({ key, durationMs: 50, lowDeviation: dev }, `low ${dev}`);
      expectAccepted({ key, durationMs: 50, highDeviation: dev }, `high ${dev}`);
      expectAccepted({ key, durationMs: 50, lowDeviation: dev, highDeviation: -dev }, `low ${dev} high ${-dev}`);
      // The weak tone is the off-frequency one: the hardest combination with twist.
      expectAccepted({ key, durationMs: 50, highDeviation: dev, twistDb: -8 }, `high ${dev}, low 8 dB louder`);
      expectAccepted({ key, durationMs: 50, lowDeviation: dev, twistDb: 4 }, `low ${dev}, high 4 dB louder`);
    }
  });

  it.each(DTMF_KEYS)('key %s: either group at ±3.5% is rejected', (key) => {
    for (const dev of [0.035, -0.035]) {
      expectRejected({ key, durationMs: 80, lowDeviation: dev }, `low ${dev}`);
      expectRejected({ key, durationMs: 80, highDeviation: dev }, `high ${dev}`);
      expectRejected({ key, durationMs: 80, lowDeviation: dev, highDeviation: dev }, `both ${dev}`);
      // A 1633 Hz tone 3.5% off aliases in the 10 ms phase step; with the low tone 8 dB louder the
      // energy tests alone must still catch it.
      expectRejected({ key, durationMs: 80, highDeviation: dev, twistDb: -8 }, `high ${dev}, low 8 dB louder`);
      expectRejected({ key, durationMs: 80, lowDeviation: dev, twistDb: 4 }, `low ${dev}, high 4 dB louder`);
    }
  });
});

describe('Q.24 level per tone: accept 0 to −25 dBm0, reject −55 dBm0 and below', () => {
  it.each(DTMF_KEYS)('key %s', (key) => {
    // 0 dBm0 per tone sums to a peak above 16-bit full scale: toInt16 clips it, as a real line would.
    for (const level of [0, -10, -25]) expectAccepted({ key, durationMs: 50, levelDbm0: level }, `${level} dBm0`);
    for (const level of [-55, -60]) expectRejected({ key, durationMs: 100, levelDbm0: level }, `${level} dBm0`);
  });
});

describe('Q.24 twist: high group up to 4 dB louder, low group up to 8 dB louder', () => {
  it.each(DTMF_KEYS)('key %s, also at the level edges', (key) => {
    expectAccepted({ key, durationMs: 50, twistDb: 4 }, 'high +4 dB at −10 dBm0');
    expectAccepted({ key, durationMs: 50, twistDb: -8 }, 'low +8 dB at −10 dBm0');
    expectAccepted({ key, durationMs: 50, levelDbm0: -25, twistDb: 4 }, 'low −25, high −21 dBm0');
    expectAccepted({ key, durationMs: 50, levelDbm0: -4, twistDb: 4 }, 'low −4, high 0 dBm0');
    expectAccepted({ key, durationMs: 50, levelDbm0: -17, twistDb: -8 }, 'low −17, high −25 dBm0');
    expectAccepted({ key, durationMs: 50, levelDbm0: 0, twistDb: -8 }, 'low 0, high −8 dBm0');
    expectAccepted({ key, durationMs: 50, levelDbm0: -25, twistDb: -8 }, 'low −25, high −33 dBm0');
  });
});

describe('Q.24 duration: accept 40 ms and longer, reject 23 ms and shorter', () => {
  it.each(DTMF_KEYS)('key %s at every block alignment', (key) => {
    for (let lead = 0; lead < 80; lead += 8) {
      for (const ms of [40, 45, 200]) {
        const { signal, placed } = sequence([{ key, durationMs: ms, phase: lead / 10 }], { leadSamples: 100 + lead });
        expectDetected(detectDigits(toInt16(signal)), placed, `${ms} ms, lead ${lead}`);
      }
      for (const ms of [23, 20, 15, 10, 5]) {
        const { signal } = sequence([{ key, durationMs: ms, phase: lead / 10 }], { leadSamples: 100 + lead });
        expect(detectDigits(toInt16(signal)), `${ms} ms, lead ${lead}`).toEqual([]);
      }
    }
  });

  it('a 23 ms burst at the loudest level and with twist is still rejected', () => {
    for (const key of DTMF_KEYS) {
      expectRejected({ key, durationMs: 23, levelDbm0: 0 }, `${key} 0 dBm0`);
      expectRejected({ key, durationMs: 23, twistDb: 4 }, `${key} +4 dB`);
      expectRejected({ key, durationMs: 23, twistDb: -8 }, `${key} −8 dB`);
    }
  });
});

describe('Q.24 pause: digits 40 ms apart are each reported once', () => {
  it('all 16 keys, 40 ms on / 40 ms off, at several alignments', () => {
    for (let lead = 0; lead < 80; lead += 16) {
      const { signal, placed } = sequence(
        DTMF_KEYS.map((key) => ({ key, durationMs: 40 })),
        { leadSamples: 80 + lead, gapMs: 40 },
      );
      expectDetected(detectDigits(toInt16(signal)), placed, `lead ${lead}`);
    }
  });

  it.each(DTMF_KEYS)('the same key %s five times, 40 ms on / 40 ms off', (key) => {
    for (let lead = 0; lead < 80; lead += 20) {
      const { signal, placed } = sequence(
        Array.from({ length: 5 }, () => ({ key, durationMs: 40 })),
        { leadSamples: 80 + lead, gapMs: 40 },
      );
      expectDetected(detectDigits(toInt16(signal)), placed, `lead ${lead}`);
    }
  });

  it('a 40 ms pause splits at every alignment of both tone edges against the 10 ms blocks', () => {
    // The pause's first and last blocks can each be mostly tone: sweep both edges sample by sample
    // (in steps of 4) so the worst alignment is among the cases.
    for (let lead = 0; lead < 80; lead += 4) {
      for (let first = 320; first < 400; first += 4) {
        const a = dtmfTone({ key: '8', durationMs: first / 8 });
        const b = dtmfTone({ key: '8', durationMs: 40, phase: 1 });
        const signal = concat(new Float64Array(80 + lead), a, silence(40), b, silence(60));
        const placed = [
          { key: '8' as const, start: 80 + lead, end: 80 + lead + a.length },
          { key: '8' as const, start: 80 + lead + a.length + 320, end: 80 + lead + a.length + 320 + b.length },
        ];
        expectDetected(detectDigits(toInt16(signal)), placed, `lead ${lead}, first tone ${first} samples`);
      }
    }
  });

  it('two different keys back to back with no pause are two digits', () => {
    const { signal, placed } = sequence(
      [
        { key: '4', durationMs: 60 },
        { key: '9', durationMs: 60 },
      ],
      { leadSamples: 120, gapMs: 0 },
    );
    expectDetected(detectDigits(toInt16(signal)), placed, 'no pause');
  });
});

describe('Q.24 interruption: a break of up to 10 ms does not split a digit', () => {
  it.each(DTMF_KEYS)('key %s with a 10 ms break anywhere in the block grid', (key) => {
    for (let lead = 0; lead < 80; lead += 8) {
      for (const [before, after] of [
        [40, 40],
        [60, 80],
      ]) {
        const a = dtmfTone({ key, durationMs: before });
        // The tone continues in phase after the break, as a keypad's oscillator would.
        const whole = dtmfTone({ key, durationMs: before + 10 + after });
        const b = whole.subarray(a.length + 80);
        const signal = concat(new Float64Array(100 + lead), a, silence(10), b, silence(60));
        const placed = [{ key, start: 100 + lead, end: 100 + lead + a.length + 80 + b.length }];
        expectDetected(detectDigits(toInt16(signal)), placed, `${before}+10+${after} ms, lead ${lead}`);
      }
    }
  });
});

describe('Q.24 interruption, fine sweep', () => {
  it('a 10 ms break at every position (steps of 4 samples) against the block grid', () => {
    for (let lead = 0; lead < 80; lead += 4) {
      for (let before = 320; before < 400; before += 4) {
        const whole = dtmfTone({ key: 'C', durationMs: (before + 80 + 320) / 8 });
        const cut = whole.slice();
        cut.fill(0, before, before + 80);
        const signal = concat(new Float64Array(80 + lead), cut, silence(60));
        const placed = [{ key: 'C' as const, start: 80 + lead, end: 80 + lead + cut.length }];
        expectDetected(detectDigits(toInt16(signal)), placed, `lead ${lead}, break after ${before} samples`);
      }
    }
  });
});

describe('Q.24 noise: 15 dB SNR (signal: both tones; noise: white Gaussian, full 0–4 kHz band)', () => {
  /** Adds noise 15 dB under the power of the two tones (each at level, the high one + twist). */
  function noisy(signal: Float64Array, level: number, twist: number, seed: number): Float64Array {
    const signalDbm0 = 10 * Math.log10(10 ** (level / 10) + 10 ** ((level + twist) / 10));
    return mix(signal, whiteNoise((signal.length * 1000) / FS, signalDbm0 - 15, seed));
  }

  it('all 16 keys (40 ms on / 40 ms off), several seeds, levels and twists: exactly the digits sent', () => {
    const cases = [
      { level: -10, twist: 0 },
      { level: -25, twist: 0 },
      { level: -10, twist: 4 },
      { level: -10, twist: -8 },
      { level: -17, twist: -8 },
    ];
    for (const { level, twist } of cases) {
      for (let seed = 1; seed <= 4; seed++) {
        const { signal, placed } = sequence(
          DTMF_KEYS.map((key) => ({ key, durationMs: 40, levelDbm0: level, twistDb: twist, phase: seed })),
          { leadSamples: 200 + seed * 9, gapMs: 40, tailMs: 200 },
        );
        const found = detectDigits(toInt16(noisy(signal, level, twist, seed * 1000 + level)));
        expectDetected(found, placed, `${level} dBm0, twist ${twist}, seed ${seed}`);
      }
    }
  });

  it('with ±1.5% deviation and twist on top of the noise', () => {
    for (let seed = 1; seed <= 3; seed++) {
      for (const [dev, twist] of [
        [0.015, -8],
        [-0.015, -8],
        [0.015, 4],
        [-0.015, 4],
      ]) {
        const { signal, placed } = sequence(
          DTMF_KEYS.map((key) => ({ key, durationMs: 50, twistDb: twist, lowDeviation: dev, highDeviation: dev, phase: seed })),
          { leadSamples: 200 + seed * 13, gapMs: 50 },
        );
        const found = detectDigits(toInt16(noisy(signal, -10, twist, seed * 77)));
        expectDetected(found, placed, `dev ${dev}, twist ${twist}, seed ${seed}`);
      }
    }
  });

  it('a tone 3.5% off stays rejected in the noise', () => {
    const specs: Partial<ToneSpec>[] = [
      { lowDeviation: 0.035 },
      { lowDeviation: -0.035 },
      { highDeviation: 0.035, twistDb: -8 },
      { highDeviation: -0.035, twistDb: -8 },
      { lowDeviation: 0.035, twistDb: 4 },
    ];
    for (const spec of specs) {
      for (let seed = 1; seed <= 3; seed++) {
        const { signal } = sequence(DTMF_KEYS.map((key) => ({ key, durationMs: 100, phase: seed, ...spec })), { leadSamples: 90, gapMs: 40 });
        const found = detectDigits(toInt16(noisy(signal, -10, spec.twistDb ?? 0, seed * 31)));
        expect(found, `${JSON.stringify(spec)} seed ${seed}`).toEqual([]);
      }
    }
  });

  it('noise alone, from −40 to 0 dBm0, gives no digit', () => {
    for (const level of [-40, -20, -10, 0]) {
      for (let seed = 1; seed <= 3; seed++) {
        expect(detectDigits(toInt16(whiteNoise(10_000, level, seed))), `${level} dBm0 seed ${seed}`).toEqual([]);
      }
    }
  });
});

describe('through G.711, as the appliance hears digits', () => {
  it.each(['alaw', 'ulaw'] as const)('%s: the acceptance edges are still accepted, the rejection edges still rejected', (codec) => {
    const g711 = (x: Float64Array) => decodeG711(codec, encodeG711(codec, toInt16(x)));
    const accept: Partial<ToneSpec>[] = [
      { levelDbm0: 0 },
      { levelDbm0: -25 },
      { levelDbm0: -25, twistDb: 4 },
      { levelDbm0: -17, twistDb: -8 },
      { lowDeviation: 0.015, highDeviation: -0.015, twistDb: -8 },
      { lowDeviation: -0.015, highDeviation: 0.015, twistDb: 4 },
    ];
    for (const spec of accept) {
      const { signal, placed } = sequence(DTMF_KEYS.map((key) => ({ key, durationMs: 40, ...spec })), { leadSamples: 51, gapMs: 40 });
      expectDetected(detectDigits(g711(signal)), placed, `${codec} ${JSON.stringify(spec)}`);
    }
    const reject: Partial<ToneSpec>[] = [
      { levelDbm0: -55, durationMs: 100 },
      { durationMs: 23 },
      { lowDeviation: 0.035, durationMs: 100 },
      { highDeviation: -0.035, durationMs: 100 },
    ];
    for (const spec of reject) {
      const { signal } = sequence(DTMF_KEYS.map((key) => ({ key, durationMs: 40, ...spec })), { leadSamples: 51, gapMs: 40 });
      expect(detectDigits(g711(signal)), `${codec} ${JSON.stringify(spec)}`).toEqual([]);
    }
  });
});

describe('DC offset', () => {
  it('a DC offset (here up to 3000, about −18 dBm0) does not hide −25 dBm0 digits', () => {
    for (const dc of [500, 1000, 3000, -3000]) {
      const { signal, placed } = sequence(DTMF_KEYS.map((key) => ({ key, durationMs: 40, levelDbm0: -25 })), { leadSamples: 77, gapMs: 40 });
      expectDetected(detectDigits(toInt16(signal.map((v) => v + dc))), placed, `DC ${dc}`);
    }
  });
});

describe('signals that are not DTMF digits', () => {
  const peak = dbm0ToPeak(-10);
  const pair = (f1: number, f2: number, ms: number) => mix(sine(f1, ms, peak), sine(f2, ms, peak));
  const cases: [string, Float64Array][] = [
    ['dial tone 350+440 Hz', pair(350, 440, 2000)],
    ['ringback 440+480 Hz', pair(440, 480, 2000)],
    ['busy 480+620 Hz', pair(480, 620, 500)],
    // SIT (ITU-T E.180 / Telcordia): 913.8 Hz is 2.9% under 941 Hz, 1370.6 Hz 2.6% over 1336 Hz.
    ['special information tone', concat(sine(913.8, 274, peak), sine(1370.6, 274, peak), sine(1776.7, 380, peak))],
    ['fax CNG 1100 Hz', sine(1100, 500, peak)],
    ['fax/modem answer 2100 Hz', sine(2100, 2000, peak)],
    ['two low-group tones 697+770 Hz', pair(697, 770, 200)],
    ['two high-group tones 1209+1336 Hz', pair(1209, 1336, 200)],
    ['three tones 697+770+1209 Hz', mix(pair(697, 770, 200), sine(1209, 200, peak))],
    ...[697, 770, 852, 941, 1209, 1336, 1477, 1633].map((f): [string, Float64Array] => [`one tone, ${f} Hz`, sine(f, 500, peak)]),
  ];
  it.each(cases)('%s gives no digit', (_name, x) => {
    expect(detectDigits(toInt16(concat(silence(30), x, silence(50))))).toEqual([]);
  });
});

describe('DtmfDetector API', () => {
  it('a tone at the very start and one cut by the end of the stream are reported with those edges', () => {
    const a = dtmfTone({ key: '7', durationMs: 60 });
    const b = dtmfTone({ key: '#', durationMs: 57 });
    const signal = toInt16(concat(a, silence(50), b));
    const found = detectDigits(signal);
    expectDetected(found, [
      { key: '7', start: 0, end: a.length },
      { key: '#', start: a.length + 400, end: signal.length },
    ], 'stream edges');
    expect(found[0].startSample).toBeGreaterThanOrEqual(0);
    expect(found[1].endSample).toBeLessThanOrEqual(signal.length);
  });

  it('reports a digit only when it ends, and pending() follows it meanwhile', () => {
    const det = new DtmfDetector();
    expect(det.pending()).toBeNull();
    expect(det.process(toInt16(silence(20)))).toEqual([]);
    expect(det.process(toInt16(dtmfTone({ key: '0', durationMs: 15 })))).toEqual([]);
    expect(det.pending()).toMatchObject({ digit: '0', confirmed: false });
    expect(det.process(toInt16(dtmfTone({ key: '0', durationMs: 45, phase: 0.4 })))).toEqual([]);
    expect(det.pending()).toMatchObject({ digit: '0', confirmed: true });
    const done = det.process(toInt16(silence(50)));
    expect(done.map((d) => d.digit)).toEqual(['0']);
    expect(det.pending()).toBeNull();
    expect(det.flush()).toEqual([]);
  });

  it('flush resets: the same detector gives the same answer on the next stream', () => {
    const { signal } = sequence(DTMF_KEYS.map((key) => ({ key, durationMs: 45 })), { leadSamples: 33, gapMs: 45 });
    const x = toInt16(signal);
    const det = new DtmfDetector();
    const first = [...det.process(x), ...det.flush()];
    const second = [...det.process(x), ...det.flush()];
    expect(first).toHaveLength(16);
    expect(second).toEqual(first);
  });

  it('works at other sample rates (blocks stay 10 ms long)', () => {
    for (const sampleRate of [11025, 16000, 48000]) {
      const parts = [silence(30, sampleRate), dtmfTone({ key: '5', durationMs: 40, sampleRate }), silence(40, sampleRate)];
      parts.push(dtmfTone({ key: 'D', durationMs: 60, sampleRate, highDeviation: 0.015 }), silence(40, sampleRate));
      parts.push(dtmfTone({ key: '1', durationMs: 60, sampleRate, highDeviation: 0.035 }), silence(50, sampleRate));
      parts.push(dtmfTone({ key: '2', durationMs: 20, sampleRate }), silence(50, sampleRate));
      const found = detectDigits(toInt16(concat(...parts)), sampleRate);
      expect(found.map((d) => d.digit), `${sampleRate} Hz`).toEqual(['5', 'D']);
      expect(Math.abs(found[0].startMs - 30)).toBeLessThanOrEqual(EDGE_TOLERANCE_MS);
      expect(Math.abs(found[1].endMs - 170)).toBeLessThanOrEqual(EDGE_TOLERANCE_MS);
    }
  });

  it('can be made more sensitive (a verifier\'s "attacker" receiver) through its options', () => {
    const x = toInt16(concat(silence(40), dtmfTone({ key: '3', durationMs: 22 }), silence(60), dtmfTone({ key: '6', durationMs: 100, levelDbm0: -45 }), silence(60)));
    expect(detectDigits(x)).toEqual([]);
    const keen = new DtmfDetector({ minValidBlocks: 2, minDurationMs: 15, blockTests: { minToneDbm0: -50 } });
    expect([...keen.process(x), ...keen.flush()].map((d) => d.digit)).toEqual(['3', '6']);
  });

  it('refuses a sample rate it cannot work at', () => {
    expect(() => new DtmfDetector({ sampleRate: 4000 })).toThrow(RangeError);
  });
});
