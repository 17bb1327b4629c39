/**
 * The capture verifier on named, generated captures (test/unit/verify/capture-fixture.ts): in-band
 * digits and RFC 4733 events per stream, the mask-tone verdict, the attacker's fragments, loss,
 * reordering and duplicates, and damaged input (never a crash or a hang: a DgError or a partial
 * verdict that says what was skipped).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { isDgError } from '../../../src/errors.ts';
import { verifyCaptureStream } from '../../../src/verify/capture-verify.ts';
import type { DigitReport, FileVerdict } from '../../../src/verify/verdict.ts';
import { buildCapture, type StreamScript } from './capture-fixture.ts';

const verify = (bytes: Uint8Array, opts: Parameters<typeof verifyCaptureStream>[2] = {}): Promise<FileVerdict> =>
  verifyCaptureStream('fixture.pcap', Readable.from([Buffer.from(bytes)]), opts);

const brief = (ds: DigitReport[]): string[] => ds.map((d) => `${d.digit}/${d.source}${d.detector === 'attacker' ? '/fragment' : ''}${d.leak ? '/LEAK' : ''}`);

/** Masked call: the caller's digits replaced by the '#' tone in-band and '#' events. */
const MASKED: StreamScript = {
  audio: [{ silence: 200 }, { tone: '#', ms: 80 }, { silence: 120 }, { tone: '#', ms: 80 }, { silence: 300 }],
  events: [{ key: '#', atMs: 1000, ms: 100 }],
};
const MASKED_AUDIO_LEN = [{ silence: 1400 }] as const;

