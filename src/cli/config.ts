/** `dtmfguard config show | diff FILE | apply FILE [--confirm S] | confirm` */
import type { Command } from 'commander';
import type { TransactionResult } from '../appliance/config-transaction.ts';
import { fromConfigChange, loadConfigFile } from '../config/config-file.ts';
import { DgError } from '../errors.ts';
import type { FullConfig } from '../service/operations.ts';
import { applianceCommand, onAppliance, type ApplianceOpts } from './appliance-command.ts';
import { holdForConfirmation } from './confirm-holder.ts';
import { emit } from './output.ts';

function confirmSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new DgError('DG4208', `--confirm ${v}: give whole seconds from 1 to 3600`);
  return n;
}

export function register(program: Command): void {
  const config = program.command('config').description('Show, compare and apply the appliance configuration (mask tone, trigger code, spans, SIP edge).');

  applianceCommand(config.command('show').description('Print the running configuration as a configuration file.'), 'dtmfguard config show --port /dev/ttyUSB0 > site.json').action(
    async (opts: ApplianceOpts) => {
      const full = await onAppliance(opts, (s) => s.call<FullConfig>('config.show'));
      const file = fromConfigChange(full);
      emit(opts.json, { ...file, version: full.version, state: full.state }, () => JSON.stringify(file, null, 2));
    },
  );

  applianceCommand(config.command('diff').argument('<file>', 'configuration file or hardware profile (JSON)').description('Show what applying FILE would change.'), 'dtmfguard config diff site.json').action(
    async (file: string, opts: ApplianceOpts) => {
      const { change } = loadConfigFile(file);
      const diff = await onAppliance(opts, (s) => s.call<Array<{ setting: string; running: unknown; wanted: unknown }>>('config.diff', { change }));
      emit(opts.json, diff, () => (diff.length ? diff.map((d) => `${d.setting}: ${JSON.stringify(d.running)} -> ${JSON.stringify(d.wanted)}`).join('\n') : 'no differences: the appliance already runs this configuration'));
    },
  );

  applianceCommand(
    config
      .command('apply')
      .argument('<file>', 'configuration file or hardware profile (JSON)')
      .option('--confirm <seconds>', 'roll back by itself unless `dtmfguard config confirm` follows within this many seconds', confirmSeconds)
      .description('Apply FILE as one transaction: stage, read back, commit, read back; roll back on any failure.'),
    'dtmfguard config apply site.json --confirm 120',
  ).action(async (file: string, opts: ApplianceOpts & { confirm?: number }) => {
    const { change, kind } = loadConfigFile(file);
    await onAppliance(opts, async (s) => {
      const r = await s.call<TransactionResult & { confirmBy?: string }>('config.apply', { change, confirmS: opts.confirm });
      const report = () =>
        emit(opts.json, r, () =>
          [
            `applied ${kind === 'profile' ? 'hardware profile' : 'configuration'} ${file}: version ${r.version}, changed ${r.changed.join(', ') || 'nothing'}`,
            ...(r.discardedLeftover.length ? [`discarded settings a previous, interrupted change had left staged: ${r.discardedLeftover.join(', ')}`] : []),
            ...(opts.confirm ? [`run 'dtmfguard config confirm' within ${opts.confirm} s, or the previous settings come back by themselves`] : []),
          ].join('\n'),
        );
      // Without a daemon, this process holds the rollback timer: it stays until confirmed or rolled
      // back, and says so only once `config confirm` can reach it.
      if (opts.confirm && !s.viaDaemon) await holdForConfirmation(s, opts.json, report);
      else report();
    });
  });

  applianceCommand(config.command('confirm').description('Keep a change applied with --confirm.'), 'dtmfguard config confirm').action(async (opts: ApplianceOpts) => {
    const r = await onAppliance(opts, (s) => s.call<{ version: number }>('config.confirm'));
    emit(opts.json, r, () => `configuration version ${r.version} confirmed`);
  });
}
