/**
 * A fixed delay line: what goes in comes out `delay` samples later, unchanged (the same 16-bit
 * samples, or the same G.711 codewords). It is what gives the masker its lookahead: the analysis
 * sees each sample `delay` samples before it leaves the board.
 */
export type SampleArray = Int16Array | Uint8Array;

export class DelayLine<T extends SampleArray> {
  readonly delay: number;
  private readonly buf: T;
  private pos = 0;
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

  /** out[outOff + k] = the sample written `delay` writes before input[inOff + k], k < n. */
  process(input: T, inOff: number, out: T, outOff: number, n: number): void {
    const d = this.delay;
    if (d === 0) {
      for (let k = 0; k < n; k++) out[outOff + k] = input[inOff + k];
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    let done = 0;
    while (done < n) {
      // Up to the ring's end in one branch-free run, then wrap.
      const m = Math.min(n - done, d - p);
      const o = outOff + done - p;
      const i = inOff + done - p;
      const stop = p + m;
      for (let q = p; q < stop; q++) {
        out[o + q] = buf[q];
        buf[q] = input[i + q];
      }
      done += m;
      p = stop === d ? 0 : stop;
    }
    this.pos = p;
  }

  /** Writes the `delay` samples still held into out[outOff..], then empties the line. */
  drain(out: T, outOff: number): void {
    const d = this.delay;
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < d; k++) {
      out[outOff + k] = buf[p];
      if (++p === d) p = 0;
    }
    this.reset();
  }

  reset(): void {
    this.buf.fill(this.fillValue);
    this.pos = 0;
  }

  get byteLength(): number {
    return this.buf.byteLength;
  }
}
