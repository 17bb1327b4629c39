/**
 * The simulator's SIP/RTP edge data plane on real UDP sockets: the caller's RTP comes in on
 * `listen`, leaves toward the agent on `forward`, masked in secure mode, and the same datagrams go
 * to `mirror` (the recorder's or the verifier's port). Like a media relay's two legs, the agent
 * side gets its packets from a socket of its own (on the listen address, an ephemeral port),
 * connected to `forward`; the mirror gets its own connected socket too. A connected socket sends
 * without an address lookup (and a tick) per datagram.
 *
 *   datagram → RtpHeaderView → per-SSRC RtpStream (reorder → G711Masker → event rewrite) → forward + mirror
 *
 * What the masker cannot read fails closed in secure mode: RTP in another codec is dropped (it
 * could carry a digit in-band), RTCP and comfort noise pass; outside secure mode all passes.
 *
 * Two socket paths, the same behaviour: the native one (udp-native.ts, native/udp-batch.c:
 * recvmmsg/sendmmsg, kernel arrival stamps, one timerfd for every stream's release) when the
 * addon is built and the relay runs on the system clock, else Node's dgram with a timer per
 * stream (DTMFGUARD_RELAY_IO=dgram forces it). See docs/benchmarks.md for why.
 */
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { type MaskTone, isMaskTone } from '../../src/dsp/dtmf-keys.ts';
import { G711Masker } from '../../src/dsp/masker.ts';
import { emptyArray } from '../../src/empty-array.ts';
import { DgError } from '../../src/errors.ts';
import { type ResolvedAddress, type UdpAddress, parseUdpAddress, resolveUdpAddress } from './address.ts';
import type { MaskerFactory } from './masker-port.ts';
import { collectGarbageNow } from './collect-now.ts';
import { ARENA_MAX_DATAGRAM, PacketArena } from './packet-arena.ts';
import { newRelayCounters, type RelayCounters } from './relay-counters.ts';
import { relayTimes, T_NOW, T_SENT } from './relay-times.ts';
import { Q_AT, Q_NOW, ReleaseQueue } from './release-queue.ts';
import { RtpHeaderView } from './rtp-header-view.ts';
import { type MaskedSource, PT_PCMA, PT_PCMU, RtpStream, type StreamHooks, type StreamSettings } from './rtp-stream.ts';
import { loadUdpBatch, NativeClock, RECV_SLOT_BYTES, RECV_SLOTS, RecvBuffer, SendQueue, type UdpBatch } from './udp-native.ts';

/** The relay's only source of time (ms, monotonic), injectable so timing logic runs under fake time. */
export interface RelayClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const relaySystemClock: RelayClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RtpRelayOptions {
  listen: string | UdpAddress;
  forward: string | UdpAddress;
  mirror?: string | UdpAddress;
  /** The digit every keyed digit is replaced with. Default '#'. */
  maskTone?: MaskTone;
  /** The masker's lookahead, and so the delay the relay adds. Default 40 ms (design brief). */
  lookaheadMs?: number;
  /** Secure mode from the start. Default off: audio passes with the same bytes. */
  secure?: boolean;
  /**
   * How far behind its schedule a packet may arrive and still be put back in place; after that its
   * samples are fed to the masker as silence and it is dropped as late. Default 40 ms: one 20 ms
   * packet swapped with its successor, with room to spare. It costs nothing in a steady stream; at
   * a lost packet or a talkspurt's end the packets just before the hole wait this much longer.
   */
  jitterMs?: number;
  /** RFC 4733: how far past its last reported duration an unfinished event is still masked. Default 100 ms (two update intervals, §2.5.1.2). */
  eventHangoverMs?: number;
  /** A hole longer than this restarts the masker instead of feeding it silence. Default 1000 ms. */
  maxGapMs?: number;
  /** A stream with no packet for this long is forgotten. Default 60 s. */
  idleTimeoutMs?: number;
  /**
   * Payload types carrying RFC 4733 telephone-events. Default: any dynamic type (96–127, RFC 3551
   * §3) with a payload of 1 to 4 events (4 to 16 octets: RFC 4733 lets a sender pack several per
   * packet), since without SDP the relay cannot know the negotiated number.
   */
  eventPayloadTypes?: number[];
  clock?: RelayClock;
  /**
   * Receive buffer of the listen socket (SO_RCVBUF), bytes; the kernel caps it at
   * net.core.rmem_max. Default 4 MiB: many callers on one port send 50 datagrams a second each, and
   * while the event loop is held up (a garbage collection, a busy machine) they must queue, not be
   * dropped (the kernel's default, about 200 KiB, holds some 5 ms of 1,000 streams). 0: the
   * system's default.
   */
  recvBufferBytes?: number;
  /** Builds the masker of each stream; default the board's G711Masker (src/dsp/masker.ts). */
  createMasker?: MaskerFactory;
  /**
   * Secure mode per stream, by SSRC (the board's channels: firmware-sim/channel/sip-edge.ts).
   * Default: the relay's one switch, `setSecure`, for every stream.
   */
  secureOf?: (ssrc: number) => boolean;
  /**
   * Streams whose state is made at construction, as spares for the first calls (the board's channel
   * count, or the calls a rig expects at once), and moved to the old generation at start by one full
   * collection (collect-now.ts). Default 0: made as calls start. Either way the state of a call that
   * ends is kept for the next one, up to this many or SPARE_STREAMS.
   */
  streams?: number;
}

