/**
 * RTP relay capacity and added delay (issue 4): how many concurrent 20 ms G.711 streams one relay
 * process carries on one core in secure mode with no late packet, and the delay it adds (the
 * lookahead, 40 ms here, is the floor; the target is under lookahead + 1 ms).
 *
 * This process runs the relays (one RtpRelay per caller stream, each with its listen, forward and
 * mirror sockets, as `dtmfguard-sim relay` runs one) and nothing else, pinned to CPU 0 when the
 * machine has a second one (taskset); the callers, the agent side and the recorder side are
 * scripts/relay-load.c (sendmmsg / recvmmsg), pinned to CPU 1. Both ends stamp CLOCK_MONOTONIC.
 *
 * A step passes when every packet of its measured interval (after a warm-up, less each stream's
 * last packets, which wait for audio that never comes) reached both the forward and the mirror
 * side once, within lookahead + 1 ms of being sent. A failing step also says whether the generator
 * fell behind (sending late, or reading its sinks late), so its faults are not the relay's.
 *
 * Prints JSON lines: relay_streams_per_core (the largest step passing, with all smaller ones),
 * relay_added_latency_median / _p99 / _max (ms, end to end on loopback, at that step, or at the
 * first step with "passed": false when none passed), relay_cpu_per_packet (µs of relay CPU per
 * datagram received, at the largest step), relay_streams_per_core_by_cpu (what a fully used core
 * carries at that cost) and relay_alloc_per_packet (what the relay process allocated on its JS heap
 * over the largest step, gc-allocation.ts, per packet sent to it, with the young collections it
 * brought). Each line carries the load average. Per-step details go to stderr.
 *
 * Usage: npx tsx scripts/bench-relay.ts [STEPS=250,500,1000,1500] [seconds-per-step=12]
 *   STEPS: stream counts in order (repeat one to run it several times: 1000,1000,1000).
 *   DTMFGUARD_BENCH_SPARES=0: the relay is not told how many streams to expect (see `spares`);
 *   DTMFGUARD_ALLOC_SITES=1: the relay process's JS allocations by function over each step, to
 *   stderr, bytes a packet (heap-sites.ts; the profiler's own cost makes that step's figures void);
 *   DTMFGUARD_BENCH_PIN=0 leaves both processes to the scheduler's choice of core;
 *   DTMFGUARD_BENCH_PRIORITY=normal: no SCHED_FIFO (see below);
 *   DTMFGUARD_BENCH_PARALLEL_GC=1: V8's default collector; DTMFGUARD_BENCH_V8_FLAGS: other V8 flags
 *   instead of "--single-threaded-gc" and dtmfguard-sim's own (its #! line) (collector experiments, e.g. add --trace-gc-nvp).
 *   DTMFGUARD_BENCH_RELAY_IO=native,dgram (default): the socket paths to run, one child process each,
 *   side by side (firmware-sim/relay/udp-native.ts); the dgram run's figures carry the suffix
 *   `_dgram` and are the reference the native ones are read against. Each line says its `io`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Allocation, pauseMs, startAllocation } from './gc-allocation.ts';
import { printHeapSites, startHeapSites } from './heap-sites.ts';
import { RtpRelay } from '../firmware-sim/relay/rtp-relay.ts';
import { relayLineSignal } from './relay-line-signal.ts';
import { buildRelayLoad, type RelayLoadResult, startRelayLoad } from './relay-load-harness.ts';

/** The V8 flags `dtmfguard-sim` starts with, read from its #! line so the two cannot differ. */
const SIM_V8_FLAGS = readFileSync(new URL('../firmware-sim/bin/dtmfguard-sim.mjs', import.meta.url), 'utf8')
  .split('\n')[0]
  .split(' ')
  .filter((w) => w.startsWith('--'));
