/**
 * The relay on real UDP sockets on 127.0.0.1, with the board's real masker: a caller of our own
 * sends G.711 RTP on its packet clock, receivers stand for the agent (forward) and the recorder
 * (mirror).
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeG711, type G711Codec } from '../../../src/dsp/g711.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { parseTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import { RtpRelay } from '../../../firmware-sim/relay/rtp-relay.ts';
import { CallerStream, type Received, sendScheduled, UdpReceiver } from './udp-peers.ts';

const KEYS: DtmfKey[] = ['4', '1', '5', '9', 'D', '*'];
const TONE_MS = 80;
const GAP_MS = 80;
const LEAD_MS = 100;

/** Keyed digits over a quiet line (−50 dBm0 noise, so every codeword outside the digits varies). */
function keyedSignal(): { samples: Int16Array; digits: { start: number; end: number }[] } {
  const parts: Float64Array[] = [silence(LEAD_MS)];
  const digits: { start: number; end: number }[] = [];
  let at = LEAD_MS * 8;
  for (const key of KEYS) {
    parts.push(dtmfTone({ key, durationMs: TONE_MS, levelDbm0: -8 }), silence(GAP_MS));
    digits.push({ start: at, end: at + TONE_MS * 8 });
    at += (TONE_MS + GAP_MS) * 8;
  }
  parts.push(silence(200));
  const clean = concat(...parts);
  return { samples: toInt16(mix(clean, whiteNoise(clean.length / 8, -50, 7))), digits };
}

/** Audio of the received packets put back on the timeline by their timestamps. */
function timeline(codec: G711Codec, packets: Buffer[], ts0: number, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(codec === 'alaw' ? 0xd5 : 0xff);
  for (const d of packets) {
    const p = parseRtp(d);
    if (p.payloadType === 0 || p.payloadType === 8) out.set(p.payload, p.timestamp - ts0);
  }
  return out;
}

/**
 * multimon-ng, an independent DTMF decoder, on 8 kHz linear audio (resampled by sox to the 22050 Hz
 * its raw input expects): the keys it hears, in order.
 */
function multimonKeys(samples: Int16Array): string[] {
  const raw22k = execFileSync('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-', '-t', 'raw', '-r', '22050', '-e', 'signed', '-b', '16', '-c', '1', '-'], {
    input: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
  });
  const out = execFileSync('multimon-ng', ['-q', '-c', '-a', 'DTMF', '-t', 'raw', '-'], { input: raw22k, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  return [...out.matchAll(/^DTMF: (.)$/gm)].map((m) => m[1]);
}

function bySeq(rs: Received[]): Map<number, Received> {
  return new Map(rs.map((r) => [r.data.readUInt16BE(2), r]));
}

const open: Array<{ close(): Promise<void> } | RtpRelay> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await (o instanceof RtpRelay ? o.stop() : o.close());
});

async function rig(secure: boolean) {
  const agent = await UdpReceiver.open();
  const recorder = await UdpReceiver.open();
  // A generous jitter allowance: a busy CI machine may stall the sender's timers; loss handling has unit tests.
  const relay = new RtpRelay({ listen: '127.0.0.1:0', forward: agent.address, mirror: recorder.address, secure, maskTone: '#', lookaheadMs: 40, jitterMs: 200 });
  const bound = await relay.start();
  open.push(agent, recorder, relay);
  return { agent, recorder, relay, listen: `127.0.0.1:${bound.port}` };
}

