/**
 * Terminal views: unicode sparklines (▁▂▃▄▅▆▇█) for histograms and curves, and compact fixed-width tables of
 * per-layer statistics and optimizer runs. Plain strings without colour codes, so they paste anywhere.
 */
import type { ActivationCurve } from './curves.js';
import type { Trajectory } from './landscapes.js';
import { clipToWindow, formatNumber } from './svg.js';
import type { Surface } from './landscapes.js';
import type { LayerStats } from './stats.js';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * One character per value, scaled between the smallest and largest finite value (blank for NaN/Inf).
 * @example sparkline([0, 1, 4, 9]) // '▁▂▄█'
 */
export function sparkline(values: ArrayLike<number>, options: { min?: number; max?: number } = {}): string {
  const finite = Array.from(values).filter(Number.isFinite);
  const lo = options.min ?? Math.min(...finite), hi = options.max ?? Math.max(...finite);
  return Array.from(values, (v) => {
    if (!Number.isFinite(v)) return ' ';
    if (!(hi > lo)) return BARS[0];
    return BARS[Math.max(0, Math.min(7, Math.round(((v - lo) / (hi - lo)) * 7)))];
  }).join('');
}

/** A histogram's counts as bars, empty bins as spaces so gaps show; merged down to `width` characters. */
export function histogramBars(counts: readonly number[], width = 32): string {
  const merged: number[] = [];
  const per = Math.max(1, Math.ceil(counts.length / width));
  for (let i = 0; i < counts.length; i += per) merged.push(counts.slice(i, i + per).reduce((a, b) => a + b, 0));
  const max = Math.max(...merged);
  return merged.map((c) => (c === 0 || max === 0 ? ' ' : BARS[Math.max(0, Math.ceil((c / max) * 8) - 1)])).join('');
}

/** Evenly resamples `values` to `width` points (for sparklines of long series). */
export function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  return Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))]);
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const cell = (s: string, i: number) => (align[i] === 'r' ? s.padStart(widths[i] + s.length - [...s].length) : s.padEnd(widths[i] + s.length - [...s].length));
  return [header.map(cell).join('  '), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map((r) => r.map(cell).join('  '))].join('\n');
}

const pct = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 1 : 0)}%`;

/**
 * Per-layer table: mean, std, min, max, dead and saturated shares, and the histogram as bars.
 * @example console.log(layerTable(initProbe({ width: 512 }).layers));
 */
export function layerTable(layers: LayerStats[], options: { names?: string[]; width?: number } = {}): string {
  const rows = layers.map((l, i) => [
    options.names?.[i] ?? `${l.index + 1} ${l.type}`,
    formatNumber(l.mean, 3),
    formatNumber(l.std, 3),
    formatNumber(l.min, 3),
    formatNumber(l.max, 3),
    l.activation === 'relu' ? pct(l.deadFraction) : '–',
    l.activation === 'tanh' || l.activation === 'sigmoid' ? pct(l.saturatedFraction) : '–',
    `${formatNumber(l.histogram.lo, 2)} │${histogramBars(l.histogram.counts, options.width ?? 32)}│ ${formatNumber(l.histogram.hi, 2)}`,
  ]);
  return table(['layer', 'mean', 'std', 'min', 'max', 'dead', 'sat', 'histogram'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l']);
}

/** Activation curves as sparklines plus values and derivatives at a few points. */
export function curveTable(curves: ActivationCurve[], at: number[], lookup: (c: ActivationCurve, x: number) => { y: number; dy: number }): string {
  const header = ['activation', ...at.map((x) => `f(${formatNumber(x)})`), ...at.map((x) => `f′(${formatNumber(x)})`), 'f', 'f′'];
  const rows = curves.map((c) => {
    const points = at.map((x) => lookup(c, x));
    return [
      c.label,
      ...points.map((p) => formatNumber(p.y, 4)),
      ...points.map((p) => formatNumber(p.dy, 4)),
      sparkline(resample(Array.from(c.y), 24)),
      sparkline(resample(Array.from(c.dy), 24)),
    ];
  });
  return table(header, rows, ['l', ...at.map(() => 'r' as const), ...at.map(() => 'r' as const), 'l', 'l']);
}

/** Optimizer runs on one surface: learning rate, end point, final loss, loss sparkline, where the path left the window. */
export function trajectoryTable(surface: Surface, runs: Trajectory[]): string {
  const rows = runs.map((t) => {
    const c = clipToWindow(surface, t);
    const [x, y] = t.points[t.points.length - 1];
    const shown = c.losses.length ? c.losses : t.losses;
    return [
      t.optimizer,
      formatNumber(t.lr),
      String(t.points.length - 1),
      `(${formatNumber(x)}, ${formatNumber(y)})`,
      formatNumber(t.losses[t.losses.length - 1], 4),
      c.left >= 0 ? `step ${c.left}` : t.diverged ? 'diverged' : '–',
      sparkline(resample(shown, 40)),
    ];
  });
  return table(['optimizer', 'lr', 'steps', 'end (x, y)', 'f(end)', 'left window', 'f by step (inside the window)'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']);
}
