import fc from 'fast-check';
import type { Frame, FrameKind } from '../../../src/protocol/frame.ts';

const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const lower = 'abcdefghijklmnopqrstuvwxyz';
const tail = (alpha: string) => fc.string({ unit: fc.constantFrom(...(alpha + '0123456789_').split('')), maxLength: 12 });

export const arbName = fc.tuple(fc.constantFrom(...upper.split('')), tail(upper)).map(([a, b]) => a + b);
export const arbKey = fc.tuple(fc.constantFrom(...lower.split('')), tail(lower)).map(([a, b]) => a + b);
/** Values mixing plain ASCII, characters that need escaping (space, %, CR, LF, controls) and non-ASCII. */
export const arbValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(' ', '%', '\r', '\n', '\t', '=', '*', 'a', '#', '\u0000'), maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
export const arbKind: fc.Arbitrary<FrameKind> = fc.constantFrom('req', 'ok', 'err', 'nak', 'evt');
export const arbFrame: fc.Arbitrary<Frame> = fc.record({
  kind: arbKind,
  seq: fc.integer({ min: 0, max: 65535 }),
  name: arbName,
  fields: fc.dictionary(arbKey, arbValue, { maxKeys: 6 }).map((d) => ({ ...d })),
});
