/**
 * The masker's core (see masker.ts for what the masker does and why): options, the block marks,
 * the delay line and the mask switch over the channel's one tone analysis. This is the JS
 * implementation, kept as the reference for the WebAssembly kernel (wasm/channel-kernel.c) and
 * run when the kernel is not built.
 */
import { type MaskTone, isMaskTone } from './dtmf-keys.ts';
import { DelayLine, type SampleArray } from './delay-line.ts';
import { type G711Codec, ALAW_DECODE_TABLE, ULAW_DECODE_TABLE, g711Silence } from './g711.ts';
import { maskToneCodes, maskToneTable } from './mask-tone.ts';
import { TonePresence } from './tone-presence.ts';
import { DtmfAnalysis } from './dtmf-analysis.ts';
import type { DetectedDigit, DtmfDetector } from './detector.ts';
import { DgError } from '../errors.ts';

export interface MaskerOptions {
  maskTone: MaskTone;
  /** Delay of the audio path, giving the analysis its head start. Default 40 ms; MIN_LEAK_FREE_LOOKAHEAD_MS to leak nothing. */
  lookaheadMs?: number;
  /** Default 8000 Hz. */
  sampleRate?: number;
  /** Start in secure mode (masking). Default true; see `secure` on the maskers. */
  secure?: boolean;
  /**
   * Which implementation runs the channel: 'kernel', the WebAssembly kernel (wasm/kernel.ts;
   * throws when it is not built), 'js', the TypeScript reference, or 'auto' (default): the kernel
   * when it is built, else the reference. Both give the same output, windows and digits.
   */
  implementation?: 'auto' | 'kernel' | 'js';
}

/** A stretch of the output stream (sample indexes, end exclusive) replaced by the mask tone. Never a digit value. */
export interface MaskWindow {
  startSample: number;
  endSample: number;
}

/**
 * What `drainWindows` returns when nothing was masked (nearly every call: the relay drains per
 * packet): one shared empty array, never written (callers only read what they get), not a new one.
 */
export const NO_WINDOWS: MaskWindow[] = [];

export const DEFAULT_LOOKAHEAD_MS = 40;
/**
 * Below this lookahead a tone's leading edge can leave before the analysis has decided (3 blocks
 * of 5 ms, see masker.ts). Callers offering a shorter lookahead in secure mode should refuse or warn.
 */
export const MIN_LEAK_FREE_LOOKAHEAD_MS = 15;
/** Longer would only add delay to the call; 1 s is far beyond any use. */
export const MAX_LOOKAHEAD_MS = 1000;
/** Blocks masked before and after a triggering window (see the module comment of masker.ts). */
const PRE_PAD_BLOCKS = 1;
const POST_PAD_BLOCKS = 1;

export interface ResolvedOptions {
  maskTone: MaskTone;
  sampleRate: number;
  delaySamples: number;
}

/** Checks a masker's options (DgError DG2601..DG2603 for a bad one). */
export function resolveMaskerOptions(opts: MaskerOptions): ResolvedOptions {
  if (!opts || !isMaskTone(String(opts.maskTone))) {
    throw new DgError('DG2601', `mask tone must be '#', '0' or '1' (got ${JSON.stringify(opts?.maskTone)})`);
  }
  const sampleRate = opts.sampleRate ?? 8000;
  if (!Number.isInteger(sampleRate) || sampleRate < 4000 || sampleRate > 192000) {
    throw new DgError('DG2602', `sample rate must be a whole number of hertz from 4000 to 192000 (got ${sampleRate})`);
  }
  const lookaheadMs = opts.lookaheadMs ?? DEFAULT_LOOKAHEAD_MS;
  if (!Number.isFinite(lookaheadMs) || lookaheadMs < 0 || lookaheadMs > MAX_LOOKAHEAD_MS) {
    throw new DgError('DG2603', `lookahead must be 0 to ${MAX_LOOKAHEAD_MS} ms, e.g. --lookahead-ms 40 (got ${lookaheadMs})`);
  }
  return { maskTone: opts.maskTone, sampleRate, delaySamples: Math.round((lookaheadMs * sampleRate) / 1000) };
}

/**
 * Analysis, block marks and mask windows, shared by the linear and the G.711 masker. The element
 * type of the audio path (Int16 samples or G.711 codewords) only matters to the delay line and the
 * mask table; the analysis always gets 16-bit linear samples.
 */
