import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Transport } from '../link/transport.ts';
import { createTransport, type LinkOptions } from '../link/open-transport.ts';
import type { Frame } from '../protocol/frame.ts';
import {
  COMMANDS,
  EVENTS,
  PROTOCOL_VERSION,
  describeIssue,
  isCommandName,
  isEventName,
  type CommandName,
  type EventName,
  type EventOf,
  type RequestOf,
  type ResponseOf,
} from '../protocol/commands.ts';
import { ApplianceDriver, type DriverState, type RequestOptions } from './driver.ts';
import { CommandError } from './driver-errors.ts';
import { makeDtmfguardProtocol } from './dtmfguard-protocol.ts';
import type { Clock } from './clock.ts';
import type { DriverOptions } from './options.ts';
import type { DriverStats } from './stats.ts';

export type Hello = ResponseOf<'HELLO'>;

/** Requests of the handshake go out while the link is connecting, ahead of user commands. */
const HANDSHAKE: RequestOptions = { handshake: true };

/** An event from the board, typed when the catalogue knows it. */
export type ApplianceEvent = { [N in EventName]: { name: N; seq: number; data: EventOf<N> } }[EventName] | { name: string; seq: number; data: Record<string, string>; unknown: true };

/** What the client re-reads after every (re)connect, so callers never act on stale state. */
export interface ApplianceState {
  hello: Hello;
  cfg: ResponseOf<'CFG_STATUS'>;
  /** Channels in secure mode. */
  secureOn: number[];
  /** When the state was read (clock ms). */
  readAt: number;
}

export interface ClientOptions {
  driver?: Partial<DriverOptions>;
  link?: LinkOptions;
  clock?: Clock;
}

/**
 * The typed appliance API over every command of the catalogue (src/protocol/commands.ts): request
 * fields are typed values (numbers, booleans, lists), encoded to their one canonical wire spelling;
 * responses are parsed back. Under it, the driver keeps the link alive and recovers it.
 *
 * Events: 'event' (ApplianceEvent), 'state' (ApplianceState, after every (re)connect),
 * 'rebooted' (the board's boot_id changed), 'link' ({ state, reason }), 'terminal' (CommandError).
 */
export class ApplianceClient extends EventEmitter {
  readonly driver: ApplianceDriver;
  #state: ApplianceState | undefined;

