import type { BoardErrorName } from '../../src/protocol/board-errors.ts';

/**
 * A request the board refuses (docs/protocol.md §8): becomes `ERR code=N err=NAME text=...`.
 * Thrown before any state changes, so a refused request never leaves anything half-done.
 */
export class BoardError extends Error {
  constructor(
    readonly err: BoardErrorName,
    message: string,
    readonly field?: string,
    readonly nextOffset?: number,
  ) {
    super(message);
    this.name = 'BoardError';
  }
}
