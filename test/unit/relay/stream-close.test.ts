/**
 * A stream's masker holds a block of the DSP kernel's memory (src/dsp/wasm): the relay frees it
 * when it forgets the stream or replaces the masker, not whenever the collector gets round to it.
 */
import { describe, expect, it } from 'vitest';
import type { MaskerFactory } from '../../../firmware-sim/relay/masker-port.ts';
import { RtpRelay } from '../../../firmware-sim/relay/rtp-relay.ts';
import { audioPacket, fakeMasker, ramp, streamHarness } from './stream-harness.ts';

const PKT = 160;

function counting() {
  const made: Array<{ disposed: number }> = [];
  const inner = fakeMasker();
  const factory: MaskerFactory = (codec, s) => {
    const m = inner(codec, s);
    const tally = { disposed: 0 };
    made.push(tally);
    return { process: m.process, drainWindows: m.drainWindows, dispose: () => tally.disposed++ };
  };
  return { made, factory };
}

describe('RtpStream frees its masker', () => {
  it('on close, once', () => {
    const c = counting();
    const h = streamHarness({ createMasker: c.factory });
    for (let i = 0; i < 5; i++) h.deliver(20 * i, audioPacket(i, i * PKT, ramp(PKT, i)));
    h.end();
    h.stream.close();
    h.stream.close();
    expect(c.made.map((m) => m.disposed)).toEqual([1]);
  });

  it('when a sender restarts its timestamps and the masker is replaced', () => {
    const c = counting();
    const h = streamHarness({ createMasker: c.factory });
    for (let i = 0; i < 20; i++) h.deliver(20 * i, audioPacket(i, 1_000_000 + i * PKT, ramp(PKT, i)));
    for (let i = 0; i < 5; i++) h.deliver(400 + 20 * i, audioPacket(20 + i, i * PKT, ramp(PKT, i)));
    h.end();
    expect(h.counters.resyncs).toBe(1);
    expect(c.made.map((m) => m.disposed)).toEqual([1, 0]);
  });

  it('RtpRelay.stop frees every stream\'s masker', async () => {
    const c = counting();
    const relay = new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', maskTone: '#', secure: true, createMasker: c.factory });
    await relay.start();
    for (let k = 0; k < 3; k++) relay.onDatagram(audioPacket(1, 0, ramp(PKT, k), { ssrc: 100 + k }));
    await relay.stop();
    expect(c.made.map((m) => m.disposed)).toEqual([1, 1, 1]);
  });
});
