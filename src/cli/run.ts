import { CommanderError } from 'commander';
import { EXIT, isDgError } from '../errors.ts';

/**
 * Runs a command action and turns what a user can cause into one line on stderr and the
 * contract's exit code. Anything else is a bug: its stack goes to stderr, exit 70 (EX_SOFTWARE).
 */
export async function runMain(main: () => Promise<number | void>): Promise<never> {
  // `dtmfguard ... | head`: the reader went away; that is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  let code: number;
  try {
    code = (await main()) ?? EXIT.ok;
  } catch (e) {
    if (isDgError(e)) {
      process.stderr.write(`${e.message}\n`);
      code = e.exitCode;
    } else if (e instanceof CommanderError) {
      // commander has already printed its message (or the help text).
      code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else {
      process.stderr.write(`internal error (a bug, please report it): ${(e as Error)?.stack ?? String(e)}\n`);
      code = 70;
    }
  }
  // Let stdout drain before exiting: a piped `--json` document must arrive whole.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
