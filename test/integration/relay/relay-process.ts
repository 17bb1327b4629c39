/**
 * `dtmfguard-sim relay --json` as a child process for the relay tests: its JSON lines, its
 * listening address, its exit; every one started is killed by `killRelays` (afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const SIM = join(import.meta.dirname, '../../../firmware-sim/bin/dtmfguard-sim.mjs');
const started: ChildProcess[] = [];

export interface RelayProcess {
  child: ChildProcess;
  /** Every JSON line so far (listening, masked, stopped). */
  lines: Record<string, unknown>[];
  exit: Promise<number | null>;
  /** The `listening` line; rejects if the relay exits first. */
  listening: Promise<Record<string, unknown>>;
}

export function startRelay(args: string[]): RelayProcess {
  const child = spawn(process.execPath, [SIM, 'relay', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const lines: Record<string, unknown>[] = [];
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as Record<string, unknown>;
      lines.push(m);
      if (m.event === 'listening') resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`relay exited early with ${code}`)));
  });
  return { child, lines, exit, listening };
}

export function killRelays(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
