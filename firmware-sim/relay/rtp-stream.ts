/**
 * One caller stream (one SSRC) through the relay: G.711 audio through the board's masker, RFC 4733
 * events rewritten, every packet sent on with its own header. Pure logic driven by the relay's
 * clock reading (times[T_NOW], relay-times.ts): the relay feeds it datagrams and timer ticks, and
 * it calls `send` for what leaves.
 *
 * Timing (the masker delays its output by the lookahead D samples):
 * - audio packet n, samples [T, T+k), is fed to the masker in timestamp order and leaves as soon
 *   as the masker has been fed through T+k+D: its masked samples are then known. In a steady
 *   stream that input arrives D after packet n itself (rounded up to whole packets when D is not a
 *   multiple of the packetisation: 40 ms over 30 ms packets waits 60 ms), so the relay adds the
 *   lookahead and no more.
 * - reordering: a packet beyond a hole waits in `pending`; the hole is filled with silence when the
 *   missing packet has not come `jitterMs` after the packet behind it (or at once when that packet
 *   has the marker bit, a new talkspurt, RFC 3551 §4.1), or when an earlier packet reaches its
 *   deadline (arrival + its hold + jitterMs).
 * - loss: the masker is fed silence for the missing samples (so detection sees a gap, not a
 *   splice) and no packet is sent for them: the agent sees the same loss the relay saw.
 * - late (its samples were already fed as silence) and duplicate (same sequence number) audio
 *   packets are dropped and counted.
 * - RFC 4733 events are held as long as audio is (so the agent gets events and masked audio of the
 *   same moment together), rewritten when they leave if secure mode is on then, and each one is
 *   forwarded: the repeated end packets are deliberate redundancy (§2.5.1.4) that receivers
 *   de-duplicate themselves, and the sipp captures repeat them with one sequence number.
 * - the samples an event covers are replaced by the mask tone in the audio too, from the event's
 *   timestamp to its end (open-ended, by `eventHangoverMs`, until the end packet comes).
 * - other RTP of the stream (comfort noise) is held like events, unchanged, and ends the
 *   talkspurt: the audio before it leaves without waiting for a lookahead that will not come.
 * - a sender that restarts its timestamps on the same SSRC (three packets far behind) is followed:
 *   what is held is sent, and the audio path restarts on the new timeline.
 * - outside secure mode each packet leaves as the very bytes that came in, after the same delay:
 *   switching secure mode on mid-call then changes no timing, only payloads.
 * - secure mode ending fails closed (see `secureAt`): audio and events the caller sent while it
 *   was on leave masked, even when they were still held for the lookahead or still queued in the
 *   socket behind a busy event loop when the command was read.
 */
import type { MaskTone } from '../../src/dsp/dtmf-keys.ts';
import { g711Silence, type G711Codec } from '../../src/dsp/g711.ts';
import { parseTelephoneEvent, TELEPHONE_EVENT_LENGTH } from '../../src/rtp/telephone-event.ts';
import { emptyArray } from '../../src/empty-array.ts';
import { RTP_HEADER_LENGTH } from '../../src/rtp/packet.ts';
import { EventWindows } from './event-windows.ts';
import { RecentSeqs } from './recent-seqs.ts';
import { HeldAudio } from './held-audio.ts';
import type { RtpHeaderFields } from './rtp-header-view.ts';
import { isDtmfEvent, rewriteEventDatagram } from './event-rewrite.ts';
import { maskToneCodes } from '../../src/dsp/mask-tone.ts';
import { type CodewordMasker, lookaheadSamples, type MaskerFactory } from './masker-port.ts';
import type { RelayCounters } from './relay-counters.ts';
import { type RelayTimes, T_NOW, T_SENT } from './relay-times.ts';

/** RFC 3551 §6 Table 4: the static payload types of G.711. */
export const PT_PCMU = 0;
export const PT_PCMA = 8;

export type MaskedSource = 'inband' | 'rfc4733';

/** A masked stretch of a stream, in ms from the stream's first packet. Never the digit value. */
export interface MaskedSpan {
  startMs: number;
  endMs: number;
  source: MaskedSource;
}

export interface StreamSettings {
  maskTone: MaskTone;
  lookaheadMs: number;
  jitterMs: number;
  eventHangoverMs: number;
  maxGapMs: number;
  createMasker: MaskerFactory;
}

