import { describe, expect, it } from 'vitest';
import { cardDataIn } from '../../../firmware-sim/chain/card-scan.ts';
import { findLuhnRuns } from '../../../src/redact.ts';

// A SHA-256 digest (hex) whose digit run "4365096357266434" holds Luhn-valid windows: seen in an
// audit log's hash chain during an end-to-end run.
const DIGEST_WITH_DIGIT_RUN = '50eeaec9f2f111dc3c5b0de682404365096357266434eed6c2b8e834e919e88f';
const TEST_PAN = '4111111111111111';
// An unrounded float whose fraction is a Luhn-valid 15-digit run.
const FLOAT_WITH_LUHN_FRACTION = '9981.123456789012345';

describe('cardDataIn', () => {
  it('finds a test PAN in plain output', () => {
    expect(cardDataIn(`caller keyed ${TEST_PAN} at 12 s`)).toEqual([expect.objectContaining({ start: 13, end: 29, length: 16 })]);
  });

  it('ignores digit runs inside SHA-256 digests, but not a PAN next to one', () => {
    expect(findLuhnRuns(DIGEST_WITH_DIGIT_RUN).length).toBeGreaterThan(0);
    expect(cardDataIn(`"prev":"${DIGEST_WITH_DIGIT_RUN}"`)).toEqual([]);
    const text = `"hash":"${DIGEST_WITH_DIGIT_RUN}","pan":"${TEST_PAN}"`;
    const found = cardDataIn(text);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((m) => m.start >= text.indexOf(TEST_PAN))).toBe(true);
  });

  it('ignores the fraction of a decimal number, not a PAN written as a number', () => {
    expect(findLuhnRuns(FLOAT_WITH_LUHN_FRACTION).length).toBeGreaterThan(0);
    expect(cardDataIn(`"durationMs": ${FLOAT_WITH_LUHN_FRACTION}`)).toEqual([]);
    expect(cardDataIn(`"pan": ${TEST_PAN}, "at": 1.5`)).toHaveLength(1);
    expect(cardDataIn(`4111 1111 1111 1111`).length).toBeGreaterThan(0);
  });
});
