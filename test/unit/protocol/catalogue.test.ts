import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { COMMANDS, EVENTS, ERR_FIELDS, FW_CHUNK_MAX, NAK_FIELDS, describeIssue, encodeRequest } from '../../../src/protocol/commands.ts';
import { decimal, rangeList, base64 } from '../../../src/protocol/fields.ts';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES, type Frame } from '../../../src/protocol/frame.ts';
import { COMMAND_FIXTURES, EVENT_FIXTURES } from './catalogue-fixtures.ts';

/** wire fields → typed → wire fields (canonical) → frame bytes → frame → typed: all equal. */
function roundTrip(schema: z.ZodType, kind: Frame['kind'], name: string, wire: Record<string, string>): void {
  const typed = schema.parse(wire);
  const back = z.encode(schema, typed) as Record<string, string>;
  expect(back).toEqual(wire);
  const frame = decodeFrame(encodeFrame({ kind, seq: 65535, name, fields: back }));
  expect(frame.fields).toEqual(wire);
  expect(schema.parse(frame.fields)).toEqual(typed);
}

describe('message catalogue', () => {
  it('has a fixture for every command and event, and no fixture for a name it lacks', () => {
    expect(Object.keys(COMMAND_FIXTURES).sort()).toEqual(Object.keys(COMMANDS).sort());
    expect(Object.keys(EVENT_FIXTURES).sort()).toEqual(Object.keys(EVENTS).sort());
  });

  for (const [name, spec] of Object.entries(COMMANDS)) {
    it(`${name} request and response round-trip`, () => {
      roundTrip(spec.request, 'req', name, COMMAND_FIXTURES[name].request);
      roundTrip(spec.response, 'ok', name, COMMAND_FIXTURES[name].response);
    });
  }
  for (const [name, schema] of Object.entries(EVENTS)) {
    it(`event ${name} round-trips`, () => roundTrip(schema, 'evt', name, EVENT_FIXTURES[name]));
  }

  it('ERR and NAK fields round-trip', () => {
    roundTrip(ERR_FIELDS, 'err', 'FW_CHUNK', { code: '8', err: 'chunk-offset', text: 'expected offset 1024', next_offset: '1024' });
    roundTrip(NAK_FIELDS, 'nak', 'FRAME', { reason: 'crc', echo: 'no' });
  });

  it('marks exactly the commands with side effects a repeat would double as non-idempotent', () => {
    const nonIdempotent = Object.entries(COMMANDS).filter(([, s]) => !s.idempotent).map(([n]) => n).sort();
    expect(nonIdempotent).toEqual(['FW_ACTIVATE', 'REBOOT', 'RESET_COUNTERS']);
  });

  it('refuses unknown request fields and non-canonical values, naming the field', () => {
    const r1 = COMMANDS.SET_MASK_TONE.request.safeParse({ tone: '#', mask: '1' });
    expect(r1.success).toBe(false);
    expect(describeIssue(r1.error!)).toMatchObject({ field: 'mask', unknownField: true });
    const r2 = COMMANDS.GET_SECURE.request.safeParse({ ch: '007' });
    expect(r2.success).toBe(false);
    expect(describeIssue(r2.error!).field).toBe('ch');
    expect(COMMANDS.SET_MASK_TONE.request.safeParse({ tone: '5' }).success).toBe(false);
    expect(COMMANDS.SET_SIP.request.safeParse({ ...COMMAND_FIXTURES.SET_SIP.request, listen: '10.0.0.1:65536' }).success).toBe(false);
    expect(COMMANDS.SET_SIP.request.safeParse({ ...COMMAND_FIXTURES.SET_SIP.request, pt_event: '95' }).success).toBe(false);
    expect(COMMANDS.FW_CHUNK.request.safeParse({ ...COMMAND_FIXTURES.FW_CHUNK.request, data: 'AAECAwR=' }).success).toBe(false);
    expect(COMMANDS.GET_SECURE_SUMMARY.response.safeParse({ channels: '60', on: '5-3' }).success).toBe(false);
    // responses tolerate fields a newer board adds
    expect(COMMANDS.PING.response.parse({ uptime_s: '1', boot_id: '0A1B2C3D', new_field: 'x' })).toEqual({ uptime_s: 1, boot_id: '0A1B2C3D' });
  });

  it('the largest FW_CHUNK (chunk_max octets, widest numbers) fits in one frame', () => {
    const fields = encodeRequest('FW_CHUNK', { slot: 'B', offset: 0xffffffff, crc: 'FFFFFFFF', data: new Uint8Array(FW_CHUNK_MAX).fill(0xff) });
    const line = encodeFrame({ kind: 'req', seq: 65535, name: 'FW_CHUNK', fields });
    expect(line.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(line.length).toBeGreaterThan(700); // base64 of 512 octets is 684 characters
  });

  it('encodes typed requests', () => {
    expect(encodeRequest('SET_SECURE', { ch: 3, state: true })).toEqual({ ch: '3', state: 'on' });
    expect(encodeRequest('FW_CHUNK', { slot: 'B', offset: 0, crc: '00000000', data: new Uint8Array([255, 0]) })).toEqual({ slot: 'B', offset: '0', crc: '00000000', data: '/wA=' });
  });

  it('property: field codecs round-trip typed values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 60 }), (chs) => {
        const wire = z.encode(rangeList, chs);
        expect(rangeList.parse(wire)).toEqual([...chs].sort((a, b) => a - b));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -99999, max: 99999 }), (milli) => {
        const v = milli / 1000;
        expect(decimal.parse(z.encode(decimal, v))).toBeCloseTo(v, 9);
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        expect(base64.parse(z.encode(base64, b))).toEqual(b);
      }));
  });
});
