/**
 * Hand-written SVG for the lab's pictures: per-layer histogram panels (the lecture's figure), activation and
 * derivative curves, loss curves, and optimizer trajectories over contour lines (marching squares). Plain
 * strings, no dependencies, so it runs in browsers too; every chart has labelled axes and a legend.
 */
import type { ActivationCurve } from './curves.js';
import type { Trajectory } from './landscapes.js';
import type { Surface } from './surfaces.js';
import type { InitProbeResult } from './probe.js';
import type { LayerStats } from './stats.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = `font-family="Helvetica, Arial, sans-serif"`;
const INK = '#222', GRID = '#e6e6e6', AXIS = '#555';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A compact number: 0.25, 1.2e-3, 4096, −0.5 (true minus sign). */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e5 || a < 1e-3) s = v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  else s = String(Number(v.toPrecision(digits)));
  return s.replace(/^-/, '−').replace('e-', 'e−');
}

/** Round numbers for a pixel coordinate. */
export const px = (v: number) => (Math.round(v * 10) / 10).toString();

/** Evenly spaced "nice" ticks covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  // An axis with a single labelled tick cannot be read: ask for finer steps.
  return out.length < 3 && count < 16 ? niceTicks(lo, hi, count * 2) : out;
}

function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  const out: number[] = [];
  for (let e = a; e <= b; e += every) if (10 ** e >= lo * 0.999 && 10 ** e <= hi * 1.001) out.push(10 ** e);
  return out;
}

export interface Box { x: number; y: number; w: number; h: number }

export interface Axes {
  sx: (v: number) => number;
  sy: (v: number) => number;
  svg: string;
}

/**
 * Axes in `box`: grid, ticks with labels, axis labels. `logY` maps y through log10 (values must be > 0).
 */
export function axes(box: Box, xd: [number, number], yd: [number, number], o: { xLabel?: string; yLabel?: string; logY?: boolean; xTicks?: number[]; yTicks?: number[]; grid?: boolean; fontSize?: number }): Axes {
  const fs = o.fontSize ?? 11;
  const ly = (v: number) => (o.logY ? Math.log10(v) : v);
  const [y0, y1] = [ly(yd[0]), ly(yd[1])];
  const sx = (v: number) => box.x + ((v - xd[0]) / (xd[1] - xd[0])) * box.w;
  const sy = (v: number) => box.y + box.h - ((ly(v) - y0) / (y1 - y0)) * box.h;
  const xt = o.xTicks ?? niceTicks(xd[0], xd[1], Math.max(2, Math.floor(box.w / 70)));
  const yt = o.yTicks ?? (o.logY ? logTicks(yd[0], yd[1]) : niceTicks(yd[0], yd[1], Math.max(2, Math.floor(box.h / 45))));
  const parts: string[] = [];
  if (o.grid !== false) {
    for (const t of xt) parts.push(`<line x1="${px(sx(t))}" y1="${box.y}" x2="${px(sx(t))}" y2="${box.y + box.h}" stroke="${GRID}"/>`);
    for (const t of yt) parts.push(`<line x1="${box.x}" y1="${px(sy(t))}" x2="${box.x + box.w}" y2="${px(sy(t))}" stroke="${GRID}"/>`);
  }
  parts.push(`<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="${AXIS}"/>`);
  for (const t of xt) {
    parts.push(`<line x1="${px(sx(t))}" y1="${box.y + box.h}" x2="${px(sx(t))}" y2="${box.y + box.h + 4}" stroke="${AXIS}"/>`);
    parts.push(`<text x="${px(sx(t))}" y="${box.y + box.h + 6 + fs}" text-anchor="middle" font-size="${fs}" fill="${INK}">${formatNumber(t)}</text>`);
  }
  for (const t of yt) {
    parts.push(`<line x1="${box.x - 4}" y1="${px(sy(t))}" x2="${box.x}" y2="${px(sy(t))}" stroke="${AXIS}"/>`);
    parts.push(`<text x="${box.x - 6}" y="${px(sy(t) + fs * 0.35)}" text-anchor="end" font-size="${fs}" fill="${INK}">${formatNumber(t)}</text>`);
  }
  if (o.xLabel) parts.push(`<text x="${px(box.x + box.w / 2)}" y="${box.y + box.h + 2 * fs + 14}" text-anchor="middle" font-size="${fs + 1}" fill="${INK}">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) {
    const cx = box.x - 44, cy = box.y + box.h / 2;
    parts.push(`<text x="${cx}" y="${px(cy)}" text-anchor="middle" font-size="${fs + 1}" fill="${INK}" transform="rotate(-90 ${cx} ${px(cy)})">${escapeXml(o.yLabel)}</text>`);
  }
  return { sx, sy, svg: parts.join('') };
}

export function doc(width: number, height: number, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>` +
    `<title>${escapeXml(title)}</title><rect width="100%" height="100%" fill="#fff"/>${body}</svg>\n`
  );
}

