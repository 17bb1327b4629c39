import { describe, it, expect } from 'vitest';
import { pcapFileHeader, pcapRecord, type PcapFormat } from '../../../src/capture/pcap-writer.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { readAll } from './read-all.ts';

// Named fixture: the first 24 bytes tcpdump writes on x86 for Ethernet, microseconds, snaplen 262144.
const TCPDUMP_LE_US_ETHERNET_HEADER = Uint8Array.from([
  0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
]);

const T0 = 1_700_000_000_123_456_789n;
const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 1500 }, (_, i) => i & 0xff)];

function file(f: PcapFormat): Uint8Array {
  return Buffer.concat([pcapFileHeader(f), ...frames.map((d, i) => pcapRecord(f, T0 + BigInt(i) * 20_000_000n, d, d.length + i))]);
}

describe('pcap reader', () => {
  it('writes the same header tcpdump does (checks the writer the other tests rely on)', () => {
    expect([...pcapFileHeader({ linkType: LINKTYPE.ETHERNET })]).toEqual([...TCPDUMP_LE_US_ETHERNET_HEADER]);
  });

  it.each([
    ['µs little-endian', { nano: false, bigEndian: false }],
    ['µs big-endian', { nano: false, bigEndian: true }],
    ['ns little-endian', { nano: true, bigEndian: false }],
    ['ns big-endian', { nano: true, bigEndian: true }],
  ])('reads %s records with their timestamps, lengths and link type', async (_n, fmt) => {
    const { packets, summary } = await readAll(file({ linkType: LINKTYPE.LINUX_SLL, ...fmt }));
    expect(summary).toMatchObject({ format: 'pcap', packets: 3 });
    expect(summary.partial).toBeUndefined();
    expect(packets.map((p) => [...p.data])).toEqual(frames.map((d) => [...d]));
    expect(packets.map((p) => p.originalLength)).toEqual([3, 1, 1502]);
    expect(packets.every((p) => p.linkType === LINKTYPE.LINUX_SLL && p.interfaceId === 0)).toBe(true);
    const exact = (i: number): bigint => T0 + BigInt(i) * 20_000_000n;
    // Microsecond files keep microseconds: the nanoseconds are truncated by the writer, not invented.
    expect(packets.map((p) => p.timestampNs)).toEqual([0, 1, 2].map((i) => (fmt.nano ? exact(i) : (exact(i) / 1000n) * 1000n)));
  });

  it('gives identical packets whatever the chunking of the stream (every split size 1..40)', async () => {
    const bytes = file({ linkType: 1, nano: true });
    const whole = await readAll(bytes);
    for (let size = 1; size <= 40; size++) {
      const r = await readAll(bytes, size);
      expect(r.packets).toEqual(whole.packets);
    }
  });

  it('masks the FCS bits out of the link-type field', async () => {
    const b = Buffer.from(pcapFileHeader({ linkType: 1 }));
    b.writeUInt32LE(0x1000_0000 | 1, 20);
    const { summary, packets } = await readAll(Buffer.concat([b, pcapRecord({ linkType: 1 }, 0n, Uint8Array.of(9))]));
    expect(summary.packets).toBe(1);
    expect(packets[0].linkType).toBe(1);
  });

  it('reads the "modified" (Kuznetsov) format with its 24-byte record headers', async () => {
    const h = Buffer.from(pcapFileHeader({ linkType: 1 }));
    h.writeUInt32LE(0xa1b2cd34, 0);
    const rec = Buffer.alloc(24 + 2);
    rec.writeUInt32LE(10, 0);
    rec.writeUInt32LE(5, 4);
    rec.writeUInt32LE(2, 8);
    rec.writeUInt32LE(2, 12);
    rec.set([0xaa, 0xbb], 24);
    const { packets } = await readAll(Buffer.concat([h, rec]));
    expect(packets).toHaveLength(1);
    expect(packets[0].timestampNs).toBe(10_000_005_000n);
    expect([...packets[0].data]).toEqual([0xaa, 0xbb]);
  });

  describe('damaged files', () => {
    const good = file({ linkType: 1 });
    it.each([
      ['an empty file', new Uint8Array(0), 'DG6001'],
      ['three bytes', good.subarray(0, 3), 'DG6001'],
      ['a file header cut short', good.subarray(0, 20), 'DG6001'],
      ['an unknown magic', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, ...good.subarray(4)]), 'DG6002'],
      ['pcap version 3', Uint8Array.from(good).fill(3, 4, 5), 'DG6006'],
    ])('rejects %s with a DG6xxx error', async (_n, bytes, code) => {
      await expect(readAll(bytes)).rejects.toMatchObject({ name: 'DgError', code, exitCode: 2 });
    });

    it('stops at a truncated record and says what was skipped', async () => {
      const cut = good.subarray(0, good.length - 100);
      const { packets, summary } = await readAll(cut);
      expect(packets).toHaveLength(2);
      expect(summary.partial).toMatchObject({ code: 'DG6004' });
      expect(summary.partial!.message).toMatch(/skipped/);
    });

    it('stops at a truncated record header', async () => {
      const { packets, summary } = await readAll(good.subarray(0, 24 + 16 + 3 + 7));
      expect(packets).toHaveLength(1);
      expect(summary.partial).toMatchObject({ code: 'DG6004', offset: 24 + 16 + 3 });
    });

    it('stops at an impossible record length without allocating it', async () => {
      const b = Buffer.from(good);
      b.writeUInt32LE(0x7fff_ffff, 24 + 16 + 3 + 8); // second record's incl_len
      const { packets, summary } = await readAll(b);
      expect(packets).toHaveLength(1);
      expect(summary.partial).toMatchObject({ code: 'DG6005' });
    });

    it('turns a stream I/O error before any packet into DG6008', async () => {
      const { createReadStream } = await import('node:fs');
      const { readCapture } = await import('../../../src/capture/read-capture.ts');
      const it = readCapture(createReadStream('/nonexistent/x.pcap'))[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'DG6008', message: expect.stringMatching(/no such file/) });
    });
  });
});
