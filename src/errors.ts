/**
 * User-facing errors: a numeric code (`DGnnnn`) and a one-line message that says what to do.
 * Stack traces are for bugs; anything a user can cause is a DgError.
 *
 * Code ranges (one per area, so a code tells where to look):
 *   DG1xxx serial protocol, link and appliance driver
 *   DG2xxx audio files and the offline DSP commands (verify, mask)
 *   DG3xxx configuration files and hardware profiles
 *   DG4xxx command-line usage
 *   DG5xxx simulator
 *   DG6xxx captures (pcap/pcapng, live capture, RTP)
 *   DG7xxx daemon, control socket, HTTP, audit log
 */

/** Exit codes of the interface contract (the Nagios check has its own). */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class DgError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode = EXIT.usage) {
    super(`${code}: ${message}`);
    this.name = 'DgError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function isDgError(e: unknown): e is DgError {
  return e instanceof DgError;
}
