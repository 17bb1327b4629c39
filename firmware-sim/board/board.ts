/**
 * The simulated DSP board's state, as a library: identity from a hardware profile, running and
 * staged configuration, per-channel secure mode, span status and counters, SIP settings, health,
 * firmware slots. Methods answer the protocol's commands with typed values (or throw BoardError
 * before changing anything) and emit typed events; `firmware-sim/server/` puts them on the wire.
 *
 * Each profile span runs the E1/T1 span model (firmware-sim/span/ through span-runtime.ts), driven
 * by the board clock: `syncSpans()` advances it (the simulator calls it on a timer, every read calls
 * it too) and turns its alarm changes into ALARM events. The data plane reads secureMode()/maskTone;
 * fault injection (firmware-sim/faults/) calls setBypass, setHealthFault, setDspStall and the span
 * models' injectFault.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { HardwareProfile, SipProfile, SpanProfile } from '../../hardware-profiles/schema.ts';
import type { EventName, EventOf } from '../../src/protocol/commands.ts';
import { BoardError } from './board-error.ts';
import { systemBoardClock, type BoardClock } from './clock.ts';
import { cloneConfig, configFromProfile, diffConfig, type BoardConfig, type MaskTone } from './config.ts';
import { FirmwareStore, type ImageVerifier, type SlotId } from './fw-transfer.ts';
import { BoardChannels } from '../channel/board-channels.ts';
import { MAX_SECURE_IDLE_S, MIN_SECURE_IDLE_S } from '../channel/secure-idle.ts';
import { SpanRuntime, type Alarm, type BoardSpanOptions, type Loopback, type SpanCounters } from './span-runtime.ts';

export type View = 'running' | 'staged';
export type { Alarm, Loopback, SpanCounters } from './span-runtime.ts';
export type SecureSource = 'host' | 'trigger' | 'timeout';
export type BootReason = 'power' | 'reboot' | 'activate' | 'watchdog';

/** Health readings a fault has moved away from the profile's (docs/faults.md). */
export interface HealthFault {
  tempC?: number;
  vMainMv?: number;
  v3v3Mv?: number;
  vCoreMv?: number;
}

export type BoardEvent = { [N in EventName]: { name: N; fields: EventOf<N> } }[EventName];

export interface BoardOptions {
  clock?: BoardClock;
  /** Serial number; default: the profile's prefix and 6 random digits. */
  serial?: string;
  /** Checks an uploaded image's signature; default accepts nothing it cannot verify (see sim command). */
  verifyImage: ImageVerifier;
  /** Options of every span model (alarm persistence, SES threshold, bit error seed). */
  spans?: BoardSpanOptions;
}

export class Board extends EventEmitter<{ event: [BoardEvent] }> {
  readonly profile: HardwareProfile;
  readonly serial: string;
  readonly clock: BoardClock;
  readonly firmware: FirmwareStore;
  bootId = '';
  private bootedAt = 0;
  private running: BoardConfig;
  private staged: BoardConfig;
  private version = 1;
  private secure: Array<{ on: boolean; since: number }> = [];
  private spans: SpanRuntime[] = [];
  private bypass = false;
  private healthFault: HealthFault = {};
  private stalled = new Set<number>();
  private readonly spanOptions: BoardSpanOptions;

  /** The per-channel data plane (firmware-sim/channel/): follows secure mode, reports masked digits. */
  readonly channels: BoardChannels;

  constructor(profile: HardwareProfile, options: BoardOptions) {
    super();
    this.profile = profile;
    this.clock = options.clock ?? systemBoardClock;
    this.serial = options.serial ?? `${profile.identity.serialPrefix}${String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0')}`;
    this.firmware = new FirmwareStore(profile.firmware.shipped, options.verifyImage);
    this.spanOptions = options.spans ?? {};
    this.running = configFromProfile(profile);
    this.staged = cloneConfig(this.running);
    this.powerOn('power', false);
    this.channels = new BoardChannels(this);
  }

  // ---- boot -------------------------------------------------------------------------------------

  private powerOn(reason: BootReason, announce: boolean): void {
    this.firmware.boot();
    this.bootId = randomBytes(4).toString('hex').toUpperCase();
    this.bootedAt = this.clock.now();
    // Staged configuration lives in RAM: a reboot discards it (docs/protocol.md §10).
    this.staged = cloneConfig(this.running);
    this.secure = Array.from({ length: this.profile.channels }, () => ({ on: false, since: this.bootedAt }));
    // The line's faults outlive a reboot (they are on the cable, not in the board); the receiver,
    // its alarms, counters and loopbacks start afresh.
    this.spans = this.running.spans.map((p, i) => this.newSpan(p, this.spans[i]));
    // A restart clears a stalled DSP; there is no GET for it, so the host hears it after BOOT.
    const wasStalled = [...this.stalled];
    this.stalled.clear();
    if (announce) this.emitEvent({ name: 'BOOT', fields: { boot_id: this.bootId, fw: this.firmware.runningVersion, slot: this.firmware.active, reason } });
    if (announce) for (const ch of wasStalled) this.emitEvent({ name: 'DSP', fields: { ch, state: 'ok' } });
  }

