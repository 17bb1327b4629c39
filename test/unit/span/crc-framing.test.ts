import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CRC4, CRC6, ShortCrc } from '../../../firmware-sim/span/crc.ts';
import { E1Receiver, E1Transmitter } from '../../../firmware-sim/span/e1.ts';
import { T1Receiver, T1Transmitter } from '../../../firmware-sim/span/t1.ts';

/** Oracle: remainder of M(x)·x^w divided by G(x), by long division on BigInt. */
function polyRemainder(bits: number[], width: number, generator: bigint): number {
  let m = 0n;
  for (const b of bits) m = (m << 1n) | BigInt(b);
  m <<= BigInt(width);
  const top = bits.length + width;
  for (let i = top - 1; i >= width; i--) if ((m >> BigInt(i)) & 1n) m ^= generator << BigInt(i - width);
  return Number(m);
}

function crcOfBits(crc: ShortCrc, bits: number[]): number {
  let reg = crc.init;
  for (const b of bits) reg = crc.bit(reg, b);
  return crc.value(reg);
}

function crcOfBytes(crc: ShortCrc, bytes: Uint8Array): number {
  let reg = crc.init;
  for (const b of bytes) reg = crc.table[reg ^ b];
  return crc.value(reg);
}

const bitsOf = (bytes: Uint8Array) => [...bytes].flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));

describe('CRC-4 and CRC-6', () => {
  it('equal polynomial division by x^4+x+1 and x^6+x+1 (BigInt oracle), bitwise and bytewise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const bits = bitsOf(bytes);
        const r4 = polyRemainder(bits, 4, 0b10011n);
        const r6 = polyRemainder(bits, 6, 0b1000011n);
        return crcOfBits(CRC4, bits) === r4 && crcOfBytes(CRC4, bytes) === r4 && crcOfBits(CRC6, bits) === r6 && crcOfBytes(CRC6, bytes) === r6;
      }),
      { numRuns: 200 },
    );
  });

  it('detect every single-bit error in a 2048-bit E1 block', () => {
    const block = new Uint8Array(256).map((_, i) => (i * 37) & 0xff);
    const good = crcOfBytes(CRC4, block);
    for (let bit = 0; bit < 2048; bit++) {
      const copy = Uint8Array.from(block);
      copy[bit >> 3] ^= 0x80 >> (bit & 7);
      expect(crcOfBytes(CRC4, copy)).not.toBe(good);
    }
  });
});

/** Fixture: E1 bearers filled with a counting pattern so every timeslot differs. */
function e1Tick(tx: E1Transmitter, rai = false): Uint8Array {
  for (let f = 0; f < 16; f++) for (let ts = 1; ts < 32; ts++) tx.frames[f * 32 + ts] = (f * 31 + ts) & 0xff;
  return tx.build(rai);
}

describe('E1 frame (G.704 §2.3)', () => {
  it('TS0 carries FAS / NFAS alternately, the multiframe signal 001011 and Sa bits at 1', () => {
    const tx = new E1Transmitter('cas');
    const fr = e1Tick(tx);
    for (let f = 0; f < 16; f += 2) expect(fr[f * 32] & 0x7f, `frame ${f}`).toBe(0b0011011);
    for (let f = 1; f < 16; f += 2) expect(fr[f * 32] & 0x7f, `frame ${f}`).toBe(0b1011111); // bit2 = 1, A = 0, Sa = 1
    expect([1, 3, 5, 7, 9, 11].map((f) => fr[f * 32] >> 7)).toEqual([0, 0, 1, 0, 1, 1]);
    // No errors reported: E bits at 1.
    expect([13, 15].map((f) => fr[f * 32] >> 7)).toEqual([1, 1]);
    // CAS: TS16 of frame 0 is the multiframe word 0000 1011 (X = 1, Y = 0); idle ABCD 1101.
    expect(fr[16]).toBe(0x0b);
    expect(fr[32 + 16]).toBe(0xdd);
  });

  it('C bits of each sub-multiframe are the CRC-4 of the previous one, computed with its C bits at 0', () => {
    const tx = new E1Transmitter('cas');
    const ticks = [Uint8Array.from(e1Tick(tx)), Uint8Array.from(e1Tick(tx))];
    const smfs: Uint8Array[] = [];
    for (const t of ticks) for (let s = 0; s < 2; s++) smfs.push(t.slice(s * 256, s * 256 + 256));
    for (let k = 1; k < smfs.length; k++) {
      const prev = Uint8Array.from(smfs[k - 1]);
      for (let f = 0; f < 8; f += 2) prev[f * 32] &= 0x7f;
      const expected = polyRemainder(bitsOf(prev), 4, 0b10011n);
      const cBits = [0, 2, 4, 6].map((f) => smfs[k][f * 32] >> 7);
      expect(cBits, `SMF ${k}`).toEqual([3, 2, 1, 0].map((i) => (expected >> i) & 1));
    }
  });

  it('A bit carries RAI', () => {
    const fr = e1Tick(new E1Transmitter(), true);
    for (let f = 1; f < 16; f += 2) expect(fr[f * 32] & 0x20).toBe(0x20);
  });

  it('receiver: two bad FAS words keep alignment, three consecutive lose it (G.706 §4.1.1); realigns on FAS, NFAS, FAS', () => {
    const tx = new E1Transmitter();
    const rx = new E1Receiver();
    const feed = (mutate?: (fr: Uint8Array) => void) => {
      const fr = Uint8Array.from(e1Tick(tx));
      mutate?.(fr);
      rx.process({ frames: fr, pulses: true, violations: 0 });
    };
    feed();
    feed();
    expect(rx.oof).toBe(false);
    feed((fr) => { fr[0] ^= 0x01; fr[64] ^= 0x01; }); // frames 0 and 2 bad, frame 4 good
    expect(rx.oof).toBe(false);
    expect(rx.counts.fe).toBe(2);
    feed((fr) => { fr[0] ^= 0x01; fr[64] ^= 0x01; fr[128] ^= 0x01; });
    expect(rx.counts.oofEvents).toBe(1);
    // Out of frame from frame 4: its bearers go to the host as all ones (AIS downstream) ...
    expect(rx.payload[4 * 32 + 1]).toBe(0xff);
    expect(rx.payload[7 * 32 + 9]).toBe(0xff);
    // ... until FAS (frame 6), NFAS with bit 2 = 1 (frame 7), FAS (frame 8) realign it.
    expect(rx.payload[8 * 32 + 1]).toBe((8 * 31 + 1) & 0xff);
    expect(rx.oof).toBe(false);
    // With every FAS corrupted it stays out of frame.
    feed((fr) => { for (let f = 0; f < 16; f += 2) fr[f * 32] ^= 0x7f; });
    expect(rx.oof).toBe(true);
    expect(rx.counts.oofEvents).toBe(2);
    feed();
    expect(rx.oof).toBe(false);
  });

  it('receiver counts a CRC-4 error for one flipped payload bit, and none on a clean signal', () => {
    const tx = new E1Transmitter();
    const rx = new E1Receiver();
    for (let i = 0; i < 3; i++) rx.process({ frames: Uint8Array.from(e1Tick(tx)), pulses: true, violations: 0 });
    expect(rx.counts.crc).toBe(0);
    const fr = Uint8Array.from(e1Tick(tx));
    fr[5 * 32 + 7] ^= 0x10; // a bearer bit in SMF I
    rx.process({ frames: fr, pulses: true, violations: 0 });
    rx.process({ frames: Uint8Array.from(e1Tick(tx)), pulses: true, violations: 0 });
    expect(rx.counts.crc).toBe(1);
    expect(rx.blockErrors).toEqual([false, false]);
  });
});