/**
 * What a stream calls back. One object for all of a relay's streams, each call naming the stream's
 * SSRC: closures per stream cost some 1.1 KB of JS heap each (their context, and the `name` property
 * tsx's transform defines on every function), which the young-generation collector copies and then
 * promotes when a thousand calls start at once (docs/benchmarks.md, RTP relay).
 */
export interface StreamHooks {
  isSecure(ssrc: number): boolean;
  /**
   * A datagram leaves; the time it arrived is in the stream's times[T_SENT] (relay-times.ts).
   * Audio is a view into the stream's reused storage (held-audio.ts), valid during the call only:
   * a sender that keeps the bytes longer must copy them.
   */
  send(datagram: Uint8Array): void;
  masked(ssrc: number, span: MaskedSpan): void;
}

interface HeldEvent {
  /** Stream sample index of the event's timestamp. */
  idx: number;
  datagram: Uint8Array;
  payloadOffset: number;
  payloadLength: number;
  /** A telephone-event (rewritten in secure mode), or other RTP of the stream (never changed). */
  telephoneEvent: boolean;
  arrivedAt: number;
  releaseAt: number;
}

const SAMPLE_RATE = 8000;
/** Samples of a 20 ms packet. */
const PTIME_20MS = 160;
/** Gap fills go through the masker in pieces this long, so the output ring never overruns. */
const FILL_CHUNK = 1024;
/** What a stream's arrays are until its first audio packet: nothing to read or write. */
const NONE: Uint8Array = new Uint8Array(0);
/**
 * The masker's output for one feed before it is copied into the stream's ring: filled and emptied
 * inside feed(), with no call out between, so one serves every stream of the process. One each,
 * and each stream's silence, were some 300 bytes of JS heap a stream that the collector copies and
 * promotes when a thousand calls start together (docs/benchmarks.md, RTP relay).
 */
const OUT_SCRATCH = new Uint8Array(FILL_CHUNK);
/**
 * Views of OUT_SCRATCH by length, made once per length for the process (a stream's packets are all
 * alike, and so are most streams'), not once per stream. NONE where none is made yet, not
 * `undefined`: the array keeps one element kind.
 */
const OUT_VIEWS: Uint8Array[] = new Array<Uint8Array>(FILL_CHUNK + 1).fill(NONE);

function outView(n: number): Uint8Array {
  const v = OUT_VIEWS[n];
  return v.length === n ? v : (OUT_VIEWS[n] = OUT_SCRATCH.subarray(0, n));
}
const silenceChunks = new Map<G711Codec, Uint8Array>();

function silenceChunk(codec: G711Codec): Uint8Array {
  let c = silenceChunks.get(codec);
  if (!c) silenceChunks.set(codec, (c = new Uint8Array(FILL_CHUNK).fill(g711Silence(codec))));
  return c;
}

/** Sequence numbers remembered to tell a duplicate from a late packet. */
const RECENT_SEQS = 64;
/** Far-behind packets in a row that mean the sender restarted its timestamps. */
const RESYNC_AFTER = 3;
/** Event windows are kept this long after their end, so a late repeated end packet is not a new event. */
const WINDOW_MEMORY_SAMPLES = SAMPLE_RATE;
/**
 * How far past the sender's estimated position secure mode stays on for a stream once it ended:
 * covers the two clocks drifting apart (RTP sample clocks are only as good as their crystals, some
 * 100 ppm) and the estimate's rounding. It only ever masks DTMF, never speech, for this long.
 */
export const SECURE_OFF_MARGIN_MS = 250;

/** `m` reset and kept, or freed (undefined) when it cannot be reset. */
function resetOrFree(m: CodewordMasker | undefined): CodewordMasker | undefined {
  if (m?.reset) {
    m.reset();
    return m;
  }
  m?.dispose?.();
  return undefined;
}

/**
 * Time comes in `times` (relay-times.ts), shared with the relay, not as arguments: the relay
 * writes times[T_NOW] before every call (onAudio, onEvent, onOther, pump), and `nextWakeup`
 * leaves its answer in `wakeAt`.
 */
export class RtpStream {
  /** Set anew when the relay reuses the stream's state for another call (`reuse`). */
  ssrc: number;
  /** Clock time of the last datagram, for idle expiry. */
  lastActivity = 0;
  /** When `pump` next has something to do, as `nextWakeup` last found it (ms). */
  wakeAt = Infinity;

