/**
 * The DTMF keypad (ITU-T Q.23): 4 low-group (row) and 4 high-group (column) frequencies; each key
 * is one tone from each group.
 */

export const LOW_GROUP_HZ = [697, 770, 852, 941] as const;
export const HIGH_GROUP_HZ = [1209, 1336, 1477, 1633] as const;

/** Row-major: KEYPAD[row][col] is the key of LOW_GROUP_HZ[row] + HIGH_GROUP_HZ[col]. */
const KEYPAD = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
] as const;

export type DtmfKey = (typeof KEYPAD)[number][number];

export const DTMF_KEYS: readonly DtmfKey[] = KEYPAD.flat();

/** The tones an installer may choose to replace every keyed digit with (design brief). */
export const MASK_TONES = ['#', '0', '1'] as const;
export type MaskTone = (typeof MASK_TONES)[number];

export function keyAt(row: number, col: number): DtmfKey {
  const key = KEYPAD[row]?.[col];
  if (key === undefined) throw new RangeError(`no DTMF key at row ${row}, column ${col}`);
  return key;
}

export function keyPosition(key: DtmfKey): { row: number; col: number } {
  const index = DTMF_KEYS.indexOf(key);
  return { row: index >> 2, col: index & 3 };
}

export function keyTones(key: DtmfKey): { low: number; high: number } {
  const { row, col } = keyPosition(key);
  return { low: LOW_GROUP_HZ[row], high: HIGH_GROUP_HZ[col] };
}

export function isDtmfKey(s: string): s is DtmfKey {
  return (DTMF_KEYS as readonly string[]).includes(s);
}

export function isMaskTone(s: string): s is MaskTone {
  return (MASK_TONES as readonly string[]).includes(s);
}