export function heading(x: number, y: number, text: string, size = 15, anchor = 'start'): string {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="bold" text-anchor="${anchor}" fill="${INK}">${escapeXml(text)}</text>`;
}

export function label(x: number, y: number, text: string, o: { size?: number; anchor?: string; color?: string } = {}): string {
  return `<text x="${px(x)}" y="${px(y)}" font-size="${o.size ?? 11}" text-anchor="${o.anchor ?? 'start'}" fill="${o.color ?? INK}">${escapeXml(text)}</text>`;
}

export function polyline(points: [number, number][], color: string, o: { width?: number; dash?: string; opacity?: number } = {}): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x)} ${px(y)}`).join('');
  return `<path d="${d}" fill="none" stroke="${color}" stroke-width="${o.width ?? 1.8}"${o.dash ? ` stroke-dasharray="${o.dash}"` : ''}${o.opacity !== undefined ? ` stroke-opacity="${o.opacity}"` : ''} stroke-linejoin="round"/>`;
}

/** A legend of coloured line samples, one entry per row, at (x, y). */
export function legend(x: number, y: number, entries: { text: string; color: string; dash?: string }[], fs = 11): string {
  const width = 28 + Math.max(...entries.map((e) => e.text.length)) * fs * 0.56;
  const rows = entries.map(
    (e, i) =>
      polyline([[x + 8, y + 12 + i * (fs + 6)], [x + 26, y + 12 + i * (fs + 6)]], e.color, { width: 2.5, dash: e.dash }) +
      label(x + 32, y + 12 + i * (fs + 6) + fs * 0.35, e.text, { size: fs }),
  );
  return `<rect x="${x}" y="${y}" width="${px(width + 10)}" height="${entries.length * (fs + 6) + 8}" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>${rows.join('')}`;
}

// ---------------------------------------------------------------------------------------------- histograms

/** Options of `histogramPanelsSvg`. */
export interface HistogramPanelsOptions {
  title?: string;
  /** Panels per row (default 6). */
  columns?: number;
  /** Text above each panel (default `layer i`). */
  panelTitle?: (layer: LayerStats, i: number) => string;
}

/**
 * One histogram panel per layer, each with its mean and std, next to a small chart of mean and std by layer:
 * the lecture's figure of activations through a deep network.
 * @example fs.writeFileSync('init.svg', histogramPanelsSvg(initProbe({ width: 1024 }).layers));
 */