export class MaskCore<T extends SampleArray> {
  readonly delaySamples: number;
  /** The channel's one tone analysis (dtmf-analysis.ts), fed 5 ms halves of the undelayed input. */
  readonly analysis: DtmfAnalysis;
  private readonly presence: TonePresence;
  /**
   * A Q.24 detector reading the same analysis (BoardChannelPipeline, board-pipeline.ts), stepped
   * after every second half; its digits collect in `digits` until taken. Null for a masker alone.
   */
  detector: DtmfDetector | null = null;
  digits: DetectedDigit[] = [];
  private readonly blockSize: number;
  private readonly blockBuf: Int16Array;
  private blockFill = 0;
  private blockIndex = 0; // index of the block being filled
  private count = 0; // input samples so far = output samples so far
  private readonly markIds: Float64Array; // ring: markIds[n & markMask] === n ⇔ block n is masked
  private readonly markMask: number;
  private lastMarked = -1; // highest block index marked so far
  private winStart = -1; // output index where the open mask window started, or -1
  private tablePos = 0;
  private windows: MaskWindow[] = [];
  secure = true;

  constructor(
    opts: ResolvedOptions,
    private readonly delay: DelayLine<T>,
    private readonly table: T,
  ) {
    this.delaySamples = opts.delaySamples;
    this.analysis = new DtmfAnalysis(opts.sampleRate);
    this.presence = new TonePresence(opts.sampleRate, this.analysis);
    this.blockSize = this.analysis.blockSize;
    this.blockBuf = new Int16Array(this.blockSize);
    // The ring must cover every block whose samples are still in the delay line, plus the padding.
    const span = Math.ceil(this.delaySamples / this.blockSize) + PRE_PAD_BLOCKS + POST_PAD_BLOCKS + 4;
    let size = 8;
    while (size < span) size *= 2;
    this.markIds = new Float64Array(size).fill(-1);
    this.markMask = size - 1;
  }

  /**
   * Bytes of per-channel state held in typed arrays: delay line, block buffer, block marks and the
   * analysis (2 halves of samples, 2 × 16 doubles of bins, 8 × 2 of window bins, 4 of energies, 4
   * flag bytes; mask tables and filter constants are shared by all channels).
   */
  get stateBytes(): number {
    const b = this.blockSize;
    return this.delay.byteLength + this.blockBuf.byteLength + this.markIds.byteLength + 2 * b * 2 + (32 + 16 + 4) * 8 + 4;
  }

  run(analysis: Int16Array, input: T, out: T): void {
    const n = input.length;
    const b = this.blockSize;
    // The audio path first: the whole chunk through the delay line. The mask is then laid over it
    // block by block, each output sample judged with the blocks analysed before its input arrived.
    this.delay.process(input, out);
    let pos = 0;
    while (pos < n) {
      const m = Math.min(n - pos, b - this.blockFill);
      this.applyMask(out, pos, m);
      this.count += m;
      if (m === b) {
        // Whole block aligned with this chunk: analyse it in place.
        this.analysis.feed(analysis, pos);
        this.onBlock(this.judge());
      } else {
        const buf = this.blockBuf;
        const fill = this.blockFill;
        for (let k = 0; k < m; k++) buf[fill + k] = analysis[pos + k];
        this.blockFill = fill + m;
        if (this.blockFill === b) {
          this.blockFill = 0;
          this.analysis.feed(buf, 0);
          this.onBlock(this.judge());
          // blockBuf refills with the next half right away: the analysis keeps its own copy.
          this.analysis.release();
        }
      }
      pos += m;
    }
    // The caller's buffer (and blockBuf) will change: the analysis keeps what it may still need.
    this.analysis.release();
  }

  /**
   * `run` on G.711: the codewords go through the delay line as they are, and the analysis reads
   * them through the decode `table` inside its filter loops (no separate decoding pass). The same
   * loop as `run`, written out again so that each stays monomorphic.
   */
  runCodes(this: MaskCore<Uint8Array>, codes: Uint8Array, table: Int16Array, out: Uint8Array): void {
    const n = codes.length;
    const b = this.blockSize;
    this.delay.process(codes, out);
    let pos = 0;
    while (pos < n) {
      const m = Math.min(n - pos, b - this.blockFill);
      this.applyMask(out, pos, m);
      this.count += m;
      if (m === b) {
        this.analysis.feedCodes(codes, pos, table);
        this.onBlock(this.judge());
      } else {
        const buf = this.blockBuf;
        const fill = this.blockFill;
        for (let k = 0; k < m; k++) buf[fill + k] = table[codes[pos + k]];
        this.blockFill = fill + m;
        if (this.blockFill === b) {
          this.blockFill = 0;
          this.analysis.feed(buf, 0);
          this.onBlock(this.judge());
          this.analysis.release();
        }
      }
      pos += m;
    }
    this.analysis.release();
  }

  /** The masker's verdict on the window ending with the half just fed; the detector's step on it. */
  private judge(): boolean {
    const an = this.analysis;
    if (this.detector !== null && (an.halves & 1) === 0) this.detector.stepWindow(an, this.digits);
    return this.presence.evaluate(an);
  }

