/**
 * Everything an installer can ask of an appliance, as one object: the daemon serves these over its
 * control socket, and the CLI calls them directly when no daemon owns the port. Every change goes
 * to the audit log (PCI DSS 10.2.2) with who, what, result and origin, whether it worked or not.
 */
import { createHash } from 'node:crypto';
import { ApplianceClient } from '../appliance/client.ts';
import { applyConfig, applyConfigConfirmed, differences, readConfig, type ConfigChange, type PendingConfirmation, type TransactionResult } from '../appliance/config-transaction.ts';
import { CommandError } from '../appliance/driver-errors.ts';
import { DgError, EXIT } from '../errors.ts';
import { crcHex } from '../protocol/crc.ts';
import type { ResponseOf } from '../protocol/commands.ts';
import type { AuditLog, AuditRecord } from './audit-log.ts';

export interface Caller {
  who: string;
  origin: string;
  progress?: (data: unknown) => void;
  signal?: AbortSignal;
}

export type SpanStatus = ResponseOf<'GET_SPAN_STATUS'>;
export type LoopbackMode = 'off' | 'local' | 'line' | 'payload';

export interface FullConfig extends ConfigChange {
  version: number;
  state: string;
  pending: string[];
}

export interface FirmwareProgress {
  sent: number;
  size: number;
  /** Where this upload started: above 0 when it resumed an interrupted one. */
  resumedFrom: number;
}

export class ApplianceOperations {
  private pending: PendingConfirmation | undefined;

  /** A change applied with a confirm window, while it waits. */
  get pendingConfirmation(): PendingConfirmation | undefined {
    return this.pending?.pending ? this.pending : undefined;
  }

  constructor(
    readonly client: ApplianceClient,
    private readonly audit?: AuditLog,
  ) {}

  /** Runs a change and writes its audit entry, with the result, whatever happens. */
  private async audited<T>(caller: Caller, action: string, details: Record<string, unknown>, run: () => Promise<T>, describe?: (r: T) => Record<string, unknown>): Promise<T> {
    const base: Omit<AuditRecord, 'result'> = { who: caller.who, origin: caller.origin, action, details };
    try {
      const result = await run();
      this.audit?.append({ ...base, details: { ...details, ...(describe?.(result) ?? {}) }, result: 'ok' });
      return result;
    } catch (e) {
      const refused = e instanceof CommandError && e.reason === 'board-error';
      this.audit?.append({ ...base, result: refused ? 'refused' : 'failed', reason: (e as Error).message });
      throw e;
    }
  }

  // ------------------------------------------------------------------ reading

  async configShow(): Promise<FullConfig> {
    const hello = this.client.hello;
    const shape: ConfigChange = { maskTone: '#', trigger: '*' };
    if (hello.spans > 0) shape.spans = Array.from({ length: hello.spans }, (_, i) => ({ span: i + 1 }) as NonNullable<ConfigChange['spans']>[number]);
    if (hello.caps.includes('sip')) shape.sip = {} as NonNullable<ConfigChange['sip']>;
    const running = await readConfig(this.client, shape, 'running');
    const status = await this.client.cfgStatus();
    return { ...running, version: status.version, state: status.cfg, pending: status.pending };
  }

  /** What applying `change` would alter: the settings whose running value differs. */
  async configDiff(change: ConfigChange): Promise<Array<{ setting: string; running: unknown; wanted: unknown }>> {
    const running = await readConfig(this.client, change, 'running');
    const out: Array<{ setting: string; running: unknown; wanted: unknown }> = [];
    if (change.maskTone !== undefined && change.maskTone !== running.maskTone) out.push({ setting: 'maskTone', running: running.maskTone, wanted: change.maskTone });
    if (change.trigger !== undefined && change.trigger !== running.trigger) out.push({ setting: 'trigger', running: running.trigger, wanted: change.trigger });
    for (const s of change.spans ?? []) {
      const r = running.spans?.find((x) => x.span === s.span);
      if (differences({ spans: [s] }, { spans: r ? [r] : [] }).length) out.push({ setting: `spans.${s.span}`, running: r, wanted: s });
    }
    if (change.sip && differences({ sip: change.sip }, { sip: running.sip }).length) out.push({ setting: 'sip', running: running.sip, wanted: change.sip });
    return out;
  }

  async spans(): Promise<SpanStatus[]> {
    const n = this.client.hello.spans;
    const out: SpanStatus[] = [];
    for (let span = 1; span <= n; span++) out.push(await this.client.getSpanStatus(span));
    return out;
  }

  async secureStatus(channels: number[] | 'all'): Promise<Array<{ ch: number; state: boolean; since_s: number }>> {
    if (channels === 'all') {
      const summary = await this.client.getSecureSummary();
      return Promise.all(summary.on.map(async (ch) => this.client.getSecure(ch)));
    }
    const out = [];
    for (const ch of channels) out.push(await this.client.getSecure(this.checkChannel(ch)));
    return out;
  }

  async firmwareInfo(): Promise<{ slots: ResponseOf<'FW_SLOTS'>; transfer: ResponseOf<'FW_STATUS'> }> {
    return { slots: await this.client.fwSlots(), transfer: await this.client.fwStatus() };
  }

  // ------------------------------------------------------------------ changing

