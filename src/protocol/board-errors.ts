/** Board error codes carried in `ERR code=N err=SYMBOL` (docs/protocol.md §8). */
export const BOARD_ERRORS = {
  'bad-field': 1,
  'out-of-range': 2,
  unsupported: 3,
  'no-such-channel': 4,
  'no-such-span': 5,
  'bad-state': 6,
  'chunk-crc': 7,
  'chunk-offset': 8,
  'image-hash': 9,
  'image-signature': 10,
  'slot-active': 11,
  'slot-empty': 12,
  busy: 13,
  internal: 14,
} as const;

export type BoardErrorName = keyof typeof BOARD_ERRORS;

export function boardErrorName(code: number): BoardErrorName | undefined {
  return (Object.keys(BOARD_ERRORS) as BoardErrorName[]).find((k) => BOARD_ERRORS[k] === code);
}

/** Reasons a board (or host) gives in a NAK (docs/protocol.md §5). */
export const NAK_REASONS = ['crc', 'syntax', 'too-long', 'escape', 'unknown-command', 'not-request'] as const;
export type NakReason = (typeof NAK_REASONS)[number];