  /** End of stream: decides the last blocks, then writes the `delaySamples` outputs still held. */
  finish(out: T): void {
    const streamEnd = this.count;
    if (this.blockFill > 0) {
      this.blockBuf.fill(0, this.blockFill);
      this.blockFill = 0;
      this.analysis.feed(this.blockBuf, 0);
      this.onBlock(this.judge());
    }
    // One half of silence: the window of the last half followed by silence, and, when the stream
    // ended in the first half of a 10 ms block, the detector's last block padded with silence.
    this.analysis.feedSilent();
    this.onBlock(this.judge());
    if (this.detector !== null) this.detector.finishStream(streamEnd, this.digits);
    const d = this.delaySamples;
    this.delay.drain(out, 0);
    this.applyMask(out, 0, d);
    this.count += d;
    this.closeWindow(this.count);
    // Ready for a new stream.
    this.count = 0;
    this.blockIndex = 0;
    this.lastMarked = -1;
    this.markIds.fill(-1);
    this.analysis.reset();
  }

  drainWindows(): MaskWindow[] {
    const w = this.windows;
    if (w.length === 0) return NO_WINDOWS;
    this.windows = [];
    return w;
  }

  /** The window ending with the block just completed looked like DTMF: mask it and its padding. */
  private onBlock(hit: boolean): void {
    const k = this.blockIndex++;
    if (!hit) return;
    const ids = this.markIds;
    const mask = this.markMask;
    for (let blk = k - 1 - PRE_PAD_BLOCKS; blk <= k + POST_PAD_BLOCKS; blk++) {
      if (blk >= 0) ids[blk & mask] = blk;
    }
    this.lastMarked = k + POST_PAD_BLOCKS;
  }

  /** Replaces by the mask tone the outputs out[pos..pos+m) whose input blocks are marked. */
  private applyMask(out: T, pos: number, m: number): void {
    const b = this.blockSize;
    const d = this.delaySamples;
    const ids = this.markIds;
    const mask = this.markMask;
    const table = this.table;
    const period = table.length;
    const base = this.count; // output index of out[pos]
    if (!this.secure) {
      this.closeWindow(base);
      return;
    }
    // Fast path, nearly always taken: no window open and every marked block already left.
    if (this.winStart < 0 && base - d >= (this.lastMarked + 1) * b) return;
    let j = base;
    const end = base + m;
    while (j < end) {
      const i = j - d; // the input sample now leaving
      let runEnd: number;
      let masked = false;
      if (i < 0) {
        runEnd = Math.min(end, d);
      } else {
        const blk = Math.floor(i / b);
        runEnd = Math.min(end, (blk + 1) * b + d);
        masked = ids[blk & mask] === blk;
      }
      if (masked) {
        if (this.winStart < 0) {
          this.winStart = j;
          this.tablePos = 0;
        }
        let t = this.tablePos;
        const oEnd = pos + (runEnd - base);
        for (let o = pos + (j - base); o < oEnd; o++) {
          out[o] = table[t];
          if (++t === period) t = 0;
        }
        this.tablePos = t;
      } else {
        this.closeWindow(j);
      }
      j = runEnd;
    }
  }

  private closeWindow(at: number): void {
    if (this.winStart >= 0) {
      this.windows.push({ startSample: this.winStart, endSample: at });
      this.winStart = -1;
    }
  }
}

/** A linear-audio core: the delay line of samples and the mask tone as samples. Shared with the board pipeline. */
export function linearMaskCore(opts: MaskerOptions): { o: ResolvedOptions; core: MaskCore<Int16Array> } {
  const o = resolveMaskerOptions(opts);
  const core = new MaskCore(o, new DelayLine(new Int16Array(o.delaySamples)), maskToneTable(o.maskTone, o.sampleRate));
  core.secure = opts.secure ?? true;
  return { o, core };
}

/**
 * A G.711 core: the delay line carries the codewords themselves (decoding and re-encoding is not
 * the identity: µ-law 0x7F and 0xFF both decode to 0), the analysis gets them decoded through
 * `decodeTable`. Shared with the board pipeline.
 */
export function g711MaskCore(codec: G711Codec, opts: MaskerOptions): { o: ResolvedOptions; core: MaskCore<Uint8Array>; decodeTable: Int16Array } {
  const { o, decodeTable } = resolveG711Options(codec, opts);
  const core = new MaskCore(o, new DelayLine(new Uint8Array(o.delaySamples), g711Silence(codec)), maskToneCodes(o.maskTone, codec, o.sampleRate));
  core.secure = opts.secure ?? true;
  return { o, core, decodeTable };
}

/**
 * A G.711 channel's options checked (DgError DG2601..DG2604) and its law's decode table, without a
 * core: the DSP kernel's channels keep their state in the kernel (channel-engine.ts).
 */
export function resolveG711Options(codec: G711Codec, opts: MaskerOptions): { o: ResolvedOptions; decodeTable: Int16Array } {
  if (codec !== 'alaw' && codec !== 'ulaw') {
    throw new DgError('DG2604', `codec must be 'alaw' or 'ulaw' (got ${JSON.stringify(codec)})`);
  }
  return { o: resolveMaskerOptions(opts), decodeTable: codec === 'alaw' ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE };
}

