/**
 * The daemon's read-only HTTP endpoint: `/metrics` (Prometheus text exposition), `/healthz`
 * (structured JSON: what is wrong and since when), `/readyz`. It listens on 127.0.0.1 by default
 * and exposes nothing that changes state: every other method is refused with 405.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { DgError } from '../errors.ts';

export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:9817';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'failing';
  problems: Array<{ what: string; severity: 'warning' | 'critical'; since: string }>;
  [key: string]: unknown;
}

export interface HttpServerOptions {
  address: string;
  registry: Registry;
  health: () => HealthReport;
  ready: () => boolean;
}

export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new DgError('DG4102', `bad address '${text}': use HOST:PORT, e.g. 127.0.0.1:9817 or [::1]:9817`);
  return { host: m[1] ?? m[2], port };
}

export class HttpServer {
  private server?: http.Server;

  constructor(private readonly opts: HttpServerOptions) {}

  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListenAddress(this.opts.address);
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new DgError('DG7201', `cannot listen on ${this.opts.address} (${e.code}); choose another --http address`)),
      );
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only endpoint\n');
      return;
    }
    try {
      if (path === '/metrics') {
        const body = await this.opts.registry.metrics();
        res.writeHead(200, { 'content-type': this.opts.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
      } else if (path === '/healthz') {
        const report = this.opts.health();
        res.writeHead(report.status === 'failing' ? 503 : 200, { 'content-type': 'application/json' }).end(`${JSON.stringify(report, null, 2)}\n`);
      } else if (path === '/readyz') {
        const ready = this.opts.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /healthz or /readyz\n');
      }
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error: ${(e as Error).message}\n`);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
