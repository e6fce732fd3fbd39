/**
 * The kernel contract: one interface, three implementations (js reference, native C++, wasm AssemblyScript).
 *
 * Conventions (see STYLE.md §3): fp32 only, labels are int32; arrays are contiguous and row-major; arguments go
 * sizes → scalars and 0/1 flags → read arrays → written arrays. Kernels return nothing, never allocate, never
 * validate (layers validate once at the TypeScript boundary) and never throw on valid input. Scalars that depend
 * on the optimizer's step count (bias corrections, first-step dampening, decayed Adagrad rate) are computed by
 * the TypeScript optimizer, so kernels never see `t`. Weights are stored `[out, in]` like PyTorch's `Linear`.
 */
import type { F32Buf, I32Buf } from './buffers.js';

export interface Kernels {
  /** `C[m,n] = alpha·op(A)·op(B) + beta·C`; `op` transposes when its flag is 1. `beta = 0` never reads C. */
  gemm_f32(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: F32Buf, b: F32Buf, beta: number, c: F32Buf): void;
  /** `C[i,j] += bias[j]`. */
  bias_add_f32(m: number, n: number, bias: F32Buf, c: F32Buf): void;
  /** `out[j] = beta·out[j] + Σᵢ A[i,j]` (the bias gradient). `beta = 0` never reads out. */
  col_sum_f32(m: number, n: number, beta: number, a: F32Buf, out: F32Buf): void;

