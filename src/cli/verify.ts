import { Command, Option } from 'commander';
import { createHash } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { DgError, isDgError } from '../errors.ts';
import { MASK_TONES, type MaskTone } from '../dsp/dtmf-keys.ts';
import { RAW_FORMATS, sniffPath, unsupportedKind, type RawFormat } from '../audio/audio-source.ts';
import type { FileKind } from '../audio/file-kind.ts';
import { openLiveSource } from '../capture/live-source.ts';
import { verifyAudioFile } from '../verify/audio-verify.ts';
import { verifyCapture, verifyCaptureFile } from '../verify/capture-verify.ts';
import { renderHtmlReport } from '../verify/html-report.ts';
import { loadSigningKey, signVerdict } from '../verify/signed-verdict.ts';
import type { AudioSnippet } from '../verify/snippet-recorder.ts';
import { VERIFY_ERR } from '../verify/verify-errors.ts';
import { formatVerdictText, summarize, verdictExitCode, type DigitReport, type FileVerdict, type Verdict } from '../verify/verdict.ts';
import { version } from '../version.ts';

export interface VerifyRunOptions {
  maskTone?: MaskTone;
  rawFormat?: RawFormat;
  allowTruncated?: boolean;
  /** Captures: UDP ports carrying RTP (`--rtp-port`), telephone-event payload type (`--event-pt`). */
  rtpPorts?: number[];
  eventPt?: number;
  /** Run the attacker's receiver too (default true; `--no-attacker`). */
  attacker?: boolean;
  /** Filled with the audio around each digit when a report is wanted. */
  snippets?: Map<DigitReport, AudioSnippet>;
  /** Record each input's SHA-256 and size in its verdict (reports and signed verdicts). */
  hash?: boolean;
  /** Captures: worker threads for the in-band receivers (`--workers`; default by file size, capture-verify.ts). */
  workers?: number;
}

export type FileVerifier = (path: string, opts: VerifyRunOptions) => Promise<FileVerdict>;

/**
 * One verifier per file kind, chosen from the file's first bytes. A recognised kind with no entry
 * here (pcap, pcapng, RF64 for now) is refused with a message naming what is supported; adding
 * captures is one import and one entry.
 */
export const readers: Partial<Record<FileKind, FileVerifier>> = {
  wav: verifyAudioFile,
  raw: verifyAudioFile,
  pcap: verifyCaptureFile,
  pcapng: verifyCaptureFile,
};

/** SHA-256 and size of a file, in one streaming pass. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** Verifies each file in turn; a file that cannot be read is recorded (and reported), not fatal. */
export async function verifyFiles(paths: string[], opts: VerifyRunOptions, warn: (line: string) => void): Promise<FileVerdict[]> {
  const out: FileVerdict[] = [];
  for (const path of paths) {
    try {
      const kind = await sniffPath(path);
      const reader = readers[kind];
      if (!reader) throw unsupportedKind(path, kind);
      const verdict = await reader(path, opts);
      for (const w of verdict.warnings) warn(`warning: ${path}: ${w}`);
      out.push(opts.hash ? { ...verdict, ...(await hashFile(path)) } : verdict);
    } catch (e) {
      if (!isDgError(e)) throw e;
      warn(e.message);
      out.push({ file: path, kind: 'unknown', warnings: [], digits: [], leaks: 0, error: { code: e.code, message: e.message } });
    }
  }
  return out;
}

interface VerifyCliOptions {
  json?: boolean;
  maskTone?: MaskTone;
  format?: RawFormat;
  allowTruncated?: boolean;
  rtpPort?: number[];
  eventPt?: number;
  attacker: boolean;
  report?: string;
  sign?: string;
  out?: string;
  interface?: string;
  filter?: string;
  duration?: number;
  captureMethod?: 'auto' | 'libpcap' | 'tcpdump';
  workers?: number;
}

function intIn(name: string, lo: number, hi: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < lo || n > hi) throw new DgError(VERIFY_ERR.badOption, `${name} must be a whole number from ${lo} to ${hi} (got ${JSON.stringify(v)})`);
    return n;
  };
}

