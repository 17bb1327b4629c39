import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findLuhnRuns, luhnValid, redactText, redactValue, REDACTED } from '../../src/redact.ts';

// Well-known test PANs (card-scheme test numbers, never issued to a cardholder).
const TEST_PANS = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117'];

describe('Luhn scan', () => {
  it('accepts the test PANs and rejects one wrong digit', () => {
    for (const pan of TEST_PANS) {
      expect(luhnValid(pan)).toBe(true);
      const wrong = pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10);
      expect(luhnValid(wrong)).toBe(false);
    }
  });

  it('finds PANs written plain, grouped, and glued inside longer digit runs', () => {
    expect(findLuhnRuns('card 4111111111111111 ok').length).toBeGreaterThan(0);
    expect(findLuhnRuns('card 4111 1111 1111 1111 ok').length).toBeGreaterThan(0);
    expect(findLuhnRuns('card 5555-5555-5555-4444').length).toBeGreaterThan(0);
    expect(findLuhnRuns('x9994111111111111111999').length).toBeGreaterThan(0);
  });

  it('ignores short numbers and runs of one repeated digit', () => {
    expect(findLuhnRuns('port 115200 seq 65535 ts 1700000000')).toEqual([]);
    expect(findLuhnRuns('0000000000000000')).toEqual([]);
  });

  it('redacts strings and objects so no Luhn-valid run is left', () => {
    expect(redactText('keyed 4111111111111111 now')).toBe(`keyed ${REDACTED} now`);
    const obj = redactValue({ msg: 'pan 378282246310005', nested: [{ v: '6011 1111 1111 1117' }], n: 5 });
    expect(JSON.stringify(obj)).not.toMatch(/\d{12}/);
    expect(obj.n).toBe(5);
  });

  it('property: whatever surrounds a test PAN, the redacted text holds no Luhn-valid run', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...TEST_PANS), fc.string(), (a, pan, b) => {
        expect(findLuhnRuns(redactText(`${a}${pan}${b}`))).toEqual([]);
      }),
    );
  });
});
