/**
 * The board's channels (docs/protocol.md §11-§12): one Channel per channel number, created when
 * first used, kept in step with the board:
 *
 *   host SET_SECURE / trigger / timeout ──► Board.setSecure ──► EVT SECURE ──► Channel.secure
 *   Channel (or the SIP edge relay) masks a digit ──► Board.reportMasked ──► EVT MASKED (no digit)
 *   no keyed and no masked digit for secure_idle_s ──► Board.setSecure(off, 'timeout')
 *
 * Time: `at_ms` of EVT MASKED is milliseconds since the board booted, on the board's clock. A
 * channel's stream time is laid on that clock from the moment the channel was created, which is
 * exact when the audio is paced by the board's clock (the TDM feeder advances a manual clock
 * frame by frame) and within one packet time for real-time audio.
 *
 * The idle timeout is checked by `checkIdle()`: the audio paths call it as time moves, and under
 * the system clock a 1 s timer does too while any channel is in secure mode, so a session with no
 * audio at all still ends.
 */
import type { Board, BoardEvent } from '../board/board.ts';
import { systemBoardClock } from '../board/clock.ts';
import type { G711Codec } from '../../src/dsp/g711.ts';
import { Channel, type ChannelMask, type Leg } from './channel.ts';

/** How often the system-clock timer looks for idle sessions; the timeout is whole seconds. */
const IDLE_POLL_MS = 1000;

export class BoardChannels {
  private readonly channels = new Map<number, Channel>();
  /** Board clock (ms since boot) at which each channel's stream time starts. */
  private readonly origins = new Map<number, number>();
  /** Board clock of the last secure-mode start, keyed or masked digit, per channel. */
  private readonly activity = new Map<number, number>();
  private bootAt: number;
  private timer: NodeJS.Timeout | undefined;
  /** Masked digits reported per channel since boot (a count, never a digit). */
  readonly maskedCount = new Map<number, number>();

  constructor(private readonly board: Board) {
    this.bootAt = board.clock.now();
    board.on('event', (e) => this.onBoardEvent(e));
  }

  /** The codec of the board's channels: the profile's first (E1 A-law, T1 µ-law). */
  get codec(): G711Codec {
    return this.board.profile.codecs[0] as G711Codec;
  }

  /** Board time in ms since boot. */
  nowMs(): number {
    return this.board.clock.now() - this.bootAt;
  }

  /** Channel `ch` (1-based), created on first use with the board's running mask tone and trigger. */
  get(ch: number): Channel {
    let c = this.channels.get(ch);
    if (!c) {
      this.board.secureMode(ch); // refuses a channel the board does not have
      const config = this.board.config();
      c = new Channel(
        ch,
        { codec: this.codec, maskTone: config.maskTone, triggerCode: config.triggerCode },
        {
          onTrigger: () => {
            this.touch(ch);
            this.board.setSecure(ch, true, 'trigger');
          },
          onMasked: (m) => this.onChannelMasked(ch, m),
          onAgentDigit: () => {
            if (this.board.secureMode(ch).on) this.touch(ch);
          },
        },
      );
      c.secure = this.board.secureMode(ch).on;
      this.channels.set(ch, c);
      this.origins.set(ch, this.nowMs());
    }
    return c;
  }

  /** Runs both legs of channel `ch` through its pipeline (see Channel.process), then checks the idle timeout. */
  process(ch: number, callerIn: Uint8Array, agentIn: Uint8Array, callerOut?: Uint8Array, agentOut?: Uint8Array): { caller: Uint8Array; agent: Uint8Array } {
    const r = this.get(ch).process(callerIn, agentIn, callerOut, agentOut);
    this.checkIdle();
    return r;
  }

  /**
   * A digit masked on channel `ch` by a data plane that is not a Channel (the SIP edge relay):
   * `atMs` in board time since boot. Emits EVT MASKED and counts as activity.
   */
  reportMasked(ch: number, atMs: number, durMs: number, leg: Leg = 'caller'): void {
    this.touch(ch);
    this.maskedCount.set(ch, (this.maskedCount.get(ch) ?? 0) + 1);
    this.board.reportMasked(ch, Math.max(0, Math.round(atMs)), Math.max(0, Math.round(durMs)), leg);
  }

  /** Turns secure mode off (source=timeout) on every channel idle for `secure_idle_s`; returns them. */
  checkIdle(): number[] {
    const now = this.board.clock.now();
    const limitMs = this.board.secureIdleS * 1000;
    const ended: number[] = [];
    for (const ch of this.board.secureChannels()) {
      const last = this.activity.get(ch) ?? now;
      if (!this.activity.has(ch)) this.activity.set(ch, now);
      if (now - last >= limitMs) {
        this.board.setSecure(ch, false, 'timeout');
        ended.push(ch);
      }
    }
    return ended;
  }

  /** Stops the idle timer (the board is being shut down). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private touch(ch: number): void {
    this.activity.set(ch, this.board.clock.now());
  }

  private onChannelMasked(ch: number, m: ChannelMask): void {
    this.reportMasked(ch, (this.origins.get(ch) ?? 0) + m.startMs, m.durMs, m.leg);
  }

  private onBoardEvent(e: BoardEvent): void {
    if (e.name === 'SECURE') {
      const { ch, state } = e.fields;
      if (state) this.touch(ch);
      const c = this.channels.get(ch);
      if (c) c.secure = state;
      this.armTimer();
    } else if (e.name === 'CFG') {
      const config = this.board.config();
      for (const c of this.channels.values()) {
        if (e.fields.changed.includes('mask_tone')) c.setMaskTone(config.maskTone);
        if (e.fields.changed.includes('trigger')) c.setTriggerCode(config.triggerCode);
      }
    } else if (e.name === 'BOOT') {
      // A reboot starts every call over: no channel state survives it (secure mode does not either).
      for (const c of this.channels.values()) c.dispose();
      this.channels.clear();
      this.origins.clear();
      this.activity.clear();
      this.maskedCount.clear();
      this.bootAt = this.board.clock.now();
      this.stop();
    }
  }

  private armTimer(): void {
    if (this.board.clock !== systemBoardClock) return;
    const any = this.board.secureChannels().length > 0;
    if (any && !this.timer) {
      this.timer = setInterval(() => this.checkIdle(), IDLE_POLL_MS);
      this.timer.unref();
    } else if (!any) {
      this.stop();
    }
  }
}
