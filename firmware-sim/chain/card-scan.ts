/**
 * The rig's scan of host output for card data (PCI DSS 3.4: no PAN in logs, metrics or reports):
 * every Luhn-valid run of 12-19 digits (src/redact.ts), except where a random number makes one by
 * chance, which would fail a scan now and then without any card data:
 *   - inside SHA-256 digests: the audit log is hash-chained (`prev`, `hash`: 64 hex characters),
 *     and a digest holds a Luhn-valid digit run in a few percent of runs;
 *   - in the fraction of a decimal number: a float printed unrounded (`"durationMs":
 *     12158.202880859375`) has 12 or more digits after the point.
 * A PAN written as a number of its own, in words or in any grouping is still found.
 */
import { findLuhnRuns, type PanMatch } from '../../src/redact.ts';

const SHA256_HEX = /\b[0-9a-f]{64}\b/g;
const FRACTION = /(?<=\d\.)\d+/g;

/** Luhn-valid digit runs in `text` outside digests and fractions (positions refer to `text`). */
export function cardDataIn(text: string): PanMatch[] {
  // Replaced by as many letters, so the positions of what is left stay those of the original text.
  const blank = (s: string) => 'x'.repeat(s.length);
  return findLuhnRuns(text.replace(SHA256_HEX, blank).replace(FRACTION, blank));
}
