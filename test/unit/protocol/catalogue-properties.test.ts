import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { COMMANDS, EVENTS } from '../../../src/protocol/commands.ts';
import { decodeFrame, encodeFrame, type FrameKind } from '../../../src/protocol/frame.ts';

/**
 * Random canonical wire values per field name (the catalogue names a field the same way wherever it
 * appears). Where one name has several value sets (`state`), the union is generated and values the
 * message's schema refuses are filtered out.
 */
const uintArb = (max = 0xffffffff) => fc.integer({ min: 0, max }).map(String);
const tokenArb = fc.stringMatching(/^[\x21-\x7e]{1,16}$/);
const listArb = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/), { maxLength: 5 }).map((a) => a.join(','));
const addrArb = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
  fc.tuple(fc.constantFrom('::1', '2001:db8::7', 'fe80::1'), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
);
const hex = (n: number, upper: boolean) => fc.stringMatching(new RegExp(`^[0-9${upper ? 'A-F' : 'a-f'}]{${n}}$`));
const onoffArb = fc.constantFrom('on', 'off');
const counter = uintArb();

const FIELD_ARBS: Record<string, fc.Arbitrary<string>> = {
  proto: fc.integer({ min: 1, max: 65535 }).map(String),
  model: tokenArb, serial: tokenArb, fw: tokenArb, hw: tokenArb, version: fc.oneof(tokenArb, uintArb()),
  a_version: fc.oneof(tokenArb, fc.constant('')), b_version: fc.oneof(tokenArb, fc.constant('')),
  slot: fc.constantFrom('A', 'B', ''), active: fc.constantFrom('A', 'B'), next: fc.constantFrom('A', 'B'),
  caps: listArb, pending: listArb, changed: listArb, discarded: listArb,
  channels: uintArb(4096), spans: uintArb(64), max_frame: fc.integer({ min: 64, max: 65535 }).map(String),
  boot_id: hex(8, true), crc: hex(8, true), sha256: hex(64, false),
  cfg: fc.constantFrom('clean', 'staged'), view: fc.constantFrom('running', 'staged'),
  uptime_s: counter, since_s: counter, counted_s: counter,
  tone: fc.constantFrom('#', '0', '1'), code: fc.oneof(fc.stringMatching(/^[0-9*#]{1,8}$/), uintArb(14)),
  ch: fc.integer({ min: 1, max: 4096 }).map(String), span: fc.integer({ min: 1, max: 64 }).map(String),
  state: fc.constantFrom('on', 'off', 'up', 'down', 'idle', 'empty', 'receiving', 'complete', 'valid', 'invalid', 'stalled', 'ok'),
  on: fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { maxLength: 20 }).map((a) => {
    // canonical range list: ascending, runs of 2+ as ranges
    const s = [...a].sort((x, y) => x - y);
    const parts: string[] = [];
    for (let i = 0; i < s.length; ) {
      let j = i;
      while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
      parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
      i = j + 1;
    }
    return parts.join(',');
  }),
  type: fc.constantFrom('e1', 't1'), framing: fc.constantFrom('crc4', 'no-crc4', 'esf', 'd4'), line_code: fc.constantFrom('hdb3', 'ami', 'b8zs'),
  lbo: uintArb(7), clock: fc.constantFrom('line', 'internal'),
  los: onoffArb, lof: onoffArb, ais: onoffArb, rai: onoffArb, bypass: onoffArb,
  cv: counter, crc_err: counter, fas_err: counter, slips: counter, es: counter, ses: counter,
  loopback: fc.constantFrom('off', 'local', 'line', 'payload'), mode: fc.constantFrom('off', 'local', 'line', 'payload'),
  listen: addrArb, forward: addrArb, pt_pcmu: uintArb(127), pt_pcma: uintArb(127), pt_event: fc.integer({ min: 96, max: 127 }).map(String),
  temp_c: fc.integer({ min: -40000, max: 125000 }).map((m) => String(m / 1000)),
  v_main_mv: counter, v_3v3_mv: counter, v_core_mv: counter, dsp_load_pct: uintArb(100),
  a_state: fc.constantFrom('empty', 'receiving', 'complete', 'valid', 'invalid'), b_state: fc.constantFrom('empty', 'receiving', 'complete', 'valid', 'invalid'),
  size: fc.integer({ min: 0, max: 64 * 1024 * 1024 }).map(String), next_offset: counter, chunk_max: fc.integer({ min: 1, max: 4096 }).map(String),
  offset: counter, data: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('base64')),
  alarm: fc.constantFrom('los', 'lof', 'ais', 'rai'), source: fc.constantFrom('host', 'trigger', 'timeout'),
  reason: fc.constantFrom('power', 'reboot', 'activate', 'watchdog'),
  secure_idle_s: fc.integer({ min: 1, max: 3600 }).map(String), at_ms: counter, dur_ms: counter, leg: fc.constantFrom('caller', 'agent'),
};

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
}

function isOptional(s: z.ZodType): boolean {
  return (s as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'optional';
}

/** Random wire fields for an object schema: every required key, optional keys sometimes. */
function wireArb(schema: z.ZodType): fc.Arbitrary<Record<string, string>> {
  const shape = shapeOf(schema);
  const required: Record<string, fc.Arbitrary<string>> = {};
  const optional: string[] = [];
  for (const [k, s] of Object.entries(shape)) {
    if (!FIELD_ARBS[k]) throw new Error(`no generator for field ${k}: add one to FIELD_ARBS`);
    if (isOptional(s)) optional.push(k);
    else required[k] = FIELD_ARBS[k];
  }
  return fc.record({ ...required, ...Object.fromEntries(optional.map((k) => [k, FIELD_ARBS[k]])) }, { requiredKeys: Object.keys(required) });
}

function checkRoundTrip(schema: z.ZodType, kind: FrameKind, name: string) {
  fc.assert(
    fc.property(wireArb(schema), fc.integer({ min: 0, max: 65535 }), (wire, seq) => {
      const typed = schema.safeParse(wire);
      fc.pre(typed.success); // a value of the union the message does not take
      expect(z.encode(schema, typed.data)).toEqual(wire); // canonical: one spelling per value
      const frame = decodeFrame(encodeFrame({ kind, seq, name, fields: wire }));
      expect(frame).toEqual({ kind, seq, name, fields: wire });
      expect(schema.parse(frame.fields)).toEqual(typed.data);
    }),
    { numRuns: 60 },
  );
}

describe('catalogue properties: random values of every field of every message round-trip', () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    it(`${name}`, () => {
      checkRoundTrip(spec.request, 'req', name);
      checkRoundTrip(spec.response, 'ok', name);
    });
  }
  for (const [name, schema] of Object.entries(EVENTS)) {
    it(`event ${name}`, () => checkRoundTrip(schema, 'evt', name));
  }
});
