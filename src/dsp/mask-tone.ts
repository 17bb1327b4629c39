/**
 * The mask tone: the DTMF tone of `#`, `0` or `1` (chosen at installation) that replaces every
 * real digit. Its level is fixed at MASK_LEVEL_DBM0 per tone with no twist, whatever the level of
 * the digit it hides, so it tells a listener nothing but "a digit was keyed here".
 *
 * Both DTMF frequencies are whole hertz (ITU-T Q.23), so at an integer sample rate fs the pair
 * repeats exactly every fs samples (one second): one table of fs samples, read with wrap-around,
 * gives a phase-continuous tone of any length. Tables are built once per (tone, rate, codec) and
 * shared by every channel.
 */
import { type MaskTone, keyTones } from './dtmf-keys.ts';
import { type G711Codec, encodeG711 } from './g711.ts';
import { dbm0ToPeak } from './levels.ts';

/**
 * −10 dBm0 per tone: inside the range every Q.24 receiver must accept (0 to −25 dBm0) with a wide
 * margin either way, a usual sending level for telephones, and far from clipping (the pair peaks
 * near −4 dBFS).
 */
export const MASK_LEVEL_DBM0 = -10;

const linearCache = new Map<string, Int16Array>();
const g711Cache = new Map<string, Uint8Array>();

/** One period (sampleRate samples) of the mask tone, starting at phase 0, in 16-bit linear. */
export function maskToneTable(tone: MaskTone, sampleRate = 8000): Int16Array {
  const key = `${tone}/${sampleRate}`;
  let table = linearCache.get(key);
  if (!table) {
    const { low, high } = keyTones(tone);
    const peak = dbm0ToPeak(MASK_LEVEL_DBM0);
    table = new Int16Array(sampleRate);
    const wl = (2 * Math.PI * low) / sampleRate;
    const wh = (2 * Math.PI * high) / sampleRate;
    for (let n = 0; n < sampleRate; n++) table[n] = Math.round(peak * (Math.sin(wl * n) + Math.sin(wh * n)));
    linearCache.set(key, table);
  }
  return table;
}

/** The same table as G.711 codewords. */
export function maskToneCodes(tone: MaskTone, codec: G711Codec, sampleRate = 8000): Uint8Array {
  const key = `${tone}/${sampleRate}/${codec}`;
  let table = g711Cache.get(key);
  if (!table) {
    table = encodeG711(codec, maskToneTable(tone, sampleRate));
    g711Cache.set(key, table);
  }
  return table;
}
