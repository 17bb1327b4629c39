/**
 * Keeps card data out of everything dtmfguard writes (PCI DSS 3.3/3.4): a scanner for Luhn-valid
 * digit runs, and a redactor used by the logger, the audit log and error messages.
 */

/** Primary account numbers are 12 to 19 digits (ISO/IEC 7812-1); shorter runs are not PANs. */
const MIN_PAN_DIGITS = 12;
const MAX_PAN_DIGITS = 19;

/** A run of digits, optionally grouped by single spaces or dashes as people write card numbers. */
const DIGIT_RUN = /\d(?:[ -]?\d){11,}/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export interface PanMatch {
  /** Offsets in the scanned text, end exclusive. */
  start: number;
  end: number;
  length: number;
}

/**
 * Finds every window of 12–19 consecutive digits (inside longer runs too) that passes the Luhn
 * check. Windows inside longer runs matter: a PAN glued to other digits is still a PAN.
 */
export function findLuhnRuns(text: string): PanMatch[] {
  const found: PanMatch[] = [];
  for (const m of text.matchAll(DIGIT_RUN)) {
    const positions: number[] = [];
    for (let i = 0; i < m[0].length; i++) if (m[0][i] >= '0' && m[0][i] <= '9') positions.push(m.index! + i);
    const digits = positions.map((p) => text[p]).join('');
    for (let len = MIN_PAN_DIGITS; len <= Math.min(MAX_PAN_DIGITS, digits.length); len++) {
      for (let s = 0; s + len <= digits.length; s++) {
        const candidate = digits.slice(s, s + len);
        // A run of one repeated digit (timestamps full of zeros) is not card data.
        if (/^(\d)\1*$/.test(candidate)) continue;
        if (luhnValid(candidate)) found.push({ start: positions[s], end: positions[s + len - 1] + 1, length: len });
      }
    }
  }
  return found;
}

export const REDACTED = '[REDACTED]';

/** Replaces every Luhn-valid 12–19 digit run (and the run around it) with a marker. */
export function redactText(text: string): string {
  return text.replace(DIGIT_RUN, (run) => (findLuhnRuns(run).length > 0 ? REDACTED : run));
}

/** Deep copy of a log or audit object with every string redacted. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v);
    return out as T;
  }
  return value;
}
