/**
 * Verdicts on real captures: a caller's RTP (in-band digits, RFC 4733 events, with loss and
 * reordering on the way in) goes through two simulator relays on loopback at the same time, one in
 * secure mode (masked with '#') and one not (the negative control: the verifier must fail it).
 * tcpdump records both mirror ports in several link types and file formats at once (and our frame
 * builder re-encapsulates the datagrams as QinQ Ethernet, raw IPv6 in pcapng and fragmented IPv4 on
 * BSD loopback); every file must give the same verdict: clean on the masked stream, every keyed
 * digit a leak on the other.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, writeFileSync } from 'node:fs';
import { encapsulate, udpIpPackets } from '../../../src/capture/frame-builder.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { pcapFileHeader, pcapRecord, pcapngEnhancedPacket, pcapngInterface, pcapngSectionHeader, toTsUnits } from '../../../src/capture/pcap-writer.ts';
import { readCapture } from '../../../src/capture/read-capture.ts';
import { UdpDecoder } from '../../../src/capture/udp-decoder.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import type { Verdict } from '../../../src/verify/verdict.ts';
import { CallerStream, sendScheduled, UdpReceiver, type Outgoing } from '../relay/udp-peers.ts';
import { dtmfguard } from './cli.ts';

const SIM = join(import.meta.dirname, '../../../firmware-sim/bin/dtmfguard-sim.mjs');
const INBAND: DtmfKey[] = ['4', '1', '1', '7'];
const children: ChildProcess[] = [];
let dir: string;
const receivers: UdpReceiver[] = [];
let captures: Record<string, string> = {};
let mirrorSecure: UdpReceiver;
let mirrorPlain: UdpReceiver;

function startRelay(args: string[]): Promise<string> {
  const relay = spawn(process.execPath, [SIM, 'relay', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(relay);
  let stderr = '';
  relay.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    createInterface({ input: relay.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { event?: string; listen?: string };
      if (m.event === 'listening') resolve(String(m.listen));
    });
    relay.once('exit', (code) => reject(new Error(`relay exited ${code}: ${stderr}`)));
  });
}

function startTcpdump(args: string[], file: string, filter: string): Promise<ChildProcess> {
  const t = spawn('tcpdump', [...args, '--immediate-mode', '-U', '-n', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(t);
  return new Promise((resolve, reject) => {
    let err = '';
    t.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve(t);
    });
    t.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
  });
}

/** The caller: 4 keys in-band (70 ms, −8 dBm0), then '5' as RFC 4733 events only and '9' both ways (a gateway letting the tone's start through). */
function caller(): Outgoing[] {
  const parts = [silence(200)];
  for (const k of INBAND) parts.push(dtmfTone({ key: k, durationMs: 70, levelDbm0: -8 }), silence(130));
  parts.push(silence(300), dtmfTone({ key: '9', durationMs: 60, levelDbm0: -8 }), silence(400));
  const c = new CallerStream('alaw', 20, 0x0dd1ca11);
  c.audio(toInt16(concat(...parts)));
  const ev = (key: number, startMs: number, ms: number): void => {
    const start = startMs * 8;
    for (let k = 1; k <= 3; k++) c.event(startMs + (ms * k) / 3, start, { event: key, end: false, volume: 10, duration: Math.round((ms * 8 * k) / 3) - 1 }, k === 1);
    for (let k = 0; k < 3; k++) c.event(startMs + ms + 1 + k, start, { event: key, end: true, volume: 10, duration: ms * 8 });
  };
  ev(5, 1050, 80); // event-only '5' during the silence
  ev(9, 1300, 100); // '9' as events while its tone starts in-band
  const items = c.schedule();
  // The network on the way in: two silence packets lost, three pairs swapped.
  const lost = new Set([3, 60]);
  const out = items.filter((_, i) => !lost.has(i));
  for (const i of [5, 20, 48]) [out[i], out[i + 1]] = [{ ...out[i + 1], t: out[i].t }, { ...out[i], t: out[i + 1].t }];
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-relay-'));
  const agentSecure = await UdpReceiver.open();
  const agentPlain = await UdpReceiver.open();
  mirrorSecure = await UdpReceiver.open();
  mirrorPlain = await UdpReceiver.open();
  receivers.push(agentSecure, agentPlain, mirrorSecure, mirrorPlain);
  const filter = `udp and (dst port ${mirrorSecure.port} or dst port ${mirrorPlain.port})`;
  captures = {
    'lo-ethernet.pcap': join(dir, 'lo-ethernet.pcap'),
    'lo-ethernet-nano.pcap': join(dir, 'lo-ethernet-nano.pcap'),
    'any-sll2.pcap': join(dir, 'any-sll2.pcap'),
    'any-sll.pcap': join(dir, 'any-sll.pcap'),
  };
  const dumps = await Promise.all([
    startTcpdump(['-i', 'lo'], captures['lo-ethernet.pcap'], filter),
    startTcpdump(['-i', 'lo', '--time-stamp-precision=nano'], captures['lo-ethernet-nano.pcap'], filter),
    startTcpdump(['-i', 'any', '-y', 'LINUX_SLL2'], captures['any-sll2.pcap'], filter),
    startTcpdump(['-i', 'any', '-y', 'LINUX_SLL'], captures['any-sll.pcap'], filter),
  ]);
  const [secure, plain] = await Promise.all([
    startRelay(['--listen', '127.0.0.1:0', '--forward', agentSecure.address, '--mirror', mirrorSecure.address, '--secure', '--mask-tone', '#']),
    startRelay(['--listen', '127.0.0.1:0', '--forward', agentPlain.address, '--mirror', mirrorPlain.address, '--mask-tone', '#']),
  ]);
  const items = caller();
  await Promise.all([sendScheduled(secure, items), sendScheduled(plain, items)]);
  // Every datagram sent (`items` already lacks the two lost on purpose) must be through both relays
  // before the captures stop: the last two leave only at their deadline (lookahead + jitter
  // allowance after they came), later still on a loaded machine. Stopping on a count short of that
  // and a fixed wait made the captures lose the stream's tail now and then (one more packet lost).
  const [gotSecure, gotPlain] = await Promise.all([mirrorSecure.waitFor(items.length, 10_000), mirrorPlain.waitFor(items.length, 10_000)]);
  if (gotSecure.length < items.length || gotPlain.length < items.length) throw new Error(`the relays passed ${gotSecure.length} and ${gotPlain.length} of ${items.length} datagrams in 10 s`);
  await new Promise((r) => setTimeout(r, 200)); // tcpdump -U writes each packet as it comes
  for (const c of children) if (c.exitCode === null) c.kill(dumps.includes(c) ? 'SIGINT' : 'SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  // pcapng versions, written by Wireshark's editcap (an independent writer).
  for (const name of ['lo-ethernet.pcap', 'any-sll2.pcap']) {
    const ng = join(dir, name.replace('.pcap', '.pcapng'));
    execFileSync('editcap', ['-F', 'pcapng', captures[name], ng]);
    captures[name.replace('.pcap', '.pcapng')] = ng;
  }
  // The link types and IP variants loopback cannot produce, made from the same datagrams by our
  // frame builder (tshark checks below that they are well-formed): 802.1ad + 802.1Q tagged Ethernet,
  // raw IPv6 in pcapng, and BSD loopback with every datagram split into IPv4 fragments.
  const datagrams: Array<{ ns: bigint; src: string; srcPort: number; dst: string; dstPort: number; payload: Uint8Array }> = [];
  const decoder = new UdpDecoder();
  for await (const p of readCapture(createReadStream(captures['lo-ethernet.pcap']))) {
    const u = decoder.decode(p);
    if (u) datagrams.push({ ns: p.timestampNs, ...u, payload: Uint8Array.from(u.payload) });
  }
  const vlan = { linkType: LINKTYPE.ETHERNET };
  const nul = { linkType: LINKTYPE.NULL };
  const vlanParts: Buffer[] = [pcapFileHeader(vlan)];
  const v6Parts: Buffer[] = [pcapngSectionHeader(), pcapngInterface(LINKTYPE.RAW, { tsresol: 9 })];
  const fragParts: Buffer[] = [pcapFileHeader(nul)];
  datagrams.forEach((d, i) => {
    for (const ip of udpIpPackets(d, d.payload)) vlanParts.push(pcapRecord(vlan, d.ns, encapsulate({ linkType: LINKTYPE.ETHERNET, vlanTags: [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 7 }] }, ip)));
    for (const ip of udpIpPackets({ ...d, src: 'fd00::10', dst: 'fd00::20' }, d.payload)) v6Parts.push(pcapngEnhancedPacket(0, toTsUnits(d.ns, 9), ip));
    for (const ip of udpIpPackets(d, d.payload, { mtu: 96, id: i & 0xffff })) fragParts.push(pcapRecord(nul, d.ns, encapsulate({ linkType: LINKTYPE.NULL }, ip)));
  });
  for (const [name, parts] of [['qinq-vlan.pcap', vlanParts], ['raw-ipv6.pcapng', v6Parts], ['null-fragmented.pcap', fragParts]] as const) {
    captures[name] = join(dir, name);
    writeFileSync(captures[name], Buffer.concat(parts));
  }
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of receivers) await r.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Per stream (by destination port: addresses differ in the IPv6 variant), the digits as "digit source leak" with start times. */
function perStream(v: Verdict): Map<number, Array<{ d: string; t: number }>> {
  const m = new Map<number, Array<{ d: string; t: number }>>();
  for (const d of v.files[0].digits) {
    const port = Number(/ > .*:(\d+) ssrc/.exec(d.stream!)![1]);
    (m.get(port) ?? m.set(port, []).get(port)!).push({ d: `${d.digit} ${d.source}${d.detector === 'attacker' ? ' fragment' : ''}${d.leak ? ' LEAK' : ''}`, t: d.startMs });
  }
  return m;
}

