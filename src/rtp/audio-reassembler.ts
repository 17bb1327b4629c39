/**
 * G.711 audio of one stream put back in timestamp order, gaps filled with silence, emitted
 * incrementally: packets wait in a reorder window of bounded size, so memory stays constant
 * however long the call. One G.711 codeword is one sample at 8000 Hz (ITU-T G.711), so RTP
 * timestamp units are sample indexes (RFC 3551 §4.5.14).
 */
import type { G711Codec } from '../dsp/g711.ts';

export interface AudioChunk {
  codec: G711Codec;
  /** Sample index of codes[0] since the stream's first RTP timestamp. */
  sampleOffset: number;
  codes: Uint8Array;
  /** True for filler standing in for lost or missing packets. */
  silence: boolean;
}

export interface AudioReassemblerOptions {
  /** Packets held for reordering; 50 is one second of 20 ms packets, beyond any real jitter buffer. */
  reorderWindow?: number;
  /** Longest gap filled with silence; longer timestamp jumps are skipped (counted), not filled. 60 s. */
  maxGapSamples?: number;
}

/** G.711 codewords that decode to 0 (µ-law 0xFF) and to the smallest level (A-law 0xD5, ±8). */
export const SILENCE_CODE: Record<G711Codec, number> = { ulaw: 0xff, alaw: 0xd5 };
const SILENCE_CHUNK = 8000;
/**
 * Held payloads are copied into slabs of this size, one allocation per ~100 packets of 20 ms
 * instead of one per packet: a typed array over 64 bytes has its own off-heap store, and those per
 * packet were a tenth of the verifier's time in allocation and collection. A slab is never written
 * twice, so every chunk handed out stays valid; a full slab is dropped and freed once the chunks
 * that view it are gone (at most one reorder window later).
 */
const SLAB_BYTES = 16 * 1024;

interface Held {
  ts: number;
  codec: G711Codec;
  codes: Uint8Array;
}

export class AudioReassembler {
  private readonly held: Held[] = [];
  private nextTs: number | undefined;
  private readonly window: number;
  private readonly maxGap: number;
  /** Packets that arrived after their place in the output had been emitted. */
  late = 0;
  /** Samples of silence inserted for gaps. */
  filledSamples = 0;
  /** Timestamp jumps too long to fill. */
  jumps = 0;
  private slab = new Uint8Array(0);
  private slabUsed = 0;

  constructor(private readonly baseTs: number, opts: AudioReassemblerOptions = {}) {
    this.window = opts.reorderWindow ?? 50;
    this.maxGap = opts.maxGapSamples ?? 60 * 8000;
  }

  /** Adds a packet's payload at its extended RTP timestamp; returns whatever left the window. */
  push(extTs: number, codec: G711Codec, codes: Uint8Array, out: AudioChunk[]): void {
    if (this.nextTs !== undefined && extTs + codes.length <= this.nextTs) {
      this.late++;
      return;
    }
    // Copy (not .slice(): on a Buffer view that is another view): the reader hands out views of its
    // read chunk, and a held view would pin the whole chunk.
    const h: Held = { ts: extTs, codec, codes: this.copy(codes) };
    let i = this.held.length;
    while (i > 0 && this.held[i - 1].ts > extTs) i--;
    if (i === this.held.length) this.held.push(h);
    else this.held.splice(i, 0, h);
    while (this.held.length > this.window) this.emit(this.held.shift()!, out);
  }

  private copy(codes: Uint8Array): Uint8Array {
    const n = codes.length;
    if (n > SLAB_BYTES / 4) return new Uint8Array(codes);
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    out.set(codes);
    this.slabUsed += n;
    return out;
  }

  /** Emits everything still held (end of capture). */
  flush(out: AudioChunk[]): void {
    while (this.held.length > 0) this.emit(this.held.shift()!, out);
  }

  private emit(h: Held, out: AudioChunk[]): void {
    let { ts, codes } = h;
    if (this.nextTs !== undefined) {
      if (ts + codes.length <= this.nextTs) {
        this.late++;
        return;
      }
      if (ts < this.nextTs) {
        // Overlap with audio already emitted: keep only the new tail.
        codes = codes.subarray(this.nextTs - ts);
        ts = this.nextTs;
      } else if (ts > this.nextTs) {
        const gap = ts - this.nextTs;
        if (gap > this.maxGap) this.jumps++;
        else {
          for (let o = 0; o < gap; o += SILENCE_CHUNK) {
            const n = Math.min(SILENCE_CHUNK, gap - o);
            out.push({ codec: h.codec, sampleOffset: this.nextTs + o - this.baseTs, codes: new Uint8Array(n).fill(SILENCE_CODE[h.codec]), silence: true });
          }
          this.filledSamples += gap;
        }
      }
    }
    if (codes.length > 0) out.push({ codec: h.codec, sampleOffset: ts - this.baseTs, codes, silence: false });
    this.nextTs = ts + codes.length;
  }
}
