/**
 * Bad inputs for every parser that reads something a user, a peer or a file can supply, fed in
 * the soak's own process while the soak runs: random bytes and mutations of one valid input per
 * parser (flipped bits, cut, spliced, repeated, bytes inserted). Each parser must either accept
 * the input or reject it with its documented error; anything else is a crash: another exception
 * type, or an answer slower than HANG_MS (a loop that never ends would stop the soak itself,
 * which the soak's own deadline then reports).
 *
 * The generator is seeded (a 32-bit xorshift), so a crash is reproduced from its seed and index.
 */
import { Readable } from 'node:stream';
import { isDgError } from '../../src/errors.ts';
import { encodeFrame, decodeFrame } from '../../src/protocol/frame.ts';
import { FrameStream } from '../../src/protocol/parser.ts';
import { readCapture } from '../../src/capture/read-capture.ts';
import { pcapFileHeader, pcapRecord, type PcapFormat } from '../../src/capture/pcap-writer.ts';
import { LINKTYPE } from '../../src/capture/link-types.ts';
import { udpIpPackets, encapsulate } from '../../src/capture/frame-builder.ts';
import { parseRtp, serializeRtp, RtpParseError } from '../../src/rtp/packet.ts';
import { parseTelephoneEvent, serializeTelephoneEvent } from '../../src/rtp/telephone-event.ts';
import { BufferRandomAccess } from '../../src/audio/random-access.ts';
import { openWavSource } from '../../src/audio/audio-source.ts';
import { parseConfigData } from '../../src/config/config-file.ts';
import { parseScenario } from '../scenario/schema.ts';
import { parseRange } from '../../src/service/nagios.ts';

/** An answer slower than this on an input of a few hundred bytes counts as a hang. */
export const HANG_MS = 2000;

export interface ParserTally {
  tried: number;
  accepted: number;
  rejected: number;
  crashes: number;
  /** The first few crashes: what was thrown, and the seed/index that reproduces the input. */
  examples: string[];
}

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

/** One mutation of `seed`: random bytes a quarter of the time, otherwise a damaged copy of the valid input. */
export function mutate(rng: Rng, seed: Uint8Array): Uint8Array {
  if (rng.int(4) === 0) return rng.bytes(rng.int(300));
  let b: Uint8Array = Uint8Array.from(seed);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(6);
    const at = b.length ? rng.int(b.length) : 0;
    if (op === 0 && b.length) b[at] ^= 1 << rng.int(8);
    else if (op === 1) b = b.slice(0, at);
    else if (op === 2) b = concat(b.slice(0, at), rng.bytes(1 + rng.int(16)), b.slice(at));
    else if (op === 3 && b.length) b[at] = [0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x3d, 0x20][rng.int(8)];
    else if (op === 4) b = concat(b, b.slice(at));
    else if (op === 5 && b.length) b = concat(b.slice(0, at), b.slice(at + 1 + rng.int(8)));
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
/** A JSON mutation: a damaged serialisation that still parses is tried as data; one that does not parse is tried as a value swap. */
function mutateJson(rng: Rng, valid: unknown): unknown {
  const damaged = text(mutate(rng, Buffer.from(JSON.stringify(valid))));
  try {
    return JSON.parse(damaged);
  } catch {
    return swapValue(rng, structuredClone(valid));
  }
}
const ODD_VALUES: unknown[] = [null, -1, 1e308, '', 'x'.repeat(5000), [], {}, true, '4111111111111111', Number.NaN, '../../etc/passwd'];
function swapValue(rng: Rng, v: unknown): unknown {
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length) {
      const k = keys[rng.int(keys.length)];
      const o = v as Record<string, unknown>;
      o[k] = rng.int(2) ? ODD_VALUES[rng.int(ODD_VALUES.length)] : swapValue(rng, o[k]);
      return v;
    }
  }
  return ODD_VALUES[rng.int(ODD_VALUES.length)];
}

interface Target {
  name: string;
  /** Resolves when the parser accepted the input; throws what the parser threw. */
  feed(rng: Rng): Promise<void> | void;
  /** The documented way this parser rejects input. */
  documented(e: unknown): boolean;
}

