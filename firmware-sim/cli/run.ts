/** `dtmfguard-sim run SCENARIO [--verify] [--json]`: the whole chain driven by a scenario file. */
import type { Command } from 'commander';
import { runChain, type ChainResult } from '../chain/chain.ts';
import { loadScenario } from '../scenario/schema.ts';

export function formatChainResult(r: ChainResult): string {
  return [
    `scenario ${r.scenario}: ${r.ok ? 'PASS' : 'FAIL'}`,
    ...r.expectations.map((e) => `  ${e.ok ? 'ok  ' : 'FAIL'} ${e.what}: ${e.detail}`),
    `  verifier: ${r.verify.result} (exit ${r.verify.exitCode}), ${r.verify.digits.length} digit(s) found in the mirror capture`,
    `  check: ${r.check.line.split(' | ')[0]}`,
    `  capture ${r.capture}`,
    `  report ${r.report}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('run')
    .argument('<scenario>', 'scenario file (JSON; see docs/scenarios.md and firmware-sim/scenarios/)')
    .option('--verify', 'judge the run by the scenario expectations (exit 1 when one fails); without it, exit 0 once the chain ran')
    .option('--json', 'print the result as one JSON document on stdout (progress lines go to stderr)')
    .option('--no-masking', 'negative control: never switch secure mode on, so the verifier must find the keyed digits')
    .option('--keep', 'keep the work folder (pty, capture, audit log, report) instead of removing it')
    .option('--work-dir <dir>', 'use this folder for the run (kept)')
    .description('Run the whole chain on one machine: simulated SIP edge board on a pty, the daemon, a caller playing the scenario as RTP through the relay, tcpdump on the mirror, the verifier.')
    .addHelpText('after', '\nExample:\n  dtmfguard-sim run firmware-sim/scenarios/card-payment.json --verify\n\nNeeds root (tcpdump on lo) and socat. Exit 0: ran (and with --verify, every expectation held); 1: an expectation failed; 2: bad scenario.')
    .action(async (file: string, opts: { verify?: boolean; json?: boolean; masking: boolean; keep?: boolean; workDir?: string }) => {
      const scenario = loadScenario(file);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const result = await runChain({
        scenario,
        disableMasking: !opts.masking,
        keep: opts.keep || Boolean(opts.workDir),
        workDir: opts.workDir,
        signal: abort.signal,
        say: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatChainResult(result)}\n`);
      if (opts.verify && !result.ok) process.exitCode = 1;
    });
}