describe('T1 frames (G.704 §3.1, T1.403)', () => {
  it('ESF: FPS 001011 in frames 4..24, CRC-6 of the previous superframe (F bits as 1) in frames 2..22, HDLC flags on the FDL', () => {
    const tx = new T1Transmitter('esf');
    const build = () => {
      for (let f = 0; f < 24; f++) for (let ts = 1; ts <= 24; ts++) tx.frames[f * 25 + ts] = (f * 24 + ts * 3) & 0xff;
      return Uint8Array.from(tx.build(false));
    };
    const a = build();
    const b = build();
    const F = (fr: Uint8Array, n: number) => fr[(n - 1) * 25] & 1;
    expect([4, 8, 12, 16, 20, 24].map((n) => F(b, n))).toEqual([0, 0, 1, 0, 1, 1]);
    const bitsA: number[] = [];
    for (let f = 0; f < 24; f++) bitsA.push(1, ...bitsOf(a.subarray(f * 25 + 1, f * 25 + 25)));
    expect(bitsA.length).toBe(4632);
    const crc = polyRemainder(bitsA, 6, 0b1000011n);
    expect([2, 6, 10, 14, 18, 22].map((n) => F(b, n))).toEqual([5, 4, 3, 2, 1, 0].map((i) => (crc >> i) & 1));
    const fdl = [...Array(12).keys()].map((i) => F(a, 2 * i + 1)).join('');
    expect(fdl).toBe('011111100111'); // flags 01111110 01111110 ...
  });

  it('ESF yellow: the FDL carries 11111111 00000000 repeated', () => {
    const tx = new T1Transmitter('esf');
    let bits = '';
    for (let k = 0; k < 4; k++) {
      const fr = tx.build(true);
      for (let i = 0; i < 12; i++) bits += fr[i * 2 * 25] & 1;
    }
    expect(bits).toBe('1111111100000000'.repeat(3));
  });

  it('D4: Ft 101010 and Fs 001110; yellow forces bit 2 of every channel to 0', () => {
    const tx = new T1Transmitter('d4');
    tx.frames.fill(0xff);
    const fr = tx.build(true);
    const F = (n: number) => fr[(n - 1) * 25] & 1;
    expect([1, 3, 5, 7, 9, 11].map(F)).toEqual([1, 0, 1, 0, 1, 0]);
    expect([2, 4, 6, 8, 10, 12].map(F)).toEqual([0, 0, 1, 1, 1, 0]);
    for (let f = 0; f < 12; f++) for (let ts = 1; ts <= 24; ts++) expect(fr[f * 25 + ts]).toBe(0xbf);
  });

  it('receiver: OOF on 2 errored framing bits out of 4 (T1.231), not on 1', () => {
    for (const framing of ['esf', 'd4'] as const) {
      const tx = new T1Transmitter(framing);
      const rx = new T1Receiver(framing);
      const feed = (errs: number[]) => {
        tx.frames.fill(0xff);
        const fr = Uint8Array.from(tx.build(false));
        for (const n of errs) fr[(n - 1) * 25] ^= 1;
        rx.process({ frames: fr, pulses: true, violations: 0 });
      };
      const judged = framing === 'esf' ? [4, 8, 12, 16] : [1, 3, 5, 7];
      feed([judged[0]]);
      expect(rx.oof, framing).toBe(false);
      feed([judged[0], judged[2]]); // two of four consecutive
      expect(rx.oof, framing).toBe(true);
      feed([]);
      expect(rx.oof, `${framing} reframes on a clean superframe`).toBe(false);
    }
  });
});
