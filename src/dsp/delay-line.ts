/**
 * A fixed delay line: what goes in comes out `delay` samples later, unchanged (the same 16-bit
 * samples, or the same G.711 codewords). It is what gives the masker its lookahead: the analysis
 * sees each sample `delay` samples before it leaves the board.
 *
 * Kept linear (oldest sample first) rather than as a ring, so that a chunk moves with three block
 * copies (memmove speed) instead of a loop with a wrap test per sample.
 */
export type SampleArray = Int16Array | Uint8Array;

export class DelayLine<T extends SampleArray> {
  readonly delay: number;
  private readonly buf: T;
  private readonly fillValue: number;

  /**
   * @param buf storage of exactly `delay` elements (its type is the element type carried)
   * @param fillValue what comes out before the stream starts: 0, or the G.711 codeword of silence
   */
  constructor(buf: T, fillValue = 0) {
    this.buf = buf;
    this.delay = buf.length;
    this.fillValue = fillValue;
    buf.fill(fillValue);
  }

  /** out[k] = the sample written `delay` writes before input[k], for every k < input.length. */
  process(input: T, out: T): void {
    const d = this.delay;
    const n = input.length;
    const buf = this.buf;
    // Typed-array set() needs the same element type on both sides; T guarantees it, TS cannot see it.
    const o = out as Int16Array;
    if (n >= d) {
      o.set(buf as Int16Array, 0);
      o.set(input.subarray(0, n - d) as Int16Array, d);
      (buf as Int16Array).set(input.subarray(n - d) as Int16Array, 0);
    } else {
      o.set(buf.subarray(0, n) as Int16Array, 0);
      buf.copyWithin(0, n);
      (buf as Int16Array).set(input as Int16Array, d - n);
    }
  }

  /** Writes the `delay` samples still held into out[outOff..], then empties the line. */
  drain(out: T, outOff: number): void {
    (out as Int16Array).set(this.buf as Int16Array, outOff);
    this.reset();
  }

  reset(): void {
    this.buf.fill(this.fillValue);
  }

  get byteLength(): number {
    return this.buf.byteLength;
  }
}
