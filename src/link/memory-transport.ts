import { EventEmitter } from 'node:events';
import type { Transport } from './transport.ts';
import { LINK_CODES, linkError } from './link-errors.ts';

/**
 * One end of an in-memory link, for tests and for running the simulator in the same process.
 * Bytes written on one end arrive, asynchronously as on a real wire, as `data` on the other.
 *
 * Faults a real link has, as switches: `sever()` drops every byte in both directions without
 * either side being told (a half-open link: unplugged USB adapter, dead TCP peer behind NAT);
 * `refuseOpen` makes the next open() calls fail as a missing device would.
 */
export class MemoryTransport extends EventEmitter implements Transport {
  readonly target: string;
  peer!: MemoryTransport;
  #open = false;
  /** When true, open() rejects like a device that is not there. */
  refuseOpen = false;
  /** When true, bytes are dropped silently (set on both ends by `sever()`). */
  severed = false;
  /** Optional tap on outgoing bytes, e.g. to corrupt them in a test. Returns the bytes to send. */
  tap: ((bytes: Buffer) => Buffer) | undefined;

  constructor(target: string) {
    super();
    this.target = target;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  async open(): Promise<void> {
    if (this.refuseOpen) throw linkError(LINK_CODES.serialOpen, `cannot open ${this.target}: no such device (check the cable and --port)`);
    this.#open = true;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#open) throw linkError(LINK_CODES.notOpen, `cannot write to ${this.target}: link is not open`);
    let out: Buffer = Buffer.from(bytes);
    if (this.tap) out = this.tap(out);
    if (this.severed || out.length === 0) return;
    const peer = this.peer;
    // setImmediate, not a microtask: a real wire never delivers inside the writer's own turn.
    setImmediate(() => {
      if (peer.#open && !peer.severed) peer.emit('data', out);
    });
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  /** Simulates the far end going away with the operating system noticing (EOF, HUP). */
  hangUp(): void {
    for (const end of [this, this.peer]) {
      if (end.#open) {
        end.#open = false;
        end.emit('close', new Error('peer hung up'));
      }
    }
  }

  /** Simulates a half-open link: bytes vanish, nobody is told. */
  sever(severed = true): void {
    this.severed = severed;
    this.peer.severed = severed;
  }
}

/** A connected pair: `host` for the driver, `device` for a scripted board or the simulator. */
export function createMemoryPair(name = 'memory'): { host: MemoryTransport; device: MemoryTransport } {
  const host = new MemoryTransport(`${name}:host`);
  const device = new MemoryTransport(`${name}:device`);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
