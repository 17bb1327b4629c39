/**
 * `dtmfguard-sim relay` as a process: usage errors, secure mode switched at run time by signal,
 * RTCP and datagrams that are not RTP.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { killRelays, SIM, startRelay } from './relay-process.ts';
import { CallerStream, sendScheduled, UdpReceiver } from './udp-peers.ts';

const children: ChildProcess[] = [];
const receivers: UdpReceiver[] = [];

afterAll(async () => {
  killRelays();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of receivers) await r.close();
});

function runSim(args: string[]) {
  return spawnSync(process.execPath, [SIM, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('relay command usage errors', () => {
  it.each([
    [['--listen', 'nonsense', '--forward', '127.0.0.1:9'], 'DG5301'],
    [['--listen', '127.0.0.1:70000', '--forward', '127.0.0.1:9'], 'DG5301'],
    [['--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--mask-tone', '5'], 'DG5304'],
    [['--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--lookahead-ms', '5'], 'DG5303'],
    [['--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--lookahead-ms', 'forty'], 'DG5303'],
    [['--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--streams', 'many'], 'DG5303'],
    [['--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--streams', '100001'], 'DG5303'],
    [['--listen', '127.0.0.1:0', '--forward', '[::1]:9'], 'DG5305'],
    [['--forward', '127.0.0.1:9'], 'DG4001'],
  ])('%j → %s, exit 2, one line, no stack trace', (args, code) => {
    const r = runSim(['relay', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${code}:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a port already in use is DG5306, exit 2', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const r = runSim(['relay', '--listen', `127.0.0.1:${taken.address().port}`, '--forward', '127.0.0.1:9']);
    taken.close();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^DG5306: .*EADDRINUSE/);
  });
});

describe('relay command at run time', () => {
  it('SIGUSR1 turns secure mode on mid-call: events before pass as keyed, after as the mask digit', async () => {
    const agent = await UdpReceiver.open();
    receivers.push(agent);
    // With spare streams made (and collected into the old generation) at start: the call takes one.
    const relay = startRelay(['--listen', '127.0.0.1:0', '--forward', agent.address, '--mask-tone', '0', '--streams', '4']);
    const listen = String((await relay.listening).listen);
    expect((await relay.listening).secure).toBe(false);

    const before = new CallerStream('alaw', 20, 0xabc);
    before.event(0, 0, { event: 9, end: true, volume: 10, duration: 800 });
    const b = before.schedule();
    await sendScheduled(listen, b);
    await agent.waitFor(1, 2000);
    relay.child.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 300));
    const after = new CallerStream('alaw', 20, 0xabc, before.seq);
    after.event(0, 8000, { event: 9, end: true, volume: 10, duration: 800 });
    await sendScheduled(listen, after.schedule());
    const got = await agent.waitFor(2, 2000);
    expect(got.map((g) => parseRtp(g.data).payload[0])).toEqual([9, 0]);

    relay.child.kill('SIGTERM');
    expect(await relay.exit).toBe(0);
    const stopped = relay.lines.find((l) => l.event === 'stopped') as { stats: Record<string, unknown> };
    expect(stopped.stats.secure).toBe(true);
    expect(stopped.stats.eventsRewritten).toBe(1);
  });

  it('passes RTCP on at once; drops datagrams that are not RTP and, in secure mode, codecs it cannot mask', async () => {
    const agent = await UdpReceiver.open();
    receivers.push(agent);
    const relay = startRelay(['--listen', '127.0.0.1:0', '--forward', agent.address, '--secure']);
    const listen = String((await relay.listening).listen);
    // RFC 3550 §6.4.2: an empty receiver report (8 octets, packet type 201).
    const rtcpReceiverReport = Buffer.from([0x80, 201, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78]);
    const notRtp = Buffer.from('hello, not RTP');
    // G.729 (PT 18, RFC 3551): a codec the masker cannot read, dropped in secure mode.
    const g729 = Buffer.concat([Buffer.from([0x80, 18, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7]), Buffer.alloc(20, 0x5a)]);
    await sendScheduled(listen, [
      { t: 0, data: rtcpReceiverReport },
      { t: 1, data: notRtp },
      { t: 2, data: g729 },
    ]);
    const got = await agent.waitFor(1, 2000);
    expect(got.map((g) => g.data)).toEqual([rtcpReceiverReport]);
    relay.child.kill('SIGTERM');
    expect(await relay.exit).toBe(0);
    const stats = (relay.lines.find((l) => l.event === 'stopped') as { stats: Record<string, number> }).stats;
    expect(stats.passedThrough).toBe(1);
    expect(stats.malformed).toBe(1);
    expect(stats.unmaskable).toBe(1);
  });

  it('without --json prints one line when listening and its counters when stopped', async () => {
    const child = spawn(process.execPath, [SIM, 'relay', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--duration-ms', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/^relay listening on 127\.0\.0\.1:\d+, forwarding to 127\.0\.0\.1:9, secure mode off\nrelay stopped: 0 in, 0 forwarded/);
  });
});
