import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import { DeviceServer, EVENT_BACKLOG_BYTES } from '../../../firmware-sim/server/device-server.ts';
import { buildImage, DEV_PRIVATE_KEY_PATH } from '../../../firmware-sim/firmware/index.ts';
import { COMMANDS, ERR_FIELDS, EVENTS, NAK_FIELDS } from '../../../src/protocol/commands.ts';
import { crcHex, encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { TestHost } from './test-host.ts';

const servers: DeviceServer[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

function setup(profile = 'dual-e1', rebootDelayMs = 20) {
  const clock = new ManualBoardClock(0);
  const board = createBoard(loadProfile(shippedProfilePath(profile)), { clock, serial: 'DG2E1-000042' });
  const server = new DeviceServer(board, { rebootDelayMs, countersIntervalMs: 0, healthIntervalMs: 0 });
  servers.push(server);
  return { board, server, clock, host: new TestHost(server) };
}

function ok(f: Frame): Record<string, string> {
  expect(f.kind, JSON.stringify(f)).toBe('ok');
  // Every answer the board gives parses with the catalogue's response schema.
  (COMMANDS as Record<string, { response: { parse(x: unknown): unknown } }>)[f.name].response.parse(f.fields);
  return f.fields;
}

function errOf(f: Frame) {
  expect(f.kind, JSON.stringify(f)).toBe('err');
  return ERR_FIELDS.parse(f.fields);
}

describe('device server: identity and reads', () => {
  it('answers HELLO with the profile identity and negotiates the version', async () => {
    const { host } = setup();
    const hello = ok(await host.request('HELLO', { proto: '3' }));
    expect(hello).toMatchObject({ proto: '1', model: 'DG-2E1', serial: 'DG2E1-000042', fw: '1.4.2', slot: 'A', channels: '60', spans: '2', max_frame: '1024', cfg: 'clean' });
    expect(hello.caps.split(',')).toEqual(expect.arrayContaining(['e1', 'secure', 'fw', 'loopback']));
    for (const [profile, model, channels] of [['dual-t1', 'DG-2T1', '48'], ['sip-edge', 'DG-SIP120', '120']]) {
      const h = ok(await setup(profile).host.request('HELLO', { proto: '1' }));
      expect([h.model, h.channels]).toEqual([model, channels]);
    }
  });

  it('answers every read-only command with fields its schema accepts', async () => {
    const { host } = setup();
    const reads: Array<[string, Record<string, string>]> = [
      ['PING', {}], ['GET_MASK_TONE', {}], ['GET_TRIGGER', { view: 'staged' }], ['GET_SECURE', { ch: '60' }], ['GET_SECURE_SUMMARY', {}],
      ['GET_SPAN_CONFIG', { span: '2' }], ['GET_SPAN_STATUS', { span: '1' }], ['GET_HEALTH', {}], ['CFG_STATUS', {}], ['FW_SLOTS', {}], ['FW_STATUS', {}],
    ];
    for (const [name, fields] of reads) ok(await host.request(name, fields));
    expect(ok(await host.request('GET_SPAN_CONFIG', { span: '1' }))).toEqual({ span: '1', type: 'e1', framing: 'crc4', line_code: 'hdb3', lbo: '0', clock: 'line', view: 'running' });
  });

  it('GET_SECURE_SUMMARY fits in one frame in the worst case (every other channel on, largest profile)', async () => {
    const { host, board } = setup('sip-edge');
    for (let ch = 1; ch <= 120; ch += 2) board.setSecure(ch, true);
    const f = await host.request('GET_SECURE_SUMMARY');
    expect(COMMANDS.GET_SECURE_SUMMARY.response.parse(f.fields).on).toHaveLength(60);
    expect(encodeFrame(f).length).toBeLessThan(400);
  });

  it('refuses bad requests with ERR naming the field, and model mismatches as unsupported', async () => {
    const { host } = setup();
    expect(errOf(await host.request('GET_SECURE', { ch: '61' }))).toMatchObject({ code: 4, err: 'no-such-channel', field: 'ch' });
    expect(errOf(await host.request('GET_SECURE', {}))).toMatchObject({ code: 1, err: 'bad-field', field: 'ch' });
    expect(errOf(await host.request('SET_MASK_TONE', { tone: '#', colour: 'red' }))).toMatchObject({ code: 1, field: 'colour' });
    expect(errOf(await host.request('SET_SPAN_CONFIG', { span: '1', framing: 'esf', line_code: 'hdb3', lbo: '0', clock: 'line' }))).toMatchObject({ code: 2, err: 'out-of-range', field: 'framing' });
    expect(errOf(await host.request('GET_SPAN_STATUS', { span: '3' }))).toMatchObject({ code: 5, err: 'no-such-span' });
    expect(errOf(await host.request('GET_SIP', {}))).toMatchObject({ code: 3, err: 'unsupported' });
    const sip = setup('sip-edge').host;
    expect(errOf(await sip.request('GET_SPAN_STATUS', { span: '1' }))).toMatchObject({ code: 3, err: 'unsupported' });
    expect(ok(await sip.request('GET_SIP', {}))).toMatchObject({ listen: '0.0.0.0:5004', pt_event: '101' });
  });
});

describe('device server: time comes from the injected clock', () => {
  it('reports uptime, time in secure mode and counting time from the board clock', async () => {
    const { host, board, clock } = setup();
    ok(await host.request('SET_SECURE', { ch: '2', state: 'on' }));
    board.addCounters(2, { cv: 5, es: 1 });
    clock.advance(90_500);
    expect(ok(await host.request('GET_SECURE', { ch: '2' }))).toEqual({ ch: '2', state: 'on', since_s: '90' });
    expect(ok(await host.request('PING')).uptime_s).toBe('90');
    expect(ok(await host.request('GET_SPAN_STATUS', { span: '2' }))).toMatchObject({ cv: '5', es: '1', counted_s: '90', state: 'up' });
    ok(await host.request('RESET_COUNTERS', { span: '2' }));
    clock.advance(2000);
    expect(ok(await host.request('GET_SPAN_STATUS', { span: '2' }))).toMatchObject({ cv: '0', es: '0', counted_s: '2' });
    expect(ok(await host.request('GET_HEALTH')).dsp_load_pct).toBe('9'); // idle 8 % + 1 of 60 channels in secure mode
  });
});

/** Timers that fire only when the test advances them. */
class ManualTimers {
  now = 0;
  private queue: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.queue.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.queue = this.queue.filter((t) => t.id !== h);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.queue[0];
      if (!t || t.at > end) break;
      this.queue.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

describe('device server: periodic events and reboots run on injected timers', () => {
  it('sends COUNTERS per span every 10 s and HEALTH every 60 s; a reboot lasts exactly the delay', async () => {
    const timers = new ManualTimers();
    const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock: new ManualBoardClock() });
    const server = new DeviceServer(board, { timers, rebootDelayMs: 5000 });
    servers.push(server);
    const host = new TestHost(server);
    board.addCounters(2, { slips: 4 });
    timers.advance(60_000);
    await host.settle();
    const counters = host.events('COUNTERS');
    expect(counters).toHaveLength(12);
    expect(counters.filter((f) => f.fields.span === '2').every((f) => f.fields.slips === '4')).toBe(true);
    expect(host.events('HEALTH')).toHaveLength(1);
    expect(EVENTS.HEALTH.parse(host.events('HEALTH')[0].fields)).toMatchObject({ bypass: false, temp_c: 41.5 });

    ok(await host.request('REBOOT'));
    timers.advance(4999);
    expect(server.isRebooting).toBe(true);
    timers.advance(1);
    expect(server.isRebooting).toBe(false);
    await host.settle();
    expect(host.events('BOOT')).toHaveLength(1);
    server.close();
    timers.advance(600_000);
    await host.settle();
    expect(host.events('COUNTERS')).toHaveLength(12); // closed: no timer fires any more
  });
});

describe('device server: corrupt and unknown frames are NAKed and never acted on', () => {
  it('NAKs a damaged SET_SECURE (reason crc, echo) and leaves the channel alone', async () => {
    const { host, board, server } = setup();
    const line = encodeFrame({ kind: 'req', seq: 5, name: 'SET_SECURE', fields: { ch: '3', state: 'on' } });
    line[line.indexOf('on') + 1] ^= 0x01; // 'on' -> 'oo': payload damaged, CRC no longer matches
    host.raw(line);
    const nak = await host.waitFor((f) => f.kind === 'nak');
    expect(nak).toMatchObject({ seq: 5, name: 'SET_SECURE' });
    expect(NAK_FIELDS.parse(nak.fields)).toEqual({ reason: 'crc', echo: 'yes' });
    expect(board.secureMode(3).on).toBe(false);
    expect(server.stats.naksSent).toBe(1);
  });

  it('NAKs garbage (echo=no), unknown commands and non-requests; never NAKs a NAK; keeps serving', async () => {
    const { host, server } = setup();
    host.raw('\x00\xff line noise \x07\r\n');
    expect((await host.waitFor((f) => f.kind === 'nak')).fields).toEqual({ reason: 'syntax', echo: 'no' });
    const unknown = await host.request('SELF_DESTRUCT', {}, 9);
    expect([unknown.kind, unknown.seq, unknown.name, unknown.fields.reason]).toEqual(['nak', 9, 'SELF_DESTRUCT', 'unknown-command']);
    const from = host.received.length;
    host.raw(encodeFrame({ kind: 'ok', seq: 1, name: 'PING', fields: {} }));
    expect((await host.waitFor((f) => f.kind === 'nak', from)).fields.reason).toBe('not-request');
    const naks = server.stats.naksSent;
    host.raw(encodeFrame({ kind: 'nak', seq: 0, name: 'FRAME', fields: { reason: 'crc', echo: 'no' } }));
    const damagedNak = encodeFrame({ kind: 'nak', seq: 0, name: 'FRAME', fields: { reason: 'crc', echo: 'no' } });
    damagedNak[damagedNak.length - 4] ^= 2;
    host.raw(damagedNak);
    ok(await host.request('PING'));
    expect(server.stats.naksSent).toBe(naks);
    expect(server.stats.naksReceived).toBe(1);
  });
});

describe('device server: retries are harmless', () => {
  it('answers a repeated line from memory without executing it again (non-idempotent RESET_COUNTERS)', async () => {
    const { host, board, server } = setup();
    board.addCounters(1, { cv: 10 });
    ok(await host.request('RESET_COUNTERS', { span: '1' }, 77));
    board.addCounters(1, { cv: 3 });
    const again = await host.request('RESET_COUNTERS', { span: '1' }, 77);
    expect(again).toMatchObject({ kind: 'ok', seq: 77 });
    expect(board.spanStatus(1).counters.cv).toBe(3);
    expect(server.stats.repeats).toBe(1);
    ok(await host.request('RESET_COUNTERS', { span: '1' }, 78)); // a new request is executed
    expect(board.spanStatus(1).counters.cv).toBe(0);
  });
});

describe('device server: configuration transactions', () => {
  it('stages writes, survives a host disconnect mid-transaction with nothing applied, then commits whole', async () => {
    const { host, board, server } = setup();
    expect(ok(await host.request('SET_MASK_TONE', { tone: '0' }))).toEqual({ tone: '0' });
    ok(await host.request('SET_SPAN_CONFIG', { span: '2', framing: 'no-crc4', line_code: 'ami', lbo: '0', clock: 'internal' }));
    expect(ok(await host.request('GET_MASK_TONE'))).toEqual({ tone: '#', view: 'running' });
    expect(ok(await host.request('GET_MASK_TONE', { view: 'staged' }))).toEqual({ tone: '0', view: 'staged' });
    host.hangUp();
    await host.settle();
    expect(board.maskTone).toBe('#');

    const host2 = new TestHost(server);
    expect(ok(await host2.request('HELLO', { proto: '1' })).cfg).toBe('staged');
    expect(ok(await host2.request('CFG_STATUS'))).toEqual({ cfg: 'staged', version: '1', pending: 'mask_tone,span2' });
    expect(ok(await host2.request('GET_SPAN_CONFIG', { span: '2' })).framing).toBe('crc4');
    expect(ok(await host2.request('CFG_COMMIT'))).toEqual({ version: '2', changed: 'mask_tone,span2' });
    expect(board.maskTone).toBe('0');
    expect(ok(await host2.request('GET_SPAN_CONFIG', { span: '2' }))).toMatchObject({ framing: 'no-crc4', line_code: 'ami', clock: 'internal' });
    expect((await host2.waitFor((f) => f.name === 'CFG' && f.kind === 'evt')).fields).toEqual({ version: '2', changed: 'mask_tone,span2' });
    // A repeated commit (new seq) is a no-op.
    expect(ok(await host2.request('CFG_COMMIT'))).toEqual({ version: '2', changed: '' });
    ok(await host2.request('SET_TRIGGER', { code: '#9' }));
    expect(ok(await host2.request('CFG_ROLLBACK'))).toEqual({ version: '2', discarded: 'trigger' });
    expect(ok(await host2.request('GET_TRIGGER', { view: 'staged' })).code).toBe('*7');
  });
});

describe('device server: events', () => {
  it('sends SECURE, ALARM with consecutive event numbers; counts events while no host is attached', async () => {
    const { host, board, server } = setup();
    ok(await host.request('SET_SECURE', { ch: '7', state: 'on' }));
    board.setAlarm(1, 'los', true);
    const sec = await host.waitFor((f) => f.name === 'SECURE');
    const alarm = await host.waitFor((f) => f.name === 'ALARM');
    expect(EVENTS.SECURE.parse(sec.fields)).toEqual({ ch: 7, state: true, source: 'host' });
    expect(alarm.fields).toEqual({ span: '1', alarm: 'los', state: 'on' });
    expect(alarm.seq).toBe(sec.seq + 1);
    expect(ok(await host.request('GET_SPAN_STATUS', { span: '1' }))).toMatchObject({ state: 'down', los: 'on' });
    expect(ok(await host.request('GET_SECURE_SUMMARY'))).toEqual({ channels: '60', on: '7' });
    host.hangUp();
    await host.settle();
    board.setAlarm(1, 'los', false);
    expect(server.stats.eventsDropped).toBe(1);
    const host2 = new TestHost(server);
    board.setAlarm(1, 'ais', true);
    expect((await host2.waitFor((f) => f.name === 'ALARM')).seq).toBe(alarm.seq + 2); // the gap tells the host it missed one
  });

  it('drops events instead of queueing them without limit when nobody reads the line', async () => {
    const { board, server } = setup();
    const { Duplex } = await import('node:stream');
    // A line whose far end never reads: writes are accepted but never complete.
    const stuck = new Duplex({ read() {}, write(_c, _e, _cb) {} });
    server.attach(stuck);
    for (let i = 0; i < 2000; i++) board.setAlarm(1, 'rai', i % 2 === 0);
    expect(stuck.writableLength).toBeLessThan(EVENT_BACKLOG_BYTES + 200);
    expect(server.stats.eventsDropped).toBeGreaterThan(1000);
    expect(server.stats.eventsSent + server.stats.eventsDropped).toBe(2000);
  });

  it('REBOOT: answers, goes deaf, then BOOT is event 0 and staged configuration is gone', async () => {
    const { host, board, server } = setup('dual-e1', 100);
    ok(await host.request('SET_MASK_TONE', { tone: '1' }));
    const bootId = board.bootId;
    ok(await host.request('REBOOT'));
    expect(server.isRebooting).toBe(true);
    host.raw(encodeFrame({ kind: 'req', seq: 50, name: 'PING', fields: {} }));
    const boot = await host.waitFor((f) => f.name === 'BOOT');
    expect(boot.seq).toBe(0);
    expect(boot.fields).toMatchObject({ reason: 'reboot', fw: '1.4.2', slot: 'A' });
    expect(boot.fields.boot_id).not.toBe(bootId);
    expect(host.received.find((f) => f.seq === 50 && f.kind !== 'evt')).toBeUndefined(); // deaf while rebooting
    expect(ok(await host.request('CFG_STATUS')).cfg).toBe('clean');
  });
});

describe('device server: firmware transfer (docs/protocol.md §13)', () => {
  const privateKey = readFileSync(DEV_PRIVATE_KEY_PATH, 'utf8');
  const payload = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
  const image = buildImage({ model: 'DG-2E1', version: '1.5.0', payload }, privateKey);
  const sha = createHash('sha256').update(image).digest('hex');

  function chunkFields(offset: number, len = 512) {
    const data = image.subarray(offset, Math.min(image.length, offset + len));
    return { slot: 'B', offset: String(offset), crc: crcHex(data), data: Buffer.from(data).toString('base64') };
  }

  it('uploads in chunks, resumes after a disconnect, verifies, activates and boots the new slot', async () => {
    const { host, server } = setup();
    expect(ok(await host.request('FW_BEGIN', { slot: 'B', size: String(image.length), sha256: sha }))).toEqual({ slot: 'B', next_offset: '0', chunk_max: '512' });
    ok(await host.request('FW_CHUNK', chunkFields(0)));
    expect(ok(await host.request('FW_CHUNK', chunkFields(512))).next_offset).toBe('1024');
    // A repeated chunk is harmless; a bad CRC and a gap are refused with what to do.
    expect(ok(await host.request('FW_CHUNK', chunkFields(0))).next_offset).toBe('1024');
    expect(errOf(await host.request('FW_CHUNK', { ...chunkFields(1024), crc: '00000000' }))).toMatchObject({ code: 7, err: 'chunk-crc' });
    expect(errOf(await host.request('FW_CHUNK', chunkFields(2048)))).toMatchObject({ code: 8, err: 'chunk-offset', next_offset: 1024 });
    expect(errOf(await host.request('FW_BEGIN', { slot: 'A', size: '10', sha256: sha }))).toMatchObject({ code: 11, err: 'slot-active' });
    host.hangUp();
    await host.settle();

    const host2 = new TestHost(server);
    expect(ok(await host2.request('FW_STATUS'))).toEqual({ state: 'receiving', slot: 'B', size: String(image.length), next_offset: '1024' });
    let next = Number(ok(await host2.request('FW_BEGIN', { slot: 'B', size: String(image.length), sha256: sha })).next_offset);
    expect(next).toBe(1024);
    while (next < image.length) next = Number(ok(await host2.request('FW_CHUNK', chunkFields(next))).next_offset);
    expect(ok(await host2.request('FW_END', { slot: 'B' }))).toEqual({ slot: 'B', version: '1.5.0' });
    expect(ok(await host2.request('FW_END', { slot: 'B' }))).toEqual({ slot: 'B', version: '1.5.0' }); // idempotent
    expect(ok(await host2.request('FW_SLOTS'))).toMatchObject({ active: 'A', b_state: 'valid', b_version: '1.5.0' });
    ok(await host2.request('FW_ACTIVATE', { slot: 'B' }));
    expect((await host2.waitFor((f) => f.name === 'BOOT')).fields).toMatchObject({ reason: 'activate', fw: '1.5.0', slot: 'B' });
    expect(ok(await host2.request('HELLO', { proto: '1' }))).toMatchObject({ fw: '1.5.0', slot: 'B' });
    expect(ok(await host2.request('FW_SLOTS'))).toMatchObject({ active: 'B', a_state: 'valid', a_version: '1.4.2' });
  });

  it('refuses an altered image (signature) and a wrong hash; the running slot is untouched', async () => {
    const { host } = setup();
    const altered = Uint8Array.from(image);
    altered[200] ^= 1; // inside the signed payload
    const altSha = createHash('sha256').update(altered).digest('hex');
    ok(await host.request('FW_BEGIN', { slot: 'B', size: String(altered.length), sha256: altSha }));
    for (let o = 0; o < altered.length; o += 512) {
      const d = altered.subarray(o, o + 512);
      ok(await host.request('FW_CHUNK', { slot: 'B', offset: String(o), crc: crcHex(d), data: Buffer.from(d).toString('base64') }));
    }
    const e = errOf(await host.request('FW_END', { slot: 'B' }));
    expect(e).toMatchObject({ code: 10, err: 'image-signature' });
    expect(ok(await host.request('FW_SLOTS'))).toMatchObject({ active: 'A', a_state: 'valid', b_state: 'invalid' });
    expect(errOf(await host.request('FW_ACTIVATE', { slot: 'B' }))).toMatchObject({ code: 12, err: 'slot-empty' });

    ok(await host.request('FW_BEGIN', { slot: 'B', size: String(image.length), sha256: '0'.repeat(64) }));
    for (let o = 0; o < image.length; o += 512) ok(await host.request('FW_CHUNK', chunkFields(o)));
    expect(errOf(await host.request('FW_END', { slot: 'B' }))).toMatchObject({ code: 9, err: 'image-hash' });
    expect(ok(await host.request('FW_STATUS')).state).toBe('idle');
  });
});
