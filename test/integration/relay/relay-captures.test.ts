/**
 * The `dtmfguard-sim relay` command with real peers and real captures: sipp's sample RFC 4733
 * captures (one per key) and its A-law speech capture are replayed on their own timing to the
 * relay in secure mode; tcpdump records what leaves on the mirror port, and tshark, an independent
 * RTP decoder, reads it back.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { parseTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import { type Outgoing, sendScheduled, UdpReceiver } from './udp-peers.ts';

const SIPP = '/usr/share/sip-tester';
const SIM = join(import.meta.dirname, '../../../firmware-sim/bin/dtmfguard-sim.mjs');
const HOST_CLI = join(import.meta.dirname, '../../../src/cli/bin/dtmfguard.mjs');
const KEY_CAPTURES = readdirSync(SIPP).filter((f) => /^dtmf_2833_.*\.pcap$/.test(f)).sort();
const SPEECH_CAPTURE = 'g711a.pcap';

/** tshark as a pcap reader: one array of the requested fields per packet. */
function tshark(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, ...extra, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** A capture's UDP payloads on their original timing, `speed` times faster. */
function replayItems(file: string, speed = 1): Outgoing[] {
  return tshark(join(SIPP, file), ['frame.time_relative', 'udp.payload']).map(([t, hex]) => ({ t: (Number(t) * 1000) / speed, data: Buffer.from(hex, 'hex') }));
}

let dir: string;
let relay: ChildProcess | undefined;
let tcpdump: ChildProcess | undefined;
let agent: UdpReceiver;
let mirror: UdpReceiver;
let relayExit: Promise<number | null>;
let relayLines: Record<string, unknown>[] = [];
let mirrorPcap: string;
const sentEvents: Buffer[] = [];
const sentSpeech: Buffer[] = [];

function startRelay(args: string[]): Promise<Record<string, unknown>> {
  relay = spawn(process.execPath, [SIM, 'relay', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  relayExit = new Promise((r) => relay!.once('exit', (code) => r(code)));
  let stderr = '';
  relay.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: relay.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (l) => {
      const msg = JSON.parse(l) as Record<string, unknown>;
      relayLines.push(msg);
      if (msg.event === 'listening') resolve(msg);
    });
    relay!.once('exit', (code) => reject(new Error(`relay exited ${code}: ${stderr}`)));
  });
}

function startTcpdump(port: number, file: string): Promise<void> {
  // --immediate-mode: without it libpcap hands packets over in blocks, and the last block can be
  // lost when tcpdump is stopped.
  tcpdump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-w', file, `udp and dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    tcpdump!.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    tcpdump!.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dtmfguard-relay-'));
  mirrorPcap = join(dir, 'mirror.pcap');
  agent = await UdpReceiver.open();
  mirror = await UdpReceiver.open();
  await startTcpdump(mirror.port, mirrorPcap);
  const listening = await startRelay(['--listen', '127.0.0.1:0', '--forward', agent.address, '--mirror', mirror.address, '--secure', '--mask-tone', '#', '--json']);
  const listen = String(listening.listen);

  // One key capture after the other (each ~150 ms, a pause between), and the speech capture at
  // twice its speed at the same time on its own SSRC.
  const events: Outgoing[] = [];
  KEY_CAPTURES.forEach((f, k) => {
    for (const it of replayItems(f)) events.push({ t: k * 250 + it.t, data: it.data });
  });
  const speech = replayItems(SPEECH_CAPTURE, 2);
  sentEvents.push(...events.map((e) => e.data));
  sentSpeech.push(...speech.map((e) => e.data));
  await Promise.all([sendScheduled(listen, events), sendScheduled(listen, speech)]);
  const total = events.length + speech.length;
  await agent.waitFor(total, 5000);
  await mirror.waitFor(total, 5000);
  relay!.kill('SIGTERM');
  await relayExit;
  await new Promise((r) => setTimeout(r, 200)); // tcpdump -U writes each packet; let the last one land
  const tcpdumpExit = new Promise((r) => tcpdump!.once('exit', r));
  tcpdump!.kill('SIGINT');
  await tcpdumpExit;
}, 60_000);

