/**
 * Secure mode switched off the moment the caller's last digit has been sent (the worst an agent
 * or an IVR can do), through the real relay process on loopback: what the relay still holds for
 * its lookahead left after the command, and must leave masked all the same (fail closed;
 * firmware-sim/relay/rtp-stream.ts `secureAt`). Secure mode is then really off for what follows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { parseTelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import { killRelays, startRelay } from './relay-process.ts';
import { CallerStream, sendScheduled, UdpReceiver } from './udp-peers.ts';

const receivers: UdpReceiver[] = [];

afterAll(async () => {
  killRelays();
  for (const r of receivers) await r.close();
});

const key = (p: Buffer) => `${parseRtp(p).sequence}`;

describe('secure mode off with the last digit still in the relay', () => {
  it('the digit leaves masked (in-band and as events); audio sent well after the command passes unchanged', async () => {
    const mirror = await UdpReceiver.open();
    const agent = await UdpReceiver.open();
    receivers.push(mirror, agent);
    const relay = startRelay(['--listen', '127.0.0.1:0', '--forward', agent.address, '--mirror', mirror.address, '--secure', '--mask-tone', '#']);
    const listen = String((await relay.listening).listen);
    const child = relay.child;

    // The call: 200 ms of silence, then '6' for 100 ms, in-band and as events, ending the call.
    const call = new CallerStream('alaw', 20, 0x6a11);
    call.audio(toInt16(concat(silence(200), dtmfTone({ key: '6', durationMs: 100, levelDbm0: -8 }))));
    for (let k = 1; k <= 4; k++) call.event(200 + 20 * k, 1600, { event: 6, end: k === 4, volume: 8, duration: 160 * k }, k === 1);
    const sent = call.schedule();
    await sendScheduled(listen, sent);
    child.kill('SIGUSR2'); // secure mode off, at once

    // The same caller carries on 1 s later with the same digit: secure mode is off now.
    await new Promise((r) => setTimeout(r, 1000));
    const later = new CallerStream('alaw', 20, 0x6a11, call.seq, 123456 + 8 * 1300);
    later.audio(toInt16(concat(dtmfTone({ key: '6', durationMs: 100, levelDbm0: -8 }), silence(100))));
    const sentLater = later.schedule();
    await sendScheduled(listen, sentLater);

    const all = sent.length + sentLater.length;
    const got = await mirror.waitFor(all, 5000);
    expect(got.length).toBe(all);
    const bySeq = new Map(got.map((g) => [key(g.data), g.data]));

    // Every packet of the first call that carried the digit left changed; its events say '#'.
    const tonePackets = sent.filter((s) => parseRtp(s.data).payloadType === 8).slice(10); // 200 ms of silence = 10 packets
    expect(tonePackets).toHaveLength(5);
    for (const s of tonePackets) expect(Buffer.compare(bySeq.get(key(s.data))!, s.data), `packet ${key(s.data)}`).not.toBe(0);
    const events = sent.filter((s) => parseRtp(s.data).payloadType === 101);
    for (const s of events) expect(parseTelephoneEvent(parseRtp(bySeq.get(key(s.data))!).payload).event, `event ${key(s.data)}`).toBe(11);

    // A second later, secure mode is off: the same digit passes as keyed, byte for byte.
    for (const s of sentLater) expect(Buffer.compare(bySeq.get(key(s.data))!, s.data), `packet ${key(s.data)}`).toBe(0);
    child.kill('SIGTERM');
  });
});
