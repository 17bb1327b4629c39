/**
 * `dtmfguard-sim --pty PATH | --tcp HOST:PORT [--profile FILE] [--rig-socket PATH] [--fault NAME=VALUE]... [--json]`:
 * the simulated appliance, answering the serial control protocol (docs/protocol.md) until SIGINT
 * or SIGTERM. Faults (docs/faults.md) are switched from the command line (`--fault`) and, while it
 * runs, through the rig socket (`dtmfguard-sim fault --rig-socket PATH ...`). It is the program's default action, so the other groups (mask, relay, ...) stay
 * subcommands. Prints the device path (or tcp:// address) the host should open as the first line
 * of stdout; diagnostics go to stderr.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Command } from 'commander';
import { SerialPort } from 'serialport';
import { DgError, EXIT } from '../../src/errors.ts';
import { loadProfile, shippedProfilePath, type HardwareProfile } from '../../hardware-profiles/schema.ts';
import { createBoard } from '../board/create-board.ts';
import { SipEdge } from '../channel/sip-edge.ts';
import { driveSpans } from '../board/span-ticker.ts';
import { FaultyLine } from '../faults/faulty-line.ts';
import { FaultRegistry, parseFaultArg } from '../faults/registry.ts';
import { startRigServer, type RigServer } from '../rig/rig-server.ts';
import { DeviceServer } from '../server/device-server.ts';
import { PtyPair } from '../transport/pty-pair.ts';
import { addFeedOptions, armFeed, loadFeedLanes, type FeedCliOptions } from '../chain/feed-option.ts';

interface Options extends FeedCliOptions {
  pty?: string;
  tcp?: string;
  profile?: string;
  rigSocket?: string;
  json?: boolean;
  rebootDelayMs?: string;
  fault: string[];
  alarmTimingMs?: string;
  mirror?: string;
}

/** `--alarm-timing-ms DECLARE,CLEAR`: shorter alarm persistence than the standards' 2.5 s / 10 s, for rigs. */
function parseAlarmTiming(text: string): { declareMs: number; clearMs: number } {
  const m = /^(\d{1,6}),(\d{1,6})$/.exec(text);
  if (!m) throw new DgError('DG4304', `--alarm-timing-ms ${JSON.stringify(text)}: write DECLARE,CLEAR in ms, e.g. 500,2000`);
  return { declareMs: Number(m[1]), clearMs: Number(m[2]) };
}

export function register(program: Command): void {
  // Root options are read only before a subcommand's name, so `mask ... --json` and
  // `fault --rig-socket ...` keep their own options.
  program.enablePositionalOptions();
  program
    .option('--pty <path>', 'create a pseudo-terminal pair (needs socat); the host opens PATH, the simulator PATH.sim')
    .option('--tcp <host:port>', 'listen for the host on raw TCP, as a console server (ser2net) would serve it; port 0 picks one')
    .option('--profile <file>', 'hardware profile JSON (default: hardware-profiles/dual-e1.json)')
    .option('--rig-socket <path>', 'serve a Unix socket where `dtmfguard-sim fault --rig-socket PATH ...` switches faults while running')
    .option('--fault <name=value>', 'start with a fault switched, e.g. los=on,span=1 or corrupt=0.01 (repeatable; see docs/faults.md)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--alarm-timing-ms <declare,clear>', 'span alarm persistence in ms instead of 2500,10000 (ANSI T1.231 / ITU-T G.806), for quick rigs')
    .option('--reboot-delay-ms <ms>', 'how long the simulated board stays silent while rebooting', '1000')
    .option('--mirror <addr:port>', 'SIP edge models, and TDM models with --feed: also send the masked streams here as RTP (the port a recorder or the verifier listens on)')
    .option('--json', 'print the device as one JSON line on stdout')
    .action(async (opts: Options) => {
      await runAppliance(opts);
    });
  // TDM models: timeslots of the live board fed from files while the host drives it (docs/rigs.md).
  addFeedOptions(program);
}