afterAll(async () => {
  for (const p of [relay, tcpdump]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await agent?.close();
  await mirror?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('relay command with sipp captures, secure mode', () => {
  it('the captures hold every key as RFC 4733 events (so the test can fail)', () => {
    // What was sent, read back with tshark in beforeAll: the event octet of each packet.
    const codes = sentEvents.map((d) => String(parseTelephoneEvent(parseRtp(d).payload).event));
    expect(new Set(codes)).toEqual(new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']));
    expect(codes.length).toBe(KEY_CAPTURES.length * 10);
  });

  it('only the mask event code (11, #) leaves on the mirror port, per tshark on a tcpdump capture', () => {
    const port = String(mirror.port);
    const codes = tshark(mirrorPcap, ['rtpevent.event_id'], ['-d', `udp.port==${port},rtp`, '-Y', 'rtpevent']).map(([e]) => e);
    expect(codes.length).toBe(KEY_CAPTURES.length * 10);
    expect(new Set(codes)).toEqual(new Set(['11']));
  });

  it('sequence numbers, timestamps, marker bits, payload types and SSRCs are the senders\' own', () => {
    const fields = ['rtp.ssrc', 'rtp.seq', 'rtp.timestamp', 'rtp.marker', 'rtp.p_type'];
    const port = String(mirror.port);
    const out = tshark(mirrorPcap, fields, ['-d', `udp.port==${port},rtp`, '-Y', 'rtp']).map((r) => r.join(' ')).sort();
    const header = (d: Buffer) => {
      const p = parseRtp(d);
      return [`0x${p.ssrc.toString(16).padStart(8, '0')}`, p.sequence, p.timestamp, p.marker ? 1 : 0, p.payloadType].join(' ');
    };
    const expected = [...sentEvents, ...sentSpeech].map(header).sort();
    expect(out).toEqual(expected);
  });

  it('event packets change in their event octet only; the agent gets what the mirror gets', () => {
    const fwd = agent.got.map((r) => r.data);
    const fwdEvents = fwd.filter((d) => parseRtp(d).payloadType === 101);
    expect(fwdEvents.length).toBe(sentEvents.length);
    // The same multiset of packets on both sides, each input matched by an output differing only in octet 12.
    const key = (d: Buffer) => Buffer.concat([d.subarray(0, 12), d.subarray(13)]).toString('hex');
    expect(fwdEvents.map(key).sort()).toEqual(sentEvents.map(key).sort());
    expect(fwdEvents.every((d) => d[12] === 11)).toBe(true);
    expect(mirror.got.map((r) => r.data.toString('hex')).sort()).toEqual(fwd.map((d) => d.toString('hex')).sort());
  });

  it('speech without digits passes with the same bytes, in secure mode too', () => {
    const fwdSpeech = agent.got.map((r) => r.data).filter((d) => parseRtp(d).payloadType === 8);
    expect(fwdSpeech.map((d) => d.toString('hex')).sort()).toEqual(sentSpeech.map((d) => d.toString('hex')).sort());
  });

  it('the leak verifier (dtmfguard verify, exit 1 on a leak) finds the keys in a sipp capture and none on the mirror', () => {
    const verify = (file: string) => spawnSync(process.execPath, [HOST_CLI, 'verify', file, '--json', '--mask-tone', '#'], { encoding: 'utf8', timeout: 60_000 });
    const original = verify(join(SIPP, 'dtmf_2833_5.pcap'));
    expect(original.status).toBe(1);
    const mirrored = verify(mirrorPcap);
    expect(mirrored.stderr).toBe('');
    expect(mirrored.status).toBe(0);
    const report = JSON.parse(mirrored.stdout) as { files: { digits: { digit: string }[] }[] };
    const digits = report.files.flatMap((f) => f.digits.map((d) => d.digit));
    expect(digits.length).toBeGreaterThanOrEqual(KEY_CAPTURES.length);
    expect(new Set(digits)).toEqual(new Set(['#']));
  });

  it('the command reports masked windows without digit values and its counters on exit', async () => {
    const masked = relayLines.filter((l) => l.event === 'masked');
    // One window per key press, from its events (the key captures carry no audio); none in the speech.
    expect(masked.length).toBe(KEY_CAPTURES.length);
    expect(masked.every((m) => m.source === 'rfc4733')).toBe(true);
    for (const m of masked) expect(Object.keys(m).sort()).toEqual(['channel', 'endMs', 'event', 'source', 'startMs']);
    const stopped = relayLines.find((l) => l.event === 'stopped') as { stats: Record<string, number> } | undefined;
    // '#' presses are already the mask digit: their packets leave unchanged and are not counted.
    expect(stopped?.stats.eventsRewritten).toBe(sentEvents.filter((d) => d[12] !== 11).length);
    expect(stopped?.stats.late).toBe(0);
    expect(await relayExit).toBe(0);
  });
});