export function histogramPanelsSvg(layers: LayerStats[], options: HistogramPanelsOptions = {}): string {
  const columns = Math.max(1, Math.min(options.columns ?? 6, layers.length));
  const rows = Math.ceil(layers.length / columns);
  const pw = 150, ph = 130, gapX = 62, gapY = 98, left = 400, top = options.title ? 64 : 30;
  const width = left + columns * (pw + gapX) + 10, height = top + rows * (ph + gapY) - 22;
  const parts: string[] = [];
  if (options.title) parts.push(heading(16, 26, options.title));

  // Summary: mean and std by layer.
  const n = layers.length, sBox = { x: 70, y: top + 22, w: 190, h: ph };
  const stds = layers.map((l) => l.std), means = layers.map((l) => l.mean);
  const finite = [...stds, ...means].filter(Number.isFinite);
  const hi = Math.max(0, ...finite), lo = Math.min(0, ...finite);
  const pad = (hi - lo || 1) * 0.08;
  const ax = axes(sBox, [0.5, n + 0.5], [lo - (lo < 0 ? pad : 0), hi + pad], { xLabel: 'layer', yLabel: 'value', xTicks: niceTicks(1, n, Math.min(n - 1, 6)).filter((t) => Number.isInteger(t)) });
  parts.push(label(sBox.x, sBox.y - 8, 'mean and std by layer', { size: 12 }), ax.svg);
  const line = (vals: number[], color: string, dash?: string) =>
    polyline(vals.map((v, i) => [ax.sx(i + 1), ax.sy(v)] as [number, number]), color, { dash }) +
    vals.map((v, i) => `<circle cx="${px(ax.sx(i + 1))}" cy="${px(ax.sy(v))}" r="3" fill="${color}"/>`).join('');
  parts.push(line(means, PALETTE[1], '5 3'), line(stds, PALETTE[0]));
  parts.push(legend(sBox.x + sBox.w + 8, sBox.y, [{ text: 'std', color: PALETTE[0] }, { text: 'mean', color: PALETTE[1], dash: '5 3' }], 10));

  layers.forEach((layer, i) => {
    const r = Math.floor(i / columns), c = i % columns;
    const box = { x: left + c * (pw + gapX), y: top + 22 + r * (ph + gapY), w: pw, h: ph };
    const { lo: hlo, hi: hhi } = layer.histogram;
    const counts = [...layer.histogram.counts];
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    // A ReLU layer's exact zeros (about half its values) would flatten every other bar: leave them out, say how many.
    const hideZeros = layer.activation === 'relu' && layer.zeroFraction > 0.05 && hlo <= 0 && hhi > 0;
    if (hideZeros) counts[Math.min(counts.length - 1, Math.floor((-hlo / (hhi - hlo)) * counts.length))] -= Math.round(layer.zeroFraction * total);
    const fractions = counts.map((k) => k / total);
    const fmax = Math.max(...fractions) || 1;
    const yt = niceTicks(0, fmax, 3);
    const top1 = Math.max(fmax, yt[yt.length - 1]);
    const xt = niceTicks(hlo, hhi, 3);
    const a = axes(box, [hlo, hhi], [0, top1], { yTicks: yt, xTicks: xt, fontSize: 10, xLabel: r === rows - 1 || i + columns >= layers.length ? 'value' : undefined });
    const bw = box.w / counts.length;
    const bars = fractions
      .map((f, j) => (f > 0 ? `<rect x="${px(box.x + j * bw)}" y="${px(a.sy(f))}" width="${px(Math.max(bw - 0.6, 0.6))}" height="${px(box.y + box.h - a.sy(f))}" fill="${PALETTE[0]}"/>` : ''))
      .join('');
    const title = options.panelTitle?.(layer, i) ?? `layer ${i + 1}`;
    const extra = layer.deadFraction > 0 ? `  dead ${Math.round(100 * layer.deadFraction)}%` : layer.saturatedFraction > 0.005 ? `  sat ${Math.round(100 * layer.saturatedFraction)}%` : '';
    parts.push(a.svg, bars);
    parts.push(label(box.x, box.y - 22, title, { size: 12 }));
    parts.push(label(box.x, box.y - 7, `μ ${formatNumber(layer.mean, 2)}  σ ${formatNumber(layer.std, 2)}${extra}`, { size: 10, color: '#444' }));
    if (hideZeros) parts.push(label(box.x + box.w - 4, box.y + 14, `zeros ${Math.round(100 * layer.zeroFraction)}% not drawn`, { size: 10, anchor: 'end', color: '#444' }));
    if (c === 0) {
      const cx = box.x - 40, cy = box.y + box.h / 2;
      parts.push(`<text x="${cx}" y="${px(cy)}" text-anchor="middle" font-size="11" fill="${INK}" transform="rotate(-90 ${cx} ${px(cy)})">fraction</text>`);
    }
  });
  return doc(width, height, parts.join(''), options.title ?? 'activation histograms per layer');
}

/**
 * The init probe's picture: histograms of every hidden layer's activations with a title naming the experiment.
 * @example writeFileSync('tanh-xavier.svg', initProbeSvg(initProbe({ activation: 'tanh', init: 'xavier' })));
 */
export function initProbeSvg(result: InitProbeResult): string {
  const c = result.config;
  const title = `${c.activation} after Linear(${c.width}, ${c.width}) × ${c.depth}, init ${c.init}, batch ${c.batch} of N(0, 1)`;
  return histogramPanelsSvg(result.layers, { title });
}

