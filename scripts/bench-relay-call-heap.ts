/**
 * `npm run bench -- call-heap`: memory a new call leaves in the relay (scripts/relay-call-heap.ts),
 * on a spare stream against fresh state, side by side in one run: what the young generation must
 * copy and promote when a thousand calls start together (issue 4; docs/benchmarks.md, RTP relay).
 * Two JSON lines: JS heap and outside it, bytes a call, each with the fresh-state figure as reference.
 */
import { spawnSync } from 'node:child_process';

interface CallHeap {
  js_bytes_per_call: number;
  outside_bytes_per_call: number;
  new_calls: number;
  masker: string;
}

function measure(spares: 'default' | '0'): CallHeap {
  const r = spawnSync(process.execPath, ['--single-threaded-gc', '--import', 'tsx', 'scripts/relay-call-heap.ts'], {
    env: spares === 'default' ? process.env : { ...process.env, SPARES: spares },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`relay-call-heap.ts exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as CallHeap;
}

const spare = measure('default');
const fresh = measure('0');
const common = { new_calls: spare.new_calls, masker: spare.masker, reference: 'the same calls on fresh stream state' };
process.stdout.write(`${JSON.stringify({ name: 'relay_call_heap_js', unit: 'bytes', value: spare.js_bytes_per_call, ...common, reference_value: fresh.js_bytes_per_call })}\n`);
process.stdout.write(`${JSON.stringify({ name: 'relay_call_heap_outside', unit: 'bytes', value: spare.outside_bytes_per_call, ...common, reference_value: fresh.outside_bytes_per_call })}\n`);