/** Verifies a live interface until Ctrl-C or `durationS`; the verdict covers what was captured. */
async function verifyLive(o: VerifyCliOptions, opts: VerifyRunOptions, warn: (l: string) => void): Promise<FileVerdict> {
  const live = openLiveSource({ interface: o.interface!, filter: o.filter, method: o.captureMethod });
  if (live.fallbackReason) warn(`note: capturing with tcpdump: ${live.fallbackReason}`);
  const verdict = verifyCapture(`live:${o.interface}`, live.packets, opts, { interface: o.interface });
  verdict.catch(() => undefined);
  try {
    await live.ready;
  } catch (e) {
    await live.stop();
    throw e;
  }
  warn(`capturing on ${o.interface} with ${live.method}${o.duration ? ` for ${o.duration} s` : ''}; Ctrl-C stops and gives the verdict`);
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => void live.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (o.duration) timer = setTimeout(stop, o.duration * 1000);
  try {
    const fv = await verdict;
    // libpcap's count (ps_drop + ps_ifdrop), or tcpdump's statistics once it has exited: the
    // capture has ended here, so waiting for the exit costs nothing.
    await live.stop();
    const drops = live.kernelDrops();
    if (drops !== undefined && fv.capture) {
      fv.capture.kernelDrops = drops;
      if (drops > 0) fv.warnings.push(`the kernel dropped ${drops} packet(s): the verdict does not cover them`);
    }
    return fv;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function write(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new DgError(VERIFY_ERR.writeFailed, `cannot write the ${what} to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('List the DTMF digits in recordings and captures; with --mask-tone, report any other digit as a leak (exit 1).')
    .argument('[file...]', 'recordings (.wav: PCM, A-law, µ-law, 8000 Hz, mono or stereo; raw audio with --format) and captures (.pcap, .pcapng)')
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('--mask-tone <tone>', 'the appliance mask tone: every other digit, fragment or event is a leak').choices(MASK_TONES))
    .addOption(new Option('--format <format>', 'read files without a WAV header as 8000 Hz mono raw audio of this format').choices(RAW_FORMATS))
    .option('--allow-truncated', 'verify the part of a truncated WAV file that is there (the verdict says truncated) instead of refusing it')
    .option('--rtp-port <port>', 'captures: a UDP port carrying RTP even where SIP/SDP does not say so (repeatable)', (v: string, prev: number[] = []) => [...prev, intIn('--rtp-port', 1, 65535)(v)])
    .option('--event-pt <pt>', 'captures: telephone-event payload type where no SDP names one', intIn('--event-pt', 0, 127), 101)
    .option('--workers <n>', 'capture files: worker threads for the in-band receivers, 0 for none (default from 16 MB: one per core beyond the reader\'s; none below)', intIn('--workers', 0, 16))
    .option('--no-attacker', 'only the Q.24 receiver in-band (skip the sensitive receiver that finds fragments down to 10 ms and -45 dBm0)')
    .option('--report <out.html>', 'write a self-contained HTML report (verdict, input SHA-256, timelines, spectrograms around each digit)')
    .option('--sign <key.pem>', 'sign the JSON verdict with this Ed25519 private key (check with dtmfguard verify-signature)')
    .option('--out <verdict.json>', 'also write the JSON verdict (signed with --sign) to this file')
    .option('--interface <iface>', 'verify live traffic on a network interface instead of files (libpcap, or tcpdump where node_pcap is missing)')
    .option('--filter <bpf>', 'live capture: BPF filter, e.g. "udp portrange 10000-20000"')
    .option('--duration <s>', 'live capture: stop after this many seconds (default: at Ctrl-C)', intIn('--duration', 1, 86400))
    .addOption(new Option('--capture-method <m>', 'live capture: libpcap, tcpdump, or auto').choices(['auto', 'libpcap', 'tcpdump']).default('auto').hideHelp())
    .addHelpText(
      'after',
      `
Exit status: 0 no leak (or no --mask-tone), 1 leak found, 2 bad usage or unreadable input.
Times are from the start of the file (recordings) or of the RTP stream (captures); stereo files are
verified per channel (channel 1 = left). A damaged capture is verified up to the damage, and the
verdict says where reading stopped.

Signing key: openssl genpkey -algorithm ed25519 -out verdict-key.pem

Examples:
  $ dtmfguard verify call.wav
  $ dtmfguard verify --mask-tone '#' --json call-1.wav call-2.wav
  $ dtmfguard verify --mask-tone '#' --report audit.html --sign verdict-key.pem --out verdict.json mirror.pcapng
  $ dtmfguard verify --mask-tone '#' --interface eth1 --filter 'udp' --duration 60
  $ dtmfguard verify --format alaw --mask-tone 0 trunk-capture.al`,
    )
    .action(async (files: string[], o: VerifyCliOptions) => {
      const warn = (line: string): void => void process.stderr.write(`${line}\n`);
      if (files.length === 0 && !o.interface) throw new DgError(VERIFY_ERR.noInput, 'give at least one file to verify, or --interface IFACE for live traffic');
      if (files.length > 0 && o.interface) throw new DgError(VERIFY_ERR.badOption, 'give either files or --interface, not both');
      if (o.sign && !o.json && !o.out && !o.report) throw new DgError(VERIFY_ERR.badOption, '--sign needs somewhere to put the signed verdict: add --json, --out FILE or --report FILE');
      // Load the key before a long verification, so a wrong path fails at once.
      const key = o.sign ? loadSigningKey(o.sign) : undefined;
      const snippets = o.report ? new Map<DigitReport, AudioSnippet>() : undefined;
      const opts: VerifyRunOptions = {
        maskTone: o.maskTone, rawFormat: o.format, allowTruncated: o.allowTruncated, rtpPorts: o.rtpPort, eventPt: o.eventPt,
        attacker: o.attacker, snippets, hash: Boolean(o.report || o.sign || o.out), workers: o.workers,
      };
      const verdicts = o.interface ? [await verifyLive(o, opts, warn)] : await verifyFiles(files, opts, warn);
      const verdict: Verdict = summarize(verdicts, o.maskTone);
      const doc = key ? signVerdict(verdict, key) : verdict;
      const json = JSON.stringify(doc, null, 2);
      if (o.out) write(o.out, `${json}\n`, 'JSON verdict');
      if (o.report) write(o.report, renderHtmlReport(verdict, { snippets, json, toolVersion: version, command: ['dtmfguard', 'verify', ...process.argv.slice(3)].join(' ') }), 'HTML report');
      process.stdout.write(o.json ? `${json}\n` : formatVerdictText(verdict));
      process.exitCode = verdictExitCode(verdict);
    });
}