  async configApply(change: ConfigChange, caller: Caller, confirmS?: number): Promise<TransactionResult & { confirmBy?: string }> {
    if (this.pending?.pending) {
      throw new DgError('DG1307', `a change (version ${this.pending.result.version}) is waiting for 'dtmfguard config confirm'; confirm it or let it roll back first`);
    }
    return this.audited(caller, 'config.apply', { change: summarize(change), confirmS }, async () => {
      if (confirmS === undefined) return applyConfig(this.client, change);
      const pending = await applyConfigConfirmed(this.client, change, Math.round(confirmS * 1000));
      this.pending = pending;
      void pending.outcome.then((outcome) => {
        if (outcome !== 'confirmed') {
          this.audit?.append({ who: 'dtmfguard', origin: 'confirm-timer', action: 'config.rollback', details: { version: pending.result.version, outcome }, result: outcome === 'rolled-back' ? 'ok' : 'failed', reason: pending.error?.message });
        }
      });
      return { ...pending.result, confirmBy: new Date(Date.now() + confirmS * 1000).toISOString() };
    }, (r) => ({ version: r.version, changed: r.changed }));
  }

  async configConfirm(caller: Caller): Promise<{ version: number }> {
    const pending = this.pending;
    if (!pending) throw new DgError('DG1308', 'no configuration change is waiting for confirmation');
    return this.audited(caller, 'config.confirm', { version: pending.result.version }, async () => {
      if (!pending.confirm()) {
        throw new DgError('DG1304', `too late: version ${pending.result.version} was not confirmed in time and ${pending.error ? 'was rolled back' : 'is being rolled back'}`, EXIT.checkFailed);
      }
      return { version: pending.result.version };
    });
  }

  setMaskTone(tone: '#' | '0' | '1', caller: Caller): Promise<TransactionResult> {
    return this.configApply({ maskTone: tone }, caller);
  }

  setTrigger(code: string, caller: Caller): Promise<TransactionResult> {
    if (!/^[0-9*#]{1,8}$/.test(code)) throw new DgError('DG4203', `bad trigger code '${code.replace(/[^0-9*#]/g, '?')}': use 1 to 8 of 0-9 * #`);
    return this.configApply({ trigger: code }, caller);
  }

  private checkChannel(ch: number): number {
    const max = this.client.hello.channels;
    if (!Number.isInteger(ch) || ch < 1 || ch > max) throw new DgError('DG4204', `no channel ${ch}: this appliance has channels 1 to ${max}`);
    return ch;
  }

  async setSecure(channels: number[] | 'all', on: boolean, caller: Caller): Promise<Array<{ ch: number; state: boolean }>> {
    const list = channels === 'all' ? Array.from({ length: this.client.hello.channels }, (_, i) => i + 1) : channels.map((c) => this.checkChannel(c));
    return this.audited(caller, 'secure.set', { channels: channels === 'all' ? 'all' : list, on }, async () => {
      const out = [];
      for (const ch of list) out.push(await this.client.setSecure(ch, on));
      return out;
    }, (r) => ({ changed: r.length }));
  }

  private checkSpan(span: number): number {
    const max = this.client.hello.spans;
    if (max === 0) throw new DgError('DG4205', 'this appliance has no E1/T1 spans (a SIP edge model)');
    if (!Number.isInteger(span) || span < 1 || span > max) throw new DgError('DG4205', `no span ${span}: this appliance has spans 1 to ${max}`);
    return span;
  }

  async resetCounters(spans: number[] | 'all', caller: Caller): Promise<number[]> {
    const list = spans === 'all' ? Array.from({ length: this.client.hello.spans }, (_, i) => i + 1) : spans.map((s) => this.checkSpan(s));
    return this.audited(caller, 'counters.reset', { spans: list }, async () => {
      for (const span of list) await this.client.resetCounters(span);
      return list;
    });
  }

  async setLoopback(span: number, mode: LoopbackMode, caller: Caller): Promise<{ span: number; mode: string }> {
    this.checkSpan(span);
    return this.audited(caller, 'loopback.set', { span, mode }, () => this.client.setLoopback(span, mode));
  }

  /**
   * Uploads a signed image to the slot that is not running, in chunks with their own CRC-32,
   * resuming where an interrupted upload of the same image stopped (protocol §13).
   */
  async firmwareUpload(image: Uint8Array, caller: Caller): Promise<{ slot: 'A' | 'B'; version: string; resumedFrom: number; bytes: number }> {
    const sha256 = createHash('sha256').update(image).digest('hex');
    return this.audited(caller, 'firmware.upload', { size: image.length, sha256 }, async () => {
      const slots = await this.client.fwSlots();
      // Always the slot that is not running: the running image stays bootable (protocol §13).
      const slot = slots.active === 'A' ? 'B' : 'A';
      const begin = await this.client.fwBegin({ slot, size: image.length, sha256 });
      const resumedFrom = begin.next_offset;
      let offset = begin.next_offset;
      while (offset < image.length) {
        if (caller.signal?.aborted) throw new DgError('DG1501', `upload interrupted at ${offset} of ${image.length} bytes; run the same upload again to resume`);
        const chunk = new Uint8Array(image.subarray(offset, Math.min(image.length, offset + begin.chunk_max)));
        const answer = await this.client.fwChunk({ slot, offset, crc: crcHex(chunk), data: chunk });
        offset = answer.next_offset;
        caller.progress?.({ sent: offset, size: image.length, resumedFrom } satisfies FirmwareProgress);
      }
      const end = await this.client.fwEnd(slot);
      return { slot, version: end.version, resumedFrom, bytes: image.length };
    }, (r) => ({ slot: r.slot, version: r.version, resumedFrom: r.resumedFrom }));
  }

  async firmwareActivate(slot: 'A' | 'B', caller: Caller): Promise<{ slot: string }> {
    return this.audited(caller, 'firmware.activate', { slot }, () => this.client.fwActivate(slot));
  }
}

/** The audit entry of a config change names the settings and values (no digits: a trigger code is a setting, not a keyed digit). */
function summarize(change: ConfigChange): Record<string, unknown> {
  return JSON.parse(JSON.stringify(change)) as Record<string, unknown>;
}
