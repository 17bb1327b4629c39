/**
 * `dtmfguard-sim run SCENARIO [--verify] [--json]`: the whole chain driven by a scenario file, on
 * the SIP edge or, for a scenario written for an E1/T1 model, on a fed TDM board (docs/rigs.md).
 */
import type { Command } from 'commander';
import { runChain, type ChainResult } from '../chain/chain.ts';
import { loadScenario } from '../scenario/schema.ts';
import { DgError } from '../../src/errors.ts';

export function formatChainResult(r: ChainResult): string {
  return [
    `scenario ${r.scenario}: ${r.ok ? 'PASS' : 'FAIL'}`,
    ...r.expectations.map((e) => `  ${e.ok ? 'ok  ' : 'FAIL'} ${e.what}: ${e.detail}`),
    `  verifier: ${r.verify.result} (exit ${r.verify.exitCode}), ${r.verify.digits.length} digit(s) found in the mirror capture`,
    ...(r.alarms ?? []).map((a) => `  alarm ${a.name} on span ${a.span}: ${a.raised ? 'raised' : 'never raised'}${a.raised ? (a.cleared ? ', cleared' : ', not cleared') : ''}${a.checkDuring ? `; check during it: ${a.checkDuring.line.split(' | ')[0]}` : ''}`),
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
    .option('--alarm-timing-ms <declare,clear>', 'E1/T1 scenarios: span alarm persistence of the simulated board', '500,1000')
    .description('Run the whole chain on one machine: the simulated board on a pty, the daemon, the call (SIP edge: RTP through the relay; E1/T1: the timeslot fed from the scenario), tcpdump on the mirror, the verifier, /metrics, the check.')
    .addHelpText('after', '\nExamples:\n  dtmfguard-sim run firmware-sim/scenarios/card-payment.json --verify\n  dtmfguard-sim run firmware-sim/scenarios/e1-ivr-with-alarm.json --verify\n\nNeeds root (tcpdump on lo) and socat. Exit 0: ran (and with --verify, every expectation held); 1: an expectation failed; 2: bad scenario.\nRig builders: docs/rigs.md.')
    .action(async (file: string, opts: { verify?: boolean; json?: boolean; masking: boolean; keep?: boolean; workDir?: string; alarmTimingMs: string }) => {
      const timing = /^(\d{1,6}),(\d{1,6})$/.exec(opts.alarmTimingMs);
      if (!timing) throw new DgError('DG4304', `--alarm-timing-ms ${JSON.stringify(opts.alarmTimingMs)}: write DECLARE,CLEAR in ms, e.g. 500,1000`);
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
        alarmTimingMs: [Number(timing[1]), Number(timing[2])],
      });
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatChainResult(result)}\n`);
      if (opts.verify && !result.ok) process.exitCode = 1;
    });
}
