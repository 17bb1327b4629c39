/**
 * Field types of docs/protocol.md §9 as zod 4 codecs: `parse` turns wire strings into typed values,
 * `z.encode` turns typed values back into the one canonical wire spelling. Each codec checks the
 * wire form strictly, so a value has exactly one spelling in both directions.
 */
import { z } from 'zod';

const UINT_RE = /^(0|[1-9][0-9]{0,9})$/;
const DECIMAL_RE = /^-?(0|[1-9][0-9]{0,8})(\.[0-9]{0,2}[1-9])?$/;

/** Unsigned decimal integer (no leading zeros) in [min, max]. Counters wrap at 2^32 (§11). */
export const uint = (min = 0, max = 0xffffffff) =>
  z.codec(z.string().regex(UINT_RE, 'expected a decimal integer without leading zeros'), z.number().int().min(min).max(max), {
    decode: (s) => Number(s),
    encode: (n) => String(n),
  });

/** Decimal with up to 3 fraction digits and no trailing zeros (canonical), e.g. 41.5. */
export const decimal = z.codec(z.string().regex(DECIMAL_RE, 'expected a decimal number like 41.5'), z.number(), {
  decode: (s) => Number(s),
  encode: (n) => {
    const s = String(Number(n.toFixed(3)));
    return s === '-0' ? '0' : s;
  },
});

export const onoff = z.codec(z.enum(['on', 'off']), z.boolean(), {
  decode: (s) => s === 'on',
  encode: (b) => (b ? 'on' : 'off'),
});

/** The DTMF key whose tone replaces every masked digit (installation choice, DESIGN.md). */
export const tone = z.enum(['#', '0', '1']);
/** Keypad digits: the agent trigger code (not card data). */
export const digits = z.string().regex(/^[0-9*#]{1,8}$/, 'expected 1 to 8 of 0-9 * #');

/** Comma-separated tokens; the empty string is the empty list. */
export const list = z.codec(z.string().regex(/^([a-z0-9][a-z0-9._-]*(,[a-z0-9][a-z0-9._-]*)*)?$/, 'expected comma-separated lower-case tokens'), z.array(z.string()), {
  decode: (s) => (s === '' ? [] : s.split(',')),
  encode: (a) => a.join(','),
});

/** Ascending channel numbers as ranges, "1-4,9": compact for 120 channels in one frame. */
export const rangeList = z.codec(
  z.string().regex(/^([1-9][0-9]*(-[1-9][0-9]*)?(,[1-9][0-9]*(-[1-9][0-9]*)?)*)?$/, 'expected ranges like 1-4,9'),
  z.array(z.number().int().min(1)),
  {
    decode: (s, ctx) => {
      const out: number[] = [];
      if (s === '') return out;
      for (const part of s.split(',')) {
        const [a, b = a] = part.split('-').map(Number);
        if (b < a || (out.length > 0 && a <= out[out.length - 1]) || b - a > 65536) {
          ctx.issues.push({ code: 'custom', message: 'ranges must ascend without overlap', input: s });
          return out;
        }
        for (let c = a; c <= b; c++) out.push(c);
      }
      return out;
    },
    encode: (nums) => {
      const sorted = [...new Set(nums)].sort((x, y) => x - y);
      const parts: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        // Canonical: two neighbours are written as a range too, "3-4" (one spelling per set).
        parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
        i = j + 1;
      }
      return parts.join(',');
    },
  },
);

const PORT = '([1-9][0-9]{0,4})';
const IPV4 = '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** `IPv4:port` or `[IPv6]:port` (RFC 3986 §3.2.2 style brackets); port 1..65535. */
export const addr = z
  .string()
  .regex(new RegExp(`^(${IPV4}|\\[[0-9a-f:.]{2,45}\\]):${PORT}$`), 'expected IPv4:port or [IPv6]:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 1..65535');

export const slot = z.enum(['A', 'B']);
export const hex32 = z.string().regex(/^[0-9A-F]{8}$/, 'expected 8 upper-case hex digits');
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
export const view = z.enum(['running', 'staged']);

/** RFC 4648 §4 base64 with padding, canonical (re-encoding gives the same text), as bytes. */
export const base64 = z.codec(
  z.string().regex(/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected base64 (RFC 4648 §4)'),
  z.instanceof(Uint8Array),
  {
    decode: (s, ctx) => {
      const b = Buffer.from(s, 'base64');
      if (b.toString('base64') !== s) ctx.issues.push({ code: 'custom', message: 'base64 is not canonical (stray bits in padding)', input: s });
      return new Uint8Array(b);
    },
    encode: (u) => Buffer.from(u).toString('base64'),
  },
);

/** Free text for people (error text, model names): any string, escaped on the wire. */
export const text = z.string();
/** Identifiers such as serial numbers and firmware versions: printable, no spaces. */
export const token = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'expected 1 to 64 printable characters without spaces');