  private readonly D: number;
  private lastTs32 = 0;
  private lastExt: number | undefined;
  private origin = 0;

  private codec: G711Codec | undefined;
  /** The masker of the audio path, once audio has started (one of the two below). */
  private masker: CodewordMasker | undefined;
  /**
   * The maskers made so far, by codec, kept for the audio path's restarts and, on a spare, for
   * later calls: each is reset, not made again (restartMasker).
   */
  private alawMasker: CodewordMasker | undefined;
  private ulawMasker: CodewordMasker | undefined;
  /** Stream index of the masker's input sample 0. */
  private maskerOrigin = 0;
  /** Next stream sample index the masker expects. */
  private fed = 0;
  private ring = NONE;
  private ringMask = 0;
  /** FILL_CHUNK octets of the codec's silence (shared, read only). */
  private silenceChunk = NONE;
  private tone = NONE;
  private lastPacketLength = 0;
  private lastFedSeq: number | undefined;
  /** Consecutive audio packets far behind the masker's position (see resync). */
  private farBehind = 0;

  /** The held audio packets' fields and bytes; `pending` and `awaiting` hold slot numbers into it. */
  private readonly held = new HeldAudio();
  /** Slots not yet fed to the masker, in timestamp order (a packet beyond a hole waits here). */
  private readonly pending: number[] = [];
  /** Slots fed to the masker, waiting for the lookahead past their end, in order. */
  private readonly awaiting: number[] = [];
  private readonly events: HeldEvent[] = [];
  private readonly windows: EventWindows;
  private readonly recentSeqs = new RecentSeqs(RECENT_SEQS);
  /** Clock time of the latest datagram or wake-up (ms). */
  private now = 0;
  /**
   * max(end sample − arrival time·rate) over the stream's packets, in samples: how far ahead of
   * the relay's clock the sender's clock is at least (the least-delayed packet places it). The
   * sender's position at time t is at most t·rate + lead (it cannot send audio before it exists).
   */
  private lead = -Infinity;
  /** Secure mode was on when last asked. */
  private secureSeen = false;
  /** After secure mode ended: samples before this index still count as secure. */
  private fence = -Infinity;

  constructor(
    ssrc: number,
    private readonly settings: StreamSettings,
    private readonly hooks: StreamHooks,
    private readonly counters: RelayCounters,
    private readonly times: RelayTimes,
  ) {
    this.ssrc = ssrc;
    this.D = lookaheadSamples({ ...settings, sampleRate: SAMPLE_RATE });
    this.windows = new EventWindows(Math.round((settings.eventHangoverMs * SAMPLE_RATE) / 1000));
  }

  /** The stream is forgotten: its maskers' DSP state is freed now, not when the collector runs. */
  close(): void {
    this.alawMasker?.dispose?.();
    this.ulawMasker?.dispose?.();
    this.masker = this.alawMasker = this.ulawMasker = undefined;
  }

  /**
   * The call has ended and the stream is kept as a spare (RtpRelay's sweep): its maskers are kept,
   * reset now so that they hold nothing of the call; one that cannot be reset is freed.
   */
  retire(): void {
    this.alawMasker = resetOrFree(this.alawMasker);
    this.ulawMasker = resetOrFree(this.ulawMasker);
    this.masker = undefined;
  }

  /**
   * Makes a retired stream (an ended call's, see `retire`) a new one for `ssrc`, keeping its
   * containers (held-audio slots and views, the output ring, the sequence ring, the arrays, the
   * maskers): nothing of them is allocated again, so a call that starts on reused state gives the
   * collector nothing new to copy and promote (a thousand calls starting together on fresh state
   * paused the relay 5-6 ms, docs/benchmarks.md, RTP relay).
   * Every field below is as the constructor leaves it, and every byte the last call left behind is
   * zeroed (the maskers' by `retire`, and again when audio starts: restartMasker), so no audio of
   * one call can reach another; test/unit/relay/stream-reuse.test.ts checks a reused stream against
   * a fresh one, datagram for datagram.
   */
  reuse(ssrc: number): void {
    this.masker = undefined;
    this.ssrc = ssrc;
    this.lastActivity = 0;
    this.wakeAt = Infinity;
    this.lastTs32 = 0;
    this.lastExt = undefined;
    this.origin = 0;
    this.codec = undefined;
    this.maskerOrigin = 0;
    this.fed = 0;
    this.ring.fill(0);
    this.silenceChunk = NONE;
    this.tone = NONE;
    this.lastPacketLength = 0;
    this.lastFedSeq = undefined;
    this.farBehind = 0;
    this.held.clear();
    emptyArray(this.pending);
    emptyArray(this.awaiting);
    emptyArray(this.events);
    this.windows.clear();
    this.recentSeqs.clear();
    this.now = 0;
    this.lead = -Infinity;
    this.secureSeen = false;
    this.fence = -Infinity;
  }