// Garbage collection on the event loop thread alone: with parallel GC it waits for V8's helper
// threads, which on a busy machine wait for a CPU themselves (stalls of 50+ ms measured). And the
// collector as `dtmfguard-sim` starts it (its #! line: no memory reducer, a fixed young
// generation). A V8 flag must be given at start-up (set later, it aborts V8 or reaches only
// isolates made after it): run again with them.
// One child per socket path (DTMFGUARD_RELAY_IO is read by the relay), one after the other.
if (process.env.DTMFGUARD_BENCH_RELAY_CHILD !== '1') {
  const parallel = process.env.DTMFGUARD_BENCH_PARALLEL_GC === '1';
  const flags = parallel ? [] : (process.env.DTMFGUARD_BENCH_V8_FLAGS ?? `--single-threaded-gc ${SIM_V8_FLAGS.join(' ')}`).split(' ').filter(Boolean);
  const paths = (process.env.DTMFGUARD_BENCH_RELAY_IO ?? 'native,dgram').split(',').filter(Boolean);
  let status = 0;
  for (const io of paths) {
    if (io !== 'native' && io !== 'dgram') {
      process.stderr.write(`relay bench: DTMFGUARD_BENCH_RELAY_IO names ${JSON.stringify(io)}; use native, dgram or both (native,dgram)\n`);
      process.exit(2);
    }
    const r = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, DTMFGUARD_BENCH_RELAY_CHILD: '1', DTMFGUARD_RELAY_IO: io, DTMFGUARD_BENCH_RELAY_SUFFIX: paths.length > 1 && io === 'dgram' ? '_dgram' : '' },
    });
    status = Math.max(status, r.status ?? 1);
  }
  process.exit(status);
}
const nameSuffix = process.env.DTMFGUARD_BENCH_RELAY_SUFFIX ?? '';
/** The socket path the relays took (native needs the addon: scripts/build-native.sh). */
let ioPath = 'unknown';

const DEFAULT_STEPS = [250, 500, 1000, 1500];
const stepsArg = process.argv[2] ?? DEFAULT_STEPS.join(',');
const below = DEFAULT_STEPS.filter((n) => n <= Number(stepsArg));
const STEPS = stepsArg.includes(',') ? stepsArg.split(',').map(Number) : below.length ? below : [Number(stepsArg)];
if (!STEPS.every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write(`relay bench: ${JSON.stringify(stepsArg)} is not a stream count or a comma-separated list of them, e.g. 250,500,1000\n`);
  process.exit(2);
}
const stepSeconds = Number(process.argv[3] ?? 12);
const WARMUP_S = 2;
/**
 * One RtpRelay, one listen port, every caller's stream told apart by SSRC: how `dtmfguard-sim
 * relay` and the board's SIP edge (firmware-sim/channel/sip-edge.ts) carry many streams.
 * DTMFGUARD_BENCH_ONE_PORT=0: one RtpRelay (three sockets) per stream instead.
 */
const onePort = process.env.DTMFGUARD_BENCH_ONE_PORT !== '0';
/**
 * The relay is told how many streams to expect (`streams`, `dtmfguard-sim relay --streams`): their
 * state is made and promoted at its start, not when the step's streams all start in the same 20 ms.
 * DTMFGUARD_BENCH_SPARES=0: not told (a relay started without --streams).
 */
const spares = process.env.DTMFGUARD_BENCH_SPARES !== '0';
const LOOKAHEAD_MS = 40;
const pin = process.env.DTMFGUARD_BENCH_PIN !== '0' && cpus().length >= 2;

const work = mkdtempSync(join(tmpdir(), 'dtmfguard-bench-relay-'));
const audioFile = join(work, 'line.alaw');
writeFileSync(audioFile, relayLineSignal('alaw'));
const bin = buildRelayLoad();
// A shared machine (load average above the core count) with the kernel's autogroup scheduling:
// processes of this session compete with other sessions' as one group, whatever their niceness
// (measured, a 50%-duty C loop on CPU 0 at load 12: 8-80 ms stalls at nice 0, 27-866 ms at nice -20,
// 0.3 ms under SCHED_FIFO). So both ends run under SCHED_FIFO, as a media relay does in production
// (rtpengine, Asterisk -p): the generator (one thread) on CPU 1, the relay's event loop thread on
// CPU 0, only while a step is measured. Only that thread: V8's helper threads stay at normal
// priority on either CPU, or the event loop could spin forever waiting for a helper that a
// same-priority thread on the same core never lets run (a livelock seen once with every thread
// real-time). Safety: RLIMIT_RTTIME signals a real-time thread that runs 1 s without sleeping
// (the relay not keeping up; the step has failed by then) and kills it at 5 s; the kernel's
// real-time throttling leaves other work 5% of each core. DTMFGUARD_BENCH_PRIORITY=normal: neither.
const pid = String(process.pid);

const realtime = process.env.DTMFGUARD_BENCH_PRIORITY !== 'normal';
let priority = 'normal';
let saturated = false;
if (realtime) {
  try {
    execFileSync('chrt', ['-f', '10', 'true'], { stdio: 'ignore' });
    execFileSync('prlimit', [`--pid=${pid}`, '--rttime=1000000:5000000'], { stdio: 'ignore' });
    priority = 'SCHED_FIFO';
    process.on('SIGXCPU', () => {
      saturated = true;
      setRealtime(false);
    });
  } catch {
    process.stderr.write('relay bench: cannot use SCHED_FIFO (not privileged); running at the default priority\n');
  }
}
function setRealtime(on: boolean): void {
  if (priority !== 'SCHED_FIFO') return;
  execFileSync('chrt', on ? ['-f', '-p', '10', pid] : ['-o', '-p', '0', pid], { stdio: 'ignore' });
}
// The event loop thread on CPU 0 (taskset without -a: that thread only).
if (pin) execFileSync('taskset', ['-cp', '0', pid], { stdio: 'ignore' });

