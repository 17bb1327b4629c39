import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import { ApplianceDriver, type DriverConfig } from '../../../src/appliance/driver.ts';
import { ManualClock } from '../../../src/appliance/clock.ts';
import { makeDtmfguardProtocol } from '../../../src/appliance/dtmfguard-protocol.ts';
import { CommandError } from '../../../src/appliance/driver-errors.ts';
import { DEFAULT_DRIVER_OPTIONS, resolveOptions } from '../../../src/appliance/options.ts';
import { DgError } from '../../../src/errors.ts';
import { encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { ScriptedBoard, ok, okScript, rememberingScript, type Reply } from './scripted-board.ts';

// Which commands the scripted tests treat as idempotent (the real list is the catalogue's).
const IDEMPOTENT = new Set(['HELLO', 'PING', 'GET_SPAN', 'SET_MASK_TONE']);
const protocol = makeDtmfguardProtocol((n) => IDEMPOTENT.has(n));
/** Named fixture: the board's first event after a start (docs/protocol.md §12), always event 0. */
const bootEvent: Frame = { kind: 'evt', seq: 0, name: 'BOOT', fields: { boot_id: '0000BEEF', fw: '1.0.0', slot: 'A', reason: 'watchdog' } };

const drivers: ApplianceDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  SerialPortMock.binding.reset();
});

function setup(board: ScriptedBoard, config: Partial<DriverConfig> = {}) {
  const clock = new ManualClock();
  const driver = new ApplianceDriver({
    transport: board.transport(),
    clock,
    protocol,
    handshake: async (d) => {
      await d.request('HELLO', { protocol: '1' }, { handshake: true });
    },
    ...config,
  });
  drivers.push(driver);
  return { driver, clock };
}

/** Starts the driver while the fake clock moves (start() awaits I/O only, unless the board is silent). */
async function start(driver: ApplianceDriver, clock: ManualClock): Promise<void> {
  const p = driver.start();
  await clock.advance(0);
  await p;
}

/** Captures a rejection without leaving it unhandled while time is advanced. */
function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: CommandError }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: CommandError) => ({ ok: false as const, error }),
  );
}

