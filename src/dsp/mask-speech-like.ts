/**
 * Seeded speech-like audio for the masker's leak tests, talk-off figures and benchmark: voiced
 * syllables (a harmonic series on a gliding pitch of 85–230 Hz with the usual −6 dB/octave source
 * slope, through a cascade of three formant resonances, the first two anywhere from 250 to 2500 Hz
 * so harmonics regularly sit on DTMF frequencies), unvoiced noise bursts, and pauses. Not speech,
 * but steadier in pitch and formants than real speech, so harder on a tone analysis.
 */
import { dbm0ToRms } from './levels.ts';
import { mulberry32 } from '../prng.ts';


/**
 * Gain at frequency f of a formant resonance (centre fc, bandwidth bw) as a cascade formant
 * synthesiser has it: a second-order low-pass with unit gain at 0 Hz and a peak of fc/bw at fc.
 */
function resonance(f: number, fc: number, bw: number): number {
  const a = fc * fc - f * f;
  const b = f * bw;
  return (fc * fc) / Math.sqrt(a * a + b * b);
}

/**
 * `ms` of speech-like audio whose active (non-pause) parts have mean power `levelDbm0`.
 * Float samples in 16-bit units, like the generator's.
 */
export function speechLike(ms: number, seed: number, levelDbm0 = -20, sampleRate = 8000): Float64Array {
  const n = Math.round((ms * sampleRate) / 1000);
  const out = new Float64Array(n);
  const rand = mulberry32(seed);
  const rms = dbm0ToRms(levelDbm0);
  const nyquist = sampleRate / 2 - 200;
  let pos = 0;
  while (pos < n) {
    const kind = rand();
    const len = Math.round(((kind < 0.15 ? 40 + 80 * rand() : 120 + 200 * rand()) * sampleRate) / 1000);
    const end = Math.min(n, pos + len);
    if (kind < 0.15) {
      // Pause.
    } else if (kind < 0.3) {
      // Unvoiced: noise, high-passed by a first difference (fricatives are mostly above 2 kHz).
      let prev = 0;
      for (let i = pos; i < end; i++) {
        const w = rand() * 2 - 1;
        const env = Math.sin((Math.PI * (i - pos)) / (end - pos));
        out[i] = (w - prev) * rms * 1.2 * env;
        prev = w;
      }
    } else {
      // Voiced syllable: pitch glides linearly, formants fixed for the syllable.
      const f0a = 85 + 145 * rand();
      const f0b = f0a * (0.8 + 0.4 * rand());
      const f1 = 250 + 650 * rand();
      const f2 = 850 + 1650 * rand();
      const f3 = 2300 + 700 * rand();
      const harmonics = Math.floor(nyquist / Math.max(f0a, f0b));
      const amps = new Float64Array(harmonics + 1);
      let phase = 0;
      const seg = end - pos;
      // Amplitudes from the formant envelope at the mean pitch, normalised to the target power.
      let power = 0;
      const f0m = (f0a + f0b) / 2;
      for (let h = 1; h <= harmonics; h++) {
        const f = h * f0m;
        amps[h] = (resonance(f, f1, 80) * resonance(f, f2, 120) * resonance(f, f3, 200)) / h;
        power += (amps[h] * amps[h]) / 2;
      }
      const g = rms / Math.sqrt(power);
      for (let i = 0; i < seg; i++) {
        const f0 = f0a + ((f0b - f0a) * i) / seg;
        phase += (2 * Math.PI * f0) / sampleRate;
        const env = Math.sin((Math.PI * i) / seg) ** 0.5;
        let v = 0;
        for (let h = 1; h <= harmonics; h++) {
          if (h * f0 < nyquist) v += amps[h] * Math.sin(h * phase);
        }
        out[pos + i] = g * env * v;
      }
    }
    pos = end;
  }
  return out;
}
