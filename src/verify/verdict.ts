import type { DtmfKey, MaskTone } from '../dsp/dtmf-keys.ts';
import { EXIT, type ExitCode } from '../errors.ts';

/**
 * The verifier's result, shared by every input kind (recordings now, captures next). It is what
 * `dtmfguard verify --json` prints, so it is part of the interface contract: fields may be added,
 * none renamed. Every detected digit is an object with at least `digit`, `startMs`, `endMs`.
 */

/** Where a digit was seen: as tones in the audio, or as an RFC 4733 telephone-event. */
export type DigitSource = 'inband' | 'rfc4733';

export interface DigitReport {
  digit: DtmfKey;
  /** From the start of the file (recordings) or of the stream (captures), in milliseconds. */
  startMs: number;
  endMs: number;
  source: DigitSource;
  /** WAV channel, 1-based (1 = left), present for stereo files. */
  channel?: number;
  /** Capture stream identity (e.g. SSRC and addresses); set by capture verifiers. */
  stream?: string;
  /** Which in-band receiver found it: the Q.24 one, or the attacker's (a fragment Q.24 ignores). */
  detector?: 'q24' | 'attacker';
  /** RFC 4733 only: false when no end packet was seen (lost, or the capture stopped mid-event). */
  endSeen?: boolean;
  /** True when a mask tone was given and this digit is not it: a real digit got through. */
  leak: boolean;
}

/** Per-stream statistics of a capture (see src/rtp/stream-tracker.ts StreamReport). */
export interface StreamSummary {
  stream: string;
  foundBy: 'port' | 'sdp' | 'heuristic';
  codec?: string;
  payloadTypes: number[];
  packets: number;
  lost: number;
  duplicates: number;
  reordered: number;
  /** Audio packets that came too late to be put back in order. */
  late: number;
  jitterMs: number;
  /** Samples of silence put in for lost packets. */
  filledSamples: number;
  timestampJumps: number;
  /** Audio length reassembled, ms (timestamp order, gaps filled). */
  audioMs: number;
  events: number;
  /** RFC 4733 events whose code is not a DTMF key (flash, tones ...): listed, never digits. */
  otherEvents: number;
  malformedEvents: number;
  /** Capture time of the first and last packet, ISO 8601. Not epoch milliseconds: a 13-digit
   * number can pass the Luhn check, and the no-card-number scan of all output must stay clean. */
  firstAt: string;
  lastAt: string;
  /** lastAt − firstAt, ms. */
  spanMs: number;
}

/** What the capture reader and the decoders saw and skipped. */
export interface CaptureMeta {
  format: string;
  packets: number;
  bytes: number;
  skippedRecords: Record<string, number>;
  skippedFrames: Record<string, number>;
  nonRtpDatagrams: number;
  sipMessages: number;
  sdpMedia: number;
  /** Where and why reading stopped early; the verdict covers only what came before. */
  partial?: { code: string; message: string; offset: number };
  /** Live capture: the interface, and packets the kernel dropped (tcpdump's count). */
  interface?: string;
  kernelDrops?: number;
}

export interface FileVerdict {
  file: string;
  /** What the file turned out to be: 'wav', 'raw', 'pcap' ... */
  kind: string;
  /** Human-readable sample format, e.g. "wav/alaw, 8000 Hz, stereo". */
  format?: string;
  durationMs?: number;
  /** The file ended before its header said it would; only what was there was verified. */
  truncated?: boolean;
  warnings: string[];
  digits: DigitReport[];
  leaks: number;
  /** SHA-256 of the input bytes (hex), when asked for (reports, signed verdicts). */
  sha256?: string;
  /** Bytes in the input file. */
  size?: number;
  /** Captures: the RTP streams found, with loss, duplicates, reordering and jitter. */
  streams?: StreamSummary[];
  capture?: CaptureMeta;
  /** Set when the file could not be verified at all; `digits` is then empty. */
  error?: { code: string; message: string };
}