  /**
   * Makes now what a call's first packets would (a relay's spare streams, made at its start): the
   * output ring, a masker for each G.711 law, the held slots' views, and the stores of the
   * held-slot lists (emptied by popping, they keep them).
   */
  reserve(): void {
    this.reserveRing();
    // Both laws' maskers: the call's codec is known at its first packet only.
    this.alawMasker ??= this.newMasker('alaw');
    this.ulawMasker ??= this.newMasker('ulaw');
    // Views of the held slots for the common packet: G.711 at 20 ms, the default packetization
    // interval of RFC 3551 §4.2, behind the 12-octet fixed header (RFC 3550 §5.1).
    this.held.prepareViews(RTP_HEADER_LENGTH + PTIME_20MS, RTP_HEADER_LENGTH);
    for (const list of [this.pending, this.awaiting]) {
      for (let i = 0; i < 8; i++) list.push(0);
      emptyArray(list);
    }
  }

  private reserveRing(): void {
    if (this.ring === NONE) this.ring = new Uint8Array(this.ringSize());
    this.ringMask = this.ring.length - 1;
  }

  /**
   * The ring holds masked output from the oldest unsent packet to the newest fed sample: at most
   * the lookahead, one packet (≤ 1500 octets) and one fill chunk.
   */
  private ringSize(): number {
    let size = 1;
    while (size < this.D + 2048 + FILL_CHUNK) size <<= 1;
    return size;
  }

  /** Nothing held: the stream can be forgotten once idle. */
  get idle(): boolean {
    return this.pending.length === 0 && this.awaiting.length === 0 && this.events.length === 0;
  }

  /**
   * Stream sample index of an RTP timestamp, unwrapping the 32-bit counter (RFC 3550 §5.1). `ts`
   * comes as `timestamp | 0`: signed, so a small integer to V8 even when it is 2^31 or more (the
   * first timestamp is random, §5.1), never a heap number per packet; only differences matter.
   */
  private indexOf(ts: number): number {
    if (this.lastExt === undefined) {
      this.lastTs32 = ts;
      this.lastExt = ts;
      this.origin = ts;
    }
    const diff = (ts - this.lastTs32) | 0; // signed distance: reordering goes backwards
    const ext = this.lastExt + diff;
    if (diff > 0) {
      this.lastTs32 = ts;
      this.lastExt = ext;
    }
    return ext - this.origin;
  }

  /**
   * `p`: the header of `datagram` (the relay's reused reader, rtp-header-view.ts): read during
   * the call only. The same holds for onEvent and onOther.
   */
  onAudio(p: RtpHeaderFields, datagram: Uint8Array): void {
    const now = this.times[T_NOW];
    this.lastActivity = now;
    this.now = now;
    const codec: G711Codec = p.payloadType === PT_PCMU ? 'ulaw' : 'alaw';
    const idx = this.indexOf(p.timestamp | 0);
    const len = p.payloadLength;
    if (len === 0) {
      this.counters.malformed++;
      return;
    }
    this.placeSender(idx + len);
    if (this.codec === undefined) this.startAudio(codec, idx);
    else if (codec !== this.codec) {
      // One SSRC, one sampling clock: a codec switch mid-stream has no place in the masker's
      // history. Dropped (never passed unmasked) and counted; a new SSRC starts cleanly.
      this.counters.codecChanges++;
      return;
    }
    if (idx < this.fed) {
      if (this.recentSeqs.has(p.sequence)) this.counters.duplicates++;
      else if (idx < this.fed - this.maxGapSamples() && ++this.farBehind >= RESYNC_AFTER) {
        // Far behind, again and again: the sender restarted its timestamps (same SSRC). Follow it
        // rather than drop the rest of the call as late.
        this.resync(idx, len, p, datagram);
      } else this.counters.late++;
      return;
    }
    this.farBehind = 0;
    const h = this.held;
    const pending = this.pending;
    let at = pending.length;
    while (at > 0 && h.idx[pending[at - 1]] >= idx) at--;
    if (at < pending.length && h.idx[pending[at]] === idx) {
      this.counters.duplicates++;
      return;
    }
    this.lastPacketLength = len;
    // Inserted by hand: splice() would allocate the (empty) array of what it removed.
    pending.push(0);
    for (let i = pending.length - 1; i > at; i--) pending[i] = pending[i - 1];
    pending[at] = this.hold(idx, len, p.payloadOffset, p.sequence, p.marker, datagram);
    this.pump();
  }

