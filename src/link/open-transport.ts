import type { SerialBinding } from './serial-transport.ts';
import { EXIT } from '../errors.ts';
import type { Transport } from './transport.ts';
import { SerialTransport } from './serial-transport.ts';
import { TcpTransport } from './tcp-transport.ts';
import { LINK_CODES, linkError } from './link-errors.ts';

export interface LinkOptions {
  /** The board's console speed; 115200 8N1 is what the appliance ships with. */
  baudRate?: number;
  /** TCP connect timeout (ms): a console server on the same LAN answers in milliseconds. */
  connectTimeoutMs?: number;
  /**
   * TCP keepalive idle time (ms). 10 s rather than the kernel's 2 h so a dead console server
   * frees the socket while the daemon is idle; the driver's heartbeat remains the fast detector.
   */
  keepAliveMs?: number;
  /** serialport binding override (tests: MockBinding). */
  binding?: SerialBinding;
}

export const LINK_DEFAULTS = {
  baudRate: 115_200,
  connectTimeoutMs: 5_000,
  keepAliveMs: 10_000,
} as const;

export type LinkTarget = { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * Parses what the user gave as `--port`: `tcp://HOST:PORT` (IPv6 as `tcp://[::1]:7001`) or a
 * serial device path.
 */
export function parseTarget(target: string): LinkTarget {
  const t = target.trim();
  if (t === '') throw linkError(LINK_CODES.badTarget, 'empty --port: give a serial device such as /dev/ttyUSB0 or tcp://HOST:PORT', EXIT.usage);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    const m = /^tcp:\/\/(\[[0-9a-f:.]+\]|[^:/\s]+):(\d{1,5})\/?$/i.exec(t);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw linkError(LINK_CODES.badTarget, `bad --port ${JSON.stringify(t)}: expected tcp://HOST:PORT with PORT 1-65535, or a serial device path`, EXIT.usage);
    }
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port };
  }
  return { kind: 'serial', path: t };
}

/** The one transport factory: a serial device path or tcp://host:port. Does not open it. */
export function createTransport(target: string, options: LinkOptions = {}): Transport {
  const parsed = parseTarget(target);
  if (parsed.kind === 'tcp') {
    return new TcpTransport(target, parsed.host, parsed.port, {
      connectTimeoutMs: options.connectTimeoutMs ?? LINK_DEFAULTS.connectTimeoutMs,
      keepAliveMs: options.keepAliveMs ?? LINK_DEFAULTS.keepAliveMs,
    });
  }
  return new SerialTransport(parsed.path, {
    baudRate: options.baudRate ?? LINK_DEFAULTS.baudRate,
    binding: options.binding,
  });
}
