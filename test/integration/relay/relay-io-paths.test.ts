/**
 * The relay's two socket paths on real loopback UDP: the native one (udp-batch: recvmmsg,
 * sendmmsg, kernel arrival stamps, one release timer) and Node's dgram must put the very same
 * bytes on the forward and the mirror side for the same caller traffic (two callers on one port,
 * in-band digits, RFC 4733 events, RTCP, comfort noise, a datagram too short for RTP). And the
 * native path must treat users' mistakes and a vanished peer as dgram does.
 */
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dtmfTone, mix, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { DgError } from '../../../src/errors.ts';
import { RtpRelay } from '../../../firmware-sim/relay/rtp-relay.ts';
import { UDP_BATCH_PATH } from '../../../firmware-sim/relay/udp-native.ts';
import { CallerStream, type Outgoing, sendScheduled, UdpReceiver } from './udp-peers.ts';

/** Built (each test sets DTMFGUARD_RELAY_IO itself, so this runs under DTMFGUARD_RELAY_IO=dgram too); under CI a missing addon fails. */
const haveNative = existsSync(UDP_BATCH_PATH);

/** Runs `fn` with DTMFGUARD_RELAY_IO set to `io` (the relay reads it at start). */
async function withIo<T>(io: 'native' | 'dgram', fn: () => Promise<T>): Promise<T> {
  const was = process.env.DTMFGUARD_RELAY_IO;
  process.env.DTMFGUARD_RELAY_IO = io;
  try {
    return await fn();
  } finally {
    if (was === undefined) delete process.env.DTMFGUARD_RELAY_IO;
    else process.env.DTMFGUARD_RELAY_IO = was;
  }
}

/** Byte fixture: an RTCP receiver report (RFC 3550 §6.4.2, no report blocks), SSRC 0x0badcafe. */
const RTCP_RR = Buffer.from('80c900010badcafe', 'hex');
/** Byte fixture: a 5-octet datagram, too short for an RTP header. */
const SHORT = Buffer.from('8008000102', 'hex');

/** Two callers on one port, 1.2 s: caller A keys '7' in-band and then as RFC 4733 events, caller B speaks noise and goes to comfort noise. */
function traffic(): Outgoing[] {
  const a = new CallerStream('alaw', 20, 0x11110001, 1000);
  const clean = whiteNoise(1200, -45, 5);
  clean.set(dtmfTone({ key: '7', durationMs: 120, levelDbm0: -8 }), 2400);
  a.audio(toInt16(clean));
  for (let j = 0; j < 4; j++) a.event(700 + 20 * j, 6400, { event: 7, end: j === 3, volume: 8, duration: 160 * (j + 1) }, j === 0);
  const b = new CallerStream('ulaw', 20, 0x22220002, 5000);
  b.audio(toInt16(mix(whiteNoise(800, -30, 9), whiteNoise(800, -50, 10))));
  const cn = (t: number): Outgoing => ({
    t,
    data: serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: 13, sequence: 0, timestamp: 9000, ssrc: 0x22220002, csrc: [], payload: Uint8Array.from([0x40]) }),
  });
  const bItems = b.schedule();
  const cnData = Buffer.from(cn(900).data);
  cnData.writeUInt16BE(b.seq++ & 0xffff, 2);
  return [...a.schedule(), ...bItems, { t: 900, data: cnData }, { t: 300, data: RTCP_RR }, { t: 310, data: SHORT }].sort((x, y) => x.t - y.t);
}

async function run(io: 'native' | 'dgram', items: Outgoing[]) {
  return withIo(io, async () => {
    const agent = await UdpReceiver.open();
    const recorder = await UdpReceiver.open();
    const relay = new RtpRelay({ listen: '127.0.0.1:0', forward: agent.address, mirror: recorder.address, secure: true, maskTone: '#', lookaheadMs: 40, jitterMs: 200 });
    try {
      const bound = await relay.start();
      const path = relay.io;
      await sendScheduled(`127.0.0.1:${bound.port}`, items);
      const expected = items.length - 1; // all but the short datagram
      await agent.waitFor(expected, 3000);
      await recorder.waitFor(expected, 3000);
      const { latencyMs, ...counters } = relay.stats();
      return { path, forward: agent.got.map((r) => r.data.toString('hex')), mirror: recorder.got.map((r) => r.data.toString('hex')), counters, latencyMs };
    } finally {
      await relay.stop();
      await agent.close();
      await recorder.close();
    }
  });
}

