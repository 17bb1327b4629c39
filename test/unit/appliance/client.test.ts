import { afterEach, describe, expect, it } from 'vitest';
import { ApplianceClient, type ApplianceEvent } from '../../../src/appliance/client.ts';
import { ManualClock } from '../../../src/appliance/clock.ts';
import { applyConfig, applyConfigConfirmed, TransactionError } from '../../../src/appliance/config-transaction.ts';
import { CommandError } from '../../../src/appliance/driver-errors.ts';
import { collectInfo, formatInfo } from '../../../src/cli/info.ts';
import { encodeFrame } from '../../../src/protocol/frame.ts';
import { FakeBoard } from './fake-board.ts';
import { ScriptedBoard, ok } from './scripted-board.ts';
import { SerialPortMock } from 'serialport';

const clients: ApplianceClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  SerialPortMock.binding.reset();
});

async function connect(board: FakeBoard, clock = new ManualClock(), driver = {}) {
  const client = await ApplianceClient.connect(board.host, { clock, driver });
  clients.push(client);
  return { client, clock };
}

async function caught(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

describe('ApplianceClient', () => {
  it('says HELLO, then reads configuration state and secure channels', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    expect(board.log).toEqual(['HELLO', 'CFG_STATUS', 'GET_SECURE_SUMMARY']);
    expect(client.hello).toMatchObject({ model: 'FAKE-E1', serial: 'FK0001', fw: '1.2.3', channels: 30, caps: ['e1', 'secure'] });
    expect(client.state.cfg).toEqual({ cfg: 'clean', version: 1, pending: [] });
    expect(client.state.secureOn).toEqual([2]);
  });

  it('sends typed values in their canonical wire form and parses typed answers', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    const span = await client.getSpanConfig(1, 'staged');
    expect(span).toMatchObject({ span: 1, type: 'e1', lbo: 0, view: 'staged' });
    expect(typeof span.lbo).toBe('number');
    expect((await client.ping()).uptime_s).toBe(3723);
  });

  it('refuses a bad request value with DG1213 before anything is sent', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    const sent = board.log.length;
    const e = await caught(client.setMaskTone('9' as '#'));
    expect(e.message).toMatch(/^DG1213: SET_MASK_TONE not sent: tone: /);
    expect(board.log.length).toBe(sent);
  });

  it('reports a board refusal with the board code (DG1205)', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    const e = (await caught(client.getHealth())) as CommandError;
    expect(e.message).toMatch(/^DG1205: board refused GET_HEALTH \d+: error 3 unsupported: not in the fake board$/);
    expect(e.boardCode).toBe(3);
  });

  it('delivers typed events and keeps the secure-channel list current', async () => {
    const board = new FakeBoard();
    const { client, clock } = await connect(board);
    const events: ApplianceEvent[] = [];
    client.on('event', (e: ApplianceEvent) => events.push(e));
    await board.device.write(encodeFrame({ kind: 'evt', seq: 0, name: 'SECURE', fields: { ch: '5', state: 'on', source: 'trigger' } }));
    await board.device.write(encodeFrame({ kind: 'evt', seq: 1, name: 'SECURE', fields: { ch: '2', state: 'off', source: 'host' } }));
    await board.device.write(encodeFrame({ kind: 'evt', seq: 2, name: 'NEW_THING', fields: { x: '1' } }));
    await clock.advance(0);
    expect(events[0]).toEqual({ name: 'SECURE', seq: 0, data: { ch: 5, state: true, source: 'trigger' } });
    expect(events[2]).toMatchObject({ name: 'NEW_THING', unknown: true });
    expect(client.state.secureOn).toEqual([5]);
  });

  it('re-reads the state when event numbers show a gap (events were lost)', async () => {
    const board = new FakeBoard();
    const { client, clock } = await connect(board);
    const logged = board.log.length;
    await board.device.write(encodeFrame({ kind: 'evt', seq: 3, name: 'CFG', fields: { version: '1', changed: '' } }));
    await board.device.write(encodeFrame({ kind: 'evt', seq: 4, name: 'CFG', fields: { version: '1', changed: '' } }));
    await clock.advance(0);
    expect(board.log.slice(logged)).toEqual([]);
    board.secure.add(9);
    await board.device.write(encodeFrame({ kind: 'evt', seq: 7, name: 'CFG', fields: { version: '1', changed: '' } }));
    await clock.advance(0);
    expect(board.log.slice(logged)).toEqual(['HELLO', 'CFG_STATUS', 'GET_SECURE_SUMMARY']);
    expect(client.state.secureOn).toEqual([2, 9]);
  });

  it('fails to connect with DG1201 and exit 3 when nothing answers', async () => {
    const board = new FakeBoard();
    board.silent = true;
    const clock = new ManualClock();
    const p = caught(ApplianceClient.connect(board.host, { clock }));
    await clock.advance(5000);
    const e = (await p) as CommandError;
    expect(e.message).toMatch(/^DG1201: nothing answered on fake-board:host \(DG1203: response timeout after 1000 ms \(HELLO \d+, 3 attempts\)\)/);
    expect(e.exitCode).toBe(3);
  });

  it('re-runs HELLO and re-reads state after a reconnect, noticing a reboot', async () => {
    const board = new FakeBoard();
    const { client, clock } = await connect(board, new ManualClock(), { reopenBackoffMs: 50 });
    const reboots: unknown[] = [];
    client.on('rebooted', (r) => reboots.push(r));
    board.device.hangUp();
    board.bootId = 'FEEDF00D';
    await board.device.open();
    await clock.advance(0);
    // A user command issued while the link is down waits for the handshake of the reopen.
    const ping = client.ping();
    const logged = board.log.length;
    await clock.advance(50);
    expect(client.linkState).toBe('ready');
    expect((await ping).boot_id).toBe('FEEDF00D');
    expect(board.log.slice(logged)).toEqual(['HELLO', 'CFG_STATUS', 'GET_SECURE_SUMMARY', 'PING']);
    expect(board.log.filter((n) => n === 'HELLO')).toHaveLength(2);
    expect(reboots).toEqual([{ from: 'A1B2C3D4', to: 'FEEDF00D' }]);
    expect(client.stats().reconnects).toBe(1);
  });

  it('dtmfguard info collects identity, firmware, profile, uptime and link statistics', async () => {
    const board = new FakeBoard();
    const report = await collectInfo(board.host, { clock: new ManualClock() });
    expect(report).toMatchObject({
      port: 'fake-board:host',
      identity: { model: 'FAKE-E1', serial: 'FK0001' },
      firmware: { version: '1.2.3', slot: 'A' },
      profile: { channels: 30, spans: 1 },
      uptimeS: 3723,
      link: { framesOut: 4, framesIn: 4, crcErrors: 0 },
    });
    const text = formatInfo(report);
    expect(text).toMatch(/^appliance {3}FAKE-E1 {2}serial FK0001/);
    expect(text).toMatch(/uptime {6}0d 1h 2m 3s|uptime {6}1h 2m 3s/);
    expect(text).toMatch(/link {8}fake-board:host: frames in 4 out 4, CRC errors 0/);
  });
});

