/**
 * A dependency-free progress bar for `Trainer.fit`: redraws one line on a TTY (bar, ETA, loss, accuracy,
 * samples/s) and prints one summary line per epoch; off a TTY it prints only the summaries.
 */
interface Stream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export function defaultStream(): Stream | null {
  const proc = (globalThis as { process?: { stderr?: Stream } }).process;
  return proc?.stderr ?? null;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export class ProgressBar {
  private lastDraw = 0;
  constructor(private readonly stream: Stream, private readonly epochs: number) {}

  /** Redraws the bar (at most ~12 times a second). */
  update(epoch: number, done: number, total: number, elapsed: number, loss: number, accuracy: number | undefined, samples: number, force = false): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 80) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const frac = total ? done / total : 1;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
    const acc = accuracy === undefined ? '' : ` acc ${(100 * accuracy).toFixed(1)}%`;
    const line = `epoch ${epoch}/${this.epochs} ${bar} ${done}/${total} loss ${loss.toFixed(4)}${acc} ${formatRate(samples / Math.max(elapsed, 1e-9))} samples/s ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${line}\x1b[K`);
  }

  /** Ends the epoch's bar with a summary line. */
  epochEnd(summary: string): void {
    this.stream.write(this.stream.isTTY ? `\r${summary}\x1b[K\n` : `${summary}\n`);
  }
}
