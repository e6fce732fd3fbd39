/**
 * Summary statistics of one layer's output, read from the backend buffer the layer just wrote. Sums run in
 * float64 over the float32 values. "Dead" is per unit (a ReLU feature, or a whole channel of a
 * `[C, H, W]` output, that is exactly 0 for every row of the batch); "saturated" is per value (|tanh| > 0.99, sigmoid < 0.01 or > 0.99), the share of the histogram piled
 * against the flat ends of the curve.
 */
import { ACTIVATION_TABLE, type ActivationName } from '../nn/activation-table.js';

/** Counts over equal-width bins between `min` and `max`. */
export interface Histogram {
  /** Lower edge of the first bin. */
  lo: number;
  /** Upper edge of the last bin (values equal to it fall in the last bin; values outside are clamped in). */
  hi: number;
  /** Number of values per bin; `counts.length` bins of width `(hi − lo)/bins`. */
  counts: number[];
}

/** One layer's activation statistics: moments, range, histogram, dead and saturated fractions. */
export interface LayerStats {
  /** Position in `model.layers` (initProbe: the hidden layer number, from 0). */
  index: number;
  /** PyTorch's class name of the layer that produced these values: `Linear`, `Tanh`, `ReLU`, … */
  type: string;
  /** Activation kind when the layer is one, else null. */
  activation: ActivationName | null;
  /** Number of values summarised (rows × values per sample). */
  count: number;
  /** Units per sample: features for `[features]`, channels for `[C, H, W]`. */
  units: number;
  mean: number;
  std: number;
  /** Mean of squares (the quantity Xavier and Kaiming keep constant through a layer). */
  meanSquare: number;
  min: number;
  max: number;
  histogram: Histogram;
  /** Fraction of values exactly 0 (half of a healthy ReLU layer's outputs). */
  zeroFraction: number;
  /** Fraction of units that output exactly 0 for every row (ReLU only; 0 for other layers). */
  deadFraction: number;
  /** Fraction of values in the flat part of the curve (tanh, sigmoid; 0 for other layers). */
  saturatedFraction: number;
  /** NaN and ±Inf values (excluded from every other statistic). */
  nonFinite: number;
}

/** Where histograms of an activation's output live when no range is given. */
export function naturalRange(activation: ActivationName | null): [number, number] | null {
  const range = activation ? ACTIVATION_TABLE[activation].range : undefined;
  return range ? [range[0], range[1]] : null;
}

/**
 * Statistics of a layer's output for `rows` samples (row-major, as the kernels write them). `shape` is the
 * per-sample shape (or a width): for `[C, H, W]` (any rank ≥ 2) a unit is a channel, as in CS231n — a dead ReLU
 * filter outputs 0 at every position of every sample; for `[features]` a unit is a feature.
 */
export function summarize(
  values: Float32Array,
  rows: number,
  shape: readonly number[] | number,
  meta: { index: number; type: string; activation: ActivationName | null },
  bins: number,
  range?: [number, number],
): LayerStats {
  const dims = typeof shape === 'number' ? [shape] : shape;
  const size = dims.reduce((a, b) => a * b, 1);
  const units = dims.length >= 2 ? dims[0] : size;
  const positions = size / Math.max(units, 1);
  const n = rows * size;
  let sum = 0, sq = 0, min = Infinity, max = -Infinity, bad = 0, saturated = 0, zeros = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
    if (v < min) min = v;
    if (v > max) max = v;
    if (meta.activation === 'tanh' ? Math.abs(v) > 0.99 : meta.activation === 'sigmoid' ? v < 0.01 || v > 0.99 : false) saturated++;
  }
  const good = n - bad;
  const mean = good ? sum / good : NaN;
  const meanSquare = good ? sq / good : NaN;
  let dead = 0;
  if (meta.activation === 'relu') {
    for (let j = 0; j < units; j++) {
      let allZero = true;
      for (let i = 0; i < rows && allZero; i++) {
        const at = i * size + j * positions;
        for (let p = 0; p < positions && allZero; p++) allZero = values[at + p] === 0;
      }
      if (allZero) dead++;
    }
  }
  // Centred second pass: the one-pass formula loses everything when the mean dwarfs the spread.
  let centred = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) centred += (v - mean) * (v - mean);
  }
  const [lo, hi] = range ?? naturalRange(meta.activation) ?? (good ? widen(min, max) : [0, 1]);
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) * scale)))]++;
  }
  return {
    index: meta.index,
    type: meta.type,
    activation: meta.activation,
    count: n,
    units,
    mean,
    std: good ? Math.sqrt(centred / good) : NaN,
    meanSquare,
    min: good ? min : NaN,
    max: good ? max : NaN,
    histogram: { lo, hi, counts },
    zeroFraction: good ? zeros / good : 0,
    deadFraction: units ? dead / units : 0,
    saturatedFraction: good ? saturated / good : 0,
    nonFinite: bad,
  };
}

/** A histogram range for [min, max] that is never empty. */
function widen(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.5 : 1;
  return [min - pad, max + pad];
}

/** Mean, std, absolute maximum and L2 norm of an array (float64 sums), with its count of NaN/Inf. */
export function vectorStats(values: Float32Array): { mean: number; std: number; absMax: number; norm: number; nonFinite: number } {
  let sum = 0, sq = 0, absMax = 0, bad = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    sum += v;
    sq += v * v;
    if (Math.abs(v) > absMax) absMax = Math.abs(v);
  }
  const good = values.length - bad;
  const mean = good ? sum / good : 0;
  return { mean, std: good ? Math.sqrt(Math.max(0, sq / good - mean * mean)) : 0, absMax, norm: Math.sqrt(sq), nonFinite: bad };
}
