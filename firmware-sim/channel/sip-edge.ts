/**
 * The SIP edge under the board's control (docs/protocol.md §12.1): on a SIP edge model the
 * board's data plane is the RTP relay (firmware-sim/relay/), run with the board's settings.
 *
 * - Where: listen and forward from the running SIP settings (`GET_SIP`); the relay restarts there
 *   when a commit changes `sip` or `mask_tone`, and after a reboot.
 * - Secure mode: RTP streams are given channels in the order their first packet arrives (the
 *   lowest free channel number, from 1), and stream N is masked while the board's channel N is in
 *   secure mode (`SET_SECURE ch=N`, the idle timeout). A stream unseen for `streamIdleMs` frees its
 *   channel. With every channel taken, a new stream is masked (fail closed) and logged.
 * - Reports: masked digits of stream N become `EVT MASKED ch=N` (a digit sent both in-band and as
 *   RFC 4733 events is one digit, reported once) and count as activity for the idle timeout.
 *
 * The trigger code needs the agent leg, which this relay does not carry (it relays the caller's
 * stream toward the agent): on the SIP edge secure mode starts by host command only.
 */
import type { Board, BoardEvent } from '../board/board.ts';
import { formatUdpAddress, type UdpAddress } from '../relay/address.ts';
import { RtpRelay, type RelayMaskedEvent } from '../relay/rtp-relay.ts';
import { isDgError } from '../../src/errors.ts';

export interface SipEdgeOptions {
  /** A copy of what is forwarded (a recorder, the verifier). */
  mirror?: string;
  /** Default 40 ms, the board's lookahead. */
  lookaheadMs?: number;
  /** A stream unseen this long gives its channel back. Default 60 s, the relay's own stream timeout. */
  streamIdleMs?: number;
  log?: (msg: string) => void;
}

/**
 * Two windows closer than this (ms of stream time) are the same digit: its in-band audio and its
 * RFC 4733 events, or one tone split by a late packet (fed to the masker as silence). Q.24 gaps
 * between digits are at least 40 ms, and the masker's windows are 10-20 ms longer than the tones.
 */
const SAME_DIGIT_MS = 20;
/** A digit is reported once no window has extended it for this long (wall time). */
const REPORT_AFTER_MS = 150;

interface StreamChannel {
  ch: number;
  lastSeen: number;
  /** The digit being gathered from the relay's windows, stream ms. */
  pending: { start: number; end: number } | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class SipEdge {
  private relay: RtpRelay | undefined;
  private readonly streams = new Map<number, StreamChannel>();
  private readonly taken = new Set<number>();
  private restarting: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly onEvent = (e: BoardEvent) => this.onBoardEvent(e);
  /** Streams that found every channel taken (masked, fail closed). */
  overflow = 0;

  constructor(
    private readonly board: Board,
    private readonly opts: SipEdgeOptions = {},
  ) {
    board.on('event', this.onEvent);
  }

  /** The relay's bound address, or undefined when it could not bind (logged; retried at the next commit). */
  address(): UdpAddress | undefined {
    return this.relay?.address();
  }

  /** The channel stream `ssrc` was given, if any. */
  channelOf(ssrc: number): number | undefined {
    return this.streams.get(ssrc)?.ch;
  }

  async start(): Promise<UdpAddress | undefined> {
    this.stopped = false;
    const sip = this.board.sip('running');
    const relay = new RtpRelay({
      listen: sip.listen,
      forward: sip.forward,
      mirror: this.opts.mirror,
      maskTone: this.board.maskTone,
      lookaheadMs: this.opts.lookaheadMs ?? 40,
      secureOf: (ssrc) => this.secureOf(ssrc),
    });
    relay.on('masked', (ev) => this.onMasked(ev));
    relay.on('error', (err) => this.opts.log?.(`SIP edge relay socket error (${err.message}); continuing`));
    try {
      const bound = await relay.start();
      this.relay = relay;
      this.opts.log?.(`SIP edge relay listening on ${formatUdpAddress(bound)}, forwarding to ${sip.forward}`);
      return bound;
    } catch (e) {
      // A port in use must not take the board down: the host can move it with SET_SIP + CFG_COMMIT.
      this.opts.log?.(`SIP edge relay not started: ${isDgError(e) ? e.message : (e as Error).message}`);
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.board.off('event', this.onEvent);
    await this.restarting;
    await this.relay?.stop();
    this.relay = undefined;
    this.flushReports();
  }

  /** Waits for a restart a configuration change started (tests). */
  settled(): Promise<void> {
    return this.restarting;
  }

  private secureOf(ssrc: number): boolean {
    const now = this.board.clock.now();
    let s = this.streams.get(ssrc);
    if (!s) {
      this.forgetIdle(now);
      const ch = this.freeChannel();
      if (ch === undefined) {
        this.overflow++;
        if (this.overflow === 1) this.opts.log?.(`SIP edge: all ${this.board.profile.channels} channels taken; extra streams are masked`);
        return true;
      }
      s = { ch, lastSeen: now, pending: undefined, timer: undefined };
      this.streams.set(ssrc, s);
      this.taken.add(ch);
    }
    s.lastSeen = now;
    return this.board.secureMode(s.ch).on;
  }

  private freeChannel(): number | undefined {
    for (let ch = 1; ch <= this.board.profile.channels; ch++) if (!this.taken.has(ch)) return ch;
    return undefined;
  }

  private forgetIdle(now: number): void {
    const limit = this.opts.streamIdleMs ?? 60_000;
    for (const [ssrc, s] of this.streams) {
      if (now - s.lastSeen > limit) {
        this.report(s);
        this.streams.delete(ssrc);
        this.taken.delete(s.ch);
      }
    }
  }

  private onMasked(ev: RelayMaskedEvent): void {
    const s = this.streams.get(ev.channel);
    if (!s) return;
    const p = s.pending;
    if (p && ev.startMs < p.end + SAME_DIGIT_MS) {
      p.start = Math.min(p.start, ev.startMs);
      p.end = Math.max(p.end, ev.endMs);
    } else {
      this.report(s);
      s.pending = { start: ev.startMs, end: ev.endMs };
    }
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => this.report(s), REPORT_AFTER_MS);
    s.timer.unref();
  }

  private report(s: StreamChannel): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    const p = s.pending;
    if (!p) return;
    s.pending = undefined;
    const dur = p.end - p.start;
    // Reported once the digit is over: it started `dur` ago (plus the wait), give or take a packet.
    this.board.channels.reportMasked(s.ch, this.board.channels.nowMs() - dur - REPORT_AFTER_MS, dur, 'caller');
  }

  private flushReports(): void {
    for (const s of this.streams.values()) this.report(s);
  }

  private onBoardEvent(e: BoardEvent): void {
    const restart = e.name === 'BOOT' || (e.name === 'CFG' && (e.fields.changed.includes('sip') || e.fields.changed.includes('mask_tone')));
    if (!restart || this.stopped) return;
    this.restarting = this.restarting.then(async () => {
      if (this.stopped) return;
      await this.relay?.stop();
      this.relay = undefined;
      this.flushReports();
      this.streams.clear();
      this.taken.clear();
      await this.start();
    });
  }
}