  /** `y = act(x)`; `x === y` allowed. */
  sigmoid_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  tanh_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  relu_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  leaky_relu_fwd_f32(n: number, slope: number, x: F32Buf, y: F32Buf): void;
  /** `dx = dy·act′`, from the forward output `y` (exact for all four when slope ≥ 0); `dy === dx` allowed. */
  sigmoid_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  tanh_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  relu_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  leaky_relu_bwd_f32(n: number, slope: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;

  /**
   * Fused log-softmax + NLL over `m` rows of `n` logits. `loss[i] = logsumexp(x_i) − x_i[label_i]`;
   * when `grad` has length > 0: `grad = scale·(softmax(x) − onehot(label))`. `grad === logits` allowed.
   */
  softmax_xent_f32(m: number, n: number, scale: number, logits: F32Buf, labels: I32Buf, loss: F32Buf, grad: F32Buf): void;
  /** `loss[i] = Σⱼ (p − t)²` per row; when `grad` has length > 0: `grad = scale·2·(p − t)`. */
  mse_f32(m: number, n: number, scale: number, pred: F32Buf, target: F32Buf, loss: F32Buf, grad: F32Buf): void;
  /**
   * Binary cross-entropy on logits, per row: `loss[i] = Σⱼ max(x,0) − x·t + log1p(exp(−|x|))`;
   * when `grad` has length > 0: `grad = scale·(σ(x) − t)`.
   */
  bce_logits_f32(m: number, n: number, scale: number, pred: F32Buf, target: F32Buf, loss: F32Buf, grad: F32Buf): void;

  /** `g' = g + wd·w; w -= lr·g'`. */
  sgd_step_f32(n: number, lr: number, wd: number, w: F32Buf, g: F32Buf): void;
  /**
   * `g' = g + wd·w; buf = mu·buf + (1 − damp)·g'; w -= lr·(nesterov ? g' + mu·buf : buf)`.
   * torch copies g' into buf on the first step: buffers start at zero and the caller passes `damp = 0` then.
   */
  momentum_step_f32(n: number, lr: number, mu: number, damp: number, wd: number, nesterov: number, w: F32Buf, g: F32Buf, buf: F32Buf): void;
  /** `g' = g + wd·w; sum += g'²; w -= clr·g'/(√sum + eps)`; `clr = lr/(1 + (t−1)·lrDecay)` from the caller. */
  adagrad_step_f32(n: number, clr: number, wd: number, eps: number, w: F32Buf, g: F32Buf, sum: F32Buf): void;
  /**
   * `g' = g + wd·w; sq = alpha·sq + (1−alpha)·g'²`; centered: `gavg += (1−alpha)·(g' − gavg)`, `avg = √(sq − gavg²) + eps`,
   * else `avg = √sq + eps`; `mu > 0`: `buf = mu·buf + g'/avg; w -= lr·buf`, else `w -= lr·g'/avg`.
   * `buf` and `gavg` may have length 0 when unused.
   */
  rmsprop_step_f32(n: number, lr: number, alpha: number, eps: number, wd: number, mu: number, centered: number, w: F32Buf, g: F32Buf, sq: F32Buf, buf: F32Buf, gavg: F32Buf): void;
  /**
   * Adam (coupled L2: `g' = g + wd·w`) or AdamW (decoupled: `w *= 1 − lr·wd`, `g' = g`), then
   * `m += (1−b1)·(g' − m); v = b2·v + (1−b2)·g'²; v̂ = amsgrad ? (vmax = max(vmax, v)) : v;
   * w -= (lr/bc1)·m/(√v̂/√bc2 + eps)`. `vmax` has length 0 when AMSGrad is off.
   */
  adam_step_f32(n: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: number, bc1: number, bc2: number, w: F32Buf, g: F32Buf, m: F32Buf, v: F32Buf, vmax: F32Buf): void;
}

export type KernelName = keyof Kernels;

/** Argument kinds, in order, for every kernel: adapters and boundary tests iterate this one table. */
export type ArgKind = 'size' | 'scalar' | 'flag' | 'f32' | 'i32';

export const KERNELS: { readonly [K in KernelName]: readonly ArgKind[] } = {
  gemm_f32: ['flag', 'flag', 'size', 'size', 'size', 'scalar', 'f32', 'f32', 'scalar', 'f32'],
  bias_add_f32: ['size', 'size', 'f32', 'f32'],
  col_sum_f32: ['size', 'size', 'scalar', 'f32', 'f32'],
  sigmoid_fwd_f32: ['size', 'f32', 'f32'],
  tanh_fwd_f32: ['size', 'f32', 'f32'],
  relu_fwd_f32: ['size', 'f32', 'f32'],
  leaky_relu_fwd_f32: ['size', 'scalar', 'f32', 'f32'],
  sigmoid_bwd_f32: ['size', 'f32', 'f32', 'f32'],
  tanh_bwd_f32: ['size', 'f32', 'f32', 'f32'],
  relu_bwd_f32: ['size', 'f32', 'f32', 'f32'],
  leaky_relu_bwd_f32: ['size', 'scalar', 'f32', 'f32', 'f32'],
  softmax_xent_f32: ['size', 'size', 'scalar', 'f32', 'i32', 'f32', 'f32'],
  mse_f32: ['size', 'size', 'scalar', 'f32', 'f32', 'f32', 'f32'],
  bce_logits_f32: ['size', 'size', 'scalar', 'f32', 'f32', 'f32', 'f32'],
  sgd_step_f32: ['size', 'scalar', 'scalar', 'f32', 'f32'],
  momentum_step_f32: ['size', 'scalar', 'scalar', 'scalar', 'scalar', 'flag', 'f32', 'f32', 'f32'],
  adagrad_step_f32: ['size', 'scalar', 'scalar', 'scalar', 'f32', 'f32', 'f32'],
  rmsprop_step_f32: ['size', 'scalar', 'scalar', 'scalar', 'scalar', 'scalar', 'flag', 'f32', 'f32', 'f32', 'f32', 'f32'],
  adam_step_f32: ['size', 'scalar', 'scalar', 'scalar', 'scalar', 'scalar', 'flag', 'scalar', 'scalar', 'f32', 'f32', 'f32', 'f32', 'f32'],
};

/** Activation names shared by layers, kernels and diagnostics. */
export type ActivationName = 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu';
