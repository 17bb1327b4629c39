/**
 * What the capture verifier's reading thread allocates on the JS heap per packet (issue 6: its
 * young collections and V8's helper threads share the two cores with the in-band worker).
 *
 * `verifyCaptureFile` runs in this process on FILE with the default one worker (so the worker's
 * isolate, counted apart, does the in-band work of three streams in four; every fourth stream's
 * stays on this thread, as in the real command: `mainThreadEvery` in src/verify/capture-verify.ts); `--workers 0` runs everything here. Bytes are counted
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
import { readFileSync } from 'node:fs';
import { pauseMs, restartWithSingleThreadedGc, startAllocation } from './gc-allocation.ts';
import { printHeapSites, startHeapSites } from './heap-sites.ts';
import { verifyCaptureFile } from '../src/verify/capture-verify.ts';

restartWithSingleThreadedGc();

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npx tsx scripts/bench-verify-alloc.ts FILE [--workers N] [--main-every N]\n');
  process.exit(2);
}
const w = process.argv.indexOf('--workers');
const workers = w > 0 ? Number(process.argv[w + 1]) : undefined;
const m = process.argv.indexOf('--main-every');
const mainEvery = m > 0 ? Number(process.argv[m + 1]) : undefined;

/** CPU seconds of this (the reading) thread alone, collections included (they run on it here). */
const threadCpu = (): number => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
};
const sites = await startHeapSites();
const allocation = startAllocation();
const cpu0 = process.cpuUsage();
const thread0 = threadCpu();
const t0 = process.hrtime.bigint();
const verdict = await verifyCaptureFile(file, { maskTone: '#', ...(workers !== undefined ? { workers } : {}), ...(mainEvery !== undefined ? { mainEvery } : {}) });
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const threadS = threadCpu() - thread0;
const { bytes: allocated, scavenges, markCompacts } = allocation.stop();
const packets = verdict.capture!.packets;
if (sites) await printHeapSites(sites, packets);

process.stdout.write(`${JSON.stringify({
  packets,
  wallS: Math.round(wallS * 1000) / 1000,
  digits: verdict.digits.length,
  bytesPerPacket: Math.round((allocated / packets) * 10) / 10,
  scavenges: scavenges.length,
  scavengeMs: Math.round(pauseMs(scavenges)),
  markCompacts: markCompacts.length,
  markCompactMs: Math.round(pauseMs(markCompacts)),
  cpuUsPerPacket: Math.round(((cpu.user + cpu.system) / packets) * 100) / 100,
  readingThreadUsPerPacket: Math.round((threadS / packets) * 1e8) / 100,
})}\n`);