  /** A fresh span model for `p`, with the line faults of `old` (they are on the cable, not in the board). */
  private newSpan(p: SpanProfile, old?: SpanRuntime): SpanRuntime {
    const rt = new SpanRuntime(p, () => this.clock.now(), this.spanOptions);
    const f = old?.model.faults();
    if (f) for (const [name, value] of Object.entries(f)) if (value) rt.model.injectFault(name, value);
    return rt;
  }

  /** A T1 span whose framing changed gets a new model (its framer restarts); alarms it had are cleared. */
  private reframeSpans(before: BoardConfig): void {
    this.running.spans.forEach((p, i) => {
      const was = before.spans[i];
      if (!was || p.type !== 't1' || p.framing === was.framing) return;
      const old = this.spans[i];
      this.emitAlarms(i + 1, old.sync());
      const raised = old.alarms();
      this.spans[i] = this.newSpan(p, old);
      this.emitAlarms(i + 1, (Object.keys(raised) as Alarm[]).filter((a) => raised[a]).map((alarm) => ({ alarm, on: false })));
    });
  }

  /** Restarts the board (after REBOOT or FW_ACTIVATE has been answered) and announces it. */
  boot(reason: BootReason): void {
    this.powerOn(reason, true);
  }

  /** The BOOT event of the current boot, for a server that attaches after power-on. */
  bootEvent(reason: BootReason = 'power'): BoardEvent {
    return { name: 'BOOT', fields: { boot_id: this.bootId, fw: this.firmware.runningVersion, slot: this.firmware.active, reason } };
  }

  private emitEvent(e: BoardEvent): void {
    this.emit('event', e);
  }

  uptimeS(): number {
    return Math.floor((this.clock.now() - this.bootedAt) / 1000);
  }

  // ---- identity ---------------------------------------------------------------------------------

  capabilities(): string[] {
    const caps = ['secure', 'cfg', 'fw'];
    const spans = this.profile.interfaces.spans;
    if (spans.length > 0) caps.push(spans[0].type, 'loopback');
    if (this.profile.interfaces.sip) caps.push('sip');
    return caps;
  }

  /** Protocol version to speak with a host offering `hostMax` (§7). */
  negotiate(hostMax: number): number {
    const { min, max } = this.profile.firmware.protocol;
    const v = Math.min(hostMax, max);
    if (v < min) throw new BoardError('unsupported', `this board speaks protocol ${min}..${max}; update the host software`, 'proto');
    return v;
  }

  get configState(): 'clean' | 'staged' {
    return diffConfig(this.running, this.staged).length > 0 ? 'staged' : 'clean';
  }

  // ---- configuration (staged, §10) -----------------------------------------------------------------

  config(view: View = 'running'): BoardConfig {
    return cloneConfig(view === 'staged' ? this.staged : this.running);
  }

  setMaskTone(t: MaskTone): MaskTone {
    this.staged.maskTone = t;
    return t;
  }

  setTrigger(code: string): string {
    this.staged.triggerCode = code;
    return code;
  }

