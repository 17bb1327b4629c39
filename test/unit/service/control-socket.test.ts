import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DgError } from '../../../src/errors.ts';
import { ControlClient, ControlServer } from '../../../src/service/control-socket.ts';
import { parseSsRows, userName } from '../../../src/service/peer-credentials.ts';

let dir: string;
let server: ControlServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-ctl-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('control socket', () => {
  it('answers calls with the caller identity taken from the kernel, mode 0660', async () => {
    const path = join(dir, 'ctl.sock');
    server = new ControlServer({
      path,
      handler: async (method, params, ctx) => {
        ctx.progress({ step: 1 });
        return { method, params, who: ctx.who, pid: ctx.peer?.pid };
      },
    });
    await server.listen();
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const client = await ControlClient.connect(path);
    const progress: unknown[] = [];
    const result = await client.call<{ who: string; pid: number; method: string }>('ping', { a: 1 }, (p) => progress.push(p));
    client.close();
    expect(result).toMatchObject({ method: 'ping', params: { a: 1 }, who: userInfo().username, pid: process.pid });
    expect(progress).toEqual([{ step: 1 }]);
  });

  it('carries DgErrors back with their code and exit code', async () => {
    const path = join(dir, 'ctl.sock');
    server = new ControlServer({ path, handler: async () => { throw new DgError('DG1203', 'response timeout', 3); } });
    await server.listen();
    const client = await ControlClient.connect(path);
    await expect(client.call('x')).rejects.toMatchObject({ code: 'DG1203', exitCode: 3, message: 'DG1203: response timeout' });
    client.close();
  });

  it('replaces a stale socket file but refuses to start beside a live daemon', async () => {
    const path = join(dir, 'ctl.sock');
    writeFileSync(path, '');
    server = new ControlServer({ path, handler: async () => 1 });
    await server.listen();
    const second = new ControlServer({ path, handler: async () => 2 });
    await expect(second.listen()).rejects.toThrow(/DG7001/);
  });

  it('reports an absent daemon as unreachable (exit 3)', async () => {
    await expect(ControlClient.connect(join(dir, 'none.sock'))).rejects.toMatchObject({ code: 'DG7003', exitCode: 3 });
  });

  it('parses ss rows and passwd names', () => {
    const rows = parseSsRows('u_str ESTAB 0      0      /run/x.sock 19116 * 19115 users:(("node",pid=11,fd=21))\nu_str ESTAB 0 0 * 19115 * 19116 users:(("dtmfguard",pid=12,fd=20))');
    expect(rows).toEqual([{ localInode: 19116, peerInode: 19115, pid: 11 }, { localInode: 19115, peerInode: 19116, pid: 12 }]);
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/sh\n');
    expect(userName(1001, join(dir, 'passwd'))).toBe('alice');
    expect(userName(4242, join(dir, 'passwd'))).toBe('uid:4242');
  });
});
