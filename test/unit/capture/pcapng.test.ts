import { describe, it, expect } from 'vitest';
import {
  pcapngBlock, pcapngEnhancedPacket, pcapngInterface, pcapngSectionHeader, pcapngSimplePacket, toTsUnits,
} from '../../../src/capture/pcap-writer.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { readAll } from './read-all.ts';

// Named fixture, hand-written from draft-ietf-opsawg-pcapng §4.1: a little-endian Section Header
// Block, version 1.0, section length −1, no options (28 bytes).
const SHB_LE_NO_OPTIONS = Uint8Array.from([
  0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0, 0, 0,
]);
// Named fixture: a little-endian Name Resolution Block (type 4) with an empty record list, to be skipped.
const NRB_EMPTY_LE = Uint8Array.from([4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]);

const T = 1_700_000_123_987_654_321n;

/** Three interfaces with µs (default), ns and 2^-20 s resolution, one packet each, then an SPB. */
function multiInterface(bigEndian: boolean): Uint8Array {
  return Buffer.concat([
    pcapngSectionHeader(bigEndian),
    pcapngInterface(LINKTYPE.ETHERNET, { bigEndian }),
    pcapngInterface(LINKTYPE.LINUX_SLL2, { tsresol: 9, bigEndian }),
    pcapngInterface(LINKTYPE.RAW, { tsresol: 0x80 | 20, tsoffsetSec: 10n, bigEndian }),
    pcapngEnhancedPacket(0, toTsUnits(T, 6), Uint8Array.of(1, 2, 3, 4, 5), { bigEndian }),
    pcapngBlock(0x00000005, new Uint8Array(12), bigEndian), // Interface Statistics: skipped
    pcapngEnhancedPacket(1, toTsUnits(T, 9), Uint8Array.of(6), { bigEndian, originalLength: 100 }),
    pcapngEnhancedPacket(2, toTsUnits(T, 0x80 | 20), Uint8Array.of(7, 8), { bigEndian }),
    pcapngSimplePacket(Uint8Array.of(9, 9, 9), bigEndian),
  ]);
}

