/**
 * What the relay's native packet path allocates on the JS heap per packet, without sockets, so the
 * figure is repeatable (issue 4: every young-generation collection pauses the event loop, and a
 * pause of over ~1 ms makes packets late, since a packet leaves exactly when the one a lookahead
 * later arrives).
 *
 * 1,000 streams (STREAMS) are driven by relay-drive.ts: 20 ms PCMU in secure mode with a mirror,
 * through the native path's own entry points, under a fake clock. The driver itself allocates
 * nothing per packet (DTMFGUARD_ALLOC_DRIVER_ONLY=1 measures it alone).
 *
 * Bytes are counted with v8.GCProfiler over the measured part: the heap's used size before each
 * collection less its size after the previous one, plus the growth after the last; collections
 * run on the main thread alone (--single-threaded-gc, as in bench-relay), and the script restarts
 * itself with that flag.
 *
 * Usage: npx tsx scripts/relay-alloc.ts [warm-up rounds=100] [measured rounds=600]
 *   DTMFGUARD_ALLOC_SITES=1: also V8's sampling heap profiler over the measured part, collected
 *   objects included, to stderr: the functions that allocate, bytes a packet each (a sample every
 *   1 KiB allocated, so figures under ~50 bytes a packet are rough).
 * Prints one JSON line: bytes a packet, scavenges and mark-compacts with their pauses, what
 * survived each scavenge, CPU per packet.
 */
import { printHeapSites, startHeapSites } from './heap-sites.ts';
import { type HeapStats, pauseMs, restartWithSingleThreadedGc, startAllocation } from './gc-allocation.ts';
import { maskerImplementation, relayDrive } from './relay-drive.ts';

restartWithSingleThreadedGc();

const STREAMS = Number(process.env.STREAMS ?? 1000);
const WARMUP_ROUNDS = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 600);
const driverOnly = process.env.DTMFGUARD_ALLOC_DRIVER_ONLY === '1';
const { io, round } = relayDrive({ streams: STREAMS, driverOnly });

for (let r = 0; r < WARMUP_ROUNDS; r++) round(r);

const sites = await startHeapSites();
const allocation = startAllocation();
const sends0 = io.sent;
const cpu0 = process.cpuUsage();
for (let r = WARMUP_ROUNDS; r < WARMUP_ROUNDS + ROUNDS; r++) round(r);
const cpu = process.cpuUsage(cpu0);
const { bytes: allocated, scavenges, markCompacts } = allocation.stop();
if (sites) await printHeapSites(sites, ROUNDS * STREAMS, 'packet', 25);
const packets = ROUNDS * STREAMS;
const newSpace = (h: HeapStats) => h.heapSpaceStatistics.find((s) => s.spaceName === 'new_space')?.spaceUsedSize ?? 0;
const out = {
  name: driverOnly ? 'relay_alloc_driver_only' : 'relay_alloc',
  streams: STREAMS,
  packets,
  bytes_per_packet: Number((allocated / packets).toFixed(1)),
  scavenges: scavenges.length,
  scavenge_ms_total: Number(pauseMs(scavenges).toFixed(2)),
  scavenge_ms_max: Number((Math.max(0, ...scavenges.map((g) => g.cost)) / 1000).toFixed(3)),
  survived_kb_per_scavenge: Number((scavenges.reduce((a, g) => a + newSpace(g.afterGC), 0) / Math.max(1, scavenges.length) / 1024).toFixed(1)),
  mark_compacts: markCompacts.length,
  mark_compact_ms_total: Number(pauseMs(markCompacts).toFixed(2)),
  cpu_us_per_packet: Number(((cpu.user + cpu.system) / packets).toFixed(3)),
  sent_per_packet: Number(((io.sent - sends0) / packets).toFixed(3)),
  masked: io.relay.stats().audioMasked,
  masker: maskerImplementation(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
await io.relay.stop();
