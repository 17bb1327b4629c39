import { EventEmitter } from 'node:events';
import { SerialPortStream } from '@serialport/stream';
import type { OpenOptions } from '@serialport/stream';

/** A serialport binding (native, or MockBinding in tests). */
export type SerialBinding = OpenOptions['binding'];
import type { Transport } from './transport.ts';
import { LINK_CODES, linkError } from './link-errors.ts';

export interface SerialTransportOptions {
  /** The board's console runs at 115200 8N1 (docs/protocol.md). */
  baudRate: number;
  /**
   * The serialport binding. Omitted: the native one serialport picks for this OS. Tests pass
   * `MockBinding` from @serialport/binding-mock to run against a scripted device.
   */
  binding?: SerialBinding;
}

/** A serial device (`/dev/ttyUSB0`, `/dev/ttyS0`, a pty) through serialport 13. */
export class SerialTransport extends EventEmitter implements Transport {
  readonly target: string;
  readonly #opts: SerialTransportOptions;
  #port: SerialPortStream | undefined;

  constructor(path: string, opts: SerialTransportOptions) {
    super();
    this.target = path;
    this.#opts = opts;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  /** The open port, for tests that reach the mock binding (`port.port`). */
  get stream(): SerialPortStream | undefined {
    return this.#port;
  }

  async open(): Promise<void> {
    // Loaded on first use so that TCP and in-memory users never load the native addon.
    const binding = this.#opts.binding ?? ((await import('serialport')).SerialPort.binding as SerialBinding);
    const port = new SerialPortStream({ binding, path: this.target, baudRate: this.#opts.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(linkError(LINK_CODES.serialOpen, `cannot open ${this.target}: ${err.message.replace(/^Error: /, '')} (check --port, the cable, and that your user may use the device, e.g. group dialout)`));
        } else resolve();
      });
    });
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', () => {
      /* read/write errors end in 'close' (serialport reports a disconnect that way) */
    });
    port.on('close', (err?: Error) => {
      if (this.#port !== port) return; // closed by us
      this.#port = undefined;
      this.emit('close', err ?? new Error('serial port closed'));
    });
    this.#port = port;
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.#port;
    if (!port || !port.isOpen) return Promise.reject(linkError(LINK_CODES.notOpen, `cannot write to ${this.target}: link is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => (err ? reject(linkError(LINK_CODES.writeFailed, `write to ${this.target} failed: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    if (!port || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