describe('configuration transactions', () => {
  it('stages, reads back, commits and verifies; the board runs the new values', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    const r = await applyConfig(client, { maskTone: '0', trigger: '*9', spans: [{ span: 1, framing: 'no-crc4', line_code: 'hdb3', lbo: 0, clock: 'internal' }] });
    expect(r.version).toBe(2);
    expect(r.before).toEqual({ maskTone: '#', trigger: '*7', spans: [{ span: 1, framing: 'crc4', line_code: 'hdb3', lbo: 0, clock: 'line' }] });
    expect(board.running).toMatchObject({ tone: '0', trigger: '*9', span: { framing: 'no-crc4', clock: 'internal' } });
    const order = board.log.slice(3);
    expect(order.indexOf('CFG_COMMIT')).toBeGreaterThan(order.lastIndexOf('SET_SPAN_CONFIG'));
    expect(order.filter((n) => n === 'CFG_COMMIT')).toHaveLength(1);
  });

  it('rolls back when a read-back does not show the value written (DG1301); running never changes', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    board.stageLie = '1';
    const e = (await caught(applyConfig(client, { maskTone: '0' }))) as TransactionError;
    expect(e.message).toMatch(/^DG1301: configuration not applied: read-back after stage does not show the new mask tone; the staged change was discarded/);
    expect(e.rolledBack).toBe(true);
    expect(board.running.tone).toBe('#');
    expect(board.staged).toEqual(board.running);
    expect(board.log).not.toContain('CFG_COMMIT');
  });

  it('rolls back when the commit is refused (DG1302)', async () => {
    const board = new FakeBoard();
    const { client } = await connect(board);
    board.failOnce.add('CFG_COMMIT');
    const e = (await caught(applyConfig(client, { trigger: '#1' }))) as TransactionError;
    expect(e.message).toMatch(/^DG1302: configuration not applied: commit failed: DG1205: .*internal/);
    expect(board.running.trigger).toBe('*7');
    expect(board.staged.trigger).toBe('*7');
  });

  it('discards what an interrupted transaction left staged before starting', async () => {
    const board = new FakeBoard();
    board.staged.trigger = '**';
    const { client } = await connect(board);
    const r = await applyConfig(client, { maskTone: '1' });
    expect(r.discardedLeftover).toEqual(['trigger']);
    expect(board.running).toMatchObject({ tone: '1', trigger: '*7' });
  });

  it('leaves the board on its old configuration when the board goes silent mid-transaction', async () => {
    const board = new FakeBoard();
    const clock = new ManualClock();
    const { client } = await connect(board, clock, { maxReopenAttempts: 2, reopenBackoffMs: 10 });
    // The board stages the trigger, then loses power before answering.
    board.silentAfter = 'SET_TRIGGER';
    const p = caught(applyConfig(client, { maskTone: '0', trigger: '*5' }));
    await clock.advance(120_000);
    const e = (await p) as TransactionError;
    expect(e).toBeInstanceOf(TransactionError);
    expect(e.stage).toBe('stage');
    // Neither the stage nor the rollback got through: the error says the running copy is intact.
    expect(e.message).toMatch(/^DG1303: stage failed: .*rolling back failed too .*the running settings are unchanged/);
    expect(e.exitCode).toBe(3);
    expect(client.linkState).toBe('failed');
    expect(board.staged).toMatchObject({ tone: '0', trigger: '*5' });
    expect(board.running).toMatchObject({ tone: '#', trigger: '*7' });
    expect(board.log).not.toContain('CFG_COMMIT');
  });

  it('reverts by itself when a confirmed-commit is not confirmed in time, and keeps it when confirmed', async () => {
    const board = new FakeBoard();
    const clock = new ManualClock();
    const { client } = await connect(board, clock);
    const pending = await applyConfigConfirmed(client, { maskTone: '0' }, 30_000);
    expect(board.running.tone).toBe('0');
    await clock.advance(29_999);
    expect(pending.pending).toBe(true);
    await clock.advance(1);
    expect(await pending.outcome).toBe('rolled-back');
    expect(pending.error?.message).toMatch(/^DG1304: configuration version 2 not confirmed within 30 s: the previous settings were restored$/);
    expect(board.running.tone).toBe('#');
    expect(pending.confirm()).toBe(false);

    const kept = await applyConfigConfirmed(client, { maskTone: '1' }, 30_000);
    expect(kept.confirm()).toBe(true);
    await clock.advance(60_000);
    expect(await kept.outcome).toBe('confirmed');
    expect(board.running.tone).toBe('1');
  });
});

