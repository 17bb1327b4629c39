/**
 * What a stretch of code allocates on the JS heap, for relay-alloc.ts and bench-verify-alloc.ts:
 * v8.GCProfiler over the stretch, bytes counted as the heap's used size before each collection less
 * its size after the previous one, plus the growth after the last. Collections must run on the
 * measuring thread alone for the figures to repeat, so the script first restarts itself with
 * --single-threaded-gc (`restartWithSingleThreadedGc`).
 */
import { spawnSync } from 'node:child_process';
import { GCProfiler } from 'node:v8';

export interface HeapStats {
  heapStatistics: { usedHeapSize: number };
  heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[];
}

export interface GcStat {
  gcType: string;
  /** µs. */
  cost: number;
  beforeGC: HeapStats;
  afterGC: HeapStats;
}

export interface Allocation {
  bytes: number;
  scavenges: GcStat[];
  markCompacts: GcStat[];
}

/** In the first process: runs this script again with --single-threaded-gc and exits with its status. */
export function restartWithSingleThreadedGc(): void {
  if (process.env.DTMFGUARD_ALLOC_CHILD === '1') return;
  const r = spawnSync(process.execPath, ['--single-threaded-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, DTMFGUARD_ALLOC_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

/** Starts counting; `stop()` ends it and returns what was allocated and collected since. */
export function startAllocation(): { stop(): Allocation } {
  const used = (): number => process.memoryUsage().heapUsed;
  const profiler = new GCProfiler();
  profiler.start();
  const used0 = used();
  return {
    stop(): Allocation {
      const used1 = used();
      const stats = (profiler.stop() as unknown as { statistics: GcStat[] }).statistics;
      let bytes = 0;
      let prev = used0;
      const scavenges: GcStat[] = [];
      const markCompacts: GcStat[] = [];
      for (const g of stats) {
        bytes += g.beforeGC.heapStatistics.usedHeapSize - prev;
        prev = g.afterGC.heapStatistics.usedHeapSize;
        if (g.gcType === 'Scavenge' || g.gcType === 'MinorMarkSweep') scavenges.push(g);
        else if (g.gcType === 'MarkSweepCompact') markCompacts.push(g);
      }
      return { bytes: bytes + used1 - prev, scavenges, markCompacts };
    },
  };
}

/** Total pause of these collections, ms. */
export function pauseMs(gcs: GcStat[]): number {
  return gcs.reduce((a, g) => a + g.cost, 0) / 1000;
}
