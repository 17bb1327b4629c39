/**
 * One channel of the board's data plane: a call's two legs as G.711 codewords in, the same number
 * of codewords out on each leg, delayed by the lookahead.
 *
 *   caller leg ──► G711Masker (secure: board's secure mode) ──────────────► toward agent, recorder
 *   agent leg ──┬► G711Masker (secure: secure mode, or trigger being keyed) ► toward caller, recorder
 *               └► DtmfDetector (Q.24, undelayed) ──► TriggerWatch ──► secure mode on (source=trigger)
 *
 * Caller leg: in secure mode every DTMF tone the caller keys leaves as the mask tone (the masker's
 * lookahead, src/dsp/masker.ts); outside it the codewords pass unchanged, after the same delay, so
 * switching never shifts the audio.
 *
 * Agent leg: the agent keys the trigger code to start secure mode, and those digits must not reach
 * the recorder either, yet a digit is only known to be part of the code once the detector has
 * followed it for a while. The agent leg therefore runs a masker of its own, and its secure switch
 * is on (a) in secure mode (fail closed: no DTMF on either leg reaches the recorder then), and (b)
 * from the moment the detector starts following a digit that could begin or continue the code
 * (`DtmfDetector.pending()`, one 10 ms block into the tone, at most 20 ms after its start) until
 * the code is complete or broken, plus the lookahead and 30 ms so the tail of the last tone is
 * masked too. The lookahead (40 ms) exceeds that 20 ms, so the switch is on before the tone's
 * first codeword leaves, and the masker's own analysis then decides exactly what to mask. A digit
 * that cannot be part of the code passes unmasked outside secure mode; the first digit of a
 * code that turns out not to be the trigger is masked (fail closed).
 *
 * Audio is handled in steps of STEP_SAMPLES aligned to the stream, whatever the caller's chunk
 * sizes, so the detector has seen each step before the maskers decide its output: the result does
 * not depend on how the stream is chunked.
 */
import type { MaskTone } from '../../src/dsp/dtmf-keys.ts';
import { DtmfDetector } from '../../src/dsp/detector.ts';
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE, type G711Codec } from '../../src/dsp/g711.ts';
import { DEFAULT_LOOKAHEAD_MS, G711Masker, type MaskWindow } from '../../src/dsp/masker.ts';
import { DgError } from '../../src/errors.ts';
import { DEFAULT_TRIGGER_GAP_MS, TriggerWatch } from './trigger-watch.ts';

export type Leg = 'caller' | 'agent';

const SAMPLE_RATE = 8000;
const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
/** 5 ms: half a detector block, so a digit the detector starts following is acted on within 5 ms. */
const STEP_SAMPLES = 40;
/** Kept on after the last trigger digit beyond the lookahead: the masker's padding block and a margin. */
const AGENT_HOLD_SAMPLES = 30 * SAMPLES_PER_MS;

/** A stretch of one leg's output replaced by the mask tone, in the channel's stream time. Never a digit. */
export interface ChannelMask {
  leg: Leg;
  /** Where the masked audio starts in the channel's output stream, ms from the channel's first sample. */
  startMs: number;
  durMs: number;
}

export interface ChannelHooks {
  /** The agent keyed the trigger code. */
  onTrigger?(): void;
  /** A mask window ended on a leg. */
  onMasked?(m: ChannelMask): void;
  /** The detector confirmed a digit on the agent leg (activity, for the idle timeout). Never the digit. */
  onAgentDigit?(): void;
}

export interface ChannelOptions {
  codec: G711Codec;
  maskTone: MaskTone;
  /** Default 40 ms (the design brief's delay line). */
  lookaheadMs?: number;
  /** The agent's trigger code; empty: none. */
  triggerCode?: string;
  triggerGapMs?: number;
}

export class Channel {
  readonly codec: G711Codec;
  readonly lookaheadMs: number;
  private maskTone: MaskTone;
  private callerMasker: G711Masker;
  private agentMasker: G711Masker;
  /** Output index at which the current maskers started (they are rebuilt when the mask tone changes). */
  private maskerOrigin = 0;
  private readonly detector = new DtmfDetector();
  private readonly trigger: TriggerWatch;
  private readonly decode: Int16Array;
  private readonly lin = new Int16Array(STEP_SAMPLES);
  private secureOn = false;
  private pos = 0;
  private agentHoldUntil = 0;

  constructor(
    readonly number: number,
    opts: ChannelOptions,
    private readonly hooks: ChannelHooks = {},
  ) {
    if (opts.codec !== 'alaw' && opts.codec !== 'ulaw') throw new DgError('DG5801', `channel codec must be alaw or ulaw, not ${String(opts.codec)}`);
    this.codec = opts.codec;
    this.lookaheadMs = opts.lookaheadMs ?? DEFAULT_LOOKAHEAD_MS;
    this.maskTone = opts.maskTone;
    this.decode = opts.codec === 'alaw' ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE;
    this.trigger = new TriggerWatch(opts.triggerCode ?? '', opts.triggerGapMs ?? DEFAULT_TRIGGER_GAP_MS);
    this.callerMasker = this.newMasker();
    this.agentMasker = this.newMasker();
  }

