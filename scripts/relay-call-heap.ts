/**
 * Memory a new call leaves behind in the relay, per call: what the collector must copy and promote
 * when a thousand calls start together (issue 4; docs/benchmarks.md, RTP relay). On state made at
 * the call's first packet, some 50 objects a stream; on a spare stream's (RtpRelay `streams`), what
 * its reset masker, its held slots' views and its release record leave: next to nothing.
 *
 * relay-drive.ts runs STREAMS calls (default 1,000) for WARM-UP rounds of 20 ms; then their senders
 * are replaced by as many new calls (new SSRCs) and ROUNDS more rounds run. The JS heap in use and
 * the memory outside it (external, and of it the ArrayBuffers) are read after a full collection
 * before and after the new calls, and divided by their number. The old calls are not swept: their
 * state stays, so the difference is the new calls' alone.
 *
 * Usage: npx tsx scripts/relay-call-heap.ts [warm-up rounds=100] [rounds=5]
 *   SPARES: the relay's `streams` (default 2·STREAMS: the first calls take half, the new calls the
 *   rest); SPARES=0 measures calls on fresh state.
 * Prints one JSON line.
 */
import { collectGarbageNow } from '../firmware-sim/relay/collect-now.ts';
import { maskerImplementation, relayDrive } from './relay-drive.ts';

const STREAMS = Number(process.env.STREAMS ?? 1000);
const SPARES = Number(process.env.SPARES ?? 2 * STREAMS);
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

const before = settled();
const streams0 = io.relay.stats().streams;
renew(STREAMS);
for (let r = WARMUP_ROUNDS; r < WARMUP_ROUNDS + ROUNDS; r++) round(r);
const after = settled();
const calls = io.relay.stats().streams - streams0;
if (calls !== STREAMS) throw new Error(`${calls} new streams, not ${STREAMS}`);
const per = (k: keyof typeof before) => Math.round((after[k] - before[k]) / calls);
process.stdout.write(
  `${JSON.stringify({
    name: 'relay_call_heap',
    streams: STREAMS,
    spares: SPARES,
    new_calls: calls,
    js_bytes_per_call: per('heap'),
    outside_bytes_per_call: per('external'),
    array_buffer_bytes_per_call: per('arrayBuffers'),
    masker: maskerImplementation(),
  })}\n`,
);
await io.relay.stop();