/**
 * Datagrams per SSRC and payload type in arrival order: how streams, and one stream's audio and
 * events (released on different clocks: audio at its lookahead, events rewritten at once), interleave
 * depends on timing on either path; the order within each is the relay's.
 */
function perStream(hex: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of hex) (out[`${h.slice(16, 24)}/${parseInt(h.slice(2, 4), 16) & 0x7f}`] ??= []).push(h);
  return out;
}

describe.skipIf(!haveNative && !process.env.CI)('relay socket paths: native and dgram', () => {
  it('forward and mirror the same bytes for the same traffic', async () => {
    expect(haveNative, 'build/relay/udp-batch.node missing: run scripts/build-native.sh').toBe(true);
    const items = traffic();
    const dgram = await run('dgram', items);
    const native = await run('native', items);
    expect(dgram.path).toBe('dgram');
    expect(native.path).toBe('native');
    expect(native.forward.length).toBe(items.length - 1);
    expect(perStream(native.forward)).toEqual(perStream(dgram.forward));
    expect(perStream(native.mirror)).toEqual(perStream(dgram.mirror));
    expect(native.mirror).toEqual(native.forward);
    // The digit was masked on both paths, in-band and as events, with the same counts.
    expect(native.counters.audioMasked).toBeGreaterThan(0);
    expect(native.counters.eventsRewritten).toBe(4);
    expect(native.counters).toEqual(dgram.counters);
    // The added delay is the lookahead on both (the kernel's arrival stamp on the native path).
    expect(native.latencyMs.median).toBeGreaterThanOrEqual(39.5);
    expect(native.latencyMs.median).toBeLessThan(45);
  }, 20_000);

  it('says the listen port is taken, as dgram does (DG5306)', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    try {
      for (const io of ['native', 'dgram'] as const) {
        const relay = new RtpRelay({ listen: `127.0.0.1:${holder.address().port}`, forward: '127.0.0.1:9' });
        const err = await withIo(io, () => relay.start().then(() => undefined, (e: unknown) => e));
        expect(err, io).toBeInstanceOf(DgError);
        expect((err as DgError).code).toBe('DG5306');
        expect((err as DgError).message).toMatch(/EADDRINUSE.*choose a free port/);
      }
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  it.each(['native', 'dgram'] as const)('%s: a recorder that is down costs the agent nothing, and every mirrored datagram still leaves (each draws its own ICMP port unreachable, counted, never raised)', async (io) => {
    const agent = await UdpReceiver.open();
    const gone = await UdpReceiver.open();
    const mirrorPort = gone.port;
    await gone.close();
    const relay = new RtpRelay({ listen: '127.0.0.1:0', forward: agent.address, mirror: `127.0.0.1:${mirrorPort}`, lookaheadMs: 40 });
    try {
      const bound = await withIo(io, () => relay.start());
      expect(relay.io).toBe(io);
      const caller = new CallerStream('alaw', 20);
      caller.audio(toInt16(whiteNoise(600, -40, 3)));
      const items = caller.schedule();
      await sendScheduled(`127.0.0.1:${bound.port}`, items);
      await agent.waitFor(items.length, 3000);
      await new Promise((r) => setTimeout(r, 100)); // the last refusals reach the socket
      expect(agent.got.length).toBe(items.length);
      const st = relay.stats();
      expect(st.mirrored).toBe(items.length);
      // The refusal of a datagram is reported by the next send on that socket (or read by dgram);
      // one sent after a refusal that ate it would never draw its own: about half as many errors.
      expect(st.sendErrors).toBeGreaterThanOrEqual(items.length - 2);
      expect(st.sendErrors).toBeLessThanOrEqual(items.length);
    } finally {
      await relay.stop();
      await agent.close();
    }
  });
});
