/**
 * The message catalogue (docs/protocol.md §11-§12): every command with whether the host may retry
 * it, the zod schema of its request and response fields, and every event's fields.
 *
 * Requests are strict (an unknown field is refused, so a typo never passes silently, §7);
 * responses and events are not (a newer board may add fields, an older host ignores them).
 * The schemas are codecs: `parse` gives typed values from wire strings, `z.encode` the reverse.
 */
import { z } from 'zod';
import { addr, base64, decimal, digits, hex32, list, onoff, rangeList, sha256, slot, text, token, tone, uint, view } from './fields.ts';
import { NAK_REASONS } from './board-errors.ts';

/** Protocol versions this code speaks (HELLO negotiates, §7). */
export const PROTOCOL_VERSION = 1;
/** Largest firmware chunk in version 1: base64 of 512 octets keeps FW_CHUNK under 1024 octets (§13). */
export const FW_CHUNK_MAX = 512;

const ch = uint(1, 4096);
const span = uint(1, 64);
const bootId = z.string().regex(/^[0-9A-F]{8}$/, 'expected 8 upper-case hex digits');
const spanType = z.enum(['e1', 't1']);
const framing = z.enum(['crc4', 'no-crc4', 'esf', 'd4']);
const lineCode = z.enum(['hdb3', 'ami', 'b8zs']);
const clock = z.enum(['line', 'internal']);
const loopback = z.enum(['off', 'local', 'line', 'payload']);
const slotState = z.enum(['empty', 'receiving', 'complete', 'valid', 'invalid']);
const payloadType = uint(0, 127);
/** RFC 4733 telephone-event uses a dynamic payload type (RFC 3551 §3: 96..127). */
const eventPayloadType = uint(96, 127);
const cfgState = z.enum(['clean', 'staged']);
/** Secure mode ends by itself after this many seconds without a keyed or masked digit (§11): 1 s to 1 h. */
const secureIdleS = uint(1, 3600);

const none = z.strictObject({});
const empty = z.object({});

const spanConfigFields = { framing, line_code: lineCode, lbo: uint(0, 7), clock };
const spanConfig = z.object({ span, type: spanType, ...spanConfigFields, view });
const sipFields = { listen: addr, forward: addr, pt_pcmu: payloadType, pt_pcma: payloadType, pt_event: eventPayloadType };
const counters = { cv: uint(), crc_err: uint(), fas_err: uint(), slips: uint(), es: uint(), ses: uint() };
const health = z.object({
  temp_c: decimal,
  v_main_mv: uint(),
  v_3v3_mv: uint(),
  v_core_mv: uint(),
  dsp_load_pct: uint(0, 100),
  uptime_s: uint(),
  bypass: onoff,
});

export interface CommandSpec {
  /** The host may resend it after a timeout (docs/protocol.md §6). */
  idempotent: boolean;
  request: z.ZodType<unknown, Record<string, string>>;
  response: z.ZodType<unknown, Record<string, string>>;
}

function cmd<Req extends z.ZodType, Res extends z.ZodType>(idempotent: boolean, request: Req, response: Res) {
  return { idempotent, request, response };
}

