/**
 * The zero-leak masker: one channel of the board's secure-mode audio path.
 *
 *   input ──┬── delay line (lookahead) ──► mask switch ──► output (agent, recorder)
 *           └── tone-presence analysis (undelayed) ──┘
 *
 * The analysis (tone-presence.ts) looks at each 5 ms block as it arrives; the audio leaves through
 * a delay line `lookaheadMs` later. When a 10 ms analysis window looks like a DTMF tone pair, its
 * two blocks plus one padding block on each side are marked, and every output sample whose input
 * sample lies in a marked block is replaced by the mask tone (mask-tone.ts). The padding block
 * before catches the leading edge (the first window that straddles a tone's start may be too weak
 * to trigger), the one after catches the tail; together they also bridge up to three consecutive
 * windows inside a tone that fail the test (noise, a 10 ms interruption). A marked block is
 * therefore final 3 blocks (15 ms) after its start: with a lookahead of at least
 * MIN_LEAK_FREE_LOOKAHEAD_MS every sample of a tone is masked before it leaves (the leak scan of
 * mask-leak-scan.ts finds 13 ms enough on its test set). Nothing of a tone can survive outside a
 * mask window because outside mask windows the output is the delayed input itself, sample for
 * sample or codeword for codeword.
 *
 * Mask windows are maximal runs of masked output samples; each is filled with the mask tone from
 * phase 0 at a fixed level, so its only information is "a tone was here, this long". Its length is
 * the tone's length rounded out to whole blocks plus the padding: 10 to 20 ms longer than the tone.
 *
 * Secure mode: the analysis always runs; `secure` only decides whether marks are applied. So a
 * digit keyed as secure mode comes on is masked from that moment on, including the samples already
 * in the delay line, and the audio delay never changes (no glitch when the mode switches).
 *
 * Chunking: blocks sit at absolute stream positions, and the output sample j is decided from the
 * blocks completed before input sample j arrived, so the output and the windows are the same
 * whatever the sizes of the chunks passed to `process`.
 */
import type { G711Codec } from './g711.ts';
import { g711Engine, linearEngine } from './channel-engine.ts';
import { EngineChannel } from './engine-channel.ts';
import type { MaskerOptions } from './mask-core.ts';

export {
  type MaskerOptions,
  type MaskWindow,
  type ResolvedOptions,
  DEFAULT_LOOKAHEAD_MS,
  MIN_LEAK_FREE_LOOKAHEAD_MS,
  MAX_LOOKAHEAD_MS,
  MaskCore,
  resolveMaskerOptions,
  linearMaskCore,
  g711MaskCore,
} from './mask-core.ts';

/** The masker on 16-bit linear audio. */
export class Masker extends EngineChannel<Int16Array> {
  constructor(opts: MaskerOptions) {
    super(linearEngine(opts));
  }

  /** The delayed, masked stream: as many samples as `input` (written into `out` if given). */
  process(input: Int16Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
    return this.processInto(input, out);
  }

  /** End of stream: the last `delaySamples` samples. The masker then starts a new stream. */
  flush(): Int16Array {
    return this.finishInto(new Int16Array(this.delaySamples));
  }
}

/**
 * The masker on a G.711 stream. The delay line carries the codewords themselves: decoding and
 * re-encoding is not the identity (µ-law 0x7F and 0xFF both decode to 0), and outside mask windows
 * the output must be the very codewords that came in.
 */
export class G711Masker extends EngineChannel<Uint8Array> {
  constructor(codec: G711Codec, opts: MaskerOptions) {
    super(g711Engine(codec, opts));
  }

  process(codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): Uint8Array {
    return this.processInto(codes, out);
  }

  flush(): Uint8Array {
    return this.finishInto(new Uint8Array(this.delaySamples));
  }
}
