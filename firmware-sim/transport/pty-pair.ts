/**
 * A pseudo-terminal pair made by socat (Debian package `socat`, listed in scripts/setup.sh):
 *
 *   socat -d -d pty,raw,echo=0,link=PATH pty,raw,echo=0,link=PATH.sim
 *
 * The host opens PATH like any serial device; the simulator opens PATH.sim. socat (1.7/1.8) keeps
 * relaying when the host closes and reopens PATH (tested in test/integration/sim/pty.test.ts); if
 * socat dies anyway, the pair is recreated at the same paths, a bounded number of times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { DgError } from '../../src/errors.ts';

export interface PtyPairOptions {
  /** The device path the host opens; the simulator's end is PATH.sim. */
  path: string;
  socat?: string;
  /** How long socat may take to create both links; 5 s covers a loaded 2-core CI machine. */
  readyTimeoutMs?: number;
  /** Recreations of the pair after socat died on its own before giving up; never loop forever. */
  maxRestarts?: number;
  log?: (msg: string) => void;
}

/** socat splits addresses at these characters, so a path holding one would be misread. */
const SOCAT_SPECIAL = /[,:!\s'"\\]/;

export class PtyPair extends EventEmitter<{ ready: []; lost: [reason: string]; 'gave-up': [reason: string] }> {
  readonly path: string;
  readonly simPath: string;
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private readonly opts: Required<Omit<PtyPairOptions, 'path'>>;

  constructor(options: PtyPairOptions) {
    super();
    if (SOCAT_SPECIAL.test(options.path)) {
      throw new DgError('DG5003', `--pty ${JSON.stringify(options.path)}: the path may not contain spaces, quotes or , : ! \\ (socat address syntax); choose another path`);
    }
    this.path = options.path;
    this.simPath = `${options.path}.sim`;
    this.opts = {
      socat: options.socat ?? 'socat',
      readyTimeoutMs: options.readyTimeoutMs ?? 5000,
      maxRestarts: options.maxRestarts ?? 5,
      log: options.log ?? (() => {}),
    };
  }

  /** Creates the pair; resolves when both device links exist. */
  async start(): Promise<void> {
    for (const p of [this.path, this.simPath]) {
      if (!existsSync(p) && !isLink(p)) continue;
      // Only a dangling link left by an earlier run may be replaced, never a real file or device.
      if (!isLink(p)) throw new DgError('DG5004', `${p} exists and is not a symbolic link; choose another --pty path`);
      unlinkSync(p);
    }
    const child = spawn(this.opts.socat, ['-d', '-d', `pty,raw,echo=0,link=${this.path}`, `pty,raw,echo=0,link=${this.simPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new DgError('DG5001', 'socat is not installed; install it (apt-get install socat) to use --pty, or use --tcp')
            : new DgError('DG5002', `cannot start socat: ${e.message}`),
        ),
      ),
    );
    const exitedEarly = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new DgError('DG5002', `socat exited (${code}) before creating ${this.path}: ${lastLine(stderr)}`))),
    );
    const ready = (async () => {
      const deadline = Date.now() + this.opts.readyTimeoutMs;
      while (!(existsSync(this.path) && existsSync(this.simPath))) {
        if (Date.now() > deadline) throw new DgError('DG5002', `socat did not create ${this.path} within ${this.opts.readyTimeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await Promise.race([ready, spawnError, exitedEarly]);
    } catch (e) {
      this.kill();
      throw e;
    }
    spawnError.catch(() => {});
    exitedEarly.catch(() => {});
    child.once('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.child = null;
      const reason = `socat exited (${signal ?? code}): ${lastLine(stderr)}`;
      this.opts.log(reason);
      this.emit('lost', reason);
      if (this.restarts >= this.opts.maxRestarts) {
        this.emit('gave-up', `${reason}; recreated ${this.restarts} times already`);
        return;
      }
      this.restarts++;
      setTimeout(() => {
        if (this.stopping) return;
        this.start().then(
          () => this.emit('ready'),
          (e: Error) => this.emit('gave-up', e.message),
        );
      }, 100);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends socat (it removes its links) and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }

  private kill(): void {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGTERM');
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
