/**
 * The device side of the serial control protocol (docs/protocol.md): reads frames from a byte
 * stream, answers each request from the Board, NAKs what it cannot decode, and sends the board's
 * events. It serves one Duplex at a time and can be re-attached to a new one (the host
 * reconnected through TCP, or the pty was reopened); the board's state outlives every connection.
 */
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { COMMANDS, describeIssue, encodeEvent, encodeResponse, isCommandName, type CommandName } from '../../src/protocol/commands.ts';
import { BOARD_ERRORS, type BoardErrorName, type NakReason } from '../../src/protocol/board-errors.ts';
import { encodeFrame, MAX_SEQ, type Frame } from '../../src/protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../../src/protocol/parser.ts';
import type { Board, BoardEvent } from '../board/board.ts';
import { BoardError } from '../board/board-error.ts';
import { HANDLERS, type HandlerContext } from './handlers.ts';

/** Unsent bytes beyond which events are dropped rather than queued: a few hundred events. */
export const EVENT_BACKLOG_BYTES = 32 * 1024;

export interface DeviceServerOptions {
  /** Silence between answering REBOOT/FW_ACTIVATE and the BOOT event. A real board takes seconds; 1 s keeps demos brisk. */
  rebootDelayMs?: number;
  /** COUNTERS events per span; 10 s as in docs/protocol.md §12. 0 turns them off (tests). */
  countersIntervalMs?: number;
  /** HEALTH events; 60 s as in docs/protocol.md §12. 0 turns them off. */
  healthIntervalMs?: number;
  /** One line per notable happening (no card data: frames never carry keyed digits). */
  log?: (msg: string) => void;
  /** Where the server's timers run; inject a manual one to drive reboots and periodic events in tests. */
  timers?: ServerTimers;
}

/** The timer functions the server uses (a subset of the global ones, or a fake). */
export interface ServerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that do not keep a process alive on their own. */
export const realTimers: ServerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface DeviceServerStats {
  bytesIn: number;
  framesIn: number;
  framesOut: number;
  requests: number;
  errors: number;
  naksSent: number;
  naksReceived: number;
  discardedFrames: number;
  discardedBytes: number;
  /** Repeated request lines answered from memory without executing them again (§2.3). */
  repeats: number;
  eventsSent: number;
  /** Events raised while no host was attached (the event counter still moves: the host sees a gap). */
  eventsDropped: number;
  /** Lines that arrived while the board was rebooting (it is deaf then). */
  ignoredWhileRebooting: number;
  attaches: number;
  /** Requests executed (handler run), by command name: what a soak compares with what hosts were told. */
  executed: Record<string, number>;
  /**
   * Non-idempotent request lines executed a second time (same name, seq and fields as one of the
   * last REEXEC_MEMORY executed): a resend the repeated-line memory did not catch (§2.3). Target 0.
   */
  reexecuted: Record<string, number>;
}

/** How many recent non-idempotent lines are remembered to spot one executed twice; seq moves on per request, so a short memory suffices. */
const REEXEC_MEMORY = 64;

export class DeviceServer {
  readonly stats: DeviceServerStats = {
    bytesIn: 0,
    framesIn: 0,
    framesOut: 0,
    requests: 0,
    errors: 0,
    naksSent: 0,
    naksReceived: 0,
    discardedFrames: 0,
    discardedBytes: 0,
    repeats: 0,
    eventsSent: 0,
    eventsDropped: 0,
    ignoredWhileRebooting: 0,
    attaches: 0,
    executed: {},
    reexecuted: {},
  };
  private readonly recentNonIdempotent: string[] = [];
  private stream: Duplex | null = null;
  private parser: FrameStream | null = null;
  private detachCurrent: (() => void) | null = null;
  private eventSeq = 0;
  /**
   * The repeated-line memory (docs/protocol.md §2.3): the last request line executed and the
   * bytes of its answer. Only a newly executed request replaces it; lines the board NAKs, NAKs
   * from the host, empty lines and events leave it alone, so a host may resend its line (same
   * seq) after a timeout or a damaged answer, however much noise came in between. HELLO and a
   * reboot the board did not do on a command clear it.
   */
  private last: { request: Frame; answer: Buffer } | null = null;
  private rebooting = false;
  private rebootTimer: unknown = null;
  /** Pending periodic timers by purpose, re-armed after each run. */
  private readonly periodic = new Map<string, unknown>();
  private closed = false;
  private readonly opts: Required<Omit<DeviceServerOptions, 'log' | 'timers'>> & { log: (m: string) => void; timers: ServerTimers };
  private readonly onEvent = (e: BoardEvent) => this.sendEvent(e);

