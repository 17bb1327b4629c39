import { encodeFrame, type Frame } from '../../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../../src/protocol/parser.ts';
import { COMMANDS, encodeResponse, isCommandName, type ResponseOf } from '../../../src/protocol/commands.ts';
import { createMemoryPair, type MemoryTransport } from '../../../src/link/memory-transport.ts';

type Cfg = {
  tone: '#' | '0' | '1';
  trigger: string;
  span: { framing: 'crc4' | 'no-crc4'; line_code: 'hdb3' | 'ami'; lbo: number; clock: 'line' | 'internal' };
};

/**
 * A small in-memory board for client and transaction tests: running and staged configuration
 * (docs/protocol.md §10), HELLO, PING, and switches to make it misbehave. The full board model is
 * the simulator's; this one exists so the unit tests need no simulator and run in milliseconds.
 */
export class FakeBoard {
  readonly host: MemoryTransport;
  readonly device: MemoryTransport;
  running: Cfg = { tone: '#', trigger: '*7', span: { framing: 'crc4', line_code: 'hdb3', lbo: 0, clock: 'line' } };
  staged: Cfg = structuredClone(this.running);
  version = 1;
  bootId = 'A1B2C3D4';
  secure = new Set<number>([2]);
  readonly log: string[] = [];
  /** Answer nothing from now on (a dead board). */
  silent = false;
  /** Names of commands to answer with ERR internal (once each). */
  failOnce = new Set<string>();
  /** Stage this tone instead of the one asked for (a board that lies on SET). */
  stageLie: Cfg['tone'] | undefined;
  /** Execute this command, then fall silent for good (power loss after the write). */
  silentAfter: string | undefined;
  /** Hang up the link right after executing this command, without answering. */
  hangUpAfter: string | undefined;

  constructor() {
    const { host, device } = createMemoryPair('fake-board');
    this.host = host;
    this.device = device;
    void device.open();
    const parser = new FrameStream();
    parser.on('data', (item: ParsedItem) => {
      if (item.type === 'frame') this.#onFrame(item.frame);
    });
    device.on('data', (b: Buffer) => parser.write(b));
  }

  #answer(req: Frame, fields: Record<string, string>): void {
    void this.device.write(encodeFrame({ kind: 'ok', seq: req.seq, name: req.name, fields })).catch(() => undefined);
  }

  #err(req: Frame, code: number, err: string, text: string): void {
    void this.device.write(encodeFrame({ kind: 'err', seq: req.seq, name: req.name, fields: { code: String(code), err, text } })).catch(() => undefined);
  }

  #onFrame(req: Frame): void {
    if (req.kind !== 'req' || this.silent) return;
    if (!isCommandName(req.name)) return;
    this.log.push(req.name);
    if (this.failOnce.delete(req.name)) return this.#err(req, 14, 'internal', 'injected fault');
    const parsed = (COMMANDS[req.name].request as import('zod').ZodType).safeParse(req.fields);
    if (!parsed.success) return this.#err(req, 1, 'bad-field', 'bad field');
    const r = parsed.data as Record<string, unknown>;
    const view = (r.view as string | undefined) ?? 'running';
    const cfg = view === 'staged' ? this.staged : this.running;
    const res = (name: Parameters<typeof encodeResponse>[0], body: unknown) => encodeResponse(name, body as ResponseOf<typeof name>);
    let out: Record<string, string>;
    switch (req.name) {
      case 'HELLO':
        out = res('HELLO', { proto: 1, model: 'FAKE-E1', serial: 'FK0001', fw: '1.2.3', slot: 'A', hw: 'r1', caps: ['e1', 'secure'], channels: 30, spans: 1, max_frame: 1024, boot_id: this.bootId, cfg: this.#dirty() ? 'staged' : 'clean' });
        break;
      case 'PING':
        out = res('PING', { uptime_s: 3723, boot_id: this.bootId });
        break;
      case 'CFG_STATUS':
        out = res('CFG_STATUS', { cfg: this.#dirty() ? 'staged' : 'clean', version: this.version, pending: this.#pending() });
        break;
      case 'GET_SECURE_SUMMARY':
        out = res('GET_SECURE_SUMMARY', { channels: 30, on: [...this.secure] });
        break;
      case 'GET_MASK_TONE':
        out = res('GET_MASK_TONE', { tone: cfg.tone, view });
        break;
      case 'SET_MASK_TONE':
        this.staged.tone = this.stageLie ?? (r.tone as Cfg['tone']);
        out = res('SET_MASK_TONE', { tone: this.staged.tone });
        break;
      case 'GET_TRIGGER':
        out = res('GET_TRIGGER', { code: cfg.trigger, view });
        break;
      case 'SET_TRIGGER':
        this.staged.trigger = r.code as string;
        out = res('SET_TRIGGER', { code: this.staged.trigger });
        break;
      case 'GET_SPAN_CONFIG':
        out = res('GET_SPAN_CONFIG', { span: 1, type: 'e1', ...cfg.span, view });
        break;
      case 'SET_SPAN_CONFIG': {
        const { framing, line_code, lbo, clock } = r as Cfg['span'];
        this.staged.span = { framing, line_code, lbo, clock };
        out = res('SET_SPAN_CONFIG', { span: 1, type: 'e1', ...this.staged.span, view: 'staged' });
        break;
      }
      case 'CFG_COMMIT': {
        const changed = this.#pending();
        if (changed.length) {
          this.running = structuredClone(this.staged);
          this.version += 1;
        }
        out = res('CFG_COMMIT', { version: this.version, changed });
        break;
      }
      case 'CFG_ROLLBACK': {
        const discarded = this.#pending();
        this.staged = structuredClone(this.running);
        out = res('CFG_ROLLBACK', { version: this.version, discarded });
        break;
      }
      default:
        return this.#err(req, 3, 'unsupported', 'not in the fake board');
    }
    if (this.silentAfter === req.name) {
      this.silent = true;
      return;
    }
    if (this.hangUpAfter === req.name) {
      this.hangUpAfter = undefined;
      this.device.hangUp();
      return;
    }
    this.#answer(req, out);
  }

  #pending(): string[] {
    const p: string[] = [];
    if (this.staged.tone !== this.running.tone) p.push('mask_tone');
    if (this.staged.trigger !== this.running.trigger) p.push('trigger');
    if (JSON.stringify(this.staged.span) !== JSON.stringify(this.running.span)) p.push('span1');
    return p;
  }

  #dirty(): boolean {
    return this.#pending().length > 0;
  }
}
