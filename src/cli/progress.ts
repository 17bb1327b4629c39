/**
 * Progress of a long transfer: a bar with rate and time left, redrawn in place on a terminal;
 * plain lines at every 10% when stdout is a pipe or a log (no control characters in logs).
 */
export class Progress {
  private readonly start = Date.now();
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly startedAt = 0,
  ) {}

  update(done: number): void {
    const fraction = this.total ? done / this.total : 1;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? (done - this.startedAt) / elapsed : 0;
    const left = rate > 0 ? (this.total - done) / rate : 0;
    const pct = Math.floor(fraction * 100);
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${formatRate(rate)} ${formatTime(left)} left `);
      if (done >= this.total) this.out.write('\n');
    } else {
      const decile = Math.floor(pct / 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.out.write(`${this.label}: ${pct}% (${done} of ${this.total} bytes, ${formatRate(rate)}, ${formatTime(left)} left)\n`);
      }
    }
  }
}

export function formatRate(bytesPerS: number): string {
  return bytesPerS >= 1024 * 1024 ? `${(bytesPerS / 1024 / 1024).toFixed(1)} MiB/s` : `${(bytesPerS / 1024).toFixed(1)} KiB/s`;
}

export function formatTime(s: number): string {
  const t = Math.max(0, Math.round(s));
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}
