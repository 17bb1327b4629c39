import { EventEmitter } from 'node:events';
import type { Transport } from '../link/transport.ts';
import { encodeFrame, type Frame } from '../protocol/frame.ts';
import { FrameStream, type ParsedItem } from '../protocol/parser.ts';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import { CommandError, type FailureReason } from './driver-errors.ts';
import { type DriverOptions, resolveOptions } from './options.ts';
import { type DriverStats, emptyStats, recordRtt } from './stats.ts';
import { PendingCommand, type CommandOutcome } from './pending-command.ts';
import type { ProtocolAdapter } from './protocol-adapter.ts';
import { dtmfguardProtocol } from './dtmfguard-protocol.ts';
import type { FrameHint } from '../protocol/frame.ts';

/** The event a board sends after every start (docs/protocol.md §12); it is always event 0. */
const BOOT_EVENT = 'BOOT';

/**
 * Where the driver stands. `failed` is the terminal state of the recovery ladder: the driver
 * stays there, reporting DG1207 to every caller, until someone calls restart(). It never loops
 * on its own and never exits the process.
 */
export type DriverState = 'idle' | 'connecting' | 'ready' | 'recovering' | 'failed' | 'closed';

export interface DriverConfig {
  transport: Transport;
  options?: Partial<DriverOptions>;
  clock?: Clock;
  /** How frames and catalogue entries look (command names, idempotency, NAK and heartbeat frames). */
  protocol?: ProtocolAdapter;
  /**
   * Runs after every successful open, first connect and every reopen: the hello, then re-reading
   * whatever state the caller caches. Its requests go ahead of queued user commands. Throwing
   * fails the open (a reopen attempt then counts as failed).
   */
  handshake?: (driver: ApplianceDriver) => Promise<void>;
}

export interface RequestOptions {
  /** Override the response timeout for this command (ms), e.g. a slow flash erase. */
  timeoutMs?: number;
  /** Override the catalogue's idempotency flag (rarely right; tests use it). */
  idempotent?: boolean;
  /**
   * Part of the handshake: sent while the link is still connecting, ahead of user commands
   * (which wait until the hello and the state re-read are done).
   */
  handshake?: boolean;
}

interface StateChange {
  state: DriverState;
  reason?: string;
}

/**
 * The appliance driver. Data flows one way in each direction:
 * control: request() → queue → one PendingCommand in flight → encodeFrame → transport;
 * events: transport → FrameStream → response matching by seq | 'event' listeners | NAK out.
 *
 * Recovery ladder, each step capped: per-command retry → resync (after
 * `failuresBeforeResync` consecutive failures) → close and reopen with capped exponential
 * backoff, re-running the handshake (after `failuresBeforeReopen`, or at once when the OS reports
 * the link closed) → terminal state `failed` after `maxReopenAttempts` failed reopens.
 */
export class ApplianceDriver extends EventEmitter {
  readonly transport: Transport;
  readonly options: DriverOptions;
  readonly clock: Clock;
  readonly protocol: ProtocolAdapter;
  readonly stats: DriverStats = emptyStats();
  #handshake: ((driver: ApplianceDriver) => Promise<void>) | undefined;

  #state: DriverState = 'idle';
  #stateReason: string | undefined;
  #terminalError: CommandError | undefined;
  #parser: FrameStream | undefined;
  #queue: PendingCommand[] = [];
  #inFlight: PendingCommand | undefined;
  #nextSeq = 1;
  #consecutiveFailures = 0;
  #resyncedAtFailures = 0;
  #heartbeatTimer: TimerHandle | undefined;
  /** When we last sent a NAK (clock ms): see the NAK rules in #onNak. */
  #lastNakSentAt: number | undefined;
  #lastEventSeq: number | undefined;
  /**
   * What the board's repeated-line memory (docs/protocol.md §2.3) can still hold. It moves on
   * whenever the memory may no longer hold the line of the command last sent: another request
   * went out, the link was (re)opened (the hello clears the memory), or the board rebooted.
   * A non-idempotent command may be resent with its sequence number only within its epoch.
   */
  #memoryEpoch = 0;
  /** Why the epoch last moved, for the "outcome unknown" message. */
  #memoryLostBecause = 'the link was opened';
  /** The command whose line went out last (a resend of it keeps the epoch). */
  #lastSent: PendingCommand | undefined;
  /** True while the handshake of an open runs: its commands may go out, user commands wait. */
  #handshaking = false;
  #recovering: Promise<void> | undefined;
  #wakeLadder: (() => void) | undefined;
  #onData = (chunk: Buffer) => this.#parser?.write(chunk);
  #onClose = (err?: Error) => this.#linkLost(`link closed: ${err?.message ?? 'closed'}`);

