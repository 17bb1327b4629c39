/**
 * When a stream's audio path starts anew (after a hole longer than maxGapMs, or when the sender
 * restarts its timestamps), the stream resets the board masker it has instead of making another
 * (RtpStream.restartMasker). The reset masker must count from the restart like a new one: a digit
 * keyed after the restart is masked, and reported where it was keyed, not where a masker still
 * counting from the call's start would place it.
 */
import { describe, expect, it } from 'vitest';
import { DTMF_KEYS } from '../../../src/dsp/dtmf-keys.ts';
import { encodeG711 } from '../../../src/dsp/g711.ts';
import { dtmfTone, mix, silence, toInt16, whiteNoise } from '../../../src/dsp/generator.ts';
import { G711Masker } from '../../../src/dsp/masker.ts';
import { audioPacket, streamHarness } from './stream-harness.ts';

const LEN = 160; // 20 ms packets
const TS0 = 0x7fff_f000; // the 32-bit timestamp wraps during the call

/** One packet's A-law payload: a digit's tone (key given) or a quiet line. */
function payload(key: number | null, k: number): Uint8Array {
  const noise = whiteNoise(LEN / 8, -50, k + 1);
  const pcm = key === null ? mix(silence(LEN / 8), noise) : mix(dtmfTone({ key: DTMF_KEYS[key], durationMs: LEN / 8, levelDbm0: -12 }), noise);
  return encodeG711('alaw', toInt16(pcm));
}

/**
 * A call of 40 packets whose timestamps jump by `jump` samples before packet 16 (a hole when
 * positive; the sender's restart, far behind, when negative). Digits at packets 3-6 and 26-29.
 * Returns the stream index (samples from the first packet) of the second digit.
 */
function play(jump: number) {
  const h = streamHarness({ maskTone: '#', lookaheadMs: 40, jitterMs: 30, maxGapMs: 500, createMasker: (codec, s) => new G711Masker(codec, s) }, true);
  let ts = TS0;
  let t = 0;
  let secondAt = 0;
  for (let k = 0; k < 40; k++) {
    if (k === 16) {
      ts = (ts + jump) >>> 0;
      if (jump > 0) t += jump / 8;
    }
    const digit = (k >= 3 && k <= 6) || (k >= 26 && k <= 29);
    if (k === 26) secondAt = ((ts - TS0) | 0);
    h.deliver(t, audioPacket(k, ts, payload(digit ? (k < 20 ? 5 : 9) : null, k), { marker: k === 0 || k === 16 }));
    ts = (ts + LEN) >>> 0;
    t += LEN / 8;
  }
  h.end();
  return { h, secondMs: secondAt / 8 };
}

describe('a stream whose audio path restarts', () => {
  it.each([
    ['after a hole longer than maxGapMs', 12_000],
    ['after the sender restarts its timestamps', -0x4000_0000],
  ])('%s, reports the next digit where it was keyed, and masks it', (_name, jump) => {
    const { h, secondMs } = play(jump);
    if (jump < 0) expect(h.counters.resyncs).toBe(1);
    else expect(h.counters.gapsFilled).toBeGreaterThan(0);
    const inband = h.spans.filter((s) => s.source === 'inband');
    expect(inband).toHaveLength(2);
    // The masker's 5 ms blocks and its judgement place a window within a block or two of the tone.
    expect(Math.abs(inband[1].startMs - secondMs)).toBeLessThanOrEqual(15);
    expect(Math.abs(inband[1].endMs - (secondMs + 80))).toBeLessThanOrEqual(15);
    // Each digit's four packets leave with the mask tone.
    expect(h.counters.audioMasked).toBeGreaterThanOrEqual(8);
  });
});
