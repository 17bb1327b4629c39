import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import {
  alawDecode,
  alawEncode,
  decodeG711,
  encodeG711,
  g711Silence,
  ulawDecode,
  ulawEncode,
} from '../../../src/dsp/g711.ts';

const { alaw, mulaw } = alawmulaw as unknown as {
  alaw: { encodeSample(s: number): number };
  mulaw: { encodeSample(s: number): number };
};

const ALL_CODEWORDS = Array.from({ length: 256 }, (_, c) => c);

describe('G.711 codewords', () => {
  it('every A-law codeword decodes and encodes back to itself', () => {
    const bad = ALL_CODEWORDS.filter((c) => alawEncode(alawDecode(c)) !== c);
    expect(bad).toEqual([]);
  });

  it('every µ-law codeword round-trips except 0x7F, the negative zero, which becomes 0xFF', () => {
    const bad = ALL_CODEWORDS.filter((c) => ulawEncode(ulawDecode(c)) !== c);
    expect(bad).toEqual([0x7f]);
    expect(ulawDecode(0x7f)).toBe(0);
    expect(ulawDecode(0xff)).toBe(0);
  });

  it('decode tables equal what sox decodes, codeword for codeword', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-g711-'));
    try {
      writeFileSync(join(dir, 'codes'), Buffer.from(ALL_CODEWORDS));
      for (const [codec, soxName, decode] of [
        ['alaw', 'a-law', alawDecode],
        ['ulaw', 'u-law', ulawDecode],
      ] as const) {
        execFileSync('sox', ['-D', '-t', 'raw', '-r', '8000', '-e', soxName, '-b', '8', '-c', '1', join(dir, 'codes'),
          '-t', 'raw', '-e', 'signed', '-b', '16', '-L', join(dir, `${codec}.s16`)]);
        const pcm = readFileSync(join(dir, `${codec}.s16`));
        const theirs = ALL_CODEWORDS.map((c) => pcm.readInt16LE(c * 2));
        expect(ALL_CODEWORDS.map(decode), codec).toEqual(theirs);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('G.711 encoding of all 65,536 inputs', () => {
  const inputs = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) inputs[i] = i - 32768;

  it('A-law agrees with alawmulaw (an independent implementation) on every input', () => {
    const ours = encodeG711('alaw', inputs);
    const mismatches = [];
    for (let i = 0; i < inputs.length; i++) if (ours[i] !== (alaw.encodeSample(inputs[i]) & 0xff)) mismatches.push(inputs[i]);
    expect(mismatches).toEqual([]);
  });

  it('µ-law agrees with alawmulaw on every input', () => {
    const ours = encodeG711('ulaw', inputs);
    const mismatches = [];
    for (let i = 0; i < inputs.length; i++) if (ours[i] !== (mulaw.encodeSample(inputs[i]) & 0xff)) mismatches.push(inputs[i]);
    expect(mismatches).toEqual([]);
  });

  it('quantises symmetrically: x and -x differ only in the sign bit', () => {
    for (let x = 1; x < 32768; x++) {
      expect(alawEncode(-x) ^ alawEncode(x)).toBe(0x80);
      expect(ulawEncode(-x) ^ ulawEncode(x)).toBe(0x80);
    }
  });

  it('the decoded value is the nearest reconstruction level (error within half a step)', () => {
    for (const codec of ['alaw', 'ulaw'] as const) {
      const decoded = decodeG711(codec, encodeG711(codec, inputs));
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i];
        const mag = Math.abs(x);
        // Step size doubles per segment; segment 0/1 step is 16 (A-law) or 8 (µ-law) in 16-bit units.
        const step = codec === 'alaw' ? Math.max(16, 2 ** Math.floor(Math.log2(Math.max(mag, 1))) / 16) : Math.max(8, 2 ** Math.floor(Math.log2(mag + 132)) / 16);
        if (mag < 32000) expect(Math.abs(decoded[i] - x), `${codec} ${x}`).toBeLessThanOrEqual(step);
      }
    }
  });

  it('silence codewords decode to the smallest magnitudes', () => {
    expect(Math.abs(alawDecode(g711Silence('alaw')))).toBe(8);
    expect(ulawDecode(g711Silence('ulaw'))).toBe(0);
  });
});