  onEvent(p: RtpHeaderFields, datagram: Uint8Array): void {
    const now = this.times[T_NOW];
    this.lastActivity = now;
    this.now = now;
    const idx = this.indexOf(p.timestamp | 0);
    // Copied out first: reports below run listeners, and the header reader is the relay's, reused.
    const payloadOffset = p.payloadOffset;
    const payloadLength = p.payloadLength;
    const secure = this.secureAt(idx);
    for (let o = 0; o + TELEPHONE_EVENT_LENGTH <= payloadLength; o += TELEPHONE_EVENT_LENGTH) {
      const ev = parseTelephoneEvent(datagram.subarray(payloadOffset + o, payloadOffset + o + TELEPHONE_EVENT_LENGTH));
      if (!isDtmfEvent(ev.event)) continue;
      const ended = this.windows.update(idx, ev.duration, ev.end);
      if (ended && !ended.reported) {
        ended.reported = true;
        if (secure) this.report(ended.start, ended.start + ended.duration, 'rfc4733');
      }
    }
    this.events.push({
      idx,
      datagram,
      payloadOffset,
      payloadLength,
      telephoneEvent: true,
      arrivedAt: now,
      releaseAt: now + this.eventHoldMs(),
    });
    this.pump();
  }

  /**
   * RTP of this stream the masker cannot act on (comfort noise, RFC 3389, after a talkspurt):
   * unchanged, held as long as audio is, and never ahead of the audio before it.
   */
  onOther(p: RtpHeaderFields, datagram: Uint8Array): void {
    const now = this.times[T_NOW];
    this.lastActivity = now;
    this.now = now;
    const idx = this.indexOf(p.timestamp | 0);
    // Comfort noise after audio ends a talkspurt: no audio follows the packets before it, so their
    // lookahead is silence now rather than at their deadline, and they leave before this packet.
    const h = this.held;
    for (const a of this.awaiting) if (h.idx[a] < idx) h.deadline[a] = Math.min(h.deadline[a], now);
    for (const a of this.pending) if (h.idx[a] < idx) h.deadline[a] = Math.min(h.deadline[a], now);
    this.events.push({
      idx,
      datagram,
      payloadOffset: p.payloadOffset,
      payloadLength: p.payloadLength,
      telephoneEvent: false,
      arrivedAt: now,
      releaseAt: now + this.eventHoldMs(),
    });
    this.pump();
  }

  private eventHoldMs(): number {
    return this.lastPacketLength > 0 ? this.holdMs(this.lastPacketLength) : this.settings.lookaheadMs;
  }

  /** Sends everything due by times[T_NOW]. Infinity drains the stream (relay stop). */
  pump(): void {
    const now = this.times[T_NOW];
    this.now = Math.max(this.now, now);
    // Per packet, so indexed loops: `for...of` here made an iterator result object per element
    // (measured with scripts/relay-alloc.ts: some 100 bytes a packet).
    if (this.masker) {
      for (;;) {
        this.feedContiguous();
        const h = this.held;
        const awaiting = this.awaiting;
        const pending = this.pending;
        let target = -Infinity;
        for (let i = 0; i < awaiting.length; i++) {
          const a = awaiting[i];
          if (h.deadline[a] <= now) target = Math.max(target, h.idx[a] + h.len[a] + this.D);
        }
        for (let i = 0; i < pending.length; i++) {
          const p = pending[i];
          if (h.deadline[p] <= now) target = Math.max(target, h.idx[p] + h.len[p] + this.D);
        }
        const head = this.pending.length > 0 ? this.pending[0] : -1;
        if (head >= 0 && h.idx[head] > this.fed && (h.marker[head] === 1 || now >= h.arrivedAt[head] + this.settings.jitterMs)) {
          target = Math.max(target, h.idx[head]);
        }
        if (target <= this.fed) break;
        this.fillSilence(head >= 0 ? Math.min(target, h.idx[head]) : target);
      }
    }
    while (this.events.length > 0 && this.events[0].releaseAt <= now) this.releaseEvent(this.events.shift()!);
    const position = this.oldestUnsent();
    // Only audio moves a stream's position forward steadily; in an events-only stream an
    // unfinished event is reported when it ends or is forgotten.
    if (this.masker) {
      const expired = this.windows.takeExpired(position);
      for (let i = 0; i < expired.length; i++) {
        const w = expired[i];
        if (this.secureAt(w.start)) this.report(w.start, this.windows.endOf(w), 'rfc4733');
      }
    }
    const gone = this.windows.prune(position - WINDOW_MEMORY_SAMPLES);
    for (let i = 0; i < gone.length; i++) {
      const w = gone[i];
      w.reported = true;
      if (this.secureAt(w.start)) this.report(w.start, this.windows.endOf(w), 'rfc4733');
    }
  }

