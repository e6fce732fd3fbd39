/**
 * Losses, each a fused kernel that writes per-row losses and (optionally) the gradient in one pass. Means follow
 * PyTorch's default `reduction='mean'`: cross-entropy averages over the batch, MSE and BCE over every element.
 */
import type { F32Buf, I32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkF32, checkI32 } from '../check.js';
import { dtypeError, optionError, shapeError, valueError } from '../errors.js';

/** The built-in losses by name, as `Trainer`'s `loss` option takes them. */
export type LossName = 'crossEntropy' | 'mse' | 'bceWithLogits';
export const LOSS_NAMES: readonly LossName[] = ['crossEntropy', 'mse', 'bceWithLogits'];
/** Targets: `Int32Array` class labels (cross-entropy) or `Float32Array` values shaped like the output (MSE, BCE). */
export type Target = Int32Array | Float32Array;

/** A loss: checks targets and runs its fused kernel (loss and gradient in one pass) on the active backend. */
export interface Loss {
  readonly name: LossName;
  /** `'labels'`: Int32Array of class indices, one per row; `'values'`: Float32Array shaped like the prediction. */
  readonly target: 'labels' | 'values';
  /** Factor from summed to mean loss (1/m or 1/(m·n)), also the gradient scale. */
  scale(m: number, n: number): number;
  /** The number of terms the mean loss divides by (m rows, or m·n elements): `evaluate` divides the sum by it. */
  meanOver(m: number, n: number): number;
  /**
   * Counts the correct predictions among `m` rows of `n` outputs (may be fractional: BCE counts per element and
   * divides by `n`). Absent for losses without a notion of accuracy (MSE), whose `evaluate` and `fit` logs then
   * carry no accuracy.
   */
  correct?(out: Float32Array, target: Target, m: number, n: number): number;
  /** Checks a target against `m` rows of `n` outputs (dtype, length, label range, finiteness). */
  checkTarget(call: string, target: unknown, m: number, n: number): Target;
  /** Runs the fused kernel: per-row losses into `loss`, gradient into `grad` unless it has length 0. */
  run(backend: Backend, m: number, n: number, pred: F32Buf, target: F32Buf | I32Buf, loss: F32Buf, grad: F32Buf): void;
  /** Mean loss in float64 on plain arrays (gradient checks). */
  value64(pred: Float64Array, target: Target, m: number, n: number): number;
  /**
   * Mean loss and its gradient w.r.t. `pred`, computed by the active backend's kernel.
   * @example const { loss, grad } = crossEntropy.value(logits, labels, batch);
   */
  value(pred: Float32Array, target: Target, batch?: number): { loss: number; grad: Float32Array };
}

function checkValues(call: string, target: unknown, m: number, n: number): Float32Array {
  if (!(target instanceof Float32Array)) throw dtypeError(call, 'y', 'a Float32Array of targets', target);
  if (target.length !== m * n) throw shapeError(call, 'y', `[${m}, ${n}]`, `length ${target.length}`);
  return target;
}

/** Rows whose largest output is at the label's index (the first maximum wins ties, like torch.argmax). */
function argmaxHits(out: Float32Array, labels: Target, m: number, n: number): number {
  let hits = 0;
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (out[i * n + j] > out[i * n + best]) best = j;
    if (best === labels[i]) hits++;
  }
  return hits;
}

/** Elements whose logit sign agrees with the target thresholded at 0.5, in rows (hits / n). */
function thresholdHits(out: Float32Array, target: Target, m: number, n: number): number {
  let hits = 0;
  for (let i = 0; i < m * n; i++) if ((out[i] > 0 ? 1 : 0) === (target[i] >= 0.5 ? 1 : 0)) hits++;
  return hits / n;
}

