import { Duplex, PassThrough } from 'node:stream';
import { encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../../src/protocol/parser.ts';
import type { DeviceServer } from '../../../firmware-sim/server/device-server.ts';

/**
 * A minimal host for unit tests: an in-memory byte pipe to a DeviceServer, frames parsed with the
 * real FrameStream. No retries, no timeouts beyond `waitFor`: the point is to see the board's bytes.
 */
export class TestHost {
  readonly toBoard = new PassThrough();
  readonly fromBoard = new PassThrough();
  readonly boardSide: Duplex;
  readonly received: Frame[] = [];
  readonly discarded: ParsedItem[] = [];
  private seq = 0;
  private waiters: Array<() => void> = [];

  constructor(server: DeviceServer) {
    this.boardSide = Duplex.from({ readable: this.toBoard, writable: this.fromBoard });
    const parser = new FrameStream();
    this.fromBoard.pipe(parser);
    parser.on('data', (it: ParsedItem) => {
      if (it.type === 'frame') this.received.push(it.frame);
      else this.discarded.push(it);
      for (const w of this.waiters.splice(0)) w();
    });
    server.attach(this.boardSide);
  }

  /** Writes raw bytes to the board. */
  raw(bytes: Buffer | string): void {
    this.toBoard.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Sends a request and resolves with the board's OK/ERR/NAK for it. */
  async request(name: string, fields: Record<string, string> = {}, seq = this.seq++ & 0xffff): Promise<Frame> {
    const from = this.received.length;
    this.raw(encodeFrame({ kind: 'req', seq, name, fields }));
    return this.waitFor((f) => f.kind !== 'evt' && f.seq === seq && f.name === name, from);
  }

  async waitFor(pred: (f: Frame) => boolean, from = 0, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(from))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Lets queued stream callbacks run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }

  /** The host goes away (port closed / TCP dropped). */
  hangUp(): void {
    this.boardSide.destroy();
  }

  events(name?: string): Frame[] {
    return this.received.filter((f) => f.kind === 'evt' && (!name || f.name === name));
  }
}