describe('capture verifier', () => {
  it('a masked call is clean: mask tones in-band and as events, with stream, source and times', async () => {
    const v = await verify(buildCapture([{ ...MASKED, audio: [...MASKED.audio, ...MASKED_AUDIO_LEN] }]), { maskTone: '#' });
    expect(brief(v.digits)).toEqual(['#/inband', '#/inband', '#/rfc4733']);
    expect(v.leaks).toBe(0);
    const [a, b, e] = v.digits;
    expect(a.startMs).toBeCloseTo(200, -1);
    expect(b.startMs).toBeCloseTo(400, -1);
    expect(e).toMatchObject({ startMs: 1000, endMs: 1100, endSeen: true });
    expect(a.stream).toBe('192.0.2.10:40000 > 192.0.2.20:20000 ssrc 0x00001000');
    expect(v.streams).toHaveLength(1);
    expect(v.streams![0]).toMatchObject({ codec: 'PCMA', lost: 0, duplicates: 0, reordered: 0, events: 1 });
  });

  it('an unmasked digit in-band or as an event in another stream is a leak (the check can fail)', async () => {
    const leaky: StreamScript = { audio: [{ silence: 100 }, { tone: '4', ms: 60 }, { silence: 900 }], events: [{ key: '1', atMs: 600, ms: 80 }] };
    const v = await verify(buildCapture([{ ...MASKED, audio: [...MASKED.audio, ...MASKED_AUDIO_LEN] }, leaky]), { maskTone: '#' });
    expect(v.leaks).toBe(2);
    const leaks = v.digits.filter((d) => d.leak);
    expect(brief(leaks)).toEqual(['4/inband/LEAK', '1/rfc4733/LEAK']);
    expect(new Set(leaks.map((d) => d.stream))).toEqual(new Set(['192.0.2.10:40002 > 192.0.2.20:20002 ssrc 0x00001001']));
  });

  it('the attacker receiver catches a 12 ms leading edge of a real digit left before the mask tone', async () => {
    const edge: StreamScript = { audio: [{ silence: 200 }, { tone: '4', ms: 12 }, { tone: '#', ms: 90 }, { silence: 400 }] };
    const v = await verify(buildCapture([edge]), { maskTone: '#' });
    expect(brief(v.digits)).toEqual(['4/inband/fragment/LEAK', '#/inband']);
    const q24only = await verify(buildCapture([edge]), { maskTone: '#', attacker: false });
    expect(brief(q24only.digits)).toEqual(['#/inband']);
  });

  it('without a mask tone every digit is listed, none judged', async () => {
    const v = await verify(buildCapture([{ audio: [{ silence: 100 }, { tone: '4', ms: 60 }, { silence: 100 }, { tone: '1', ms: 60 }, { silence: 300 }] }]));
    expect(brief(v.digits)).toEqual(['4/inband', '1/inband']);
  });

  it('loss (in silence), reordering and duplicates change the statistics, not the digits', async () => {
    const script: StreamScript = { audio: [{ silence: 300 }, { tone: '7', ms: 100 }, { silence: 300 }, { tone: '9', ms: 100 }, { silence: 400 }], events: [{ key: '3', atMs: 900, ms: 80 }] };
    const clean = await verify(buildCapture([script]));
    const rough = await verify(buildCapture([{ ...script, lose: [3, 30], swap: [10, 25, 40], duplicate: true }]));
    expect(brief(rough.digits)).toEqual(brief(clean.digits));
    expect(brief(clean.digits)).toEqual(['7/inband', '9/inband', '3/rfc4733']);
    for (let i = 0; i < clean.digits.length; i++) expect(Math.abs(rough.digits[i].startMs - clean.digits[i].startMs)).toBeLessThanOrEqual(3);
    expect(rough.streams![0]).toMatchObject({ lost: 2 });
    expect(rough.streams![0].reordered).toBeGreaterThanOrEqual(3);
    expect(rough.streams![0].duplicates).toBeGreaterThan(50);
    expect(rough.streams![0].filledSamples).toBe(320);
  });

  it('an empty file and a non-capture are DG6xxx errors (exit 2)', async () => {
    await expect(verify(new Uint8Array(0))).rejects.toMatchObject({ code: 'DG6001', exitCode: 2 });
    await expect(verify(Buffer.from('this is not a capture at all'))).rejects.toMatchObject({ code: 'DG6002', exitCode: 2 });
  });

  it('every truncation of a capture gives a partial verdict that says so, or a DgError before the first packet', async () => {
    const bytes = buildCapture([{ audio: [{ silence: 40 }, { tone: '5', ms: 60 }, { silence: 60 }], events: [{ key: '2', atMs: 50, ms: 40 }] }]);
    let partial = 0;
    let errors = 0;
    for (let n = 0; n < bytes.length; n += 7) {
      try {
        const v = await verify(bytes.subarray(0, n));
        if (v.truncated) {
          partial++;
          expect(v.capture?.partial?.code).toMatch(/^DG600[45]$/);
          expect(v.warnings.join(' ')).toMatch(/damaged at byte \d+.*only the packets before it were verified/);
        }
      } catch (e) {
        expect(isDgError(e), String(e)).toBe(true);
        errors++;
      }
    }
    // Both outcomes occur: cut inside the file header (error), cut inside a later record (partial).
    expect(errors).toBeGreaterThan(0);
    expect(partial).toBeGreaterThan(10);
  });

  it('property: random bytes and mutated captures never crash: a verdict or a DgError', async () => {
    const base = buildCapture([{ audio: [{ silence: 20 }, { tone: '6', ms: 50 }, { silence: 20 }], events: [{ key: '6', atMs: 10, ms: 40 }] }]);
    const outcome = async (b: Uint8Array): Promise<void> => {
      try {
        const v = await verify(b);
        expect(Array.isArray(v.digits)).toBe(true);
      } catch (e) {
        expect(isDgError(e), String(e)).toBe(true);
      }
    };
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), outcome), { numRuns: 150 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (flips) => {
        const m = Buffer.from(base);
        for (const [at, v] of flips) m[at] = v;
        await outcome(m);
      }),
      { numRuns: 150 },
    );
  });
});
