/**
 * Structured logs: pino JSON lines on stdout for journald and shippers, pretty on a terminal for
 * people. Every object and message passes the redactor first, so a card number that reaches a log
 * call by mistake never reaches the log (PCI DSS 3.4).
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { redactText, redactValue } from '../redact.ts';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Pretty lines instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stdout. */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const wantPretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  const destination = opts.destination ?? (wantPretty ? pretty({ colorize: true, sync: true }) : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      name: opts.name ?? 'dtmfguard',
      level: opts.level ?? process.env.DTMFGUARD_LOG_LEVEL ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactValue(obj),
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
