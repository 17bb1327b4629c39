/**
 * The rig socket of a running simulator (`dtmfguard-sim --rig-socket PATH`): a Unix socket where a
 * test rig switches faults while the simulator runs (rig-protocol.ts; `dtmfguard-sim fault` is its
 * client). It is a test hook that can engage the bypass relay, so the socket is made owner-only.
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DgError, isDgError } from '../../src/errors.ts';
import type { FaultRegistry } from '../faults/registry.ts';
import { spanReports } from './span-report.ts';
import { RIG_MAX_LINE, rigRequest, type RigResponse } from './rig-protocol.ts';

export interface RigServer {
  readonly path: string;
  close(): Promise<void>;
}

/** True when something answers on the socket at `path`. */
function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export function answer(registry: FaultRegistry, line: string): RigResponse {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, code: 'DG5906', error: 'not JSON; send one object per line, e.g. {"fault":"los","value":"on","span":1} or {"list":true}' };
  }
  const req = rigRequest.safeParse(json);
  if (!req.success) return { ok: false, code: 'DG5906', error: 'expected {"fault":NAME,"value":VALUE[,"span":N|"channel":N]}, {"list":true}, {"spans":true[,"span":N]} or {"stats":true}' };
  try {
    if ('list' in req.data) return { ok: true, faults: registry.list() };
    if ('stats' in req.data) {
      // Board-side truth for soaks and benches: how often each command really ran (docs/protocol.md §2.3).
      const server = registry.target.server;
      if (!server) return { ok: false, code: 'DG5907', error: 'this simulator has no device server to report on' };
      return { ok: true, stats: structuredClone(server.stats) };
    }
    if ('spans' in req.data) {
      const n = registry.target.board.profile.interfaces.spans.length;
      const span = req.data.span;
      if (span !== undefined && span > n) return { ok: false, code: 'DG5903', error: `no span ${span}: this board has ${n === 0 ? 'no E1/T1 spans' : `spans 1 to ${n}`}` };
      return { ok: true, spans: spanReports(registry.target.board, span) };
    }
    const { fault, value, span, channel } = req.data;
    return { ok: true, faults: registry.set(fault, value, { span, channel }) };
  } catch (e) {
    if (isDgError(e)) return { ok: false, code: e.code, error: e.message.replace(/^DG\d+: /, '') };
    return { ok: false, code: 'DG5907', error: `the simulator failed to apply it: ${(e as Error).message}` };
  }
}

function serve(sock: Socket, registry: FaultRegistry): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  sock.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) sock.write(`${JSON.stringify(answer(registry, line))}\n`);
    }
    if (buf.length > RIG_MAX_LINE) {
      sock.end(`${JSON.stringify({ ok: false, code: 'DG5906', error: `request longer than ${RIG_MAX_LINE} bytes` })}\n`);
      buf = '';
    }
  });
}

export async function startRigServer(path: string, registry: FaultRegistry): Promise<RigServer> {
  if (existsSync(path) || isSocket(path)) {
    // Only a socket left behind by a simulator that is gone may be replaced.
    if (!isSocket(path)) throw new DgError('DG5908', `--rig-socket ${path} exists and is not a socket; choose another path`);
    if (await alive(path)) throw new DgError('DG5908', `--rig-socket ${path} is served by another simulator; stop it or choose another path`);
    unlinkSync(path);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    serve(sock, registry);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new DgError('DG5908', `cannot listen on --rig-socket ${path}: ${e.code ?? e.message}; choose another path`)));
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // server.close removes the socket file; a crash leaves it, and the next start replaces it.
      if (isSocket(path)) unlinkSync(path);
    },
  };
}

function isSocket(p: string): boolean {
  try {
    return lstatSync(p).isSocket();
  } catch {
    return false;
  }
}
