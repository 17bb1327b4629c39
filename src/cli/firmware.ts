/** `dtmfguard firmware info | upload IMAGE | activate SLOT` */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DgError } from '../errors.ts';
import type { FirmwareProgress } from '../service/operations.ts';
import { applianceCommand, onAppliance, type ApplianceOpts } from './appliance-command.ts';
import { emit, table } from './output.ts';
import { Progress } from './progress.ts';

interface Slots {
  active: 'A' | 'B';
  next: 'A' | 'B';
  a_state: string;
  a_version: string;
  b_state: string;
  b_version: string;
}

export function register(program: Command): void {
  const fw = program.command('firmware').description('Firmware slots: show them, upload a signed image to the spare slot, activate it.');

  applianceCommand(fw.command('info').description('Show both firmware slots and any transfer in progress.'), 'dtmfguard firmware info').action(async (opts: ApplianceOpts) => {
    const r = await onAppliance(opts, (s) => s.call<{ slots: Slots; transfer: { state: string; slot: string; size: number; next_offset: number } }>('firmware.info'));
    emit(opts.json, r, () =>
      [
        table([
          ['slot', 'state', 'version', ''],
          ['A', r.slots.a_state, r.slots.a_version || '-', r.slots.active === 'A' ? 'running' : 'spare'],
          ['B', r.slots.b_state, r.slots.b_version || '-', r.slots.active === 'B' ? 'running' : 'spare'],
        ]),
        r.transfer.state === 'idle' ? 'no transfer in progress' : `transfer to slot ${r.transfer.slot}: ${r.transfer.next_offset} of ${r.transfer.size} bytes (${r.transfer.state}); upload the same image again to resume`,
      ].join('\n'),
    );
  });

  applianceCommand(
    fw.command('upload').argument('<image>', 'signed firmware image file').description('Upload IMAGE to the spare slot; resumes an interrupted upload of the same image. The board checks the signature and refuses a bad image.'),
    'dtmfguard firmware upload dg-fw-1.5.0.img',
  ).action(async (path: string, opts: ApplianceOpts) => {
    let image: Buffer;
    try {
      image = readFileSync(path);
    } catch (e) {
      throw new DgError('DG4212', `cannot read firmware image ${path} (${(e as NodeJS.ErrnoException).code})`);
    }
    if (image.length === 0) throw new DgError('DG4212', `firmware image ${path} is empty`);
    let progress: Progress | undefined;
    const r = await onAppliance(opts, (s) =>
      s.call<{ slot: string; version: string; resumedFrom: number; bytes: number }>('firmware.upload', { image: image.toString('base64') }, (p) => {
        const fp = p as FirmwareProgress;
        if (!progress) {
          progress = new Progress(`upload ${path}`, fp.size, process.stderr, fp.resumedFrom);
          if (fp.resumedFrom > 0) process.stderr.write(`resuming an interrupted upload at byte ${fp.resumedFrom}\n`);
        }
        progress.update(fp.sent);
      }),
    );
    emit(opts.json, r, () => `image ${r.version} verified and stored in slot ${r.slot}${r.resumedFrom ? ` (resumed at byte ${r.resumedFrom})` : ''}; run 'dtmfguard firmware activate ${r.slot}' to boot it`);
  });

  applianceCommand(
    fw.command('activate').argument('<slot>', 'A or B').description('Reboot the board into SLOT. The previous slot stays bootable; a failed boot falls back to it.'),
    'dtmfguard firmware activate B',
  ).action(async (slot: string, opts: ApplianceOpts) => {
    const s = slot.toUpperCase();
    if (s !== 'A' && s !== 'B') throw new DgError('DG4213', `bad slot '${slot}': use A or B`);
    const r = await onAppliance(opts, (x) => x.call<{ slot: string }>('firmware.activate', { slot: s }));
    emit(opts.json, r, () => `the board is rebooting into slot ${r.slot}`);
  });
}