export interface RelayMaskedEvent {
  /** The stream: its SSRC. */
  channel: number;
  startMs: number;
  endMs: number;
  source: MaskedSource;
}

export interface RelayStats extends RelayCounters {
  secure: boolean;
  streams: number;
  /** Time from a datagram's arrival to its send, over the last LATENCY_WINDOW sends (ms). */
  latencyMs: { count: number; median: number; p99: number; max: number };
}

const LATENCY_WINDOW = 8192;
/** While datagrams wait in the socket, the release tick comes back this much later at least: their batches release as they are read. */
const BACKLOG_TICK_MS = 1;
const DEFAULT_RECV_BUFFER = 4 << 20;
/**
 * Ended streams' state kept for new calls, at least (see `streams`): each is some 23 KB of memory,
 * two maskers' kernel channels included. A call started on fresh state leaves some 4 KB of JS heap
 * and 11 KB outside it that the collector copies twice before they are old; on a spare, under
 * 150 bytes (docs/benchmarks.md, RTP relay).
 */
const SPARE_STREAMS = 256;
const MAX_STREAMS = 100_000;

function checkRange(name: string, v: number, min: number, max: number, code: string): number {
  if (!Number.isFinite(v) || v < min || v > max) throw new DgError(code, `${name} ${v} is out of range; use ${min} to ${max}`);
  return v;
}

