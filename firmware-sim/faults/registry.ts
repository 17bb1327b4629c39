/**
 * The fault switches of one simulated appliance: `set(name, value, {span|channel})` and `list()`.
 * The same object serves the command line (`--fault`), the rig socket (`dtmfguard-sim fault`),
 * scenario files and tests (`sim.faults.set('los', true, { span: 1 })`). Faults and their effects:
 * docs/faults.md; names and values: catalogue.ts.
 */
import { EventEmitter } from 'node:events';
import { DgError } from '../../src/errors.ts';
import type { Board } from '../board/board.ts';
import { realTimers, type DeviceServer, type ServerTimers } from '../server/device-server.ts';
import { FAULT_NAMES, faultSpec, VOLTAGE_STEP, type FaultArea, type FaultName } from './catalogue.ts';
import type { FaultyLine } from './faulty-line.ts';

export interface FaultTarget {
  board: Board;
  /** Needed by `reset` and `reboot` to drop a half-received line. */
  server?: DeviceServer;
  /** Needed by the serial faults. */
  line?: FaultyLine;
  /** How long `reset` and `reboot` keep the board silent (ms); the server's reboot delay. */
  rebootDelayMs?: number;
  timers?: ServerTimers;
  log?: (msg: string) => void;
}

export interface FaultScopeArg {
  span?: number;
  channel?: number;
}

export interface FaultEntry {
  fault: FaultName;
  area: FaultArea;
  /** 'on'/'off', a number, or for voltage low/high; `armed` for a pending reset. */
  value: string;
  span?: number;
  channel?: number;
}

export type FaultValue = string | number | boolean;

function valueText(v: FaultValue): string {
  return typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
}

export class FaultRegistry extends EventEmitter<{ change: [FaultEntry[]] }> {
  private overheat = 'off';
  private voltage = 'off';
  private rebooting = false;
  private readonly timers: ServerTimers;
  private readonly log: (m: string) => void;

  constructor(readonly target: FaultTarget) {
    super();
    this.timers = target.timers ?? realTimers;
    this.log = target.log ?? (() => {});
  }

  /**
   * Switches a fault; returns the entries of that fault now in force. Line faults without a span
   * apply to every span. Throws DgError (DG5901-DG5904) before changing anything.
   */
  set(name: string, value: FaultValue, scope: FaultScopeArg = {}): FaultEntry[] {
    const spec = faultSpec(name);
    const fault = name as FaultName;
    const v = spec.parse(valueText(value));
    const { board } = this.target;
    const spans = this.scope(fault, scope);
    switch (fault) {
      case 'corrupt':
      case 'drop':
      case 'latency':
      case 'silence':
      case 'reset': {
        const line = this.target.line;
        if (!line) throw new DgError('DG5904', `fault ${fault} acts on the control line, and this simulator has none attached; run it with --pty or --tcp`);
        if (fault === 'corrupt') line.faults.corrupt = Number(v);
        else if (fault === 'drop') line.faults.drop = Number(v);
        else if (fault === 'latency') line.faults.latencyMs = Number(v);
        else if (fault === 'silence') line.faults.silence = v === 'on';
        else if (v === 'on') line.armReset(() => this.restart('power'));
        else line.disarmReset();
        break;
      }
      case 'dsp-stall':
        board.setDspStall(scope.channel!, v === 'on');
        break;
      case 'overheat':
        this.overheat = v;
        this.applyHealth();
        break;
      case 'voltage':
        this.voltage = v;
        this.applyHealth();
        break;
      case 'bypass':
        board.setBypass(v === 'on');
        break;
      case 'reboot':
        if (v === 'on') this.restart('watchdog');
        break;
      default:
        // Line faults: the model is first brought up to now, so the fault starts at this instant.
        for (const s of spans) board.spanModel(s).model.injectFault(fault, v);
        board.syncSpans();
    }
    this.log(`fault ${fault} ${v}${scope.span ? ` span ${scope.span}` : ''}${scope.channel ? ` channel ${scope.channel}` : ''}`);
    const now = this.list().filter((e) => e.fault === fault);
    this.emit('change', now);
    return now;
  }

