/**
 * The stream parser: bytes in, frames and discard notices out (docs/protocol.md §2.5).
 *
 * Built on @serialport/parser-delimiter, splitting at "\n" (a "\r" before it is part of the
 * delimiter "\r\n"). The delimiter parser alone buffers without limit, so this class bounds it: once
 * more than a frame's worth of bytes has arrived without a delimiter, they are dropped and counted
 * until the next "\n", where parsing starts again. Every byte written is accounted for in `stats`:
 * bytesIn = frameBytes + discardedBytes + emptyLineBytes + bytes still pending.
 */
import { DelimiterParser } from '@serialport/parser-delimiter';
import type { TransformCallback } from 'node:stream';
import { decodeFrame, readHint, FrameError, MAX_FRAME_BYTES, type Frame, type FrameErrorReason, type FrameHint } from './frame.ts';

/** Why bytes were dropped: a decoding failure, or bytes left without a delimiter when the stream ended. */
export type DiscardReason = FrameErrorReason | 'incomplete';

export type ParsedItem =
  | { type: 'frame'; frame: Frame; bytes: number }
  | { type: 'discarded'; bytes: number; reason: DiscardReason; hint: FrameHint };

export interface FrameStreamStats {
  bytesIn: number;
  frames: number;
  frameBytes: number;
  discardedFrames: number;
  discardedBytes: number;
  /** Bare delimiters ("\r\n" or "\n" alone): a sender may send one to resynchronise; not an error. */
  emptyLines: number;
  emptyLineBytes: number;
  byReason: Record<DiscardReason, number>;
}

/** A line longer than this (bytes before "\n", a trailing "\r" included) can never be a frame. */
const MAX_LINE = MAX_FRAME_BYTES - 1;

export class FrameStream extends DelimiterParser {
  readonly stats: FrameStreamStats = {
    bytesIn: 0,
    frames: 0,
    frameBytes: 0,
    discardedFrames: 0,
    discardedBytes: 0,
    emptyLines: 0,
    emptyLineBytes: 0,
    byReason: { crc: 0, syntax: 0, 'too-long': 0, escape: 0, incomplete: 0 },
  };
  /** Bytes dropped so far from an over-long line whose delimiter has not arrived yet (0: not dropping). */
  private overflow = 0;
  private overflowHint: FrameHint = {};

  constructor() {
    super({ delimiter: '\n', includeDelimiter: false, readableObjectMode: true });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, cb: TransformCallback): void {
    this.stats.bytesIn += chunk.length;
    if (this.overflow > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        this.overflow += chunk.length;
        cb();
        return;
      }
      this.discard(this.overflow + nl + 1, 'too-long', this.overflowHint);
      this.overflow = 0;
      chunk = chunk.subarray(nl + 1);
    }
    // The delimiter parser calls this.push(line) for each complete line (see push below).
    super._transform(chunk, encoding, (err?: Error | null) => {
      if (!err && this.buffer.length > MAX_LINE) {
        // Start dropping: keep only what a NAK may echo, and free the rest now.
        this.overflow = this.buffer.length;
        this.overflowHint = hintOf(this.buffer);
        this.buffer = Buffer.alloc(0);
      }
      cb(err);
    });
  }

  override _flush(cb: TransformCallback): void {
    // Bytes with no delimiter when the stream ends were never a whole frame.
    if (this.overflow > 0) this.discard(this.overflow, 'too-long', this.overflowHint);
    else if (this.buffer.length > 0) this.discard(this.buffer.length, 'incomplete', hintOf(this.buffer));
    this.overflow = 0;
    this.buffer = Buffer.alloc(0);
    cb();
  }

  /** Bytes held back waiting for a delimiter (bounded by MAX_FRAME_BYTES). */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /** The delimiter parser hands us each line here; we push parsed items instead. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (!Buffer.isBuffer(chunk)) return super.push(chunk, encoding);
    const bytes = chunk.length + 1; // + the "\n" the delimiter parser removed
    if (chunk.length === 0 || (chunk.length === 1 && chunk[0] === 0x0d)) {
      this.stats.emptyLines++;
      this.stats.emptyLineBytes += bytes;
      return true;
    }
    if (chunk.length > MAX_LINE) {
      // A whole over-long line inside one written chunk.
      this.discard(bytes, 'too-long', hintOf(chunk));
      return true;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(chunk);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.discard(bytes, e.reason, e.hint);
      return true;
    }
    this.stats.frames++;
    this.stats.frameBytes += bytes;
    return super.push({ type: 'frame', frame, bytes } satisfies ParsedItem);
  }

  private discard(bytes: number, reason: DiscardReason, hint: FrameHint): void {
    this.stats.discardedFrames++;
    this.stats.discardedBytes += bytes;
    this.stats.byReason[reason]++;
    super.push({ type: 'discarded', bytes, reason, hint } satisfies ParsedItem);
  }
}

function hintOf(buf: Buffer): FrameHint {
  return readHint(buf.subarray(0, 64).toString('latin1'));
}
