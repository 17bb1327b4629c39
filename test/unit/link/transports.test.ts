import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { createTransport, parseTarget } from '../../../src/link/open-transport.ts';
import { createMemoryPair } from '../../../src/link/memory-transport.ts';
import { TcpTransport } from '../../../src/link/tcp-transport.ts';
import { SerialTransport } from '../../../src/link/serial-transport.ts';
import { DgError } from '../../../src/errors.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('parseTarget', () => {
  it('reads tcp://host:port, bracketed IPv6, and device paths', () => {
    expect(parseTarget('tcp://10.0.0.5:7001')).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 7001 });
    expect(parseTarget('tcp://[::1]:2000')).toEqual({ kind: 'tcp', host: '::1', port: 2000 });
    expect(parseTarget('TCP://console.example:23/')).toEqual({ kind: 'tcp', host: 'console.example', port: 23 });
    expect(parseTarget('/dev/ttyUSB0')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    expect(parseTarget(' /tmp/dg-pty ')).toEqual({ kind: 'serial', path: '/tmp/dg-pty' });
  });

  it.each(['', 'tcp://host', 'tcp://host:0', 'tcp://host:70000', 'udp://host:1', 'tcp://:80'])('rejects %j with DG1103, exit 2', (t) => {
    let err: unknown;
    try {
      parseTarget(t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DgError);
    expect((err as DgError).code).toBe('DG1103');
    expect((err as DgError).exitCode).toBe(2);
  });

  it('builds the transport the target names', () => {
    expect(createTransport('tcp://127.0.0.1:9')).toBeInstanceOf(TcpTransport);
    expect(createTransport('/dev/ttyS9')).toBeInstanceOf(SerialTransport);
  });
});

describe('memory pair', () => {
  it('carries bytes both ways asynchronously, drops them when severed, reports a hang-up', async () => {
    const { host, device } = createMemoryPair();
    await host.open();
    await device.open();
    const got: string[] = [];
    device.on('data', (b: Buffer) => got.push(b.toString()));
    host.on('data', (b: Buffer) => got.push(`<${b.toString()}`));
    await host.write(Buffer.from('PING'));
    expect(got).toEqual([]); // never inside the writer's turn
    await tick();
    await device.write(Buffer.from('PONG'));
    await tick();
    expect(got).toEqual(['PING', '<PONG']);
    host.sever();
    await host.write(Buffer.from('lost'));
    await tick();
    expect(got).toHaveLength(2);
    const closed = once(host, 'close');
    device.hangUp();
    await closed;
    expect(host.isOpen).toBe(false);
    await expect(host.write(Buffer.from('x'))).rejects.toThrow(/^DG1104: /);
  });
});

describe('TCP transport (real sockets on loopback)', () => {
  async function server(onConn: (s: net.Socket) => void): Promise<number> {
    const srv = net.createServer(onConn);
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    cleanups.push(() => new Promise((r) => srv.close(r)));
    return (srv.address() as net.AddressInfo).port;
  }

  it('exchanges bytes with a console server and reports when it drops the connection', async () => {
    let peer: net.Socket | undefined;
    const port = await server((s) => {
      peer = s;
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    const t = createTransport(`tcp://127.0.0.1:${port}`);
    cleanups.push(() => t.close());
    await t.open();
    expect(t.isOpen).toBe(true);
    const data = once(t, 'data');
    await t.write(Buffer.from('REQ 1 PING\r\n'));
    expect(((await data)[0] as Buffer).toString()).toBe('echo:REQ 1 PING\r\n');
    const closed = once(t, 'close');
    peer!.destroy();
    const [err] = (await closed) as [Error];
    expect(err.message).toMatch(/closed|reset/);
    expect(t.isOpen).toBe(false);
    // The same object opens again (the driver's ladder reopens it).
    await t.open();
    expect(t.isOpen).toBe(true);
  });

  it('fails with DG1102 and exit 3 when nothing listens', async () => {
    const port = await server(() => undefined);
    // Find a port nobody listens on: listen, note it, close it.
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const dead = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    expect(port).not.toBe(dead);
    const t = createTransport(`tcp://127.0.0.1:${dead}`);
    const err = await t.open().then(() => undefined, (e: DgError) => e);
    expect(err?.message).toMatch(/^DG1102: cannot connect to tcp:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(err?.exitCode).toBe(3);
  });

  it('does not report a close it caused itself', async () => {
    const port = await server(() => undefined);
    const t = createTransport(`tcp://127.0.0.1:${port}`);
    let closes = 0;
    t.on('close', () => closes++);
    await t.open();
    await t.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(closes).toBe(0);
  });
});

describe('serial transport (native binding)', () => {
  it('fails with DG1101 and exit 3 for a device that does not exist', async () => {
    const t = createTransport('/dev/ttyDGNOSUCH0');
    const err = await t.open().then(() => undefined, (e: DgError) => e);
    expect(err?.code).toBe('DG1101');
    expect(err?.message).toMatch(/cannot open \/dev\/ttyDGNOSUCH0: .*(No such file|ENOENT)/);
    expect(err?.exitCode).toBe(3);
  });
});