describe('relay on loopback UDP, secure mode', () => {
  const cases: Array<[G711Codec, number]> = [
    ['alaw', 10],
    ['alaw', 20],
    ['alaw', 30],
    ['alaw', 60],
    ['ulaw', 10],
    ['ulaw', 20],
    ['ulaw', 30],
    ['ulaw', 60],
  ];
  it.each(cases)('%s at %i ms: every keyed digit leaves as the mask tone only, everything else unchanged', async (codec, ptime) => {
    const { agent, recorder, relay, listen } = await rig(true);
    const { samples, digits } = keyedSignal();
    const caller = new CallerStream(codec, ptime);
    caller.audio(samples);
    const sent = caller.schedule();
    const sentAt = await sendScheduled(listen, sent);
    const fwd = bySeq(await agent.waitFor(sent.length, 3000));
    const mir = bySeq(await recorder.waitFor(sent.length, 3000));
    expect(fwd.size).toBe(sent.length);
    expect(mir.size).toBe(sent.length);

    for (const s of sent) {
      const seq = s.data.readUInt16BE(2);
      const out = fwd.get(seq)!.data;
      // Version, marker, payload type, sequence number, timestamp, SSRC: the caller's own bytes.
      expect(out.subarray(0, 12)).toEqual(s.data.subarray(0, 12));
      expect(out.length).toBe(s.data.length);
      expect(mir.get(seq)!.data).toEqual(out);
    }

    // The test would fail on an unmasked stream: the caller's audio holds the keyed digits.
    const input = timeline(codec, sent.map((s) => s.data), caller.ts0, samples.length);
    expect(detectDigits(decodeG711(codec, input)).map((d) => d.digit)).toEqual(KEYS);
    const output = timeline(codec, [...fwd.values()].map((r) => r.data), caller.ts0, samples.length);
    const found = detectDigits(decodeG711(codec, output));
    expect(found.map((d) => d.digit)).toEqual(KEYS.map(() => '#'));
    // The same verdict from an independent decoder.
    expect(multimonKeys(decodeG711(codec, input))).toEqual(KEYS);
    expect(multimonKeys(decodeG711(codec, output))).toEqual(KEYS.map(() => '#'));

    // Nothing else changed: every codeword that differs lies within a digit (± the masker's 5 ms padding blocks).
    const margin = 10 * 8;
    for (let i = 0; i < input.length; i++) {
      if (input[i] !== output[i]) expect(digits.some((d) => i >= d.start - margin && i < d.end + margin), `sample ${i}`).toBe(true);
    }
    // ...and every digit was really replaced, start to end.
    for (const d of digits) {
      let same = 0;
      for (let i = d.start; i < d.end; i++) if (input[i] === output[i]) same++;
      expect(same).toBeLessThan((d.end - d.start) * 0.1);
    }

    const st = relay.stats();
    expect(st.late + st.duplicates + st.lost + st.malformed).toBe(0);
    expect(st.audioMasked).toBeGreaterThan(0);

    if (ptime === 20) {
      // Added delay: the lookahead (40 ms = two 20 ms packets) plus loopback and scheduling time.
      const delays = sent.slice(0, -3).map((s, i) => fwd.get(s.data.readUInt16BE(2))!.at - sentAt[i]).sort((a, b) => a - b);
      const median = delays[Math.floor(delays.length / 2)];
      expect(median).toBeGreaterThanOrEqual(39);
      expect(median).toBeLessThan(60);
    }
  });
});

describe('relay on loopback UDP, RFC 4733', () => {
  it('rewrites every event packet to the mask digit and masks the tone start a gateway let through in-band', async () => {
    const { agent, recorder, relay, listen } = await rig(true);
    const codec: G711Codec = 'alaw';
    const caller = new CallerStream(codec, 20);
    // Two digits; the gateway passes each tone's first 40 ms in-band, then mutes the audio and
    // sends events stamped with the tone's start (RFC 4733 §2.3.5), like the sipp captures.
    const toneStarts = [2000, 6000];
    const base = whiteNoise(1200, -50, 3);
    const clean = new Float64Array(base.length);
    const keys: DtmfKey[] = ['3', '6'];
    toneStarts.forEach((start, k) => clean.set(dtmfTone({ key: keys[k], durationMs: 40, levelDbm0: -6 }), start));
    const samples = toInt16(mix(clean, base));
    caller.audio(samples);
    for (const [k, start] of toneStarts.entries()) {
      const tDetect = start / 8 + 40; // the gateway has heard 40 ms of tone
      for (let j = 0; j < 5; j++) caller.event(tDetect + 20 * j, start, { event: keys[k] === '3' ? 3 : 6, end: false, volume: 6, duration: 320 + 160 * j }, j === 0);
      for (let r = 0; r < 3; r++) caller.event(tDetect + 100 + r, start, { event: keys[k] === '3' ? 3 : 6, end: true, volume: 6, duration: 1120 });
    }
    const sent = caller.schedule();
    await sendScheduled(listen, sent);
    const fwd = bySeq(await agent.waitFor(sent.length, 3000));
    const mir = bySeq(await recorder.waitFor(sent.length, 3000));
    expect(fwd.size).toBe(sent.length);

    let events = 0;
    for (const s of sent) {
      const seq = s.data.readUInt16BE(2);
      const out = fwd.get(seq)!.data;
      expect(mir.get(seq)!.data).toEqual(out);
      const pIn = parseRtp(s.data);
      if (pIn.payloadType !== 101) continue;
      events++;
      const pOut = parseRtp(out);
      expect(out.subarray(0, 12)).toEqual(s.data.subarray(0, 12));
      expect(parseTelephoneEvent(pOut.payload)).toEqual({ ...parseTelephoneEvent(pIn.payload), event: 11 });
    }
    expect(events).toBe(16);

    const input = timeline(codec, sent.map((s) => s.data), caller.ts0, samples.length);
    expect(detectDigits(decodeG711(codec, input)).map((d) => d.digit)).toEqual(keys);
    const output = timeline(codec, [...fwd.values()].map((r) => r.data), caller.ts0, samples.length);
    expect(detectDigits(decodeG711(codec, output)).every((d) => d.digit === '#')).toBe(true);
    // The whole event window (140 ms from each tone start) carries the mask tone, the leaked start included.
    for (const start of toneStarts) {
      let same = 0;
      for (let i = start; i < start + 1120; i++) if (input[i] === output[i]) same++;
      expect(same).toBeLessThan(60);
    }
    expect(relay.stats().eventsRewritten).toBe(16);
  });
});

