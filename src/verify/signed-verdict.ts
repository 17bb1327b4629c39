/**
 * Signed verdicts: `dtmfguard verify --sign KEY` attaches an Ed25519 signature (RFC 8032, through
 * node:crypto) over the verdict, and `dtmfguard verify-signature` checks it, so a report cannot be
 * altered after the fact without the change showing.
 *
 * What is signed: the canonical JSON of the document without its `signature` member: object keys
 * sorted, no whitespace, numbers and strings as JSON.stringify writes them. Any change to any value
 * (a digit, a leak flag, a file's SHA-256) or the addition or removal of a member changes those
 * bytes. The signature names its key by id (first 16 hex digits of the SHA-256 of the raw 32-byte
 * public key) and carries the public key, so a verifier can say which key signed; trusting that key
 * is the auditor's decision (`--key` pins it).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DgError } from '../errors.ts';
import { VERIFY_ERR } from './verify-errors.ts';

export interface VerdictSignature {
  algorithm: 'Ed25519';
  keyId: string;
  /** SPKI PEM of the signing key. */
  publicKey: string;
  /** ISO 8601 time of signing (inside the signed bytes: it is added before signing). */
  signedAt: string;
  /** Base64 signature over canonicalJson(document without `signature`). */
  value: string;
}

/** JSON with object keys sorted at every level and no whitespace: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; JSON.stringify drops them from objects.
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function keyIdOf(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // SPKI for Ed25519 is a fixed 12-byte prefix followed by the 32-byte key (RFC 8410 §4).
  return createHash('sha256').update(spki.subarray(spki.length - 32)).digest('hex').slice(0, 16);
}

/** Reads an Ed25519 private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes). */
export function loadSigningKey(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError(VERIFY_ERR.keyUnreadable, `cannot read the signing key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new DgError(VERIFY_ERR.keyInvalid, `${path} is not a PEM private key: make one with 'openssl genpkey -algorithm ed25519 -out verdict-key.pem'`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new DgError(VERIFY_ERR.keyInvalid, `${path} is a ${key.asymmetricKeyType} key; verdicts are signed with Ed25519: 'openssl genpkey -algorithm ed25519 -out verdict-key.pem'`);
  }
  return key;
}

/** Reads an Ed25519 public key (SPKI PEM), or derives it from a private key file. */
export function loadVerifyKey(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError(VERIFY_ERR.keyUnreadable, `cannot read the key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new DgError(VERIFY_ERR.keyInvalid, `${path} is not a PEM public key: export it with 'openssl pkey -in verdict-key.pem -pubout -out verdict-key.pub'`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new DgError(VERIFY_ERR.keyInvalid, `${path} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** Returns a copy of `doc` with a `signature` member; anything already there is replaced. */
export function signVerdict<T extends object>(doc: T, privateKey: KeyObject, now: Date = new Date()): T & { signature: VerdictSignature } {
  const publicKey = createPublicKey(privateKey);
  const { signature: _old, ...rest } = doc as T & { signature?: unknown };
  const partial = {
    algorithm: 'Ed25519' as const,
    keyId: keyIdOf(publicKey),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signedAt: now.toISOString(),
  };
  // The signature's own metadata is signed too (all of it but the value), so the claimed key and time cannot be swapped.
  const bytes = Buffer.from(canonicalJson({ ...rest, signature: partial }), 'utf8');
  const value = sign(null, bytes, privateKey).toString('base64');
  return { ...(rest as T), signature: { ...partial, value } };
}

export type SignatureCheck =
  | { valid: true; keyId: string; signedAt: string; pinned: boolean }
  | { valid: false; reason: string; keyId?: string };

/** Checks a signed document; with `trusted`, the signature must also be by that key. */
export function checkVerdictSignature(doc: unknown, trusted?: KeyObject): SignatureCheck {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { valid: false, reason: 'not a JSON object' };
  const sig = (doc as { signature?: Partial<VerdictSignature> }).signature;
  if (!sig || typeof sig !== 'object') return { valid: false, reason: 'no signature member: the verdict was not signed (verify --sign KEY)' };
  if (sig.algorithm !== 'Ed25519' || typeof sig.value !== 'string' || typeof sig.publicKey !== 'string' || typeof sig.keyId !== 'string' || typeof sig.signedAt !== 'string') {
    return { valid: false, reason: 'the signature member is incomplete or not Ed25519' };
  }
  let embedded: KeyObject;
  try {
    embedded = createPublicKey(sig.publicKey);
  } catch {
    return { valid: false, reason: 'the embedded public key is not a PEM key' };
  }
  if (embedded.asymmetricKeyType !== 'ed25519') return { valid: false, reason: 'the embedded public key is not Ed25519' };
  const keyId = keyIdOf(embedded);
  if (keyId !== sig.keyId) return { valid: false, reason: `the key id ${sig.keyId} does not match the embedded key (${keyId})`, keyId };
  if (trusted && keyIdOf(trusted) !== keyId) return { valid: false, reason: `signed by key ${keyId}, not by the trusted key ${keyIdOf(trusted)}`, keyId };
  const { signature: _s, ...rest } = doc as { signature: VerdictSignature };
  const { value, ...partial } = sig as VerdictSignature;
  const bytes = Buffer.from(canonicalJson({ ...rest, signature: partial }), 'utf8');
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== 64 || !verify(null, bytes, trusted ?? embedded, raw)) {
    return { valid: false, reason: 'the signature does not match the content: the verdict was altered after signing', keyId };
  }
  return { valid: true, keyId, signedAt: sig.signedAt, pinned: trusted !== undefined };
}
