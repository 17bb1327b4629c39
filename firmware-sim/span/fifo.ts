/**
 * A bounded queue of G.711 codewords for one timeslot and one direction. The line runs at a fixed
 * 8000 codewords per second whatever the host does, so the queue never blocks: an empty queue
 * sends the idle codeword, a full receive queue drops its oldest codewords (and counts them), as a
 * real board's elastic buffer does when the host stops reading.
 */
export class CodewordFifo {
  private readonly buf: Uint8Array;
  private head = 0;
  private size = 0;
  /** Codewords dropped because the queue was full. */
  overflows = 0;

  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends, dropping the oldest codewords when full. */
  push(byte: number): void {
    if (this.size === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.overflows++;
    }
    this.buf[(this.head + this.size) % this.capacity] = byte;
    this.size++;
  }

  /** Appends as many as fit without dropping; returns how many were taken. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.size);
    for (let i = 0; i < n; i++) this.buf[(this.head + this.size + i) % this.capacity] = data[i];
    this.size += n;
    return n;
  }

  /** Removes and returns the oldest codeword, or -1 when empty. */
  shift(): number {
    if (this.size === 0) return -1;
    const b = this.buf[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return b;
  }

  /** Removes and returns up to `max` codewords. */
  read(max = this.size): Uint8Array {
    const n = Math.min(max, this.size);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.head + i) % this.capacity];
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
    return out;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
