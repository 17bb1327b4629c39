/**
 * The caller of a scripted call: plays a rendered scenario's caller leg as RTP (RFC 3550) over a
 * real UDP socket at real-time pace, G.711 in packets of 10–60 ms, and sends RFC 4733
 * telephone-events for the digits the scenario marks (alongside the in-band tone: gateways often
 * let a tone's start through before switching to events, which is the harder case for masking).
 * Secure-mode switches and faults are handed to the caller of this function at their moments.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { encodeG711, type G711Codec } from '../../src/dsp/g711.ts';
import { serializeRtp } from '../../src/rtp/packet.ts';
import { keyToEvent, serializeTelephoneEvent } from '../../src/rtp/telephone-event.ts';
import type { KeyedDigit, RenderedScenario, ScenarioAction } from '../scenario/render.ts';

export interface RtpCallerOptions {
  /** Where the caller's RTP goes (the appliance's listen address): `127.0.0.1:5004`. */
  to: string;
  codec: G711Codec;
  packetMs: number;
  /** RFC 4733 telephone-event payload type (dynamic, negotiated in SDP). Default 101. */
  eventPt?: number;
  ssrc?: number;
  /** 1 plays in real time; 2 twice as fast (for rigs in a hurry; the relay sees the same packets). */
  speed?: number;
  onAction?: (action: ScenarioAction) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface RtpCallerResult {
  audioPackets: number;
  eventPackets: number;
  ssrc: number;
  durationMs: number;
  /** Sends the far end's host refused (ICMP port unreachable): nothing listened. */
  refused: number;
  /** Silence inserted while actions ran, by scenario time. */
  inserted: Array<{ atScenarioMs: number; ms: number }>;
  /** Where a moment of the scenario landed in the stream (RTP time from the first packet). */
  toStreamMs(scenarioMs: number): number;
}

const SAMPLE_RATE = 8000;

function splitAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new Error(`bad address ${text}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

/** RFC 4733 §2.5: event packets every packet interval while the key is down, then the end packet three times. */
function eventPacketsAt(d: KeyedDigit, tMs: number, packetMs: number): Array<{ end: boolean; durationSamples: number }> {
  if (tMs < d.startMs || tMs >= d.endMs + 3 * packetMs) return [];
  const toneSamples = Math.round(((d.endMs - d.startMs) * SAMPLE_RATE) / 1000);
  if (tMs < d.endMs) {
    const elapsed = Math.min(toneSamples, Math.round(((tMs - d.startMs + packetMs) * SAMPLE_RATE) / 1000));
    return [{ end: false, durationSamples: elapsed }];
  }
  return [{ end: true, durationSamples: toneSamples }];
}

export async function playScenarioRtp(scene: RenderedScenario, opts: RtpCallerOptions): Promise<RtpCallerResult> {
  const { host, port } = splitAddress(opts.to);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A connected UDP socket hears ICMP "port unreachable" as ECONNREFUSED on the next send: the far
  // end is not up (yet). A caller keeps talking regardless, as a phone would.
  let refused = 0;
  socket.on('error', () => refused++);
  const ssrc = opts.ssrc ?? randomInt(1, 2 ** 31);
  const eventPt = opts.eventPt ?? 101;
  const payloadType = opts.codec === 'ulaw' ? 0 : 8;
  const perPacket = Math.round((opts.packetMs * SAMPLE_RATE) / 1000);
  const packets = Math.ceil(scene.caller.length / perPacket);
  const speed = opts.speed ?? 1;
  let seq = randomInt(0, 65536);
  const ts0 = randomInt(0, 2 ** 31);
  const actions = [...scene.actions].sort((a, b) => a.atMs - b.atMs);
  let nextAction = 0;
  const eventDigits = scene.keyed.filter((k) => k.events && k.leg === 'caller');
  const markerSent = new Set<KeyedDigit>();
  let audioPackets = 0;
  let eventPackets = 0;
  /** Stream time inserted while actions ran (silence keeps flowing, as on a real call). */
  const inserted: Array<{ atScenarioMs: number; ms: number }> = [];
  const start = performance.now();
  let j = 0; // stream packet index: advances with every packet sent, silence included
  const sendAudio = async (samples: Int16Array | undefined, marker: boolean) => {
    const due = start + (j * opts.packetMs) / speed;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const padded = new Int16Array(perPacket);
    if (samples) padded.set(samples);
    socket.send(serializeRtp({
      version: 2, padding: false, extension: false, marker, payloadType, sequence: seq, timestamp: (ts0 + j * perPacket) >>> 0, ssrc, csrc: [],
      payload: encodeG711(opts.codec, padded),
    }));
    seq = (seq + 1) & 0xffff;
    audioPackets++;
    j++;
  };
  try {
    for (let k = 0; k < packets; k++) {
      if (opts.signal?.aborted) break;
      const tMs = k * opts.packetMs;
      while (nextAction < actions.length && actions[nextAction].atMs <= tMs) {
        // The call goes on while the agent acts: silence flows until the action is done.
        let done = false;
        const pending = Promise.resolve(opts.onAction?.(actions[nextAction++])).finally(() => (done = true));
        const before = j;
        while (!done) {
          await sendAudio(undefined, false);
          await Promise.race([pending, new Promise((r) => setImmediate(r))]);
        }
        await pending;
        if (j > before) inserted.push({ atScenarioMs: tMs, ms: (j - before) * opts.packetMs });
      }
      const streamMs = j * opts.packetMs;
      await sendAudio(scene.caller.subarray(k * perPacket, Math.min(scene.caller.length, (k + 1) * perPacket)), k === 0);
      for (const d of eventDigits) {
        for (const ev of eventPacketsAt(d, tMs, opts.packetMs)) {
          const first = !markerSent.has(d);
          markerSent.add(d);
          const eventStreamMs = streamMs - (tMs - d.startMs);
          socket.send(serializeRtp({
            version: 2, padding: false, extension: false, marker: first, payloadType: eventPt, sequence: seq,
            // All packets of one event carry the timestamp of its start (RFC 4733 §2.5.1.1).
            timestamp: (ts0 + Math.round((eventStreamMs * SAMPLE_RATE) / 1000)) >>> 0, ssrc, csrc: [],
            payload: serializeTelephoneEvent({ event: keyToEvent(d.key), end: ev.end, volume: Math.min(63, Math.round(-d.levelDbm0)), duration: ev.durationSamples }),
          }));
          seq = (seq + 1) & 0xffff;
          eventPackets++;
        }
      }
    }
    while (nextAction < actions.length) await opts.onAction?.(actions[nextAction++]);
  } finally {
    socket.close();
  }
  return { audioPackets, eventPackets, ssrc, durationMs: performance.now() - start, refused, inserted, toStreamMs: (ms) => ms + inserted.filter((x) => x.atScenarioMs <= ms).reduce((a, x) => a + x.ms, 0) };
}