export interface RtpRelay {
  on(event: 'masked', listener: (ev: RelayMaskedEvent) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export class RtpRelay extends EventEmitter {
  private readonly listenAddr: UdpAddress;
  private readonly forwardAddr: UdpAddress;
  private readonly mirrorAddr: UdpAddress | undefined;
  private readonly maskTone: MaskTone;
  private readonly lookaheadMs: number;
  private readonly jitterMs: number;
  private readonly eventHangoverMs: number;
  private readonly maxGapMs: number;
  private readonly idleTimeoutMs: number;
  private readonly eventPts: Set<number> | undefined;
  private readonly clock: RelayClock;
  private readonly masker: MaskerFactory;
  private readonly secureOf: ((ssrc: number) => boolean) | undefined;
  private readonly recvBufferBytes: number;

  private secureOn: boolean;
  private socket: Socket | undefined;
  private forwardSocket: Socket | undefined;
  private mirrorSocket: Socket | undefined;
  private forwardTo: ResolvedAddress | undefined;
  private mirrorTo: ResolvedAddress | undefined;
  private bound: UdpAddress | undefined;
  /** By SSRC as a signed 32-bit integer (`ssrc | 0`, see stream()). */
  private readonly streams = new Map<number, RtpStream>();
  /** Closed streams, for new calls to reuse (RtpStream.reuse). */
  private readonly spares: RtpStream[] = [];
  private readonly spareLimit: number;
  private readonly timers = new Map<number, { handle: unknown; at: number }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly counters = newRelayCounters();
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private readonly arena = new PacketArena();
  private latencyCount = 0;
  private stopping = false;
  /** The native path's state while it runs (undefined on the dgram path). */
  private native: NativeIo | undefined;
  private readonly due: RtpStream[] = [];
  /** The header of the datagram being received, read in place (rtp-header-view.ts): no object per packet. */
  private readonly header = new RtpHeaderView();
  /** The clock reading the streams act at, and the arrival time of what they send (relay-times.ts). */
  private readonly times = relayTimes();
  /** Shared by every stream of the relay, not made per stream (see StreamHooks). */
  private readonly streamSettings: StreamSettings;
  private readonly streamHooks: StreamHooks = {
    isSecure: (ssrc) => (this.secureOf ? this.secureOf(ssrc) : this.secureOn),
    send: (d) => this.send(d),
    masked: (ssrc, span) => this.emit('masked', { channel: ssrc, ...span } satisfies RelayMaskedEvent),
  };

  constructor(opts: RtpRelayOptions) {
    super();
    this.listenAddr = typeof opts.listen === 'string' ? parseUdpAddress(opts.listen, '--listen') : opts.listen;
    this.forwardAddr = typeof opts.forward === 'string' ? parseUdpAddress(opts.forward, '--forward') : opts.forward;
    this.mirrorAddr = typeof opts.mirror === 'string' ? parseUdpAddress(opts.mirror, '--mirror') : opts.mirror;
    const tone = opts.maskTone ?? '#';
    if (!isMaskTone(tone)) throw new DgError('DG5304', `mask tone ${JSON.stringify(tone)} is not one of '#', '0', '1'`);
    this.maskTone = tone;
    // 15 ms is the masker's minimum for leaking nothing (src/dsp/masker.ts); 200 ms is already an echo-like delay.
    this.lookaheadMs = checkRange('lookahead', opts.lookaheadMs ?? 40, 15, 200, 'DG5303');
    this.jitterMs = checkRange('jitter allowance', opts.jitterMs ?? 40, 0, 1000, 'DG5303');
    this.eventHangoverMs = checkRange('event hangover', opts.eventHangoverMs ?? 100, 0, 1000, 'DG5303');
    this.maxGapMs = checkRange('maximum gap', opts.maxGapMs ?? 1000, 250, 60_000, 'DG5303');
    this.idleTimeoutMs = checkRange('idle timeout', opts.idleTimeoutMs ?? 60_000, 1000, 3_600_000, 'DG5303');
    this.eventPts = opts.eventPayloadTypes ? new Set(opts.eventPayloadTypes) : undefined;
    this.secureOn = opts.secure ?? false;
    this.clock = opts.clock ?? relaySystemClock;
    this.masker = opts.createMasker ?? boardMasker;
    this.secureOf = opts.secureOf;
    const rb = opts.recvBufferBytes ?? DEFAULT_RECV_BUFFER;
    this.recvBufferBytes = rb === 0 ? 0 : checkRange('receive buffer', rb, 65_536, 256 << 20, 'DG5303');
    this.streamSettings = {
      maskTone: this.maskTone,
      lookaheadMs: this.lookaheadMs,
      jitterMs: this.jitterMs,
      eventHangoverMs: this.eventHangoverMs,
      maxGapMs: this.maxGapMs,
      createMasker: this.masker,
    };
    const spares = opts.streams ?? 0;
    if (!Number.isInteger(spares) || spares < 0 || spares > MAX_STREAMS) throw new DgError('DG5303', `streams ${spares} is not a whole number from 0 to ${MAX_STREAMS}`);
    this.spareLimit = Math.max(spares, SPARE_STREAMS);
    for (let i = 0; i < spares; i++) {
      const st = this.makeStream(0);
      st.reserve();
      this.spares.push(st);
    }
  }

  /** Binds the listen socket; resolves with the bound address (port 0 picks a free one). */
  async start(): Promise<UdpAddress> {
    if (this.socket || this.native) throw new Error('relay already started');
    const listen = await resolveUdpAddress(this.listenAddr, '--listen');
    this.forwardTo = await resolveUdpAddress(this.forwardAddr, '--forward');
    this.mirrorTo = this.mirrorAddr ? await resolveUdpAddress(this.mirrorAddr, '--mirror') : undefined;
    for (const [what, a] of [['--forward', this.forwardTo], ['--mirror', this.mirrorTo]] as const) {
      if (a && a.family !== listen.family) {
        throw new DgError('DG5305', `${what} is IPv${a.family} but --listen is IPv${listen.family}; use one address family`);
      }
    }
    const lib = this.clock === relaySystemClock ? loadUdpBatch() : null;
    if (lib) return this.startNative(lib, listen);
    const socket = createSocket({ type: listen.family === 6 ? 'udp6' : 'udp4', ...(this.recvBufferBytes ? { recvBufferSize: this.recvBufferBytes } : {}) });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(new DgError('DG5306', `cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message}); choose a free port`));
      };
      socket.once('error', onError);
      socket.bind(listen.port, listen.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    socket.on('message', (msg) => this.onDatagram(msg));
    socket.on('error', (err) => (this.listenerCount('error') > 0 ? this.emit('error', err) : this.counters.sendErrors++));
    this.forwardSocket = await connectedSocket(listen, this.forwardTo);
    this.mirrorSocket = this.mirrorTo ? await connectedSocket(listen, this.mirrorTo) : undefined;
    // A connected socket reports the peer's ICMP port-unreachable as an error on a later send: a
    // recorder restarting must not stop the call, so these are counted, not raised.
    for (const s of [this.forwardSocket, this.mirrorSocket]) s?.on('error', () => this.counters.sendErrors++);
    this.socket = socket;
    const a = socket.address();
    return this.started({ host: a.address, port: a.port });
  }

  private startNative(lib: UdpBatch, listen: ResolvedAddress): UdpAddress {
    const open = (host: string, port: number, rcvbuf: number, to: ResolvedAddress | undefined, what: string): [number, number, number] => {
      try {
        return lib.open(listen.family, host, port, rcvbuf, to ? to.host : null, to ? to.port : 0);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        if (what === 'listen') throw new DgError('DG5306', `cannot listen on ${listen.host}:${listen.port} (${code}); choose a free port`);
        throw new DgError('DG5306', `cannot open the ${what} socket toward ${to!.host}:${to!.port} (${code}); check the address`);
      }
    };
    const [fd, port, granted] = open(listen.host, listen.port, this.recvBufferBytes, undefined, 'listen');
    const fds = [fd];
    try {
      const fwd = open(listen.host, 0, 0, this.forwardTo, '--forward')[0];
      fds.push(fwd);
      const mir = this.mirrorTo ? open(listen.host, 0, 0, this.mirrorTo, '--mirror')[0] : -1;
      if (mir >= 0) fds.push(mir);
      const timerFd = lib.timer();
      fds.push(timerFd);
      const io: NativeIo = { lib, clock: new NativeClock(lib, this.clock.now()), fd, fwd, mir, timerFd, timerAt: Infinity, granted, recv: new RecvBuffer(), sendQ: new SendQueue(), releases: new ReleaseQueue(), watchers: [], readUpTo: -Infinity };
      io.watchers.push(lib.watch(fd, io.recv.buffer, RECV_SLOTS, RECV_SLOT_BYTES, (n) => this.onBatch(n)));
      io.watchers.push(lib.watch(timerFd, null, 0, 0, () => this.onTick()));
      this.native = io;
    } catch (e) {
      for (const f of fds) lib.close(f);
      throw e;
    }
    return this.started({ host: listen.host, port });
  }

  /**
   * What either socket path does once its sockets are open: the idle sweep is armed, and the spares
   * made by the constructor (and the relay's own buffers) go to the old generation before any call
   * (collect-now.ts).
   */
  private started(bound: UdpAddress): UdpAddress {
    this.bound = bound;
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(10_000, this.idleTimeoutMs));
    this.sweepTimer.unref();
    if (this.spares.length > 0) collectGarbageNow();
    return bound;
  }

  /** Which socket path carries the datagrams: 'native' (udp-batch) or 'dgram'; undefined before start. */
  get io(): 'native' | 'dgram' | undefined {
    return this.native ? 'native' : this.socket ? 'dgram' : undefined;
  }

  /** Native path: a batch of `n` datagrams is in the receive buffer. */
  private onBatch(n: number): void {
    const io = this.native!;
    const { recv } = io;
    // The read's time, stamped by the addon (udp-native.ts, NativeClock: no boxed double a batch).
    const base = recv.readAt[0] + io.clock.ms[1];
    const { lengths, ages } = recv;
    for (let k = 0; k < n; k++) {
      const len = lengths[k];
      if (len < 0) {
        // Larger than a UDP datagram can be: cannot happen on IPv4/IPv6 without jumbograms.
        this.counters.datagramsIn++;
        this.counters.malformed++;
        continue;
      }
      // The slot is overwritten by the next batch: audio is copied by its stream (held-audio.ts),
      // anything else held (events, comfort noise) is copied by receive().
      this.times[T_NOW] = base - ages[k];
      this.receive(recv.view(k, len), true);
    }
    // The socket is first in, first out: every datagram that arrived before this one has been read.
    if (n > 0) io.readUpTo = base - ages[n - 1];
    this.releaseDue();
  }

  /** Native path: the release timer fired. */
  private onTick(): void {
    const io = this.native;
    if (!io) return;
    io.timerAt = Infinity;
    this.releaseDue();
  }

  /** Native path: pumps every stream whose deadline has come, sends what left in one batch, re-arms the timer. */
  private releaseDue(): void {
    const io = this.native;
    if (!io) return;
    io.clock.read();
    const clockNow = io.clock.ms[0] + io.clock.ms[1];
    // After a stall (a collection, a busy machine, a thousand streams starting at once) the socket
    // holds datagrams that arrived before now, and the tick may come before the batches that read
    // them. A deadline has only passed once every datagram that arrived before it has been read:
    // else a stream's hold runs out, its lookahead is filled with silence and its next packet,
    // still in the socket, is dropped as late. So while a datagram waits, deadlines are judged by
    // the arrival of the newest datagram read. Asked only when a deadline is due (a syscall).
    // The dgram path gets the same by acting on deadlines after the loop's I/O phase.
    const q = io.releases;
    const backlog = q.peek() && q.times[Q_AT] <= clockNow && io.lib.pending(io.fd);
    const now = backlog ? Math.min(clockNow, io.readUpTo) : clockNow;
    // Collected first, then pumped: a stream whose next deadline is still due waits for the next tick, not a loop here.
    const due = this.due;
    q.times[Q_NOW] = now;
    for (let s = q.popDue(); s; s = q.popDue()) due.push(s);
    this.times[T_NOW] = now;
    for (let i = 0; i < due.length; i++) {
      due[i].pump();
      this.arm(due[i]);
    }
    // Popped, not `length = 0`, which drops the array's store: an allocation per batch (src/empty-array.ts).
    emptyArray(due);
    this.flush();
    if (q.peek() && q.times[Q_AT] !== io.timerAt) {
      const next = q.times[Q_AT];
      io.timerAt = next;
      // During a backlog the batches to come call this again; the tick only covers their end.
      const delayMs = backlog ? Math.max(next - clockNow, BACKLOG_TICK_MS) : next - clockNow;
      // Whole microseconds, rounded up (a tick a fraction early finds nothing due), as an int32:
      // V8 passes that as a small integer, where a double would be boxed per call (udp-batch.c).
      io.lib.arm(io.timerFd, Math.min(Math.ceil(delayMs * 1000), 2_000_000_000) | 0);
    }
  }

  /** Native path: the queued datagrams to the forward and mirror peers, one sendmmsg each. */
  private flush(): void {
    const io = this.native!;
    const q = io.sendQ;
    if (q.count === 0) return;
    // Latency to this moment, the sendmmsg's: one clock reading per batch, not one per datagram.
    io.clock.read();
    const t = io.clock.ms[0] + io.clock.ms[1];
    const arrivedAt = q.arrivedAt;
    for (let i = 0; i < q.count; i++) this.latencies[this.latencyCount++ % LATENCY_WINDOW] = t - arrivedAt[i];
    this.counters.sendErrors += io.lib.send(io.fwd, q.buffer, q.table.buffer as ArrayBuffer, q.count);
    if (io.mir >= 0) this.counters.sendErrors += io.lib.send(io.mir, q.buffer, q.table.buffer as ArrayBuffer, q.count);
    q.clear();
  }

  /** Sends everything still held (its lookahead filled with silence), then closes the socket. */
  async stop(): Promise<void> {
    if (this.native && !this.stopping) return this.stopNative(this.native);
    const socket = this.socket;
    if (!socket || this.stopping) return;
    this.stopping = true; // what arrives from now on would never leave
    for (const s of this.streams.values()) {
      this.times[T_NOW] = Infinity;
      s.pump();
      s.close();
      this.clearTimer(s.ssrc);
    }
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.closeSpares();
    // Sends are handed to the kernel synchronously when its buffer has room; give the rare queued
    // one a turn of the event loop before the sockets close.
    await new Promise((resolve) => setImmediate(resolve));
    this.socket = undefined;
    for (const s of [socket, this.forwardSocket, this.mirrorSocket]) {
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    this.forwardSocket = this.mirrorSocket = undefined;
  }

  private async stopNative(io: NativeIo): Promise<void> {
    this.stopping = true;
    for (const s of this.streams.values()) {
      this.times[T_NOW] = Infinity;
      s.pump();
      s.close();
      io.releases.forget(s);
    }
    this.flush();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.closeSpares();
    for (const w of io.watchers) io.lib.unwatch(w);
    for (const fd of [io.fd, io.fwd, io.mir, io.timerFd]) if (fd >= 0) io.lib.close(fd);
    this.native = undefined;
  }

  address(): UdpAddress | undefined {
    return this.bound;
  }

  /** The listen socket's receive buffer as the kernel reports it (Linux: twice the size granted), or undefined before start. */
  recvBufferSize(): number | undefined {
    return this.native ? this.native.granted : this.socket?.getRecvBufferSize();
  }

  get secure(): boolean {
    return this.secureOn;
  }

  /** Secure mode on or off; applies to every packet that has not left yet. */
  setSecure(on: boolean): void {
    this.secureOn = on;
  }

  stats(): RelayStats {
    const n = Math.min(this.latencyCount, LATENCY_WINDOW);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const q = (f: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(f * n))]);
    return {
      ...this.counters,
      secure: this.secureOn,
      streams: this.streams.size,
      latencyMs: { count: this.latencyCount, median: q(0.5), p99: q(0.99), max: n === 0 ? 0 : sorted[n - 1] },
    };
  }

