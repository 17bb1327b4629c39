/**
 * The soak (issue 7): two simulated appliances, each with its own daemon, under a mixed load for a
 * set time while faults come and go, then one report whose targets decide the exit code.
 *
 * - SIP edge: a card payment every few seconds (a test PAN keyed fast, in-band and as RFC 4733
 *   events) with secure mode switched on before and off after through the CLI and the daemon;
 *   tcpdump on the mirror port throughout, verified at the end: every digit must be the mask tone.
 * - Dual E1: span alarms (LOS, AIS, RAI) on and off in turn; each must be raised and cleared.
 * - Both: serial corruption at 1% throughout, the link cut and restored, board reboots. On the SIP
 *   edge a cut or a reboot never overlaps a payment: a reboot ends secure mode on a real board too,
 *   and a payment is only keyed once secure mode is confirmed on.
 * - Several CLI clients at once, each a loop of real `dtmfguard` processes through the daemons.
 * - In this process: bad inputs for every parser, and garbage on the daemons' control sockets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlSocketPath } from '../../src/service/paths.ts';
import { parseScenario } from '../scenario/schema.ts';
import { renderScenario } from '../scenario/render.ts';
import { playScenarioRtp } from '../chain/rtp-caller.ts';
import { DTMFGUARD_BIN, ProcessGroup, freeUdpPort, runToEnd, waitUntil } from '../chain/processes.ts';
import { ApplianceUnderSoak, sumMetric, type ProcessFigures } from './appliance-under-soak.ts';
import { fuzzParsers, Rng, emptyTally, type ParserTally } from './parser-fuzz.ts';
import { probeControlSocket } from './control-socket-probe.ts';
import { judge, type CommandTally, type SoakReport } from './soak-report.ts';
import type { DeviceServerStats } from '../server/device-server.ts';
import { mirrorCaptureArgs } from '../chain/mirror-capture.ts';

export interface SoakOptions {
  minutes: number;
  clients?: number;
  seed?: number;
  corrupt?: number;
  keep?: boolean;
  /** A progress line for people about every 30 s (and at phase changes). */
  say?: (line: string) => void;
  signal?: AbortSignal;
}

/** The test PANs keyed in turn (the well-known test numbers: never a real card). */
const TEST_PANS = ['4111111111111111', '5555555555554444', '4012888888881881'];
const MASK_TONE = '#';
/** Pause between payments and between a client's commands: load without starving two cores. */
const PAYMENT_GAP_MS = 2000;
const CLIENT_GAP_MS = 400;
/** How long a link cut lasts, and how often the fault loop acts on each appliance. */
const CUT_MS = 4000;
const FAULT_EVERY_MS = 40_000;
const ALARM_EVERY_MS = 25_000;
/** Long enough for the daemon to see it through a noisy line: its span polls fail often at 1%. */
const ALARM_ON_MS = 10_000;

function paymentScenario(pan: string, seed: number) {
  return renderScenario(
    parseScenario({
      name: 'soak-payment',
      profile: 'sip-edge',
      maskTone: MASK_TONE,
      timeline: [
        { speech: { ms: 400, levelDbm0: -20, seed } },
        { digits: { keys: pan, toneMs: 60, gapMs: 60, levelDbm0: -8, events: true } },
      ],
    }),
  );
}

