/**
 * One owner per serial port: a UUCP-style lock file (`LCK..ttyUSB0` holding the owner's PID as
 * ten ASCII digits, FHS §5.9), the convention minicom, screen and ModemManager honour. A lock
 * whose PID is gone is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DgError, EXIT } from '../errors.ts';

export function lockDir(): string {
  return process.env.DTMFGUARD_LOCK_DIR ?? '/run/lock';
}

/** `LCK..ttyUSB0` for a device path; `LCK..tcp-host-port` for a console server address. */
export function lockPathFor(port: string, dir = lockDir()): string {
  const name = port.startsWith('tcp://') ? `tcp-${port.slice(6).replace(/[^A-Za-z0-9.-]/g, '-')}` : basename(port);
  return join(dir, `LCK..${name}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockOwner(port: string, dir = lockDir()): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPathFor(port, dir), 'utf8').trim(), 10);
    return Number.isFinite(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface PortLock {
  readonly path: string;
  release(): void;
}

export function acquirePortLock(port: string, dir = lockDir()): PortLock {
  mkdirSync(dir, { recursive: true });
  const path = lockPathFor(port, dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${String(process.pid).padStart(10)}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DgError('DG1401', `cannot create the lock file ${path} (${(e as Error).message}); run as root or set DTMFGUARD_LOCK_DIR`);
      }
      const owner = lockOwner(port, dir);
      if (owner !== undefined && owner !== process.pid) {
        throw new DgError('DG1402', `port ${port} is in use by PID ${owner}; stop that process or talk to its daemon`, EXIT.unreachable);
      }
      // Stale lock from a process that died: take it over.
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; try again.
      }
    }
  }
  throw new DgError('DG1402', `port ${port} is in use (lock ${path}); try again`, EXIT.unreachable);
}
