/**
 * `dtmfguard check`: the Nagios/Icinga plugin. Reads the board (through the daemon when one owns
 * the port, otherwise directly), grades what is wrong with the same evaluation as /healthz, and
 * prints one status line with perfdata. Exit codes follow the plugin convention, not the CLI's:
 * 0 OK, 1 WARNING, 2 CRITICAL (link down included), 3 UNKNOWN.
 */
import type { Command } from 'commander';
import { ApplianceClient } from '../appliance/client.ts';
import { DgError, isDgError } from '../errors.ts';
import { readBoard } from '../service/board-reader.ts';
import { emptySnapshot, type BoardSnapshot } from '../service/board-snapshot.ts';
import { ControlClient, canConnect } from '../service/control-socket.ts';
import { DEFAULT_THRESHOLDS, evaluateProblems, type Thresholds } from '../service/health.ts';
import { formatStatusLine, NAGIOS, parseRange, worst, type NagiosState, type PerfDatum } from '../service/nagios.ts';
import { controlSocketPath } from '../service/paths.ts';
import { addPortOption, resolvePort } from './port-option.ts';

const KEYS: Record<string, keyof Thresholds> = { temperature: 'temperature', 'dsp-load': 'dspLoad', 'crc-rate': 'crcPerMinute', slips: 'slips' };

export function parseThresholds(warn: string[], crit: string[]): Thresholds {
  const t: Thresholds = structuredClone(DEFAULT_THRESHOLDS);
  for (const [list, level] of [[warn, 'warn'], [crit, 'crit']] as const) {
    for (const item of list) {
      const m = /^([a-z-]+)=(.+)$/.exec(item);
      const key = m && KEYS[m[1]];
      if (!m || !key) throw new DgError('DG4102', `bad --${level} '${item}': use KEY=RANGE with KEY one of ${Object.keys(KEYS).join(', ')}`);
      t[key][level] = parseRange(m[2]);
    }
  }
  return t;
}

/** The snapshot as the daemon serialises it (maps as objects) back to the in-memory shape. */
function fromWire(w: Record<string, unknown>): BoardSnapshot {
  const s = { ...emptySnapshot(), ...(w as object) } as BoardSnapshot;
  s.channels = new Map(Object.entries((w.channels ?? {}) as object).map(([k, v]) => [Number(k), v]));
  s.resetGeneration = new Map(Object.entries((w.resetGeneration ?? {}) as object).map(([k, v]) => [Number(k), v as number]));
  s.problemsSince = new Map(Object.entries((w.problemsSince ?? {}) as object) as Array<[string, string]>);
  return s;
}

async function readSnapshot(port: string): Promise<BoardSnapshot> {
  const socket = controlSocketPath(port);
  if (await canConnect(socket)) {
    const client = await ControlClient.connect(socket);
    try {
      return fromWire(await client.call<Record<string, unknown>>('snapshot'));
    } finally {
      client.close();
    }
  }
  const snapshot = emptySnapshot();
  let client: ApplianceClient;
  try {
    client = await ApplianceClient.connect(port, { driver: { maxAttempts: 2 } });
  } catch (e) {
    snapshot.link.state = 'down';
    snapshot.link.up = false;
    (snapshot as BoardSnapshot & { linkError?: string }).linkError = (e as Error).message;
    return snapshot;
  }
  try {
    await readBoard(client, snapshot);
  } finally {
    await client.close();
  }
  return snapshot;
}

