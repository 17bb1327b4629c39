/**
 * The frame codec of the serial control protocol (spec: docs/protocol.md §2-§4).
 *
 *   REQ 42 SET_MASK_TONE tone=# *4F1C09A2\r\n
 *
 * One frame is one line of printable ASCII: kind, sequence number, name, `key=value` fields, and the
 * CRC-32 of everything before " *". The decoder accepts only the canonical spelling of a frame, so
 * `encodeFrame(decodeFrame(line))` gives back the same bytes and a corrupted frame cannot pass as
 * another spelling of a valid one.
 */
import { DgError } from '../errors.ts';
import { crc, crcHex } from './crc.ts';
import { escapeValue, unescapeValue } from './escape.ts';

export { crc, crcHex } from './crc.ts';

export type FrameKind = 'req' | 'ok' | 'err' | 'nak' | 'evt';

export interface Frame {
  kind: FrameKind;
  /** 0..65535, wraps. Requests: chosen by the host, echoed by OK/ERR/NAK. Events: the board's own counter. */
  seq: number;
  /** Command or event name, e.g. 'GET_SPAN_STATUS'. */
  name: string;
  /** Field values, unescaped. Order is kept on the wire but carries no meaning. */
  fields: Record<string, string>;
}

/** A whole frame on the wire, delimiter included, is at most this many bytes (docs/protocol.md §2.4). */
export const MAX_FRAME_BYTES = 1024;
/** The frame text without its "\r\n". */
export const MAX_FRAME_TEXT = MAX_FRAME_BYTES - 2;
export const MAX_SEQ = 0xffff;

export const KIND_TOKENS: Record<FrameKind, string> = { req: 'REQ', ok: 'OK', err: 'ERR', nak: 'NAK', evt: 'EVT' };
const KIND_BY_TOKEN = new Map<string, FrameKind>(Object.entries(KIND_TOKENS).map(([k, t]) => [t, k as FrameKind]));

export const NAME_RE = /^[A-Z][A-Z0-9_]{0,31}$/;
export const KEY_RE = /^[a-z][a-z0-9_]{0,31}$/;
const SEQ_RE = /^(0|[1-9][0-9]{0,4})$/;

export type FrameErrorReason = 'crc' | 'syntax' | 'too-long' | 'escape';

/** Numeric codes (DG10xx: frame codec) so logs and tests can name the failure. */
const REASON_CODES: Record<FrameErrorReason, string> = {
  crc: 'DG1001',
  syntax: 'DG1002',
  'too-long': 'DG1003',
  escape: 'DG1004',
};

/** What could be read of a rejected frame, so the NAK can echo it (docs/protocol.md §5). Untrusted. */
export interface FrameHint {
  kind?: FrameKind;
  seq?: number;
  name?: string;
}

export class FrameError extends DgError {
  readonly reason: FrameErrorReason;
  readonly hint: FrameHint;

  constructor(reason: FrameErrorReason, detail: string, hint: FrameHint = {}) {
    super(REASON_CODES[reason], `frame rejected (${reason}): ${detail}`);
    this.name = 'FrameError';
    this.reason = reason;
    this.hint = hint;
  }
}

/** Encodes a frame as one line with its "\r\n". Throws FrameError on a frame that cannot be sent. */
export function encodeFrame(f: Frame): Buffer {
  const token = KIND_TOKENS[f.kind];
  if (token === undefined) throw new FrameError('syntax', `unknown frame kind ${String(f.kind)}`);
  if (!Number.isInteger(f.seq) || f.seq < 0 || f.seq > MAX_SEQ) throw new FrameError('syntax', `sequence number ${f.seq} is outside 0..65535`);
  if (!NAME_RE.test(f.name)) throw new FrameError('syntax', `name ${JSON.stringify(f.name)} is not [A-Z][A-Z0-9_]{0,31}`);
  let text = `${token} ${f.seq} ${f.name}`;
  for (const [key, value] of Object.entries(f.fields)) {
    if (!KEY_RE.test(key)) throw new FrameError('syntax', `field key ${JSON.stringify(key)} is not [a-z][a-z0-9_]{0,31}`);
    if (typeof value !== 'string') throw new FrameError('syntax', `field ${key} is not a string`);
    text += ` ${key}=${escapeValue(value)}`;
  }
  const content = Buffer.from(text, 'latin1'); // all ASCII by construction
  const line = Buffer.concat([content, Buffer.from(` *${crcHex(content)}\r\n`, 'latin1')]);
  if (line.length > MAX_FRAME_BYTES) {
    throw new FrameError('too-long', `${f.name} would be ${line.length} bytes, the limit is ${MAX_FRAME_BYTES}; split the payload`);
  }
  return line;
}