  constructor(
    readonly board: Board,
    options: DeviceServerOptions = {},
  ) {
    this.opts = {
      rebootDelayMs: options.rebootDelayMs ?? 1000,
      countersIntervalMs: options.countersIntervalMs ?? 10_000,
      healthIntervalMs: options.healthIntervalMs ?? 60_000,
      log: options.log ?? (() => {}),
      timers: options.timers ?? realTimers,
    };
    board.on('event', this.onEvent);
    if (this.opts.countersIntervalMs > 0) this.every('counters', this.opts.countersIntervalMs, () => board.countersEvents().forEach((e) => this.sendEvent(e)));
    if (this.opts.healthIntervalMs > 0) this.every('health', this.opts.healthIntervalMs, () => this.sendEvent({ name: 'HEALTH', fields: board.health() }));
  }

  private every(what: string, ms: number, fn: () => void): void {
    const arm = () => {
      this.periodic.set(
        what,
        this.opts.timers.setTimeout(() => {
          if (this.closed) return;
          fn();
          arm();
        }, ms),
      );
    };
    arm();
  }

  /** Serves `stream` from now on (replacing any previous one). Detaches itself when it closes. */
  attach(stream: Duplex): void {
    this.detach();
    this.stats.attaches++;
    const parser = new FrameStream();
    const onData = (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      if (this.rebooting) {
        this.stats.ignoredWhileRebooting++;
        return;
      }
      parser.write(chunk);
    };
    const onItem = (item: ParsedItem) => this.onItem(item);
    const onGone = () => {
      if (this.stream === stream) this.detach();
    };
    stream.on('data', onData);
    stream.on('end', onGone);
    stream.on('close', onGone);
    stream.on('error', onGone);
    parser.on('data', onItem);
    this.stream = stream;
    this.parser = parser;
    this.detachCurrent = () => {
      stream.off('data', onData);
      stream.off('end', onGone);
      stream.off('close', onGone);
      stream.off('error', onGone);
      parser.off('data', onItem);
      parser.destroy();
    };
    this.opts.log(`host attached (${this.stats.attaches})`);
  }

  detach(): void {
    if (!this.detachCurrent) return;
    this.detachCurrent();
    this.detachCurrent = null;
    this.stream = null;
    this.parser = null;
    this.opts.log('host detached');
  }

  /** Stops timers and detaches; the board object stays usable. */
  close(): void {
    this.detach();
    this.closed = true;
    for (const t of this.periodic.values()) this.opts.timers.clearTimeout(t);
    this.periodic.clear();
    if (this.rebootTimer) this.opts.timers.clearTimeout(this.rebootTimer);
    this.rebootTimer = null;
    this.board.off('event', this.onEvent);
  }

  private write(f: Frame): Buffer | null {
    const bytes = encodeFrame(f);
    if (!this.stream || this.stream.destroyed || !this.stream.writable) return bytes;
    this.stream.write(bytes);
    this.stats.framesOut++;
    return bytes;
  }

  private sendEvent(e: BoardEvent): void {
    // BOOT is event 0 of a boot (§2.3); every other event takes the next number, sent or not.
    // A boot empties the repeated-line memory (RAM); reboot() puts back the line that asked for it.
    if (e.name === 'BOOT') {
      this.eventSeq = 0;
      this.last = null;
    }
    const seq = this.eventSeq;
    this.eventSeq = (this.eventSeq + 1) & MAX_SEQ;
    // With nobody reading (a pty whose host closed it fills up, then socat stops reading us),
    // events would queue in memory without limit: past EVENT_BACKLOG_BYTES they are dropped.
    if (!this.stream || this.rebooting || this.stream.writableLength > EVENT_BACKLOG_BYTES) {
      this.stats.eventsDropped++;
      return;
    }
    const fields = encodeEvent(e.name, e.fields as never);
    this.write({ kind: 'evt', seq, name: e.name, fields });
    this.stats.eventsSent++;
  }

  private nak(reason: NakReason, hint: { seq?: number; name?: string }): void {
    const echo = hint.seq !== undefined && hint.name !== undefined;
    this.stats.naksSent++;
    this.write({ kind: 'nak', seq: echo ? hint.seq! : 0, name: echo ? hint.name! : 'FRAME', fields: { reason, echo: echo ? 'yes' : 'no' } });
  }