export function checkResult(s: BoardSnapshot, t: Thresholds): { state: NagiosState; line: string } {
  const problems = evaluateProblems(s, t);
  const state = worst(problems.map((p) => (p.severity === 'critical' ? 'CRITICAL' : 'WARNING')));
  const perf: PerfDatum[] = [];
  if (s.link.up) {
    if (s.health) {
      perf.push({ label: 'temperature', value: s.health.tempC, warn: t.temperature.warn, crit: t.temperature.crit });
      perf.push({ label: 'dsp_load', value: s.health.dspLoadPct, uom: '%', warn: t.dspLoad.warn, crit: t.dspLoad.crit, min: 0, max: 100 });
    }
    for (const span of s.spans) {
      perf.push({ label: `span${span.span}_crc_errors`, value: span.counters.crc_err, uom: 'c' });
      perf.push({ label: `span${span.span}_slips`, value: span.counters.slips, uom: 'c', warn: t.slips.warn, crit: t.slips.crit });
      perf.push({ label: `span${span.span}_es`, value: span.counters.es, uom: 'c' });
      perf.push({ label: `span${span.span}_ses`, value: span.counters.ses, uom: 'c' });
    }
    perf.push({ label: 'secure_channels', value: [...s.channels.values()].filter((c) => c.secure).length, min: 0 });
    if (s.link.rttMs !== undefined) perf.push({ label: 'link_rtt', value: s.link.rttMs / 1000, uom: 's' });
  }
  let text: string;
  if (problems.length) {
    text = problems.map((p) => p.what).join('; ');
    const linkError = (s as BoardSnapshot & { linkError?: string }).linkError;
    if (linkError) text += ` (${linkError.replace(/^DG\d{4}: /, '')})`;
  } else {
    const up = s.spans.filter((x) => x.up).length;
    text = `${s.identity?.model ?? 'appliance'} fw ${s.identity?.firmware ?? '?'}: ${s.spans.length ? `${up}/${s.spans.length} spans up, ` : ''}no alarms`;
  }
  return { state, line: formatStatusLine('DTMFGUARD', state, text, perf) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const cmd = program
    .command('check')
    .description('Nagios/Icinga plugin: one status line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.')
    .option('--warn <key=range>', 'warning threshold, repeatable: temperature, dsp-load, crc-rate (per minute), slips', collect, [])
    .option('--crit <key=range>', 'critical threshold, repeatable (same keys)', collect, [])
    .option('--json', 'print the state, the problems and the perfdata as JSON');
  // A usage error of a plugin is UNKNOWN (3), not the CLI's 2, which Nagios would read as CRITICAL.
  cmd.exitOverride((err) => {
    if (err.exitCode === 0) throw err;
    process.stdout.write(`${formatStatusLine('DTMFGUARD', 'UNKNOWN', `bad usage: ${err.message.replace(/^error: /, '')}`)}\n`);
    throw new DgError('DG4001', 'bad usage of dtmfguard check (see --help)', NAGIOS.UNKNOWN);
  });
  addPortOption(cmd)
    .addHelpText('after', `
Critical: link down, red alarm (LOS, LOF), blue alarm (AIS), bypass engaged, DSP stalled.
Warning: yellow alarm (RAI), thresholds. Ranges use the Nagios syntax (10, 10:, ~:10, @10:20).

Example (Icinga CheckCommand):
  dtmfguard check --port /dev/ttyUSB0 --warn temperature=55 --crit temperature=65 --warn crc-rate=5`)
    .action(async (opts: { port?: string; warn: string[]; crit: string[]; json?: boolean }) => {
      let state: NagiosState;
      try {
        const thresholds = parseThresholds(opts.warn, opts.crit);
        const port = resolvePort(opts);
        const snapshot = await readSnapshot(port);
        const result = checkResult(snapshot, thresholds);
        state = result.state;
        if (opts.json) process.stdout.write(`${JSON.stringify({ state, line: result.line, problems: evaluateProblems(snapshot, thresholds) }, null, 2)}\n`);
        else process.stdout.write(`${result.line}\n`);
      } catch (e) {
        // Bad arguments and anything unexpected are UNKNOWN, with the reason on the status line.
        state = 'UNKNOWN';
        process.stdout.write(`${formatStatusLine('DTMFGUARD', 'UNKNOWN', isDgError(e) ? e.message : `internal error: ${(e as Error).message}`)}\n`);
      }
      process.exitCode = NAGIOS[state];
    });
}
