/**
 * Signal levels in dBm0. G.711 puts a full-scale sine (peak 32767 in 16-bit linear, after the
 * codec's own scaling) at +3.14 dBm0, so 0 dBm0 is a sine of peak 32767 / 10^(3.14/20) ≈ 22 826.
 */

export const FULL_SCALE_SINE_DBM0 = 3.14;
const FULL_SCALE_PEAK = 32767;

/** Peak amplitude, in 16-bit units, of a sine at the given level. */
export function dbm0ToPeak(dbm0: number): number {
  return FULL_SCALE_PEAK * 10 ** ((dbm0 - FULL_SCALE_SINE_DBM0) / 20);
}

export function peakToDbm0(peak: number): number {
  return FULL_SCALE_SINE_DBM0 + 20 * Math.log10(peak / FULL_SCALE_PEAK);
}

/** RMS of a sine at the given level (peak / √2); also the RMS of any signal of that power. */
export function dbm0ToRms(dbm0: number): number {
  return dbm0ToPeak(dbm0) / Math.SQRT2;
}

export function rmsToDbm0(rms: number): number {
  return peakToDbm0(rms * Math.SQRT2);
}
