/**
 * `dtmfguard-sim fault --rig-socket PATH NAME on|off|VALUE [--span N|--channel N] [--json]` switches
 * a fault on a running simulator; `dtmfguard-sim fault --rig-socket PATH list` shows them all;
 * `... spans [--span N]` shows what the host cannot see of the lines: both ends of each span model
 * (what a loopback sends back), and the 15-minute intervals.
 * Exit 0 done, 2 refused (bad name, value or scope: the simulator's DG59xx/DG57xx code), 3 no
 * simulator on the socket. Faults and their effects: docs/faults.md.
 */
import type { Command } from 'commander';
import { DgError } from '../../src/errors.ts';
import { FAULT_NAMES } from '../faults/catalogue.ts';
import type { FaultEntry } from '../faults/registry.ts';
import { rigCall } from '../rig/rig-client.ts';
import type { SpanReport } from '../rig/span-report.ts';

interface FaultCliOptions {
  rigSocket: string;
  span?: string;
  channel?: string;
  json?: boolean;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,3}$/.test(text)) throw new DgError('DG5903', `${flag} ${JSON.stringify(text)}: give a number from 1 (e.g. ${flag} 1)`);
  return Number(text);
}

function describe(e: FaultEntry): string {
  const where = e.span !== undefined ? ` span ${e.span}` : e.channel !== undefined ? ` channel ${e.channel}` : '';
  return `${e.fault}${where}: ${e.value}`;
}

function describeSpan(r: SpanReport): string {
  const on = (o: object) => Object.entries(o).filter(([, v]) => v === true).map(([k]) => k).join(',') || 'none';
  const c = r.near.current;
  return [
    `span ${r.span} ${r.kind} ${r.framing} loopback ${r.loopback}`,
    `  near: defects ${on(r.near.defects)}, alarms ${on(r.near.alarms)}${r.near.available ? '' : ', UNAVAILABLE'}; this interval ${c.seconds} s: ES ${c.es} SES ${c.ses} UAS ${c.uas} CV ${c.cv} CRC ${c.crc} FE ${c.fe} slips ${c.slips}`,
    `  far:  defects ${on(r.far.defects)}, alarms ${on(r.far.alarms)}; this interval CRC ${r.far.current.crc} FE ${r.far.current.fe} FEBE ${r.far.current.febe}`,
    `  ${r.intervals.length} completed 15-minute interval(s)`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('fault')
    .description('switch a fault on a running simulator (started with --rig-socket PATH), or list them')
    .argument('<name>', `list, spans, or one of: ${FAULT_NAMES.join(', ')}`)
    .argument('[value]', 'on, off, or a number (rates 0..1, latency ms, °C, mV, bit error ratio, slips/s)')
    .requiredOption('--rig-socket <path>', "the simulator's rig socket")
    .option('--span <n>', 'line faults: this span only (default: every span)')
    .option('--channel <n>', 'dsp-stall: the channel')
    .option('--json', 'print the faults affected as one JSON document')
    .action(async (name: string, value: string | undefined, o: FaultCliOptions) => {
      const span = positive(o.span, '--span');
      const channel = positive(o.channel, '--channel');
      if (span !== undefined && channel !== undefined) throw new DgError('DG5903', 'give --span or --channel, not both');
      if (name === 'spans') {
        if (value !== undefined || channel !== undefined) throw new DgError('DG5905', 'fault spans takes only --span N');
        const res = await rigCall(o.rigSocket, { spans: true, span });
        if (!res.ok) throw new DgError(res.code, res.error);
        if (!('spans' in res)) throw new DgError('DG5907', 'the simulator answered something else');
        if (o.json) process.stdout.write(`${JSON.stringify({ spans: res.spans })}\n`);
        else for (const r of res.spans) process.stdout.write(`${describeSpan(r)}\n`);
        return;
      }
      let res;
      if (name === 'list') {
        if (value !== undefined || span !== undefined || channel !== undefined) throw new DgError('DG5905', 'fault list takes no value, --span or --channel');
        res = await rigCall(o.rigSocket, { list: true });
      } else {
        if (value === undefined) throw new DgError('DG5905', `fault ${name} needs a value: on, off or a number (see dtmfguard-sim fault --help)`);
        res = await rigCall(o.rigSocket, { fault: name, value, span, channel });
      }
      if (!res.ok) throw new DgError(res.code, res.error);
      if (!('faults' in res)) throw new DgError('DG5907', 'the simulator answered something else');
      if (o.json) process.stdout.write(`${JSON.stringify({ faults: res.faults })}\n`);
      else for (const e of res.faults) process.stdout.write(`${describe(e)}\n`);
    });
}
