/**
 * Field-value escaping. A value travels as printable ASCII so a frame stays readable in a terminal:
 * bytes 0x21..0x7E except '%' go as themselves; every other byte of the value's UTF-8 encoding
 * (space, '%', controls, CR/LF, non-ASCII) goes as '%' and two upper-case hex digits (the
 * percent-encoding of RFC 3986 §2.1, applied to a different set). The escaping is canonical: a
 * byte that may travel as itself must not be escaped and hex digits are upper case, so each value
 * has exactly one spelling and a decoder can reject anything else.
 */

const HEX = '0123456789ABCDEF';

function travelsAsItself(b: number): boolean {
  return b >= 0x21 && b <= 0x7e && b !== 0x25;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Escapes a value; throws TypeError on a string with lone surrogates (it has no UTF-8 form). */
export function escapeValue(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError('field value is not well-formed Unicode (lone surrogate)');
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    out += travelsAsItself(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Why unescaping failed (index into the escaped text), or the value. */
export type UnescapeResult = { ok: true; value: string } | { ok: false; at: number; why: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reverses escapeValue, accepting only the canonical spelling and valid UTF-8. */
export function unescapeValue(text: Uint8Array): UnescapeResult {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (b !== 0x25) {
      if (!travelsAsItself(b)) return { ok: false, at: i, why: `byte 0x${b.toString(16)} must be escaped` };
      out[n++] = b;
      continue;
    }
    const complete = i + 2 < text.length;
    const hi = complete ? hexValue(text[i + 1]) : -1;
    const lo = complete ? hexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) return { ok: false, at: i, why: "'%' must be followed by two upper-case hex digits" };
    const v = (hi << 4) | lo;
    if (travelsAsItself(v)) return { ok: false, at: i, why: `byte 0x${v.toString(16)} must not be escaped` };
    out[n++] = v;
    i += 2;
  }
  try {
    return { ok: true, value: utf8.decode(out.subarray(0, n)) };
  } catch {
    return { ok: false, at: 0, why: 'escaped bytes are not valid UTF-8' };
  }
}