/** One holder at a time: payments and disruptive faults on the SIP edge take turns. */
class Turns {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Which channel the SIP edge will give the next call. The board gives a new RTP stream (SSRC) the
 * lowest free channel and takes it back once the stream has been unseen for 60 s
 * (firmware-sim/channel/sip-edge.ts); a boot forgets every stream. Each payment is a new call, so
 * the soak keeps the same book to switch secure mode on for the right channel before keying.
 */
class ChannelBook {
  private readonly held = new Map<number, number>(); // channel -> last packet sent (wall ms)
  static readonly IDLE_MS = 60_000;
  /** Too close to the board's own 60 s to be sure which side of it a stream is: wait this long instead. */
  static readonly DOUBT_MS = 3000;
  /** Ms to wait before the next call's channel is certain (0: certain now). */
  doubtfulFor(now: number): number {
    let wait = 0;
    for (const last of this.held.values()) {
      const idle = now - last;
      if (Math.abs(idle - ChannelBook.IDLE_MS) <= ChannelBook.DOUBT_MS) wait = Math.max(wait, ChannelBook.IDLE_MS + ChannelBook.DOUBT_MS - idle + 1);
    }
    return wait;
  }
  next(now: number): number {
    for (const [ch, last] of this.held) if (now - last > ChannelBook.IDLE_MS) this.held.delete(ch);
    for (let ch = 1; ; ch++) if (!this.held.has(ch)) return ch;
  }
  used(ch: number, lastPacketAt: number): void {
    this.held.set(ch, lastPacketAt);
  }
  forgetAll(): void {
    this.held.clear();
  }
}
/** Payment calls hold at most 60 s / (shortest payment cycle, ~8 s) + 1 channels: the clients keep above this. */
const PAYMENT_CHANNELS = 16;

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const say = opts.say ?? (() => undefined);
  const seed = opts.seed ?? 7;
  const rng = new Rng(seed);
  // Per byte. 1e-4 damages about 1% of frames (they are 40 to 200 bytes); see docs/reliability.md
  // for what 1% of bytes does to the stock daemon.
  const corrupt = opts.corrupt ?? 1e-4;
  const work = mkdtempSync(join(tmpdir(), 'dtmfguard-soak-'));
  const group = new ProcessGroup();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const t0 = Date.now();
  const stamp = (line: string) => say(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${line}`);
  const agent = createSocket('udp4');
  const [listen, forward, mirror] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
  await new Promise<void>((r) => agent.bind(forward, '127.0.0.1', () => r()));
  agent.on('message', () => undefined);
  const edge = new ApplianceUnderSoak({ name: 'sip-edge', profile: 'sip-edge', workDir: join(work, 'edge'), group, corrupt, mirror: `127.0.0.1:${mirror}` });
  const e1 = new ApplianceUnderSoak({ name: 'dual-e1', profile: 'dual-e1', workDir: join(work, 'e1'), group, corrupt, alarmTimingMs: '500,2000' });
  const appliances = [edge, e1];
  const capture = join(work, 'mirror.pcap');

  const commands: Record<string, CommandTally> = {};
  const tally = (key: string) => (commands[key] ??= { sent: 0, ok: 0, failed: 0, noAnswer: 0, codes: {} });
  const payments = { done: 0, skipped: 0, digitsKeyed: 0, secureOffFailed: 0 };
  const faults: Record<string, number> = {};
  const alarmsInjected: Array<{ fault: string; span: number; at: number }> = [];
  const parsers: Record<string, ParserTally> = {};
  const controlTally = emptyTally();
  const boardStart: Record<string, DeviceServerStats | undefined> = {};
  const figuresStart: Record<string, ProcessFigures | undefined> = {};
  let deadlineAt = Number.POSITIVE_INFINITY;
  const running = () => !stop.signal.aborted && Date.now() < deadlineAt;

  const runCli = async (a: ApplianceUnderSoak, key: string, args: string[]) => {
    const t = tally(`${a.name}: ${key}`);
    t.sent++;
    const r = await a.cli(args, 60_000);
    if (r.status === 0) t.ok++;
    else if (r.status === null) t.noAnswer++;
    else {
      t.failed++;
      const code = /DG\d{4}/.exec(r.stderr)?.[0] ?? `exit ${r.status}`;
      t.codes[code] = (t.codes[code] ?? 0) + 1;
      // A failure without a DG code is not a documented error: keep what it said (the CLI's own
      // output; these commands carry no card data).
      if (!code.startsWith('DG') && (t.unexplained ??= []).length < 3) t.unexplained.push(r.stderr.trim().split('\n').slice(0, 4).join(' | ').slice(0, 400));
    }
    return r;
  };

  const edgeTurns = new Turns();
  const book = new ChannelBook();
  /** Idempotent: an installer (or an IVR) tries again; a few tries get through a noisy line. */
  const secure = async (on: boolean, ch: number) => {
    for (let i = 0; i < 5; i++) {
      if ((await runCli(edge, `secure ${on ? 'on' : 'off'} (payment)`, ['secure', on ? 'on' : 'off', '--channel', String(ch)])).status === 0) return true;
      if (!running()) return false;
    }
    return false;
  };
  // On the E1, an alarm cycle and a cut or reboot take turns too: an alarm raised while the link is
  // down would be seen late or not at all, and the soak checks each one.
  const e1Turns = new Turns();
  const tasks: Promise<unknown>[] = [];
  let keepForLeak = false;
  try {
    stamp(`work folder ${work}; starting two appliances (serial corruption ${corrupt} per byte on both)`);
    await edge.start();
    await e1.start();
    const cfg = join(work, 'edge-site.json');
    writeFileSync(cfg, JSON.stringify({ maskTone: MASK_TONE, sip: { listen: `127.0.0.1:${listen}`, forward: `127.0.0.1:${forward}`, ptPcmu: 0, ptPcma: 8, ptEvent: 101 } }));
    for (let i = 0; ; i++) {
      const applied = await edge.cli(['config', 'apply', cfg]);
      if (applied.status === 0) break;
      if (i === 4) throw new Error(`the SIP edge refused its configuration: ${applied.stderr.trim()}`);
    }
    const dump = group.start('tcpdump', 'tcpdump', mirrorCaptureArgs(capture, mirror));
    await waitUntil('tcpdump', () => /listening on/.test(dump.output()) || dump.child.exitCode !== null);
    if (dump.child.exitCode !== null) throw new Error(`tcpdump did not start: ${dump.output().trim()}`);
    // Serial corruption from here to the end, both directions, on both appliances. Switched on only
    // now: at 1% of bytes a 200-byte HELLO answer arrives intact about one time in eight, so the
    // daemon's first connection (three attempts, then a restart 30 s later) could take minutes.
    for (const a of appliances) if (!(await a.fault('corrupt', String(corrupt)))) throw new Error(`could not switch corruption on for ${a.name}`);
    for (const a of appliances) {
      boardStart[a.name] = await a.boardStats();
      figuresStart[a.name] = await a.figures();
    }
    stamp(`both appliances ready; soaking for ${opts.minutes} min`);
    deadlineAt = Date.now() + opts.minutes * 60_000;

    // Card payments on the SIP edge, channel 1.
    tasks.push(
      (async () => {
        let n = 0;
        while (running()) {
          await edgeTurns.run(async () => {
            await waitUntil('the SIP edge link', () => edge.ready() || !running(), 120_000).catch(() => undefined);
            if (!running()) return;
            await sleep(book.doubtfulFor(Date.now()), stop.signal);
            const ch = book.next(Date.now());
            if (ch > PAYMENT_CHANNELS) throw new Error(`payment calls would need channel ${ch}, above the ${PAYMENT_CHANNELS} kept for them`);
            if (!(await secure(true, ch))) {
              payments.skipped++;
              await secure(false, ch);
              return;
            }
            const pan = TEST_PANS[n % TEST_PANS.length];
            const scene = paymentScenario(pan, 100 + n++);
            try {
              await playScenarioRtp(scene, { to: `127.0.0.1:${listen}`, codec: 'ulaw', packetMs: 20, speed: 1, signal: stop.signal });
            } finally {
              book.used(ch, Date.now());
            }
            payments.digitsKeyed += scene.keyed.length;
            payments.done++;
            // Secure mode off at once, with the last digit's tail still in the relay's lookahead
            // (the worst an agent can do): the relay must still send it masked (fail closed,
            // firmware-sim/relay/rtp-stream.ts `secureAt`).
            if (!(await secure(false, ch))) payments.secureOffFailed++;
          });
          await sleep(PAYMENT_GAP_MS, stop.signal);
        }
      })(),
    );

    // Link cuts and reboots, in turn, on each appliance; never during a payment on the SIP edge.
    for (const [i, a] of appliances.entries()) {
      tasks.push(
        (async () => {
          await sleep(10_000 + i * (FAULT_EVERY_MS / 2), stop.signal);
          for (let k = 0; running(); k++) {
            const act = async () => {
              if (k % 2 === 0) {
                if (await a.fault('silence', 'on')) {
                  faults[`${a.name}: link cut`] = (faults[`${a.name}: link cut`] ?? 0) + 1;
                  await sleep(CUT_MS, stop.signal);
                }
                await a.fault('silence', 'off');
              } else if (await a.fault('reboot', 'on')) {
                faults[`${a.name}: reboot`] = (faults[`${a.name}: reboot`] ?? 0) + 1;
                // A boot ends every call on the board: its channels are free again.
                if (a === edge) book.forgetAll();
              }
              // The next payment waits for the link to be ready again.
              await sleep(1500, stop.signal);
            };
            await (a === edge ? edgeTurns : e1Turns).run(act);
            await sleep(FAULT_EVERY_MS, stop.signal);
          }
        })(),
      );
    }

    // Line alarms on the dual E1, in turn on both spans.
    tasks.push(
      (async () => {
        const kinds = ['los', 'ais', 'rai'];
        await sleep(5000, stop.signal);
        for (let k = 0; running() && Date.now() < deadlineAt - ALARM_ON_MS - 8000; k++) {
          const fault = kinds[k % kinds.length];
          const span = 1 + (Math.floor(k / kinds.length) % 2);
          await e1Turns.run(async () => {
            await waitUntil('the E1 link', () => e1.ready() || !running(), 120_000).catch(() => undefined);
            if (!running() || !(await e1.fault(fault, 'on', span))) return;
            alarmsInjected.push({ fault, span, at: Date.now() });
            await sleep(ALARM_ON_MS, stop.signal);
            // Switch off whatever happens, so the alarm can clear before the end.
            for (let i = 0; i < 5 && !(await e1.fault(fault, 'off', span)); i++) await sleep(500);
            // Clearing takes 2 s (--alarm-timing-ms) plus a poll that gets through: keep the link up meanwhile.
            await sleep(8000, stop.signal);
          });
          await sleep(ALARM_EVERY_MS - ALARM_ON_MS, stop.signal);
        }
      })(),
    );

    // CLI clients: real dtmfguard processes through the daemons, several at once.
    const clients = opts.clients ?? 3;
    for (let c = 0; c < clients; c++) {
      const crng = new Rng(seed * 31 + c + 1);
      tasks.push(
        (async () => {
          while (running()) {
            const onE1 = crng.int(2) === 0;
            const a = onE1 ? e1 : edge;
            // The SIP edge's first channels carry the payment calls: clients keep off them.
            const ch = String(onE1 ? 1 + crng.int(60) : PAYMENT_CHANNELS + 1 + crng.int(120 - PAYMENT_CHANNELS));
            const pick = crng.int(onE1 ? 6 : 4);
            if (pick === 0) await runCli(a, 'secure on', ['secure', 'on', '--channel', ch]);
            else if (pick === 1) await runCli(a, 'secure off', ['secure', 'off', '--channel', ch]);
            else if (pick === 2) await runCli(a, 'mask-tone', ['mask-tone', '--json']);
            else if (pick === 3) await runCli(a, 'info', ['info', '--json']);
            else if (pick === 4) await runCli(a, 'spans', ['spans', '--json']);
            else await runCli(a, 'counters --reset', ['counters', '--reset', '--span', String(1 + crng.int(2)), '--json']);
            await sleep(CLIENT_GAP_MS, stop.signal);
          }
        })(),
      );
    }

    // Bad inputs in this process: a slice of parser fuzzing every second, and a control socket probe.
    tasks.push(
      (async () => {
        let k = 0;
        while (running()) {
          await fuzzParsers(parsers, seed * 1_000_003 + k, 150);
          const a = appliances[k % 2];
          await probeControlSocket(controlSocketPath(a.pty, a.env), rng, controlTally);
          k++;
          await sleep(850, stop.signal);
        }
      })(),
    );

    // Progress about every 30 s.
    tasks.push(
      (async () => {
        while (running()) {
          await sleep(30_000, stop.signal);
          if (!running()) break;
          const all = Object.values(commands);
          const sum = (f: (t: CommandTally) => number) => all.reduce((n, t) => n + f(t), 0);
          const fuzzed = Object.values(parsers).reduce((n, t) => n + t.tried, 0);
          const crashes = Object.values(parsers).reduce((n, t) => n + t.crashes, 0) + controlTally.crashes;
          stamp(
            `payments ${payments.done} (${payments.skipped} skipped), commands ${sum((t) => t.sent)} sent / ${sum((t) => t.ok)} ok / ${sum((t) => t.failed)} failed, ` +
              `faults ${Object.values(faults).reduce((n, v) => n + v, 0)}, alarms injected ${alarmsInjected.length}, bad inputs ${fuzzed + controlTally.tried} (${crashes} crashes)`,
          );
        }
      })(),
    );

    await Promise.all(tasks);
    // Ctrl-C: no verdict on a cut-short run; the finally below stops everything and cleans up.
    if (stop.signal.aborted) throw new Error('interrupted before the end; nothing judged');
    stamp('load stopped; letting alarms clear and links settle');
    for (const a of appliances) {
      await a.fault('silence', 'off');
      // The end figures are read on a clean line: corruption off, as it was before the start.
      await a.fault('corrupt', '0');
      await waitUntil(`${a.name} ready`, () => a.ready(), 90_000).catch(() => undefined);
    }
    // Alarms clear 2 s after their cause (--alarm-timing-ms) plus a poll; wait for the last one.
    await waitUntil('alarms cleared', () => e1.events().filter((e) => e.event === 'alarm.raised').length <= e1.events().filter((e) => e.event === 'alarm.cleared').length, 30_000).catch(() => undefined);
    await sleep(1500);

    const boardEnd: Record<string, DeviceServerStats | undefined> = {};
    const figuresEnd: Record<string, ProcessFigures | undefined> = {};
    for (const a of appliances) {
      boardEnd[a.name] = await a.boardStats();
      figuresEnd[a.name] = await a.figures();
    }
    for (const a of appliances) writeFileSync(join(a.opts.workDir, 'daemon.log'), a.daemon?.output() ?? '');
    dump.child.kill('SIGINT');
    await dump.exited;
    const maskedDigits = sumMetric(await edge.metrics(), 'dtmfguard_masked_digits_total');
    const v = await runToEnd(DTMFGUARD_BIN, ['verify', capture, '--mask-tone', MASK_TONE, '--json'], {}, 300_000);
    let found: Array<{ digit: string; source?: string; startMs?: number; endMs?: number }> = [];
    let verifyOk = false;
    try {
      found = (JSON.parse(v.stdout) as { files: Array<{ digits: typeof found }> }).files.flatMap((f) => f.digits);
      verifyOk = true;
    } catch {
      stamp(`verify could not read the capture: ${v.stderr.trim()}`);
    }
    keepForLeak = found.some((d) => d.digit !== MASK_TONE);
    const daemonsAlive = appliances.map((a) => ({ name: a.name, alive: a.daemon?.child.exitCode === null && a.daemon?.child.signalCode === null }));
    return judge({
      minutes: opts.minutes,
      seed,
      corrupt,
      elapsedS: Math.round((Date.now() - t0) / 1000),
      startedAt: deadlineAt - opts.minutes * 60_000,
      commands,
      payments,
      faults,
      alarmsInjected,
      events: Object.fromEntries(appliances.map((a) => [a.name, a.events()])),
      board: Object.fromEntries(appliances.map((a) => [a.name, { start: boardStart[a.name], end: boardEnd[a.name] }])),
      figures: Object.fromEntries(appliances.map((a) => [a.name, { start: figuresStart[a.name], end: figuresEnd[a.name] }])),
      maskedDigits,
      verify: {
        ok: verifyOk,
        exitCode: v.status,
        digits: found.length,
        masks: found.filter((d) => d.digit === MASK_TONE).length,
        leaks: found.filter((d) => d.digit !== MASK_TONE).length,
        // Where a leak is, never what it was: a leaked digit is card data.
        leakAt: found.filter((d) => d.digit !== MASK_TONE).slice(0, 20).map((d) => ({ source: d.source, startMs: d.startMs, endMs: d.endMs })),
      },
      parsers: { ...parsers, 'control socket (daemon)': controlTally },
      daemonsAlive,
      workDir: opts.keep || keepForLeak ? work : undefined,
    });
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(tasks);
    agent.close();
    await group.stopAll();
    // A leak keeps the folder (capture, daemon logs) for the investigation; the report names it.
    if (!opts.keep && !keepForLeak) rmSync(work, { recursive: true, force: true });
    else if (keepForLeak) say(`work folder kept for the leak investigation: ${work}`);
  }
}
