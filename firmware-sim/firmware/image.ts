/**
 * Signed firmware images for the simulated board (format in docs/firmware-images.md).
 *
 *   header (128 bytes) | payload (payloadLength bytes) | signature trailer (78 bytes)
 *
 * The Ed25519 signature (RFC 8032, through node:crypto) covers header + payload, so no field a
 * verifier trusts (model, version, length, hash) can be changed without breaking it. The trailer has
 * its own magic so that an image which simply has no signature ("unsigned") is told apart from one
 * whose signature was cut off ("truncated").
 */
import { createHash, createPublicKey, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const IMAGE_MAGIC = 'DGFW';
export const SIGNATURE_MAGIC = 'DGSG';
export const IMAGE_FORMAT_VERSION = 1;
export const HEADER_LENGTH = 128;
/** magic (4) + signature length (2) + key id (8) + Ed25519 signature (64). */
export const TRAILER_LENGTH = 78;
export const ED25519_SIGNATURE_LENGTH = 64;
/** Model and version are ASCII, NUL-padded to this many bytes. */
export const TEXT_FIELD_LENGTH = 32;
/** A board's flash slot is finite; 64 MiB is far above any simulator image and bounds memory. */
export const MAX_PAYLOAD_LENGTH = 64 * 1024 * 1024;

/** Header field offsets (big-endian integers, network order like the rest of the protocol). */
const OFF = {
  magic: 0,
  formatVersion: 4,
  headerLength: 6,
  model: 8,
  version: 40,
  payloadLength: 72,
  payloadSha256: 76,
  // 108..127 reserved, zero
} as const;

const DEV_KEY_DIR = new URL('./dev-keys/', import.meta.url);
/** The simulator's DEVELOPMENT-ONLY public key: never trusted by a real board. */
export const DEV_PUBLIC_KEY: string = readFileSync(new URL('DEVELOPMENT-ONLY-ed25519-public.pem', DEV_KEY_DIR), 'utf8');
/** Path of the DEVELOPMENT-ONLY private key, for scripts and tests that build simulator images. */
export const DEV_PRIVATE_KEY_PATH: string = fileURLToPath(new URL('DEVELOPMENT-ONLY-ed25519-private.pem', DEV_KEY_DIR));

export interface ImageInfo {
  model: string;
  version: string;
  payload: Uint8Array;
}

export type VerifyFailure =
  | 'bad-magic'          // not a dtmfguard firmware image at all
  | 'unsupported-format' // a newer image format than this board understands
  | 'truncated'          // shorter than its header says (header, payload or signature cut off)
  | 'unsigned'           // complete header + payload but no signature trailer
  | 'malformed'          // fields out of range, bytes after the signature, bad trailer
  | 'unknown-key'        // signed, but by a key this board does not trust
  | 'bad-signature'      // the signature does not match header + payload (altered image)
  | 'hash-mismatch'      // signature fine but payload hash wrong (cannot happen unless signer was buggy)
  | 'wrong-model';       // a valid image for another model

export type VerifyResult =
  | { ok: true; version: string; model: string; payloadLength: number }
  | { ok: false; reason: VerifyFailure; message: string };

export interface VerifyOptions {
  /** When given, an image built for another model is refused with `wrong-model`. */
  model?: string;
}

/** Key id: the first 8 bytes of SHA-256 over the raw 32-byte Ed25519 public key. */
export function keyId(publicKey: string | KeyObject): Uint8Array {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ format: 'der', type: 'spki' });
  // SPKI for Ed25519 is a fixed 12-byte prefix followed by the 32-byte key (RFC 8410 §4).
  const raw = der.subarray(der.length - 32);
  return new Uint8Array(createHash('sha256').update(raw).digest().subarray(0, 8));
}

function putText(buf: Uint8Array, offset: number, text: string, field: string): void {
  // Printable ASCII only: these fields are shown to installers and logged.
  if (!/^[\x21-\x7e]{1,32}$/.test(text)) {
    throw new RangeError(`${field} must be 1..${TEXT_FIELD_LENGTH} printable ASCII characters without spaces`);
  }
  buf.set(Buffer.from(text, 'ascii'), offset);
}

function getText(buf: Uint8Array, offset: number): string | null {
  const field = buf.subarray(offset, offset + TEXT_FIELD_LENGTH);
  const end = field.indexOf(0);
  const used = end === -1 ? field : field.subarray(0, end);
  // Everything after the first NUL must be NUL too, so each header has exactly one encoding.
  if (end !== -1 && field.subarray(end).some((b) => b !== 0)) return null;
  const text = Buffer.from(used).toString('latin1');
  return /^[\x21-\x7e]{1,32}$/.test(text) ? text : null;
}

export function encodeHeader(info: { model: string; version: string; payload: Uint8Array }): Uint8Array {
  if (info.payload.length > MAX_PAYLOAD_LENGTH) throw new RangeError(`payload larger than ${MAX_PAYLOAD_LENGTH} bytes`);
  const h = new Uint8Array(HEADER_LENGTH);
  const dv = new DataView(h.buffer);
  h.set(Buffer.from(IMAGE_MAGIC, 'ascii'), OFF.magic);
  dv.setUint16(OFF.formatVersion, IMAGE_FORMAT_VERSION);
  dv.setUint16(OFF.headerLength, HEADER_LENGTH);
  putText(h, OFF.model, info.model, 'model');
  putText(h, OFF.version, info.version, 'version');
  dv.setUint32(OFF.payloadLength, info.payload.length);
  h.set(createHash('sha256').update(info.payload).digest(), OFF.payloadSha256);
  return h;
}

