/**
 * What the public channel classes (Masker, G711Masker and the two board pipelines) share: each
 * forwards to its ChannelEngine (kernel or JS reference, channel-engine.ts) and differs only in
 * the samples it carries and whether a call also returns digits.
 */
import type { ChannelEngine } from './channel-engine.ts';
import type { MaskWindow, ResolvedOptions } from './mask-core.ts';

export abstract class EngineChannel<T extends Int16Array | Uint8Array> {
  /** Samples of delay the channel adds: the lookahead. */
  readonly delaySamples: number;
  protected readonly engine: ChannelEngine<T>;

  protected constructor(built: { o: ResolvedOptions; engine: ChannelEngine<T> }) {
    this.delaySamples = built.o.delaySamples;
    this.engine = built.engine;
  }

  /** Secure mode: masking on. Switching takes effect from the next output sample, delay unchanged. */
  get secure(): boolean {
    return this.engine.secure;
  }
  set secure(on: boolean) {
    this.engine.secure = on;
  }

  /** Mask windows finished since the last call, in output sample indexes. */
  drainWindows(): MaskWindow[] {
    return this.engine.drainWindows();
  }

  /** Bytes of per-channel state (the shared mask table excluded). */
  get stateBytes(): number {
    return this.engine.stateBytes;
  }

  /** Which implementation runs this channel (channel-engine.ts). */
  get implementation(): 'kernel' | 'js' {
    return this.engine.kind;
  }

  /**
   * The channel as it was made (configuration kept, secure mode as at the start), nothing of the
   * last stream left and its unfinished windows dropped: another stream can start on it without a
   * new channel being made. Call `flush` first when the last stream's tail is wanted.
   */
  reset(): void {
    this.engine.reset();
  }

  /** Frees the channel's kernel memory now instead of at garbage collection; unusable afterwards. */
  dispose(): void {
    this.engine.dispose();
  }

  /** The delayed, masked stream of `input` into `out`, returned cut to the input's length. */
  protected processInto(input: T, out: T): T {
    if (out.length < input.length) throw new RangeError('output buffer shorter than input');
    this.engine.process(input, out);
    return out.length === input.length ? out : (out.subarray(0, input.length) as T);
  }

  /** End of stream: the last `delaySamples` outputs into `out`; then a new stream starts. */
  protected finishInto(out: T): T {
    this.engine.finish(out);
    return out;
  }
}
