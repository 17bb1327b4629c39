/** `dtmfguard mask-tone [#|0|1]`: show or set the tone that replaces every keyed digit. */
import type { Command } from 'commander';
import type { TransactionResult } from '../appliance/config-transaction.ts';
import { isMaskTone } from '../dsp/dtmf-keys.ts';
import { DgError } from '../errors.ts';
import { applianceCommand, onAppliance, type ApplianceOpts } from './appliance-command.ts';
import { emit } from './output.ts';

export function register(program: Command): void {
  applianceCommand(
    program
      .command('mask-tone')
      .argument('[tone]', "the DTMF key whose tone masks digits: '#', 0 or 1 (quote # in a shell)")
      .description('Show the mask tone, or set it (applied as a configuration transaction, audited).'),
    "dtmfguard mask-tone '#' --port /dev/ttyUSB0",
  ).action(async (tone: string | undefined, opts: ApplianceOpts) => {
    if (tone !== undefined && !isMaskTone(tone)) throw new DgError('DG4202', `bad mask tone '${tone}': use '#', 0 or 1`);
    await onAppliance(opts, async (s) => {
      if (tone === undefined) {
        const r = await s.call<{ tone: string }>('mask-tone.get');
        emit(opts.json, { tone: r.tone }, () => `mask tone ${r.tone}`);
      } else {
        const r = await s.call<TransactionResult>('mask-tone.set', { tone });
        emit(opts.json, { tone, version: r.version, changed: r.changed }, () => `mask tone set to ${tone} (configuration version ${r.version})`);
      }
    });
  });
}
