/**
 * DG6xxx errors of the capture reader and the summary of what a damaged capture cost us.
 * A capture that cannot be read at all is a DgError (exit 2); a capture damaged part-way ends the
 * packet stream early and says so in `CaptureSummary.partial`, so the verifier can still report
 * what it saw and state what it could not see.
 */
import { DgError } from '../errors.ts';

export const CAPTURE_CODES = {
  /** Fewer bytes than a file header, or an empty file. */
  tooShort: 'DG6001',
  /** The first four bytes are neither a pcap nor a pcapng magic number. */
  badMagic: 'DG6002',
  /** pcapng section header whose byte-order magic is wrong. */
  badByteOrder: 'DG6003',
  /** A record or block ended before its declared length (truncated file). */
  truncated: 'DG6004',
  /** A record or block length that cannot be right (too small, too large, not a multiple of 4). */
  badLength: 'DG6005',
  /** An unsupported pcap major version. */
  badVersion: 'DG6006',
  /** A packet refers to an interface that no Interface Description Block declared. */
  unknownInterface: 'DG6007',
  /** The input stream itself failed (I/O error). */
  readFailed: 'DG6008',
  /** Live capture could not start (no tcpdump, no such interface, no permission, bad filter). */
  liveCaptureFailed: 'DG6009',
} as const;

export function captureError(code: string, message: string): DgError {
  return new DgError(code, message);
}

/** Why the reader stopped before the end of the file, with the byte offset where it stopped. */
export interface PartialRead {
  code: string;
  message: string;
  offset: number;
}

/** What the reader saw; `partial` is set when it stopped early, `skipped` counts what it passed over. */
export interface CaptureSummary {
  format: 'pcap' | 'pcapng' | 'unknown';
  packets: number;
  bytes: number;
  /** Counts by reason of records or blocks skipped without ending the read. */
  skipped: Record<string, number>;
  partial?: PartialRead;
}

export function countSkip(skipped: Record<string, number>, reason: string, n = 1): void {
  skipped[reason] = (skipped[reason] ?? 0) + n;
}
