/**
 * Where the daemon of an appliance keeps its control socket and audit log. One daemon per port:
 * the names derive from the port so the CLI finds the daemon that owns the port it was given.
 */
import { basename, join } from 'node:path';

export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTMFGUARD_RUN_DIR ?? '/run/dtmfguard';
}

export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTMFGUARD_LOG_DIR ?? '/var/log/dtmfguard';
}

/** `ttyUSB0` for /dev/ttyUSB0, `tcp-10.0.0.5-7001` for tcp://10.0.0.5:7001. */
export function portSlug(port: string): string {
  return port.startsWith('tcp://') ? `tcp-${port.slice(6).replace(/[^A-Za-z0-9.-]/g, '-')}` : basename(port).replace(/[^A-Za-z0-9._-]/g, '-');
}

export function controlSocketPath(port: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(runDir(env), `${portSlug(port)}.sock`);
}

export function defaultAuditLogPath(port: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.DTMFGUARD_AUDIT_LOG ?? join(logDir(env), `${portSlug(port)}.audit.jsonl`);
}
