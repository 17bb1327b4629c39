// The fault registry on a board with a manual clock: each fault's effect as the protocol shows it
// (events and GET_* answers through a DeviceServer), span faults through the E1/T1 model.
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import type { BoardEvent } from '../../../firmware-sim/board/board.ts';
import { DeviceServer, type ServerTimers } from '../../../firmware-sim/server/device-server.ts';
import { FaultRegistry, parseFaultArg } from '../../../firmware-sim/faults/registry.ts';
import { FAULT_NAMES, FAULTS } from '../../../firmware-sim/faults/catalogue.ts';
import { FaultyLine } from '../../../firmware-sim/faults/faulty-line.ts';
import { TestHost } from '../sim/test-host.ts';

const servers: DeviceServer[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** Timers that fire when the test says (the reboot delay). */
class StepTimers implements ServerTimers {
  pending: Array<() => void> = [];
  setTimeout(fn: () => void): unknown {
    this.pending.push(fn);
    return fn;
  }
  clearTimeout(h: unknown): void {
    this.pending = this.pending.filter((f) => f !== h);
  }
  fire(): void {
    for (const f of this.pending.splice(0)) f();
  }
}

function setup(profile = 'dual-e1') {
  const clock = new ManualBoardClock(0);
  const board = createBoard(loadProfile(shippedProfilePath(profile)), { clock, serial: 'DG2E1-000042', spans: { seed: 3 } });
  const events: BoardEvent[] = [];
  board.on('event', (e) => events.push(e));
  const timers = new StepTimers();
  const faults = new FaultRegistry({ board, timers, rebootDelayMs: 500 });
  /** Moves board time in 100 ms steps, as the simulator's span timer does. */
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      board.syncSpans(false);
    }
  };
  const alarms = () => events.filter((e) => e.name === 'ALARM').map((e) => e.fields);
  return { clock, board, faults, events, timers, run, alarms };
}