  constructor(config: DriverConfig) {
    super();
    this.transport = config.transport;
    this.options = resolveOptions(config.options);
    this.clock = config.clock ?? systemClock;
    this.protocol = config.protocol ?? dtmfguardProtocol;
    this.#handshake = config.handshake;
  }

  get state(): DriverState {
    return this.#state;
  }

  get stateReason(): string | undefined {
    return this.#stateReason;
  }

  /** Commands waiting (not counting the one in flight). */
  get queueLength(): number {
    return this.#queue.length;
  }

  /**
   * Opens the link and runs the handshake once. Fails fast (no ladder): the caller, e.g.
   * `dtmfguard info`, reports DG11xx/DG1201 and exits 3. Once started, losses are recovered.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle' && this.#state !== 'closed') throw new Error(`driver already started (state ${this.#state})`);
    this.#terminalError = undefined;
    try {
      await this.#openAndHandshake();
    } catch (e) {
      await this.#detach();
      this.#setState('idle', (e as Error).message);
      throw e;
    }
    this.#setState('ready');
    this.#pump();
  }

  /** Leaves the terminal state and climbs the ladder again (an operator's "try again"). */
  async restart(): Promise<void> {
    if (this.#state !== 'failed') return;
    this.#terminalError = undefined;
    this.#consecutiveFailures = 0;
    await this.#recover('restart requested');
  }

  /** Stops everything: rejects queued commands with DG1208 and closes the link. */
  async close(): Promise<void> {
    if (this.#closed()) return;
    this.#setState('closed');
    this.#cancelHeartbeat();
    const err = (c: PendingCommand) => new CommandError('closed', c.name, `driver closed before ${c.describe()} completed`);
    this.#inFlight?.finish({ ok: false, error: err(this.#inFlight) });
    this.#inFlight = undefined;
    for (const c of this.#queue.splice(0)) c.finish({ ok: false, error: err(c) });
    await this.#detach();
    this.#wakeLadder?.();
    await this.#recovering;
  }

  /**
   * Sends one command and resolves with the board's `ok` response frame. Rejects with a
   * CommandError whose reason says what went wrong and whose message carries the DG code.
   */
  request(name: string, fields: Record<string, string> = {}, opts: RequestOptions = {}): Promise<Frame> {
    const control = opts.handshake === true;
    if (this.#state === 'closed') return Promise.reject(new CommandError('closed', name, `driver is closed: cannot send ${name}`));
    if (this.#state === 'failed' && this.#terminalError) return Promise.reject(this.#terminalFor(name));
    if (this.#queue.length >= this.options.maxQueue) {
      return Promise.reject(new CommandError('queue-full', name, `${this.#queue.length} commands already queued: slow down or raise maxQueue (${name} not sent)`));
    }
    const idempotent = opts.idempotent ?? this.protocol.isIdempotent(name);
    const cmd = new PendingCommand({
      name,
      fields,
      idempotent,
      control,
      timeoutMs: opts.timeoutMs ?? this.options.responseTimeoutMs,
      maxAttempts: this.options.maxAttempts,
    });
    if (control) {
      // Handshake commands overtake waiting user commands but keep their own order.
      const firstUser = this.#queue.findIndex((c) => !c.control);
      this.#queue.splice(firstUser < 0 ? this.#queue.length : firstUser, 0, cmd);
    } else this.#queue.push(cmd);
    this.#pump();
    return cmd.promise;
  }

  /** Snapshot of the counters (a copy: safe to serialise or compare). */
  snapshot(): DriverStats & { state: DriverState; stateReason?: string } {
    return { ...structuredClone(this.stats), state: this.#state, ...(this.#stateReason ? { stateReason: this.#stateReason } : {}) };
  }

  // ---------------------------------------------------------------- link and parser

  async #openAndHandshake(): Promise<void> {
    this.#setState('connecting');
    await this.transport.open();
    this.#attach();
    this.#handshaking = true;
    try {
      if (this.#handshake) await this.#handshake(this);
    } finally {
      this.#handshaking = false;
    }
    this.#consecutiveFailures = 0;
    this.#resyncedAtFailures = 0;
    this.#armHeartbeat();
  }

  #attach(): void {
    // A fresh link: the hello that follows clears the board's memory, and whatever we sent
    // before may have been lost with the old link.
    this.#forgetMemory('the link was reopened');
    this.#newParser();
    this.transport.on('data', this.#onData);
    this.transport.on('close', this.#onClose);
  }

  async #detach(): Promise<void> {
    this.transport.off('data', this.#onData);
    this.transport.off('close', this.#onClose);
    this.#parser?.removeAllListeners();
    this.#parser = undefined;
    await this.transport.close();
  }

  /** A fresh parser: whatever partial line the old one held is discarded. */
  #newParser(): void {
    this.#parser?.removeAllListeners();
    const parser = new FrameStream();
    parser.on('data', (item: ParsedItem) => {
      if (item.type === 'frame') this.#onFrame(item.frame);
      else this.#onDiscarded(item.bytes, item.reason, item.hint);
    });
    parser.on('error', () => {
      /* the parser reports bad input as 'discarded' items; a stream error here is not fatal */
    });
    this.#parser = parser;
  }

  #onDiscarded(bytes: number, reason: string, hint: FrameHint): void {
    this.stats.discardedBytes += bytes;
    if (reason === 'crc') this.stats.crcErrors += 1;
    else this.stats.badFrames += 1;
    if (!this.protocol.nakOnDiscard(reason)) return;
    // Tell the board its frame was rejected and never acted on (the seam: NAK a corrupt frame).
    const cmd = this.#inFlight;
    const hadNakSince = cmd?.nakSentSince ?? false;
    if (cmd) cmd.nakSentSince = true;
    this.#lastNakSentAt = this.clock.now();
    this.stats.naksSent += 1;
    void this.#write(this.protocol.nakFrame(reason, hint)).catch(() => undefined);
    // What can still be read of a damaged BOOT event is enough to stop trusting the board's
    // memory: resending after a reboot could make the board act twice (§2.3).
    if (hint.name === BOOT_EVENT) this.#forgetMemory('the board rebooted (damaged BOOT event)');
    // The damaged line may be the answer to the command in flight, or the board's NAK of it. The
    // board does not answer our NAK (§5), so waiting would only cost a timeout: the command is
    // resent at once when that is harmless: it is idempotent, or the board's repeated-line
    // memory still holds it (if the board did act, it answers the repeated line from memory
    // without acting again, §2.3). Otherwise it keeps waiting: its timeout then reports the
    // outcome as unknown. A line that reads as an event, or as about another request, is not
    // ours to act on.
    if (!cmd || cmd.sentAt === undefined) return;
    if (this.#mayRepeat(cmd) && hint.kind !== 'evt' && (hint.seq === undefined || hint.seq === cmd.seq)) {
      this.#attemptFailed(cmd, 'damaged');
    } else if (!cmd.idempotent && !cmd.mayHaveRun && !hadNakSince && hint.kind === 'nak' && hint.seq === cmd.seq && hint.name === cmd.name) {
      // A damaged NAK that still names our request, and no NAK of ours it could be about
      // (see #onNak): the board rejected the request, so it was not executed.
      this.#attemptFailed(cmd, 'nak');
    }
  }

  #onFrame(frame: Frame): void {
    this.stats.framesIn += 1;
    // Any well-formed frame proves the link carries bytes both ways again.
    this.#consecutiveFailures = 0;
    this.#resyncedAtFailures = 0;
    this.#armHeartbeat();
    switch (frame.kind) {
      case 'evt':
        this.#onEvent(frame);
        return;
      case 'nak':
        this.stats.naksReceived += 1;
        this.#onNak(frame);
        return;
      case 'ok':
      case 'err':
        this.#onResponse(frame);
        return;
      default:
        // A request from the board is a protocol violation: ignore it, it is counted in framesIn.
        return;
    }
  }

  #onEvent(frame: Frame): void {
    this.stats.events += 1;
    // §2.3/§12: the board numbers its events from 0 at every boot. An event numbered below the
    // last one means it restarted even when its BOOT event was lost. (An event numbered 0 alone
    // proves nothing: a board whose host attached after power-on may give 0 to another event.)
    let rebooted = frame.name === BOOT_EVENT;
    if (this.#lastEventSeq !== undefined) {
      const gap = (frame.seq - this.#lastEventSeq - 1 + 65536) % 65536;
      // Event sequence numbers let us count events lost to corruption (they are not retransmitted).
      if (gap > 0 && gap < 32768) this.emit('events-missed', gap);
      if (gap >= 32768) rebooted = true;
    }
    if (rebooted) this.#forgetMemory(`the board rebooted (event ${frame.name} ${frame.seq})`);
    this.#lastEventSeq = frame.seq;
    this.emit('event', frame);
  }

  #onNak(frame: Frame): void {
    const cmd = this.#inFlight;
    if (!cmd || cmd.sentAt === undefined) return;
    if (!this.protocol.nakIsFor(frame, cmd.seq, cmd.name)) {
      // §5: a NAK naming another frame is counted, nothing more.
      if (!this.protocol.nakIsAnonymous(frame)) return;
      // A NAK of a line the board could not read at all (echo=no). Resending costs an idempotent
      // command nothing. For another command it must be our request that was rejected: the only
      // other lines we send are NAKs, so that holds when none of ours can still be on its way
      // (none since one response timeout before the request went out). Were the NAK about line
      // noise instead, the repeated line is answered from the board's memory (§2.3).
      const recentNak = this.#lastNakSentAt !== undefined && this.#lastNakSentAt >= cmd.sentAt - cmd.timeoutMs;
      if (this.#mayRepeat(cmd) || !recentNak) this.#attemptFailed(cmd, 'nak');
      return;
    }
    // The echo in a NAK with reason crc was read from a damaged line and could itself be
    // damaged: if we have sent NAKs of our own since the request, this NAK may be about one of
    // those, and the request may have been carried out. That is harmless while the board's
    // memory holds the line (§2.3); otherwise a non-idempotent command waits for its answer.
    if (cmd.nakSentSince && !this.#mayRepeat(cmd)) return;
    if (this.protocol.nakIsFinal(frame)) {
      this.#clearCommandTimer(cmd);
      this.#inFlight = undefined;
      this.stats.commandsFailed += 1;
      const reason = frame.fields.reason ?? 'unknown';
      cmd.finish({ ok: false, error: new CommandError('unknown-command', cmd.name, `board does not accept ${cmd.describe()} (NAK ${reason}): the board's firmware does not know this command; upgrade it or use a command listed in its caps`) });
      this.#pump();
      return;
    }
    this.#attemptFailed(cmd, 'nak');
  }

  #onResponse(frame: Frame): void {
    const cmd = this.#inFlight;
    if (!cmd || cmd.sentAt === undefined || frame.seq !== cmd.seq || (frame.name !== cmd.name && !this.protocol.responseNameMatches(cmd.name, frame.name))) {
      this.stats.staleResponses += 1;
      return;
    }
    recordRtt(this.stats, this.clock.now() - cmd.sentAt);
    this.#clearCommandTimer(cmd);
    this.#inFlight = undefined;
    if (frame.kind === 'ok') {
      this.stats.commandsOk += 1;
      cmd.finish({ ok: true, frame });
    } else {
      const { code, symbol, text, field } = this.protocol.boardError(frame);
      this.stats.commandsFailed += 1;
      const what = [symbol, field ? `field ${field}` : '', text].filter(Boolean).join(': ');
      cmd.finish({ ok: false, error: new CommandError('board-error', cmd.name, `board refused ${cmd.describe()}: error ${code} ${what}`, code) });
    }
    this.#pump();
  }

  // ---------------------------------------------------------------- sending

  #pump(): void {
    if (this.#inFlight) return;
    const canUser = this.#state === 'ready' && !this.#handshaking;
    const canControl = this.#state === 'ready' || (this.#handshaking && this.#state === 'connecting');
    for (;;) {
      const idx = this.#queue.findIndex((c) => (c.control ? canControl : canUser));
      if (idx < 0) return;
      const [cmd] = this.#queue.splice(idx, 1);
      // A retry waiting here while the link was reopened (or the board rebooted) can no longer
      // be answered from the board's memory: one that may have been executed is not resent.
      if (!this.#mayResend(cmd)) {
        this.stats.commandsFailed += 1;
        cmd.finish({ ok: false, error: this.#unknownOutcome(cmd) });
        continue;
      }
      this.#send(cmd);
      return;
    }
  }

  #send(cmd: PendingCommand): void {
    this.#inFlight = cmd;
    // One command in flight: nothing else reaches the board between two copies of this line, so
    // its memory still holds it (§2.3). Any other request takes the memory's place.
    if (this.#lastSent !== cmd) this.#forgetMemory('another request was sent');
    this.#lastSent = cmd;
    cmd.memoryEpoch = this.#memoryEpoch;
    // A retransmission keeps its sequence number: a board that remembers its last answer can
    // repeat it instead of acting twice, and a late answer to the first attempt is still right.
    if (cmd.seq < 0) {
      cmd.seq = this.#nextSeq;
      this.#nextSeq = (this.#nextSeq + 1) % 65536;
    }
    cmd.attempts += 1;
    if (cmd.attempts > 1) this.stats.retries += 1;
    cmd.nakSentSince = false;
    cmd.sentAt = this.clock.now();
    cmd.timer = this.clock.setTimeout(() => this.#attemptFailed(cmd, 'timeout'), cmd.timeoutMs);
    this.#write({ kind: 'req', seq: cmd.seq, name: cmd.name, fields: cmd.fields }).catch((e: Error) => {
      if (this.#inFlight === cmd) this.#linkLost(`write failed: ${e.message}`);
    });
  }

  async #write(frame: Frame): Promise<void> {
    const bytes = encodeFrame(frame);
    this.stats.framesOut += 1;
    await this.transport.write(bytes);
  }

  #clearCommandTimer(cmd: PendingCommand): void {
    if (cmd.timer) this.clock.clearTimeout(cmd.timer);
    cmd.timer = undefined;
  }

  /** One attempt of the command in flight failed (timeout or NAK): retry, or fail it. */
  #attemptFailed(cmd: PendingCommand, why: 'timeout' | 'nak' | 'damaged'): void {
    if (this.#inFlight !== cmd) return;
    this.#clearCommandTimer(cmd);
    this.#inFlight = undefined;
    if (why === 'timeout') this.stats.timeouts += 1;
    // After a timeout or a damaged answer the board may have acted on the line; after a NAK of it
    // it did not (§5). Either way the line may go out again with the same seq when that cannot
    // make the board act twice (#mayResend, docs/protocol.md §6).
    if (why !== 'nak') cmd.mayHaveRun = true;
    const mayRetry = cmd.attempts < cmd.maxAttempts && this.#mayResend(cmd);
    // Straight back to the front: no other request may reach the board before the resend.
    if (mayRetry) this.#queue.unshift(cmd);
    else {
      this.stats.commandsFailed += 1;
      cmd.finish({ ok: false, error: this.#failureFor(cmd, why) });
    }
    if (why === 'timeout') this.#noteFailure();
    if (cmd.isHeartbeat && this.#state === 'ready') {
      // The board stayed silent: probe again at once, so a dead link is found within
      // heartbeatIntervalMs + failuresBeforeReopen x heartbeatTimeoutMs, not four intervals.
      this.#cancelHeartbeat();
      this.#heartbeatTimer = this.clock.setTimeout(() => this.#heartbeat(), 0);
    }
    this.#pump();
  }

  #failureFor(cmd: PendingCommand, why: 'timeout' | 'nak' | 'damaged'): CommandError {
    // Attempts left but not resent: the board's memory of a copy it may have run is gone.
    if (!cmd.idempotent && cmd.mayHaveRun && cmd.attempts < cmd.maxAttempts) return this.#unknownOutcome(cmd);
    if (why !== 'timeout') {
      const what = why === 'nak' ? `board rejected ${cmd.describe()} as corrupt` : `answer to ${cmd.describe()} arrived damaged`;
      const unsure = !cmd.idempotent && cmd.mayHaveRun ? '; outcome unknown: read the state back before repeating it' : '';
      return new CommandError('nak', cmd.name, `${what} (${cmd.attempts} attempts): the line corrupts frames; check the cable, baud rate and earthing${unsure}`);
    }
    const unsure = cmd.idempotent ? '' : ': outcome unknown, read the state back before repeating it';
    return new CommandError('timeout', cmd.name, `response timeout after ${cmd.timeoutMs} ms (${cmd.describe()}, ${cmd.attempts} attempt${cmd.attempts > 1 ? 's' : ''})${unsure}`);
  }

  // ---------------------------------------------------------------- the board's repeated-line memory

  /** The board's memory (§2.3) can no longer be trusted to hold the line last sent. */
  #forgetMemory(because: string): void {
    this.#memoryEpoch += 1;
    this.#memoryLostBecause = because;
  }

  /** Whether the board answers this command's line from memory if it comes again (§2.3). */
  #mayRepeat(cmd: PendingCommand): boolean {
    return cmd.idempotent || (this.#lastSent === cmd && cmd.memoryEpoch === this.#memoryEpoch);
  }

  /**
   * Whether this command may go out (again) now. Idempotent commands always; a non-idempotent one
   * whose earlier copies were all NAKed (never executed, §5) too; otherwise only while the board's
   * memory still holds its line, so a copy the board already executed is answered from memory.
   */
  #mayResend(cmd: PendingCommand): boolean {
    return cmd.idempotent || cmd.attempts === 0 || !cmd.mayHaveRun || this.#mayRepeat(cmd);
  }

  /** DG1206 (the link was reopened) or DG1203 (the board rebooted, ...): the command may or may not have run. */
  #unknownOutcome(cmd: PendingCommand): CommandError {
    const because = this.#memoryLostBecause;
    const what = `${cmd.describe()} got no readable answer (${cmd.attempts} attempt${cmd.attempts > 1 ? 's' : ''}) and ${because}, so it was not resent`;
    const tail = 'outcome unknown: read the state back before repeating it';
    return because.startsWith('the link')
      ? new CommandError('link-lost', cmd.name, `link lost: ${what}; ${tail}`)
      : new CommandError('timeout', cmd.name, `response timeout after ${cmd.timeoutMs} ms: ${what}; ${tail}`);
  }

  // ---------------------------------------------------------------- heartbeat and recovery

  #armHeartbeat(): void {
    this.#cancelHeartbeat();
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#heartbeatTimer = this.clock.setTimeout(() => this.#heartbeat(), this.options.heartbeatIntervalMs);
  }

  #cancelHeartbeat(): void {
    if (this.#heartbeatTimer) this.clock.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  /** Silence for a heartbeat interval: ask the board something harmless. */
  #heartbeat(): void {
    this.#heartbeatTimer = undefined;
    if (this.#state !== 'ready') return;
    if (this.#inFlight || this.#queue.length > 0) {
      // Commands are going out: their own timeouts watch the link.
      this.#armHeartbeat();
      return;
    }
    const { name, fields } = this.protocol.heartbeat;
    const cmd = new PendingCommand({ name, fields, idempotent: true, control: false, timeoutMs: this.options.heartbeatTimeoutMs, maxAttempts: 1 });
    cmd.promise.catch(() => undefined);
    cmd.isHeartbeat = true;
    this.#queue.unshift(cmd);
    this.#pump();
  }

  /** A failed exchange: step up the ladder when failures keep coming. */
  #noteFailure(): void {
    this.#consecutiveFailures += 1;
    if (this.#handshaking || this.#state !== 'ready') return; // an open in progress judges itself
    const n = this.#consecutiveFailures;
    if (n >= this.options.failuresBeforeReopen) {
      void this.#recover(`${n} consecutive failed exchanges`);
    } else if (n >= this.options.failuresBeforeResync && this.#resyncedAtFailures === 0) {
      this.#resync();
      this.#resyncedAtFailures = n;
    }
  }

  /**
   * Resynchronise without closing: drop our partial input and send a lone delimiter, which
   * ends whatever half frame the board's parser holds (it discards and NAKs it).
   */
  #resync(): void {
    this.stats.resyncs += 1;
    this.#newParser();
    this.emit('resync');
    void this.transport.write(Buffer.from('\r\n')).catch(() => undefined);
  }

  #linkLost(reason: string): void {
    if (this.#state === 'ready') void this.#recover(reason);
  }

  #recover(reason: string): Promise<void> {
    if (this.#recovering) return this.#recovering;
    this.#recovering = this.#climbLadder(reason).finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  async #climbLadder(reason: string): Promise<void> {
    this.#setState('recovering', reason);
    this.#cancelHeartbeat();
    this.#abortInFlight(reason);
    let lastError = reason;
    for (let attempt = 1; attempt <= this.options.maxReopenAttempts; attempt++) {
      await this.#detach();
      const wait = Math.min(this.options.reopenBackoffMs * 2 ** (attempt - 1), this.options.reopenBackoffMaxMs);
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, wait);
        // close() must not wait out a backoff of several seconds.
        this.#wakeLadder = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeLadder = undefined;
      if (this.#closed()) return;
      try {
        await this.#openAndHandshake();
        this.stats.reconnects += 1;
        this.#setState('ready');
        this.emit('reconnected', { attempts: attempt });
        this.#pump();
        return;
      } catch (e) {
        this.#abortInFlight((e as Error).message);
        if (this.#closed()) return;
        this.stats.failedReopens += 1;
        lastError = (e as Error).message;
        this.#setState('recovering', `reopen ${attempt}/${this.options.maxReopenAttempts} failed: ${lastError}`);
      }
    }
    await this.#detach();
    this.#enterTerminal(lastError);
  }

  /** The in-flight command of a lost link: requeue it if it may be resent, fail it otherwise. */
  #abortInFlight(reason: string): void {
    const cmd = this.#inFlight;
    if (cmd) this.#abortCommand(cmd, reason);
    this.#sweepQueue(reason);
  }

  #abortCommand(cmd: PendingCommand, reason: string): void {
    this.#clearCommandTimer(cmd);
    this.#inFlight = undefined;
    if (cmd.isHeartbeat || cmd.control) {
      cmd.finish({ ok: false, error: new CommandError('link-lost', cmd.name, `link lost during ${cmd.describe()}: ${reason}`) });
    } else if (cmd.idempotent && cmd.attempts < cmd.maxAttempts) {
      this.#queue.unshift(cmd);
    } else {
      this.stats.commandsFailed += 1;
      cmd.finish({
        ok: false,
        error: new CommandError('link-lost', cmd.name, `link lost while ${cmd.describe()} was in flight (${reason}); it may or may not have been applied: read the state back`),
      });
    }
  }

  #sweepQueue(reason: string): void {
    // Handshake commands of a failed open must not linger into the next one.
    for (const c of this.#queue.filter((q) => q.control || q.isHeartbeat)) {
      this.#queue.splice(this.#queue.indexOf(c), 1);
      c.finish({ ok: false, error: new CommandError('link-lost', c.name, `link lost before ${c.describe()} was sent: ${reason}`) });
    }
    // A non-idempotent retry waiting for its resend: the next link starts with a hello, which
    // clears the board's memory (§2.3), so the copy the board may have executed cannot be
    // answered from memory any more. Never resent.
    for (const c of this.#queue.filter((q) => !q.idempotent && q.mayHaveRun)) {
      this.#queue.splice(this.#queue.indexOf(c), 1);
      this.stats.commandsFailed += 1;
      c.finish({
        ok: false,
        error: new CommandError('link-lost', c.name, `link lost while ${c.describe()} was waiting for its resend (${reason}); it may or may not have been applied: read the state back`),
      });
    }
  }

  #enterTerminal(lastError: string): void {
    const n = this.options.maxReopenAttempts;
    this.#terminalError = new CommandError(
      'terminal',
      '',
      `link to ${this.transport.target} is down: ${n} reopen attempt${n > 1 ? 's' : ''} failed (last: ${lastError}); check power and cabling, then restart the link`,
    );
    this.#setState('failed', this.#terminalError.message);
    for (const c of this.#queue.splice(0)) {
      this.stats.commandsFailed += 1;
      c.finish({ ok: false, error: this.#terminalFor(c.name) });
    }
    this.emit('terminal', this.#terminalError);
  }

  #terminalFor(name: string): CommandError {
    const t = this.#terminalError!;
    return new CommandError('terminal', name, `${name} not sent: ${t.message.replace(/^DG\d+: /, '')}`);
  }

  /** A method, not a field test: close() may run while the ladder awaits. */
  #closed(): boolean {
    return this.#state === 'closed';
  }

  #setState(state: DriverState, reason?: string): void {
    const changed = state !== this.#state || reason !== this.#stateReason;
    this.#state = state;
    this.#stateReason = reason;
    if (changed) this.emit('state', { state, reason } satisfies StateChange);
  }
}

export type { CommandOutcome, FailureReason };