// ---------------------------------------------------------------------------------------------- curves

/**
 * One panel per activation: the function (solid) and its derivative (dashed), with f′(0) marked.
 * @example writeFileSync('act.svg', activationCurvesSvg(['sigmoid', 'tanh'].map((n) => activationCurve(n, -6, 6, 241))));
 */
export function activationCurvesSvg(curves: ActivationCurve[], options: { title?: string } = {}): string {
  const pw = 230, ph = 190, gap = 80, left = 64, top = options.title ? 70 : 40;
  const width = left + curves.length * (pw + gap) - gap + 24, height = top + ph + 76;
  const parts: string[] = [];
  if (options.title) parts.push(heading(16, 26, options.title));
  curves.forEach((cv, i) => {
    const box = { x: left + i * (pw + gap), y: top, w: pw, h: ph };
    const x0 = cv.x[0], x1 = cv.x[cv.x.length - 1];
    let lo = 0, hi = 1;
    for (let j = 0; j < cv.x.length; j++) {
      lo = Math.min(lo, cv.y[j], cv.dy[j]);
      hi = Math.max(hi, cv.y[j], cv.dy[j]);
    }
    const pad = (hi - lo) * 0.06;
    const a = axes(box, [x0, x1], [lo - pad, hi + pad], { xLabel: 'x', yLabel: i === 0 ? 'value' : undefined });
    const pts = (v: Float32Array) => Array.from(cv.x, (x, j) => [a.sx(x), a.sy(v[j])] as [number, number]);
    parts.push(a.svg, polyline(pts(cv.y), PALETTE[0], { width: 2.2 }), polyline(pts(cv.dy), PALETTE[1], { width: 2.2, dash: '6 4' }));
    parts.push(label(box.x, box.y - 12, cv.label, { size: 13 }));
    // Mark f′(0) when 0 is on the grid (or between two samples: take the right-hand one, as the kernel would at 0).
    const j0 = cv.x.findIndex((x) => x >= 0);
    if (j0 >= 0 && x0 <= 0) {
      const d0 = cv.dy[j0];
      parts.push(`<circle cx="${px(a.sx(cv.x[j0]))}" cy="${px(a.sy(d0))}" r="3.5" fill="${PALETTE[1]}"/>`);
      parts.push(label(box.x + box.w, box.y - 12, `f′(${formatNumber(cv.x[j0])}) = ${formatNumber(d0)}`, { size: 12, anchor: 'end', color: PALETTE[1] }));
    }
    if (i === 0) parts.push(legend(box.x + 6, box.y + 6, [{ text: 'f(x)', color: PALETTE[0] }, { text: "f′(x)", color: PALETTE[1], dash: '6 4' }]));
  });
  return doc(width, height, parts.join(''), options.title ?? 'activation functions and derivatives');
}

/** One named line of a chart. */
export interface Series {
  name: string;
  values: number[];
  /** x values (default 0, 1, 2, …). */
  x?: number[];
}

/**
 * Lines over steps or epochs with a legend; `logY` for losses spanning decades (non-positive values are dropped).
 * @example writeFileSync('loss.svg', lossCurvesSvg([{ name: 'train', values: history.loss }], { xLabel: 'epoch' }));
 */
export function lossCurvesSvg(series: Series[], options: { title?: string; xLabel?: string; yLabel?: string; logY?: boolean; width?: number; height?: number } = {}): string {
  const width = options.width ?? 620, height = options.height ?? 380;
  const top = options.title ? 52 : 20;
  const box = { x: 78, y: top, w: width - 78 - 24, h: height - top - 62 };
  const body = lossPanel(box, series, options);
  return doc(width, height, (options.title ? heading(16, 28, options.title) : '') + body, options.title ?? 'loss curves');
}

