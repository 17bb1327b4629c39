import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { HttpServer, parseListenAddress } from '../../../src/service/http-server.ts';

let server: HttpServer | undefined;
afterEach(async () => server?.close());

async function start(ready = true) {
  const registry = new Registry();
  new Counter({ name: 'dtmfguard_test_total', help: 'a test counter', registers: [registry] }).inc(3);
  server = new HttpServer({
    address: '127.0.0.1:0',
    registry,
    health: () => ({ status: 'degraded', problems: [{ what: 'span 1 RAI', severity: 'warning', since: '2026-11-22T09:00:00.000Z' }] }),
    ready: () => ready,
  });
  const { port } = await server.listen();
  return `http://127.0.0.1:${port}`;
}

describe('HTTP endpoint', () => {
  it('serves Prometheus text on /metrics', async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain; version=0.0.4/);
    expect(await res.text()).toMatch(/^dtmfguard_test_total 3$/m);
  });

  it('serves structured health and readiness', async () => {
    const base = await start(false);
    const health = await (await fetch(`${base}/healthz`)).json();
    expect(health.problems[0]).toEqual({ what: 'span 1 RAI', severity: 'warning', since: '2026-11-22T09:00:00.000Z' });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it('changes nothing: every method but GET and HEAD is refused', async () => {
    const base = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await fetch(`${base}/metrics`, { method })).status, method).toBe(405);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('parses listen addresses and refuses bad ones with a code', () => {
    expect(parseListenAddress('127.0.0.1:9817')).toEqual({ host: '127.0.0.1', port: 9817 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseListenAddress('9817')).toThrow(/DG4102/);
    expect(() => parseListenAddress('host:99999')).toThrow(/DG4102/);
  });
});
