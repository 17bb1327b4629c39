// Preloaded (`node --import ./scripts/bench-verify-rusage.mjs ...`) into the `dtmfguard verify`
// process that bench-verify.ts times: at exit, writes the whole process's CPU time (all threads,
// workers included) and peak resident memory as JSON to the file named by DG_BENCH_RUSAGE.
import { writeFileSync } from 'node:fs';

const out = process.env.DG_BENCH_RUSAGE;
if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ userS: r.userCPUTime / 1e6, systemS: r.systemCPUTime / 1e6, maxRssBytes: r.maxRSS * 1024 }));
  });
}
