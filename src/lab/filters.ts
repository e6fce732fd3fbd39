/**
 * Pictures of convolution filters: a grid of small heatmaps, one per output filter (CS231n's picture of a first
 * layer after training). Three-channel filters are drawn in colour (each filter scaled to [0, 1] on its own, as
 * CS231n does); other filters draw each input channel as a diverging heatmap (blue < 0 < red) on one symmetric scale
 * shared by the whole layer, so filters can be compared. Plain SVG strings: runs in browsers too.
 */
import { optionError } from '../errors.js';
import { escapeXml, formatNumber } from './svg.js';

/** Options of the filter-grid picture. */
export interface FiltersSvgOptions {
  /** Title above the grid. */
  title?: string;
  /** Filters per row (default: up to 8). */
  columns?: number;
  /** Pixels per filter tap (default 10). */
  cell?: number;
  /** At most this many input channels per filter are drawn (default 8). */
  maxInputChannels?: number;
}

/** A weight tensor `[out, in, kh, kw]`: a Conv2d weight Parameter, a state-dict entry, or `{ shape, data }`. */
export interface FilterWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Diverging blue–white–red for v in [−1, 1]. */
function diverging(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

/**
 * The filters of a convolution weight as a grid of heatmaps.
 * @example
 * writeFileSync('filters.svg', filtersSvg(model.layers[0].weight, { title: 'conv1 after 5 epochs' }));
 */
export function filtersSvg(weight: FilterWeight, options: FiltersSvgOptions = {}): string {
  const call = 'filtersSvg';
  if (!weight || !Array.isArray(weight.shape) || weight.shape.length !== 4 || !(weight.data instanceof Float32Array)) {
    throw optionError(call, 'weight', 'a convolution weight { shape: [out, in, kh, kw], data: Float32Array }', weight);
  }
  const [out, inC, kh, kw] = weight.shape;
  if (weight.data.length !== out * inC * kh * kw) throw optionError(call, 'weight.data', `length ${out * inC * kh * kw} for shape [${weight.shape.join(', ')}]`, `length ${weight.data.length}`);
  const cell = options.cell ?? 10;
  const columns = Math.max(1, Math.min(options.columns ?? 8, out));
  const rgb = inC === 3;
  const drawn = rgb ? 1 : Math.min(inC, options.maxInputChannels ?? 8);
  const w = weight.data;
  let absMax = 0;
  for (let i = 0; i < w.length; i++) if (Number.isFinite(w[i])) absMax = Math.max(absMax, Math.abs(w[i]));
  const scale = absMax || 1;

  const fw = drawn * (kw * cell + 2) - 2, fh = kh * cell, gapX = 12, gapY = 22, top = options.title ? 44 : 12, left = 12;
  const rows = Math.ceil(out / columns);
  const width = left * 2 + columns * (fw + gapX), height = top + rows * (fh + gapY) + 30;
  const parts: string[] = [];
  if (options.title) parts.push(`<text x="${left}" y="26" font-size="15" fill="#222">${escapeXml(options.title)}</text>`);
  for (let o = 0; o < out; o++) {
    const x0 = left + (o % columns) * (fw + gapX), y0 = top + Math.floor(o / columns) * (fh + gapY) + 14;
    parts.push(`<text x="${x0}" y="${y0 - 4}" font-size="10" fill="#444">${o}</text>`);
    const base = o * inC * kh * kw;
    if (rgb) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < 3 * kh * kw; i++) {
        lo = Math.min(lo, w[base + i]);
        hi = Math.max(hi, w[base + i]);
      }
      const span = hi - lo || 1;
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const ch = (c: number) => Math.round((255 * (w[base + c * kh * kw + y * kw + x] - lo)) / span);
          parts.push(`<rect x="${x0 + x * cell}" y="${y0 + y * cell}" width="${cell}" height="${cell}" fill="rgb(${ch(0)},${ch(1)},${ch(2)})"/>`);
        }
      continue;
    }
    for (let c = 0; c < drawn; c++) {
      const cx = x0 + c * (kw * cell + 2);
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const v = w[base + c * kh * kw + y * kw + x];
          parts.push(`<rect x="${cx + x * cell}" y="${y0 + y * cell}" width="${cell}" height="${cell}" fill="${Number.isFinite(v) ? diverging(v / scale) : '#000'}"/>`);
        }
    }
  }
  const note = rgb
    ? `${out} filters ${kh}×${kw}, RGB, each scaled to its own range`
    : `${out} filters ${kh}×${kw}${inC > drawn ? `, first ${drawn} of ${inC} input channels` : inC > 1 ? `, ${inC} input channels side by side` : ''}; blue −${formatNumber(scale)} … red +${formatNumber(scale)}`;
  parts.push(`<text x="${left}" y="${height - 10}" font-size="11" fill="#444">${escapeXml(note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif"><title>${escapeXml(options.title ?? 'convolution filters')}</title><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}
