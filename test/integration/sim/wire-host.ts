import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../../src/protocol/parser.ts';

export const SIM_BIN = new URL('../../../firmware-sim/bin/dtmfguard-sim.mjs', import.meta.url).pathname;

/** The simplest host: frames over any byte stream, one request at a time, no retries. */
export class WireHost {
  readonly received: Frame[] = [];
  readonly discarded: ParsedItem[] = [];
  private seq = 0;

  constructor(private readonly stream: Duplex) {
    const parser = new FrameStream();
    stream.pipe(parser);
    parser.on('data', (it: ParsedItem) => (it.type === 'frame' ? this.received.push(it.frame) : this.discarded.push(it)));
  }

  async request(name: string, fields: Record<string, string> = {}, timeoutMs = 5000): Promise<Frame> {
    const seq = this.seq++;
    this.stream.write(encodeFrame({ kind: 'req', seq, name, fields }));
    return this.waitFor((f) => f.kind !== 'evt' && f.seq === seq && f.name === name, timeoutMs);
  }

  async waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Starts `dtmfguard-sim ARGS` in its own process group; resolves with its first stdout line. */
export async function startSim(args: string[]): Promise<{ child: ChildProcess; firstLine: string; stderr: () => string }> {
  const child = spawn(process.execPath, [SIM_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`simulator printed nothing in 20 s; stderr: ${err}`)), 20_000);
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
      reject(new Error(`simulator exited ${code}: ${err}`));
    });
  });
  return { child, firstLine, stderr: () => err };
}

/** Stops the simulator with SIGTERM; resolves with its exit code. */
export async function stopSim(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Last resort in afterAll: the whole process group (the simulator and its socat). */
export function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
