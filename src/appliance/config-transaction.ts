import { DgError, EXIT, type ExitCode } from '../errors.ts';
import type { RequestOf, ResponseOf } from '../protocol/commands.ts';
import type { ApplianceClient } from './client.ts';
import { CommandError } from './driver-errors.ts';
import type { TimerHandle } from './clock.ts';

/**
 * Configuration applied as a transaction (docs/protocol.md §10): stage every SET_*, read the
 * staged copy back, CFG_COMMIT (the board switches the whole staged copy at once), read the
 * running copy back. Any failure before the commit rolls the staged copy back (running never
 * changed); a failure after it re-stages and commits the values read before we started.
 *
 * The optional confirm window works like `commit confirmed` on routers: if nobody confirms
 * within N ms (the installer lost access through the new settings), the old values come back.
 */

export type SpanSettings = Omit<RequestOf<'SET_SPAN_CONFIG'>, never>;
export type SipSettings = RequestOf<'SET_SIP'>;

/** A set of absolute settings ("set X to Y"); what is absent is left alone. */
export interface ConfigChange {
  maskTone?: RequestOf<'SET_MASK_TONE'>['tone'];
  trigger?: string;
  spans?: SpanSettings[];
  sip?: SipSettings;
}

export const TX_CODES = {
  /** A read-back did not show the value written; everything was rolled back. */
  mismatch: 'DG1301',
  /** A command of the transaction failed; everything was rolled back. */
  failed: 'DG1302',
  /** The rollback itself failed: the message says what the board may hold. */
  rollbackFailed: 'DG1303',
  /** The change was not confirmed in time and was rolled back. */
  notConfirmed: 'DG1304',
} as const;

export type TxStage = 'prepare' | 'stage' | 'verify-staged' | 'commit' | 'verify-running' | 'confirm';

export class TransactionError extends DgError {
  readonly stage: TxStage;
  readonly rolledBack: boolean;
  override readonly cause: unknown;

  constructor(code: string, stage: TxStage, message: string, rolledBack: boolean, cause?: unknown, exitCode?: ExitCode) {
    super(code, message, exitCode ?? (cause instanceof CommandError && cause.exitCode === EXIT.unreachable ? EXIT.unreachable : EXIT.checkFailed));
    this.name = 'TransactionError';
    this.stage = stage;
    this.rolledBack = rolledBack;
    this.cause = cause;
  }
}

export interface TransactionResult {
  /** Configuration version after the commit (CFG_COMMIT). */
  version: number;
  /** What the board reported as changed. */
  changed: string[];
  /** The values in force before, for the audit log and for a manual revert. */
  before: ConfigChange;
  after: ConfigChange;
  /** Settings a previous, interrupted transaction had left staged and that were discarded first. */
  discardedLeftover: string[];
}

type View = 'running' | 'staged';

/** Reads the settings `shape` names, from the running or staged copy. */
export async function readConfig(client: ApplianceClient, shape: ConfigChange, view: View): Promise<ConfigChange> {
  const out: ConfigChange = {};
  if (shape.maskTone !== undefined) out.maskTone = (await client.getMaskTone(view)).tone;
  if (shape.trigger !== undefined) out.trigger = (await client.getTrigger(view)).code;
  if (shape.spans) {
    out.spans = [];
    for (const s of shape.spans) out.spans.push(spanSettings(await client.getSpanConfig(s.span, view)));
  }
  if (shape.sip) out.sip = sipSettings(await client.getSip(view));
  return out;
}

function spanSettings(r: ResponseOf<'GET_SPAN_CONFIG'>): SpanSettings {
  return { span: r.span, framing: r.framing, line_code: r.line_code, lbo: r.lbo, clock: r.clock };
}

function sipSettings(r: ResponseOf<'GET_SIP'>): SipSettings {
  return { listen: r.listen, forward: r.forward, pt_pcmu: r.pt_pcmu, pt_pcma: r.pt_pcma, pt_event: r.pt_event };
}

