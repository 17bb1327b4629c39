/**
 * `dtmfguard verify --json` on captures against tools no one here wrote:
 * - sipp's RFC 4733 sample captures: our event digits equal what `tshark -Y rtpevent` lists, one
 *   per (SSRC, timestamp, event) as RFC 4733 §2.5.1 identifies a key press;
 * - sipp's A-law speech capture, as is and with DTMF keyed over its audio: our in-band digits equal
 *   what spandsp's dtmf_rx finds in the audio tshark extracts and alawmulaw decodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { buildSpandspHarness, runSpandsp } from '../../../scripts/spandsp-harness.ts';
import { encapsulate, udpIpPackets } from '../../../src/capture/frame-builder.ts';
import { LINKTYPE } from '../../../src/capture/link-types.ts';
import { pcapFileHeader, pcapRecord } from '../../../src/capture/pcap-writer.ts';
import { dtmfTone } from '../../../src/dsp/generator.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import type { Verdict } from '../../../src/verify/verdict.ts';
import { dtmfguard } from './cli.ts';

const SIPP = '/usr/share/sip-tester';
const EVENT_FILES = readdirSync(SIPP).filter((f) => /^dtmf_2833_.*\.pcap$/.test(f)).sort();

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** RFC 4733 §3.2 event codes. */
const KEY_OF_EVENT = '0123456789*#ABCD';

async function verifyJson(args: string[]): Promise<Verdict> {
  const r = await dtmfguard(['verify', '--json', ...args]);
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout) as Verdict;
}

let dir: string;
let spandsp: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-oracles-'));
  spandsp = buildSpandspHarness(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verify --json against tshark and spandsp', () => {
  it('sipp RFC 4733 captures: the same key presses as tshark -Y rtpevent, judged against the mask tone', async () => {
    // All 12 files in one run of ours (one JSON document, one verdict per file).
    const v = await verifyJson(['--mask-tone', '#', ...EVENT_FILES.map((f) => join(SIPP, f))]);
    expect(v.files).toHaveLength(12);
    for (const f of v.files) {
      const rows = tshark(f.file, 'rtpevent', ['rtp.ssrc', 'rtp.timestamp', 'rtpevent.event_id']);
      const theirs = [...new Set(rows.map(([ssrc, ts, ev]) => `${Number(ssrc)}|${ts}|${ev}`))].map((k) => KEY_OF_EVENT[Number(k.split('|')[2])]);
      const ours = f.digits.filter((d) => d.source === 'rfc4733').map((d) => d.digit);
      expect(ours, f.file).toEqual(theirs);
      expect(theirs).toHaveLength(1);
      expect(f.leaks, f.file).toBe(theirs[0] === '#' ? 0 : 1);
    }
    expect(v.result).toBe('leak');
    expect(v.leakCount).toBe(11);
  });

  /** tshark's RTP payloads of the capture, in timestamp order, decoded by alawmulaw. */
  function tsharkAudio(file: string): Int16Array {
    const rows = tshark(file, 'rtp', ['rtp.timestamp', 'rtp.payload']).map(([ts, hex]) => ({ ts: Number(ts), bytes: Buffer.from(hex.replace(/:/g, ''), 'hex') }));
    rows.sort((a, b) => a.ts - b.ts);
    const first = rows[0].ts;
    const end = rows[rows.length - 1].ts - first + rows[rows.length - 1].bytes.length;
    const codes = new Uint8Array(end).fill(0xd5);
    for (const r of rows) codes.set(r.bytes, r.ts - first);
    return alawmulaw.alaw.decode(codes);
  }

  it('sipp g711a.pcap: the same in-band digits as spandsp dtmf_rx on the audio tshark extracts (none: it is speech)', async () => {
    const file = join(SIPP, 'g711a.pcap');
    const v = await verifyJson([file]);
    const theirs = runSpandsp(spandsp, tsharkAudio(file)).digits.map((d) => d.digit);
    expect(v.files[0].digits.filter((d) => d.detector === 'q24').map((d) => d.digit)).toEqual(theirs);
    // And the attacker's receiver finds no fragment in ordinary speech either (talk-off).
    expect(v.files[0].digits).toEqual([]);
  });

  it('g711a.pcap with a test PAN keyed over its speech: the same digits as spandsp, at the same times', async () => {
    const src = join(SIPP, 'g711a.pcap');
    const rows = tshark(src, 'rtp', ['frame.time_epoch', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'rtp.p_type', 'rtp.seq', 'rtp.timestamp', 'rtp.ssrc', 'rtp.marker', 'rtp.payload']);
    const speech = tsharkAudio(src);
    const keys = '4111111111111111' as string;
    const mixed = Int16Array.from(speech);
    const starts: number[] = [];
    [...keys].forEach((k, i) => {
      const at = 4000 + i * 2400; // one key every 300 ms from 0.5 s, 70 ms long, at −8 dBm0
      starts.push(at);
      const tone = dtmfTone({ key: k as DtmfKey, durationMs: 70, levelDbm0: -8, phase: i });
      for (let j = 0; j < tone.length; j++) mixed[at + j] = Math.max(-32768, Math.min(32767, Math.round(mixed[at + j] * 0.3 + tone[j])));
    });
    const codes = alawmulaw.alaw.encode(mixed);
    const f = { linkType: LINKTYPE.ETHERNET };
    const parts: Buffer[] = [pcapFileHeader(f)];
    const first = Number(rows[0][7]);
    for (const [t, s, d, sp, dp, pt, seq, ts, ssrc, marker, hex] of rows) {
      const n = Buffer.from(hex.replace(/:/g, ''), 'hex').length;
      const payload = codes.subarray(Number(ts) - first, Number(ts) - first + n);
      const rtp = serializeRtp({ version: 2, padding: false, extension: false, marker: marker === '1' || marker === 'True', payloadType: Number(pt), sequence: Number(seq), timestamp: Number(ts), ssrc: Number(ssrc), csrc: [], payload });
      const ns = BigInt(Math.round(Number(t) * 1e6)) * 1000n;
      for (const ip of udpIpPackets({ src: s, dst: d, srcPort: Number(sp), dstPort: Number(dp) }, rtp)) parts.push(pcapRecord(f, ns, encapsulate({ linkType: LINKTYPE.ETHERNET }, ip)));
    }
    const file = join(dir, 'g711a-with-test-pan.pcap');
    writeFileSync(file, Buffer.concat(parts));

    const v = await verifyJson(['--mask-tone', '#', file]);
    const ours = v.files[0].digits;
    const theirs = runSpandsp(spandsp, tsharkAudio(file)).digits;
    expect(theirs.map((d) => d.digit).join('')).toBe(keys);
    expect(ours.map((d) => d.digit)).toEqual(theirs.map((d) => d.digit));
    expect(ours.every((d) => d.detector === 'q24' && d.leak)).toBe(true);
    ours.forEach((d, i) => expect(Math.abs(d.startMs - starts[i] / 8), `digit ${i}`).toBeLessThanOrEqual(4));
    // spandsp decides "on" after its own confirmation delay: its onset lags ours, never precedes the tone.
    theirs.forEach((d, i) => expect(d.onSample).toBeGreaterThanOrEqual(starts[i]));
  });
});