/** Per RTP stream (by destination port), sorted: sequence numbers missing between the first and last, as tshark reads them. */
function tsharkLost(file: string): number[] {
  const rows = execFileSync('tshark', ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtp', '-T', 'fields', '-e', 'udp.dstport', '-e', 'rtp.seq'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const seqs = new Map<string, Set<number>>();
  for (const line of rows.split('\n').filter(Boolean)) {
    const [port, seq] = line.split('\t');
    (seqs.get(port) ?? seqs.set(port, new Set()).get(port)!).add(Number(seq)); // no wrap in this short call
  }
  return [...seqs.values()].map((s) => Math.max(...s) - Math.min(...s) + 1 - s.size).sort();
}

describe('verify on tcpdump captures of the relay (masked and unmasked)', () => {
  it('every link type, IP version and file format gives the same verdict: the masked stream clean, the unmasked one leaking every digit', async () => {
    const results = new Map<string, Verdict>();
    for (const [name, file] of Object.entries(captures)) {
      const r = await dtmfguard(['verify', '--json', '--mask-tone', '#', file]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(1);
      results.set(name, JSON.parse(r.stdout) as Verdict);
    }
    expect(results.size).toBe(9);
    // tshark (an independent decoder) reads as many UDP datagrams from each file as our RTP streams hold.
    for (const [name, file] of Object.entries(captures)) {
      const theirs = execFileSync('tshark', ['-r', file, '-Y', 'udp', '-T', 'fields', '-e', 'udp.dstport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean).length;
      const ours = results.get(name)!.files[0].streams!.reduce((n, st) => n + st.packets + st.duplicates, 0);
      expect(ours, name).toBe(theirs);
    }
    const reference = perStream(results.get('lo-ethernet.pcap')!);
    const masked = reference.get(mirrorSecure.port)!;
    const plain = reference.get(mirrorPlain.port)!;
    // The negative control: everything the caller keyed is found on the unmasked stream.
    expect(plain.map((x) => x.d)).toEqual(['4 inband LEAK', '1 inband LEAK', '1 inband LEAK', '7 inband LEAK', '5 rfc4733 LEAK', '9 rfc4733 LEAK', '9 inband LEAK']);
    // The masked stream: every key press is the mask tone, and not one fragment of a real digit is
    // left. The relay also masks in-band where only events carried the '5' (design: events and
    // their audio are masked together), hence the extra in-band '#' there.
    expect(masked.map((x) => x.d)).toEqual(['# inband', '# inband', '# inband', '# inband', '# rfc4733', '# inband', '# inband', '# rfc4733']);
    for (const [name, v] of results) {
      const s = perStream(v);
      for (const port of [mirrorSecure.port, mirrorPlain.port]) {
        expect(s.get(port)!.map((x) => x.d), name).toEqual(reference.get(port)!.map((x) => x.d));
        s.get(port)!.forEach((x, i) => expect(Math.abs(x.t - reference.get(port)![i].t), name).toBeLessThanOrEqual(1));
      }
      expect(v.leakCount, name).toBe(7);
      // Loss as an independent reader counts it in the same file: the two packets dropped on
      // purpose, plus any the capture itself missed (tcpdump on `any` misses one now and then on a
      // loaded machine; the relay passed every datagram, checked above).
      const theirLost = tsharkLost(captures[name]);
      expect(theirLost.every((n) => n >= 2), name).toBe(true);
      expect(v.files[0].streams!.map((st) => st.lost).sort(), name).toEqual(theirLost);
    }
    // Text mode: one line per stream and per digit, with time, stream and source.
    const text = await dtmfguard(['verify', '--mask-tone', '#', captures['any-sll2.pcapng']]);
    expect(text.stdout.split('\n').filter((l) => /^ {2}stream /.test(l))).toHaveLength(2);
    expect(text.stdout.split('\n').filter((l) => / LEAK$/.test(l))).toHaveLength(7);
  });
});
