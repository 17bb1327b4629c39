// Shared by bench-verify.ts and bench-capture.ts: runs the real `dtmfguard verify` command (and
// tshark) as child processes and measures each the same way: wall clock, CPU time of the child
// (user + system, all its threads, from bash's `times`), and for ours the peak RSS
// (bench-verify-rusage.mjs, preloaded).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(here, '../src/cli/bin/dtmfguard.mjs');

/**
 * Runs `cmd` under bash; stdout goes to a file (a 1 GB run's JSON verdict is large) and comes back
 * as a string. Returns { seconds, cpuS, status, stdout }.
 */
export function timed(cmd, env = process.env) {
  const quoted = cmd.map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
  const out = join(tmpdir(), `dg-bench-out-${process.pid}.txt`);
  const t = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `${quoted} > '${out}'; s=$?; times; exit $s`], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  // `times` prints the shell's user/system times, then its children's.
  const children = (r.stdout.trim().split('\n').at(-1) ?? '').split(' ').map((x) => {
    const m = /(\d+)m([\d.]+)s/.exec(x);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  });
  let stdout = '';
  try {
    stdout = readFileSync(out, 'utf8');
  } finally {
    rmSync(out, { force: true });
  }
  return { seconds, cpuS: children[0] + (children[1] ?? 0), status: r.status, stdout };
}

/** tshark over a capture, decoding RTP (heuristic) and RFC 4733 events: the reference. */
export function tsharkRtpEvents(file) {
  return timed(['tshark', '-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtpevent', '-T', 'fields', '-e', 'rtpevent.event_id']);
}

/**
 * `dtmfguard verify --json --mask-tone '#' [--workers N] [extra...] FILE`: times, peak RSS and what
 * it found ({ seconds, cpuS, maxRssBytes, packets, events, inband, streams, workers }).
 */
export function verifyWithCli(file, { workers, extra = [] } = {}) {
  const usage = join(tmpdir(), `dg-bench-rusage-${process.pid}.json`);
  const args = [process.execPath, '--import', join(here, 'bench-verify-rusage.mjs'), BIN, 'verify', '--json', '--mask-tone', '#',
    ...(workers === undefined ? [] : ['--workers', String(workers)]), ...extra, file];
  const r = timed(args, { ...process.env, DG_BENCH_RUSAGE: usage });
  if (r.status !== 0 && r.status !== 1) throw new Error(`dtmfguard verify exited ${r.status}`);
  const u = JSON.parse(readFileSync(usage, 'utf8'));
  rmSync(usage, { force: true });
  const f = JSON.parse(r.stdout).files[0];
  const events = f.digits.filter((d) => d.source === 'rfc4733').length;
  return { seconds: r.seconds, cpuS: r.cpuS, maxRssBytes: u.maxRssBytes, packets: f.capture?.packets ?? 0, events, inband: f.digits.length - events,
    streams: f.streams?.length ?? 0, workers: workers === undefined ? 'default' : String(workers) };
}
