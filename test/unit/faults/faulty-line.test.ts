// The serial fault line (firmware-sim/faults/faulty-line.ts) between an in-memory "real" stream
// and whoever attaches to it: bytes dropped, flipped, delayed and silenced as configured.
import { describe, expect, it } from 'vitest';
import { Duplex, PassThrough } from 'node:stream';
import { FaultyLine } from '../../../firmware-sim/faults/faulty-line.ts';
import type { ServerTimers } from '../../../firmware-sim/server/device-server.ts';

/** A request line as the host sends it (any frame will do: the line does not parse). */
const PING_LINE = Buffer.from('REQ 7 PING *0F6B2D8C\r\n', 'latin1');
/** 100 kB of a repeating printable pattern: enough bytes for rates to show. */
const BULK = Buffer.from('0123456789ABCDEFGHIJ'.repeat(5000), 'latin1');

/** Manual timers and clock: the test moves time. */
class FakeTime implements ServerTimers {
  now = 0;
  private q: Array<{ at: number; fn: () => void }> = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + ms, fn };
    this.q.push(t);
    return t;
  }
  clearTimeout(h: unknown): void {
    this.q = this.q.filter((t) => t !== h);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.q.sort((a, b) => a.at - b.at);
      const t = this.q[0];
      if (!t || t.at > end) break;
      this.q.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

function rig(seed = 1) {
  const time = new FakeTime();
  const line = new FaultyLine({ seed, timers: time, now: () => time.now });
  // The "real" stream: what the host writes arrives on hostToBoard, what the board writes on boardToHost.
  const hostToBoard = new PassThrough();
  const boardToHost = new PassThrough();
  const inner = Duplex.from({ readable: hostToBoard, writable: boardToHost });
  const wrapped = line.wrap(inner);
  const boardGot: Buffer[] = [];
  const hostGot: Buffer[] = [];
  wrapped.on('data', (d: Buffer) => boardGot.push(d));
  boardToHost.on('data', (d: Buffer) => hostGot.push(d));
  const flush = () => new Promise((r) => setImmediate(r));
  return { time, line, hostToBoard, wrapped, boardGot: () => Buffer.concat(boardGot), hostGot: () => Buffer.concat(hostGot), flush };
}

describe('faulty line', () => {
  it('passes bytes unchanged both ways with no fault', async () => {
    const r = rig();
    r.hostToBoard.write(PING_LINE);
    r.wrapped.write(PING_LINE);
    await r.flush();
    expect(r.boardGot()).toEqual(PING_LINE);
    expect(r.hostGot()).toEqual(PING_LINE);
    expect(r.line.stats).toMatchObject({ corrupted: 0, dropped: 0, silenced: 0 });
  });

  it('corrupts about the given fraction of bytes, one bit each, both directions', async () => {
    const r = rig(42);
    r.line.faults.corrupt = 0.01;
    r.hostToBoard.write(BULK);
    r.wrapped.write(BULK);
    await r.flush();
    for (const got of [r.boardGot(), r.hostGot()]) {
      expect(got.length).toBe(BULK.length);
      let diff = 0;
      for (let i = 0; i < got.length; i++) {
        const x = got[i] ^ BULK[i];
        if (x) {
          diff++;
          expect(x & (x - 1)).toBe(0); // exactly one bit flipped
        }
      }
      // 1000 expected per direction; ±5 standard deviations (√990 ≈ 31).
      expect(diff).toBeGreaterThan(1000 - 160);
      expect(diff).toBeLessThan(1000 + 160);
    }
    expect(r.line.stats.corrupted).toBeGreaterThan(1800);
  });

  it('drops about the given fraction of bytes and keeps the rest in order', async () => {
    const r = rig(7);
    r.line.faults.drop = 0.05;
    r.hostToBoard.write(BULK);
    await r.flush();
    const got = r.boardGot();
    expect(BULK.length - got.length).toBe(r.line.stats.dropped);
    expect(r.line.stats.dropped).toBeGreaterThan(5000 - 350);
    expect(r.line.stats.dropped).toBeLessThan(5000 + 350);
    // What survives is a subsequence of what was sent.
    let j = 0;
    for (const b of got) {
      while (BULK[j] !== b) j++;
      j++;
    }
    expect(j).toBeLessThanOrEqual(BULK.length);
  });

  it('delays by the latency, in order, without slowing the line', async () => {
    const r = rig();
    r.line.faults.latencyMs = 250;
    r.hostToBoard.write(Buffer.from('a'));
    r.wrapped.write(Buffer.from('x'));
    r.wrapped.write(Buffer.from('y'));
    await r.flush();
    r.time.advance(100);
    r.hostToBoard.write(Buffer.from('b'));
    await r.flush();
    expect(r.boardGot().length + r.hostGot().length).toBe(0);
    r.time.advance(150);
    await r.flush();
    expect(r.boardGot().toString()).toBe('a');
    expect(r.hostGot().toString()).toBe('xy'); // both writes left together: latency, not throughput
    // Latency removed while bytes are in flight: later bytes still come after them.
    r.line.faults.latencyMs = 0;
    r.hostToBoard.write(Buffer.from('c'));
    await r.flush();
    expect(r.boardGot().toString()).toBe('a');
    r.time.advance(100);
    await r.flush();
    expect(r.boardGot().toString()).toBe('abc');
  });

  it('silence passes nothing either way, and lifting it restores the line', async () => {
    const r = rig();
    r.line.faults.silence = true;
    r.hostToBoard.write(PING_LINE);
    r.wrapped.write(PING_LINE);
    await r.flush();
    expect(r.boardGot().length + r.hostGot().length).toBe(0);
    expect(r.line.stats.silenced).toBe(2 * PING_LINE.length);
    r.line.faults.silence = false;
    r.hostToBoard.write(PING_LINE);
    await r.flush();
    expect(r.boardGot()).toEqual(PING_LINE);
  });

  it('an armed reset passes half of the next request line, drops the rest and fires once', async () => {
    const r = rig();
    let resets = 0;
    r.line.armReset(() => {
      resets++;
      r.line.deafen(300);
    });
    expect(r.line.resetPending).toBe(true);
    // A bare CRLF first (hosts send one to clean the peer's line): not a request, no reset yet.
    r.hostToBoard.write(Buffer.from('\r\n'));
    await r.flush();
    expect(resets).toBe(0);
    r.hostToBoard.write(PING_LINE);
    await r.flush();
    const half = Math.floor((PING_LINE.length - 1) / 2);
    expect(r.boardGot()).toEqual(Buffer.concat([Buffer.from('\r\n'), PING_LINE.subarray(0, half)]));
    expect(r.boardGot().includes(0x0a, 2)).toBe(false);
    expect(resets).toBe(1);
    // Deaf while "rebooting", then hears again.
    r.hostToBoard.write(PING_LINE);
    await r.flush();
    expect(r.boardGot().length).toBe(2 + half);
    r.time.advance(300);
    r.hostToBoard.write(PING_LINE);
    await r.flush();
    expect(r.boardGot().subarray(2 + half)).toEqual(PING_LINE);
    expect(resets).toBe(1);
  });

  it('ends the wrapper when the real stream closes, and wraps the next connection', async () => {
    const r = rig();
    const closed = new Promise((res) => r.wrapped.once('close', res));
    r.wrapped.inner.destroy();
    await closed;
    expect(r.line.current).toBeNull();
    const next = r.line.wrap(new PassThrough());
    expect(r.line.current).toBe(next);
  });
});
