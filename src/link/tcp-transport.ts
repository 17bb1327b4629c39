import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Transport } from './transport.ts';
import { LINK_CODES, linkError } from './link-errors.ts';

export interface TcpTransportOptions {
  /** Give up connecting after this long (ms). */
  connectTimeoutMs: number;
  /** First TCP keepalive probe after this much idle time (ms); see setKeepAlive below. */
  keepAliveMs: number;
}

/**
 * Raw TCP to a console server port (ser2net "raw" mode, Digi/Opengear/Lantronix): the bytes on
 * the socket are the bytes on the board's UART, no telnet negotiation.
 */
export class TcpTransport extends EventEmitter implements Transport {
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly #opts: TcpTransportOptions;
  #socket: net.Socket | undefined;

  constructor(target: string, host: string, port: number, opts: TcpTransportOptions) {
    super();
    this.target = target;
    this.host = host;
    this.port = port;
    this.#opts = opts;
  }

  get isOpen(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: this.host, port: this.port });
      const fail = (message: string) => {
        socket.destroy();
        reject(linkError(LINK_CODES.tcpConnect, `cannot connect to ${this.target}: ${message} (check the console server address and that nothing else holds the port)`));
      };
      socket.setTimeout(this.#opts.connectTimeoutMs, () => fail(`no answer within ${this.#opts.connectTimeoutMs} ms`));
      socket.once('error', (e) => fail((e as NodeJS.ErrnoException).code ?? e.message));
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        // Frames are small and latency matters more than packet count: no Nagle delay.
        socket.setNoDelay(true);
        // Kernel keepalive finds a dead peer eventually (minutes); the driver's heartbeat is
        // what finds it quickly, but keepalive also frees the socket when the driver is idle.
        socket.setKeepAlive(true, this.#opts.keepAliveMs);
        socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
        socket.on('error', () => {
          /* followed by 'close', which is what we report */
        });
        socket.on('close', (hadError) => {
          if (this.#socket !== socket) return; // closed by us
          this.#socket = undefined;
          this.emit('close', new Error(hadError ? 'connection reset' : 'console server closed the connection'));
        });
        this.#socket = socket;
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.reject(linkError(LINK_CODES.notOpen, `cannot write to ${this.target}: link is not open`));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (err) => (err ? reject(linkError(LINK_CODES.writeFailed, `write to ${this.target} failed: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && !socket.destroyed) socket.destroy();
  }
}
