/**
 * Drives one RtpStream under fake time, the way RtpRelay does with real timers: before each
 * arrival every wake-up that falls due is run at its own time.
 */
import type { G711Codec } from '../../../src/dsp/g711.ts';
import { g711Silence } from '../../../src/dsp/g711.ts';
import { serializeRtp } from '../../../src/rtp/packet.ts';
import { serializeTelephoneEvent, type TelephoneEvent } from '../../../src/rtp/telephone-event.ts';
import type { CodewordMasker, CodewordMaskWindow, MaskerFactory } from '../../../firmware-sim/relay/masker-port.ts';
import { lookaheadSamples } from '../../../firmware-sim/relay/masker-port.ts';
import { newRelayCounters } from '../../../firmware-sim/relay/relay-counters.ts';
import { RtpHeaderView } from '../../../firmware-sim/relay/rtp-header-view.ts';
import { relayTimes, T_NOW, T_SENT } from '../../../firmware-sim/relay/relay-times.ts';
import { type MaskedSpan, RtpStream, type StreamSettings } from '../../../firmware-sim/relay/rtp-stream.ts';

export const SSRC = 0x1234abcd;

/** The header of a datagram as RtpRelay hands it to a stream (a header reader of its own here); throws when it is not RTP. */
export function rtpHeader(datagram: Uint8Array): RtpHeaderView {
  const h = new RtpHeaderView();
  if (!h.read(datagram, 0, datagram.length)) throw new Error(`not RTP: ${h.reason}`);
  return h;
}

export function audioPacket(seq: number, ts: number, payload: Uint8Array, o: { pt?: number; marker?: boolean; ssrc?: number } = {}): Buffer {
  return serializeRtp({
    version: 2,
    padding: false,
    extension: false,
    marker: o.marker ?? false,
    payloadType: o.pt ?? 8,
    sequence: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc: o.ssrc ?? SSRC,
    csrc: [],
    payload,
  });
}

export function eventPacket(seq: number, ts: number, ev: TelephoneEvent, o: { pt?: number; marker?: boolean; ssrc?: number } = {}): Buffer {
  return audioPacket(seq, ts, serializeTelephoneEvent(ev), { pt: o.pt ?? 101, marker: o.marker, ssrc: o.ssrc });
}

/**
 * A stand-in for G711Masker with its contract and nothing else: output i = input i − D, with
 * `transform` applied to each codeword on the way (a "mask" the test can predict), and a window
 * reported for each run of codewords that `transform` changed.
 */
export function fakeMasker(transform: (code: number) => number = (c) => c): MaskerFactory {
  return (codec: G711Codec, s) => {
    const d = lookaheadSamples(s);
    const line: number[] = new Array(d).fill(g711Silence(codec));
    let outIndex = 0;
    let runStart = -1;
    let windows: CodewordMaskWindow[] = [];
    const m: CodewordMasker = {
      process(codes, out = new Uint8Array(codes.length)) {
        for (let k = 0; k < codes.length; k++) {
          line.push(codes[k]);
          const c = line.shift()!;
          const t = transform(c);
          out[k] = t;
          if (t !== c && runStart < 0) runStart = outIndex;
          if (t === c && runStart >= 0) {
            windows.push({ startSample: runStart, endSample: outIndex });
            runStart = -1;
          }
          outIndex++;
        }
        return out;
      },
      drainWindows() {
        const w = windows;
        windows = [];
        return w;
      },
      reset() {
        line.fill(g711Silence(codec));
        outIndex = 0;
        runStart = -1;
        windows = [];
      },
    };
    return m;
  };
}

export interface Sent {
  /** A copy of the bytes sent, taken when they were sent. */
  data: Buffer;
  /**
   * The test's own datagram when the stream sent the very bytes object it was given (a
   * passthrough), else the object sent. The stream gets a copy of each datagram (it may rewrite
   * payloads in place, as it may the socket's buffers), so the test's datagrams stay pristine.
   */
  original: Uint8Array;
  at: number;
  arrivedAt: number;
}

export function streamHarness(settings: Partial<StreamSettings> = {}, secure = true) {
  let now = 0;
  let secureOn = secure;
  const sent: Sent[] = [];
  const spans: MaskedSpan[] = [];
  const counters = newRelayCounters();
  const given = new Map<Uint8Array, Buffer>();
  // The relay's clock reading as RtpRelay shares it with its streams (relay-times.ts).
  const times = relayTimes();
  const s = new RtpStream(
    SSRC,
    { maskTone: '#', lookaheadMs: 40, jitterMs: 30, eventHangoverMs: 100, maxGapMs: 1000, createMasker: fakeMasker(), ...settings },
    {
      isSecure: () => secureOn,
      send: (d) => sent.push({ data: Buffer.from(d), original: given.get(d) ?? d, at: now, arrivedAt: times[T_SENT] }),
      masked: (_ssrc, span) => spans.push(span),
    },
    counters,
    times,
  );
  // Wake-ups due at the very time a datagram arrives run after it (`before`), as in RtpRelay,
  // which acts on deadlines after the event loop's I/O phase.
  const advance = (t: number, before = false) => {
    while (s.nextWakeup() && (before ? s.wakeAt < t : s.wakeAt <= t)) {
      now = Math.max(now, s.wakeAt);
      times[T_NOW] = now;
      s.pump();
    }
    now = Math.max(now, t);
  };
  const receive = (datagram: Buffer) => {
    const copy = Buffer.from(datagram);
    given.set(copy, datagram);
    const p = rtpHeader(copy);
    times[T_NOW] = now;
    if (p.payloadType === 0 || p.payloadType === 8) s.onAudio(p, copy);
    else if (p.payloadType === 13) s.onOther(p, copy); // comfort noise (RFC 3389), as RtpRelay routes it
    else s.onEvent(p, copy);
  };
  return {
    stream: s,
    sent,
    spans,
    counters,
    setSecure: (on: boolean) => (secureOn = on),
    /** Delivers a datagram at time t (ms). */
    deliver(t: number, datagram: Buffer) {
      advance(t, true);
      receive(datagram);
    },
    /**
     * Delivers a datagram at time t (ms) without running the wake-ups that fell due before it: a
     * relay whose event loop was held up reads its socket's queue first.
     */
    deliverAfterStall(t: number, datagram: Buffer) {
      now = Math.max(now, t);
      receive(datagram);
    },
    /** Lets time run to t, firing wake-ups on the way. */
    advance: (t: number) => advance(t),
    /** Drains everything (what stop() does). */
    end() {
      times[T_NOW] = Infinity;
      s.pump();
    },
    /**
     * The relay's reuse of an ended call's state (its sweep's `retire`, then RtpRelay.newStream's
     * `reuse`): the stream is made new for `ssrc`, the clock set to `t`, and what was sent,
     * reported and counted so far is forgotten by the harness.
     */
    reuse(ssrc: number, t: number) {
      s.retire();
      s.reuse(ssrc);
      sent.length = 0;
      spans.length = 0;
      given.clear();
      for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] = 0;
      now = t;
    },
    /** Sets the clock to `t` for a stream that has seen nothing yet (a fresh stream compared with a reused one). */
    startAt(t: number) {
      now = t;
    },
  };
}

/** Payload of `n` codewords counting up from `start` (mod 256), avoiding nothing in particular. */
export function ramp(n: number, start: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}