function lossPanel(box: Box, series: Series[], o: { xLabel?: string; yLabel?: string; logY?: boolean; legendAt?: 'right' | 'none' }): string {
  const pts = series.map((s) => s.values.map((v, i) => [s.x?.[i] ?? i, v] as [number, number]).filter(([, v]) => Number.isFinite(v) && (!o.logY || v > 0)));
  const all = pts.flat();
  if (all.length === 0) return label(box.x, box.y + 20, 'no finite values to plot');
  let xlo = Math.min(...all.map((p) => p[0])), xhi = Math.max(...all.map((p) => p[0]));
  if (xhi === xlo) xhi = xlo + 1;
  let ylo = Math.min(...all.map((p) => p[1])), yhi = Math.max(...all.map((p) => p[1]));
  if (o.logY) {
    ylo = 10 ** Math.floor(Math.log10(ylo));
    yhi = 10 ** Math.ceil(Math.log10(yhi));
    if (yhi === ylo) yhi = ylo * 10;
  } else {
    const pad = (yhi - ylo || 1) * 0.05;
    [ylo, yhi] = [ylo - pad, yhi + pad];
    const t = niceTicks(ylo, yhi, Math.max(2, Math.floor(box.h / 45)));
    ylo = Math.min(ylo, t[0]);
    yhi = Math.max(yhi, t[t.length - 1]);
  }
  const a = axes(box, [xlo, xhi], [ylo, yhi], { xLabel: o.xLabel ?? 'step', yLabel: o.yLabel ?? 'loss', logY: o.logY });
  const lines = pts.map((p, i) => polyline(p.map(([x, y]) => [a.sx(x), a.sy(y)] as [number, number]), PALETTE[i % PALETTE.length])).join('');
  const leg = o.legendAt === 'none' ? '' : legend(box.x + box.w - 10 - (28 + Math.max(...series.map((s) => s.name.length)) * 11 * 0.56 + 10), box.y + 8, series.map((s, i) => ({ text: s.name, color: PALETTE[i % PALETTE.length] })));
  return a.svg + lines + leg;
}

// ---------------------------------------------------------------------------------------------- contours

/** Contour levels for a surface over its window: even, or geometric (half-decades) for 'log' surfaces. */
export function contourLevels(surface: Surface, grid: number[][]): number[] {
  const vals = grid.flat().filter(Number.isFinite).sort((a, b) => a - b);
  const q = (p: number) => vals[Math.min(vals.length - 1, Math.floor(p * (vals.length - 1)))];
  if (surface.levels === 'log') {
    const lo = Math.max(q(0), 1e-3), hi = q(0.98);
    const out: number[] = [];
    for (let e = Math.floor(2 * Math.log10(lo)); e <= 2 * Math.log10(hi); e++) out.push(10 ** (e / 2));
    return out;
  }
  const lo = q(0.02), hi = q(0.98), n = surface.levelCount ?? 16;
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
}

/** Marching squares: line segments where the grid crosses `level` (grid[j][i] at x_i, y_j). */
function isoSegments(grid: number[][], xs: number[], ys: number[], level: number): [number, number, number, number][] {
  const segs: [number, number, number, number][] = [];
  const lerp = (a: number, b: number, va: number, vb: number) => a + ((level - va) / (vb - va)) * (b - a);
  for (let j = 0; j + 1 < ys.length; j++)
    for (let i = 0; i + 1 < xs.length; i++) {
      const v0 = grid[j][i], v1 = grid[j][i + 1], v2 = grid[j + 1][i + 1], v3 = grid[j + 1][i];
      const c = (v0 > level ? 1 : 0) | (v1 > level ? 2 : 0) | (v2 > level ? 4 : 0) | (v3 > level ? 8 : 0);
      if (c === 0 || c === 15) continue;
      // Edge crossings: bottom (0-1), right (1-2), top (3-2), left (0-3).
      const e = [
        [lerp(xs[i], xs[i + 1], v0, v1), ys[j]],
        [xs[i + 1], lerp(ys[j], ys[j + 1], v1, v2)],
        [lerp(xs[i], xs[i + 1], v3, v2), ys[j + 1]],
        [xs[i], lerp(ys[j], ys[j + 1], v0, v3)],
      ];
      const pairs: Record<number, number[][]> = {
        1: [[3, 0]], 2: [[0, 1]], 3: [[3, 1]], 4: [[1, 2]], 5: [[3, 0], [1, 2]], 6: [[0, 2]], 7: [[3, 2]],
        8: [[2, 3]], 9: [[2, 0]], 10: [[0, 1], [2, 3]], 11: [[2, 1]], 12: [[1, 3]], 13: [[1, 0]], 14: [[0, 3]],
      };
      for (const [a, b] of pairs[c]) segs.push([e[a][0], e[a][1], e[b][0], e[b][1]]);
    }
  return segs;
}

