/**
 * The daemon's control socket: the CLI talks to the daemon that owns the port over a Unix socket
 * (mode 0660, so the socket's group — `dtmfguard` by convention — decides who may configure the
 * appliance). Newline-delimited JSON: a request `{id, method, params}`; zero or more
 * `{id, progress}` lines; then `{id, result}` or `{id, error: {code, message, exitCode}}`.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { DgError, EXIT, type ExitCode, isDgError } from '../errors.ts';
import { peerCredentials, type PeerCredentials } from './peer-credentials.ts';

export interface CallContext {
  peer?: PeerCredentials;
  /** The user name for the audit log: the peer's from the kernel, else `unknown`. */
  who: string;
  origin: string;
  progress(data: unknown): void;
  /** Aborted when the client goes away (for long-running calls such as a watch). */
  signal: AbortSignal;
}

export type ControlHandler = (method: string, params: unknown, ctx: CallContext) => Promise<unknown>;

/** Requests are small but a firmware image travels in one (base64, images up to 64 MiB); the bound keeps a misbehaving client from filling the daemon's memory. */
const MAX_LINE_BYTES = 100 * 1024 * 1024;

export interface ControlServerOptions {
  path: string;
  handler: ControlHandler;
  /** Numeric group id for the socket file; left unchanged when not given. */
  gid?: number;
}

export class ControlServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: ControlServerOptions) {}

  async listen(): Promise<void> {
    mkdirSync(dirname(this.opts.path), { recursive: true });
    if (existsSync(this.opts.path)) {
      // A live daemon answers; a stale socket file from a crash does not and is replaced.
      if (await canConnect(this.opts.path)) {
        throw new DgError('DG7001', `another daemon already listens on ${this.opts.path}; stop it first`);
      }
      unlinkSync(this.opts.path);
    }
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.path, () => resolve());
    });
    chmodSync(this.opts.path, 0o660);
    if (this.opts.gid !== undefined) chownSync(this.opts.path, process.getuid?.() ?? 0, this.opts.gid);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const abort = new AbortController();
    socket.on('close', () => {
      this.sockets.delete(socket);
      abort.abort();
    });
    socket.on('error', () => socket.destroy());
    const credentials = peerCredentials(socket);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE_BYTES) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const call = this.dispatch(socket, line, credentials, abort.signal);
        this.inFlight.add(call);
        void call.finally(() => this.inFlight.delete(call));
      }
    });
  }

  private async dispatch(socket: net.Socket, line: string, credentials: Promise<PeerCredentials | undefined>, signal: AbortSignal) {
    let id: unknown = null;
    const send = (msg: object) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
    };
    try {
      const req = JSON.parse(line) as { id: unknown; method: unknown; params?: unknown };
      id = req.id;
      if (typeof req.method !== 'string') throw new DgError('DG7002', 'control request without a method');
      const peer = await credentials;
      const ctx: CallContext = {
        peer,
        who: peer?.user ?? 'unknown',
        origin: peer ? `cli:pid ${peer.pid}` : 'cli',
        progress: (data) => send({ id, progress: data }),
        signal,
      };
      const result = await this.opts.handler(req.method, req.params, ctx);
      send({ id, result: result ?? null });
    } catch (e) {
      if (isDgError(e)) send({ id, error: { code: e.code, message: e.message, exitCode: e.exitCode } });
      else if (e instanceof SyntaxError) send({ id, error: { code: 'DG7002', message: 'DG7002: control request is not JSON', exitCode: EXIT.usage } });
      else send({ id, error: { code: 'DG7000', message: `DG7000: daemon failed: ${(e as Error).message}`, exitCode: 70 } });
    }
  }

  /** Stops listening, lets calls in flight answer (up to `graceMs`), then drops the clients. */
  async close(graceMs = 1000): Promise<void> {
    this.server?.close();
    if (this.inFlight.size) await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const s of this.sockets) s.destroy();
    try {
      unlinkSync(this.opts.path);
    } catch {
      // Already removed.
    }
  }
}

export function canConnect(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export class ControlClient {
  private constructor(private readonly socket: net.Socket) {}
  private nextId = 1;

  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => resolve(new ControlClient(socket)));
      socket.once('error', (e) =>
        reject(new DgError('DG7003', `cannot reach the daemon at ${path} (${(e as NodeJS.ErrnoException).code}); is 'dtmfguard serve' running?`, EXIT.unreachable)),
      );
    });
  }

  call<T = unknown>(method: string, params?: unknown, onProgress?: (data: unknown) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buffer.slice(0, nl)) as { id: number; progress?: unknown; result?: T; error?: { message: string; code: string; exitCode: number } };
          buffer = buffer.slice(nl + 1);
          if (msg.id !== id) continue;
          if ('progress' in msg) onProgress?.(msg.progress);
          else {
            cleanup();
            if (msg.error) reject(new DgError(msg.error.code, msg.error.message.replace(/^DG\d{4}: /, ''), msg.error.exitCode as ExitCode));
            else resolve(msg.result as T);
          }
        }
      };
      const onClose = () => {
        cleanup();
        reject(new DgError('DG7004', 'the daemon closed the control connection; check its log', EXIT.unreachable));
      };
      const cleanup = () => {
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
      };
      this.socket.on('data', onData);
      this.socket.on('close', onClose);
      this.socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  close(): void {
    this.socket.end();
  }
}
