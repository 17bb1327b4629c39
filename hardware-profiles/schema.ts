/**
 * Hardware profiles: one JSON file per appliance model (identity, interfaces, channel counts,
 * codecs, serial defaults, supported firmware). The simulator builds its board from one; the host
 * takes line defaults from one. `loadProfile` turns every problem into DG3xxx naming the field.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { z } from 'zod';
import { DgError } from '../src/errors.ts';

/** Channels per span: E1 carries 30 voice timeslots (ITU-T G.704: TS0 framing, TS16 signalling), T1 24 (ANSI T1.107). */
export const CHANNELS_PER_SPAN = { e1: 30, t1: 24 } as const;

const e1Span = z.strictObject({
  type: z.literal('e1'),
  framing: z.enum(['crc4', 'no-crc4']),
  lineCode: z.enum(['hdb3', 'ami']),
  lbo: z.literal(0),
  clock: z.enum(['line', 'internal']),
});
const t1Span = z.strictObject({
  type: z.literal('t1'),
  framing: z.enum(['esf', 'd4']),
  lineCode: z.enum(['b8zs', 'ami']),
  lbo: z.number().int().min(0).max(7),
  clock: z.enum(['line', 'internal']),
});
export const spanSchema = z.discriminatedUnion('type', [e1Span, t1Span]);

const hostPort = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}$/, 'expected IPv4:port or [IPv6]:port');

export const sipSchema = z.strictObject({
  listen: hostPort,
  forward: hostPort,
  ptPcmu: z.number().int().min(0).max(127),
  ptPcma: z.number().int().min(0).max(127),
  ptEvent: z.number().int().min(96).max(127),
});

const version = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.4.2');

export const profileSchema = z
  .strictObject({
    model: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,31}$/, 'expected an upper-case model name like DG-2E1'),
    description: z.string().min(1),
    identity: z.strictObject({
      vendor: z.string().min(1),
      hwRevision: z.string().regex(/^[a-z0-9-]{1,16}$/, 'expected a revision like rev-c'),
      serialPrefix: z.string().regex(/^[A-Z0-9-]{1,16}$/, 'expected upper-case letters, digits and -'),
    }),
    interfaces: z.strictObject({
      spans: z.array(spanSchema).max(8),
      sip: sipSchema.nullable(),
    }),
    // 240 at most: GET_SECURE_SUMMARY lists the channels in secure mode in one frame (docs/protocol.md
    // §2.4), which holds even when every other channel of 240 is on (~450 octets), not of 480.
    channels: z.number().int().min(1).max(240),
    codecs: z.array(z.enum(['alaw', 'ulaw'])).min(1),
    serial: z.strictObject({
      baudRate: z.union([z.literal(9600), z.literal(19200), z.literal(38400), z.literal(57600), z.literal(115200), z.literal(230400)]),
      dataBits: z.literal(8),
      parity: z.enum(['none', 'even', 'odd']),
      stopBits: z.union([z.literal(1), z.literal(2)]),
    }),
    firmware: z.strictObject({
      shipped: version,
      supported: z.array(version).min(1),
      protocol: z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1) }),
    }),
    defaults: z.strictObject({
      maskTone: z.enum(['#', '0', '1']),
      triggerCode: z.string().regex(/^[0-9*#]{1,8}$/, 'expected 1 to 8 of 0-9 * #'),
    }),
    health: z.strictObject({
      tempC: z.number().min(-40).max(125),
      vMainMv: z.number().int().positive(),
      v3v3Mv: z.number().int().positive(),
      vCoreMv: z.number().int().positive(),
    }),
  })
  .superRefine((p, ctx) => {
    const { spans, sip } = p.interfaces;
    if (spans.length === 0 && !sip) ctx.addIssue({ code: 'custom', path: ['interfaces'], message: 'a model needs spans or a sip edge' });
    if (spans.length > 0) {
      const expected = spans.reduce((n, s) => n + CHANNELS_PER_SPAN[s.type], 0);
      if (p.channels !== expected) ctx.addIssue({ code: 'custom', path: ['channels'], message: `the spans carry ${expected} channels, not ${p.channels}` });
      if (new Set(spans.map((s) => s.type)).size > 1) ctx.addIssue({ code: 'custom', path: ['interfaces', 'spans'], message: 'all spans of a board are E1 or all T1' });
      // G.711: E1 networks use A-law, T1 networks µ-law.
      const law = spans[0].type === 'e1' ? 'alaw' : 'ulaw';
      if (!p.codecs.includes(law)) ctx.addIssue({ code: 'custom', path: ['codecs'], message: `${spans[0].type.toUpperCase()} spans need ${law}` });
    }
    if (!p.firmware.supported.includes(p.firmware.shipped)) ctx.addIssue({ code: 'custom', path: ['firmware', 'shipped'], message: 'must be one of firmware.supported' });
    if (p.firmware.protocol.min > p.firmware.protocol.max) ctx.addIssue({ code: 'custom', path: ['firmware', 'protocol'], message: 'min must not exceed max' });
  });

export type HardwareProfile = z.output<typeof profileSchema>;
export type SpanProfile = z.output<typeof spanSchema>;
export type SipProfile = z.output<typeof sipSchema>;

/** Where the shipped profiles live. */
export const PROFILE_DIR = new URL('./', import.meta.url);

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
}

/** Validates parsed JSON; `source` names the file in messages. Throws DgError DG3003. */
export function parseProfile(data: unknown, source = 'hardware profile'): HardwareProfile {
  const r = profileSchema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.code === 'unrecognized_keys' ? fieldPath([...issue.path, issue.keys[0]]) : fieldPath(issue.path) || '(top level)';
  const message = issue.code === 'unrecognized_keys' ? 'unknown field (check the spelling)' : issue.message;
  throw new DgError('DG3003', `${source}: field ${field}: ${message}; fix the file (see hardware-profiles/*.json for examples)`);
}

/**
 * Reads and validates a profile file. DG3001: unreadable; DG3002: not JSON; DG3003: a field is
 * wrong (named). Exit code 2 (input error).
 */
export function loadProfile(path: string): HardwareProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError('DG3001', `cannot read hardware profile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DgError('DG3002', `hardware profile ${path} is not valid JSON (${(e as Error).message}); fix the file`);
  }
  return parseProfile(data, `hardware profile ${path}`);
}

/** The shipped profiles by file name (without .json). */
export function listShippedProfiles(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Path of a shipped profile, e.g. shippedProfilePath('dual-e1'). */
export function shippedProfilePath(name: string): string {
  return new URL(`${name}.json`, PROFILE_DIR).pathname;
}