const SP = 0x20;

/** Reads kind, seq and name from the front of a line, as far as they parse (for a NAK's echo). */
export function readHint(text: string): FrameHint {
  const [k, s, n] = text.split(' ', 3);
  const hint: FrameHint = {};
  const kind = k === undefined ? undefined : KIND_BY_TOKEN.get(k);
  if (kind) hint.kind = kind;
  if (s !== undefined && SEQ_RE.test(s) && Number(s) <= MAX_SEQ) hint.seq = Number(s);
  if (n !== undefined && NAME_RE.test(n)) hint.name = n;
  return hint;
}

/**
 * Decodes one line (with or without its "\r\n" or "\n"). Checks, in this order: length, the
 * printable-ASCII alphabet and the " *XXXXXXXX" trailer, the CRC, then the grammar of the content
 * and the escaping of values. Throws FrameError carrying whatever could be read of kind/seq/name.
 */
export function decodeFrame(line: Buffer | Uint8Array): Frame {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0a) end--;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  const bytes = line.subarray(0, end);
  const asText = () => Buffer.from(bytes).toString('latin1');
  if (bytes.length > MAX_FRAME_TEXT) {
    throw new FrameError('too-long', `${bytes.length} bytes before the delimiter, the limit is ${MAX_FRAME_TEXT}`, readHint(asText().slice(0, 80)));
  }
  const text = asText();
  const hint = readHint(text);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] < 0x20 || bytes[i] > 0x7e) throw new FrameError('syntax', `byte 0x${bytes[i].toString(16)} at ${i} is not printable ASCII`, hint);
  }
  // Trailer: SP "*" 8 upper-case hex digits.
  const star = bytes.length - 10;
  if (star < 1 || bytes[star] !== SP || bytes[star + 1] !== 0x2a) throw new FrameError('syntax', 'missing " *CRC" trailer', hint);
  const crcText = text.slice(star + 2);
  if (!/^[0-9A-F]{8}$/.test(crcText)) throw new FrameError('syntax', 'CRC must be 8 upper-case hex digits', hint);
  const content = bytes.subarray(0, star);
  const expected = crc(content);
  if (expected !== parseInt(crcText, 16)) throw new FrameError('crc', 'CRC mismatch', hint);

  const tokens = text.slice(0, star).split(' ');
  const [k, s, n, ...rest] = tokens;
  const kind = KIND_BY_TOKEN.get(k);
  if (!kind) throw new FrameError('syntax', `unknown frame kind ${JSON.stringify(k)}`, hint);
  if (s === undefined || !SEQ_RE.test(s) || Number(s) > MAX_SEQ) throw new FrameError('syntax', 'sequence number must be 0..65535 without leading zeros', hint);
  if (n === undefined || !NAME_RE.test(n)) throw new FrameError('syntax', 'name must be [A-Z][A-Z0-9_]{0,31}', hint);
  const fields: Record<string, string> = {};
  let offset = k.length + s.length + n.length + 3;
  for (const tok of rest) {
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    if (eq < 0 || !KEY_RE.test(key)) throw new FrameError('syntax', `field ${JSON.stringify(tok.slice(0, 40))} is not key=value`, hint);
    if (Object.prototype.hasOwnProperty.call(fields, key)) throw new FrameError('syntax', `field ${key} appears twice`, hint);
    const raw = content.subarray(offset + eq + 1, offset + tok.length);
    const r = unescapeValue(raw);
    if (!r.ok) throw new FrameError('escape', `field ${key}: ${r.why}`, hint);
    fields[key] = r.value;
    offset += tok.length + 1;
  }
  return { kind, seq: Number(s), name: n, fields };
}
