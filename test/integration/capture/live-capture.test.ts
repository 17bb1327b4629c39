/**
 * Live capture: a real tcpdump on the loopback interface, real UDP sent by the test, decoded by our
 * reader from tcpdump's pcap stream while it runs.
 */
import { describe, it, expect } from 'vitest';
import dgram from 'node:dgram';
import { startLiveCapture } from '../../../src/capture/live-capture.ts';
import { UdpDecoder } from '../../../src/capture/udp-decoder.ts';
import { StreamTracker, type TrackerOutput } from '../../../src/rtp/stream-tracker.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../../../src/rtp/telephone-event.ts';

describe('live capture through tcpdump', () => {
  it('decodes RTP from tcpdump on lo while it runs', async () => {
    const rx = dgram.createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    const port = rx.address().port;
    rx.on('message', () => {});
    const live = startLiveCapture({ interface: 'lo', filter: `udp and dst port ${port}` });
    const tracker = new StreamTracker({ rtpPorts: [port] });
    const decoder = new UdpDecoder();
    const outs: TrackerOutput[] = [];
    const consumed = (async () => {
      for await (const p of live.packets) {
        const u = decoder.decode(p);
        if (u) outs.push(...tracker.push(u, p.timestampNs));
      }
      outs.push(...tracker.flush());
    })();
    await live.ready;
    const tx = dgram.createSocket('udp4');
    for (let i = 0; i < 20; i++) {
      const payload = i < 17 ? new Uint8Array(160).fill(0xff) : serializeTelephoneEvent({ event: 11, end: i >= 17, volume: 10, duration: 800 });
      const pkt = serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: i < 17 ? 0 : 101,
        sequence: i, timestamp: i < 17 ? i * 160 : 17 * 160, ssrc: 0xabc, csrc: [], payload });
      await new Promise<void>((r, j) => tx.send(pkt, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    }
    // SIGINT ends tcpdump at once; wait (up to 10 s on a busy machine) until all 20 have come through.
    for (let i = 0; i < 200 && (tracker.reports()[0]?.packets ?? 0) < 20; i++) await new Promise((r) => setTimeout(r, 50));
    await live.stop();
    await consumed;
    tx.close();
    rx.close();
    const [s] = tracker.reports();
    expect(s).toMatchObject({ packets: 20, audioPackets: 17, eventPackets: 3, foundBy: 'port' });
    expect(outs.filter((o) => o.kind === 'event').map((o) => o.kind === 'event' && o.digit)).toEqual(['#']);
    expect(live.packets.summary.partial).toBeUndefined();
  });

  it('fails with DG6009 naming the problem when the interface does not exist', async () => {
    const live = startLiveCapture({ interface: 'nosuchif0' });
    await expect(live.ready).rejects.toMatchObject({ code: 'DG6009', exitCode: 2, message: expect.stringMatching(/nosuchif0/) });
    await live.stop();
  });
});
