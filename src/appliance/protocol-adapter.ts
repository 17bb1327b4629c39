import type { Frame } from '../protocol/frame.ts';
import type { FrameHint } from '../protocol/frame.ts';

/**
 * What the driver needs to know of the protocol beyond the frame codec: which commands may be
 * repeated, what a NAK and a heartbeat look like, how an error response carries its code.
 * Kept in one place so the driver core stays generic and tests can script a board freely.
 */
export interface ProtocolAdapter {
  /** Whether a command may be sent again after a timeout (the catalogue's flag). */
  isIdempotent(name: string): boolean;
  /** The harmless command the heartbeat sends. */
  readonly heartbeat: { name: string; fields: Record<string, string> };
  /** Whether to answer a discarded incoming frame with a NAK. */
  nakOnDiscard(reason: string): boolean;
  /** The NAK we send for a rejected incoming frame (echoing what could be read of it). */
  nakFrame(reason: string, hint?: FrameHint): Frame;
  /** Whether a NAK from the board is about the request in flight (`seq`, `name`). */
  nakIsFor(nak: Frame, seq: number, name: string): boolean;
  /** Whether a NAK names no frame at all (the board could not read the rejected line). */
  nakIsAnonymous(nak: Frame): boolean;
  /** Whether a NAK about our request means a resend cannot help (unknown command, ...). */
  nakIsFinal(nak: Frame): boolean;
  /** Code, symbol, text and offending field of an error response. */
  boardError(frame: Frame): { code: number; symbol: string; text: string; field?: string };
  /** Whether a response named `responseName` answers a request named `requestName`. */
  responseNameMatches(requestName: string, responseName: string): boolean;
}

/** Idempotency from a catalogue, when one is given; unknown commands are never retried. */
export function catalogueIdempotency(catalogue: Record<string, { idempotent: boolean }>): (name: string) => boolean {
  return (name) => catalogue[name]?.idempotent === true;
}
