/**
 * The relay keeps an ended call's stream state for the next call (RtpRelay `streams`, SPARE_STREAMS;
 * RtpStream.reuse), and can make it before any call. Whether a reused stream behaves as a fresh one
 * is stream-reuse.test.ts; here, that the relay hands the state on: a swept stream becomes a spare,
 * a new SSRC takes it, and the spares made at construction are taken first.
 *
 * Driven through the native path's entry points by the addon's stand-in, under a fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { RtpStream } from '../../../firmware-sim/relay/rtp-stream.ts';
import type { MaskerFactory } from '../../../firmware-sim/relay/masker-port.ts';
import { boardMasker } from '../../../firmware-sim/relay/rtp-relay.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { relayOnStandIn } from '../../../scripts/udp-batch-stand-in.ts';

const PTIME = 160;

interface RelayInside {
  spares: RtpStream[];
  streams: Map<number, RtpStream>;
  sweep(): void;
}

function rig(streams?: number, createMasker?: MaskerFactory) {
  let now = 0;
  const io = relayOnStandIn({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true, lookaheadMs: 40, idleTimeoutMs: 1000, streams, createMasker }, () => now, () => false);
  const inside = io.relay as unknown as RelayInside;
  /** `rounds` packets of 20 ms from `ssrc`, from time t on, one a batch, the release timer run as it falls due. */
  const call = (ssrc: number, t: number, rounds: number, pt = 8) => {
    for (let r = 0; r < rounds; r++) {
      now = t + r * 20;
      if (io.timerAt <= now) {
        io.timerAt = Infinity;
        io.onTimer();
      }
      const d = serializeRtp({ version: 2, padding: false, extension: false, marker: r === 0, payloadType: pt, sequence: r, timestamp: 5000 + r * PTIME, ssrc, csrc: [], payload: new Uint8Array(PTIME).fill(pt === 8 ? 0xd5 : 0xff) });
      io.recv.bytes.set(d, 0);
      io.recv.lengths[0] = d.length;
      io.recv.ages[0] = 0;
      io.onRecv(1);
    }
  };
  /** Lets time pass to t with the timer run (what is held leaves), then sweeps idle streams. */
  const idle = (t: number) => {
    now = t;
    if (io.timerAt <= now) {
      io.timerAt = Infinity;
      io.onTimer();
    }
    inside.sweep();
  };
  return { io, inside, call, idle };
}

describe('RtpRelay stream spares', () => {
  it('hands an ended call\'s state to the next new SSRC, which sends all its audio', async () => {
    const r = rig();
    r.call(0x1111, 0, 20);
    const first = r.inside.streams.get(0x1111)!;
    r.idle(3000);
    expect(r.inside.streams.size).toBe(0);
    expect(r.inside.spares).toEqual([first]);
    const sent0 = r.io.sent;
    r.call(0x2222, 4000, 20);
    r.idle(4600);
    expect(r.inside.spares).toEqual([]);
    expect(r.inside.streams.get(0x2222)).toBe(first);
    expect(first.ssrc).toBe(0x2222);
    // Every packet of the second call forwarded (its last ones when the timer ran).
    expect(r.io.sent - sent0).toBe(20);
    expect(r.io.relay.stats()).toMatchObject({ late: 0, lost: 0, duplicates: 0 });
    await r.io.relay.stop();
  });

  it('makes `streams` spares at construction and takes them before making any', async () => {
    const r = rig(3);
    const made = [...r.inside.spares];
    expect(made).toHaveLength(3);
    for (const [k, ssrc] of [0xa, 0xb, 0xc, 0xd].entries()) r.call(ssrc, k * 5, 3);
    const used = [0xa, 0xb, 0xc].map((s) => r.inside.streams.get(s));
    expect(new Set(used)).toEqual(new Set(made));
    expect(made).not.toContain(r.inside.streams.get(0xd));
    expect(r.inside.spares).toHaveLength(0);
    await r.io.relay.stop();
  });

  it('keeps a spare\'s maskers, one for each law, so calls on spares make none', async () => {
    const made: string[] = [];
    let disposed = 0;
    const counting: MaskerFactory = (codec, settings) => {
      made.push(codec);
      const m = boardMasker(codec, settings);
      const dispose = m.dispose!.bind(m);
      m.dispose = () => {
        disposed++;
        dispose();
      };
      return m;
    };
    const r = rig(2, counting);
    expect(made.sort()).toEqual(['alaw', 'alaw', 'ulaw', 'ulaw']);
    r.call(0xa, 0, 10, 8);
    r.call(0xb, 0, 10, 0);
    r.idle(3000);
    expect(r.inside.spares).toHaveLength(2);
    r.call(0xc, 4000, 10, 0);
    r.call(0xd, 4000, 10, 0);
    r.call(0xe, 4000, 10, 8);
    // Two spares taken, both laws served from them; only the third call's stream made a masker.
    expect(made).toHaveLength(5);
    expect(disposed).toBe(0);
    r.idle(7000);
    expect(r.io.sent).toBe(50);
    // Stopping frees every masker's DSP state, the spares' included.
    await r.io.relay.stop();
    expect(disposed).toBe(5);
  });
});