/** The relay process's own stalls (GC, or the machine not running it): its event loop's delay. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

interface Step {
  streams: number;
  /** Every measured packet on both sides, once, within lookahead + 1 ms. */
  ok: boolean;
  /** Nothing lost or duplicated, and the p99 added delay within lookahead + 1 ms. */
  okP99: boolean;
  res: RelayLoadResult;
  /** Share of one core the relay process used. */
  cpu: number;
  /** Relay CPU time per datagram received, µs. */
  usPerPacket: number;
  /** What the relay process allocated on the JS heap over the step, and its collections (none with DTMFGUARD_ALLOC_SITES). */
  alloc?: Allocation;
  why: string;
}

async function step(n: number): Promise<Step> {
  const load = await startRelayLoad(bin, { streams: n, seconds: stepSeconds, lookaheadMs: LOOKAHEAD_MS, warmupSeconds: WARMUP_S, payloadType: 8, audioFile, cpus: pin ? '1' : undefined, realtime: priority === 'SCHED_FIFO' });
  const relays = Array.from(
    { length: onePort ? 1 : n },
    () => new RtpRelay({ listen: '127.0.0.1:0', forward: `127.0.0.1:${load.forwardPort}`, mirror: `127.0.0.1:${load.mirrorPort}`, secure: true, lookaheadMs: LOOKAHEAD_MS, maskTone: '#', streams: onePort && spares ? n : 0 }),
  );
  let res: RelayLoadResult;
  let packets = 0;
  let used: NodeJS.CpuUsage;
  let wall: number;
  let alloc: Allocation | undefined;
  const counts = { late: 0, lost: 0, duplicates: 0, masked: 0, sendErrors: 0 };
  try {
    const ports = [];
    for (const r of relays) ports.push((await r.start()).port);
    ioPath = relays[0].io ?? 'unknown';
    // One port: every caller's stream to the one relay, told apart by SSRC (as the board's SIP edge).
    if (onePort) for (let k = 1; k < n; k++) ports.push(ports[0]);
    (globalThis as { gc?: () => void }).gc?.(); // the set-up's garbage is not the run's
    loopDelay.reset();
    loopDelay.enable();
    saturated = false;
    setRealtime(true);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const sites = await startHeapSites();
    // Not with the sampling profiler: starting it drops optimised code, so its step measures less optimised code.
    const allocation = sites ? undefined : startAllocation();
    res = await load.start(ports);
    alloc = allocation?.stop();
    used = process.cpuUsage(cpu0);
    setRealtime(false);
    loopDelay.disable();
    wall = performance.now() - wall0;
    // Per packet sent by the generator (n streams of 20 ms over the step).
    if (sites) await printHeapSites(sites, (n * stepSeconds * 1000) / 20, 'packet', 25);
    for (const r of relays) {
      const s = r.stats();
      packets += s.datagramsIn;
      counts.late += s.late;
      counts.lost += s.lost;
      counts.duplicates += s.duplicates;
      counts.masked += s.audioMasked;
      counts.sendErrors += s.sendErrors;
    }
  } finally {
    setRealtime(false);
    load.kill();
    await Promise.all(relays.map((r) => r.stop()));
  }
  const m = res.measured;
  const g = res.generator;
  // Arrival times are the kernel's (relay-load.c), so only sending late is the generator's fault.
  const generatorBehind = g.max_send_lag_ms > 1;
  const problems = [
    m.late && `${m.late} late`,
    m.lost && `${m.lost} lost`,
    res.duplicates && `${res.duplicates} duplicated`,
    counts.late && `relay dropped ${counts.late} as late`,
    counts.lost && `relay saw ${counts.lost} lost`,
    saturated && 'the relay ran 1 s without a pause (saturated)',
  ].filter(Boolean);
  if (problems.length && generatorBehind) {
    problems.push(`the generator fell behind (sending by ≤ ${g.max_send_lag_ms.toFixed(1)} ms, reading by ≤ ${g.max_receive_lag_ms.toFixed(1)} ms)`);
  }
  const cpu = (used.user + used.system) / 1000 / wall;
  const usPerPacket = (used.user + used.system) / Math.max(1, packets);
  const okP99 = m.lost === 0 && res.duplicates === 0 && counts.lost === 0 && m.p99_ms <= res.limit_ms && !saturated;
  const s: Step = { streams: n, ok: problems.length === 0, okP99, res, cpu, usPerPacket, alloc, why: problems.join(', ') };
  const allocText = alloc
    ? `JS heap allocation ${(alloc.bytes / Math.max(1, res.sent)).toFixed(1)} B per packet sent to it, ${alloc.scavenges.length} young collections (${pauseMs(alloc.scavenges).toFixed(1)} ms), ${alloc.markCompacts.length} full; `
    : '';
  process.stderr.write(
    `relay bench: ${n} streams, ${stepSeconds} s: ${res.sent} sent, received ${res.received.forward} forward + ${res.received.mirror} mirror, ${counts.masked} masked; ` +
      `measured ${m.packets_sent} packets × 2 sides: added delay median ${m.median_ms.toFixed(2)} p99 ${m.p99_ms.toFixed(2)} p99.9 ${m.p999_ms.toFixed(2)} max ${m.max_ms.toFixed(2)} ms, ${m.late} over ${res.limit_ms} ms; ` +
      `warm-up max ${res.warmup.max_ms.toFixed(1)} ms (${res.warmup.late} over); relay event loop stalled ≤ ${(loopDelay.max / 1e6).toFixed(1)} ms (p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}); relay CPU ${(cpu * 100).toFixed(0)}% of a core (${usPerPacket.toFixed(1)} µs per packet in), max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${allocText}` +
      `generator: send lag ≤ ${g.max_send_lag_ms.toFixed(2)} ms, read lag ≤ ${g.max_receive_lag_ms.toFixed(2)} ms, CPU ${g.cpu_s.toFixed(1)} s; ` +
      `${ioPath}, load average ${loadavg()[0].toFixed(1)}${pin ? ', pinned' : ''}, ${priority}${onePort ? ', one port' : ', a relay per stream'}: ${s.ok ? 'ok' : s.okP99 ? `p99 ok; ${s.why}` : s.why}\n`,
  );
  return s;
}

