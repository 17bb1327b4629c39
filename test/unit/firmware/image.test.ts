import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildImage,
  verifyImage,
  readHeader,
  DEV_PUBLIC_KEY,
  DEV_PRIVATE_KEY_PATH,
  HEADER_LENGTH,
  TRAILER_LENGTH,
} from '../../../firmware-sim/firmware/index.ts';

const DEV_PRIVATE = readFileSync(DEV_PRIVATE_KEY_PATH, 'utf8');
const MODEL = 'DG-SIM';
/** Fixture: a small recognisable payload (not a real firmware). */
const PAYLOAD_FIXTURE = new Uint8Array(Buffer.from('simulator payload fixture v1\n'));
const signedImage = () => buildImage({ model: MODEL, version: '1.2.3', payload: PAYLOAD_FIXTURE }, DEV_PRIVATE);

function otherKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    priv: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    pub: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

describe('firmware image format', () => {
  it('lays out header, payload and trailer as documented', () => {
    const img = signedImage();
    expect(img.length).toBe(HEADER_LENGTH + PAYLOAD_FIXTURE.length + TRAILER_LENGTH);
    expect(Buffer.from(img.subarray(0, 4)).toString()).toBe('DGFW');
    const dv = new DataView(img.buffer, img.byteOffset);
    expect(dv.getUint16(4)).toBe(1);
    expect(dv.getUint16(6)).toBe(128);
    expect(dv.getUint32(72)).toBe(PAYLOAD_FIXTURE.length);
    expect(Buffer.from(img.subarray(76, 108))).toEqual(createHash('sha256').update(PAYLOAD_FIXTURE).digest());
    expect(Buffer.from(img.subarray(HEADER_LENGTH, HEADER_LENGTH + PAYLOAD_FIXTURE.length))).toEqual(Buffer.from(PAYLOAD_FIXTURE));
    const trailer = img.subarray(HEADER_LENGTH + PAYLOAD_FIXTURE.length);
    expect(Buffer.from(trailer.subarray(0, 4)).toString()).toBe('DGSG');
    expect(readHeader(img)).toEqual({ formatVersion: 1, model: MODEL, version: '1.2.3', payloadLength: PAYLOAD_FIXTURE.length });
  });

  it('verifies with node:crypto independently of verifyImage (the signature covers header + payload)', () => {
    const img = signedImage();
    const signedLen = HEADER_LENGTH + PAYLOAD_FIXTURE.length;
    const sig = img.subarray(signedLen + 14);
    // Re-sign the same bytes: Ed25519 is deterministic (RFC 8032 §5.1.6), so the signatures match.
    expect(Buffer.from(sig)).toEqual(sign(null, img.subarray(0, signedLen), DEV_PRIVATE));
  });

  it('accepts a good image and reports model and version', () => {
    expect(verifyImage(signedImage())).toEqual({ ok: true, model: MODEL, version: '1.2.3', payloadLength: PAYLOAD_FIXTURE.length });
    expect(verifyImage(signedImage(), DEV_PUBLIC_KEY, { model: MODEL }).ok).toBe(true);
  });

  it('refuses an unsigned image', () => {
    const img = signedImage();
    const unsigned = img.subarray(0, img.length - TRAILER_LENGTH);
    expect(verifyImage(unsigned)).toMatchObject({ ok: false, reason: 'unsigned' });
  });

  it('refuses truncated images at every length, with reason truncated', () => {
    const img = signedImage();
    const unsignedLen = img.length - TRAILER_LENGTH;
    for (let len = 1; len < img.length; len++) {
      if (len === unsignedLen) continue; // exactly header + payload is "unsigned", tested above
      const r = verifyImage(img.subarray(0, len));
      expect(r, `length ${len}`).toMatchObject({ ok: false, reason: 'truncated' });
    }
    expect(verifyImage(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('refuses an altered payload with bad-signature', () => {
    const img = Uint8Array.from(signedImage());
    img[HEADER_LENGTH + 3] ^= 0x01;
    expect(verifyImage(img)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses an altered version field with bad-signature', () => {
    const img = Uint8Array.from(signedImage());
    img[40] = '9'.charCodeAt(0); // version 1.2.3 -> 9.2.3
    expect(verifyImage(img)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses bad magic', () => {
    const img = Uint8Array.from(signedImage());
    img[0] = 'X'.charCodeAt(0);
    expect(verifyImage(img)).toMatchObject({ ok: false, reason: 'bad-magic' });
    expect(verifyImage(new Uint8Array(Buffer.from('#!/bin/sh\necho hi\n')))).toMatchObject({ ok: false, reason: 'bad-magic' });
  });

  it('refuses an image signed by another key, and an image for another model', () => {
    const other = otherKeyPair();
    const foreign = buildImage({ model: MODEL, version: '1.2.3', payload: PAYLOAD_FIXTURE }, other.priv);
    expect(verifyImage(foreign)).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(verifyImage(foreign, other.pub)).toMatchObject({ ok: true });
    const wrongModel = buildImage({ model: 'DG-E1-4', version: '1.2.3', payload: PAYLOAD_FIXTURE }, DEV_PRIVATE);
    expect(verifyImage(wrongModel, DEV_PUBLIC_KEY, { model: MODEL })).toMatchObject({ ok: false, reason: 'wrong-model' });
  });

  it('refuses a signature swapped in from another signed image (key id matches, signature does not)', () => {
    const a = Uint8Array.from(signedImage());
    const b = buildImage({ model: MODEL, version: '1.2.4', payload: PAYLOAD_FIXTURE }, DEV_PRIVATE);
    a.set(b.subarray(b.length - 64), a.length - 64);
    expect(verifyImage(a)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses bytes appended after the signature', () => {
    const img = signedImage();
    const longer = new Uint8Array(img.length + 1);
    longer.set(img);
    expect(verifyImage(longer)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('property: any single flipped bit in a signed image is refused', () => {
    const img = signedImage();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: img.length * 8 - 1 }), (bit) => {
        const copy = Uint8Array.from(img);
        copy[bit >> 3] ^= 1 << (bit & 7);
        return verifyImage(copy, DEV_PUBLIC_KEY, { model: MODEL }).ok === false;
      }),
      { numRuns: 500 },
    );
  });

  it('property: every bit of the header and trailer, flipped, is refused (exhaustive)', () => {
    const img = signedImage();
    const signedLen = img.length - TRAILER_LENGTH;
    const positions = [...Array(HEADER_LENGTH * 8).keys(), ...Array.from({ length: TRAILER_LENGTH * 8 }, (_, i) => signedLen * 8 + i)];
    for (const bit of positions) {
      const copy = Uint8Array.from(img);
      copy[bit >> 3] ^= 1 << (bit & 7);
      expect(verifyImage(copy).ok, `bit ${bit}`).toBe(false);
    }
  });

  it('property: images round-trip for any model, version and payload', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9-]{1,32}$/),
        fc.stringMatching(/^\d{1,3}\.\d{1,3}\.\d{1,3}$/),
        fc.uint8Array({ maxLength: 2048 }),
        (model, version, payload) => {
          const r = verifyImage(buildImage({ model, version, payload }, DEV_PRIVATE), DEV_PUBLIC_KEY, { model });
          return r.ok && r.model === model && r.version === version && r.payloadLength === payload.length;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects unusable build inputs', () => {
    expect(() => buildImage({ model: 'has space', version: '1', payload: PAYLOAD_FIXTURE }, DEV_PRIVATE)).toThrow(/model/);
    expect(() => buildImage({ model: MODEL, version: 'x'.repeat(33), payload: PAYLOAD_FIXTURE }, DEV_PRIVATE)).toThrow(/version/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => buildImage({ model: MODEL, version: '1', payload: PAYLOAD_FIXTURE }, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toThrow(/Ed25519/);
  });
});
