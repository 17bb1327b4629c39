/**
 * Real UDP traffic on a private loopback (network namespace, MTU 1300, so the kernel fragments the
 * large datagrams), captured by three real tcpdumps (Ethernet, Linux cooked v1 and v2), converted by
 * editcap/tshark (pcapng, nanosecond pcap, raw IP) and re-encapsulated by our writer (big-endian,
 * BSD loopback, QinQ VLAN, a two-interface pcapng with different if_tsresol). Every file must give
 * the same verdict, and that verdict must match what the sender sent.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, createReadStream, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScenario, type ExpectedStream } from '../../fixtures/capture/loopback-scenario.ts';
import { captureVerdict, type StreamVerdict } from './verdict.ts';
import { readCapture } from '../../../src/capture/read-capture.ts';
import { decodeLinkLayer } from '../../../src/capture/link-layer.ts';
import { isSkip } from '../../../src/capture/skip.ts';
import { encapsulate, type Encapsulation } from '../../../src/capture/frame-builder.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import {
  pcapFileHeader, pcapRecord, pcapngEnhancedPacket, pcapngInterface, pcapngSectionHeader, toTsUnits,
} from '../../../src/capture/pcap-writer.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/capture/', import.meta.url));
let dir: string;
let expected: ExpectedStream[];

/** Re-encapsulates the IP packets of a real capture, keeping their timestamps. */
async function rewrap(src: string, dst: string, make: (ip: Uint8Array, ns: bigint, i: number) => Buffer, header: Buffer): Promise<void> {
  const parts: Buffer[] = [header];
  let i = 0;
  for await (const p of readCapture(createReadStream(src))) {
    const l = decodeLinkLayer(p.linkType, p.data);
    if (isSkip(l)) throw new Error(`unexpected frame in ${src}: ${l.skip}`);
    parts.push(make(l.ip, p.timestampNs, i++));
  }
  writeFileSync(dst, Buffer.concat(parts));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dg-capture-'));
  chmodSync(dir, 0o777); // tcpdump drops privileges to its own user before writing
  const scenario = buildScenario();
  expected = scenario.expected;
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(scenario.plan));
  const r = spawnSync('unshare', ['-n', 'bash', join(FIXTURES, 'capture-in-netns.sh'), dir, join(dir, 'plan.json')], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`capture in a network namespace failed (needs root and unshare): ${r.stderr}`);
  for (const f of ['lo', 'sll', 'sll2']) {
    const err = readFileSync(join(dir, `${f}.err`), 'utf8');
    // A kernel drop would make the captures differ for reasons that are not ours: say so plainly.
    if (!/\b0 packets dropped by kernel/.test(err)) throw new Error(`tcpdump ${f} lost packets: ${err}`);
  }

  const lo = join(dir, 'lo.pcap');
  execFileSync('editcap', ['-F', 'pcapng', lo, join(dir, 'lo.pcapng')]);
  execFileSync('editcap', ['-F', 'nsecpcap', lo, join(dir, 'lo-nsec.pcap')]);
  execFileSync('editcap', ['-C', '14', '-T', 'rawip', lo, join(dir, 'raw.pcap')]);
  execFileSync('editcap', ['-F', 'pcapng', '-C', '14', '-T', 'rawip', lo, join(dir, 'raw.pcapng')]);
  execFileSync('tshark', ['-r', join(dir, 'sll2.pcap'), '-F', 'pcapng', '-w', join(dir, 'sll2.pcapng')], { stdio: 'ignore' });

  const be = { linkType: LINKTYPE.NULL, nano: true, bigEndian: true };
  await rewrap(lo, join(dir, 'null-be-nsec.pcap'), (ip, ns) => pcapRecord(be, ns, encapsulate({ linkType: LINKTYPE.NULL, bigEndian: true }, ip)), pcapFileHeader(be));
  const qinq: Encapsulation = { linkType: LINKTYPE.ETHERNET, vlanTags: [{ tpid: 0x88a8, vid: 300 }, { tpid: 0x8100, vid: 42 }] };
  await rewrap(lo, join(dir, 'qinq.pcap'), (ip, ns) => pcapRecord({ linkType: 1 }, ns, encapsulate(qinq, ip)), pcapFileHeader({ linkType: 1 }));
  // Two interfaces: even packets on a VLAN Ethernet with ns resolution, odd on cooked v2 with 2^-24 s.
  await rewrap(lo, join(dir, 'two-if-be.pcapng'), (ip, ns, i) => (i % 2 === 0
    ? pcapngEnhancedPacket(0, toTsUnits(ns, 9), encapsulate(qinq, ip), { bigEndian: true })
    : pcapngEnhancedPacket(1, toTsUnits(ns, 0x80 | 24), encapsulate({ linkType: LINKTYPE.LINUX_SLL2 }, ip), { bigEndian: true })),
  Buffer.concat([pcapngSectionHeader(true), pcapngInterface(1, { tsresol: 9, bigEndian: true }), pcapngInterface(LINKTYPE.LINUX_SLL2, { tsresol: 0x80 | 24, bigEndian: true })]));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const VARIANTS = [
  'sll.pcap', 'sll2.pcap', 'lo.pcapng', 'lo-nsec.pcap', 'raw.pcap', 'raw.pcapng', 'sll2.pcapng',
  'null-be-nsec.pcap', 'qinq.pcap', 'two-if-be.pcapng',
];

