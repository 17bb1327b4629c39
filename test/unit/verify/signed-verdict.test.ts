/**
 * Signed verdicts (Ed25519, RFC 8032): a signature checks out on the document as signed, and any
 * change to it — a digit, a leak flag, a hash, a member added or removed, the claimed key or time —
 * makes the check fail; a pinned key must be the signer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson, checkVerdictSignature, signVerdict } from '../../../src/verify/signed-verdict.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

const VERDICT = {
  maskTone: '#',
  result: 'leak',
  files: [{ file: 'call.pcap', kind: 'pcap', sha256: 'ab'.repeat(32), warnings: [], digits: [{ digit: '4', startMs: 100, endMs: 160, source: 'inband', leak: true }], leaks: 1 }],
  digitCount: 1,
  leakCount: 1,
};

describe('signed verdicts', () => {
  it('canonical JSON does not depend on key order or whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }] })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}');
    expect(canonicalJson(JSON.parse(JSON.stringify({ a: 1, b: 2 }, null, 2)))).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('checks out as signed, also after a JSON round trip with other formatting, and pinned to its key', () => {
    const signed = signVerdict(VERDICT, privateKey, new Date('2026-01-01T00:00:00Z'));
    expect(signed.signature).toMatchObject({ algorithm: 'Ed25519', signedAt: '2026-01-01T00:00:00.000Z' });
    expect(checkVerdictSignature(signed)).toMatchObject({ valid: true, pinned: false });
    expect(checkVerdictSignature(JSON.parse(JSON.stringify(signed, null, 4)), publicKey)).toMatchObject({ valid: true, pinned: true });
  });

  it('fails on another trusted key, on no signature, and when the claimed time or key is swapped', () => {
    const signed = signVerdict(VERDICT, privateKey);
    expect(checkVerdictSignature(signed, other.publicKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/not by the trusted key/) });
    expect(checkVerdictSignature(VERDICT)).toMatchObject({ valid: false, reason: expect.stringMatching(/no signature/) });
    expect(checkVerdictSignature({ ...signed, signature: { ...signed.signature, signedAt: '2020-01-01T00:00:00.000Z' } }).valid).toBe(false);
    const resigned = signVerdict(VERDICT, other.privateKey);
    expect(checkVerdictSignature({ ...signed, signature: { ...signed.signature, publicKey: resigned.signature.publicKey, keyId: resigned.signature.keyId } }).valid).toBe(false);
  });

  it('property: any change to any value of the signed document is detected', () => {
    const signed = signVerdict(VERDICT, privateKey);
    // Every leaf path of the document outside the signature value.
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, p: Array<string | number>): void => {
      if (v !== null && typeof v === 'object') {
        for (const [k, c] of Object.entries(v)) walk(c, [...p, Array.isArray(v) ? Number(k) : k]);
      } else if (!(p[0] === 'signature' && p[1] === 'value')) paths.push(p);
    };
    walk(signed, []);
    expect(paths.length).toBeGreaterThan(15);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), (path, value) => {
        const copy = JSON.parse(JSON.stringify(signed)) as Record<string, unknown>;
        let o = copy as Record<string | number, unknown>;
        for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
        const last = path[path.length - 1];
        fc.pre(JSON.stringify(o[last]) !== JSON.stringify(value));
        o[last] = value;
        expect(checkVerdictSignature(copy).valid).toBe(false);
      }),
      { numRuns: 300 },
    );
    // Adding a member anywhere, or removing one, is a change too.
    expect(checkVerdictSignature({ ...signed, note: 'added later' }).valid).toBe(false);
    const { digitCount: _d, ...removed } = signed;
    expect(checkVerdictSignature(removed).valid).toBe(false);
  });
});