  private onItem(item: ParsedItem): void {
    if (item.type === 'discarded') {
      this.stats.discardedFrames++;
      this.stats.discardedBytes += item.bytes;
      // Never NAK a NAK (§5): two peers must not ping-pong. Nor a line cut off by a disconnect.
      if (item.reason === 'incomplete' || item.hint.kind === 'nak') return;
      this.nak(item.reason, item.hint);
      return;
    }
    this.stats.framesIn++;
    const f = item.frame;
    if (f.kind === 'nak') {
      this.stats.naksReceived++;
      return;
    }
    if (f.kind !== 'req') {
      this.nak('not-request', f);
      return;
    }
    this.stats.requests++;
    if (this.last && isDeepStrictEqual(this.last.request, f)) {
      // The same line again: the host did not get our answer. Answer again, do not act again (§2.3).
      this.stats.repeats++;
      if (this.stream) this.stream.write(this.last.answer);
      this.stats.framesOut++;
      return;
    }
    if (!isCommandName(f.name)) {
      this.nak('unknown-command', f);
      return;
    }
    if (f.name === 'HELLO') this.last = null;
    let after: (() => void) | null = null;
    const ctx: HandlerContext = {
      rebootAfterReply: (reason) => {
        after = () => this.reboot(reason);
      },
    };
    this.countExecution(f);
    const answer = this.execute(f.name, f, ctx);
    const bytes = this.write(answer);
    if (bytes) this.last = { request: f, answer: bytes };
    if (after) (after as () => void)();
  }

  private countExecution(f: Frame): void {
    const name = f.name;
    this.stats.executed[name] = (this.stats.executed[name] ?? 0) + 1;
    if (COMMANDS[name as CommandName].idempotent) return;
    const key = `${name} ${f.seq} ${JSON.stringify(f.fields)}`;
    if (this.recentNonIdempotent.includes(key)) this.stats.reexecuted[name] = (this.stats.reexecuted[name] ?? 0) + 1;
    this.recentNonIdempotent.push(key);
    if (this.recentNonIdempotent.length > REEXEC_MEMORY) this.recentNonIdempotent.shift();
  }

  private execute(name: CommandName, f: Frame, ctx: HandlerContext): Frame {
    const spec = COMMANDS[name];
    const parsed = (spec.request as z.ZodType).safeParse(f.fields);
    if (!parsed.success) {
      const issue = describeIssue(parsed.error);
      const tooFar = parsed.error.issues.some((i) => i.code === 'too_big' || i.code === 'too_small');
      return this.err(f, tooFar ? 'out-of-range' : 'bad-field', issue.message, issue.field);
    }
    try {
      const handler = HANDLERS[name] as (b: Board, r: unknown, c: HandlerContext) => unknown;
      const res = handler(this.board, parsed.data, ctx);
      return { kind: 'ok', seq: f.seq, name, fields: encodeResponse(name, res as never) };
    } catch (e) {
      if (e instanceof BoardError) return this.err(f, e.err, e.message, e.field, e.nextOffset);
      this.opts.log(`internal error on ${name}: ${(e as Error).message}`);
      return this.err(f, 'internal', 'board fault; nothing was changed');
    }
  }

  private err(f: Frame, err: BoardErrorName, text: string, field?: string, nextOffset?: number): Frame {
    this.stats.errors++;
    const fields: Record<string, string> = { code: String(BOARD_ERRORS[err]), err, text };
    if (field) fields.field = field;
    if (nextOffset !== undefined) fields.next_offset = String(nextOffset);
    return { kind: 'err', seq: f.seq, name: f.name, fields };
  }

  /** The board goes deaf, then boots and announces BOOT (docs/protocol.md §11 REBOOT). */
  private reboot(reason: 'reboot' | 'activate'): void {
    this.rebooting = true;
    // §2.3: a reboot the host asked for keeps the line that asked for it (a real board keeps it
    // in RAM it does not clear on a warm restart). If the answer was lost and the host missed the
    // BOOT event too, its resend of the same line is answered from memory instead of rebooting
    // the board a second time.
    const asked = this.last;
    this.opts.log(`rebooting (${reason})`);
    this.rebootTimer = this.opts.timers.setTimeout(() => {
      this.rebootTimer = null;
      this.rebooting = false;
      this.board.boot(reason);
      this.last = asked;
    }, this.opts.rebootDelayMs);
  }

  get isRebooting(): boolean {
    return this.rebooting;
  }
}