  /** Secure mode's idle timeout (staged like the trigger code it travels with, §11). */
  setSecureIdle(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < MIN_SECURE_IDLE_S || seconds > MAX_SECURE_IDLE_S) {
      throw new BoardError('out-of-range', `secure_idle_s is ${MIN_SECURE_IDLE_S} to ${MAX_SECURE_IDLE_S} seconds`, 'secure_idle_s');
    }
    this.staged.secureIdleS = seconds;
    return seconds;
  }

  get secureIdleS(): number {
    return this.running.secureIdleS;
  }

  private spanIndex(span: number): number {
    if (this.running.spans.length === 0) throw new BoardError('unsupported', `model ${this.profile.model} has no E1/T1 spans`, 'span');
    if (span < 1 || span > this.running.spans.length) throw new BoardError('no-such-span', `span ${span} does not exist; this board has ${this.running.spans.length}`, 'span');
    return span - 1;
  }

  spanConfig(span: number, view: View = 'running'): SpanProfile {
    const i = this.spanIndex(span);
    return { ...(view === 'staged' ? this.staged : this.running).spans[i] };
  }

  setSpanConfig(span: number, c: { framing: string; lineCode: string; lbo: number; clock: 'line' | 'internal' }): SpanProfile {
    const i = this.spanIndex(span);
    const type = this.running.spans[i].type;
    let next: SpanProfile;
    if (type === 'e1') {
      // ITU-T G.704 (CRC-4 multiframe or not), G.703 (HDB3 or AMI); E1 has no line build-out.
      if (c.framing !== 'crc4' && c.framing !== 'no-crc4') throw new BoardError('out-of-range', `E1 framing is crc4 or no-crc4, not ${c.framing}`, 'framing');
      if (c.lineCode !== 'hdb3' && c.lineCode !== 'ami') throw new BoardError('out-of-range', `E1 line code is hdb3 or ami, not ${c.lineCode}`, 'line_code');
      if (c.lbo !== 0) throw new BoardError('out-of-range', 'E1 spans have no line build-out; send lbo=0', 'lbo');
      next = { type, framing: c.framing, lineCode: c.lineCode, lbo: 0, clock: c.clock };
    } else {
      // ANSI T1.403: ESF or D4 (SF) framing, B8ZS or AMI line code, LBO 0..7.
      if (c.framing !== 'esf' && c.framing !== 'd4') throw new BoardError('out-of-range', `T1 framing is esf or d4, not ${c.framing}`, 'framing');
      if (c.lineCode !== 'b8zs' && c.lineCode !== 'ami') throw new BoardError('out-of-range', `T1 line code is b8zs or ami, not ${c.lineCode}`, 'line_code');
      next = { type, framing: c.framing, lineCode: c.lineCode, lbo: c.lbo, clock: c.clock };
    }
    this.staged.spans[i] = next;
    return { ...next };
  }

  sip(view: View = 'running'): SipProfile {
    const s = (view === 'staged' ? this.staged : this.running).sip;
    if (!s) throw new BoardError('unsupported', `model ${this.profile.model} has no SIP/RTP edge`);
    return { ...s };
  }

  setSip(s: SipProfile): SipProfile {
    if (!this.staged.sip) throw new BoardError('unsupported', `model ${this.profile.model} has no SIP/RTP edge`);
    this.staged.sip = { listen: s.listen, forward: s.forward, ptPcmu: s.ptPcmu, ptPcma: s.ptPcma, ptEvent: s.ptEvent };
    return { ...this.staged.sip };
  }

  cfgStatus(): { state: 'clean' | 'staged'; version: number; pending: string[] } {
    const pending = diffConfig(this.running, this.staged);
    return { state: pending.length ? 'staged' : 'clean', version: this.version, pending };
  }

  /** Applies the whole staged configuration at once (one assignment: never half-applied). */
  commit(): { version: number; changed: string[] } {
    const changed = diffConfig(this.running, this.staged);
    if (changed.length === 0) return { version: this.version, changed };
    const before = this.running;
    this.running = cloneConfig(this.staged);
    this.reframeSpans(before);
    this.version++;
    this.emitEvent({ name: 'CFG', fields: { version: this.version, changed } });
    return { version: this.version, changed };
  }

  rollback(): { version: number; discarded: string[] } {
    const discarded = diffConfig(this.running, this.staged);
    this.staged = cloneConfig(this.running);
    return { version: this.version, discarded };
  }

  get maskTone(): MaskTone {
    return this.running.maskTone;
  }

  // ---- secure mode (runtime) -------------------------------------------------------------------

  private channelIndex(ch: number): number {
    if (ch < 1 || ch > this.profile.channels) throw new BoardError('no-such-channel', `channel ${ch} does not exist; this board has ${this.profile.channels}`, 'ch');
    return ch - 1;
  }

  secureMode(ch: number): { on: boolean; sinceS: number } {
    const s = this.secure[this.channelIndex(ch)];
    return { on: s.on, sinceS: Math.floor((this.clock.now() - s.since) / 1000) };
  }

  setSecure(ch: number, on: boolean, source: SecureSource = 'host'): boolean {
    const s = this.secure[this.channelIndex(ch)];
    if (s.on !== on) {
      s.on = on;
      s.since = this.clock.now();
      this.emitEvent({ name: 'SECURE', fields: { ch, state: on, source } });
    }
    return on;
  }

  /** For the data plane: a digit was masked on `ch` (EVT MASKED: where and how long, never which). */
  reportMasked(ch: number, atMs: number, durMs: number, leg: 'caller' | 'agent'): void {
    this.channelIndex(ch);
    this.emitEvent({ name: 'MASKED', fields: { ch, at_ms: atMs, dur_ms: durMs, leg } });
  }

  secureChannels(): number[] {
    return this.secure.flatMap((s, i) => (s.on ? [i + 1] : []));
  }

  // ---- spans (runtime) ---------------------------------------------------------------------------

  /**
   * Advances every span model to the board clock and emits ALARM for each change. `exact` false
   * (the simulator's timer) lets quiet spans lag by up to 3 s, which they account for cheaply.
   */
  syncSpans(exact = true): void {
    this.spans.forEach((rt, i) => this.emitAlarms(i + 1, rt.sync(exact)));
  }

  /** True when no span has a fault, loopback, defect or alarm (the simulator's timer may slow down). */
  get spansQuiet(): boolean {
    return this.spans.every((rt) => rt.quiet);
  }

  private emitAlarms(span: number, changes: Array<{ alarm: Alarm; on: boolean }>): void {
    for (const c of changes) this.emitEvent({ name: 'ALARM', fields: { span, alarm: c.alarm, state: c.on } });
  }

  private spanRuntime(span: number): SpanRuntime {
    const rt = this.spans[this.spanIndex(span)];
    this.emitAlarms(span, rt.sync());
    return rt;
  }

  /** The span model of a span (1-based), synced to now: for fault injection, rigs and the data plane. */
  spanModel(span: number): SpanRuntime {
    return this.spanRuntime(span);
  }

  spanStatus(span: number) {
    const i = this.spanIndex(span);
    const rt = this.spanRuntime(span);
    const a = rt.alarms();
    return {
      type: this.running.spans[i].type,
      up: !(a.los || a.lof || a.ais),
      alarms: a,
      counters: rt.counters(),
      loopback: rt.loopback,
      countedS: Math.floor((this.clock.now() - rt.countedSince) / 1000),
    };
  }

  resetCounters(span: number): void {
    this.spanRuntime(span).resetCounters();
  }

  setLoopback(span: number, mode: Loopback): Loopback {
    this.spanRuntime(span).setLoopback(mode);
    return mode;
  }

  /** Raises or clears an alarm by hand, over what the span model says (emits ALARM on change). */
  setAlarm(span: number, alarm: Alarm, on: boolean): void {
    const rt = this.spans[this.spanIndex(span)];
    this.emitAlarms(span, rt.override(alarm, on));
  }

  /** Adds to the counters by hand, over the span model's (they wrap at 2^32 like the hardware's). */
  addCounters(span: number, delta: Partial<SpanCounters>): void {
    this.spans[this.spanIndex(span)].addCounters(delta);
  }

  countersEvents(): BoardEvent[] {
    return this.spans.map((_rt, i) => ({ name: 'COUNTERS' as const, fields: { span: i + 1, ...this.spanRuntime(i + 1).counters() } }));
  }

  // ---- health ------------------------------------------------------------------------------------

  setBypass(on: boolean): void {
    if (this.bypass === on) return;
    this.bypass = on;
    this.emitEvent({ name: 'HEALTH', fields: this.health() });
  }

  /** Moves health readings away from the profile's (overheating, a rail out of range); `{}` restores them. Emits HEALTH. */
  setHealthFault(f: HealthFault): void {
    this.healthFault = { ...f };
    this.emitEvent({ name: 'HEALTH', fields: this.health() });
  }

  /** Marks a channel's DSP stalled or running again; emits DSP on change (docs/protocol.md §12). */
  setDspStall(ch: number, stalled: boolean): void {
    this.channelIndex(ch);
    if (this.stalled.has(ch) === stalled) return;
    if (stalled) this.stalled.add(ch);
    else this.stalled.delete(ch);
    this.emitEvent({ name: 'DSP', fields: { ch, state: stalled ? 'stalled' : 'ok' } });
  }

  dspStalled(ch: number): boolean {
    return this.stalled.has(ch);
  }

  health(): EventOf<'HEALTH'> {
    const h = { ...this.profile.health, ...this.healthFault };
    const load = this.profile.channels ? this.secureChannels().length / this.profile.channels : 0;
    return {
      temp_c: h.tempC,
      v_main_mv: h.vMainMv,
      v_3v3_mv: h.v3v3Mv,
      v_core_mv: h.vCoreMv,
      // Idle DSP work plus the detectors of channels in secure mode.
      dsp_load_pct: Math.min(100, Math.round(8 + 60 * load)),
      uptime_s: this.uptimeS(),
      bypass: this.bypass,
    };
  }

  // ---- firmware ----------------------------------------------------------------------------------

  fwSlots() {
    const f = this.firmware;
    return {
      active: f.active,
      next: f.next,
      a_state: f.slots.A.state,
      a_version: f.slots.A.version,
      b_state: f.slots.B.state,
      b_version: f.slots.B.version,
    };
  }

  /** FW_END; emits FW when the slot's state changed, whatever the outcome. */
  fwEnd(slot: SlotId): { version: string } {
    const before = this.firmware.slots[slot].state;
    try {
      return this.firmware.end(slot);
    } finally {
      const after = this.firmware.slots[slot].state;
      if (after !== before) this.emitEvent({ name: 'FW', fields: { slot, state: after } });
    }
  }
}