  /** Checks span/channel against the fault and the board; returns the spans a line fault applies to. */
  private scope(fault: FaultName, scope: FaultScopeArg): number[] {
    const spec = faultSpec(fault);
    const nSpans = this.target.board.profile.interfaces.spans.length;
    const channels = this.target.board.profile.channels;
    const bad = (m: string) => new DgError('DG5903', m);
    if (scope.span !== undefined && spec.scope !== 'span') throw bad(`fault ${fault} does not take --span`);
    if (scope.channel !== undefined && spec.scope !== 'channel') throw bad(`fault ${fault} does not take --channel`);
    if (spec.scope === 'channel') {
      const ch = scope.channel;
      if (ch === undefined) throw bad(`fault ${fault} needs --channel N (1 to ${channels})`);
      if (!Number.isInteger(ch) || ch < 1 || ch > channels) throw bad(`no channel ${ch}: this board has channels 1 to ${channels}`);
    }
    if (spec.scope !== 'span') return [];
    if (nSpans === 0) throw bad(`fault ${fault} needs an E1/T1 span, and model ${this.target.board.profile.model} has none`);
    if (scope.span === undefined) return Array.from({ length: nSpans }, (_, i) => i + 1);
    if (!Number.isInteger(scope.span) || scope.span < 1 || scope.span > nSpans) throw bad(`no span ${scope.span}: this board has spans 1 to ${nSpans}`);
    return [scope.span];
  }

  private applyHealth(): void {
    const base = this.target.board.profile.health;
    const f: { tempC?: number; vMainMv?: number } = {};
    if (this.overheat !== 'off') f.tempC = Number(this.overheat);
    if (this.voltage === 'low') f.vMainMv = Math.round(base.vMainMv * (1 - VOLTAGE_STEP));
    else if (this.voltage === 'high') f.vMainMv = Math.round(base.vMainMv * (1 + VOLTAGE_STEP));
    else if (this.voltage !== 'off') f.vMainMv = Number(this.voltage);
    this.target.board.setHealthFault(f);
  }

  /**
   * The board restarts by itself: silent for the reboot delay (a half-received line is lost with
   * the UART's buffer), then BOOT. Line faults stay (they are on the cable), board state does not.
   */
  private restart(reason: 'power' | 'watchdog'): void {
    if (this.rebooting) return;
    const { board, server, line } = this.target;
    const delay = this.target.rebootDelayMs ?? 1000;
    this.rebooting = true;
    line?.deafen(delay);
    this.log(`board restarting (${reason})`);
    this.timers.setTimeout(() => {
      this.rebooting = false;
      line?.hear();
      // A fresh parser: the partial line the board was reading is gone.
      if (server && line?.current) server.attach(line.current);
      board.boot(reason);
    }, delay);
  }

  /** Every fault with its current value; scoped faults once per span or per affected channel. */
  list(): FaultEntry[] {
    const { board, line } = this.target;
    const out: FaultEntry[] = [];
    const nSpans = board.profile.interfaces.spans.length;
    for (const fault of FAULT_NAMES) {
      const area = faultSpec(fault).area;
      const push = (value: string, extra: FaultScopeArg = {}) => out.push({ fault, area, value, ...extra });
      const num = (n: number) => (n === 0 ? 'off' : String(n));
      switch (fault) {
        case 'corrupt':
          push(num(line?.faults.corrupt ?? 0));
          break;
        case 'drop':
          push(num(line?.faults.drop ?? 0));
          break;
        case 'latency':
          push(num(line?.faults.latencyMs ?? 0));
          break;
        case 'silence':
          push(line?.faults.silence ? 'on' : 'off');
          break;
        case 'reset':
          push(line?.resetPending ? 'armed' : 'off');
          break;
        case 'dsp-stall': {
          const stalled = Array.from({ length: board.profile.channels }, (_, i) => i + 1).filter((ch) => board.dspStalled(ch));
          if (stalled.length === 0) push('off');
          for (const ch of stalled) push('on', { channel: ch });
          break;
        }
        case 'overheat':
          push(this.overheat);
          break;
        case 'voltage':
          push(this.voltage);
          break;
        case 'bypass':
          push(board.health().bypass ? 'on' : 'off');
          break;
        case 'reboot':
          push(this.rebooting ? 'on' : 'off');
          break;
        default:
          for (let s = 1; s <= nSpans; s++) {
            const f = board.spanModel(s).model.faults()[fault];
            push(typeof f === 'number' ? num(f) : f ? 'on' : 'off', { span: s });
          }
      }
    }
    return out;
  }
}

/**
 * `--fault` on the simulator's command line: `NAME=VALUE[,span=N|,channel=N]`, e.g. `los=on,span=1`,
 * `corrupt=0.01`, `dsp-stall=on,channel=3`.
 */
export function parseFaultArg(text: string): { name: string; value: string } & FaultScopeArg {
  const [head, ...rest] = text.split(',');
  const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(head ?? '');
  const usage = () => new DgError('DG5905', `--fault ${JSON.stringify(text)}: write NAME=VALUE[,span=N|,channel=N], e.g. los=on,span=1`);
  if (!m) throw usage();
  const out: { name: string; value: string } & FaultScopeArg = { name: m[1], value: m[2] };
  for (const part of rest) {
    const s = /^(span|channel)=([1-9]\d{0,3})$/.exec(part);
    if (!s) throw usage();
    out[s[1] as 'span' | 'channel'] = Number(s[2]);
  }
  faultSpec(out.name);
  return out;
}
