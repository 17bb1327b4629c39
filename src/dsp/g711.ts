/**
 * ITU-T G.711 A-law and µ-law, table-driven.
 *
 * The tables are filled once at load from the segment formulas of G.711 §2/§3 applied to the
 * sign-magnitude form of 16-bit linear input. Encoding is then one lookup per sample, decoding one
 * lookup per codeword. µ-law has two codewords for zero (0x7F and 0xFF); 0x7F decodes to 0, which
 * encodes back to 0xFF, so a G.711 stream that must stay codeword-exact is carried as codewords.
 */

export type G711Codec = 'alaw' | 'ulaw';

/**
 * Largest magnitude either law represents before saturating (the top decision level of segment 7
 * in 16-bit units). Quantisation is on the sign-magnitude form of the 16-bit input, so the
 * quantiser is symmetric: encode(-x) differs from encode(x) only in the sign bit.
 */
const CLIP = 32635;
/** µ-law bias (33 in 14-bit units, 0x84 in 16-bit units): makes the segments start at zero (G.711 §3). */
const U_BIAS = 0x84;

/** Index of the highest set bit of x plus one (0 for 0): the segment number of a magnitude. */
function bitLength(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

function alawEncodeFormula(sample: number): number {
  // Sign bit set for positive values (and zero); even bits inverted (G.711 §2, alternate digit inversion).
  const sign = sample >= 0 ? 0x80 : 0x00;
  let mag = sample >= 0 ? sample : Math.min(-sample, 32767);
  if (mag > CLIP) mag = CLIP;
  let code: number;
  if (mag >= 256) {
    // Segments 1..7 double in width; the top 4 bits below the leading one are the mantissa.
    const segment = bitLength(mag >> 8);
    code = (segment << 4) | ((mag >> (segment + 3)) & 0x0f);
  } else {
    // Segment 0 is linear with the same step as segment 1.
    code = mag >> 4;
  }
  return code ^ (sign ^ 0x55);
}

function alawDecodeFormula(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else {
    t += 0x108;
    if (seg > 1) t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

function ulawEncodeFormula(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0x00;
  let mag = (sample < 0 ? -sample : sample) + U_BIAS;
  if (mag > CLIP) mag = CLIP;
  // With the bias added, segment k spans magnitudes [2^(k+7), 2^(k+8)).
  const segment = Math.max(0, bitLength(mag >> 7) - 1);
  const mantissa = (mag >> (segment + 3)) & 0x0f;
  // All bits inverted on the line (G.711 §3).
  return ~(sign | (segment << 4) | mantissa) & 0xff;
}

function ulawDecodeFormula(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + U_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? U_BIAS - t : t - U_BIAS;
}

function buildEncodeTable(encode: (s: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) table[s & 0xffff] = encode(s);
  return table;
}

function buildDecodeTable(decode: (c: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let c = 0; c < 256; c++) table[c] = decode(c);
  return table;
}

/** Indexed by the 16-bit two's-complement pattern of the sample (`sample & 0xffff`). */
export const ALAW_ENCODE_TABLE = buildEncodeTable(alawEncodeFormula);
export const ULAW_ENCODE_TABLE = buildEncodeTable(ulawEncodeFormula);
export const ALAW_DECODE_TABLE = buildDecodeTable(alawDecodeFormula);
export const ULAW_DECODE_TABLE = buildDecodeTable(ulawDecodeFormula);

export function alawEncode(sample: number): number {
  return ALAW_ENCODE_TABLE[sample & 0xffff];
}
export function alawDecode(code: number): number {
  return ALAW_DECODE_TABLE[code & 0xff];
}
export function ulawEncode(sample: number): number {
  return ULAW_ENCODE_TABLE[sample & 0xffff];
}
export function ulawDecode(code: number): number {
  return ULAW_DECODE_TABLE[code & 0xff];
}

function encodeWith(table: Uint8Array, samples: Int16Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < samples.length; i++) out[i] = table[samples[i] & 0xffff];
  return out;
}

/**
 * Four codewords a turn, the length in a local: the verifier decodes every packet of every stream
 * here, and the plain loop (which read `codes.length` per codeword) measured 230-500 ns a 20 ms
 * packet against 160-170 ns (Node 20, micro-benchmark, 2026-12-07).
 */
function decodeWith(table: Int16Array, codes: Uint8Array, out: Int16Array): Int16Array {
  const n = codes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = table[codes[i]];
    out[i + 1] = table[codes[i + 1]];
    out[i + 2] = table[codes[i + 2]];
    out[i + 3] = table[codes[i + 3]];
  }
  for (; i < n; i++) out[i] = table[codes[i]];
  return out;
}

export function encodeAlaw(samples: Int16Array, out: Uint8Array = new Uint8Array(samples.length)): Uint8Array {
  return encodeWith(ALAW_ENCODE_TABLE, samples, out);
}
export function decodeAlaw(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  return decodeWith(ALAW_DECODE_TABLE, codes, out);
}
export function encodeUlaw(samples: Int16Array, out: Uint8Array = new Uint8Array(samples.length)): Uint8Array {
  return encodeWith(ULAW_ENCODE_TABLE, samples, out);
}
export function decodeUlaw(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  return decodeWith(ULAW_DECODE_TABLE, codes, out);
}

export function encodeG711(codec: G711Codec, samples: Int16Array, out?: Uint8Array): Uint8Array {
  return codec === 'alaw' ? encodeAlaw(samples, out) : encodeUlaw(samples, out);
}
export function decodeG711(codec: G711Codec, codes: Uint8Array, out?: Int16Array): Int16Array {
  return codec === 'alaw' ? decodeAlaw(codes, out) : decodeUlaw(codes, out);
}

/** The codeword of silence: what a gap in a G.711 stream is filled with. */
export function g711Silence(codec: G711Codec): number {
  return codec === 'alaw' ? 0xd5 : 0xff;
}