describe('relay on loopback UDP, secure mode off', () => {
  it('passes audio and events on byte for byte', async () => {
    const { agent, recorder, listen } = await rig(false);
    const { samples } = keyedSignal();
    const caller = new CallerStream('ulaw', 20);
    caller.audio(samples);
    caller.event(300, 1600, { event: 5, end: true, volume: 10, duration: 800 });
    const sent = caller.schedule();
    await sendScheduled(listen, sent);
    const fwd = bySeq(await agent.waitFor(sent.length, 3000));
    const mir = bySeq(await recorder.waitFor(sent.length, 3000));
    expect(fwd.size).toBe(sent.length);
    for (const s of sent) {
      const seq = s.data.readUInt16BE(2);
      expect(fwd.get(seq)!.data).toEqual(s.data);
      expect(mir.get(seq)!.data).toEqual(s.data);
    }
  });
});

describe('relay on IPv6 loopback', () => {
  it('listens and forwards on [::1]', async () => {
    const { createSocket } = await import('node:dgram');
    const sink = createSocket('udp6');
    await new Promise<void>((r) => sink.bind(0, '::1', () => r()));
    const got: Buffer[] = [];
    sink.on('message', (m) => got.push(m));
    open.push({ close: () => new Promise<void>((r) => sink.close(() => r())) });
    const relay = new RtpRelay({ listen: '[::1]:0', forward: `[::1]:${sink.address().port}`, secure: true });
    const bound = await relay.start();
    open.push(relay);
    expect(bound.host).toBe('::1');
    const caller = new CallerStream('ulaw', 20);
    caller.audio(toInt16(whiteNoise(200, -30, 9)));
    const sent = caller.schedule();
    const tx = createSocket('udp6');
    for (const s of sent) {
      tx.send(s.data, bound.port, '::1');
      await new Promise((r) => setTimeout(r, 20));
    }
    tx.close();
    await relay.stop(); // sends the last packets, their lookahead filled with silence
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((g) => g.toString('hex'))).toEqual(sent.map((s) => s.data.toString('hex')));
  });
});

describe('relay listen socket buffer', () => {
  it('queues a burst from many callers on one port while the event loop is held up, instead of dropping it', async () => {
    const agent = await UdpReceiver.open();
    const relay = new RtpRelay({ listen: '127.0.0.1:0', forward: agent.address, secure: true });
    const bound = await relay.start();
    open.push(agent, relay);
    const rmemMax = Number(execFileSync('cat', ['/proc/sys/net/core/rmem_max'], { encoding: 'utf8' }));
    // Linux reports twice what it granted, and grants at most rmem_max.
    expect(relay.recvBufferSize()).toBe(2 * Math.min(4 << 20, rmemMax));
    const { createSocket } = await import('node:dgram');
    const caller = createSocket('udp4');
    await new Promise<void>((r) => caller.bind(0, '127.0.0.1', () => caller.connect(bound.port, '127.0.0.1', () => r())));
    open.push({ close: () => new Promise<void>((r) => caller.close(() => r())) });
    // 1,000 callers' first packets (PCMA, 20 ms each), sent while this thread never yields: the
    // relay reads none of them until the loop is done. The kernel's default buffer (~200 KiB)
    // holds a few hundred of these; 4 MiB holds them all.
    const N = 1000;
    for (let k = 0; k < N; k++) {
      const d = Buffer.alloc(12 + 160, 0xd5);
      d[0] = 0x80;
      d[1] = 8;
      d.writeUInt32BE(0x20000000 + k, 8);
      caller.send(d);
    }
    const deadline = Date.now() + 5000;
    while (relay.stats().datagramsIn < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (rmemMax >= 2 << 20) expect(relay.stats()).toMatchObject({ datagramsIn: N, audioIn: N, streams: N });
    else expect(relay.stats().datagramsIn).toBeGreaterThan(0); // a small rmem_max caps what any buffer holds
  });
});