  /**
   * When `pump` next has something to do, into `wakeAt` (a field: a returned fraction of a ms
   * would be a heap number per call); false when nothing is held.
   */
  nextWakeup(): boolean {
    const h = this.held;
    let t = Infinity;
    for (let i = 0; i < this.awaiting.length; i++) t = Math.min(t, h.deadline[this.awaiting[i]]);
    for (let i = 0; i < this.pending.length; i++) t = Math.min(t, h.deadline[this.pending[i]]);
    if (this.pending.length > 0) {
      const head = this.pending[0];
      if (h.idx[head] > this.fed) t = Math.min(t, h.arrivedAt[head] + this.settings.jitterMs);
    }
    if (this.events.length > 0) t = Math.min(t, this.events[0].releaseAt);
    this.wakeAt = t;
    return t !== Infinity;
  }

  private maxGapSamples(): number {
    return (this.settings.maxGapMs * SAMPLE_RATE) / 1000;
  }

  /** Sends what is held (lookahead filled with silence), then restarts the audio path at `idx` with this packet. */
  private resync(idx: number, len: number, p: RtpHeaderFields, datagram: Uint8Array): void {
    // Read before the masker runs: its reports run listeners, and the header reader is reused.
    const { payloadOffset, sequence, marker } = p;
    this.counters.resyncs++;
    this.farBehind = 0;
    const h = this.held;
    let target = this.fed;
    for (const a of this.awaiting) target = Math.max(target, h.idx[a] + h.len[a] + this.D);
    this.counters.late += this.pending.length;
    for (const p of this.pending) h.release(p);
    this.pending.length = 0;
    this.feedSilence(target - this.fed);
    this.lastFedSeq = undefined;
    this.recentSeqs.clear();
    // A new timeline: the sender's clock is placed anew. A fence from the old one is moved by the
    // same jump, so it keeps covering what was sent before secure mode ended.
    if (this.fence !== -Infinity) this.fence += idx - this.fed;
    this.lead = -Infinity;
    this.placeSender(idx + len);
    this.restartMasker(this.codec!, idx);
    this.pending.push(this.hold(idx, len, payloadOffset, sequence, marker, datagram));
    this.pump();
  }

  /**
   * An audio packet held until the masker has seen the lookahead past its end (plus the jitter
   * allowance): a copy of its bytes in a slot of `held`, so the caller may reuse `datagram`.
   */
  private hold(idx: number, len: number, payloadOffset: number, seq: number, marker: boolean, datagram: Uint8Array): number {
    const h = this.held;
    const slot = h.hold(datagram, payloadOffset, idx, len, seq, marker);
    const now = this.times[T_NOW];
    h.arrivedAt[slot] = now;
    h.deadline[slot] = now + this.holdMs(len) + this.settings.jitterMs;
    return slot;
  }

  /** ms an audio packet of `len` samples waits for the masker's lookahead past its end. */
  private holdMs(len: number): number {
    return (Math.ceil(this.D / len) * len * 1000) / SAMPLE_RATE;
  }

  private startAudio(codec: G711Codec, idx: number): void {
    this.codec = codec;
    this.restartMasker(codec, idx);
    // Kept from an earlier call on this state (reuse), or made now.
    this.reserveRing();
    this.silenceChunk = silenceChunk(codec);
    // The masker's own mask tone table (same level, phase 0 at each window start).
    this.tone = maskToneCodes(this.settings.maskTone, codec, SAMPLE_RATE);
  }

