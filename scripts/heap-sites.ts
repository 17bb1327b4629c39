/**
 * Where a benchmark's JS heap allocations come from (DTMFGUARD_ALLOC_SITES=1 in relay-alloc.ts and
 * bench-verify-alloc.ts): V8's sampling heap profiler, collected objects included (a sample every
 * 1 KiB allocated, so figures under ~50 bytes a unit are rough), summed by function.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

/** Starts sampling when DTMFGUARD_ALLOC_SITES=1; the session to hand to `printHeapSites`, else undefined. */
export async function startHeapSites(): Promise<Session | undefined> {
  if (process.env.DTMFGUARD_ALLOC_SITES !== '1') return undefined;
  const s = new Session();
  s.connect();
  await s.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return s;
}

/** Stops sampling and writes the `top` allocating functions to stderr, bytes per `unit` each (`units` of them were measured). */
export async function printHeapSites(s: Session, units: number, unit = 'packet', top = 30): Promise<void> {
  const { profile } = (await s.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  const bySite = new Map<string, number>();
  const name = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} (${n.callFrame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '') || 'builtin'})`;
  // A builtin (subarray, set, BigInt) is named with its caller.
  const walk = (n: ProfileNode, parent: string): void => {
    const key = n.callFrame.url ? name(n) : `${name(n)} in ${parent}`;
    if (n.selfSize) bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, n.callFrame.url ? name(n) : parent);
  };
  walk(profile.head, '');
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stderr.write(`${(v / units).toFixed(1).padStart(8)} B/${unit}  ${k}\n`);
}
