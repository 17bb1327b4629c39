/**
 * What the capture verifier's reading thread allocates on the JS heap per packet (issue 6: its
 * young collections and V8's helper threads share the two cores with the in-band worker).
 *
 * `verifyCaptureFile` runs in this process on FILE with the default one worker (so the worker's
 * isolate, counted apart, does the in-band work of five streams in six; every sixth stream's stays
 * on this thread, as in the real command); `--workers 0` runs everything here. Bytes are counted
 * with v8.GCProfiler over the whole verification: the heap's used size before each collection less
 * its size after the previous one, plus the growth after the last (the same method as the relay's
 * scripts/relay-alloc.ts). Collections run on this thread alone (--single-threaded-gc; the script
 * restarts itself with the flag) so the figures repeat.
 *
 * Usage: npx tsx scripts/bench-verify-alloc.ts FILE [--workers N] [--main-every N]
 *   DTMFGUARD_ALLOC_SITES=1: also V8's sampling heap profiler, collected objects included, to
 *   stderr: the functions that allocate, bytes a packet each (a sample every 1 KiB allocated).
 * Prints one JSON line: bytes a packet, scavenges and mark-compacts with their pauses, CPU a packet
 * of the whole process and of the reading thread alone (`/proc/self/task`, 10 ms ticks).
 */
import { spawnSync } from 'node:child_process';
import { startHeapSites, printHeapSites } from './heap-sites.ts';
import { readFileSync } from 'node:fs';
import { GCProfiler } from 'node:v8';
import { verifyCaptureFile } from '../src/verify/capture-verify.ts';

if (process.env.DTMFGUARD_ALLOC_CHILD !== '1') {
  const r = spawnSync(process.execPath, ['--single-threaded-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, DTMFGUARD_ALLOC_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npx tsx scripts/bench-verify-alloc.ts FILE [--workers N] [--main-every N]\n');
  process.exit(2);
}
const w = process.argv.indexOf('--workers');
const workers = w > 0 ? Number(process.argv[w + 1]) : undefined;
const m = process.argv.indexOf('--main-every');
const mainEvery = m > 0 ? Number(process.argv[m + 1]) : undefined;

interface GcStat {
  gcType: string;
  cost: number;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

const used = (): number => process.memoryUsage().heapUsed;
/** CPU seconds of this (the reading) thread alone, collections included (they run on it here). */
const threadCpu = (): number => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
};
const sites = await startHeapSites();
const profiler = new GCProfiler();
profiler.start();
const used0 = used();
const cpu0 = process.cpuUsage();
const thread0 = threadCpu();
const t0 = process.hrtime.bigint();
const verdict = await verifyCaptureFile(file, { maskTone: '#', ...(workers !== undefined ? { workers } : {}), ...(mainEvery !== undefined ? { mainEvery } : {}) });
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const threadS = threadCpu() - thread0;
const used1 = used();
const stats = (profiler.stop() as unknown as { statistics: GcStat[] }).statistics;
const packets = verdict.capture!.packets;
if (sites) await printHeapSites(sites, packets);

let allocated = 0;
let prev = used0;
let scavenges = 0;
let scavengeMs = 0;
let markCompacts = 0;
let markCompactMs = 0;
for (const g of stats) {
  allocated += g.beforeGC.heapStatistics.usedHeapSize - prev;
  prev = g.afterGC.heapStatistics.usedHeapSize;
  if (g.gcType === 'Scavenge' || g.gcType === 'MinorMarkSweep') {
    scavenges++;
    scavengeMs += g.cost / 1000;
  } else if (g.gcType === 'MarkSweepCompact') {
    markCompacts++;
    markCompactMs += g.cost / 1000;
  }
}
allocated += used1 - prev;
process.stdout.write(`${JSON.stringify({
  packets,
  wallS: Math.round(wallS * 1000) / 1000,
  digits: verdict.digits.length,
  bytesPerPacket: Math.round((allocated / packets) * 10) / 10,
  scavenges,
  scavengeMs: Math.round(scavengeMs),
  markCompacts,
  markCompactMs: Math.round(markCompactMs),
  cpuUsPerPacket: Math.round(((cpu.user + cpu.system) / packets) * 100) / 100,
  readingThreadUsPerPacket: Math.round((threadS / packets) * 1e8) / 100,
})}\n`);
