import { describe, expect, it } from 'vitest';
import { ARENA_MAX_DATAGRAM, PacketArena } from '../../../firmware-sim/relay/packet-arena.ts';

/** An RTP-sized datagram whose every octet says which copy it is. */
const datagram = (tag: number, length = 172) => new Uint8Array(length).fill(tag & 0xff);

describe('PacketArena', () => {
  it('copies: same bytes and length, its own memory, the source left alone', () => {
    const a = new PacketArena();
    const src = Buffer.from(Array.from({ length: 172 }, (_, i) => i));
    const c = a.copy(src);
    expect(c).not.toBe(src);
    expect(Buffer.from(c)).toEqual(src);
    c[20] ^= 0xff;
    expect(src[20]).toBe(20);
  });

  it('never overwrites a copy handed out earlier, across many blocks (3 MB of copies)', () => {
    const a = new PacketArena();
    const copies: Uint8Array[] = [];
    for (let k = 0; k < 20_000; k++) copies.push(a.copy(datagram(k, 100 + (k % 77))));
    copies.forEach((c, k) => {
      expect(c.length).toBe(100 + (k % 77));
      expect(c.every((v) => v === (k & 0xff))).toBe(true);
    });
  });

  it('hands back datagrams larger than a copy is worth as they came', () => {
    const a = new PacketArena();
    const big = datagram(7, ARENA_MAX_DATAGRAM + 1);
    expect(a.copy(big)).toBe(big);
    expect(a.copy(datagram(7, ARENA_MAX_DATAGRAM))).not.toBe(big);
  });
});
