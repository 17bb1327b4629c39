/** `dtmfguard ports`: the serial devices an appliance may be on, with USB vendor/product ids. */
import { readdirSync, readlinkSync } from 'node:fs';
import type { Command } from 'commander';
import { SerialPort } from 'serialport';
import { DgError } from '../errors.ts';
import { emit, table } from './output.ts';

export interface PortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  byId?: string;
}

/** Stable names from /dev/serial/by-id (what an installer should put in the systemd unit). */
function byIdNames(): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const name of readdirSync('/dev/serial/by-id')) {
      const target = readlinkSync(`/dev/serial/by-id/${name}`);
      out.set(`/dev/${target.split('/').pop()}`, `/dev/serial/by-id/${name}`);
    }
  } catch {
    // No USB serial adapters plugged in (or no udev): nothing to add.
  }
  return out;
}

export async function listPorts(): Promise<PortEntry[]> {
  let ports: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    // serialport asks udev (`udevadm info -e`) for the device database on Linux.
    ports = await SerialPort.list();
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' || /udevadm|ENOENT/.test((e as Error).message) ? 'udevadm was not found' : (e as Error).message;
    throw new DgError('DG1403', `cannot list serial ports: ${msg}; install udev (apt-get install udev), or pass the device path with --port directly`);
  }
  const byId = byIdNames();
  return ports.map((p) => ({
    path: p.path,
    manufacturer: p.manufacturer,
    serialNumber: p.serialNumber,
    vendorId: p.vendorId,
    productId: p.productId,
    byId: byId.get(p.path),
  }));
}

export function register(program: Command): void {
  program
    .command('ports')
    .option('--json', 'print one JSON document on stdout')
    .description('List serial devices (with USB vendor:product ids) an appliance may be connected to.')
    .addHelpText('after', '\nExample:\n  dtmfguard ports\n\nUses udev; prefer the /dev/serial/by-id name in configuration: it survives replugging.')
    .action(async (opts: { json?: boolean }) => {
      const ports = await listPorts();
      emit(opts.json, ports, () =>
        ports.length
          ? table([['device', 'usb id', 'manufacturer', 'serial', 'stable name'], ...ports.map((p) => [p.path, p.vendorId ? `${p.vendorId}:${p.productId}` : '-', p.manufacturer ?? '-', p.serialNumber ?? '-', p.byId ?? '-'])])
          : 'no serial devices found (is the USB adapter plugged in? is the user in the dialout group?)',
      );
    });
}
