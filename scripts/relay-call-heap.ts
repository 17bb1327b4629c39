/**
 * Memory a new call leaves behind in the relay, per call: what the collector must copy and promote
 * when a thousand calls start together (issue 4; docs/benchmarks.md, RTP relay). On state made at
 * the call's first packet, some 50 objects a stream; on a spare stream's (RtpRelay `streams`), what
 * its reset masker, its held slots' views and its release record leave: next to nothing.
 *
 * relay-drive.ts runs STREAMS calls (default 1,000) for WARM-UP rounds of 20 ms; then, three times,
 * their senders are replaced by as many new calls (new SSRCs) and ROUNDS more rounds run. The JS
 * heap in use and the memory outside it (external, and of it the ArrayBuffers) are read after a
 * full collection before and after each set of new calls, and divided by their number. The old
 * calls are not swept: their state stays, so the difference is the new calls' own, plus whatever
 * of the relay's containers (the stream map, the release queue) doubled during the set. Those
 * double rarely, so the smallest of the three sets is the figure (all three are printed).
 *
 * Usage: npx tsx scripts/relay-call-heap.ts [warm-up rounds=100] [rounds=5]
 *   SPARES: the relay's `streams` (default 4·STREAMS: the first calls take a quarter, each set of
 *   new calls another); SPARES=0 measures calls on fresh state.
 * Prints one JSON line.
 */
import { collectGarbageNow } from '../firmware-sim/relay/collect-now.ts';
import { maskerImplementation, relayDrive } from './relay-drive.ts';

const STREAMS = Number(process.env.STREAMS ?? 1000);
const SETS = 3;
const SPARES = Number(process.env.SPARES ?? (1 + SETS) * STREAMS);
const WARMUP_ROUNDS = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 5);

const { io, round, renew } = relayDrive({ streams: STREAMS, spares: SPARES });
for (let r = 0; r < WARMUP_ROUNDS; r++) round(r);

/** The JS heap in use and the memory outside it, after a full collection (twice: finalizers run in between). */
function settled(): { heap: number; external: number; arrayBuffers: number } {
  collectGarbageNow();
  collectGarbageNow();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

type Memory = ReturnType<typeof settled>;
const sets: Memory[] = [];
let r = WARMUP_ROUNDS;
for (let k = 0; k < SETS; k++) {
  const before = settled();
  const streams0 = io.relay.stats().streams;
  renew(STREAMS);
  for (const end = r + ROUNDS; r < end; r++) round(r);
  const after = settled();
  const calls = io.relay.stats().streams - streams0;
  if (calls !== STREAMS) throw new Error(`${calls} new streams, not ${STREAMS}`);
  sets.push({ heap: (after.heap - before.heap) / calls, external: (after.external - before.external) / calls, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / calls });
}
const least = (k: keyof Memory) => Math.round(Math.min(...sets.map((m) => m[k])));
process.stdout.write(
  `${JSON.stringify({
    name: 'relay_call_heap',
    streams: STREAMS,
    spares: SPARES,
    new_calls: STREAMS,
    js_bytes_per_call: least('heap'),
    outside_bytes_per_call: least('external'),
    array_buffer_bytes_per_call: least('arrayBuffers'),
    js_bytes_per_call_each_set: sets.map((m) => Math.round(m.heap)),
    masker: maskerImplementation(),
  })}\n`,
);
await io.relay.stop();