export type VerdictResult =
  | 'clean' // a mask tone was given and no other digit was found in any file
  | 'leak' // at least one digit other than the mask tone
  | 'listed' // no mask tone given: digits listed, nothing judged
  | 'incomplete'; // no leak found, but some file could not be verified

export interface Verdict {
  maskTone: MaskTone | null;
  result: VerdictResult;
  files: FileVerdict[];
  digitCount: number;
  leakCount: number;
}

export function isLeak(digit: DtmfKey, maskTone: MaskTone | undefined | null): boolean {
  return maskTone != null && digit !== maskTone;
}

export function summarize(files: FileVerdict[], maskTone: MaskTone | undefined | null): Verdict {
  const leakCount = files.reduce((n, f) => n + f.leaks, 0);
  const digitCount = files.reduce((n, f) => n + f.digits.length, 0);
  const failed = files.some((f) => f.error);
  const result: VerdictResult = leakCount > 0 ? 'leak' : failed ? 'incomplete' : maskTone == null ? 'listed' : 'clean';
  return { maskTone: maskTone ?? null, result, files, digitCount, leakCount };
}

/**
 * A found leak is a definite finding and wins over an unreadable file (an auditor's script must not
 * mistake a leak for a retryable input error); otherwise any unreadable file makes the run exit 2.
 */
export function verdictExitCode(v: Verdict): ExitCode {
  switch (v.result) {
    case 'leak':
      return EXIT.checkFailed;
    case 'incomplete':
      return EXIT.usage;
    default:
      return EXIT.ok;
  }
}

function ms(x: number): string {
  return (x / 1000).toFixed(3).padStart(9);
}

/**
 * Plain text for a terminal: one digit per line (never the digits run together, so a keyed card
 * number does not appear as one string in a report).
 */
export function formatVerdictText(v: Verdict): string {
  const lines: string[] = [];
  for (const f of v.files) {
    if (f.error) {
      lines.push(`${f.file}: not verified (${f.error.code})`);
      continue;
    }
    const head = `${f.file}: ${f.format ?? f.kind}${f.durationMs !== undefined ? `, ${(f.durationMs / 1000).toFixed(3)} s` : ''}${f.truncated ? ', TRUNCATED' : ''}`;
    lines.push(head);
    for (const w of f.warnings) lines.push(`  warning: ${w}`);
    for (const st of f.streams ?? []) {
      lines.push(
        `  stream ${st.stream}: ${st.codec ?? 'no audio'}, ${st.packets} packets, ${st.lost} lost, ${st.duplicates} duplicate, ` +
          `${st.reordered} reordered, jitter ${st.jitterMs.toFixed(1)} ms, ${st.events} event(s) (found by ${st.foundBy})`,
      );
    }
    if (f.digits.length === 0) lines.push('  no DTMF digit found');
    for (const d of f.digits) {
      const src = d.detector === 'attacker' ? 'inband fragment' : d.source;
      const where = [d.channel !== undefined ? `channel ${d.channel}` : '', d.stream ?? '', src].filter(Boolean).join(', ');
      lines.push(`  ${ms(d.startMs)} s - ${ms(d.endMs)} s  ${d.digit}  (${where})${d.leak ? '  LEAK' : ''}`);
    }
  }
  const files = v.files.length === 1 ? '1 file' : `${v.files.length} files`;
  switch (v.result) {
    case 'leak':
      lines.push(`verdict: LEAK: ${v.leakCount} digit(s) other than the mask tone '${v.maskTone}' in ${files}`);
      break;
    case 'clean':
      lines.push(`verdict: clean: no digit other than the mask tone '${v.maskTone}' in ${files}`);
      break;
    case 'incomplete':
      lines.push(`verdict: incomplete: ${v.files.filter((f) => f.error).length} of ${files} could not be verified`);
      break;
    case 'listed':
      lines.push(`${v.digitCount} digit(s) in ${files} (give --mask-tone to judge leaks)`);
      break;
  }
  return lines.join('\n') + '\n';
}
