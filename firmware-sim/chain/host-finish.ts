/**
 * What both chains (SIP edge and E1/T1) do with the host side: keep every byte the host wrote for the
 * card-data scan, and finish a run the same way — one scrape of /metrics, `dtmfguard verify` over
 * the mirror capture, `dtmfguard check`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DTMFGUARD_BIN, runToEnd } from './processes.ts';
import type { FoundDigit } from './expectations.ts';
import { scrapeText, sumOf } from './scrape.ts';

export class HostTranscript {
  private readonly parts: string[] = [];

  add(...texts: string[]): void {
    this.parts.push(...texts);
  }

  /** A file the host wrote (audit log, report), if it is there. */
  addFile(path: string): void {
    this.parts.push(existsSync(path) ? readFileSync(path, 'utf8') : '');
  }

  /** Runs a CLI command to its end and keeps what it printed. */
  async cli(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runToEnd> {
    const r = await runToEnd(bin, args, env);
    this.add(r.stdout, r.stderr);
    return r;
  }

  text(): string {
    return this.parts.join('\n');
  }
}

export interface HostFinish {
  metricsText: string;
  maskedDigitsReported: number;
  verify: { exitCode: number | null; result: string; digits: FoundDigit[] };
  check: { exitCode: number | null; line: string };
}

export async function verifyAndCheck(o: {
  transcript: HostTranscript;
  capture: string;
  report: string;
  maskTone: string;
  pty: string;
  env: NodeJS.ProcessEnv;
  metricsUrl: string;
  stamp: (line: string) => void;
}): Promise<HostFinish> {
  const { transcript, stamp } = o;
  const metricsText = await scrapeText(o.metricsUrl);
  transcript.add(metricsText);
  const v = await transcript.cli(DTMFGUARD_BIN, ['verify', o.capture, '--mask-tone', o.maskTone, '--json', '--report', o.report]);
  let verdict: { result: string; files: Array<{ digits: FoundDigit[] }> } = { result: 'unreadable', files: [] };
  try {
    verdict = JSON.parse(v.stdout);
  } catch {
    stamp(`verify failed: ${v.stderr.trim()}`);
  }
  const digits = verdict.files.flatMap((f) => f.digits);
  const others = digits.filter((d) => d.digit !== o.maskTone).length;
  stamp(`verdict: ${verdict.result}${others ? `, ${others} digit(s) other than the mask tone` : ''} (exit ${v.status})`);
  stamp(`report: ${o.report}`);
  const check = await transcript.cli(DTMFGUARD_BIN, ['check', '--port', o.pty], o.env);
  stamp(`check: ${check.stdout.trim().split(' | ')[0]}`);
  stamp(`metrics: ${o.metricsUrl}`);
  return {
    metricsText,
    maskedDigitsReported: sumOf(metricsText, 'dtmfguard_masked_digits_total'),
    verify: { exitCode: v.status, result: verdict.result, digits },
    check: { exitCode: check.status, line: check.stdout.trim() },
  };
}
