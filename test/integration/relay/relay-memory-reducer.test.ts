/**
 * `dtmfguard-sim` starts with V8's memory reducer off (the #! line of firmware-sim/bin/dtmfguard-sim.mjs):
 * left on, it runs full mark-compacts ("(reduce)" in --trace-gc) once an isolate's allocation goes
 * quiet, 2-18 ms each, while every relayed packet has under 1 ms of slack. And with a young
 * generation of a fixed 64 MB (the same line): what that does under load is measured by bench-relay.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { SIM } from './relay-process.ts';

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** The command line the kernel started for `dtmfguard-sim` run as a program (as npm's bin link runs it). */
async function launchedNodeFlags(): Promise<string[]> {
  const c = spawn(SIM, ['relay', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  await new Promise((r) => c.stdout!.once('data', r));
  const argv = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return argv.slice(1, argv.indexOf(SIM));
}

it('is started by its #! line with the memory reducer off and a fixed young generation, and a relay so started runs 12 s with no reducing collection', async () => {
  const flags = await launchedNodeFlags();
  expect(flags).toEqual(expect.arrayContaining(['--no-memory-reducer', '--min-semi-space-size=64', '--max-semi-space-size=64']));

  // --streams: the spares are collected into the old generation at start, a collection the trace
  // must show (with a 64 MB young generation, start-up alone makes none).
  const c = spawn(process.execPath, ['--trace-gc', ...flags, SIM, 'relay', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--streams', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let out = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  // Without the flag, an idle relay's first "(reduce)" came 8.2-8.8 s after start (2026-12-07).
  await new Promise((r) => setTimeout(r, 12_000));
  expect(c.exitCode).toBe(null);
  // The trace is on: its silence would prove nothing.
  expect(out).toMatch(/Scavenge|Mark-Compact/);
  expect(out.split('\n').filter((l) => l.includes('(reduce)'))).toEqual([]);
}, 25_000);
