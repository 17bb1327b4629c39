/**
 * `dtmfguard-sim fault --rig-socket PATH NAME on|off|VALUE [--span N|--channel N] [--json]` switches
 * a fault on a running simulator; `dtmfguard-sim fault --rig-socket PATH list` shows them all.
 * Exit 0 done, 2 refused (bad name, value or scope: the simulator's DG59xx/DG57xx code), 3 no
 * simulator on the socket. Faults and their effects: docs/faults.md.
 */
import type { Command } from 'commander';
import { DgError } from '../../src/errors.ts';
import { FAULT_NAMES } from '../faults/catalogue.ts';
import type { FaultEntry } from '../faults/registry.ts';
import { rigCall } from '../rig/rig-client.ts';

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

export function register(program: Command): void {
  program
    .command('fault')
    .description('switch a fault on a running simulator (started with --rig-socket PATH), or list them')
    .argument('<name>', `list, or one of: ${FAULT_NAMES.join(', ')}`)
    .argument('[value]', 'on, off, or a number (rates 0..1, latency ms, °C, mV, bit error ratio, slips/s)')
    .requiredOption('--rig-socket <path>', "the simulator's rig socket")
    .option('--span <n>', 'line faults: this span only (default: every span)')
    .option('--channel <n>', 'dsp-stall: the channel')
    .option('--json', 'print the faults affected as one JSON document')
    .action(async (name: string, value: string | undefined, o: FaultCliOptions) => {
      const span = positive(o.span, '--span');
      const channel = positive(o.channel, '--channel');
      if (span !== undefined && channel !== undefined) throw new DgError('DG5903', 'give --span or --channel, not both');
      let res;
      if (name === 'list') {
        if (value !== undefined || span !== undefined || channel !== undefined) throw new DgError('DG5905', 'fault list takes no value, --span or --channel');
        res = await rigCall(o.rigSocket, { list: true });
      } else {
        if (value === undefined) throw new DgError('DG5905', `fault ${name} needs a value: on, off or a number (see dtmfguard-sim fault --help)`);
        res = await rigCall(o.rigSocket, { fault: name, value, span, channel });
      }
      if (!res.ok) throw new DgError(res.code, res.error);
      if (o.json) process.stdout.write(`${JSON.stringify({ faults: res.faults })}\n`);
      else for (const e of res.faults) process.stdout.write(`${describe(e)}\n`);
    });
}
