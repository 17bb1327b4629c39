/**
 * Watches the agent leg for the trigger code (docs/protocol.md §11 `GET_TRIGGER`): the digits the
 * agent keys to start secure mode. Fed the digits the Q.24 detector reports on the agent leg, in
 * order; a gap longer than `maxGapMs` between two digits starts the match over, so a code keyed in
 * pieces minutes apart does not count.
 *
 * It also answers "could this digit be part of the trigger?" for the digit the detector is still
 * following: the channel masks such a digit on the agent leg before it is confirmed, since the
 * trigger digits must not reach the recorder either (see channel.ts).
 */
import type { DtmfKey } from '../../src/dsp/dtmf-keys.ts';

/** Longest pause between two digits of the code; agents key a 2-3 digit code in about a second. */
export const DEFAULT_TRIGGER_GAP_MS = 3000;

export class TriggerWatch {
  private code: string;
  /** How many digits of the code have been matched so far. */
  private matched = 0;
  private lastDigitMs = -Infinity;

  constructor(
    code: string,
    private readonly maxGapMs = DEFAULT_TRIGGER_GAP_MS,
  ) {
    this.code = code;
  }

  setCode(code: string): void {
    if (code !== this.code) {
      this.code = code;
      this.matched = 0;
    }
  }

  /** True while part of the code has been keyed and the rest may still follow. */
  inProgress(nowMs: number): boolean {
    this.expire(nowMs);
    return this.matched > 0;
  }

  /** Whether `key`, keyed now, would continue or start the code. */
  couldContinue(key: DtmfKey, nowMs: number): boolean {
    if (this.code.length === 0) return false;
    this.expire(nowMs);
    return key === this.code[this.matched] || key === this.code[0];
  }

  /** A confirmed agent digit; true when it completes the code. */
  onDigit(key: DtmfKey, nowMs: number): boolean {
    this.expire(nowMs);
    this.lastDigitMs = nowMs;
    if (this.code.length === 0) return false;
    if (key === this.code[this.matched]) {
      this.matched++;
    } else {
      // Longest suffix of what was keyed that is again a prefix of the code (KMP-style restart),
      // so "**7" still triggers "*7".
      const keyed = this.code.slice(0, this.matched) + key;
      let k = Math.min(keyed.length - 1, this.code.length - 1);
      while (k > 0 && !this.code.startsWith(keyed.slice(keyed.length - k))) k--;
      this.matched = k;
    }
    if (this.matched === this.code.length) {
      this.matched = 0;
      return true;
    }
    return false;
  }

  private expire(nowMs: number): void {
    if (this.matched > 0 && nowMs - this.lastDigitMs > this.maxGapMs) this.matched = 0;
  }
}
