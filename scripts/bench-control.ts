/**
 * Control-path benchmark (`npm run bench -- control`): the host driver against the simulated board
 * over a real pty pair (socat), the board in its own process.
 *
 *   control_rtt_median / control_rtt_p99   one command's round trip at 115200 baud (ms)
 *   control_rtt_pty_median                 the same without the 115200 pacing (pty speed)
 *   control_event_throughput               board events received per second at 115200 baud
 *   control_corrupt_*                      1% of bytes corrupted in both directions: commands
 *                                          lost, applied twice (target: none of either), ...
 *
 * A pty moves bytes as fast as the kernel copies them, whatever baud rate is set; to measure at
 * 115200 8N1 the board's process paces both directions to 11.52 bytes/ms (a virtual wire: each
 * chunk leaves when the previous one has, at the line rate). Corruption is applied on that wire.
 *
 * Device mode (spawned by the benchmark itself): `bench-control.ts --device PTY [--baud N]
 * [--corrupt P] [--seed S]`, controlled over IPC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { ApplianceClient, type ApplianceEvent } from '../src/appliance/client.ts';
import { CommandError } from '../src/appliance/driver-errors.ts';
import type { DriverOptions } from '../src/appliance/options.ts';
import { mulberry32 as prng } from '../src/prng.ts';

const BAUD = 115_200;
/** 8N1: ten bit times per byte. */
const bytesPerMs = (baud: number) => baud / 10 / 1000;

// ------------------------------------------------------------------------------- device side


async function runDevice(path: string, baud: number, corrupt: number, seed: number): Promise<void> {
  const { Board } = await import('../firmware-sim/board/board.ts');
  const { DeviceServer } = await import('../firmware-sim/server/device-server.ts');
  const { loadProfile, shippedProfilePath } = await import('../hardware-profiles/schema.ts');
  const board = new Board(loadProfile(shippedProfilePath('dual-e1')), { serial: 'BENCH0001', verifyImage: () => ({ ok: false, reason: 'bench' }) });
  const server = new DeviceServer(board, { countersIntervalMs: 0, healthIntervalMs: 0 });
  // Which request sequence numbers the board actually executed (not answered from its
  // repeated-line memory): reached through the server's private execute() — a benchmark probe.
  const executed = new Map<number, number>();
  const srv = server as unknown as { execute: (name: string, f: { seq: number }, ctx: unknown) => unknown };
  const execute = srv.execute.bind(server);
  srv.execute = (name, f, ctx) => {
    if (name === 'RESET_COUNTERS') executed.set(f.seq, (executed.get(f.seq) ?? 0) + 1);
    return execute(name, f, ctx);
  };
  const rnd = prng(seed);
  let corrupted = 0;
  const damage = (chunk: Buffer): Buffer => {
    if (corrupt <= 0) return chunk;
    const out = Buffer.from(chunk);
    for (let i = 0; i < out.length; i++) {
      if (rnd() < corrupt) {
        out[i] ^= 1 << Math.floor(rnd() * 8);
        corrupted++;
      }
    }
    return out;
  };
  const port = new SerialPort({ path, baudRate: baud });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  // The virtual wire: one per direction, each byte takes 1/rate ms, chunks queue behind each other.
  const rate = bytesPerMs(baud);
  const wire = (deliver: (b: Buffer) => void) => {
    let freeAt = 0;
    return (chunk: Buffer) => {
      const now = performance.now();
      freeAt = Math.max(now, freeAt) + chunk.length / rate;
      const b = damage(chunk);
      setTimeout(() => deliver(b), Math.max(0, freeAt - now));
    };
  };
  const toBoard = wire((b) => shim.push(b));
  const toHost = wire((b) => port.write(b));
  const shim = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      toHost(chunk);
      cb();
    },
  });
  port.on('data', (b: Buffer) => toBoard(b));
  server.attach(shim);
  process.on('message', (m: { cmd: string; n?: number }) => {
    if (m.cmd === 'events') {
      // n SECURE events as fast as the board raises them (toggling channel 1).
      for (let i = 0; i < (m.n ?? 0); i++) board.setSecure(1 + (i % 60), Math.floor(i / 60) % 2 === 0, 'host');
      process.send!({ cmd: 'events-sent', n: m.n });
    } else if (m.cmd === 'report') {
      process.send!({ cmd: 'report', executed: [...executed.entries()], corrupted, stats: server.stats });
    } else if (m.cmd === 'exit') {
      port.close(() => process.exit(0));
    }
  });
  process.send!({ cmd: 'ready' });
}

// ------------------------------------------------------------------------------- host side

interface Rig {
  dir: string;
  host: string;
  socat: ChildProcess;
  device: ChildProcess;
}

