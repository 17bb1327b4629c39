/**
 * The processes of the end-to-end chain, each a real program as a user would run it: the
 * simulator on a pty it makes with socat, the daemon, tcpdump, and the CLI. Every process started
 * here is remembered, so a stop (or Ctrl-C) ends all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
export const DTMFGUARD_BIN = join(ROOT, 'src/cli/bin/dtmfguard.mjs');
export const DTMFGUARD_SIM_BIN = join(ROOT, 'firmware-sim/bin/dtmfguard-sim.mjs');
export const PROFILE_DIR = join(ROOT, 'hardware-profiles');

export interface Started {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export class ProcessGroup {
  private readonly all: Started[] = [];

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const started = { name, child, output: () => out, exited };
    this.all.push(started);
    return started;
  }

  find(name: string): Started | undefined {
    return this.all.find((s) => s.name === name);
  }

  node(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
    return this.start(name, process.execPath, [bin, ...args], env);
  }

  /** SIGTERM to everything still running, SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    const running = this.all.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    for (const s of running) s.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(running.map((s) => s.exited));
    clearTimeout(timer);
  }
}

/** Runs a command to completion and returns its output. */
export function runToEnd(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export async function waitUntil<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}
