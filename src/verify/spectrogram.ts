/**
 * A small spectrogram for the HTML report: short-time DFT of a snippet, 0–2000 Hz (both DTMF groups,
 * ITU-T Q.23: 697–1633 Hz), quantised to one byte per cell so a picture embeds in a few kilobytes.
 * Computed here, drawn in the browser by the report's own script (no library, works offline).
 */

export interface Spectrogram {
  /** Time columns and frequency rows; `cells[col * rows + row]`, row 0 = lowest frequency. */
  cols: number;
  rows: number;
  /** dB below full scale mapped to 0..255 (0 = −90 dBFS or less, 255 = 0 dBFS). */
  cells: Uint8Array;
  /** Top frequency and the time step of one column. */
  maxHz: number;
  hopMs: number;
  /** Time of column 0's centre relative to the snippet start, ms. */
  firstMs: number;
}

export interface SpectrogramOptions {
  sampleRate?: number;
  /** Analysis window, samples: 128 at 8 kHz = 16 ms, ~60 Hz resolution with the Hann window. */
  window?: number;
  /** Step between columns, samples (4 ms). */
  hop?: number;
  rows?: number;
  maxHz?: number;
}

const FLOOR_DB = -90;

export function spectrogram(x: Int16Array, opts: SpectrogramOptions = {}): Spectrogram {
  const rate = opts.sampleRate ?? 8000;
  const n = opts.window ?? Math.round((16 * rate) / 1000);
  const hop = opts.hop ?? Math.round((4 * rate) / 1000);
  const rows = opts.rows ?? 64;
  const maxHz = opts.maxHz ?? 2000;
  const cols = x.length >= n ? Math.floor((x.length - n) / hop) + 1 : 0;
  const cells = new Uint8Array(cols * rows);
  const win = new Float64Array(n);
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    wsum += win[i];
  }
  // cos/sin tables per row, so each cell is one pass of multiply-adds.
  const cos = new Float64Array(rows * n);
  const sin = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const w = (2 * Math.PI * (((r + 0.5) * maxHz) / rows)) / rate;
    for (let i = 0; i < n; i++) {
      cos[r * n + i] = Math.cos(w * i) * win[i];
      sin[r * n + i] = Math.sin(w * i) * win[i];
    }
  }
  // A full-scale sine (peak 32767) reads 0 dB: its windowed DFT magnitude is 32767·Σw/2.
  const ref = (32767 * wsum) / 2;
  for (let c = 0; c < cols; c++) {
    const off = c * hop;
    for (let r = 0; r < rows; r++) {
      let re = 0;
      let im = 0;
      const b = r * n;
      for (let i = 0; i < n; i++) {
        const v = x[off + i];
        re += v * cos[b + i];
        im += v * sin[b + i];
      }
      const db = 20 * Math.log10(Math.sqrt(re * re + im * im) / ref + 1e-12);
      cells[c * rows + r] = Math.max(0, Math.min(255, Math.round(((db - FLOOR_DB) / -FLOOR_DB) * 255)));
    }
  }
  return { cols, rows, cells, maxHz, hopMs: (hop * 1000) / rate, firstMs: (n / 2 / rate) * 1000 };
}