describe('ApplianceDriver on a scripted board (binding-mock)', () => {
  it('runs the handshake and matches a response by sequence number, counting frames and RTT', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: (r) => ok(r, { span: r.fields.span, alarm: 'none' }) }));
    const { driver, clock } = setup(board);
    await start(driver, clock);
    expect(driver.state).toBe('ready');
    const res = settled(driver.request('GET_SPAN', { span: '1' }));
    await clock.advance(0);
    const r = await res;
    expect(r.ok && r.value.fields).toEqual({ span: '1', alarm: 'none' });
    expect(board.requests().map((f) => f.name)).toEqual(['HELLO', 'GET_SPAN']);
    const s = driver.snapshot();
    expect(s.framesOut).toBe(2);
    expect(s.framesIn).toBe(2);
    expect(s.commandsOk).toBe(2);
    expect(s.rtt.count).toBe(2);
  });

  it('keeps one command in flight: the board never sees a second request before answering the first', async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    const pending: Array<() => void> = [];
    const board = new ScriptedBoard((req, b) => {
      outstanding += 1;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      // Answer later, from the test's loop, so a pipelining driver would be caught.
      pending.push(() => {
        outstanding -= 1;
        b.send(encodeFrame(ok(req, { n: req.fields.n ?? '' })));
      });
      return 'silent';
    });
    const { driver, clock } = setup(board, { handshake: undefined });
    await start(driver, clock);
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => driver.request('GET_SPAN', { n: String(i) })));
    for (let i = 0; i < 20; i++) {
      await clock.advance(1);
      expect(pending.length).toBe(1);
      pending.shift()!();
    }
    const results = await all;
    expect(results.map((f) => f.fields.n)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(maxOutstanding).toBe(1);
  });

  it('times out an idempotent command after every attempt, resending the same seq, with DG1203 in the message', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: () => 'silent' }));
    const { driver, clock } = setup(board, { options: { responseTimeoutMs: 1000, maxAttempts: 3, failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
    await start(driver, clock);
    const res = settled(driver.request('GET_SPAN', { span: '1' }));
    await clock.advance(2999);
    expect(board.requests('GET_SPAN')).toHaveLength(3);
    await clock.advance(1);
    const r = await res;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('timeout');
    expect(r.error.message).toMatch(/^DG1203: response timeout after 1000 ms \(GET_SPAN \d+, 3 attempts\)$/);
    expect(r.error.exitCode).toBe(3);
    const seqs = new Set(board.requests('GET_SPAN').map((f) => f.seq));
    expect(seqs.size).toBe(1);
    expect(driver.stats.timeouts).toBe(3);
    expect(driver.stats.retries).toBe(2);
  });

  it('resends a non-idempotent command after a timeout with the same seq, and reports the outcome unknown when every attempt goes unanswered', async () => {
    const board = new ScriptedBoard(okScript({ COMMIT_CONFIG: () => 'silent' }));
    const { driver, clock } = setup(board, { options: { failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
    await start(driver, clock);
    const res = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(10_000);
    const r = await res;
    const sent = board.requests('COMMIT_CONFIG');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((f) => f.seq)).size).toBe(1);
    expect(!r.ok && r.error.message).toMatch(/^DG1203: response timeout after 1000 ms \(COMMIT_CONFIG \d+, 3 attempts\): outcome unknown, read the state back/);
    expect(driver.stats.retries).toBe(2);
  });

  it('resends after a NAK (the board never acted on it), even a non-idempotent command', async () => {
    let naks = 0;
    const board = new ScriptedBoard(
      okScript({
        COMMIT_CONFIG: (req) => (naks++ === 0 ? { kind: 'nak', seq: req.seq, name: req.name, fields: { reason: 'crc', echo: 'yes' } } : ok(req)),
      }),
    );
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const res = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(0);
    expect((await res).ok).toBe(true);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(2);
    expect(driver.stats.naksReceived).toBe(1);
    expect(driver.stats.retries).toBe(1);
    expect(driver.stats.timeouts).toBe(0);
  });

  it('fails with DG1204 when every attempt is NAKed', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: (req) => ({ kind: 'nak', seq: req.seq, name: req.name, fields: { reason: 'crc', echo: 'yes' } }) }));
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const r = await settled(driver.request('GET_SPAN'));
    expect(!r.ok && r.error.message).toMatch(/^DG1204: board rejected GET_SPAN \d+ as corrupt \(3 attempts\)/);
    expect(board.requests('GET_SPAN')).toHaveLength(3);
  });

  it('resends an idempotent command at once when its answer arrives damaged, without waiting for the timeout', async () => {
    let answers = 0;
    const board = new ScriptedBoard(
      okScript({
        GET_SPAN: (req) => {
          const good = encodeFrame(ok(req, { n: String(++answers) }));
          if (answers > 1) return good;
          const bad = Buffer.from(good);
          bad[bad.length - 4] ^= 0x01; // damage the CRC text: the kind, seq and name stay readable
          return bad;
        },
      }),
    );
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const res = settled(driver.request('GET_SPAN'));
    await clock.advance(0); // no time passes
    const r = await res;
    expect(r.ok && r.value.fields.n).toBe('2');
    const reqs = board.requests('GET_SPAN');
    expect(reqs).toHaveLength(2);
    expect(reqs[0].seq).toBe(reqs[1].seq);
    expect(driver.stats).toMatchObject({ crcErrors: 1, naksSent: 1, retries: 1, timeouts: 0 });
  });

  it('does not resend a non-idempotent command on a NAK that may be about our own NAK, once the board rebooted', async () => {
    // The board's answer arrives corrupted (we NAK it), the board reboots (its memory of the line
    // is gone, §2.3) and then NAKs something: the echo cannot be trusted, so COMMIT_CONFIG
    // (already applied) must not go out again.
    const board = new ScriptedBoard(
      okScript({
        COMMIT_CONFIG: (req) => {
          const good = encodeFrame(ok(req));
          const bad = Buffer.from(good);
          bad[3] ^= 0x01; // flip a bit inside the sequence number: CRC fails
          return Buffer.concat([bad, encodeFrame(bootEvent)]);
        },
      }),
    );
    board.script = ((inner) => (req, b) => {
      if (req.kind === 'req') return inner(req, b);
      return 'silent';
    })(board.script);
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const res = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(0);
    // The host NAKed the corrupt answer...
    expect(driver.stats.crcErrors).toBe(1);
    expect(driver.stats.naksSent).toBe(1);
    expect(board.received.some((f) => f.kind === 'nak')).toBe(true);
    // ...and a NAK now arrives with the request's seq.
    const seq = board.requests('COMMIT_CONFIG')[0].seq;
    board.send(encodeFrame({ kind: 'nak', seq, name: 'COMMIT_CONFIG', fields: { reason: 'crc', echo: 'yes' } }));
    await clock.advance(5000);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(1);
    const r = await res;
    expect(!r.ok && r.error.reason).toBe('timeout');
  });

  it('fails at once with DG1212 on a NAK unknown-command', async () => {
    const board = new ScriptedBoard(
      okScript({ GET_NEW_THING: (req) => ({ kind: 'nak', seq: req.seq, name: req.name, fields: { reason: 'unknown-command', echo: 'yes' } }) }),
    );
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const r = await settled(driver.request('GET_NEW_THING'));
    expect(!r.ok && r.error.message).toMatch(/^DG1212: board does not accept GET_NEW_THING \d+ \(NAK unknown-command\)/);
    expect(board.requests('GET_NEW_THING')).toHaveLength(1);
  });

  it('resends at once on a NAK that names no frame (echo=no), unless a NAK of ours may be what it rejects', async () => {
    // Named fixture: the board's NAK of a line it could not read at all.
    const anonymousNak = { kind: 'nak' as const, seq: 0, name: 'FRAME', fields: { reason: 'syntax', echo: 'no' } };
    let firstCommit = true;
    const board: ScriptedBoard = new ScriptedBoard(
      okScript({
        GET_SPAN: (req): Frame => (board.requests('GET_SPAN').length === 1 ? anonymousNak : ok(req)),
        COMMIT_CONFIG: (req) => {
          if (!firstCommit) return ok(req);
          firstCommit = false;
          return anonymousNak;
        },
      }),
    );
    const { driver, clock } = setup(board, { options: { failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
    await start(driver, clock);
    // Idempotent: resent without waiting.
    const span = settled(driver.request('GET_SPAN'));
    await clock.advance(0);
    expect((await span).ok).toBe(true);
    expect(board.requests('GET_SPAN')).toHaveLength(2);
    // Non-idempotent, and we have sent no NAK lately: the rejected line can only be our request.
    const commit = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(0);
    expect((await commit).ok).toBe(true);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(2);
    // Non-idempotent right after we NAKed a damaged event, and the board rebooted meanwhile (no
    // memory of the line): the anonymous NAK may be about our NAK, so the command waits for its
    // own answer (here: none, so it times out, and is not resent).
    firstCommit = true;
    board.script = okScript({ COMMIT_CONFIG: () => [bootEvent, anonymousNak] });
    board.send(Buffer.from('EVT 9 ALARM span=1 *00000000\r\n')); // named fixture: an event with a wrong CRC
    await clock.advance(0);
    expect(driver.stats.naksSent).toBe(1);
    const third = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(999);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(3);
    await clock.advance(1);
    const r = await third;
    expect(!r.ok && r.error.message).toMatch(/^DG1203: response timeout after 1000 ms: COMMIT_CONFIG \d+ got no readable answer \(1 attempt\) and the board rebooted \(event BOOT 0\), so it was not resent; outcome unknown/);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(3);
  });

  it('reports a board error response as DG1205 with the board code, and is not retried', async () => {
    const board = new ScriptedBoard(okScript({ SET_MASK_TONE: (req) => ({ kind: 'err', seq: req.seq, name: req.name, fields: { code: '2', err: 'out-of-range', field: 'tone', text: 'tone must be #, 0 or 1' } }) }));
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const r = await settled(driver.request('SET_MASK_TONE', { tone: 'X' }));
    expect(!r.ok && r.error.message).toMatch(/^DG1205: board refused SET_MASK_TONE \d+: error 2 out-of-range: field tone: tone must be #, 0 or 1$/);
    expect(!r.ok && r.error.boardCode).toBe(2);
    expect(!r.ok && r.error.exitCode).toBe(1);
    expect(board.requests('SET_MASK_TONE')).toHaveLength(1);
  });

  it('NAKs a corrupt incoming frame, counts it, and ignores a response with the wrong seq', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: (req) => [ok({ ...req, seq: (req.seq + 7) % 65536 }), ok(req, { right: 'yes' })] }));
    const { driver, clock } = setup(board);
    await start(driver, clock);
    board.send(Buffer.from('EVT 1 ALARM span=1 *00000000\r\n')); // named fixture: an event with a wrong CRC
    await clock.advance(0);
    expect(driver.stats.crcErrors).toBe(1);
    expect(driver.stats.naksSent).toBe(1);
    const nak = board.received.find((f) => f.kind === 'nak');
    expect(nak).toMatchObject({ seq: 1, name: 'ALARM', fields: { reason: 'crc', echo: 'yes' } });
    const r = await settled(driver.request('GET_SPAN'));
    expect(r.ok && r.value.fields.right).toBe('yes');
    expect(driver.stats.staleResponses).toBe(1);
  });

  it('hands events to listeners and counts a gap in event sequence numbers', async () => {
    const board = new ScriptedBoard(okScript());
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const seen: string[] = [];
    const gaps: number[] = [];
    driver.on('event', (f) => seen.push(`${f.name}:${f.seq}`));
    driver.on('events-missed', (n: number) => gaps.push(n));
    board.event('ALARM', { span: '1' }, 5);
    board.event('SECURE', { channel: '3' }, 6);
    board.event('COUNTERS', {}, 9);
    await clock.advance(0);
    expect(seen).toEqual(['ALARM:5', 'SECURE:6', 'COUNTERS:9']);
    expect(gaps).toEqual([2]);
    expect(driver.stats.events).toBe(3);
  });

  it('catches a half-open link with the heartbeat: resync, then reopen, re-running the hello', async () => {
    const board = new ScriptedBoard(okScript());
    const { driver, clock } = setup(board, {
      options: { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 1000, failuresBeforeResync: 2, failuresBeforeReopen: 4, reopenBackoffMs: 100 },
    });
    await start(driver, clock);
    const resyncs: number[] = [];
    driver.on('resync', () => resyncs.push(clock.now()));
    // Idle: the heartbeat goes out after 5 s of silence and is answered.
    await clock.advance(5000);
    expect(board.requests('PING')).toHaveLength(1);
    expect(driver.state).toBe('ready');
    // The link goes half-open: bytes vanish, nobody reports anything.
    board.deaf = true;
    await clock.advance(5000 + 1000 + 1000);
    expect(resyncs).toHaveLength(1);
    expect(driver.state).toBe('ready');
    await clock.advance(2000);
    expect(driver.state).toBe('recovering');
    board.deaf = false; // the link comes back
    await clock.advance(100);
    expect(driver.state).toBe('ready');
    expect(board.opens).toBe(2);
    expect(board.requests('HELLO')).toHaveLength(2);
    expect(driver.stats.reconnects).toBe(1);
    expect(driver.stats.timeouts).toBe(4);
  });

  it('reopens at once when the operating system reports a disconnect, also when reopening fails twice', async () => {
    const board = new ScriptedBoard(okScript());
    const { driver, clock } = setup(board, { options: { reopenBackoffMs: 200, reopenBackoffMaxMs: 1000 } });
    await start(driver, clock);
    const states: string[] = [];
    driver.on('state', (s: { state: string }) => states.push(s.state));
    board.refuseOpens = 2;
    board.unplug();
    await clock.advance(0);
    expect(driver.state).toBe('recovering');
    await clock.advance(200); // attempt 1 fails
    await clock.advance(400); // attempt 2 fails
    expect(driver.stats.failedReopens).toBe(2);
    expect(driver.state).toBe('recovering');
    expect(driver.stateReason).toMatch(/reopen 2\/6 failed: DG1101: cannot open/);
    await clock.advance(800); // attempt 3 (backoff 800) succeeds
    expect(driver.state).toBe('ready');
    expect(driver.stats.reconnects).toBe(1);
    expect(board.requests('HELLO')).toHaveLength(2);
    expect(states).toContain('connecting');
    expect(states.at(-1)).toBe('ready');
  });

  it('keeps an idempotent command across a reconnect but fails a non-idempotent one in flight with DG1206', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: () => 'silent', COMMIT_CONFIG: () => 'silent' }));
    const { driver, clock } = setup(board, { options: { reopenBackoffMs: 10 } });
    await start(driver, clock);
    const commit = settled(driver.request('COMMIT_CONFIG'));
    const span = settled(driver.request('GET_SPAN'));
    await clock.advance(0);
    board.unplug();
    await clock.advance(0);
    const c = await commit;
    expect(!c.ok && c.error.message).toMatch(/^DG1206: link lost while COMMIT_CONFIG \d+ was in flight .*read the state back$/);
    board.script = okScript();
    await clock.advance(10);
    expect(driver.state).toBe('ready');
    const s = await span;
    expect(s.ok).toBe(true);
  });

  it('climbs the ladder to a terminal state that is reported, rejects with DG1207, and stops all timers', async () => {
    const board = new ScriptedBoard(okScript());
    const { driver, clock } = setup(board, {
      options: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500, failuresBeforeResync: 1, failuresBeforeReopen: 2, maxReopenAttempts: 3, reopenBackoffMs: 100, reopenBackoffMaxMs: 150, responseTimeoutMs: 500, maxAttempts: 1 },
    });
    await start(driver, clock);
    const terminal: Error[] = [];
    driver.on('terminal', (e: Error) => terminal.push(e));
    board.deaf = true; // dead for good; each reopen opens the port but the hello is never answered
    const queued = settled(driver.request('GET_SPAN'));
    await clock.advance(60_000);
    expect(driver.state).toBe('failed');
    expect(terminal).toHaveLength(1);
    expect(terminal[0].message).toMatch(/^DG1207: link to \/dev\/ttyMOCK\d+ is down: 3 reopen attempts failed/);
    expect(driver.stats.failedReopens).toBe(3);
    expect(board.opens).toBe(4);
    const q = await queued;
    expect(!q.ok && q.error.code).toMatch(/DG120[37]/);
    const later = await settled(driver.request('GET_SPAN'));
    expect(!later.ok && later.error.message).toMatch(/^DG1207: GET_SPAN not sent: link to/);
    // Not a silent loop: nothing is scheduled any more, and more time changes nothing.
    expect(clock.pending).toBe(0);
    await clock.advance(600_000);
    expect(board.opens).toBe(4);
    // An operator's restart climbs again, and succeeds once the board is back.
    board.deaf = false;
    const r = driver.restart();
    await clock.advance(100);
    await r;
    expect(driver.state).toBe('ready');
  });

  it('fails start() with the timeout of the handshake when nothing answers, and leaves the port closed', async () => {
    const board = new ScriptedBoard(() => 'silent');
    const { driver, clock } = setup(board);
    const p = settled(driver.start());
    await clock.advance(3000);
    const r = await p;
    expect(!r.ok && r.error.code).toBe('DG1203');
    expect(driver.state).toBe('idle');
    expect(driver.transport.isOpen).toBe(false);
  });

  it('rejects with DG1211 when the queue is full', async () => {
    const board = new ScriptedBoard(okScript({ GET_SPAN: () => 'silent' }));
    const { driver, clock } = setup(board, { options: { maxQueue: 2 } });
    await start(driver, clock);
    const ps = [1, 2, 3].map(() => settled(driver.request('GET_SPAN')));
    await clock.advance(0);
    const fourth = await settled(driver.request('GET_SPAN'));
    expect(!fourth.ok && fourth.error.message).toMatch(/^DG1211: /);
    await driver.close();
    for (const p of ps) expect((await p).ok).toBe(false);
  });
});