  constructor(transport: Transport, options: ClientOptions = {}) {
    super();
    this.driver = new ApplianceDriver({
      transport,
      options: options.driver,
      clock: options.clock,
      protocol: makeDtmfguardProtocol((name) => isCommandName(name) && COMMANDS[name].idempotent),
      handshake: () => this.#handshake(),
    });
    this.driver.on('event', (f: Frame) => this.#onEvent(f));
    this.driver.on('events-missed', () => this.#refreshSoon('events were missed'));
    this.driver.on('state', (s: { state: DriverState; reason?: string }) => this.emit('link', s));
    this.driver.on('terminal', (e: CommandError) => this.emit('terminal', e));
  }

  /**
   * Opens `target` (a device path or tcp://host:port), says HELLO and reads the state.
   * Fails with DG1201 (exit 3) when nothing answers.
   */
  static async connect(target: string | Transport, options: ClientOptions = {}): Promise<ApplianceClient> {
    const transport = typeof target === 'string' ? createTransport(target, options.link) : target;
    const client = new ApplianceClient(transport, options);
    await client.start();
    return client;
  }

  async start(): Promise<void> {
    try {
      await this.driver.start();
    } catch (e) {
      if (e instanceof CommandError && (e.reason === 'timeout' || e.reason === 'nak' || e.reason === 'link-lost')) {
        throw new CommandError(
          'no-answer',
          'HELLO',
          `nothing answered on ${this.driver.transport.target} (${e.message}): check that the appliance is powered, the cable, and --port (serial console at 115200 8N1)`,
        );
      }
      throw e;
    }
  }

  /** Identity, configuration state and secure channels as last read. */
  get state(): ApplianceState {
    if (!this.#state) throw new Error('ApplianceClient: not connected yet');
    return this.#state;
  }

  get hello(): Hello {
    return this.state.hello;
  }

  get linkState(): DriverState {
    return this.driver.state;
  }

  stats(): DriverStats & { state: DriverState; stateReason?: string } {
    return this.driver.snapshot();
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  /**
   * Sends any catalogue command with typed fields and returns the typed response. Bad request
   * values fail before anything is sent (DG1213); a response that breaks the schema is DG1210.
   */
  async call<N extends CommandName>(name: N, request: RequestOf<N>, options?: RequestOptions): Promise<ResponseOf<N>> {
    const spec = COMMANDS[name];
    let fields: Record<string, string>;
    try {
      fields = z.encode(spec.request as z.ZodType, request) as Record<string, string>;
    } catch (e) {
      const what = e instanceof z.ZodError ? describeIssue(e).message : (e as Error).message;
      throw new CommandError('bad-request', name, `${name} not sent: ${what}`);
    }
    const frame = await this.driver.request(name, fields, options);
    const parsed = (spec.response as z.ZodType).safeParse(frame.fields);
    if (!parsed.success) {
      throw new CommandError('bad-response', name, `board answered ${name} with fields this host cannot read (${describeIssue(parsed.error).message}): check the firmware and host versions`);
    }
    return parsed.data as ResponseOf<N>;
  }

  // ------------------------------------------------------------ one method per command (§11)

  ping = () => this.call('PING', {});
  getMaskTone = (view?: 'running' | 'staged') => this.call('GET_MASK_TONE', view ? { view } : {});
  setMaskTone = (tone: RequestOf<'SET_MASK_TONE'>['tone']) => this.call('SET_MASK_TONE', { tone });
  getTrigger = (view?: 'running' | 'staged') => this.call('GET_TRIGGER', view ? { view } : {});
  setTrigger = (code: string) => this.call('SET_TRIGGER', { code });
  /** Secure mode's idle timeout (staged, like the trigger code it travels with). */
  setSecureIdle = (seconds: number) => this.call('SET_TRIGGER', { secure_idle_s: seconds });
  getSecure = (ch: number) => this.call('GET_SECURE', { ch });
  setSecure = (ch: number, state: boolean) => this.call('SET_SECURE', { ch, state });
  getSecureSummary = () => this.call('GET_SECURE_SUMMARY', {});
  getSpanConfig = (span: number, view?: 'running' | 'staged') => this.call('GET_SPAN_CONFIG', view ? { span, view } : { span });
  setSpanConfig = (req: RequestOf<'SET_SPAN_CONFIG'>) => this.call('SET_SPAN_CONFIG', req);
  getSpanStatus = (span: number) => this.call('GET_SPAN_STATUS', { span });
  resetCounters = (span: number) => this.call('RESET_COUNTERS', { span });
  setLoopback = (span: number, mode: RequestOf<'SET_LOOPBACK'>['mode']) => this.call('SET_LOOPBACK', { span, mode });
  getSip = (view?: 'running' | 'staged') => this.call('GET_SIP', view ? { view } : {});
  setSip = (req: RequestOf<'SET_SIP'>) => this.call('SET_SIP', req);
  getHealth = () => this.call('GET_HEALTH', {});
  cfgStatus = () => this.call('CFG_STATUS', {});
  cfgCommit = () => this.call('CFG_COMMIT', {});
  cfgRollback = () => this.call('CFG_ROLLBACK', {});
  reboot = () => this.call('REBOOT', {});
  fwSlots = () => this.call('FW_SLOTS', {});
  fwBegin = (req: RequestOf<'FW_BEGIN'>) => this.call('FW_BEGIN', req);
  fwChunk = (req: RequestOf<'FW_CHUNK'>) => this.call('FW_CHUNK', req);
  fwStatus = () => this.call('FW_STATUS', {});
  fwEnd = (slot: RequestOf<'FW_END'>['slot']) => this.call('FW_END', { slot });
  fwAbort = () => this.call('FW_ABORT', {});
  fwActivate = (slot: RequestOf<'FW_ACTIVATE'>['slot']) => this.call('FW_ACTIVATE', { slot });

  // ------------------------------------------------------------ handshake and state

  /** §7: HELLO first after every open, then re-read what callers rely on. */
  async #handshake(): Promise<void> {
    let hello: Hello;
    try {
      hello = await this.call('HELLO', { proto: PROTOCOL_VERSION }, HANDSHAKE);
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'board-error' && e.boardCode === 3) {
        throw new CommandError('protocol-version', 'HELLO', `the appliance does not speak protocol version ${PROTOCOL_VERSION}: upgrade dtmfguard or the board firmware`);
      }
      throw e;
    }
    if (hello.proto > PROTOCOL_VERSION) {
      throw new CommandError('protocol-version', 'HELLO', `the appliance answered protocol version ${hello.proto}, this host speaks ${PROTOCOL_VERSION}: upgrade dtmfguard`);
    }
    const previous = this.#state?.hello.boot_id;
    await this.#readState(hello, HANDSHAKE);
    if (previous !== undefined && previous !== hello.boot_id) this.emit('rebooted', { from: previous, to: hello.boot_id });
  }

  async #readState(hello?: Hello, opts?: RequestOptions): Promise<void> {
    const h = hello ?? (await this.call('HELLO', { proto: PROTOCOL_VERSION }, opts));
    const cfg = await this.call('CFG_STATUS', {}, opts);
    const secureOn = h.channels > 0 ? (await this.call('GET_SECURE_SUMMARY', {}, opts)).on : [];
    this.#state = { hello: h, cfg, secureOn, readAt: this.driver.clock.now() };
    this.emit('state', this.#state);
  }

  #refreshing = false;
  /** §2.3: after a gap in event numbers (or a BOOT), re-read the state instead of trusting it. */
  #refreshSoon(_why: string): void {
    if (this.#refreshing || this.driver.state !== 'ready') return;
    this.#refreshing = true;
    this.#readState()
      .catch(() => undefined) // the driver's ladder handles a bad link; the next reconnect re-reads
      .finally(() => {
        this.#refreshing = false;
      });
  }

  #onEvent(frame: Frame): void {
    if (!isEventName(frame.name)) {
      this.emit('event', { name: frame.name, seq: frame.seq, data: frame.fields, unknown: true } satisfies ApplianceEvent);
      return;
    }
    const parsed = (EVENTS[frame.name] as z.ZodType).safeParse(frame.fields);
    if (!parsed.success) {
      this.emit('event', { name: frame.name, seq: frame.seq, data: frame.fields, unknown: true } satisfies ApplianceEvent);
      return;
    }
    this.emit('event', { name: frame.name, seq: frame.seq, data: parsed.data } as ApplianceEvent);
    if (frame.name === 'BOOT') this.#refreshSoon('board booted');
    if (frame.name === 'SECURE' && this.#state) {
      const d = parsed.data as EventOf<'SECURE'>;
      const on = new Set(this.#state.secureOn);
      if (d.state) on.add(d.ch);
      else on.delete(d.ch);
      this.#state.secureOn = [...on].sort((a, b) => a - b);
    }
  }
}
