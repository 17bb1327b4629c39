import { Command } from 'commander';

/**
 * A commander program with the contract's conventions: usage errors are one line with a code
 * (DG4001) and exit 2; help exits 0. Subcommands made with `.command()` inherit these settings.
 */
export function createProgram(name: string, description: string, version: string): Command {
  const program = new Command(name);
  program
    .description(description)
    .version(version, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`DG4001: ${str.replace(/^error: /, '')}`),
    });
  return program;
}