describe('non-idempotent commands and the board\'s repeated-line memory (docs/protocol.md §2.3, §6)', () => {
  const commitOnce = () => rememberingScript(okScript({ COMMIT_CONFIG: (req) => ok(req, { version: '2' }) }), (req, n) => (req.name === 'COMMIT_CONFIG' && n <= 3 ? 'lose' : 'deliver'));

  it('resends a command whose answer is lost with the same seq; the board answers from memory and applies it once', async () => {
    // Answers 1 (HELLO) .. 3 are lost: HELLO is retried twice, then COMMIT_CONFIG's first answer goes.
    const mem = rememberingScript(okScript({ COMMIT_CONFIG: (req) => ok(req, { version: '2' }) }), (req, n) => (req.name === 'COMMIT_CONFIG' && n === 2 ? 'lose' : 'deliver'));
    const board = new ScriptedBoard(mem.script);
    const { driver, clock } = setup(board, { options: { failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
    await start(driver, clock);
    const res = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(999);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(1);
    await clock.advance(1);
    const r = await res;
    expect(r.ok && r.value.fields.version).toBe('2');
    const sent = board.requests('COMMIT_CONFIG');
    expect(sent).toHaveLength(2);
    expect(sent[1].seq).toBe(sent[0].seq);
    expect(mem.executed.filter((f) => f.name === 'COMMIT_CONFIG')).toHaveLength(1);
    expect(mem.repeats).toBe(1);
    expect(driver.stats).toMatchObject({ timeouts: 1, retries: 1, commandsFailed: 0 });
  });

  it('resends at once when the answer arrives damaged, and again when the board NAKs the resend: applied once', async () => {
    // Named byte fixture: what the host's resend looks like after the line damaged it.
    let damagedResend: Buffer | undefined;
    const mem = rememberingScript(okScript({ COMMIT_CONFIG: (req) => ok(req, { version: '3' }) }), (req, n) => (req.name === 'COMMIT_CONFIG' && n === 2 ? 'damage' : 'deliver'));
    const board = new ScriptedBoard((req, b) => {
      if (req.name === 'COMMIT_CONFIG' && board.requests('COMMIT_CONFIG').length === 2 && !damagedResend) {
        // The second copy is "damaged" on the way in: the board NAKs it (never acts) and an event
        // slips in; neither disturbs its memory of the first copy.
        damagedResend = encodeFrame(req);
        b.event('ALARM', { span: '1', alarm: 'los', state: 'on' }, 4);
        return { kind: 'nak', seq: req.seq, name: req.name, fields: { reason: 'crc', echo: 'yes' } };
      }
      return mem.script(req, b);
    });
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const r = await settled(driver.request('COMMIT_CONFIG'));
    expect(r.ok && r.value.fields.version).toBe('3');
    expect(clock.now()).toBe(0); // no timeout was needed
    const sent = board.requests('COMMIT_CONFIG');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((f) => f.seq)).size).toBe(1);
    expect(mem.executed.filter((f) => f.name === 'COMMIT_CONFIG')).toHaveLength(1);
    expect(mem.repeats).toBe(1);
    expect(driver.stats).toMatchObject({ crcErrors: 1, naksSent: 1, naksReceived: 1, events: 1, timeouts: 0 });
  });

  it('never resends after a reconnect (the hello clears the memory): DG1206, applied once', async () => {
    const mem = commitOnce();
    const board = new ScriptedBoard(mem.script);
    // The first timeout already climbs to a reopen, while the resend waits in the queue.
    const { driver, clock } = setup(board, { options: { failuresBeforeResync: 1, failuresBeforeReopen: 1, reopenBackoffMs: 10 } });
    await start(driver, clock);
    const res = settled(driver.request('COMMIT_CONFIG'));
    await clock.advance(1000);
    const r = await res;
    expect(!r.ok && r.error.message).toMatch(/^DG1206: link lost while COMMIT_CONFIG \d+ was waiting for its resend .*read the state back$/);
    await clock.advance(100);
    expect(driver.state).toBe('ready');
    expect(board.requests('HELLO')).toHaveLength(2);
    expect(board.requests('COMMIT_CONFIG')).toHaveLength(1);
    expect(mem.executed.filter((f) => f.name === 'COMMIT_CONFIG')).toHaveLength(1);
    // A new command after the reconnect goes out normally.
    board.script = okScript();
    expect((await settled(driver.request('COMMIT_CONFIG'))).ok).toBe(true);
  });

  it('never resends once the board rebooted: a BOOT event, a damaged BOOT, or event numbers going back', async () => {
    // Named byte fixtures: a BOOT event with a wrong CRC, and an event numbered below the last one.
    const damagedBoot = Buffer.from('EVT 0 BOOT boot_id=0000BEEF fw=1.0.0 slot=A reason=watchdog *00000000\r\n');
    const cases: Array<[string, (b: ScriptedBoard) => void]> = [
      ['BOOT event', (b) => b.send(encodeFrame(bootEvent))],
      ['damaged BOOT event', (b) => b.send(damagedBoot)],
      ['event numbers going back', (b) => b.event('ALARM', { span: '1', alarm: 'los', state: 'on' }, 3)],
    ];
    for (const [what, reboot] of cases) {
      const board = new ScriptedBoard(okScript({ COMMIT_CONFIG: () => 'silent' }));
      const { driver, clock } = setup(board, { options: { failuresBeforeResync: 10, failuresBeforeReopen: 10 } });
      await start(driver, clock);
      board.event('ALARM', { span: '1', alarm: 'los', state: 'off' }, 41);
      const res = settled(driver.request('COMMIT_CONFIG'));
      await clock.advance(500);
      reboot(board);
      await clock.advance(5000);
      const r = await res;
      expect(board.requests('COMMIT_CONFIG'), what).toHaveLength(1);
      expect(!r.ok && r.error.message, what).toMatch(/^DG1203: response timeout after 1000 ms: COMMIT_CONFIG \d+ got no readable answer \(1 attempt\) and the board rebooted .*outcome unknown/);
      await driver.close();
    }
  });

  it('keeps resending an idempotent command after a reboot (resending it is harmless)', async () => {
    const board: ScriptedBoard = new ScriptedBoard(okScript({ GET_SPAN: (req): Reply => (board.requests('GET_SPAN').length === 1 ? 'silent' : ok(req)) }));
    const { driver, clock } = setup(board);
    await start(driver, clock);
    const res = settled(driver.request('GET_SPAN'));
    board.send(encodeFrame(bootEvent));
    await clock.advance(1000);
    expect((await res).ok).toBe(true);
    expect(board.requests('GET_SPAN')).toHaveLength(2);
  });
});

describe('driver options', () => {
  it('range-checks every override with DG1209 and exit 2, and keeps the defaults otherwise', () => {
    expect(resolveOptions({})).toEqual(DEFAULT_DRIVER_OPTIONS);
    expect(resolveOptions({ maxAttempts: 5 }).maxAttempts).toBe(5);
    for (const bad of [{ maxAttempts: 0 }, { responseTimeoutMs: 1.5 }, { heartbeatIntervalMs: -1 }, { failuresBeforeResync: 5, failuresBeforeReopen: 4 }, { reopenBackoffMs: 500, reopenBackoffMaxMs: 100 }]) {
      let err: unknown;
      try {
        resolveOptions(bad);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(DgError);
      expect((err as DgError).message).toMatch(/^DG1209: /);
      expect((err as DgError).exitCode).toBe(2);
    }
  });

  it('close() does not wait out a reopen backoff', async () => {
    const board = new ScriptedBoard(okScript());
    const { driver, clock } = setup(board, { options: { reopenBackoffMs: 60_000, reopenBackoffMaxMs: 60_000 } });
    await start(driver, clock);
    board.unplug();
    await clock.advance(0);
    expect(driver.state).toBe('recovering');
    await driver.close(); // would hang for a minute of fake time (forever here) if it waited
    expect(driver.state).toBe('closed');
  });
});