const steps: Step[] = [];
try {
  for (const n of STEPS) steps.push(await step(n));
} finally {
  rmSync(work, { recursive: true, force: true });
}
// The capacity: the largest step passing with every smaller one (steps in increasing order; a
// repeated count must pass every time).
const largestPassing = (pass: (s: Step) => boolean): Step | undefined => {
  let best: Step | undefined;
  for (const st of [...steps].sort((a, b) => a.streams - b.streams)) {
    if (!pass(st)) break;
    best = st;
  }
  return best;
};
const best = largestPassing((s) => s.ok);
const bestP99 = largestPassing((s) => s.okP99);
const shown = best ?? bestP99 ?? steps[0];
const largest = steps.reduce((a, b) => (b.streams >= a.streams ? b : a));
const context = { io: ioPath, load_average: Number(loadavg()[0].toFixed(1)), pinned: pin, priority, one_port: onePort, spare_streams: onePort && spares };

const fig = (name: string, unit: string, value: number, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ name: name + nameSuffix, unit, value: Number(value.toFixed(3)), ...extra, ...context })}\n`);
const at = { streams: shown.streams, passed: shown.ok, passed_p99: shown.okP99, lookahead_ms: LOOKAHEAD_MS };
fig('relay_streams_per_core', 'streams', best?.streams ?? 0, { lookahead_ms: LOOKAHEAD_MS, ptime_ms: 20, codec: 'PCMA', secure: true, mirror: true, reference: 'target', reference_value: 1000 });
fig('relay_streams_per_core_p99', 'streams', bestP99?.streams ?? 0, { lookahead_ms: LOOKAHEAD_MS, criterion: 'nothing lost, p99 added delay within lookahead + 1 ms', reference: 'target', reference_value: 1000 });
fig('relay_added_latency_median', 'ms', shown.res.measured.median_ms, at);
fig('relay_added_latency_p99', 'ms', shown.res.measured.p99_ms, { ...at, reference: 'target', reference_value: LOOKAHEAD_MS + 1 });
fig('relay_added_latency_max', 'ms', shown.res.measured.max_ms, { ...at, reference: 'target', reference_value: LOOKAHEAD_MS + 1 });
fig('relay_cpu_per_packet', 'us', largest.usPerPacket, { streams: largest.streams });
// The young generation's fill rate: each collection pauses the event loop while packets are due.
if (largest.alloc) {
  const a = largest.alloc;
  fig('relay_alloc_per_packet', 'bytes', a.bytes / Math.max(1, largest.res.sent), { streams: largest.streams, young_collections: a.scavenges.length, young_pause_ms: Number(pauseMs(a.scavenges).toFixed(2)) });
}
// What one fully used core carries at that cost (receive, reorder, mask, send twice; 50 packets/s a stream).
fig('relay_streams_per_core_by_cpu', 'streams', Math.floor(1e6 / (largest.usPerPacket * 50)), { streams_measured: largest.streams });
