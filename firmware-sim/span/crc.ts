/**
 * The short CRCs of the primary-rate frames, MSB first, no pre- or post-inversion:
 *   CRC-4, G(x) = x^4 + x + 1, over each E1 sub-multiframe (ITU-T G.704 §2.3.3.5.2);
 *   CRC-6, G(x) = x^6 + x + 1, over each T1 ESF superframe (ITU-T G.704 §3.1.3.1.3, ANSI T1.403).
 * Both are "the remainder of M(x)·x^n divided by G(x)", which is what the shift register below
 * computes without appending zeros. The register is kept left-aligned in 8 bits so one 256-entry
 * table serves any width up to 8.
 */
export class ShortCrc {
  readonly width: number;
  private readonly poly8: number;
  /** Byte-at-a-time transition table of the left-aligned register: reg' = table[reg ^ byte]. */
  readonly table = new Uint8Array(256);

  /** `poly` holds the terms below x^width (x^4 + x + 1 → 0b0011). */
  constructor(width: number, poly: number) {
    if (width < 1 || width > 8) throw new RangeError('width must be 1..8');
    this.width = width;
    this.poly8 = (poly << (8 - width)) & 0xff;
    for (let i = 0; i < 256; i++) {
      let r = i;
      for (let b = 0; b < 8; b++) r = r & 0x80 ? ((r << 1) ^ this.poly8) & 0xff : (r << 1) & 0xff;
      this.table[i] = r;
    }
  }

  /** Start value: an all-zero register (G.704 does not preset it). */
  get init(): number {
    return 0;
  }

  /** Feeds one byte, MSB first (bit 1 of a timeslot is its MSB, G.704 §2.3.1). Register is left-aligned. */
  byte(reg: number, byte: number): number {
    return this.table[(reg ^ byte) & 0xff];
  }

  /** Feeds one bit. */
  bit(reg: number, bit: number): number {
    const fb = ((reg >> 7) ^ bit) & 1;
    reg = (reg << 1) & 0xff;
    return fb ? reg ^ this.poly8 : reg;
  }

  /** The CRC value (width bits, C1 = MSB) from a left-aligned register. */
  value(reg: number): number {
    return reg >> (8 - this.width);
  }
}

export const CRC4 = new ShortCrc(4, 0b0011);
export const CRC6 = new ShortCrc(6, 0b000011);
