/**
 * Shared plumbing of the commands that talk to an appliance: `--port`/DTMFGUARD_PORT, `--json`,
 * a session through the daemon or the port, and the exit codes of the contract.
 */
import type { Command } from 'commander';
import { addPortOption, resolvePort } from './port-option.ts';
import { withSession, type Session } from './session.ts';

export interface ApplianceOpts {
  port?: string;
  json?: boolean;
}

/** Adds --port and --json, and an example to the help. */
export function applianceCommand(cmd: Command, example: string): Command {
  return addPortOption(cmd.option('--json', 'print one JSON document on stdout')).addHelpText(
    'after',
    `\nExample:\n  ${example}\n\nTalks to the daemon when one owns the port, else opens the port itself.\nExit status: 0 ok, 1 refused or failed, 2 bad usage, 3 the appliance did not answer.`,
  );
}

export function onAppliance<T>(opts: ApplianceOpts, fn: (s: Session) => Promise<T>): Promise<T> {
  return withSession(resolvePort(opts), fn);
}