async function startRig(opts: { baud: number; corrupt: number; seed?: number }): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-bench-control-'));
  const host = join(dir, 'host');
  const dev = join(dir, 'dev');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${dev}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(host) && existsSync(dev)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(dev)) throw new Error('socat did not create the pty pair (is socat installed?)');
  const self = fileURLToPath(import.meta.url);
  const device = spawn(
    process.execPath,
    ['--import', 'tsx', self, '--device', dev, '--baud', String(opts.baud), '--corrupt', String(opts.corrupt), '--seed', String(opts.seed ?? 1)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  await waitFor(device, 'ready');
  return { dir, host, socat, device };
}

function waitFor(child: ChildProcess, cmd: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Record<string, unknown>) => {
      if (m.cmd !== cmd) return;
      child.off('message', onMsg);
      resolve(m);
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`device process exited (${code}) before ${cmd}`)));
  });
}

async function stopRig(rig: Rig): Promise<void> {
  rig.device.send({ cmd: 'exit' });
  await new Promise((r) => rig.device.once('exit', r));
  rig.socat.kill('SIGTERM');
  rmSync(rig.dir, { recursive: true, force: true });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function emit(name: string, unit: string, value: number, note?: string): void {
  process.stdout.write(`${JSON.stringify({ name, unit, value: Number(value.toFixed(3)), ...(note ? { note } : {}) })}\n`);
}

async function rtt(baud: number, n: number): Promise<number[]> {
  const rig = await startRig({ baud, corrupt: 0 });
  try {
    const client = await ApplianceClient.connect(rig.host);
    try {
      for (let i = 0; i < 20; i++) await client.ping(); // warm-up: JIT, pty buffers
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await client.getSpanStatus(1 + (i % 2));
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b);
    } finally {
      await client.close();
    }
  } finally {
    await stopRig(rig);
  }
}

async function eventThroughput(n: number): Promise<{ perS: number; received: number }> {
  const rig = await startRig({ baud: BAUD, corrupt: 0 });
  try {
    const client = await ApplianceClient.connect(rig.host, { driver: { heartbeatIntervalMs: 3_600_000 } });
    try {
      let received = 0;
      let first = 0;
      let last = 0;
      const done = new Promise<void>((resolve) => {
        client.on('event', (e: ApplianceEvent) => {
          if (e.name !== 'SECURE') return;
          if (received++ === 0) first = performance.now();
          last = performance.now();
          if (received === n) resolve();
        });
      });
      rig.device.send({ cmd: 'events', n });
      await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
      return { perS: received > 1 ? ((received - 1) / (last - first)) * 1000 : 0, received };
    } finally {
      await client.close();
    }
  } finally {
    await stopRig(rig);
  }
}