function parseTcp(spec: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new DgError('DG4302', `--tcp ${JSON.stringify(spec)}: expected HOST:PORT, e.g. 127.0.0.1:7000`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

async function runAppliance(opts: Options): Promise<void> {
  if (!opts.pty === !opts.tcp) throw new DgError('DG4301', 'give exactly one of --pty PATH or --tcp HOST:PORT (or a subcommand; see --help)');
  const delay = Number(opts.rebootDelayMs);
  if (!Number.isInteger(delay) || delay < 0 || delay > 600_000) throw new DgError('DG4303', '--reboot-delay-ms must be 0..600000');
  const profilePath = opts.profile ?? shippedProfilePath('dual-e1');
  const profile: HardwareProfile = loadProfile(profilePath);
  const log = (m: string) => process.stderr.write(`dtmfguard-sim: ${m}\n`);
  const faultArgs = (opts.fault ?? []).map(parseFaultArg);
  const timing = opts.alarmTimingMs ? parseAlarmTiming(opts.alarmTimingMs) : undefined;

  const board = createBoard(profile, timing ? { spans: { alarmTiming: { red: timing, blue: timing, yellow: timing } } } : {});
  const feedLanes = await loadFeedLanes(board, opts);
  const server = new DeviceServer(board, { rebootDelayMs: delay, log });
  const line = new FaultyLine();
  const faults = new FaultRegistry({ board, server, line, rebootDelayMs: delay, log });
  for (const f of faultArgs) faults.set(f.name, f.value, { span: f.span, channel: f.channel });
  const stopSpans = driveSpans(board);
  let rig: RigServer | null = null;
  if (opts.rigSocket) {
    try {
      rig = await startRigServer(opts.rigSocket, faults);
    } catch (e) {
      stopSpans();
      server.close();
      throw e;
    }
    log(`rig socket ${opts.rigSocket}: faults switch with dtmfguard-sim fault --rig-socket ${opts.rigSocket} NAME VALUE`);
  }
  const announce = (device: string, extra: Record<string, string> = {}) => {
    const info = { device, model: profile.model, serial: board.serial, channels: profile.channels, profile: profilePath, ...extra };
    process.stdout.write(opts.json ? `${JSON.stringify(info)}\n` : `${device}\n`);
    log(`${profile.model} serial ${board.serial}, ${profile.channels} channels, serving ${device}`);
  };

  let stop: () => Promise<void>;
  let fatal: Promise<never>;
  if (opts.pty) {
    const pair = new PtyPair({ path: opts.pty, log });
    await pair.start();
    let port: SerialPort | null = null;
    const openSimEnd = async () => {
      const p = new SerialPort({ path: pair.simPath, baudRate: profile.serial.baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(new DgError('DG5005', `cannot open ${pair.simPath}: ${e.message}`)) : resolve())));
      port = p;
      server.attach(line.wrap(p));
    };
    await openSimEnd();
    pair.on('ready', () => void openSimEnd().catch((e: Error) => log(e.message)));
    fatal = new Promise<never>((_, reject) => pair.on('gave-up', (why) => reject(new DgError('DG5002', `pseudo-terminal lost for good: ${why}`, EXIT.checkFailed))));
    announce(pair.path, { simulatorEnd: pair.simPath });
    stop = async () => {
      server.close();
      const p = port as SerialPort | null;
      if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
      await pair.stop();
    };
  } else {
    const { host, port } = parseTcp(opts.tcp!);
    let current: Socket | null = null;
    const tcp: Server = createServer((sock) => {
      // One host at a time, like a serial line: a new connection replaces the previous one.
      if (current && !current.destroyed) {
        log('a new host connected; dropping the previous connection');
        current.destroy();
      }
      current = sock;
      sock.setNoDelay(true);
      sock.on('error', () => {});
      server.attach(line.wrap(sock));
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (e: NodeJS.ErrnoException) => reject(new DgError('DG5006', `cannot listen on ${opts.tcp}: ${e.code ?? e.message}; choose another address or port`)));
      tcp.listen(port, host, () => resolve());
    });
    const addr = tcp.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    announce(`tcp://${host.includes(':') ? `[${host}]` : host}:${actual}`);
    fatal = new Promise<never>(() => {});
    stop = async () => {
      server.close();
      (current as Socket | null)?.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    };
  }

  // On a SIP edge model the board's data plane is the RTP relay, run from its SIP settings.
  const sipEdge = profile.interfaces.sip ? new SipEdge(board, { log, mirror: opts.mirror }) : undefined;
  await sipEdge?.start();
  const feed = await armFeed(board, faults, feedLanes, opts, log);

  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  try {
    const sig = await Promise.race([signalled, fatal]);
    log(`${sig}: stopping`);
  } finally {
    await feed.stop();
    stopSpans();
    await rig?.close();
    await sipEdge?.stop();
    await stop();
  }
}
