/**
 * `ADDR:PORT` arguments of the relay (`127.0.0.1:5004`, `[::1]:5004`, `localhost:5004`).
 * Parsed once at start-up so a typo is a usage error with a code, not a socket exception later.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { DgError } from '../../src/errors.ts';

export interface UdpAddress {
  host: string;
  port: number;
}

export interface ResolvedAddress extends UdpAddress {
  /** 4 or 6: which socket type can send to or bind this address. */
  family: 4 | 6;
}

export function parseUdpAddress(text: string, what: string): UdpAddress {
  // IPv6 literals need brackets, or the last colon would be ambiguous (RFC 3986 §3.2.2).
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new DgError('DG5301', `${what} ${JSON.stringify(text)} is not ADDR:PORT; write e.g. 127.0.0.1:5004 or [::1]:5004`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DgError('DG5301', `${what} port ${m[2]} is out of range; use 0-65535`);
  }
  return { host: m[1], port };
}

/** Resolves a host name once (not per packet: a DNS lookup per datagram would cost more than the DSP). */
export async function resolveUdpAddress(a: UdpAddress, what: string): Promise<ResolvedAddress> {
  const family = isIP(a.host);
  if (family === 4 || family === 6) return { host: a.host, port: a.port, family };
  try {
    const r = await lookup(a.host);
    return { host: r.address, port: a.port, family: r.family === 6 ? 6 : 4 };
  } catch {
    throw new DgError('DG5302', `${what} host ${JSON.stringify(a.host)} does not resolve; use an IP address or a resolvable name`);
  }
}

export function formatUdpAddress(a: UdpAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
