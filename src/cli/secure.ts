/** `dtmfguard secure on|off|status [--channel N|all]` and `dtmfguard trigger-code CODE`. */
import type { Command } from 'commander';
import type { TransactionResult } from '../appliance/config-transaction.ts';
import { DgError } from '../errors.ts';
import { applianceCommand, onAppliance, type ApplianceOpts } from './appliance-command.ts';
import { emit, table } from './output.ts';

/** `3`, `1-4,9` or `all`. */
export function parseChannels(v: string): number[] | 'all' {
  if (v === 'all') return 'all';
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new DgError('DG4204', `bad channel '${part}': use N, N-M, a comma list, or all`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 1 || b < a || b - a > 4096) throw new DgError('DG4204', `bad channel range '${part}'`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

export function register(program: Command): void {
  applianceCommand(
    program
      .command('secure')
      .argument('<action>', 'on, off or status')
      .option('--channel <N|N-M|all>', 'channels to act on (status defaults to all channels in secure mode)')
      .description('Switch secure mode (digit masking) on or off per channel, or show it.'),
    'dtmfguard secure on --channel 12',
  ).action(async (action: string, opts: ApplianceOpts & { channel?: string }) => {
    if (!['on', 'off', 'status'].includes(action)) throw new DgError('DG4209', `bad action '${action}': use on, off or status`);
    const channels = opts.channel ? parseChannels(opts.channel) : action === 'status' ? 'all' : undefined;
    if (channels === undefined) throw new DgError('DG4209', `secure ${action} needs --channel N (or --channel all)`);
    await onAppliance(opts, async (s) => {
      if (action === 'status') {
        const r = await s.call<Array<{ ch: number; state: boolean; since_s: number }>>('secure.status', { channels });
        emit(opts.json, r, () =>
          r.length ? table([['channel', 'secure', 'since'], ...r.map((x) => [String(x.ch), x.state ? 'on' : 'off', x.state ? `${x.since_s} s` : '-'])]) : 'no channel is in secure mode',
        );
      } else {
        const r = await s.call<Array<{ ch: number; state: boolean }>>('secure.set', { channels, on: action === 'on' });
        emit(opts.json, r, () => `secure mode ${action} for ${r.length} channel(s)${r.length <= 8 ? `: ${r.map((x) => x.ch).join(', ')}` : ''}`);
      }
    });
  });

  applianceCommand(
    program
      .command('trigger-code')
      .argument('[code]', 'what the agent keys to start secure mode: 1 to 8 of 0-9 * #')
      .description('Show or set the agent keypad trigger code (applied as a configuration transaction, audited).'),
    "dtmfguard trigger-code '*7'",
  ).action(async (code: string | undefined, opts: ApplianceOpts) => {
    if (code !== undefined && !/^[0-9*#]{1,8}$/.test(code)) throw new DgError('DG4203', 'bad trigger code: use 1 to 8 of 0-9 * #');
    await onAppliance(opts, async (s) => {
      if (code === undefined) {
        const r = await s.call<{ code: string }>('trigger-code.get');
        emit(opts.json, { code: r.code }, () => `trigger code ${r.code}`);
      } else {
        const r = await s.call<TransactionResult>('trigger-code.set', { code });
        emit(opts.json, { code, version: r.version }, () => `trigger code set (configuration version ${r.version})`);
      }
    });
  });
}