export const COMMANDS = {
  HELLO: cmd(
    true,
    z.strictObject({ proto: uint(1, 65535) }),
    z.object({
      proto: uint(1, 65535),
      model: token,
      serial: token,
      fw: token,
      slot,
      hw: token,
      caps: list,
      channels: uint(0, 4096),
      spans: uint(0, 64),
      max_frame: uint(64, 65535),
      boot_id: bootId,
      cfg: cfgState,
    }),
  ),
  PING: cmd(true, none, z.object({ uptime_s: uint(), boot_id: bootId })),
  GET_MASK_TONE: cmd(true, z.strictObject({ view: view.optional() }), z.object({ tone, view })),
  SET_MASK_TONE: cmd(true, z.strictObject({ tone }), z.object({ tone })),
  // secure_idle_s rides with the trigger (both say how secure mode starts and ends); optional in
  // answers so a board without it still parses, optional in requests so either can be set alone.
  GET_TRIGGER: cmd(true, z.strictObject({ view: view.optional() }), z.object({ code: digits, view, secure_idle_s: secureIdleS.optional() })),
  SET_TRIGGER: cmd(
    true,
    z.strictObject({ code: digits.optional(), secure_idle_s: secureIdleS.optional() }),
    z.object({ code: digits, secure_idle_s: secureIdleS.optional() }),
  ),
  GET_SECURE: cmd(true, z.strictObject({ ch }), z.object({ ch, state: onoff, since_s: uint() })),
  SET_SECURE: cmd(true, z.strictObject({ ch, state: onoff }), z.object({ ch, state: onoff })),
  GET_SECURE_SUMMARY: cmd(true, none, z.object({ channels: uint(0, 4096), on: rangeList })),
  GET_SPAN_CONFIG: cmd(true, z.strictObject({ span, view: view.optional() }), spanConfig),
  SET_SPAN_CONFIG: cmd(true, z.strictObject({ span, ...spanConfigFields }), spanConfig),
  GET_SPAN_STATUS: cmd(
    true,
    z.strictObject({ span }),
    z.object({
      span,
      type: spanType,
      state: z.enum(['up', 'down']),
      los: onoff,
      lof: onoff,
      ais: onoff,
      rai: onoff,
      ...counters,
      loopback,
      counted_s: uint(),
    }),
  ),
  RESET_COUNTERS: cmd(false, z.strictObject({ span }), z.object({ span })),
  SET_LOOPBACK: cmd(true, z.strictObject({ span, mode: loopback }), z.object({ span, mode: loopback })),
  GET_SIP: cmd(true, z.strictObject({ view: view.optional() }), z.object({ ...sipFields, view })),
  SET_SIP: cmd(true, z.strictObject(sipFields), z.object({ ...sipFields, view })),
  GET_HEALTH: cmd(true, none, health),
  CFG_STATUS: cmd(true, none, z.object({ cfg: cfgState, version: uint(), pending: list })),
  CFG_COMMIT: cmd(true, none, z.object({ version: uint(), changed: list })),
  CFG_ROLLBACK: cmd(true, none, z.object({ version: uint(), discarded: list })),
  REBOOT: cmd(false, none, empty),
  FW_SLOTS: cmd(
    true,
    none,
    z.object({ active: slot, next: slot, a_state: slotState, a_version: z.string(), b_state: slotState, b_version: z.string() }),
  ),
  FW_BEGIN: cmd(
    true,
    z.strictObject({ slot, size: uint(1, 64 * 1024 * 1024), sha256 }),
    z.object({ slot, next_offset: uint(), chunk_max: uint(1, 4096) }),
  ),
  FW_CHUNK: cmd(
    true,
    z.strictObject({ slot, offset: uint(), crc: hex32, data: base64 }),
    z.object({ slot, next_offset: uint() }),
  ),
  FW_STATUS: cmd(
    true,
    none,
    z.object({ state: z.enum(['idle', 'receiving', 'complete', 'valid', 'invalid']), slot: z.union([slot, z.literal('')]), size: uint(), next_offset: uint() }),
  ),
  FW_END: cmd(true, z.strictObject({ slot }), z.object({ slot, version: token })),
  FW_ABORT: cmd(true, none, z.object({ state: z.literal('idle') })),
  FW_ACTIVATE: cmd(false, z.strictObject({ slot }), z.object({ slot })),
} satisfies Record<string, CommandSpec>;

export const EVENTS = {
  BOOT: z.object({ boot_id: bootId, fw: token, slot, reason: z.enum(['power', 'reboot', 'activate', 'watchdog']) }),
  ALARM: z.object({ span, alarm: z.enum(['los', 'lof', 'ais', 'rai']), state: onoff }),
  SECURE: z.object({ ch, state: onoff, source: z.enum(['host', 'trigger', 'timeout']) }),
  COUNTERS: z.object({ span, ...counters }),
  HEALTH: health,
  CFG: z.object({ version: uint(), changed: list }),
  FW: z.object({ slot, state: slotState }),
  /** A channel's DSP stopped processing, or runs again (docs/protocol.md §12; a board fault, never call data). */
  DSP: z.object({ ch, state: z.enum(['stalled', 'ok']) }),
  /** A digit was masked on a channel: where and how long, never which (docs/protocol.md §12). */
  MASKED: z.object({ ch, at_ms: uint(), dur_ms: uint(), leg: z.enum(['caller', 'agent']).optional() }),
} satisfies Record<string, z.ZodType<unknown, Record<string, string>>>;

/** Fields of an ERR response (§4, §8). */
export const ERR_FIELDS = z.object({
  code: uint(1, 65535),
  err: z.string(),
  text,
  field: z.string().optional(),
  next_offset: uint().optional(),
});

/** Fields of a NAK (§5). */
export const NAK_FIELDS = z.object({ reason: z.enum(NAK_REASONS), echo: z.enum(['yes', 'no']) });

export type CommandName = keyof typeof COMMANDS;
export type EventName = keyof typeof EVENTS;
export type RequestOf<N extends CommandName> = z.output<(typeof COMMANDS)[N]['request']>;
export type ResponseOf<N extends CommandName> = z.output<(typeof COMMANDS)[N]['response']>;
export type EventOf<N extends EventName> = z.output<(typeof EVENTS)[N]>;

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(EVENTS, name);
}

/** Typed request → wire fields. */
export function encodeRequest<N extends CommandName>(name: N, req: RequestOf<N>): Record<string, string> {
  return z.encode(COMMANDS[name].request as z.ZodType, req) as Record<string, string>;
}
/** Typed response → wire fields. */
export function encodeResponse<N extends CommandName>(name: N, res: ResponseOf<N>): Record<string, string> {
  return z.encode(COMMANDS[name].response as z.ZodType, res) as Record<string, string>;
}
/** Typed event → wire fields. */
export function encodeEvent<N extends EventName>(name: N, ev: EventOf<N>): Record<string, string> {
  return z.encode(EVENTS[name] as z.ZodType, ev) as Record<string, string>;
}

/** First problem of a failed parse as "field: message", for ERR text and user messages. */
export function describeIssue(error: z.ZodError): { field: string; message: string; unknownField: boolean } {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') return { field: issue.keys[0] ?? '', message: `unknown field ${issue.keys.join(', ')}`, unknownField: true };
  const field = issue.path.map(String).join('.');
  return { field, message: `${field}: ${issue.message}`, unknownField: false };
}