  /** Entry point of every datagram; public so tests and benchmarks can drive the relay without a socket. */
  onDatagram(datagram: Uint8Array): void {
    // G.711 audio is held for the lookahead as a copy in its stream's own storage (held-audio.ts),
    // not in the ArrayBuffer of its own the socket gave it, which then dies young.
    this.times[T_NOW] = this.clock.now();
    this.receive(datagram, false);
  }

  /**
   * A datagram which arrived at times[T_NOW] (the kernel's stamp on the native path). `transient`:
   * its bytes are reused after this call (the native receive buffer), so whatever is held must be a copy.
   */
  private receive(msg: Uint8Array, transient: boolean): void {
    if (this.stopping) return;
    const c = this.counters;
    c.datagramsIn++;
    if (msg.length >= 8 && msg[0] >> 6 === 2 && (msg[1] & 0x7f) >= 72 && (msg[1] & 0x7f) <= 76) {
      // RTCP multiplexed on the RTP port (RFC 5761 §4: packet types 200–204 in octet 1): reports,
      // not media; on at once, unchanged.
      c.passedThrough++;
      this.times[T_SENT] = this.times[T_NOW];
      this.send(msg);
      return;
    }
    // The same accept/reject rules as parseRtp (RFC 3550 §5.1, §5.3.1), without its objects.
    const p = this.header;
    if (!p.read(msg, 0, msg.length)) {
      c.malformed++;
      return;
    }
    const pt = p.payloadType;
    if (pt === PT_PCMU || pt === PT_PCMA) {
      c.audioIn++;
      const s = this.stream(p.ssrc | 0);
      s.onAudio(p, msg);
      this.arm(s);
    } else if (this.eventPts ? this.eventPts.has(pt) : isLikelyTelephoneEvent(pt, p.payloadLength)) {
      c.eventsIn++;
      const s = this.stream(p.ssrc | 0);
      // The copy has the same layout: the header's offsets hold for it.
      if (transient) msg = this.heldCopy(msg);
      s.onEvent(p, msg);
      this.arm(s);
    } else if (this.secureOn && pt !== PT_CN) {
      // A codec the masker cannot read (G.729, Opus, ...) could carry a keyed digit in-band that
      // nothing here would find: in secure mode it fails closed, dropped and counted.
      c.unmaskable++;
    } else {
      // Comfort noise (RFC 3389), or anything outside secure mode: nothing to mask, on unchanged, in order.
      c.passedThrough++;
      const s = this.stream(p.ssrc | 0);
      if (transient) msg = this.heldCopy(msg);
      s.onOther(p, msg);
      this.arm(s);
    }
  }

