/**
 * How a CLI command reaches the appliance: through the daemon's control socket when a daemon owns
 * the port, otherwise by opening the port itself (taking the port lock, so a second opener is told
 * who holds it). Both paths take the same method names (src/service/dispatch.ts).
 */
import { userInfo } from 'node:os';
import { ApplianceClient } from '../appliance/client.ts';
import { AuditLog } from '../service/audit-log.ts';
import { ControlClient, canConnect } from '../service/control-socket.ts';
import { dispatchOperation } from '../service/dispatch.ts';
import { ApplianceOperations } from '../service/operations.ts';
import { controlSocketPath, defaultAuditLogPath } from '../service/paths.ts';
import { acquirePortLock, type PortLock } from '../service/port-lock.ts';

export interface Session {
  readonly viaDaemon: boolean;
  readonly port: string;
  call<T = unknown>(method: string, params?: unknown, onProgress?: (data: unknown) => void): Promise<T>;
  close(): Promise<void>;
}

class DaemonSession implements Session {
  readonly viaDaemon = true;
  constructor(readonly port: string, private readonly client: ControlClient) {}
  call<T>(method: string, params?: unknown, onProgress?: (data: unknown) => void): Promise<T> {
    return this.client.call<T>(method, params, onProgress);
  }
  async close(): Promise<void> {
    this.client.close();
  }
}

export class DirectSession implements Session {
  readonly viaDaemon = false;
  readonly ops: ApplianceOperations;
  constructor(
    readonly port: string,
    readonly client: ApplianceClient,
    private readonly lock: PortLock,
    readonly auditLogPath: string,
  ) {
    this.ops = new ApplianceOperations(client, new AuditLog(auditLogPath));
  }
  async call<T>(method: string, params?: unknown, onProgress?: (data: unknown) => void): Promise<T> {
    return (await dispatchOperation(this.ops, method, params, { who: userInfo().username, origin: `cli:pid ${process.pid}`, progress: onProgress })) as T;
  }
  async close(): Promise<void> {
    try {
      await this.client.close();
    } finally {
      this.lock.release();
    }
  }
}

export async function openSession(port: string, opts: { auditLogPath?: string } = {}): Promise<Session> {
  const socket = controlSocketPath(port);
  if (await canConnect(socket)) return new DaemonSession(port, await ControlClient.connect(socket));
  const lock = acquirePortLock(port);
  try {
    const client = await ApplianceClient.connect(port);
    return new DirectSession(port, client, lock, opts.auditLogPath ?? defaultAuditLogPath(port));
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Opens a session, runs `fn`, and always closes it (releasing the port lock). */
export async function withSession<T>(port: string, fn: (s: Session) => Promise<T>, opts: { auditLogPath?: string } = {}): Promise<T> {
  const session = await openSession(port, opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