const validFrame = encodeFrame({ kind: 'req', seq: 42, name: 'SET_MASK_TONE', fields: { tone: '#' } });
const validRtp = serializeRtp({ version: 2, padding: false, extension: false, marker: true, payloadType: 0, sequence: 7, timestamp: 160, ssrc: 0x1234, csrc: [], payload: new Uint8Array(160).fill(0xff) });
const validEvent = serializeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 });
const validPcap = (() => {
  const fmt: PcapFormat = { linkType: LINKTYPE.ETHERNET, snapLen: 65535 };
  const frames = udpIpPackets({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 4000, dstPort: 5004 }, validRtp).map((ip) => encapsulate({ linkType: LINKTYPE.ETHERNET }, ip));
  return concat(pcapFileHeader(fmt), ...frames.map((f, i) => pcapRecord(fmt, BigInt(i) * 20_000_000n, f)));
})();
const validWav = (() => {
  const data = Buffer.alloc(320, 0xd5);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(6, 20); // WAVE_FORMAT_ALAW
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return concat(h, data);
})();
const validConfig = { maskTone: '#', sip: { listen: '127.0.0.1:5004', forward: '127.0.0.1:5006', ptPcmu: 0, ptPcma: 8, ptEvent: 101 } };
const validScenario = { name: 'fuzz', profile: 'sip-edge', timeline: [{ speech: { ms: 200 } }, { secure: true }, { digits: { keys: '4111111111111111', events: true } }, { secure: false }] };
const validRanges = ['10', '10:', '~:10', '10:20', '@10:20', '0.5:1e3'];

async function drain(reader: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of reader) void _;
}

export const TARGETS: Target[] = [
  { name: 'protocol frame (decodeFrame)', feed: (r) => void decodeFrame(Buffer.from(mutate(r, validFrame))), documented: isDgError },
  {
    name: 'protocol stream (FrameStream)',
    // The stream parser never throws: every byte ends up in a frame, a discard notice or the pending buffer.
    feed: (r) =>
      new Promise<void>((resolve, reject) => {
        const s = new FrameStream();
        s.on('data', () => undefined);
        s.on('error', reject);
        s.on('end', () => (s.stats.bytesIn === total ? resolve() : reject(new Error(`FrameStream lost bytes: ${s.stats.bytesIn} of ${total}`))));
        let total = 0;
        for (let i = 0, n = 1 + r.int(6); i < n; i++) {
          const chunk = Buffer.from(r.int(2) ? mutate(r, validFrame) : concat(validFrame, new Uint8Array([0x0a])));
          total += chunk.length;
          s.write(chunk);
        }
        s.end();
      }),
    documented: () => false,
  },
  { name: 'capture (readCapture)', feed: (r) => drain(readCapture(Readable.from([Buffer.from(mutate(r, validPcap))]))), documented: isDgError },
  { name: 'RTP (parseRtp)', feed: (r) => void parseRtp(mutate(r, validRtp)), documented: (e) => e instanceof RtpParseError },
  // parseTelephoneEvent documents a RangeError for a payload shorter than RFC 4733 §2.3's 4 octets.
  { name: 'telephone-event (parseTelephoneEvent)', feed: (r) => void parseTelephoneEvent(mutate(r, validEvent)), documented: (e) => e instanceof RangeError },
  {
    name: 'WAV (openWavSource)',
    feed: async (r) => {
      const src = await openWavSource(new BufferRandomAccess(Buffer.from(mutate(r, validWav))), 'fuzz.wav');
      try {
        for await (const _ of src.blocks(160)) void _;
      } finally {
        await src.close();
      }
    },
    documented: isDgError,
  },
  { name: 'config file (parseConfigData)', feed: (r) => void parseConfigData(mutateJson(r, validConfig), 'fuzz.json'), documented: isDgError },
  { name: 'scenario (parseScenario)', feed: (r) => void parseScenario(mutateJson(r, validScenario), 'fuzz.json'), documented: isDgError },
  { name: 'Nagios range (parseRange)', feed: (r) => void parseRange(text(mutate(r, Buffer.from(validRanges[r.int(validRanges.length)])))), documented: isDgError },
];

export function emptyTally(): ParserTally {
  return { tried: 0, accepted: 0, rejected: 0, crashes: 0, examples: [] };
}

/**
 * Feeds bad inputs to every parser for about `budgetMs`, round-robin, and adds to `tallies`.
 * Yields to the event loop between inputs so the soak's other work keeps its timing.
 */
export async function fuzzParsers(tallies: Record<string, ParserTally>, seed: number, budgetMs: number): Promise<void> {
  const end = Date.now() + budgetMs;
  let i = 0;
  while (Date.now() < end) {
    for (const t of TARGETS) {
      const tally = (tallies[t.name] ??= emptyTally());
      const inputSeed = (seed + tally.tried * 2654435761) >>> 0;
      const rng = new Rng(inputSeed);
      tally.tried++;
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => t.feed(rng)),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new HangError()), HANG_MS))),
        ]);
        tally.accepted++;
      } catch (e) {
        if (!(e instanceof HangError) && Date.now() - t0 <= HANG_MS && t.documented(e)) tally.rejected++;
        else {
          tally.crashes++;
          if (tally.examples.length < 5) tally.examples.push(`seed ${inputSeed}: ${e instanceof HangError ? `no answer in ${HANG_MS} ms` : `${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e).slice(0, 160)}`}`);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    if (++i % 4 === 0) await new Promise((r) => setImmediate(r));
  }
}

class HangError extends Error {}
