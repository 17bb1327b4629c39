/**
 * The verifier's in-band work alone, in-process: `InbandStream` (G.711 decode, the Q.24 receiver,
 * the attacker's receiver, the scanner) over the fixed DSP workload through A-law, STREAMS streams
 * interleaved packet by packet as the capture generator plays them (each from its own offset), so
 * the per-stream state goes through the cache as in a capture. Prints CPU time (user + system of
 * the process) per 20 ms packet for each of `--runs` runs and the digits found (the same for any
 * change that keeps the receivers' output).
 *
 *   npx tsx scripts/bench-verify-inband.ts [--runs 5] [--streams 200] [--seconds 120]
 */
import { encodeAlaw } from '../src/dsp/g711.ts';
import { emptyArray } from '../src/empty-array.ts';
import { InbandStream, type InbandFinding } from '../src/verify/inband-stream.ts';
import { benchWorkload } from './dsp-workload.ts';
import { numberArg } from './number-arg.ts';

const runs = numberArg('--runs', 5);
const streams = numberArg('--streams', 200);
const seconds = numberArg('--seconds', 120);
const PACKET = 160;

const codes = encodeAlaw(benchWorkload().samples);
const packets = Math.floor((seconds * 8000) / PACKET);
for (let r = 0; r < runs; r++) {
  const st = Array.from({ length: streams }, () => new InbandStream(true));
  // Offsets as scattered as the generator's: each stream starts somewhere else in the workload.
  const starts = st.map((_, s) => (Math.floor((s * codes.length) / streams / PACKET) * PACKET) % codes.length);
  const out: InbandFinding[] = [];
  let found = 0;
  const c0 = process.cpuUsage();
  for (let p = 0; p < packets; p++) {
    for (let s = 0; s < streams; s++) {
      let at = (starts[s] + p * PACKET) % codes.length;
      if (at + PACKET > codes.length) at = 0;
      st[s].push('alaw', p * PACKET, codes.subarray(at, at + PACKET), out);
      found += out.length;
      // Popped, not `length = 0` (which drops the array's store): the loop measures the receivers, not the driver's allocations.
      emptyArray(out);
    }
  }
  for (const s of st) {
    s.flush(out);
    s.dispose();
  }
  found += out.length;
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / (packets * streams);
  process.stdout.write(`${JSON.stringify({ run: r, packets: packets * streams, cpuUsPerPacket: Math.round(us * 1000) / 1000, digits: found })}\n`);
}
