/**
 * `npm run soak -- --minutes N [--json] [--clients N] [--seed N] [--keep]`: two simulated
 * appliances with their daemons under a mixed load and faults for N minutes (firmware-sim/soak/);
 * docs/reliability.md explains the figures. Exit 0 when every target holds, 1 when one does not,
 * 2 on bad arguments.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runSoak } from '../firmware-sim/soak/soak.ts';
import { formatSoakText } from '../firmware-sim/soak/soak-report.ts';

const positive = (what: string, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${what} must be a number above 0 and at most ${max}`);
  return n;
};

const program = new Command('soak')
  .description('Soak two simulated appliances and their daemons under load and faults; report lost commands, leaks, recoveries, memory and parser crashes.')
  .option('--minutes <N>', 'how long the load runs (fractions allowed)', positive('--minutes', 24 * 60), 10)
  .option('--clients <N>', 'concurrent CLI client loops', positive('--clients', 16), 3)
  .option('--seed <N>', 'seed of the bad inputs and the clients\' choices', positive('--seed', 2 ** 31), 7)
  .option('--corrupt <rate>', 'serial corruption per byte, both directions (1e-4: about 1% of frames damaged; see docs/reliability.md)', (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 0.1) throw new InvalidArgumentError('--corrupt must be a rate per byte from 0 to 0.1');
    return n;
  }, 1e-4)
  .option('--keep', 'keep the work folder (capture, daemon logs, audit logs)')
  .option('--json', 'print the report as one JSON document on stdout')
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
  .configureOutput({ outputError: (s, write) => write(`DG4001: ${s.replace(/^error: /, '')}`) });
program.parse();
const o = program.opts<{ minutes: number; clients: number; seed: number; corrupt: number; keep?: boolean; json?: boolean }>();

const abort = new AbortController();
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    process.stderr.write(`soak: ${sig}, stopping and cleaning up\n`);
    abort.abort();
  });
}

const report = await runSoak({
  minutes: o.minutes,
  clients: Math.round(o.clients),
  seed: Math.round(o.seed),
  corrupt: o.corrupt,
  keep: o.keep,
  signal: abort.signal,
  say: (line) => process.stderr.write(`${line}\n`),
}).catch((e: Error) => {
  process.stderr.write(`soak: could not run: ${e.message}\n`);
  process.exit(interrupted ? 1 : 2);
});
process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatSoakText(report)}\n`);
process.exit(report.ok && !interrupted ? 0 : 1);
