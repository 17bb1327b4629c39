// The SIP edge board under the host's control, end to end: the simulator on a real pty (socat)
// with the SIP edge profile, its relay on real UDP sockets on loopback, SIP settings written with
// SET_SIP + CFG_COMMIT, secure mode switched by the real `dtmfguard secure on --channel 1`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceClient, type ApplianceEvent } from '../../../src/appliance/client.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';
import { decodeUlaw, encodeUlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { parseRtp, serializeRtp } from '../../../src/rtp/packet.ts';
import { DTMFGUARD, run, startSim, waitFor, type SimHandle } from '../../helpers/sim-process.ts';

const PAN = '4111111111111111'; // a test PAN, never a real card number
const dir = mkdtempSync(join(tmpdir(), 'dg-sipedge-'));
const env = { DTMFGUARD_LOCK_DIR: dir, DTMFGUARD_RUN_DIR: dir, DTMFGUARD_AUDIT_LOG: join(dir, 'audit.jsonl') };
const pty = join(dir, 'ttyDG0');
let sim: SimHandle;
let agent: Socket; // where the relay forwards (the agent side)
let caller: Socket; // where the RTP comes from
const received = new Map<number, Array<{ seq: number; payload: Uint8Array }>>();

function udp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** µ-law codewords of keyed digits: 70 ms on, 70 ms off, -10 dBm0, 200 ms of silence on each side. */
function keyed(keys: string): Uint8Array {
  return encodeUlaw(toInt16(concat(silence(200), ...[...keys].flatMap((k) => [dtmfTone({ key: k as DtmfKey, durationMs: 70, levelDbm0: -10 }), silence(70)]), silence(200))));
}

/** Sends codewords as a 20 ms-paced RTP stream (PCMU, RFC 3551) to `port`. */
async function stream(ssrc: number, codes: Uint8Array, port: number, first?: () => void): Promise<void> {
  for (let i = 0, seq = 1000; i < codes.length; i += 160, seq++) {
    const packet = serializeRtp({ version: 2, padding: false, extension: false, marker: i === 0, payloadType: 0, sequence: seq, timestamp: 8000 + i, ssrc, csrc: [], payload: codes.subarray(i, i + 160) });
    caller.send(packet, port, '127.0.0.1');
    if (i === 0) first?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}

function heard(ssrc: number): string {
  const packets = [...(received.get(ssrc) ?? [])].sort((a, b) => a.seq - b.seq);
  const codes = Uint8Array.from(packets.flatMap((p) => [...p.payload]));
  return detectDigits(decodeUlaw(codes))
    .map((d) => d.digit)
    .join('');
}

beforeAll(async () => {
  agent = await udp();
  caller = await udp();
  agent.on('message', (m) => {
    const p = parseRtp(m);
    if (!received.has(p.ssrc)) received.set(p.ssrc, []);
    received.get(p.ssrc)!.push({ seq: p.sequence, payload: Uint8Array.from(p.payload) });
  });
  sim = await startSim(pty, 'sip-edge', [], env);
});
afterAll(async () => {
  await sim?.stop();
  agent?.close();
  caller?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIP edge board under the host', () => {
  it('relays from the SIP settings; `dtmfguard secure on --channel 1` masks stream 1 only; MASKED events carry no digit', async () => {
    // A free port for the relay to listen on (taken and released: the board binds it next).
    const probe = await udp();
    const listenPort = probe.address().port;
    probe.close();
    let client = await ApplianceClient.connect(pty);
    await client.setSip({ listen: `127.0.0.1:${listenPort}`, forward: `127.0.0.1:${agent.address().port}`, pt_pcmu: 0, pt_pcma: 8, pt_event: 101 });
    expect((await client.cfgCommit()).changed).toEqual(['sip']);
    await client.close();
    await waitFor('relay restarted on the new address', () => sim.output().includes(`SIP edge relay listening on 127.0.0.1:${listenPort}`));

    const on = await run(DTMFGUARD, ['secure', 'on', '--channel', '1', '--port', pty], env);
    expect(on.stderr).toBe('');
    expect(on.status).toBe(0);

    client = await ApplianceClient.connect(pty);
    const events: ApplianceEvent[] = [];
    client.on('event', (e: ApplianceEvent) => events.push(e));
    try {
      // Stream 0x1111's first packet arrives first: it is channel 1 (secure); 0x2222 is channel 2 (not).
      let firstSent!: () => void;
      const started = new Promise<void>((r) => (firstSent = r));
      const a = stream(0x1111, keyed(PAN), listenPort, firstSent);
      await started;
      await new Promise((r) => setTimeout(r, 60));
      const b = stream(0x2222, keyed('58'), listenPort);
      await Promise.all([a, b]);
      // The relay holds the last packets of a stream (its lookahead) until the next arrives or the
      // stream is dropped; the 200 ms of trailing silence covers them.
      await waitFor('the relay forwarded the digits', () => (received.get(0x1111)?.length ?? 0) >= Math.floor(keyed(PAN).length / 160) - 5);
      await new Promise((r) => setTimeout(r, 400)); // the last digit's report (150 ms after its window)

      expect(heard(0x1111)).toBe('#'.repeat(16));
      expect(heard(0x2222)).toBe('58');
      const masked = events.filter((e) => e.name === 'MASKED');
      expect(masked).toHaveLength(16);
      for (const e of masked) {
        expect(e.data).toMatchObject({ ch: 1, leg: 'caller' });
        expect(Object.keys(e.data).sort()).toEqual(['at_ms', 'ch', 'dur_ms', 'leg']);
        expect((e.data as { dur_ms: number }).dur_ms).toBeGreaterThanOrEqual(70);
      }
      expect((await client.getSecure(1)).state).toBe(true);
      expect((await client.getSecure(2)).state).toBe(false);
    } finally {
      await client.close();
    }
    // Nothing the simulator printed holds the card number.
    expect(sim.output()).not.toContain(PAN);
  });
});