describe('fault catalogue', () => {
  it('has at least the names of the issue, lower-case words', () => {
    const required = ['corrupt', 'drop', 'latency', 'silence', 'reset', 'dsp-stall', 'overheat', 'voltage', 'bypass', 'reboot', 'los', 'lof', 'ais', 'rai', 'ber', 'slip'];
    expect(FAULT_NAMES).toEqual(expect.arrayContaining(required));
    for (const n of FAULT_NAMES) expect(n).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each([
    ['corrupt', 'on', '0.01'], ['corrupt', '0.2', '0.2'], ['corrupt', 'off', '0'], ['latency', '150', '150'], ['silence', 'ON', 'on'],
    ['overheat', 'on', '85'], ['overheat', '0', '0'], ['overheat', 'off', 'off'], ['voltage', 'on', 'low'], ['voltage', '11000', '11000'],
    ['ber', '1e-5', '0.00001'], ['ber', 'off', '0'], ['slip', 'on', '1'], ['los', 'true', 'on'],
  ])('%s %s is %s', (name, value, expected) => {
    expect(FAULTS[name as keyof typeof FAULTS].parse(value)).toBe(expected);
  });

  it.each([
    ['nosuch', 'on', 'DG5901'], ['corrupt', '1.5', 'DG5902'], ['latency', '-1', 'DG5902'], ['ber', '0.6', 'DG5902'], ['los', 'maybe', 'DG5902'],
    ['voltage', 'sideways', 'DG5902'], ['overheat', '300', 'DG5902'], ['slip', '', 'DG5902'],
  ])('%s %j is refused with %s', (name, value, code) => {
    const { faults } = setup();
    expect(() => faults.set(name, value)).toThrow(new RegExp(`^${code}: `));
  });

  it('checks the scope before changing anything', () => {
    const { faults, board } = setup();
    expect(() => faults.set('los', 'on', { span: 3 })).toThrow(/^DG5903: no span 3/);
    expect(() => faults.set('los', 'on', { channel: 1 })).toThrow(/^DG5903: .*--channel/);
    expect(() => faults.set('dsp-stall', 'on')).toThrow(/^DG5903: .*needs --channel/);
    expect(() => faults.set('dsp-stall', 'on', { channel: 61 })).toThrow(/^DG5903: no channel 61/);
    expect(() => faults.set('bypass', 'on', { span: 1 })).toThrow(/^DG5903/);
    expect(() => setup('sip-edge').faults.set('los', 'on')).toThrow(/^DG5903: .*has none/);
    expect(() => faults.set('corrupt', '0.1')).toThrow(/^DG5904: /);
    expect(board.health().bypass).toBe(false);
    expect(board.spanModel(1).model.faults().los).toBe(false);
  });

  it('parses --fault NAME=VALUE[,span=N|,channel=N]', () => {
    expect(parseFaultArg('los=on,span=2')).toEqual({ name: 'los', value: 'on', span: 2 });
    expect(parseFaultArg('dsp-stall=on,channel=12')).toEqual({ name: 'dsp-stall', value: 'on', channel: 12 });
    expect(parseFaultArg('ber=1e-6')).toEqual({ name: 'ber', value: '1e-6' });
    for (const bad of ['los', 'los=', '=on', 'los=on,span=x', 'los=on,port=1', 'los=on,span=0']) expect(() => parseFaultArg(bad)).toThrow(/^DG5905: /);
    expect(() => parseFaultArg('cable=cut')).toThrow(/^DG5901: /);
  });
});

describe('line faults through the span model', () => {
  it('los: ALARM los after 2.5 s of continuous LOS, cleared 10 s after the signal returns; other span untouched', () => {
    const s = setup();
    s.run(5000);
    s.faults.set('los', 'on', { span: 1 });
    s.run(2400);
    expect(s.alarms()).toEqual([]);
    s.run(200);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'los', state: true }]);
    expect(s.board.spanStatus(1)).toMatchObject({ up: false, alarms: { los: true, lof: false, ais: false, rai: false } });
    expect(s.board.spanStatus(2).up).toBe(true);
    s.faults.set('los', 'off', { span: 1 });
    s.run(9800);
    expect(s.alarms()).toHaveLength(1);
    s.run(400);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'los', state: true }, { span: 1, alarm: 'los', state: false }]);
    // LOS seconds are severely errored, then unavailable (G.826 Annex A): no ES/SES left for 10+ s of LOS... here 2.6 s of it.
    expect(s.board.spanStatus(1).counters.ses).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['lof', 'lof'],
    ['ais', 'ais'],
    ['rai', 'rai'],
  ])('%s raises ALARM %s on the span it is given and clears it', (fault, alarm) => {
    const s = setup();
    s.run(3000);
    s.faults.set(fault, 'on', { span: 2 });
    s.run(3000);
    expect(s.alarms()).toEqual([{ span: 2, alarm, state: true }]);
    expect(s.board.spanStatus(2).up).toBe(alarm === 'rai');
    s.faults.set(fault, 'off', { span: 2 });
    s.run(11_000);
    expect(s.alarms()).toEqual([{ span: 2, alarm, state: true }, { span: 2, alarm, state: false }]);
  });

  it('a line fault without --span applies to every span', () => {
    const s = setup();
    s.faults.set('ais', 'on');
    s.run(3000);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'ais', state: true }, { span: 2, alarm: 'ais', state: true }]);
    expect(s.faults.list().filter((e) => e.fault === 'ais').map((e) => e.value)).toEqual(['on', 'on']);
  });

  it('ber raises CV, CRC-4 and FAS errors and errored seconds; RESET_COUNTERS zeroes them', () => {
    const s = setup();
    s.run(3000);
    s.faults.set('ber', '1e-5', { span: 1 });
    s.run(4000);
    const c = s.board.spanStatus(1).counters;
    // 2.048 Mbit/s × 1e-5 ≈ 20 bit errors per second.
    expect(c.cv).toBeGreaterThan(40);
    expect(c.cv).toBeLessThan(160);
    expect(c.crc_err).toBeGreaterThan(20);
    expect(c.es).toBeGreaterThanOrEqual(3);
    expect(c.ses).toBe(0);
    expect(s.board.spanStatus(2).counters.cv).toBe(0);
    s.board.resetCounters(1);
    expect(s.board.spanStatus(1).counters).toEqual({ cv: 0, crc_err: 0, fas_err: 0, slips: 0, es: 0, ses: 0 });
    expect(s.alarms()).toEqual([]);
  });

  it('slip counts controlled slips (T1: each one an errored second)', () => {
    const s = setup('dual-t1');
    s.run(3000);
    s.faults.set('slip', '2', { span: 1 });
    s.run(5000);
    const c = s.board.spanStatus(1).counters;
    expect(c.slips).toBeGreaterThanOrEqual(8);
    expect(c.slips).toBeLessThanOrEqual(11);
    expect(c.es).toBeGreaterThanOrEqual(4);
  });

  it('a local loopback hides a line LOS from the host side; back to off, the LOS is seen', () => {
    const s = setup();
    s.board.setLoopback(1, 'local');
    s.faults.set('los', 'on', { span: 1 });
    s.run(4000);
    expect(s.alarms()).toEqual([]);
    expect(s.board.spanStatus(1)).toMatchObject({ up: true, loopback: 'local' });
    s.board.setLoopback(1, 'off');
    s.run(3000);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'los', state: true }]);
  });

  it('line and payload loopbacks send the received signal back to the far end', () => {
    const s = setup();
    s.faults.set('ber', '1e-5', { span: 1 });
    s.board.setLoopback(1, 'line');
    s.run(3000);
    const far = s.board.spanModel(1).model.farEnd;
    // Line loopback: the far end gets the line errors back, CRC included.
    expect(far.counters().current.crc).toBeGreaterThan(0);
    s.board.setLoopback(1, 'payload');
    const before = far.counters().current.crc;
    s.run(3000);
    // Payload loopback regenerates framing and CRC: no new CRC errors at the far end.
    expect(far.counters().current.crc).toBe(before);
  });

  it('counters keep counting past the model 24-hour history, and hand-set alarms and counters still work', () => {
    const s = setup();
    s.faults.set('ber', '1e-5', { span: 1 });
    s.run(2000);
    s.faults.set('ber', 'off', { span: 1 });
    const cv = s.board.spanStatus(1).counters.cv;
    expect(cv).toBeGreaterThan(0);
    // 25 hours: the first interval leaves the model's 96-interval history; the counter must not drop.
    s.clock.advance(25 * 3600_000);
    s.board.syncSpans();
    expect(s.board.spanModel(1).intervals()).toHaveLength(96);
    expect(s.board.spanStatus(1).counters.cv).toBe(cv);
    s.board.addCounters(1, { cv: 5 });
    expect(s.board.spanStatus(1).counters.cv).toBe(cv + 5);
    s.board.setAlarm(1, 'rai', true);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'rai', state: true }]);
  });

  it('line faults stay over a reboot (they are on the cable); loopbacks and counters do not', () => {
    const s = setup();
    s.faults.set('los', 'on', { span: 2 });
    s.board.setLoopback(1, 'line');
    s.board.boot('reboot');
    expect(s.board.spanModel(2).model.faults().los).toBe(true);
    expect(s.board.spanStatus(1).loopback).toBe('off');
    s.run(3000);
    expect(s.alarms()).toEqual([{ span: 2, alarm: 'los', state: true }]);
  });
});

