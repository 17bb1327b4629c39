/**
 * What the relay's native packet path allocates on the JS heap per packet, without sockets, so the
 * figure is repeatable (issue 4: every young-generation collection pauses the event loop, and a
 * pause of over ~1 ms makes packets late, since a packet leaves exactly when the one a lookahead
 * later arrives).
 *
 * 1,000 streams (STREAMS) of 20 ms PCMU in secure mode with a mirror, a quiet line with a digit
 * every 2 s (the masker masks), are driven through the native path's own entry points (the receive
 * batch and the release timer of udp-native.ts) by a stand-in for the addon: datagrams are written
 * into the relay's receive buffer as recvmmsg would, 32 a batch, and the relay's sends go nowhere.
 * Time is a fake clock: round r of packets at 20·r ms, stream i 20·i/STREAMS ms into it. The
 * driver itself allocates nothing per packet (DTMFGUARD_ALLOC_DRIVER_ONLY=1 measures it alone).
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
import { RECV_SLOT_BYTES } from '../firmware-sim/relay/udp-native.ts';
import { relayOnStandIn } from './udp-batch-stand-in.ts';
import { DTMF_KEYS } from '../src/dsp/dtmf-keys.ts';
import { encodeG711 } from '../src/dsp/g711.ts';
import { G711Masker } from '../src/dsp/masker.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../src/dsp/generator.ts';

restartWithSingleThreadedGc();

const STREAMS = Number(process.env.STREAMS ?? 1000);
const WARMUP_ROUNDS = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 600);
const driverOnly = process.env.DTMFGUARD_ALLOC_DRIVER_ONLY === '1';
const PTIME = 160;
const BATCH = 32;

/** 10 s of a quiet line with a digit every 2 s, µ-law (as bench-relay's, in the other law). */
function signal(): Uint8Array {
  const parts: Float64Array[] = [];
  for (let k = 0; k < 5; k++) parts.push(silence(1900), dtmfTone({ key: DTMF_KEYS[(k * 5) % 16], durationMs: 100, levelDbm0: -10 }));
  const clean = concat(...parts);
  return encodeG711('ulaw', toInt16(mix(clean, whiteNoise(clean.length / 8, -45, 11))));
}
const line = signal();

function maskerImplementation(): 'kernel' | 'js' {
  const m = new G711Masker('ulaw', { maskTone: '#' });
  const kind = m.implementation;
  m.dispose();
  return kind;
}
const LINE_PACKETS = Math.floor(line.length / PTIME);

let now = 0;
// The driver hands over every datagram it writes at once: nothing ever waits in this socket.
const io = relayOnStandIn({ listen: '127.0.0.1:0', forward: '127.0.0.1:9', mirror: '127.0.0.1:9', secure: true, lookaheadMs: 40 }, () => now, () => false);
const { bytes, lengths, ages } = io.recv;
if (lengths.length < BATCH) throw new Error(`receive buffer of ${lengths.length} slots`);

const ssrcs = new Uint32Array(STREAMS);
for (let i = 0; i < STREAMS; i++) ssrcs[i] = (Math.imul(0x9e3779b9, i + 1) ^ 0x5bd1e995) >>> 0;
/** Each stream starts its line at its own point, so digits do not come all at once. */
const lineOffset = new Int32Array(STREAMS);
for (let i = 0; i < STREAMS; i++) lineOffset[i] = (i * 37) % LINE_PACKETS;
/**
 * Each stream's first timestamp, as a sender picks it: random over 32 bits (RFC 3550 §5.1), so half
 * the streams' timestamps are 2^31 or more, as their SSRCs are; the relay must not pay for that.
 */
const tsBase = new Uint32Array(STREAMS);
for (let i = 0; i < STREAMS; i++) tsBase[i] = Math.imul(0x85ebca6b, i + 7) >>> 0;

/** Writes round r's packet of stream i into receive slot k (RFC 3550 §5.1 fixed header, PT 0), no allocation. */
function write(k: number, i: number, r: number): void {
  const o = k * RECV_SLOT_BYTES;
  const seq = (r + i) & 0xffff;
  const ts = (tsBase[i] + Math.imul(r, PTIME)) >>> 0;
  const ssrc = ssrcs[i];
  bytes[o] = 0x80;
  bytes[o + 1] = r === 0 ? 0x80 : 0x00;
  bytes[o + 2] = seq >> 8;
  bytes[o + 3] = seq & 0xff;
  bytes[o + 4] = ts >>> 24;
  bytes[o + 5] = (ts >>> 16) & 0xff;
  bytes[o + 6] = (ts >>> 8) & 0xff;
  bytes[o + 7] = ts & 0xff;
  bytes[o + 8] = ssrc >>> 24;
  bytes[o + 9] = (ssrc >>> 16) & 0xff;
  bytes[o + 10] = (ssrc >>> 8) & 0xff;
  bytes[o + 11] = ssrc & 0xff;
  const from = ((lineOffset[i] + r) % LINE_PACKETS) * PTIME;
  for (let j = 0; j < PTIME; j++) bytes[o + 12 + j] = line[from + j];
  lengths[k] = 12 + PTIME;
}

/** Round r: every stream's packet, in batches as recvmmsg would hand them over; the release timer fires when due. */
function round(r: number): void {
  const t0 = r * 20;
  for (let first = 0; first < STREAMS; first += BATCH) {
    const n = Math.min(BATCH, STREAMS - first);
    const at = t0 + ((first + n - 1) * 20) / STREAMS;
    if (!driverOnly && io.timerAt <= at) {
      now = io.timerAt;
      io.timerAt = Infinity;
      io.onTimer();
    }
    now = at;
    for (let k = 0; k < n; k++) {
      write(k, first + k, r);
      ages[k] = at - (t0 + ((first + k) * 20) / STREAMS);
    }
    if (!driverOnly) io.onRecv(n);
  }
}

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
  /** The masker's implementation: the JS reference allocates some 90 bytes a packet more than the kernel. */
  masker: maskerImplementation(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
await io.relay.stop();