/** Names of settings in `want` that `got` does not hold (order-insensitive for spans). */
export function differences(want: ConfigChange, got: ConfigChange): string[] {
  const diff: string[] = [];
  if (want.maskTone !== undefined && want.maskTone !== got.maskTone) diff.push('mask tone');
  if (want.trigger !== undefined && want.trigger !== got.trigger) diff.push('trigger');
  for (const s of want.spans ?? []) {
    const g = got.spans?.find((x) => x.span === s.span);
    if (!g || (['framing', 'line_code', 'lbo', 'clock'] as const).some((k) => g[k] !== s[k])) diff.push(`span ${s.span}`);
  }
  if (want.sip && (!got.sip || (['listen', 'forward', 'pt_pcmu', 'pt_pcma', 'pt_event'] as const).some((k) => got.sip![k] !== want.sip![k]))) diff.push('sip');
  return diff;
}

async function stage(client: ApplianceClient, change: ConfigChange): Promise<string[]> {
  // Each SET_* answers with the staged value: compare it at once (the "read back in the same
  // exchange" of §4) and again below with GET_* view=staged.
  const answered: ConfigChange = {};
  if (change.maskTone !== undefined) answered.maskTone = (await client.setMaskTone(change.maskTone)).tone;
  if (change.trigger !== undefined) answered.trigger = (await client.setTrigger(change.trigger)).code;
  if (change.spans) {
    answered.spans = [];
    for (const s of change.spans) answered.spans.push(spanSettings(await client.setSpanConfig(s)));
  }
  if (change.sip) answered.sip = sipSettings(await client.setSip(change.sip));
  return differences(change, answered);
}

function isEmpty(change: ConfigChange): boolean {
  return change.maskTone === undefined && change.trigger === undefined && !change.spans?.length && !change.sip;
}

/** Applies `change` as one transaction; resolves only when the running copy shows it. */
export async function applyConfig(client: ApplianceClient, change: ConfigChange): Promise<TransactionResult> {
  if (isEmpty(change)) throw new DgError('DG1305', 'nothing to change: give at least one setting', EXIT.usage);
  let step: TxStage = 'prepare';
  let committed = false;
  let before: ConfigChange = {};
  const discardedLeftover: string[] = [];
  try {
    const status = await client.cfgStatus();
    if (status.cfg === 'staged') {
      // §10: a host that went away mid-transaction left its staged copy; we own the board now.
      discardedLeftover.push(...(await client.cfgRollback()).discarded);
    }
    before = await readConfig(client, change, 'running');
    step = 'stage';
    const answered = await stage(client, change);
    if (answered.length) throw mismatch('stage', answered);
    step = 'verify-staged';
    const staged = differences(change, await readConfig(client, change, 'staged'));
    if (staged.length) throw mismatch('verify-staged', staged);
    step = 'commit';
    const commit = await client.cfgCommit();
    committed = true;
    step = 'verify-running';
    const running = differences(change, await readConfig(client, change, 'running'));
    if (running.length) throw mismatch('verify-running', running);
    return { version: commit.version, changed: commit.changed, before, after: change, discardedLeftover };
  } catch (e) {
    if (step === 'prepare') throw wrapFailure(step, e, false, 'nothing was changed');
    // CFG_COMMIT is idempotent and retried by the driver; if it still failed, whether the board
    // committed is unknown: look at the running copy rather than guess.
    if (step === 'commit' && !committed) committed = await runningShows(client, change);
    const undo = committed ? revert(client, before) : client.cfgRollback().then(() => undefined);
    try {
      await undo;
    } catch (re) {
      throw new TransactionError(
        TX_CODES.rollbackFailed,
        step,
        `${describe(step, e)}; rolling back failed too (${(re as Error).message}): ${committed ? 'the board may run the new settings' : 'the running settings are unchanged, the staged copy may hold part of the change'}; reconnect and run the change again or roll back`,
        false,
        e,
      );
    }
    throw wrapFailure(step, e, true, committed ? 'the previous settings were restored' : 'the staged change was discarded, the running settings never changed');
  }
}

async function runningShows(client: ApplianceClient, change: ConfigChange): Promise<boolean> {
  try {
    return differences(change, await readConfig(client, change, 'running')).length === 0;
  } catch {
    return false; // cannot tell; rolling back staged is harmless either way
  }
}

