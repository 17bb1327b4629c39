/**
 * The frame formats of a primary-rate span and their fixed figures.
 *
 * Both rates carry 8000 frames per second (one G.711 codeword per timeslot per 125 µs):
 *   E1, ITU-T G.704 §2.3: 32 timeslots of 8 bits = 256 bits, 2048 kbit/s. TS0 carries the frame
 *     alignment signal (FAS) and NFAS alternately and bit 1 carries the CRC-4 multiframe; TS16
 *     carries CAS (G.704 §5.1.3) or a CCS channel; TS1-15 and TS17-31 are the 30 bearers.
 *   T1, ITU-T G.704 §3.1 / ANSI T1.403: an F bit then 24 timeslots = 193 bits, 1544 kbit/s. The F
 *     bits form a 24-frame extended superframe (ESF) or a 12-frame D4 superframe (SF).
 *
 * In memory a frame is bytes: E1 as its 32 timeslots; T1 as 25 bytes, byte 0 holding the F bit in
 * its least significant bit and bytes 1..24 the timeslots. The simulation runs in "ticks" of one
 * CRC block structure: an E1 CRC-4 multiframe (16 frames, 2 ms), a T1 ESF superframe (24 frames,
 * 3 ms) or a D4 superframe (12 frames, 1.5 ms).
 */
export type SpanKind = 'e1' | 't1';
export type T1Framing = 'esf' | 'd4';
export type Framing = 'e1-crc4' | T1Framing;
/** E1 TS16 use: channel-associated (ABCD bits per channel) or common-channel signalling. */
export type E1Signalling = 'cas' | 'ccs';

export const FRAMES_PER_SECOND = 8000;
/** Frames per millisecond: time inside the span is counted in frames (125 µs). */
export const FRAMES_PER_MS = 8;

export interface FrameFormat {
  kind: SpanKind;
  framing: Framing;
  /** Bytes per frame in memory. */
  frameBytes: number;
  /** Bits per frame on the line. */
  lineBitsPerFrame: number;
  /** Frames per simulation tick (one CRC block structure). */
  framesPerTick: number;
  /** Bearer timeslots, numbered as on the line (E1 1-15, 17-31; T1 1-24). */
  bearers: readonly number[];
  /** The idle codeword sent on a bearer nobody feeds: G.711 positive zero (A-law 0xD5 on E1, µ-law 0xFF on T1). */
  idle: number;
  /** Line bit rate. */
  bitRate: number;
}

const E1_BEARERS = Object.freeze([...Array(31).keys()].map((i) => i + 1).filter((ts) => ts !== 16));
const T1_BEARERS = Object.freeze([...Array(24).keys()].map((i) => i + 1));

export function frameFormat(kind: SpanKind, framing?: T1Framing): FrameFormat {
  if (kind === 'e1') {
    return { kind, framing: 'e1-crc4', frameBytes: 32, lineBitsPerFrame: 256, framesPerTick: 16, bearers: E1_BEARERS, idle: 0xd5, bitRate: 2_048_000 };
  }
  const f = framing ?? 'esf';
  return { kind, framing: f, frameBytes: 25, lineBitsPerFrame: 193, framesPerTick: f === 'esf' ? 24 : 12, bearers: T1_BEARERS, idle: 0xff, bitRate: 1_544_000 };
}

/** Number of zero bits in each byte value (for the AIS all-ones detector). */
export const ZEROS = new Uint8Array(256).map((_, b) => {
  let z = 0;
  for (let i = 0; i < 8; i++) if (!((b >> i) & 1)) z++;
  return z;
});