describe('pcapng reader', () => {
  it('writes the section header the spec describes (checks the writer the other tests rely on)', () => {
    expect([...pcapngSectionHeader(false)]).toEqual([...SHB_LE_NO_OPTIONS]);
  });

  it.each([['little-endian', false], ['big-endian', true]])('reads a %s section with three interfaces of different if_tsresol', async (_n, be) => {
    const { packets, summary } = await readAll(multiInterface(be));
    expect(summary.partial).toBeUndefined();
    expect(summary.format).toBe('pcapng');
    expect(packets.map((p) => [p.interfaceId, p.linkType, [...p.data]])).toEqual([
      [0, LINKTYPE.ETHERNET, [1, 2, 3, 4, 5]],
      [1, LINKTYPE.LINUX_SLL2, [6]],
      [2, LINKTYPE.RAW, [7, 8]],
      [0, LINKTYPE.ETHERNET, [9, 9, 9]],
    ]);
    expect(packets[0].timestampNs).toBe((T / 1000n) * 1000n); // µs
    expect(packets[1].timestampNs).toBe(T); // ns
    expect(packets[1].originalLength).toBe(100);
    // 2^-20 s units: within one unit (954 ns) below the truth, plus the 10 s if_tsoffset.
    const d = packets[2].timestampNs - 10_000_000_000n - T;
    expect(d <= 0n && d > -954n).toBe(true);
    expect(packets[3].timestampNs).toBe(0n); // SPB has no timestamp
  });

  it('follows a second section with the other byte order and fresh interfaces', async () => {
    const bytes = Buffer.concat([
      multiInterface(false),
      pcapngSectionHeader(true),
      pcapngInterface(LINKTYPE.LINUX_SLL, { bigEndian: true }),
      Buffer.from(NRB_EMPTY_LE.map((b, i) => (i < 8 || i >= 12 ? [0, 0, 0, 4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16][i] : b))),
      pcapngEnhancedPacket(0, 5n, Uint8Array.of(0xee), { bigEndian: true }),
      pcapngEnhancedPacket(1, 5n, Uint8Array.of(0xef), { bigEndian: true }), // interface 1 of the old section is gone
    ]);
    const { packets, summary } = await readAll(bytes, 7);
    expect(packets).toHaveLength(5);
    expect(packets[4]).toMatchObject({ linkType: LINKTYPE.LINUX_SLL, interfaceId: 0, timestampNs: 5000n });
    expect(summary.skipped['packet on undeclared interface']).toBe(1);
    expect(summary.partial).toBeUndefined();
  });

  it('skips a name resolution block and an oversized custom block without holding it', async () => {
    const bytes = Buffer.concat([SHB_LE_NO_OPTIONS, NRB_EMPTY_LE, pcapngInterface(1), pcapngBlock(0x00000bad, new Uint8Array(3 << 20)), pcapngEnhancedPacket(0, 1n, Uint8Array.of(1))]);
    const { packets, summary } = await readAll(bytes);
    expect(packets).toHaveLength(1);
    expect(summary.skipped['pcapng block type 0xbad']).toBe(1);
  });

  it('keeps at most 65536 interfaces per section (memory stays bounded on hostile files)', async () => {
    const idb = pcapngInterface(LINKTYPE.RAW);
    const bytes = Buffer.concat([SHB_LE_NO_OPTIONS, ...new Array(65537).fill(idb), pcapngEnhancedPacket(65535, 1n, Uint8Array.of(0x45)), pcapngEnhancedPacket(65536, 1n, Uint8Array.of(0x45))]);
    const { packets, summary } = await readAll(bytes);
    expect(packets.map((p) => p.interfaceId)).toEqual([65535]);
    expect(summary.skipped).toEqual({ 'interface description beyond 65536 per section': 1, 'packet on undeclared interface': 1 });
  });

  it('gives identical packets whatever the chunking of the stream (every split size 1..64)', async () => {
    const bytes = multiInterface(true);
    const whole = await readAll(bytes);
    for (let size = 1; size <= 64; size++) expect((await readAll(bytes, size)).packets).toEqual(whole.packets);
  });

  describe('damaged files', () => {
    const good = multiInterface(false);
    it('rejects a section header with a bad byte-order magic (DG6003)', async () => {
      const b = Uint8Array.from(good);
      b[8] = 0;
      await expect(readAll(b)).rejects.toMatchObject({ code: 'DG6003' });
    });
    it('rejects pcapng major version 2 (DG6006)', async () => {
      const b = Uint8Array.from(good);
      b[12] = 2;
      await expect(readAll(b)).rejects.toMatchObject({ code: 'DG6006' });
    });
    it('stops with DG6005 at a block length that is not a multiple of 4', async () => {
      const b = Buffer.from(good);
      const firstEpb = 28 + 20 + 32 + 44; // SHB + IDB(no option) + IDB(if_tsresol) + IDB(if_tsresol, if_tsoffset)
      expect(b.readUInt32LE(firstEpb)).toBe(6);
      b.writeUInt32LE(41, firstEpb + 4);
      const { packets, summary } = await readAll(b);
      expect(packets).toHaveLength(0);
      expect(summary.partial).toMatchObject({ code: 'DG6005', offset: firstEpb });
    });
    it('stops with DG6005 when leading and trailing block lengths disagree', async () => {
      const b = Buffer.from(good);
      const firstEpb = 28 + 20 + 32 + 44;
      const len = b.readUInt32LE(firstEpb + 4);
      b.writeUInt32LE(len + 4, firstEpb + len - 4);
      const { summary } = await readAll(b);
      expect(summary.partial).toMatchObject({ code: 'DG6005' });
    });
    it('skips a packet block whose captured length exceeds the block, and goes on', async () => {
      const b = Buffer.from(good);
      const firstEpb = 28 + 20 + 32 + 44;
      b.writeUInt32LE(200, firstEpb + 20); // caplen
      const { packets, summary } = await readAll(b);
      expect(packets).toHaveLength(3);
      expect(summary.skipped['packet block captured length exceeds block']).toBe(1);
    });
    it('stops with DG6004 when the file ends inside a block', async () => {
      const { packets, summary } = await readAll(good.subarray(0, good.length - 5));
      expect(packets).toHaveLength(3);
      expect(summary.partial).toMatchObject({ code: 'DG6004' });
    });
  });
});