/** Joins segments that share endpoints into polylines (smaller files than one move per segment). */
function joinSegments(segs: [number, number, number, number][]): [number, number][][] {
  const key = (x: number, y: number) => `${Math.round(x * 1e6)},${Math.round(y * 1e6)}`;
  const at = new Map<string, number[]>();
  segs.forEach((s, i) => {
    for (const k of [key(s[0], s[1]), key(s[2], s[3])]) (at.get(k) ?? at.set(k, []).get(k)!).push(i);
  });
  const used = new Uint8Array(segs.length), lines: [number, number][][] = [];
  const extend = (line: [number, number][], forward: boolean) => {
    for (;;) {
      const [x, y] = forward ? line[line.length - 1] : line[0];
      const next = (at.get(key(x, y)) ?? []).find((i) => !used[i]);
      if (next === undefined) return;
      used[next] = 1;
      const s = segs[next];
      const p: [number, number] = key(s[0], s[1]) === key(x, y) ? [s[2], s[3]] : [s[0], s[1]];
      if (forward) line.push(p);
      else line.unshift(p);
    }
  };
  segs.forEach((s, i) => {
    if (used[i]) return;
    used[i] = 1;
    const line: [number, number][] = [[s[0], s[1]], [s[2], s[3]]];
    extend(line, true);
    extend(line, false);
    lines.push(line);
  });
  return lines;
}

/** Drops points closer than half a pixel to the last kept one (long runs that have converged), keeping the end. */
function thin(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  points.forEach((p, i) => {
    const last = out[out.length - 1];
    if (!last || i === points.length - 1 || Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.5) out.push(p);
  });
  return out;
}

/** Viridis-like colour for t in [0, 1]. */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const f = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1), i = Math.floor(f), u = f - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * u));
  return `rgb(${c.join(',')})`;
}

/** The part of a trajectory inside the window (grown by 5%), plus the first point outside so the line leaves it. */
export function clipToWindow(surface: Surface, t: Trajectory): { points: [number, number][]; losses: number[]; left: number } {
  const { x, y } = surface.domain, mx = (x[1] - x[0]) * 0.05, my = (y[1] - y[0]) * 0.05;
  const inside = ([px_, py]: [number, number]) => px_ >= x[0] - mx && px_ <= x[1] + mx && py >= y[0] - my && py <= y[1] + my;
  const out = t.points.findIndex((p) => !inside(p));
  const n = out < 0 ? t.points.length : out + 1;
  return { points: t.points.slice(0, n), losses: t.losses.slice(0, out < 0 ? n : out), left: out };
}

/**
 * Trajectories over the surface's contour lines (left) and their losses by step (right).
 * @example writeFileSync('saddle.svg', trajectoriesSvg(SURFACES.saddle, ['sgd', 'adam'].map((o) => trajectory('saddle', o))));
 */