async function corruptRun(n: number, driver: Partial<DriverOptions>): Promise<void> {
  // BENCH_CONTROL_SEED picks another corruption pattern (the default 7 repeats the documented run).
  const rig = await startRig({ baud: BAUD, corrupt: 0.01, seed: Number(process.env.BENCH_CONTROL_SEED ?? 7) });
  try {
    // HELLO itself may need several tries on this line.
    let client: ApplianceClient | undefined;
    for (let i = 0; i < 10 && !client; i++) client = await ApplianceClient.connect(rig.host, { driver }).catch(() => undefined);
    if (!client) throw new Error('could not connect through the corrupted line');
    const resets: Array<{ ok: boolean; seq?: number; reason?: string }> = [];
    let idemOk = 0;
    let idemFailed = 0;
    const secure = new Map<number, boolean>();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        // Non-idempotent: after a timeout or a damaged answer the identical line is resent, and
        // the board answers a repeat from its memory without executing it again (§2.3, §6).
        try {
          // Through the driver, for the answer's sequence number (the probe counts by seq).
          const answer = await client.driver.request('RESET_COUNTERS', { span: String(1 + ((i / 2) % 2)) });
          resets.push({ ok: true, seq: answer.seq });
        } catch (e) {
          resets.push({ ok: false, reason: (e as CommandError).reason });
        }
      } else {
        const ch = 1 + (i % 60);
        const state = !(secure.get(ch) ?? false);
        try {
          await client.setSecure(ch, state);
          secure.set(ch, state);
          idemOk++;
        } catch {
          idemFailed++;
        }
      }
    }
    const elapsed = performance.now() - started;
    const stats = client.stats();
    // Idempotent commands: the board's final state must equal what the host last set.
    let stateMismatch = 0;
    for (const [ch, want] of secure) {
      const got = await client.getSecure(ch).catch(() => undefined);
      if (got && got.state !== want) stateMismatch++;
    }
    await client.close();
    rig.device.send({ cmd: 'report' });
    const report = (await waitFor(rig.device, 'report')) as { executed: Array<[number, number]>; corrupted: number; stats: { repeats: number; naksSent: number } };
    const twice = report.executed.filter(([, c]) => c > 1).length;
    const executedSeqs = new Set(report.executed.map(([seq]) => seq));
    const resetOk = resets.filter((r) => r.ok).length;
    const unknown = resets.filter((r) => !r.ok && (r.reason === 'timeout' || r.reason === 'link-lost')).length;
    const resetFailed = resets.length - resetOk;
    // Every RESET_COUNTERS has its own sequence number: those the board never executed are lost
    // (whatever the host reported; one the host reported done and that was not executed would
    // be a silent loss, and is counted here too).
    const notExecuted = resets.length - report.executed.length;
    const note = `n=${n}, seed=${process.env.BENCH_CONTROL_SEED ?? 7}, half RESET_COUNTERS (non-idempotent), half SET_SECURE; maxAttempts=${driver.maxAttempts}, responseTimeoutMs=${driver.responseTimeoutMs}; ${report.corrupted} bytes flipped`;
    emit('control_corrupt_applied_twice', 'commands', twice, note);
    emit('control_corrupt_lost', 'commands', notExecuted + idemFailed, 'never applied: non-idempotent not executed + idempotent that failed every attempt');
    emit('control_corrupt_unknown_outcome', 'commands', unknown, 'non-idempotent commands reported to the caller as outcome unknown (DG1203/DG1206: every attempt unanswered, or the board memory lost)');
    emit('control_corrupt_reported_ok_not_executed', 'commands', resets.filter((r) => r.ok && !executedSeqs.has(r.seq!)).length, 'silent losses: reported done to the caller, never executed');
    emit('control_corrupt_failed_reported', 'commands', resetFailed + idemFailed);
    emit('control_corrupt_state_mismatch', 'channels', stateMismatch, 'idempotent SET_SECURE: board state differs from the last value the host set');
    emit('control_corrupt_throughput', 'commands/s', (n / elapsed) * 1000);
    emit('control_corrupt_retries', 'count', stats.retries);
    emit('control_corrupt_answered_from_memory', 'count', report.stats.repeats, 'repeated request lines the board answered from its memory without executing them (§2.3)');
    emit('control_corrupt_board_naks', 'count', report.stats.naksSent, 'damaged lines from the host that the board rejected');
    emit('control_corrupt_crc_errors', 'count', stats.crcErrors);
    emit('control_corrupt_timeouts', 'count', stats.timeouts);
  } finally {
    await stopRig(rig);
  }
}

/**
 * Driver options for the corrupted line: ~40% of frames arrive damaged in each direction at 1%
 * byte errors, so an exchange succeeds about one time in three; 20 attempts (the maximum) make an
 * idempotent command's failure unlikely (0.68^20 < 0.1%). The timeout is cut to 250 ms because a
 * round trip at 115200 takes ~20 ms and a timeout is the price of every unreadable answer.
 */
const CORRUPT_DRIVER: Partial<DriverOptions> = { maxAttempts: 20, responseTimeoutMs: 250, failuresBeforeResync: 6, failuresBeforeReopen: 12 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { device: { type: 'string' }, baud: { type: 'string' }, corrupt: { type: 'string' }, seed: { type: 'string' } },
  });
  if (values.device) {
    await runDevice(values.device, Number(values.baud ?? BAUD), Number(values.corrupt ?? 0), Number(values.seed ?? 1));
    return;
  }
  // BENCH_CONTROL_ONLY=corrupt runs just the corruption part (it is the slow one).
  if (process.env.BENCH_CONTROL_ONLY === 'corrupt') {
    await corruptRun(Number(process.env.BENCH_CONTROL_N ?? 400), CORRUPT_DRIVER);
    return;
  }
  const paced = await rtt(BAUD, 1000);
  emit('control_rtt_median', 'ms', percentile(paced, 50), 'GET_SPAN_STATUS over a pty paced to 115200 8N1, 1000 commands');
  emit('control_rtt_p99', 'ms', percentile(paced, 99));
  const fast = await rtt(100_000_000, 1000);
  emit('control_rtt_pty_median', 'ms', percentile(fast, 50), 'same, pty without pacing');
  emit('control_rtt_pty_p99', 'ms', percentile(fast, 99));
  const ev = await eventThroughput(2000);
  emit('control_event_throughput', 'events/s', ev.perS, `${ev.received}/2000 SECURE events received at 115200 8N1`);
  await corruptRun(400, CORRUPT_DRIVER);
}

await main();
