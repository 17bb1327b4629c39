import { SerialPortMock } from 'serialport';

// @serialport/binding-mock ships no types under its ESM export; serialport re-exposes the binding.
const MockBinding = SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;
import { encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../../src/protocol/parser.ts';
import { SerialTransport, type SerialBinding } from '../../../src/link/serial-transport.ts';

/** What the scripted board does with one request: answer with frames, or stay silent. */
export type Reply = Frame | Frame[] | Buffer | 'silent';
export type Script = (req: Frame, board: ScriptedBoard) => Reply;

let portNo = 0;

/**
 * A scripted device on @serialport/binding-mock: the driver opens a real SerialPortStream whose
 * binding is the mock, and this object plays the board behind it. It sees every frame the host
 * writes (parsed with the real FrameStream) and answers per `script`.
 *
 * Faults: `deaf` (drops host bytes, answers nothing: a half-open link), `refuseOpens` (the next
 * n opens fail like a missing device), `unplug()` (the OS reports a disconnect).
 */
export class ScriptedBoard {
  readonly path = `/dev/ttyMOCK${++portNo}`;
  readonly received: Frame[] = [];
  readonly rawWrites: Buffer[] = [];
  readonly discarded: ParsedItem[] = [];
  opens = 0;
  refuseOpens = 0;
  deaf = false;
  script: Script;
  #port: MockPortBinding | undefined;
  #parser: FrameStream | undefined;
  readonly binding: SerialBinding;
  #eventSeq = 0;

  constructor(script: Script) {
    this.script = script;
    MockBinding.createPort(this.path, { echo: false, record: false });
    const board = this;
    this.binding = {
      ...MockBinding,
      async open(options: Parameters<typeof MockBinding.open>[0]) {
        board.opens += 1;
        if (board.refuseOpens > 0) {
          board.refuseOpens -= 1;
          throw new Error(`ENOENT: no such file or directory, open '${board.path}'`);
        }
        const port = await MockBinding.open(options);
        board.#attach(port);
        return port;
      },
    } as unknown as SerialBinding;
  }

  transport(): SerialTransport {
    return new SerialTransport(this.path, { baudRate: 115200, binding: this.binding });
  }

  #attach(port: MockPortBinding): void {
    this.#port = port;
    const parser = new FrameStream();
    parser.on('data', (item: ParsedItem) => {
      if (item.type === 'frame') this.#onFrame(item.frame);
      else this.discarded.push(item);
    });
    this.#parser = parser;
    const write = port.write.bind(port);
    port.write = async (buf: Buffer) => {
      await write(buf);
      if (this.#port !== port || this.deaf) return;
      this.rawWrites.push(Buffer.from(buf));
      parser.write(buf);
    };
  }

  #onFrame(frame: Frame): void {
    this.received.push(frame);
    if (frame.kind !== 'req') return;
    const reply = this.script(frame, this);
    if (reply === 'silent') return;
    if (Buffer.isBuffer(reply)) this.send(reply);
    else for (const f of Array.isArray(reply) ? reply : [reply]) this.send(encodeFrame(f));
  }

  /** Bytes from the board to the host. */
  send(bytes: Buffer): void {
    if (!this.#port?.isOpen || this.deaf) return;
    this.#port.emitData(bytes);
  }

  event(name: string, fields: Record<string, string> = {}, seq = this.#eventSeq++): void {
    this.send(encodeFrame({ kind: 'evt', seq, name, fields }));
  }

  /** The operating system reports the device gone (the pending read fails as a disconnect). */
  unplug(): void {
    const port = this.#port as unknown as { pendingRead: ((e: Error) => void) | null } | undefined;
    this.#port = undefined;
    port?.pendingRead?.(Object.assign(new Error('device disconnected'), { disconnected: true }));
  }

  requests(name?: string): Frame[] {
    return this.received.filter((f) => f.kind === 'req' && (name === undefined || f.name === name));
  }
}

/** A well-behaved board: OK to everything, HELLO with an identity. */
export function okScript(extra: Record<string, (req: Frame) => Reply> = {}): Script {
  return (req) => {
    const custom = extra[req.name];
    if (custom) return custom(req);
    if (req.name === 'HELLO') return ok(req, { model: 'DG-E1-4', serial: 'SIM0001', firmware: '1.0.0', protocol: '1' });
    return ok(req);
  };
}

export function ok(req: Frame, fields: Record<string, string> = {}): Frame {
  return { kind: 'ok', seq: req.seq, name: req.name, fields };
}

/** What the wire does to one answer on its way to the host. */
export type Fate = 'deliver' | 'lose' | 'damage';

/**
 * docs/protocol.md §2.3 on a scripted board: a new request line is executed (`inner` runs and
 * `executed` records it); the very same line again (seq, name, fields) gets the remembered answer
 * without running `inner`; HELLO clears the memory. `wire` then decides, per answer sent, whether
 * it reaches the host intact, damaged (a CRC digit flipped: kind, seq and name stay readable) or
 * not at all.
 */
export function rememberingScript(inner: Script, wire: (req: Frame, answerNo: number) => Fate = () => 'deliver') {
  const executed: Frame[] = [];
  let repeats = 0;
  let answers = 0;
  let last: { req: Frame; reply: Reply } | undefined;
  const same = (a: Frame, b: Frame) => a.seq === b.seq && a.name === b.name && JSON.stringify(a.fields) === JSON.stringify(b.fields);
  const script: Script = (req, board) => {
    let reply: Reply;
    if (last && same(last.req, req)) {
      repeats += 1;
      reply = last.reply;
    } else {
      if (req.name === 'HELLO') last = undefined;
      executed.push(req);
      reply = inner(req, board);
      last = { req, reply };
    }
    const fate = wire(req, ++answers);
    if (fate === 'lose' || reply === 'silent') return 'silent';
    if (fate === 'deliver') return reply;
    const bytes = Buffer.isBuffer(reply) ? Buffer.from(reply) : Buffer.concat((Array.isArray(reply) ? reply : [reply]).map((f) => encodeFrame(f)));
    const star = bytes.indexOf(' *');
    bytes[star + 2] = bytes[star + 2] === 0x30 ? 0x31 : 0x30; // still an upper-case hex digit, now wrong
    return bytes;
  };
  return {
    script,
    executed,
    get repeats() {
      return repeats;
    },
  };
}
