/**
 * Keeps the audio around each reported digit for the HTML report's spectrograms, in bounded
 * memory: a ring of the last RING_MS of one channel, and a capped number of snippets per file.
 * A digit is reported after it ends (up to ~60 ms later), so the window before it is still in the
 * ring; the window after it is completed as audio keeps arriving, or cut short at the end.
 */

export interface AudioSnippet {
  /** Sample index (channel origin) of samples[0]. */
  startSample: number;
  samples: Int16Array;
  sampleRate: number;
}

/** Audio shown before and after a digit: enough to see the edges and what surrounds them. */
export const SNIPPET_PAD_MS = 150;
/** Longest snippet: a long digit is shown from its start. */
export const SNIPPET_MAX_MS = 1000;
/** The ring must hold a snippet's lead plus the detectors' reporting delay. */
const RING_MS = 2000;

interface Request<K> {
  key: K;
  start: number;
  end: number;
}

export class SnippetRecorder<K> {
  private readonly ring: Int16Array;
  /** Samples written so far (stream index of the next sample). */
  private written = 0;
  private pending: Request<K>[] = [];
  private readonly pad: number;
  private readonly maxLen: number;

  constructor(
    private readonly sink: (key: K, snippet: AudioSnippet) => void,
    private readonly sampleRate = 8000,
  ) {
    this.ring = new Int16Array((RING_MS * sampleRate) / 1000);
    this.pad = (SNIPPET_PAD_MS * sampleRate) / 1000;
    this.maxLen = (SNIPPET_MAX_MS * sampleRate) / 1000;
  }

  /** Appends samples at stream index `at` (a jump forward is filled with silence, as a gap). */
  push(samples: Int16Array, at: number = this.written): void {
    if (at > this.written) this.fill(at - this.written);
    const skip = Math.max(0, this.written - at);
    for (let i = skip; i < samples.length; i++) this.ring[(this.written + i - skip) % this.ring.length] = samples[i];
    this.written += Math.max(0, samples.length - skip);
    this.complete(false);
  }

  /** Asks for the audio around [start, end) samples. */
  request(key: K, start: number, end: number): void {
    const s = Math.max(0, start - this.pad);
    const e = Math.min(end + this.pad, s + this.maxLen);
    this.pending.push({ key, start: s, end: e });
    this.complete(false);
  }

  /** End of the channel: every pending snippet gets what there is. */
  flush(): void {
    this.complete(true);
  }

  private fill(n: number): void {
    const m = Math.min(n, this.ring.length);
    for (let i = 0; i < m; i++) this.ring[(this.written + n - m + i) % this.ring.length] = 0;
    this.written += n;
  }

  private complete(end: boolean): void {
    if (this.pending.length === 0) return;
    const left: Request<K>[] = [];
    for (const r of this.pending) {
      if (!end && r.end > this.written) {
        left.push(r);
        continue;
      }
      const oldest = Math.max(0, this.written - this.ring.length);
      const s = Math.max(r.start, oldest);
      const e = Math.max(s, Math.min(r.end, this.written));
      const out = new Int16Array(e - s);
      for (let i = 0; i < out.length; i++) out[i] = this.ring[(s + i) % this.ring.length];
      this.sink(r.key, { startSample: s, samples: out, sampleRate: this.sampleRate });
    }
    this.pending = left;
  }
}