export function trajectoriesSvg(surface: Surface, trajectories: Trajectory[], options: { title?: string; grid?: number } = {}): string {
  const N = options.grid ?? 120;
  const { x: xd, y: yd } = surface.domain;
  const aspect = (yd[1] - yd[0]) / (xd[1] - xd[0]);
  const cw = 440, ch = Math.round(Math.min(440, Math.max(220, cw * aspect)));
  const top = 66, cBox = { x: 70, y: top, w: cw, h: ch };
  const lBox = { x: cBox.x + cw + 90, y: top, w: 380, h: ch };
  const width = lBox.x + lBox.w + 20;
  const legendRows = trajectories.length;
  const height = top + ch + 64 + legendRows * 17 + 10;
  const xs = Array.from({ length: N + 1 }, (_, i) => xd[0] + ((xd[1] - xd[0]) * i) / N);
  const ys = Array.from({ length: N + 1 }, (_, j) => yd[0] + ((yd[1] - yd[0]) * j) / N);
  const grid = ys.map((y) => xs.map((x) => surface.f(x, y)));
  const levels = contourLevels(surface, grid);
  const a = axes(cBox, xd, yd, { xLabel: 'x', yLabel: 'y', grid: false });
  const start = trajectories[0]?.points[0] ?? surface.start;
  const parts: string[] = [heading(16, 28, options.title ?? `${surface.title}: optimizers from (${start.map((v) => formatNumber(v)).join(', ')})`)];
  parts.push(`<defs><clipPath id="plot-${surface.name}"><rect x="${cBox.x}" y="${cBox.y}" width="${cBox.w}" height="${cBox.h}"/></clipPath></defs>`);
  parts.push(a.svg);
  const contours = levels
    .map((lv, li) => {
      const lines = joinSegments(isoSegments(grid, xs, ys, lv));
      const d = lines.map((ln) => ln.map(([x, y], i) => `${i ? 'L' : 'M'}${px(a.sx(x))} ${px(a.sy(y))}`).join('')).join('');
      return d ? `<path d="${d}" fill="none" stroke="${ramp(li / Math.max(1, levels.length - 1))}" stroke-width="1" stroke-opacity="0.75"/>` : '';
    })
    .join('');
  parts.push(`<g clip-path="url(#plot-${surface.name})">${contours}`);
  for (const p of surface.points) {
    parts.push(`<path d="M${px(a.sx(p.x))} ${px(a.sy(p.y) - 7)}l2 5h5l-4 3 2 6-5-4-5 4 2-6-4-3h5z" fill="#000"/>`);
  }
  const clipped = trajectories.map((t) => clipToWindow(surface, t));
  // Painted last-first, so the first optimizer listed (usually plain SGD) stays visible where paths overlap.
  [...clipped.entries()].reverse().forEach(([i, c]) => {
    const color = PALETTE[i % PALETTE.length];
    parts.push(polyline(thin(c.points.map(([x, y]) => [a.sx(x), a.sy(y)] as [number, number])), color, { width: 2 }));
    const [ex, ey] = c.points[c.points.length - 1];
    parts.push(`<circle cx="${px(a.sx(ex))}" cy="${px(a.sy(ey))}" r="3.5" fill="${color}" stroke="#fff"/>`);
  });
  if (trajectories.length) {
    const [sx0, sy0] = trajectories[0].points[0];
    parts.push(`<circle cx="${px(a.sx(sx0))}" cy="${px(a.sy(sy0))}" r="5" fill="none" stroke="#000" stroke-width="1.5"/>`);
  }
  parts.push('</g>');
  // The plot window and its domain, for pages that map pointer positions to (x, y).
  parts.push(`<rect data-plot-window="${xd[0]} ${xd[1]} ${yd[0]} ${yd[1]}" x="${cBox.x}" y="${cBox.y}" width="${cBox.w}" height="${cBox.h}" fill="none"/>`);
  parts.push(label(cBox.x, cBox.y - 8, `contours of f (${surface.levels === 'log' ? 'half-decade' : 'even'} levels); ○ start, ★ ${surface.points[0]?.label.startsWith('saddle') ? 'saddle point' : 'minima'}`, { size: 11, color: '#444' }));

  // Losses by step; log scale when every loss is positive.
  const positive = clipped.every((c) => c.losses.every((v) => v > 0));
  parts.push(lossPanel(lBox, clipped.map((c, i) => ({ name: trajectories[i].optimizer, values: c.losses })), { xLabel: 'step', yLabel: positive ? 'f(x, y)  (log scale)' : 'f(x, y)', logY: positive, legendAt: 'none' }));
  parts.push(label(lBox.x, lBox.y - 8, 'loss by step (until the path leaves the window)', { size: 11, color: '#444' }));

  // One legend row per optimizer under both panels: name, learning rate, where it ended.
  const ly = top + ch + 58;
  trajectories.forEach((t, i) => {
    const c = clipped[i], color = PALETTE[i % PALETTE.length];
    const [fx, fy] = t.points[t.points.length - 1];
    const fate = c.left >= 0 ? `left the window at step ${c.left}` : t.diverged ? 'diverged' : `ends at (${formatNumber(fx)}, ${formatNumber(fy)}), f = ${formatNumber(t.losses[t.losses.length - 1])}`;
    const y = ly + i * 17;
    parts.push(polyline([[cBox.x, y - 4], [cBox.x + 22, y - 4]], color, { width: 3 }));
    parts.push(label(cBox.x + 30, y, `${t.optimizer}  lr ${formatNumber(t.lr)}  ${t.points.length - 1} steps: ${fate}`, { size: 12 }));
  });
  return doc(width, height, parts.join(''), `${surface.name} trajectories`);
}
