import { DgError, EXIT } from '../errors.ts';

/**
 * Link-layer error codes (DG11xx, inside the protocol/link/driver range DG1xxx of src/errors.ts).
 * Unreachable links exit 3, as the interface contract asks of anything that cannot reach the appliance.
 */
export const LINK_CODES = {
  /** The serial device could not be opened (missing, permissions, busy). */
  serialOpen: 'DG1101',
  /** The console server refused or did not answer the TCP connection. */
  tcpConnect: 'DG1102',
  /** `--port` value is neither a device path nor tcp://host:port. */
  badTarget: 'DG1103',
  /** A write was attempted on a link that is not open. */
  notOpen: 'DG1104',
  /** The operating system failed a write. */
  writeFailed: 'DG1105',
} as const;

export function linkError(code: string, message: string, exitCode: 2 | 3 = EXIT.unreachable): DgError {
  return new DgError(code, message, exitCode);
}