  /** A copy of a datagram held as it is (events, comfort noise: a few per stream), packed with others (packet-arena.ts). */
  private heldCopy(msg: Uint8Array): Uint8Array {
    // Uint8Array, not a Buffer: a Buffer's slice() would be a view of the reused bytes.
    return msg.length <= ARENA_MAX_DATAGRAM ? this.arena.copy(msg) : new Uint8Array(msg);
  }

  /**
   * The stream of an SSRC given as `ssrc | 0`. Why signed: an SSRC is random (RFC 3550 §8.1), so
   * half of them are 2^31 or more, which V8 holds as a heap number, made anew for every lookup
   * (measured: 8 bytes a packet on average, scripts/relay-alloc.ts); a signed 32-bit integer is
   * always a small integer.
   */
  private stream(key: number): RtpStream {
    // The making is a method of its own: the closures it creates capture the SSRC, and a function
    // that creates closures allocates their context on every call, found or not (measured: 40
    // bytes a packet, scripts/relay-alloc.ts).
    return this.streams.get(key) ?? this.newStream(key);
  }

  private newStream(key: number): RtpStream {
    let s = this.spares.pop();
    if (s) s.reuse(key >>> 0);
    else s = this.makeStream(key >>> 0);
    this.streams.set(key, s);
    return s;
  }