  /**
   * The audio path starts anew at stream index `at` with a masker as new: the codec's masker the
   * stream has, reset, when it can be; otherwise a new one, the old one's DSP state freed now.
   */
  private restartMasker(codec: G711Codec, at: number): void {
    const m = resetOrFree(codec === 'alaw' ? this.alawMasker : this.ulawMasker) ?? this.newMasker(codec);
    if (codec === 'alaw') this.alawMasker = m;
    else this.ulawMasker = m;
    this.masker = m;
    this.maskerOrigin = at;
    this.fed = at;
  }

  private newMasker(codec: G711Codec): CodewordMasker {
    return this.settings.createMasker(codec, { maskTone: this.settings.maskTone, lookaheadMs: this.settings.lookaheadMs, sampleRate: SAMPLE_RATE });
  }

  private feedContiguous(): void {
    const h = this.held;
    while (this.pending.length > 0 && h.idx[this.pending[0]] <= this.fed) {
      const p = this.pending.shift()!;
      if (h.idx[p] < this.fed) {
        // Overlaps samples already fed (as silence for a hole, or by an overlapping packet).
        this.counters.late++;
        h.release(p);
        continue;
      }
      const seq = h.seq[p];
      if (this.lastFedSeq !== undefined) {
        const missing = (seq - this.lastFedSeq - 1) & 0xffff;
        if (missing < 0x8000) this.counters.lost += missing;
      }
      this.lastFedSeq = seq;
      this.recentSeqs.add(seq);
      this.awaiting.push(p);
      this.feed(h.payload(p));
    }
  }

  private fillSilence(to: number): void {
    const gap = to - this.fed;
    if (gap <= 0) return;
    this.counters.gapsFilled++;
    if (gap > (this.settings.maxGapMs * SAMPLE_RATE) / 1000) {
      // A long hole (silence suppression, a held call): feeding minutes of silence would only burn
      // CPU. Feed enough to release what is waiting, then restart the masker where audio resumes;
      // after this much silence no digit is in progress.
      const h = this.held;
      let need = this.D;
      for (const a of this.awaiting) need = Math.max(need, h.idx[a] + h.len[a] + this.D - this.fed);
      this.feedSilence(Math.min(need, gap));
      this.restartMasker(this.codec!, to);
      return;
    }
    this.feedSilence(gap);
  }

  private feedSilence(n: number): void {
    while (n > 0) {
      const k = Math.min(n, FILL_CHUNK);
      this.feed(this.silenceChunk.subarray(0, k));
      n -= k;
    }
  }