/** Builds a signed image. `privateKeyPem` is a PKCS#8 Ed25519 key. */
export function buildImage(info: ImageInfo, privateKeyPem: string): Uint8Array {
  const priv = createPrivateKey(privateKeyPem);
  if (priv.asymmetricKeyType !== 'ed25519') throw new RangeError('the signing key must be an Ed25519 private key');
  const header = encodeHeader(info);
  const signed = concat(header, info.payload);
  const signature = sign(null, signed, priv); // Ed25519 signs the message itself: no digest argument
  const trailer = new Uint8Array(TRAILER_LENGTH);
  trailer.set(Buffer.from(SIGNATURE_MAGIC, 'ascii'), 0);
  new DataView(trailer.buffer).setUint16(4, ED25519_SIGNATURE_LENGTH);
  trailer.set(keyId(createPublicKey(priv)), 6);
  trailer.set(signature, 14);
  return concat(signed, trailer);
}

/** Reads the header fields without checking the signature (for display; never for trust). */
export function readHeader(bytes: Uint8Array):
  | { model: string | null; version: string | null; payloadLength: number; formatVersion: number }
  | null {
  if (bytes.length < HEADER_LENGTH || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== IMAGE_MAGIC) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    formatVersion: dv.getUint16(OFF.formatVersion),
    model: getText(bytes, OFF.model),
    version: getText(bytes, OFF.version),
    payloadLength: dv.getUint32(OFF.payloadLength),
  };
}

function fail(reason: VerifyFailure, message: string): VerifyResult {
  return { ok: false, reason, message };
}

/**
 * Checks an image: structure first (so a short file is "truncated", not "bad signature"), then the
 * signature, and only then the fields the signature vouches for (hash, model).
 */
export function verifyImage(bytes: Uint8Array, publicKeyPem: string = DEV_PUBLIC_KEY, options: VerifyOptions = {}): VerifyResult {
  const magicLen = Math.min(bytes.length, 4);
  if (Buffer.from(bytes.subarray(0, magicLen)).toString('latin1') !== IMAGE_MAGIC.slice(0, magicLen)) {
    return fail('bad-magic', 'not a dtmfguard firmware image (bad magic): check the file you are uploading');
  }
  if (bytes.length < HEADER_LENGTH) {
    return fail('truncated', `image truncated: ${bytes.length} bytes, the header alone is ${HEADER_LENGTH}; upload the whole file`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = dv.getUint16(OFF.formatVersion);
  if (formatVersion !== IMAGE_FORMAT_VERSION) {
    return fail('unsupported-format', `image format ${formatVersion} is not supported (this board reads format ${IMAGE_FORMAT_VERSION})`);
  }
  if (dv.getUint16(OFF.headerLength) !== HEADER_LENGTH || bytes.subarray(108, HEADER_LENGTH).some((b) => b !== 0)) {
    return fail('malformed', 'image header is malformed; rebuild the image');
  }
  const payloadLength = dv.getUint32(OFF.payloadLength);
  if (payloadLength > MAX_PAYLOAD_LENGTH) return fail('malformed', `image payload length ${payloadLength} exceeds the slot size`);
  const signedLength = HEADER_LENGTH + payloadLength;
  if (bytes.length < signedLength) {
    return fail('truncated', `image truncated: ${bytes.length} of ${signedLength + TRAILER_LENGTH} bytes; upload the whole file`);
  }
  if (bytes.length === signedLength) {
    return fail('unsigned', 'image is not signed; sign it with the release key before uploading');
  }
  const trailer = bytes.subarray(signedLength);
  const trailerMagicLen = Math.min(trailer.length, 4);
  if (Buffer.from(trailer.subarray(0, trailerMagicLen)).toString('latin1') !== SIGNATURE_MAGIC.slice(0, trailerMagicLen)) {
    return fail('malformed', 'unexpected bytes after the image payload (no signature trailer)');
  }
  if (trailer.length < TRAILER_LENGTH) {
    return fail('truncated', `image truncated inside its signature: ${bytes.length} of ${signedLength + TRAILER_LENGTH} bytes`);
  }
  if (trailer.length > TRAILER_LENGTH) return fail('malformed', 'unexpected bytes after the image signature');
  const tdv = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (tdv.getUint16(4) !== ED25519_SIGNATURE_LENGTH) return fail('malformed', 'image signature trailer is malformed');
  const pub = createPublicKey(publicKeyPem);
  if (!Buffer.from(trailer.subarray(6, 14)).equals(Buffer.from(keyId(pub)))) {
    return fail('unknown-key', 'image is signed by a key this board does not trust');
  }
  if (!verify(null, bytes.subarray(0, signedLength), pub, trailer.subarray(14, 14 + ED25519_SIGNATURE_LENGTH))) {
    return fail('bad-signature', 'image signature does not match its contents (altered or corrupted image)');
  }
  const payload = bytes.subarray(HEADER_LENGTH, signedLength);
  const digest = createHash('sha256').update(payload).digest();
  if (!digest.equals(Buffer.from(bytes.subarray(OFF.payloadSha256, OFF.payloadSha256 + 32)))) {
    return fail('hash-mismatch', 'image payload hash does not match its header; rebuild the image');
  }
  const model = getText(bytes, OFF.model);
  const version = getText(bytes, OFF.version);
  if (model === null || version === null) return fail('malformed', 'image model or version field is malformed');
  if (options.model !== undefined && model !== options.model) {
    return fail('wrong-model', `image is for model ${model}, this board is ${options.model}`);
  }
  return { ok: true, model, version, payloadLength };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