  private makeStream(ssrc: number): RtpStream {
    return new RtpStream(ssrc, this.streamSettings, this.streamHooks, this.counters, this.times);
  }

  /** One timer per stream, armed for its earliest deadline; in a steady stream it rarely fires. */
  private arm(s: RtpStream): void {
    if (!s.nextWakeup()) return;
    const at = s.wakeAt;
    if (this.native) {
      const q = this.native.releases;
      q.times[Q_AT] = at;
      return q.arm(s);
    }
    const t = this.timers.get(s.ssrc);
    if (t && t.at <= at) return;
    if (t) this.clock.clearTimeout(t.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(s.ssrc);
      // Deadlines are acted on after the event loop's I/O phase: timers run before it, and after a
      // stall (GC, a busy machine) the datagrams waiting in the socket are on time, not lost.
      this.defer(() => {
        if (!this.socket) return;
        this.times[T_NOW] = this.clock.now();
        s.pump();
        this.arm(s);
      });
    }, Math.max(0, Math.ceil(at - this.times[T_NOW])));
    this.timers.set(s.ssrc, { handle, at });
  }

  /** Runs `fn` after pending I/O: setImmediate under the system clock, at once under a test clock. */
  private defer(fn: () => void): void {
    if (this.clock === relaySystemClock) setImmediate(fn);
    else fn();
  }

  private clearTimer(ssrc: number): void {
    const t = this.timers.get(ssrc);
    if (t) this.clock.clearTimeout(t.handle);
    this.timers.delete(ssrc);
  }

  /** Sends a datagram which arrived at times[T_SENT]. */
  private send(datagram: Uint8Array): void {
    const io = this.native;
    if (io) {
      // Queued, sent by the flush at the end of this batch or tick (one sendmmsg per peer).
      const q = io.sendQ;
      if (!q.push(datagram)) {
        this.flush();
        q.push(datagram);
      }
      q.arrivedAt[q.count - 1] = this.times[T_SENT];
      this.counters.forwarded++;
      if (io.mir >= 0) this.counters.mirrored++;
      return;
    }
    const fwd = this.forwardSocket;
    if (!fwd) return;
    this.latencies[this.latencyCount++ % LATENCY_WINDOW] = this.clock.now() - this.times[T_SENT];
    // A copy: audio comes as a view into its stream's reused storage (held-audio.ts), and Node's
    // socket may still hold the bytes after send() returns (queued behind a full socket buffer).
    // In the arena, whose blocks are never reused: not an ArrayBuffer of its own per datagram.
    const out = datagram.length <= ARENA_MAX_DATAGRAM ? this.arena.copy(datagram) : new Uint8Array(datagram);
    // No callback: with one, Node schedules a tick per datagram. Failures are counted (sendErrors).
    fwd.send(out);
    this.counters.forwarded++;
    if (this.mirrorSocket) {
      this.mirrorSocket.send(out);
      this.counters.mirrored++;
    }
  }

  /** The spares' maskers' DSP state freed now (two a spare), not when the collector finds them. */
  private closeSpares(): void {
    for (const s of this.spares) s.close();
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, s] of this.streams) {
      if (s.idle && now - s.lastActivity > this.idleTimeoutMs) {
        this.clearTimer(s.ssrc);
        this.streams.delete(key);
        if (this.spares.length < this.spareLimit) {
          this.native?.releases.disarm(s);
          s.retire();
          this.spares.push(s);
        } else {
          this.native?.releases.forget(s);
          s.close();
        }
      }
    }
  }
}

