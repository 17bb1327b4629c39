// Runs the real commands as a user would: the simulator on a pseudo-terminal pair it makes with
// socat, and the dtmfguard CLI as child processes with their own environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
export const DTMFGUARD = join(ROOT, 'src/cli/bin/dtmfguard.mjs');
export const DTMFGUARD_SIM = join(ROOT, 'firmware-sim/bin/dtmfguard-sim.mjs');
export const PROFILES = join(ROOT, 'hardware-profiles');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], env: NodeJS.ProcessEnv, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SimHandle {
  pty: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `dtmfguard-sim --pty PATH --profile FILE` and waits until it serves. */
export async function startSim(pty: string, profile: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SimHandle> {
  const child = spawn(process.execPath, [DTMFGUARD_SIM, '--pty', pty, '--profile', join(PROFILES, `${profile}.json`), ...extra], { env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitFor(`simulator on ${pty}`, () => existsSync(pty) && /serving/.test(out), 20_000);
  return {
    pty,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
