/**
 * The line the relay benchmarks and drivers send on every stream (bench-relay.ts, relay-drive.ts):
 * 10 s of a quiet line (white noise at -45 dBm0) with a DTMF digit every 2 s at -10 dBm0, so the
 * masker masks, as G.711 codewords of `law`. Each stream starts it at its own offset.
 */
import { DTMF_KEYS } from '../src/dsp/dtmf-keys.ts';
import { encodeG711, type G711Codec } from '../src/dsp/g711.ts';
import { concat, dtmfTone, mix, silence, toInt16, whiteNoise } from '../src/dsp/generator.ts';

export function relayLineSignal(law: G711Codec): Uint8Array {
  const parts: Float64Array[] = [];
  for (let k = 0; k < 5; k++) parts.push(silence(1900), dtmfTone({ key: DTMF_KEYS[(k * 5) % 16], durationMs: 100, levelDbm0: -10 }));
  const clean = concat(...parts);
  return encodeG711(law, toInt16(mix(clean, whiteNoise(clean.length / 8, -45, 11))));
}