/** The native path's sockets and buffers (udp-native.ts). */
interface NativeIo {
  lib: UdpBatch;
  /** The addon's clock on this relay's scale. */
  clock: NativeClock;
  /** Listen, forward and mirror sockets (mirror -1: none), and the release timer. */
  fd: number;
  fwd: number;
  mir: number;
  timerFd: number;
  /** The deadline the timer is armed for. */
  timerAt: number;
  /** The arrival time of the newest datagram read (see releaseDue). */
  readUpTo: number;
  /** SO_RCVBUF as the kernel granted it. */
  granted: number;
  recv: RecvBuffer;
  sendQ: SendQueue;
  releases: ReleaseQueue<RtpStream>;
  watchers: object[];
}

/** RFC 3389 comfort noise: a noise level and spectral shape, no room for a tone. */
const PT_CN = 13;

function isLikelyTelephoneEvent(pt: number, payloadLength: number): boolean {
  return pt >= 96 && pt <= 127 && payloadLength >= 4 && payloadLength <= 16 && payloadLength % 4 === 0;
}

/** A UDP socket on the listen address's interface, connected to `to`. */
async function connectedSocket(from: ResolvedAddress, to: ResolvedAddress): Promise<Socket> {
  const s = createSocket({ type: from.family === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, from.host, () => {
      s.connect(to.port, to.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
  });
  return s;
}

/** The board's masker, codewords in and out (src/dsp/masker.ts). */
export const boardMasker: MaskerFactory = (codec, s) => new G711Masker(codec, s);