  /** Feeds codewords at `fed`; the masker's output belongs to the samples D earlier. */
  private feed(codes: Uint8Array): void {
    if (codes.length > FILL_CHUNK) {
      for (let o = 0; o < codes.length; o += FILL_CHUNK) this.feed(codes.subarray(o, Math.min(codes.length, o + FILL_CHUNK)));
      return;
    }
    const start = (this.fed - this.D) & this.ringMask;
    // Into a scratch buffer, then copied into the ring: the ring's place moves with every feed and
    // a view of it per feed would be a heap object per packet.
    const out = outView(codes.length);
    this.masker!.process(codes, out);
    const ring = this.ring;
    if (start + out.length <= ring.length) ring.set(out, start);
    else {
      // Across the ring's end: by octet, as two views of `out` would be two heap objects each time
      // the ring wraps (6 bytes a packet averaged, scripts/relay-alloc.ts).
      const mask = this.ringMask;
      for (let i = 0; i < out.length; i++) ring[(start + i) & mask] = out[i];
    }
    this.fed += codes.length;
    const windows = this.masker!.drainWindows();
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i];
      if (this.secureAt(this.maskerOrigin + w.startSample - this.D)) this.report(this.maskerOrigin + w.startSample - this.D, this.maskerOrigin + w.endSample - this.D, 'inband');
    }
    const h = this.held;
    while (this.awaiting.length > 0 && h.idx[this.awaiting[0]] + h.len[this.awaiting[0]] + this.D <= this.fed) {
      const slot = this.awaiting.shift()!;
      this.emitAudio(slot);
      h.release(slot);
    }
  }

  private emitAudio(slot: number): void {
    const h = this.held;
    const idx = h.idx[slot];
    const len = h.len[slot];
    const d = h.datagram(slot);
    this.times[T_SENT] = h.arrivedAt[slot];
    if (!this.secureAt(idx)) {
      this.hooks.send(d);
      return;
    }
    // The payload is rewritten in place: the datagram is the stream's own copy, and the header
    // around it stays the sender's bytes.
    const off = h.payloadOffset[slot] - idx;
    const ring = this.ring;
    const mask = this.ringMask;
    let changed = false;
    // Counted from 0 with small integers: idx comes from a Float64Array (a stream outlives 2^31
    // samples), and double-valued element indices would take V8's slow keyed access per octet.
    const pay = h.payloadOffset[slot];
    const r0 = idx & mask;
    for (let j = 0; j < len; j++) {
      const c = ring[(r0 + j) & mask];
      if (d[pay + j] !== c) {
        d[pay + j] = c;
        changed = true;
      }
    }
    if (this.windows.size > 0 && this.toneOverEvents(d, off, idx, len)) changed = true;
    if (changed) this.counters.audioMasked++;
    this.hooks.send(d);
  }

  /**
   * The mask tone over the samples [idx, idx + len) that RFC 4733 events cover, in datagram `d`
   * (sample i at d[off + i]); true when an octet changed. A method of its own: its closure's
   * variables would otherwise make emitAudio allocate a context on every call (measured: 104
   * bytes a packet whenever V8 had not optimised the context away, scripts/relay-alloc.ts).
   */
  private toneOverEvents(d: Uint8Array, off: number, idx: number, len: number): boolean {
    const tone = this.tone;
    let changed = false;
    this.windows.forEachOverlap(idx, idx + len, (from, to, windowStart) => {
      for (let i = from; i < to; i++) {
        const c = tone[(i - windowStart) % tone.length];
        if (d[off + i] !== c) {
          d[off + i] = c;
          changed = true;
        }
      }
    });
    return changed;
  }

  private releaseEvent(e: HeldEvent): void {
    this.times[T_SENT] = e.arrivedAt;
    if (!e.telephoneEvent || !this.secureAt(e.idx)) {
      this.hooks.send(e.datagram);
      return;
    }
    const out = rewriteEventDatagram(e.datagram, e.payloadOffset, e.payloadLength, this.settings.maskTone);
    if (Buffer.compare(out, e.datagram) !== 0) this.counters.eventsRewritten++;
    this.hooks.send(out);
  }

  private oldestUnsent(): number {
    // An events-only stream has no audio position: its newest timestamp stands in.
    if (!this.masker) return (this.lastExt ?? 0) - this.origin;
    if (this.awaiting.length > 0) return this.held.idx[this.awaiting[0]];
    if (this.pending.length > 0) return this.held.idx[this.pending[0]];
    return this.fed;
  }

  /** A packet ending at sample `end` arrived at times[T_NOW]: the sender's clock is at least this far ahead. */
  private placeSender(end: number): void {
    const lead = end - (this.times[T_NOW] * SAMPLE_RATE) / 1000;
    if (lead > this.lead) this.lead = lead;
  }

  /**
   * Whether the stream's audio at sample `idx` is treated as secure. While the board says secure,
   * yes. When it first says otherwise, the fence is set at the sender's position then (at most
   * now·rate + lead: anything the sender had sent, held here or still in the socket behind a busy
   * event loop, lies before it) plus SECURE_OFF_MARGIN_MS, and what lies before the fence stays
   * secure: a secure-off command never unmasks audio keyed while secure mode was on (fail closed).
   */
  private secureAt(idx: number): boolean {
    if (this.hooks.isSecure(this.ssrc)) {
      this.secureSeen = true;
      return true;
    }
    if (this.secureSeen) {
      this.secureSeen = false;
      const at = Number.isFinite(this.now) && this.lead !== -Infinity ? (this.now * SAMPLE_RATE) / 1000 + this.lead : Infinity;
      this.fence = Math.max(this.fence, at + (SECURE_OFF_MARGIN_MS * SAMPLE_RATE) / 1000);
    }
    return idx < this.fence;
  }

  private report(start: number, end: number, source: MaskedSource): void {
    this.counters.maskedWindows++;
    this.hooks.masked(this.ssrc, { startMs: (start * 1000) / SAMPLE_RATE, endMs: (end * 1000) / SAMPLE_RATE, source });
  }
}
