import { Option, type Command } from 'commander';
import { DgError, EXIT } from '../errors.ts';
import { parseTarget } from '../link/open-transport.ts';

/** The environment variable that names the appliance when --port is not given (interface contract). */
export const PORT_ENV = 'DTMFGUARD_PORT';

/** Adds `--port PATH|tcp://HOST:PORT` to a command that talks to an appliance. */
export function addPortOption(command: Command): Command {
  return command.addOption(
    new Option('--port <path|tcp://host:port>', `the appliance: a serial device (e.g. /dev/ttyUSB0) or a console server port (tcp://HOST:PORT); default $${PORT_ENV}`),
  );
}

/**
 * The appliance target from --port, else DTMFGUARD_PORT. Checked here, so a typo is a usage error
 * (exit 2) rather than an unreachable appliance (exit 3).
 */
export function resolvePort(opts: { port?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const target = opts.port ?? env[PORT_ENV];
  if (target === undefined || target.trim() === '') {
    throw new DgError('DG4201', `no appliance given: use --port /dev/ttyUSB0 (or tcp://HOST:PORT), or set ${PORT_ENV}`, EXIT.usage);
  }
  parseTarget(target);
  return target.trim();
}
