/**
 * The verifier's attacker receiver alone, in-process: the WebAssembly kernel (the one
 * DTMFGUARD_DSP_KERNEL names, else build/dsp/channel-kernel.wasm) over the fixed DSP workload
 * through A-law, STREAMS receivers fed 20 ms packets interleaved as the capture generator plays them
 * (each from its own offset). The kernel is ~60% of the in-band worker's CPU, and
 * `bench-verify-inband.ts` (the whole in-band path) moves by more than a kernel change between runs
 * on a shared machine; this isolates it. Prints the CPU time (user + system) per packet of each run,
 * the best, and the fragments found (the same for any change that keeps the receiver's output).
 * To compare two kernels, alternate them:
 *
 *   DTMFGUARD_DSP_KERNEL=/tmp/old.wasm npx tsx scripts/bench-verify-attacker.ts [--runs 5] [--seconds 20]
 */
import { decodeAlaw, encodeAlaw } from '../src/dsp/g711.ts';
import { attackerReceiver } from '../src/verify/attacker-receiver.ts';
import { benchWorkload } from './dsp-workload.ts';
import { numberArg } from './number-arg.ts';

const runs = numberArg('--runs', 5);
const streams = numberArg('--streams', 200);
const seconds = numberArg('--seconds', 20);
const PACKET = 160;

const x = decodeAlaw(encodeAlaw(benchWorkload().samples));
const packets = Math.floor((seconds * 8000) / PACKET);
const perRun: number[] = [];
let fragments = 0;
for (let r = 0; r < runs; r++) {
  const rx = Array.from({ length: streams }, () => attackerReceiver({}));
  if (rx[0].implementation !== 'kernel') throw new Error('bench-verify-attacker: no WebAssembly kernel (run scripts/build-wasm.sh)');
  const starts = rx.map((_, s) => (Math.floor((s * x.length) / streams / PACKET) * PACKET) % x.length);
  fragments = 0;
  const c0 = process.cpuUsage();
  for (let p = 0; p < packets; p++) {
    for (let s = 0; s < streams; s++) {
      let at = (starts[s] + p * PACKET) % x.length;
      if (at + PACKET > x.length) at = 0;
      fragments += rx[s].process(x.subarray(at, at + PACKET)).length;
    }
  }
  for (const s of rx) {
    fragments += s.flush().length;
    s.dispose();
  }
  const c = process.cpuUsage(c0);
  perRun.push((c.user + c.system) / (packets * streams));
}
const us = (v: number): number => Math.round(v * 1000) / 1000;
process.stdout.write(`${JSON.stringify({ cpuUsPerPacket: perRun.map(us), best: us(Math.min(...perRun)), packets: packets * streams, fragments })}\n`);
