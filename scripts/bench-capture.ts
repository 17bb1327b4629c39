/**
 * Capture reading throughput: our streaming reader and the whole capture analysis (link, IP, UDP,
 * RTP streams, RFC 4733 dedup, ordered audio) against tshark doing the comparable job
 * (`tshark -o rtp.heuristic_rtp:TRUE -Y rtpevent`), on one capture generated here.
 *
 *   npx tsx scripts/bench-capture.ts            # 20 MB: quick enough for CI
 *   npx tsx scripts/bench-capture.ts --mb 1024  # the 1 GB run
 *
 * The capture is µs pcap on Ethernet: 64 concurrent calls of 20 ms PCMU packets (214-byte frames)
 * with an RFC 4733 key press every 2 s per call. It is written in os.tmpdir() and deleted after.
 * Files are read with 1 MiB stream chunks (fewer awaits per packet than the 64 KiB default).
 * Then the real `dtmfguard verify --json --mask-tone '#'` over the same file (the whole verifier,
 * in-band receivers included, on silent audio), against the same tshark run: wall and CPU time.
 * Prints JSON lines {"name","unit","value","reference"?,"reference_value"?}.
 */
import { createReadStream, mkdtempSync, openSync, closeSync, writeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../src/capture/read-capture.ts';
import { analyseCapture } from '../src/rtp/capture-analysis.ts';
import { encapsulate, udpIpPackets } from '../src/capture/frame-builder.ts';
import { pcapFileHeader, pcapRecord } from '../src/capture/pcap-writer.ts';
import { serializeRtp } from '../src/rtp/packet.ts';
import { serializeTelephoneEvent } from '../src/rtp/telephone-event.ts';
// @ts-expect-error plain ESM helper without type declarations
import { timed, verifyWithCli } from './bench-verify-cli.mjs';

const mbArg = process.argv.indexOf('--mb');
const targetMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 20;
if (!(targetMb > 0)) {
  process.stderr.write('usage: bench-capture.ts [--mb N]\n');
  process.exit(2);
}

const CALLS = 64;
const FMT = { linkType: 1 };

function frame(call: number, seq: number, ts: number, pt: number, payload: Uint8Array, marker = false): Uint8Array {
  const rtp = serializeRtp({ version: 2, padding: false, extension: false, marker, payloadType: pt, sequence: seq & 0xffff,
    timestamp: ts >>> 0, ssrc: 0x10000 + call, csrc: [], payload });
  const [ip] = udpIpPackets({ src: `10.0.${call >> 8}.${call & 0xff}`, srcPort: 20000 + 2 * call, dst: '10.1.0.1', dstPort: 30000 + 2 * call }, rtp);
  return encapsulate({ linkType: 1 }, ip);
}

function generate(file: string, bytes: number): number {
  const fd = openSync(file, 'w');
  writeSync(fd, pcapFileHeader(FMT));
  let written = 24;
  let packets = 0;
  const audio = new Uint8Array(160).fill(0xff);
  const seq = new Array<number>(CALLS).fill(0);
  const batch: Buffer[] = [];
  let batchBytes = 0;
  const t0 = 1_700_000_000_000_000_000n;
  for (let tick = 0; written < bytes; tick++) {
    const ns = t0 + BigInt(tick) * 20_000_000n;
    for (let c = 0; c < CALLS && written < bytes; c++) {
      const ts = tick * 160;
      const inPress = tick % 100 >= 50 && tick % 100 < 55; // a 100 ms key press every 2 s
      const f = inPress
        ? frame(c, seq[c]++, (tick - (tick % 100) + 50) * 160, 101, serializeTelephoneEvent({ event: (tick / 100) % 16 | 0, end: tick % 100 === 54, volume: 10, duration: ((tick % 100) - 49) * 160 }))
        : frame(c, seq[c]++, ts, 0, audio);
      const rec = pcapRecord(FMT, ns + BigInt(c) * 10_000n, f);
      batch.push(rec);
      batchBytes += rec.length;
      written += rec.length;
      packets++;
      if (batchBytes > 1 << 20) {
        writeSync(fd, Buffer.concat(batch));
        batch.length = 0;
        batchBytes = 0;
      }
    }
  }
  writeSync(fd, Buffer.concat(batch));
  closeSync(fd);
  return packets;
}

function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'dg-bench-capture-'));
const file = join(dir, 'bench.pcap');
try {
  const packets = generate(file, targetMb * 1024 * 1024);
  const sizeMb = statSync(file).size / (1024 * 1024);
  process.stderr.write(`bench-capture: ${packets} packets, ${sizeMb.toFixed(1)} MB in ${file}\n`);

  // 1. The reader alone.
  let t = process.hrtime.bigint();
  let n = 0;
  let rssPeak = 0;
  for await (const _p of readCapture(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    if ((++n & 0xffff) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const readerS = Number(process.hrtime.bigint() - t) / 1e9;

  // 2. The whole analysis.
  t = process.hrtime.bigint();
  const a = analyseCapture(createReadStream(file, { highWaterMark: 1 << 20 }));
  let events = 0;
  let k = 0;
  for await (const o of a.outputs()) {
    if (o.kind === 'event') events++;
    if ((++k & 0xffff) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const analysisS = Number(process.hrtime.bigint() - t) / 1e9;
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

  // 3. tshark on the same file, decoding RTP and RFC 4733 events.
  const ts = timed(['tshark', '-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtpevent', '-T', 'fields', '-e', 'rtpevent.event_id']);
  const tsharkS: number = ts.seconds;
  const tsharkOk = ts.status === 0;
  const tsharkEventPackets = tsharkOk ? (ts.stdout as string).split('\n').filter((l) => l).length : 0;

  // 4. The real command over the same file.
  const cli = verifyWithCli(file);
  process.stderr.write(`bench-capture: reader ${readerS.toFixed(2)} s, analysis ${analysisS.toFixed(2)} s (${events} presses), tshark ${tsharkS.toFixed(2)} s (${tsharkEventPackets} event packets)\n`);

  const ref = tsharkOk ? { reference: 'tshark -Y rtpevent', reference_value: Math.round(packets / tsharkS) } : {};
  emit({ name: 'capture_packets_per_s', unit: 'packets/s', value: Math.round(packets / analysisS), ...ref, capture_mb: Math.round(sizeMb) });
  emit({ name: 'capture_reader_packets_per_s', unit: 'packets/s', value: Math.round(packets / readerS), ...ref, capture_mb: Math.round(sizeMb) });
  emit({ name: 'capture_reader_mb_per_s', unit: 'MB/s', value: Number((sizeMb / readerS).toFixed(1)) });
  emit({ name: 'capture_analysis_peak_rss', unit: 'MB', value: Math.round(rssPeak / (1024 * 1024)), capture_mb: Math.round(sizeMb) });
  process.stderr.write(`bench-capture: dtmfguard verify ${cli.seconds.toFixed(2)} s wall, ${cli.cpuS.toFixed(2)} s CPU (workers ${cli.workers}, ${cli.events} events); tshark ${tsharkS.toFixed(2)} s wall, ${ts.cpuS.toFixed(2)} s CPU\n`);
  emit({ name: 'capture_verify_cli_packets_per_s', unit: 'packets/s', value: Math.round(packets / cli.seconds), ...ref, capture_mb: Math.round(sizeMb), workers: cli.workers });
  emit({ name: 'capture_verify_cli_vs_tshark_cpu', unit: 'x tshark packets per CPU second', value: tsharkOk ? Number((ts.cpuS / cli.cpuS).toFixed(2)) : 0 });
  emit({ name: 'capture_verify_cli_peak_rss', unit: 'MB', value: Math.round(cli.maxRssBytes / (1024 * 1024)), capture_mb: Math.round(sizeMb) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
