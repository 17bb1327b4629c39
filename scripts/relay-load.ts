/**
 * Load generator for scripts/bench-relay.ts, run in a child process (child_process.fork) so the
 * relay's core is measured on its own: N callers each sending 20 ms G.711 A-law packets on their
 * own packet clock to their own relay port, and the agent side receiving what comes back, which
 * gives the end-to-end added delay of every packet (both ends on this process's clock).
 *
 * IPC: parent → {cmd:'run', ports, durationMs}; child → {event:'ready'}, {event:'result', ...}.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodeG711 } from '../src/dsp/g711.ts';
import { DTMF_KEYS } from '../src/dsp/dtmf-keys.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../src/dsp/generator.ts';

const PTIME_MS = 20;
const PKT = 160;
const SEQS = 1 << 12; // per-stream ring of send times, indexed by sequence number

/** 10 s of a quiet line with a digit every 2 s: each stream starts at its own offset in it. */
function signal(): Uint8Array {
  const parts: Float64Array[] = [];
  for (let k = 0; k < 5; k++) parts.push(silence(1900), dtmfTone({ key: DTMF_KEYS[(k * 5) % 16], durationMs: 100, levelDbm0: -10 }));
  const clean = concat(...parts);
  return encodeG711('alaw', toInt16(mix(clean, whiteNoise(clean.length / 8, -45, 11))));
}

interface RunCmd {
  cmd: 'run';
  ports: number[];
  durationMs: number;
  ssrcBase: number;
}

const audio = signal();
let senders: Socket[] = [];
const sink = createSocket('udp4');
let sentAt = new Float64Array(0);
let latencies = new Float64Array(0);
let received = 0;
let timed = 0;
let lastTimedSeq = 0;
let ssrcBase = 0;

sink.on('message', (msg) => {
  const now = performance.now();
  const stream = msg.readUInt32BE(8) - ssrcBase;
  const seq = msg.readUInt16BE(2);
  const t = sentAt[stream * SEQS + (seq % SEQS)];
  received++;
  // The last packets of a stream have no audio after them: they leave at their deadline, which is
  // loss handling, not the steady-state delay being measured.
  if (seq < lastTimedSeq && timed < latencies.length) latencies[timed++] = now - t;
});

async function run(c: RunCmd): Promise<void> {
  const n = c.ports.length;
  // One connected socket per caller, as a phone would have: no address lookup per send.
  for (const s of senders) s.close();
  senders = await Promise.all(
    c.ports.map(
      (port) =>
        new Promise<Socket>((resolve) => {
          const s = createSocket('udp4');
          s.bind(0, '127.0.0.1', () => s.connect(port, '127.0.0.1', () => resolve(s)));
        }),
    ),
  );
  ssrcBase = c.ssrcBase;
  sentAt = new Float64Array(n * SEQS);
  const perStream = Math.ceil(c.durationMs / PTIME_MS);
  latencies = new Float64Array(n * perStream);
  received = 0;
  timed = 0;
  lastTimedSeq = perStream - 3;
  const packets = c.ports.map((_, k) => {
    const b = Buffer.alloc(12 + PKT);
    b[0] = 0x80;
    b[1] = 8; // PCMA (RFC 3551)
    b.writeUInt32BE((c.ssrcBase + k) >>> 0, 8);
    return b;
  });
  const t0 = performance.now() + 20;
  // Stream k sends at t0 + k·20/n + 20·i: the streams' packet clocks spread evenly over 20 ms.
  const next = new Float64Array(n).map((_, k) => t0 + (k * PTIME_MS) / n);
  const count = new Uint32Array(n);
  let sent = 0;
  let maxSendLag = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      let pendingStreams = 0;
      for (let k = 0; k < n; k++) {
        if (count[k] >= perStream) continue;
        pendingStreams++;
        if (next[k] > now) continue;
        maxSendLag = Math.max(maxSendLag, now - next[k]);
        const i = count[k]++;
        const b = packets[k];
        const seq = i & 0xffff;
        b.writeUInt16BE(seq, 2);
        b.writeUInt32BE((i * PKT) >>> 0, 4);
        const off = ((k * 7919 + i) * PKT) % (audio.length - PKT);
        b.set(audio.subarray(off, off + PKT), 12);
        sentAt[k * SEQS + (seq % SEQS)] = performance.now();
        // A fresh copy per send: the socket may still hold the previous one.
        senders[k].send(Buffer.from(b));
        sent++;
        next[k] += PTIME_MS;
      }
      if (pendingStreams === 0) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // The last packets of each stream leave the relay at their deadline (no audio follows them).
  await new Promise((r) => setTimeout(r, 500));
  const lat = Array.from(latencies.subarray(0, timed)).sort((a, b) => a - b);
  const q = (f: number) => (lat.length === 0 ? NaN : lat[Math.min(lat.length - 1, Math.floor(f * lat.length))]);
  process.send!({ event: 'result', sent, received, median: q(0.5), p99: q(0.99), max: lat.at(-1) ?? NaN, maxSendLag });
}

await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
try {
  // Every relay sends here: room for a burst while this process is busy sending.
  sink.setRecvBufferSize(4 << 20);
} catch {
  // Capped by net.core.rmem_max; the default does for smaller runs.
}
process.on('message', (m: RunCmd | { cmd: 'exit' }) => {
  if (m.cmd === 'run') void run(m);
  else {
    for (const s of senders) s.close();
    sink.close();
    process.disconnect();
  }
});
process.send!({ event: 'ready', sinkPort: sink.address().port });