describe('board faults', () => {
  it('dsp-stall: EVT DSP stalled and ok on the wire, per channel', async () => {
    const s = setup();
    const server = new DeviceServer(s.board, { countersIntervalMs: 0, healthIntervalMs: 0 });
    servers.push(server);
    const host = new TestHost(server);
    s.faults.set('dsp-stall', 'on', { channel: 3 });
    expect((await host.waitFor((f) => f.name === 'DSP')).fields).toEqual({ ch: '3', state: 'stalled' });
    expect(s.faults.list().filter((e) => e.fault === 'dsp-stall')).toEqual([{ fault: 'dsp-stall', area: 'board', value: 'on', channel: 3 }]);
    s.faults.set('dsp-stall', 'on', { channel: 3 }); // no change, no event
    s.faults.set('dsp-stall', 'off', { channel: 3 });
    await host.waitFor((f) => f.name === 'DSP' && f.fields.state === 'ok');
    expect(host.received.filter((f) => f.name === 'DSP')).toHaveLength(2);
  });

  it('overheat and voltage move GET_HEALTH readings and send HEALTH; off restores the profile values', async () => {
    const s = setup();
    const server = new DeviceServer(s.board, { countersIntervalMs: 0, healthIntervalMs: 0 });
    servers.push(server);
    const host = new TestHost(server);
    s.faults.set('overheat', 'on');
    expect((await host.waitFor((f) => f.name === 'HEALTH')).fields.temp_c).toBe('85');
    s.faults.set('voltage', 'low');
    expect((await host.request('GET_HEALTH')).fields).toMatchObject({ temp_c: '85', v_main_mv: '10200', v_3v3_mv: '3300' });
    s.faults.set('voltage', 'high');
    expect(s.board.health().v_main_mv).toBe(13800);
    s.faults.set('overheat', '65');
    s.faults.set('voltage', 'off');
    expect((await host.request('GET_HEALTH')).fields).toMatchObject({ temp_c: '65', v_main_mv: '12000' });
    s.faults.set('overheat', 'off');
    expect(s.board.health().temp_c).toBe(41.5);
  });

  it('bypass: bypass=on and an immediate HEALTH event', async () => {
    const s = setup();
    const server = new DeviceServer(s.board, { countersIntervalMs: 0, healthIntervalMs: 0 });
    servers.push(server);
    const host = new TestHost(server);
    s.faults.set('bypass', 'on');
    expect((await host.waitFor((f) => f.name === 'HEALTH')).fields.bypass).toBe('on');
    expect((await host.request('GET_HEALTH')).fields.bypass).toBe('on');
    s.faults.set('bypass', 'off');
    expect(s.board.health().bypass).toBe(false);
  });

  it('reboot: silent for the reboot delay, then BOOT reason=watchdog with a new boot id', async () => {
    const s = setup();
    const line = new FaultyLine();
    const server = new DeviceServer(s.board, { countersIntervalMs: 0, healthIntervalMs: 0 });
    servers.push(server);
    const faults = new FaultRegistry({ board: s.board, server, line, timers: s.timers, rebootDelayMs: 500 });
    const host = new TestHost(server);
    // Re-attach through the fault line, as the simulator does.
    server.attach(line.wrap(host.boardSide));
    const before = s.board.bootId;
    faults.set('reboot', 'on');
    expect(line.deaf).toBe(true);
    expect(faults.list().find((e) => e.fault === 'reboot')?.value).toBe('on');
    s.timers.fire();
    const boot = await host.waitFor((f) => f.name === 'BOOT');
    expect(boot).toMatchObject({ seq: 0, fields: { reason: 'watchdog' } });
    expect(s.board.bootId).not.toBe(before);
    expect(line.deaf).toBe(false);
    expect((await host.request('PING')).kind).toBe('ok');
  });

  it('reset: the next request is cut mid-line, then BOOT reason=power; the retried request is answered', async () => {
    const s = setup();
    const line = new FaultyLine();
    const server = new DeviceServer(s.board, { countersIntervalMs: 0, healthIntervalMs: 0 });
    servers.push(server);
    const faults = new FaultRegistry({ board: s.board, server, line, timers: s.timers, rebootDelayMs: 500 });
    const host = new TestHost(server);
    server.attach(line.wrap(host.boardSide));
    faults.set('reset', 'on');
    expect(faults.list().find((e) => e.fault === 'reset')?.value).toBe('armed');
    const first = host.request('PING', {}, 5);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.stats.requests).toBe(0); // half a line: nothing executed
    expect(s.timers.pending).toHaveLength(1);
    s.timers.fire();
    expect((await host.waitFor((f) => f.name === 'BOOT')).fields.reason).toBe('power');
    // The host retries the same line; the board, with a fresh parser, answers it.
    const again = await host.request('PING', {}, 5);
    expect(again.kind).toBe('ok');
    await first;
    expect(faults.list().find((e) => e.fault === 'reset')?.value).toBe('off');
  });
});