  private newMasker(): G711Masker {
    return new G711Masker(this.codec, { maskTone: this.maskTone, lookaheadMs: this.lookaheadMs, secure: this.secureOn });
  }

  /** Samples each leg is delayed by. */
  get delaySamples(): number {
    return this.callerMasker.delaySamples;
  }

  /** Milliseconds of audio processed so far (the channel's stream time). */
  get positionMs(): number {
    return this.pos / SAMPLES_PER_MS;
  }

  get secure(): boolean {
    return this.secureOn;
  }

  /** Secure mode on or off, from the next codeword that leaves (the delay does not change). */
  set secure(on: boolean) {
    this.secureOn = on;
    this.callerMasker.secure = on;
    if (on) this.agentMasker.secure = true;
  }

  setTriggerCode(code: string): void {
    this.trigger.setCode(code);
  }

  /**
   * A new mask tone. The maskers are rebuilt, so the audio still in the delay line is dropped (one
   * lookahead of silence): a configuration commit, not something done mid-payment.
   */
  setMaskTone(tone: MaskTone): void {
    if (tone === this.maskTone) return;
    this.finishWindows();
    this.maskTone = tone;
    // The replaced maskers' kernel memory is freed now: a board that is reconfigured often must not
    // hold every old channel state until the collector happens to run.
    this.callerMasker.dispose();
    this.agentMasker.dispose();
    this.callerMasker = this.newMasker();
    this.agentMasker = this.newMasker();
    this.maskerOrigin = this.pos;
  }

  /** Frees both maskers' kernel memory (the board rebooted or shut down); unusable afterwards. */
  dispose(): void {
    this.callerMasker.dispose();
    this.agentMasker.dispose();
  }

  /**
   * Both legs, the same number of codewords each; returns the masked legs (written into the given
   * output arrays when passed), each output codeword being the input of `delaySamples` earlier.
   */
  process(
    callerIn: Uint8Array,
    agentIn: Uint8Array,
    callerOut: Uint8Array = new Uint8Array(callerIn.length),
    agentOut: Uint8Array = new Uint8Array(agentIn.length),
  ): { caller: Uint8Array; agent: Uint8Array } {
    const n = callerIn.length;
    if (agentIn.length !== n) throw new RangeError(`caller and agent legs differ in length (${n} and ${agentIn.length})`);
    if (callerOut.length < n || agentOut.length < n) throw new RangeError('output buffer shorter than input');
    let i = 0;
    while (i < n) {
      const m = Math.min(n - i, STEP_SAMPLES - (this.pos % STEP_SAMPLES));
      this.step(callerIn.subarray(i, i + m), agentIn.subarray(i, i + m), callerOut.subarray(i, i + m), agentOut.subarray(i, i + m));
      i += m;
    }
    return { caller: callerOut.subarray(0, n), agent: agentOut.subarray(0, n) };
  }

  /** End of the call: the last `delaySamples` codewords of each leg; open mask windows are reported. */
  flush(): { caller: Uint8Array; agent: Uint8Array } {
    const caller = this.callerMasker.flush();
    const agent = this.agentMasker.flush();
    this.report('caller', this.callerMasker.drainWindows());
    this.report('agent', this.agentMasker.drainWindows());
    return { caller, agent };
  }

  private step(caller: Uint8Array, agent: Uint8Array, callerOut: Uint8Array, agentOut: Uint8Array): void {
    const m = caller.length;
    const lin = this.lin.subarray(0, m);
    for (let k = 0; k < m; k++) lin[k] = this.decode[agent[k]];
    const end = this.pos + m;
    const nowMs = end / SAMPLES_PER_MS;
    for (const d of this.detector.process(lin)) {
      this.hooks.onAgentDigit?.();
      if (this.trigger.onDigit(d.digit, d.endMs)) this.hooks.onTrigger?.();
    }
    const p = this.detector.pending();
    if (this.trigger.inProgress(nowMs) || (p !== null && this.trigger.couldContinue(p.digit, nowMs))) {
      this.agentHoldUntil = end + this.delaySamples + AGENT_HOLD_SAMPLES;
    }
    this.agentMasker.secure = this.secureOn || this.pos < this.agentHoldUntil;
    this.callerMasker.process(caller, callerOut);
    this.agentMasker.process(agent, agentOut);
    this.pos = end;
    this.report('caller', this.callerMasker.drainWindows());
    this.report('agent', this.agentMasker.drainWindows());
  }

  private finishWindows(): void {
    // Switching secure off closes an open window at the next sample; a zero-length process does not
    // reach the masker, so report what has closed and let the rest go with the old masker.
    this.report('caller', this.callerMasker.drainWindows());
    this.report('agent', this.agentMasker.drainWindows());
  }

  private report(leg: Leg, windows: MaskWindow[]): void {
    if (!this.hooks.onMasked) return;
    for (const w of windows) {
      this.hooks.onMasked({ leg, startMs: (this.maskerOrigin + w.startSample) / SAMPLES_PER_MS, durMs: (w.endSample - w.startSample) / SAMPLES_PER_MS });
    }
  }
}
