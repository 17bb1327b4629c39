import { spawn, type ChildProcess } from 'node:child_process';

const SIM_BIN = new URL('../../../firmware-sim/bin/dtmfguard-sim.mjs', import.meta.url).pathname;

/** A `dtmfguard-sim --pty PATH` process in its own process group (it runs socat as its child). */
export class SimProcess {
  child: ChildProcess | undefined;
  stderr = '';

  constructor(readonly args: string[]) {}

  /** Starts it; resolves with the device path it prints on its first stdout line. */
  async start(): Promise<string> {
    const child = spawn(process.execPath, [SIM_BIN, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    return new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`simulator printed nothing in 30 s; stderr: ${this.stderr}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`simulator exited ${code}: ${this.stderr}`));
      });
    });
  }

  /** Kills the whole group at once (simulator and socat): a crash, not a clean stop. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, signal);
    } catch {
      return;
    }
    await exited;
  }

  /** Sends a signal to the simulator process only (SIGSTOP/SIGCONT: a board that hangs). */
  signal(sig: NodeJS.Signals): void {
    if (this.child?.pid) process.kill(this.child.pid, sig);
  }

  /** Clean stop; falls back to killing the group. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const t = setTimeout(() => void this.kill(), 5000);
    await exited;
    clearTimeout(t);
  }
}