/** Stages the old values and commits them (undoing a commit). */
async function revert(client: ApplianceClient, before: ConfigChange): Promise<void> {
  await client.cfgRollback();
  const left = await stage(client, before);
  if (left.length) throw new Error(`the board did not take back ${left.join(', ')}`);
  await client.cfgCommit();
  const running = differences(before, await readConfig(client, before, 'running'));
  if (running.length) throw new Error(`after the revert the board still shows new ${running.join(', ')}`);
}

class Mismatch extends Error {
  constructor(readonly stage: TxStage, readonly settings: string[]) {
    super(`read-back after ${stage} does not show the new ${settings.join(', ')}`);
  }
}

function mismatch(s: TxStage, settings: string[]): Mismatch {
  return new Mismatch(s, settings);
}

function describe(step: TxStage, e: unknown): string {
  return e instanceof Mismatch ? e.message : `${step} failed: ${(e as Error).message}`;
}

function wrapFailure(step: TxStage, e: unknown, rolledBack: boolean, outcome: string): TransactionError {
  const code = e instanceof Mismatch ? TX_CODES.mismatch : TX_CODES.failed;
  return new TransactionError(code, step, `configuration not applied: ${describe(step, e)}; ${outcome}`, rolledBack, e);
}

export type ConfirmOutcome = 'confirmed' | 'rolled-back' | 'rollback-failed';

/**
 * A committed change waiting for confirmation. Not confirmed within the window, it reverts by
 * itself to the values in force before (and `outcome` says so); the NOC sees DG1304 in `error`.
 */
export class PendingConfirmation {
  readonly result: TransactionResult;
  readonly deadline: number;
  readonly outcome: Promise<ConfirmOutcome>;
  error: TransactionError | undefined;
  #timer: TimerHandle | undefined;
  #settle!: (o: ConfirmOutcome) => void;
  #client: ApplianceClient;
  #done = false;

  constructor(client: ApplianceClient, result: TransactionResult, windowMs: number) {
    this.#client = client;
    this.result = result;
    const clock = client.driver.clock;
    this.deadline = clock.now() + windowMs;
    this.outcome = new Promise((resolve) => (this.#settle = resolve));
    this.#timer = clock.setTimeout(() => void this.#expire(windowMs), windowMs);
  }

  get pending(): boolean {
    return !this.#done;
  }

  /** Keeps the change. Returns false if the window had already closed. */
  confirm(): boolean {
    if (this.#done) return false;
    this.#done = true;
    if (this.#timer) this.#client.driver.clock.clearTimeout(this.#timer);
    this.#settle('confirmed');
    return true;
  }

  /** Reverts now instead of waiting for the window to close. */
  async rollback(): Promise<ConfirmOutcome> {
    if (this.#done) return this.outcome;
    if (this.#timer) this.#client.driver.clock.clearTimeout(this.#timer);
    return this.#revert(`rolled back on request`);
  }

  async #expire(windowMs: number): Promise<void> {
    if (this.#done) return;
    await this.#revert(`not confirmed within ${Math.round(windowMs / 1000)} s`);
  }

  async #revert(why: string): Promise<ConfirmOutcome> {
    this.#done = true;
    try {
      await revert(this.#client, this.result.before);
      this.error = new TransactionError(TX_CODES.notConfirmed, 'confirm', `configuration version ${this.result.version} ${why}: the previous settings were restored`, true);
      this.#settle('rolled-back');
      return 'rolled-back';
    } catch (e) {
      this.error = new TransactionError(
        TX_CODES.rollbackFailed,
        'confirm',
        `configuration version ${this.result.version} ${why}, but restoring the previous settings failed (${(e as Error).message}): the board may still run the new settings`,
        false,
        e,
      );
      this.#settle('rollback-failed');
      return 'rollback-failed';
    }
  }
}

/** applyConfig, then a confirmation window of `windowMs` (clock of the client's driver). */
export async function applyConfigConfirmed(client: ApplianceClient, change: ConfigChange, windowMs: number): Promise<PendingConfirmation> {
  if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs > 3_600_000) {
    throw new DgError('DG1306', `confirm window ${windowMs} ms out of range: use 1 s to 1 h`, EXIT.usage);
  }
  const result = await applyConfig(client, change);
  return new PendingConfirmation(client, result, windowMs);
}