describe('ApplianceClient protocol checks (scripted board on binding-mock)', () => {
  const hello = { proto: '1', model: 'X', serial: 'S1', fw: '1.0.0', slot: 'A', hw: 'r1', caps: '', channels: '0', spans: '0', max_frame: '1024', boot_id: '0000BEEF', cfg: 'clean' };

  it('refuses a board that only speaks an older protocol (ERR unsupported) with DG1202', async () => {
    const board = new ScriptedBoard((req) => ({ kind: 'err', seq: req.seq, name: req.name, fields: { code: '3', err: 'unsupported', text: 'protocol 1 not supported' } }));
    const e = (await caught(ApplianceClient.connect(board.transport(), { clock: new ManualClock() }))) as CommandError;
    expect(e.message).toMatch(/^DG1202: the appliance does not speak protocol version 1: upgrade/);
  });

  it('refuses an answer with a newer protocol version than offered (DG1202)', async () => {
    const board = new ScriptedBoard((req) => ok(req, { ...hello, proto: '2' }));
    const e = (await caught(ApplianceClient.connect(board.transport(), { clock: new ManualClock() }))) as CommandError;
    expect(e.message).toMatch(/^DG1202: the appliance answered protocol version 2, this host speaks 1/);
  });

  it('reports an answer that breaks the catalogue schema as DG1210', async () => {
    const board = new ScriptedBoard((req) => {
      if (req.name === 'HELLO') return ok(req, hello);
      if (req.name === 'CFG_STATUS') return ok(req, { cfg: 'clean', version: '1', pending: '' });
      return ok(req, { uptime_s: 'soon', boot_id: '0000BEEF' }); // named fixture: PING with a non-numeric uptime
    });
    const client = await ApplianceClient.connect(board.transport(), { clock: new ManualClock() });
    clients.push(client);
    const e = (await caught(client.ping())) as CommandError;
    expect(e.message).toMatch(/^DG1210: board answered PING with fields this host cannot read \(uptime_s: /);
  });
});
