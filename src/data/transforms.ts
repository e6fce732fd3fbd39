/**
 * Preparing labelled rows for training: scaling to [0, 1], standardising with statistics fitted on the training
 * rows only (and stored, so a saved model normalises new data the same way), a seeded train/validation split,
 * and one-hot targets for losses that want them. All of it works in place on typed arrays or copies once.
 */
import type { LabelledData } from './digits.js';
import { Rng } from '../rng.js';

/** Mean and standard deviation: one value for every feature (`perFeature`) or one shared value. */
export interface Standardizer {
  mean: number[];
  std: number[];
}

/**
 * Divides every value by `max` in place (255 for 8-bit images), so values land in [0, 1].
 * @example scaleToUnit(train.x, 255);
 */
export function scaleToUnit(x: Float32Array, max = 255): Float32Array {
  const s = 1 / max;
  for (let i = 0; i < x.length; i++) x[i] *= s;
  return x;
}

/**
 * Fits mean and standard deviation on training rows (in float64). Features with zero spread get std 1, so they
 * stay constant instead of dividing by zero.
 * @example const stats = fitStandardizer(train.x, train.features); standardize(test.x, stats);
 */
export function fitStandardizer(x: Float32Array, features: number, { perFeature = false }: { perFeature?: boolean } = {}): Standardizer {
  const rows = x.length / features;
  if (!perFeature) {
    let sum = 0, sq = 0;
    for (let i = 0; i < x.length; i++) sum += x[i];
    const mean = sum / x.length;
    for (let i = 0; i < x.length; i++) sq += (x[i] - mean) ** 2;
    const std = Math.sqrt(sq / x.length);
    return { mean: [mean], std: [std > 1e-12 ? std : 1] };
  }
  const sum = new Float64Array(features), sq = new Float64Array(features);
  for (let r = 0; r < rows; r++) for (let j = 0; j < features; j++) sum[j] += x[r * features + j];
  const mean = Array.from(sum, (s) => s / rows);
  for (let r = 0; r < rows; r++) for (let j = 0; j < features; j++) sq[j] += (x[r * features + j] - mean[j]) ** 2;
  const std = Array.from(sq, (s) => Math.sqrt(s / rows)).map((s) => (s > 1e-12 ? s : 1));
  return { mean, std };
}

/** Applies `(x − mean) / std` in place, with one shared or one per-feature pair. */
export function standardize(x: Float32Array, stats: Standardizer): Float32Array {
  const n = stats.mean.length;
  if (n === 1) {
    const m = stats.mean[0], inv = 1 / stats.std[0];
    for (let i = 0; i < x.length; i++) x[i] = (x[i] - m) * inv;
    return x;
  }
  if (x.length % n !== 0) throw new RangeError(`standardize: ${x.length} values are not rows of ${n} features`);
  const inv = stats.std.map((s) => 1 / s);
  for (let i = 0; i < x.length; i += n) for (let j = 0; j < n; j++) x[i + j] = (x[i + j] - stats.mean[j]) * inv[j];
  return x;
}

/** The given rows of a data set, copied into new arrays. */
export function selectRows<T extends LabelledData>(data: T, rows: ArrayLike<number>): T {
  const f = data.features, x = new Float32Array(rows.length * f), y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    x.set(data.x.subarray(r * f, (r + 1) * f), i * f);
    y[i] = data.y[r];
  }
  return { ...data, x, y, count: rows.length };
}

/**
 * A seeded random split: `fraction` of the rows (rounded) go to `validation`, the rest to `train`.
 * @example const { train, validation } = trainValidationSplit(data, 0.1, 42);
 */
export function trainValidationSplit<T extends LabelledData>(data: T, fraction: number, seed = 0): { train: T; validation: T } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`trainValidationSplit: expected fraction in [0, 1), received ${fraction}`);
  const order = new Rng(seed).shuffle(new Int32Array(data.count).map((_, i) => i));
  const k = Math.round(data.count * fraction);
  return { validation: selectRows(data, order.subarray(0, k)), train: selectRows(data, order.subarray(k)) };
}

/** The first `n` rows (views, no copy): a quick subset. */
export function takeRows<T extends LabelledData>(data: T, n: number): T {
  const k = Math.min(n, data.count);
  return { ...data, x: data.x.subarray(0, k * data.features), y: data.y.subarray(0, k), count: k };
}

/**
 * One-hot rows for `mse` or `bceWithLogits`: `out[i·classes + y[i]] = 1`.
 * @example oneHot(new Int32Array([2, 0]), 3)   // [0,0,1, 1,0,0]
 */
export function oneHot(y: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] < classes)) throw new RangeError(`oneHot: expected y[${i}] to be a class index in [0, ${classes}), received ${y[i]}`);
    out[i * classes + y[i]] = 1;
  }
  return out;
}

/** `matrix[t·classes + p]` counts rows of true class `t` predicted as `p` (argmax of each output row). */
export function confusionMatrix(outputs: Float32Array, y: Int32Array, classes: number): Int32Array {
  const m = new Int32Array(classes * classes);
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (outputs[i * classes + j] > outputs[i * classes + best]) best = j;
    m[y[i] * classes + best]++;
  }
  return m;
}
