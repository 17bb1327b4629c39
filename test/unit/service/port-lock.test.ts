import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquirePortLock, lockOwner, lockPathFor } from '../../../src/service/port-lock.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('port lock', () => {
  it('names lock files the UUCP way', () => {
    expect(lockPathFor('/dev/ttyUSB0', dir)).toBe(join(dir, 'LCK..ttyUSB0'));
    expect(lockPathFor('tcp://10.0.0.5:7001', dir)).toBe(join(dir, 'LCK..tcp-10.0.0.5-7001'));
  });

  it('writes our PID as ten ASCII digits and removes the file on release', () => {
    const lock = acquirePortLock('/dev/ttyS9', dir);
    expect(readFileSync(lock.path, 'utf8')).toBe(`${String(process.pid).padStart(10)}\n`);
    expect(lockOwner('/dev/ttyS9', dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses a second opener with the owner PID and exit code 3', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(lockPathFor('/dev/ttyS8', dir), `${String(child.pid).padStart(10)}\n`);
      expect(() => acquirePortLock('/dev/ttyS8', dir)).toThrow(new RegExp(`DG1402: port /dev/ttyS8 is in use by PID ${child.pid}`));
      try {
        acquirePortLock('/dev/ttyS8', dir);
      } catch (e) {
        expect((e as { exitCode: number }).exitCode).toBe(3);
      }
    } finally {
      child.kill();
    }
  });

  it('takes over a stale lock left by a dead process', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    writeFileSync(lockPathFor('/dev/ttyS7', dir), `${String(child.pid).padStart(10)}\n`);
    const lock = acquirePortLock('/dev/ttyS7', dir);
    expect(lockOwner('/dev/ttyS7', dir)).toBe(process.pid);
    lock.release();
  });
});