describe('span model follows the board', () => {
  it('a committed T1 framing change (ESF → D4) rebuilds the span model; the line fault stays', () => {
    const s = setup('dual-t1');
    s.faults.set('rai', 'on', { span: 1 });
    s.run(3000);
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'rai', state: true }]);
    expect(s.board.spanModel(1).model.format.framing).toBe('esf');
    s.board.setSpanConfig(1, { framing: 'd4', lineCode: 'b8zs', lbo: 0, clock: 'line' });
    s.board.commit();
    expect(s.board.spanModel(1).model.format.framing).toBe('d4');
    expect(s.board.spanModel(2).model.format.framing).toBe('esf');
    // The new framer starts without alarms (the host is told), then declares RAI again from the line.
    expect(s.alarms()).toEqual([{ span: 1, alarm: 'rai', state: true }, { span: 1, alarm: 'rai', state: false }]);
    s.run(3000);
    expect(s.alarms().at(-1)).toEqual({ span: 1, alarm: 'rai', state: true });
  });

  it('a reboot clears a stalled DSP and says so after BOOT', () => {
    const s = setup();
    s.faults.set('dsp-stall', 'on', { channel: 9 });
    s.board.boot('watchdog');
    expect(s.events.slice(-2).map((e) => e.name)).toEqual(['BOOT', 'DSP']);
    expect(s.events.at(-1)?.fields).toEqual({ ch: 9, state: 'ok' });
    expect(s.board.dspStalled(9)).toBe(false);
  });
});