function makeLoss(spec: Omit<Loss, 'value'>): Loss {
  const loss: Loss = {
    ...spec,
    value(pred, target, batch) {
      const call = `${spec.name}.value`;
      checkF32(call, 'pred', pred);
      const m = batch ?? (spec.target === 'labels' ? target.length : 1);
      if (!Number.isInteger(m) || m < 1) throw optionError(call, 'batch', 'a positive integer', m);
      if (pred.length % m !== 0 || pred.length === 0) throw shapeError(call, 'pred', `[${m}, *]`, `length ${pred.length}`);
      const n = pred.length / m;
      const t = spec.checkTarget(call, target, m, n);
      const backend = getBackend();
      const P = backend.alloc(m * n), G = backend.alloc(m * n), L = backend.alloc(m);
      const T = t instanceof Int32Array ? backend.allocI32(t.length) : backend.alloc(t.length);
      try {
        P.data.set(pred);
        T.data.set(t as never);
        spec.run(backend, m, n, P, T, L, G);
        let s = 0;
        for (const v of L.data) s += v;
        return { loss: s * spec.scale(m, n), grad: G.data.slice() };
      } finally {
        for (const b of [P, G, L, T]) backend.free(b);
      }
    },
  };
  return Object.freeze(loss);
}

/** Fused log-softmax + negative log-likelihood over class logits; labels are `Int32Array` in `[0, classes)`. */
export const crossEntropy: Loss = makeLoss({
  name: 'crossEntropy',
  target: 'labels',
  scale: (m) => 1 / m,
  meanOver: (m) => m,
  correct: argmaxHits,
  checkTarget(call, target, m, n) {
    const labels = checkI32(call, 'y', target);
    if (labels.length !== m) throw shapeError(call, 'y', `[${m}] (one label per row)`, `length ${labels.length}`);
    for (let i = 0; i < m; i++) {
      const c = labels[i];
      if (c < 0 || c >= n) {
        throw valueError(call, `y[${i}]`, `a class index in [0, ${n})`, `${c}`);
      }
    }
    return labels;
  },
  run: (b, m, n, pred, target, loss, grad) => b.k.softmax_xent_f32(m, n, 1 / m, pred, target as I32Buf, loss, grad),
  value64(pred, target, m, n) {
    let s = 0;
    for (let i = 0; i < m; i++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, pred[i * n + j]);
      let e = 0;
      for (let j = 0; j < n; j++) e += Math.exp(pred[i * n + j] - max);
      s += max + Math.log(e) - pred[i * n + target[i]];
    }
    return s / m;
  },
});

/** Mean squared error over every element (PyTorch's `MSELoss()`). */
export const mse: Loss = makeLoss({
  name: 'mse',
  target: 'values',
  scale: (m, n) => 1 / (m * n),
  meanOver: (m, n) => m * n,
  checkTarget(call, target, m, n) {
    const t = checkValues(call, target, m, n);
    // A NaN or infinite target makes the loss and every weight NaN after one step.
    for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) throw valueError(call, `y[${i}]`, 'a finite number', `${t[i]}`);
    return t;
  },
  run: (b, m, n, pred, target, loss, grad) => b.k.mse_f32(m, n, 1 / (m * n), pred, target as F32Buf, loss, grad),
  value64(pred, target, m, n) {
    let s = 0;
    for (let i = 0; i < m * n; i++) s += (pred[i] - target[i]) ** 2;
    return s / (m * n);
  },
});

/** Sigmoid + binary cross-entropy fused and stable for any logit (PyTorch's `BCEWithLogitsLoss()`); targets in [0, 1]. */
export const bceWithLogits: Loss = makeLoss({
  name: 'bceWithLogits',
  target: 'values',
  scale: (m, n) => 1 / (m * n),
  meanOver: (m, n) => m * n,
  correct: thresholdHits,
  checkTarget(call, target, m, n) {
    const t = checkValues(call, target, m, n);
    for (let i = 0; i < t.length; i++) {
      if (!(t[i] >= 0 && t[i] <= 1)) throw valueError(call, `y[${i}]`, 'a probability in [0, 1]', `${t[i]}`);
    }
    return t;
  },
  run: (b, m, n, pred, target, loss, grad) => b.k.bce_logits_f32(m, n, 1 / (m * n), pred, target as F32Buf, loss, grad),
  value64(pred, target, m, n) {
    let s = 0;
    for (let i = 0; i < m * n; i++) {
      const x = pred[i];
      s += Math.max(x, 0) - x * target[i] + Math.log1p(Math.exp(-Math.abs(x)));
    }
    return s / (m * n);
  },
});

/** The built-in losses by name. */
export const LOSSES: Record<LossName, Loss> = { crossEntropy, mse, bceWithLogits };