function comparable(v: StreamVerdict[]): Array<Omit<StreamVerdict, 'jitter'>> {
  return v.map(({ jitter: _j, ...rest }) => rest);
}

describe('captures of real loopback traffic', () => {
  it('tcpdump on lo (Ethernet, µs pcap): streams, events, stats, audio and in-band digits match what was sent', async () => {
    const { streams, audio, result } = await captureVerdict(join(dir, 'lo.pcap'));
    expect(result.capture.partial).toBeUndefined();
    expect(result.reassembly.reassembled).toBe(2); // one IPv4 and one IPv6 datagram above the MTU
    expect(result.sipMessages).toBe(1);
    expect(streams.map((s) => s.label)).toEqual(expected.map((e) => e.label).sort());
    for (const e of expected) {
      const s = streams.find((x) => x.label === e.label)!;
      expect({ label: s.label, codec: s.codec, lost: s.lost, duplicates: s.duplicates, reordered: s.reordered, late: s.late, inband: s.inband })
        .toEqual({ label: e.label, codec: e.codec, lost: e.lost, duplicates: e.duplicates, reordered: e.reordered, late: 0, inband: e.inband });
      expect(s.events).toEqual(e.events.map((x) => `${x.digit}@${x.rtpTimestamp}/${x.duration}`));
      expect(Buffer.compare(Buffer.from(audio.get(e.label)!), Buffer.from(e.audio))).toBe(0);
      expect(s.jitter).toBeGreaterThan(0);
    }
  });

  it.each(VARIANTS)('%s gives the same verdict as lo.pcap', async (name) => {
    const ref = await captureVerdict(join(dir, 'lo.pcap'));
    const got = await captureVerdict(join(dir, name));
    expect(got.result.capture.partial).toBeUndefined();
    expect(comparable(got.streams)).toEqual(comparable(ref.streams));
    // Jitter depends on the timestamps, which differ by capture point and resolution: within 5%.
    got.streams.forEach((s, i) => expect(Math.abs(s.jitter - ref.streams[i].jitter)).toBeLessThan(0.05 * ref.streams[i].jitter + 1));
  });

  it('finds the same RFC 4733 events as tshark on the real capture', async () => {
    const out = execFileSync('tshark', ['-r', join(dir, 'lo.pcap'), '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtpevent',
      '-T', 'fields', '-e', 'rtp.ssrc', '-e', 'rtp.timestamp', '-e', 'rtpevent.event_id'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const theirs = [...new Set(out.trim().split('\n'))].map((l) => l.split('\t')).map(([ssrc, ts, ev]) => `${Number(ssrc)}|${ts}|${ev}`).sort();
    const { result } = await captureVerdict(join(dir, 'lo.pcap'));
    const ours: string[] = [];
    const { analyseCapture } = await import('../../../src/rtp/capture-analysis.ts');
    for await (const o of analyseCapture(createReadStream(join(dir, 'lo.pcap'))).outputs()) if (o.kind === 'event') ours.push(`${o.stream.ssrc}|${o.rtpTimestamp}|${o.event}`);
    expect(theirs.length).toBe(3);
    expect(ours.sort()).toEqual(theirs);
    expect(result.streams).toHaveLength(3);
  });
});
