import { describe, expect, it } from 'vitest';
import { formatUdpAddress, parseUdpAddress } from '../../../firmware-sim/relay/address.ts';
import { rewriteEventDatagram } from '../../../firmware-sim/relay/event-rewrite.ts';
import { RtpRelay } from '../../../firmware-sim/relay/rtp-relay.ts';
import { DgError } from '../../../src/errors.ts';
import { audioPacket, eventPacket } from './stream-harness.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DgError ? e.code : `not a DgError: ${String(e)}`;
  }
  return undefined;
}

describe('relay addresses', () => {
  it.each([
    ['127.0.0.1:5004', { host: '127.0.0.1', port: 5004 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
  ])('%s parses and prints back', (text, addr) => {
    expect(parseUdpAddress(text, '--listen')).toEqual(addr);
    expect(formatUdpAddress(addr)).toBe(text);
  });

  it.each(['127.0.0.1', ':5004', '::1:5004', '127.0.0.1:65536', '127.0.0.1:-1', '127.0.0.1:50x', ''])('%j is a usage error DG5301', (text) => {
    expect(code(() => parseUdpAddress(text, '--forward'))).toBe('DG5301');
  });
});

describe('relay options', () => {
  const base = { listen: '127.0.0.1:0', forward: '127.0.0.1:9' };
  it.each([
    [{ lookaheadMs: 14 }, 'DG5303'],
    [{ lookaheadMs: 201 }, 'DG5303'],
    [{ lookaheadMs: Number.NaN }, 'DG5303'],
    [{ jitterMs: -1 }, 'DG5303'],
    [{ streams: -1 }, 'DG5303'],
    [{ streams: 2.5 }, 'DG5303'],
    [{ streams: 100_001 }, 'DG5303'],
    [{ maskTone: '5' as never }, 'DG5304'],
    [{ mirror: 'x' }, 'DG5301'],
    [{ recvBufferBytes: 1000 }, 'DG5303'],
    [{ recvBufferBytes: 1 << 30 }, 'DG5303'],
  ])('%j → %s', (opts, expected) => {
    expect(code(() => new RtpRelay({ ...base, ...opts }))).toBe(expected);
  });

  it('defaults: secure mode off, mask tone #, nothing counted', () => {
    const r = new RtpRelay(base);
    expect(r.secure).toBe(false);
    r.setSecure(true);
    expect(r.stats()).toMatchObject({ secure: true, streams: 0, datagramsIn: 0, latencyMs: { count: 0 } });
  });
});

describe('telephone-event rewrite', () => {
  it('changes the event octet of DTMF events only and leaves its input alone', () => {
    for (let ev = 0; ev < 256; ev++) {
      const dg = eventPacket(1, 2, { event: ev, end: true, volume: 63, duration: 0xffff });
      dg[13] |= 0x40; // the reserved R bit, set by some senders: kept as it came
      const before = Buffer.from(dg);
      const out = rewriteEventDatagram(dg, 12, 4, '1');
      expect(dg).toEqual(before);
      expect(out[12]).toBe(ev < 16 ? 1 : ev);
      expect(out.subarray(13)).toEqual(before.subarray(13));
      expect(out.subarray(0, 12)).toEqual(before.subarray(0, 12));
    }
  });
});

describe('relay payload types (counters, no socket)', () => {
  const rtp = (pt: number, payloadLength: number) => audioPacket(1, 160, new Uint8Array(payloadLength).fill(0x55), { pt });

  it('in secure mode drops RTP in a codec it cannot mask (fails closed), keeps comfort noise', () => {
    const r = new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true });
    r.onDatagram(rtp(18, 20)); // G.729, 20 ms
    r.onDatagram(rtp(111, 61)); // an Opus frame on a dynamic type
    r.onDatagram(rtp(13, 1)); // comfort noise
    expect(r.stats()).toMatchObject({ unmaskable: 2, passedThrough: 1, eventsIn: 0, audioIn: 0 });
  });

  it('outside secure mode passes every payload type on', () => {
    const r = new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: false });
    r.onDatagram(rtp(18, 20));
    r.onDatagram(rtp(111, 61));
    expect(r.stats()).toMatchObject({ unmaskable: 0, passedThrough: 2 });
  });

  it('takes dynamic types with 1 to 4 events as telephone-events, or exactly the types it is given', () => {
    const r = new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true });
    for (const n of [4, 8, 16]) r.onDatagram(rtp(101, n));
    r.onDatagram(rtp(101, 20)); // not events: too long
    r.onDatagram(rtp(95, 4)); // not dynamic
    expect(r.stats()).toMatchObject({ eventsIn: 3, unmaskable: 2 });
    const given = new RtpRelay({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', secure: true, eventPayloadTypes: [96] });
    given.onDatagram(rtp(96, 4));
    given.onDatagram(rtp(101, 4));
    expect(given.stats()).toMatchObject({ eventsIn: 1, unmaskable: 1 });
  });
});
