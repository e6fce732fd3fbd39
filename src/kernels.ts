/**
 * The kernel contract: one interface, three implementations (js reference, native C++, wasm AssemblyScript).
 *
 * Conventions (CONTRIBUTING.md §2): fp32 only, labels are int32; arrays are contiguous and row-major; arguments go
 * sizes → scalars and 0/1 flags → read arrays → written arrays. Kernels return nothing, never allocate, never
 * validate (layers validate once at the TypeScript boundary) and never throw on valid input. Scalars that depend
 * on the optimizer's step count (bias corrections, first-step dampening, decayed Adagrad rate) are computed by
 * the TypeScript optimizer, so kernels never see `t`. Weights are stored `[out, in]` like PyTorch's `Linear`.
 */
import type { F32Buf, I32Buf } from './buffers.js';

/** The kernel contract: every backend implements these, with the same names in C++, AssemblyScript and TypeScript. */
export interface Kernels {
  /** `C[m,n] = alpha·op(A)·op(B) + beta·C`; `op` transposes when its flag is 1. `beta = 0` never reads C. */
  gemm_f32(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: F32Buf, b: F32Buf, beta: number, c: F32Buf): void;
  /**
   * A dense layer's forward with its epilogue fused into the store of C: `C = act(A·Bᵀ + bias)` (A `[m,k]`, B
   * `[n,k]` as Linear's weight, bias optional: length 0 = none). `act = 0` is the identity; `act = 1` is ReLU when
   * `slope = 0` (`v ≤ 0 ? 0 : v`, NaN passes) and LeakyReLU otherwise (`v > 0 ? v : slope·v`), so the result equals
   * `gemm_f32` then `bias_add_f32` then `relu_fwd_f32`/`leaky_relu_fwd_f32` bit for bit.
   */
  gemm_bias_act_f32(m: number, n: number, k: number, act: number, slope: number, a: F32Buf, b: F32Buf, bias: F32Buf, c: F32Buf): void;
  /**
   * A dense layer's input gradient with the backward of the ReLU in front of it fused into the store:
   * `C = (A·B) ⊙ act′(y)` with A `[m,k]` (the output gradient), B `[k,n]` (the weight) and `y` `[m,n]` the
   * activation's output (the layer's input): `y > 0 ? v : 0` when `slope = 0`, `y > 0 ? v : slope·v` otherwise —
   * `gemm_f32` then `relu_bwd_f32`/`leaky_relu_bwd_f32` bit for bit.
   */
  gemm_act_bwd_f32(m: number, n: number, k: number, slope: number, a: F32Buf, b: F32Buf, y: F32Buf, c: F32Buf): void;
  /** `C[i,j] += bias[j]`. */
  bias_add_f32(m: number, n: number, bias: F32Buf, c: F32Buf): void;
  /** `out[j] = beta·out[j] + Σᵢ A[i,j]` (the bias gradient). `beta = 0` never reads out. */
  col_sum_f32(m: number, n: number, beta: number, a: F32Buf, out: F32Buf): void;
  /**
   * A dense layer's backward in one call, for `m` samples of `in_f` inputs and `out_f` outputs (w `[out_f, in_f]` as
   * Linear's weight): the weight gradient `dw = beta·dw + dyᵀ·x`, the bias gradient `db = beta·db + Σᵢ dy[i,:]` (db
   * optional: length 0 = none) and the input gradient `dx = dy·w` (optional), times the derivative of the ReLU
   * (`slope` 0) or LeakyReLU in front when `act = 1` (`y` is that activation's output, the layer's input). Bit for
   * bit `gemm_f32(1, 0, …)`, `col_sum_f32` and `gemm_f32(0, 0, …)` / `gemm_act_bwd_f32`, which it replaces so that
   * a backend may run the two products side by side (native and threaded wasm on two threads: one thread each,
   * instead of each product split over both). The outputs must not overlap each other or the inputs.
   */
  linear_bwd_f32(m: number, out_f: number, in_f: number, beta: number, act: number, slope: number, dy: F32Buf, x: F32Buf, w: F32Buf, y: F32Buf, dw: F32Buf, db: F32Buf, dx: F32Buf): void;

  /** `y = act(x)`; `x === y` allowed. */
  sigmoid_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** `y = tanh(x)`. */
  tanh_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** `y = max(x, 0)`. */
  relu_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** `y = x > 0 ? x : slope·x`. */
  leaky_relu_fwd_f32(n: number, slope: number, x: F32Buf, y: F32Buf): void;
  /** `dx = dy·act′`, from the forward output `y` (exact for all four when slope ≥ 0); `dy === dx` allowed. */
  sigmoid_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** `dx = dy·(1 − y²)`. */
  tanh_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** `dx = y > 0 ? dy : 0`. */
  relu_bwd_f32(n: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** `dx = y > 0 ? dy : slope·dy`. */
  leaky_relu_bwd_f32(n: number, slope: number, y: F32Buf, dy: F32Buf, dx: F32Buf): void;

  /**
   * The activations whose backward reads the input `x` (GELU and SiLU are not monotonic, so `y` does not determine
   * `x`): `y = act(x)` with `x === y` allowed; `dx = dy·act′(x)` with `dy === dx` allowed. PyTorch's formulas:
   * ELU `x > 0 ? x : alpha·(eˣ − 1)`; GELU `x·Φ(x)`; GELU-tanh `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`; SiLU `x·σ(x)`;
   * Softplus `log1p(e^(βx))/β`, or `x` where `βx > threshold`.
   */
  elu_fwd_f32(n: number, alpha: number, x: F32Buf, y: F32Buf): void;
  /** ELU backward from the input `x`. */
  elu_bwd_f32(n: number, alpha: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** Exact GELU, `x·Φ(x)`. */
  gelu_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** Exact GELU backward from the input `x`. */
  gelu_bwd_f32(n: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** GELU with the tanh approximation. */
  gelu_tanh_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** GELU (tanh approximation) backward from the input `x`. */
  gelu_tanh_bwd_f32(n: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** SiLU, `x·σ(x)`. */
  silu_fwd_f32(n: number, x: F32Buf, y: F32Buf): void;
  /** SiLU backward from the input `x`. */
  silu_bwd_f32(n: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** Softplus, `log1p(e^(βx))/β`, linear above the threshold. */
  softplus_fwd_f32(n: number, beta: number, threshold: number, x: F32Buf, y: F32Buf): void;
  /** Softplus backward from the input `x`. */
  softplus_bwd_f32(n: number, beta: number, threshold: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** Row softmax (dim 1) over `m` rows of `n`, max-subtracted: `y = exp(x − max)/Σ exp(x − max)`; `x === y` allowed. */
  softmax_fwd_f32(m: number, n: number, x: F32Buf, y: F32Buf): void;

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

  /**
   * Batch normalisation in training mode over x laid out `[n, c, hw]` (BatchNorm1d on [N, C]: hw = 1; on [N, C, L]:
   * hw = L; BatchNorm2d: hw = H·W). Per channel over its N = n·hw values: mean, biased variance,
   * `save_invstd = 1/√(var + eps)`, `y = (x − mean)·invstd·γ + β` (γ = 1, β = 0 when absent). When the running
   * arrays are present: `rm = momentum·mean + (1 − momentum)·rm`, `rv = momentum·var·N/(N − 1) + (1 − momentum)·rv`
   * (PyTorch's unbiased running estimate). N = 0 gives mean 0, var 0 and leaves the running arrays alone.
   * `y === x` allowed.
   */
  batch_norm_train_f32(n: number, c: number, hw: number, eps: number, momentum: number, x: F32Buf, gamma: F32Buf, beta: F32Buf, running_mean: F32Buf, running_var: F32Buf, y: F32Buf, save_mean: F32Buf, save_invstd: F32Buf): void;
  /**
   * Batch normalisation with the running statistics (evaluation mode): `y = (x − rm)·γ/√(rv + eps) + β`; also
   * writes `save_mean = rm` and `save_invstd = 1/√(rv + eps)` so batch_norm_bwd_f32 works after it. `y === x` allowed.
   */
  batch_norm_eval_f32(n: number, c: number, hw: number, eps: number, x: F32Buf, gamma: F32Buf, beta: F32Buf, running_mean: F32Buf, running_var: F32Buf, y: F32Buf, save_mean: F32Buf, save_invstd: F32Buf): void;
  /**
   * Batch normalisation backward, x̂ = (x − save_mean)·save_invstd. `batch_stats = 1` (the forward used batch
   * statistics): `dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂))`; `batch_stats = 0`: `dx = dy·γ·invstd`. When
   * present: `dgamma = beta_acc·dgamma + Σ dy·x̂`, `dbeta = beta_acc·dbeta + Σ dy` (`beta_acc = 0` never reads
   * them). `dx === dy` allowed.
   */
  batch_norm_bwd_f32(n: number, c: number, hw: number, batch_stats: number, beta_acc: number, x: F32Buf, dy: F32Buf, gamma: F32Buf, save_mean: F32Buf, save_invstd: F32Buf, dx: F32Buf, dgamma: F32Buf, dbeta: F32Buf): void;
  /**
   * Inverted dropout with a counter-based mask: element i is kept iff `(hash(seed, i) >>> 8) >= threshold`
   * (threshold = round(p·2²⁴) from the caller), `mask[i] = keep ? scale : 0`, `y = x·mask`. The hash (a
   * multiply-xorshift of `i·0x9E3779B9 ⊕ seed·0x85EBCA6B`) is the same on every backend, so masks are
   * bit-identical across backends. `y === x` allowed.
   */
  dropout_fwd_f32(n: number, seed: number, threshold: number, scale: number, x: F32Buf, y: F32Buf, mask: F32Buf): void;
  /** `out = a·b` elementwise (dropout backward: `dx = dy·mask`); `out === a` and `out === b` allowed. */
  mul_f32(n: number, a: F32Buf, b: F32Buf, out: F32Buf): void;

  /**
   * 2-D convolution (cross-correlation, PyTorch's Conv2d), NCHW: `y[n,o,oy,ox] = bias[o] + Σ w[o,i,ky,kx]·
   * x[n, g·c/groups + i, oy·sh − ph + ky·dilh, ox·sw − pw + kx·dilw]` over the `c/groups` input channels of o's
   * group g, taps outside the image reading zero. Weight `[oc, c/groups, kh, kw]`; `bias` length 0 = none; `col`
   * is scratch for one sample's im2col (`[c·kh·kw, oh·ow]`), contents unspecified afterwards.
   */
  conv2d_fwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, x: F32Buf, weight: F32Buf, bias: F32Buf, col: F32Buf, y: F32Buf): void;
  /** Input gradient of conv2d_fwd_f32 (the transposed convolution of `dy`); `dx` is overwritten. */
  conv2d_bwd_data_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, dy: F32Buf, weight: F32Buf, col: F32Buf, dx: F32Buf): void;
  /**
   * Weight and bias gradients of conv2d_fwd_f32 summed over the batch: `gw = beta·gw + Σ dy ⋆ x`,
   * `gb = beta·gb + Σ dy` (`gb` length 0 = none). `beta = 0` never reads gw or gb.
   */
  conv2d_bwd_filter_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, beta: number, x: F32Buf, dy: F32Buf, col: F32Buf, gw: F32Buf, gb: F32Buf): void;
  /**
   * conv2d_fwd_f32 followed by max_pool2d_fwd_f32 over its `n·oc` output planes (window pkh×pkw, stride psh×psw,
   * padding pph×ppw, pooled size qh×qw) and, with `relu`, relu_fwd_f32 on the pooled values, bit for bit, without
   * storing the convolution's output: `y` and `idx` are the pool's. `scratch` holds `chunk` samples' convolution
   * output and pooled values (`chunk` ≥ 1 samples of oc·(oh·ow + qh·qw) floats; a backend may use fewer), `col` is
   * conv2d_fwd_f32's; both are unspecified afterwards.
   */
  conv2d_max_pool2d_fwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, pkh: number, pkw: number, psh: number, psw: number, pph: number, ppw: number, qh: number, qw: number, chunk: number, relu: number, x: F32Buf, weight: F32Buf, bias: F32Buf, col: F32Buf, scratch: F32Buf, y: F32Buf, idx: I32Buf): void;
  /**
   * The backward of conv2d_max_pool2d_fwd_f32 from the gradient `dy` of its output and the pool's winner indices
   * `idx`, bit for bit relu_bwd_f32 (with `relu`, from the forward's output `y`), max_pool2d_bwd_f32 into the
   * convolution's output gradient, then conv2d_bwd_filter_f32 (`beta` as there) and, when `dx` is not empty,
   * conv2d_bwd_data_f32, without storing that gradient. `scratch` as in the forward.
   */
  conv2d_max_pool2d_bwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, qh: number, qw: number, chunk: number, relu: number, beta: number, x: F32Buf, dy: F32Buf, idx: I32Buf, y: F32Buf, weight: F32Buf, col: F32Buf, scratch: F32Buf, gw: F32Buf, gb: F32Buf, dx: F32Buf): void;
  /**
   * Max pooling over `nc` planes of h×w: `y` the window maximum (PyTorch's rule: the first maximum in window
   * order, a NaN wins), `idx` its position in the input plane (`iy·w + ix`). Padding never wins; a window with no
   * in-bounds element gives −Infinity and index 0.
   */
  max_pool2d_fwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, x: F32Buf, y: F32Buf, idx: I32Buf): void;
  /** `dx = 0`, then `dx[plane + idx] += dy` for every output. */
  max_pool2d_bwd_f32(nc: number, h: number, w: number, oh: number, ow: number, dy: F32Buf, idx: I32Buf, dx: F32Buf): void;
  /**
   * Average pooling: the window sum over in-bounds elements divided by PyTorch's divisor: with `include_pad`,
   * the window's size clipped to the padded image (h + 2·ph), else the in-bounds count; a divisor ≤ 0 gives 0.
   */
  avg_pool2d_fwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, include_pad: number, x: F32Buf, y: F32Buf): void;
  /** Input gradient of avg_pool2d_fwd_f32; `dx` is overwritten. */
  avg_pool2d_bwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, include_pad: number, dy: F32Buf, dx: F32Buf): void;
}

/** The name of a contract kernel (`gemm_f32`, `relu_fwd_f32`, …). */
export type KernelName = keyof Kernels;

/** Argument kinds, in order: sizes, scalars and 0/1 flags, then float32 and int32 arrays. */
export type ArgKind = 'size' | 'scalar' | 'flag' | 'f32' | 'i32';

/** A rule's syntax tree (code generators render it); `index` is the argument's position in the call. */
export type ExprNode =
  | { readonly op: 'arg'; readonly name: string; readonly index: number }
  | { readonly op: 'int'; readonly value: number }
  | { readonly op: '*' | '/' | '+'; readonly left: ExprNode; readonly right: ExprNode };

/** A compiled length or value rule (`m*k`, `oc*(c/groups)*kh*kw`). */
export interface Expr {
  readonly node: ExprNode;
  /** As error messages print it, `*` shown as `·`: `m·k`. */
  readonly text: string;
  /** The rule as a postfix program for `evaluate` (pairs: opcode, operand). */
  readonly code: Int32Array;
}

const OP_ARG = 0, OP_INT = 1, OP_MUL = 2, OP_DIV = 3, OP_ADD = 4;
const STACK = new Float64Array(32);

/**
 * The value of a compiled rule over one call's arguments by position (only size and flag positions are read).
 * One small loop over a typed program, so the kernel doors evaluate every rule through the same monomorphic code.
 */
export function evaluate(code: Int32Array, args: ArrayLike<number>): number {
  let top = -1;
  for (let i = 0; i < code.length; i += 2) {
    const op = code[i];
    if (op === OP_ARG) STACK[++top] = args[code[i + 1]];
    else if (op === OP_INT) STACK[++top] = code[i + 1];
    else {
      const r = STACK[top--], l = STACK[top];
      STACK[top] = op === OP_MUL ? l * r : op === OP_ADD ? l + r : Math.floor(l / r);
    }
  }
  return STACK[0];
}

function program(node: ExprNode, out: number[] = []): number[] {
  if (node.op === 'arg') out.push(OP_ARG, node.index);
  else if (node.op === 'int') out.push(OP_INT, node.value);
  else {
    program(node.left, out);
    program(node.right, out);
    out.push(node.op === '*' ? OP_MUL : node.op === '/' ? OP_DIV : OP_ADD, 0);
  }
  return out;
}

function depth(node: ExprNode): number {
  return node.op === 'arg' || node.op === 'int' ? 1 : Math.max(depth(node.left), 1 + depth(node.right));
}

/** A compiled `when` condition: `flag` (the flag is 1), `!flag` (it is 0) or `name>0`. */
export interface Cond {
  readonly name: string;
  readonly index: number;
  readonly test: 'set' | 'unset' | 'positive';
  /** As messages print it: `centered`, `!centered`, `mu > 0`. */
  readonly text: string;
}

/** Whether a compiled condition holds over one call's arguments (the flag is 1, is 0, or the value is > 0). */
export function holds(cond: Cond, args: ArrayLike<number>): boolean {
  const v = args[cond.index];
  return cond.test === 'positive' ? v > 0 : cond.test === 'set' ? v === 1 : v === 0;
}

/**
 * One argument of a kernel, parsed from its signature (see KERNEL_SIGNATURES):
 * - `len`: the element count the array must hold, an expression over the kernel's sizes (`m*k`, `c/groups*kh*kw`);
 * - `optional`: a length-0 array means "absent" (the kernel gets a null pointer and skips that output);
 * - `when`: the array is read only when this condition on a scalar or flag holds (`mu>0`, `centered`), else absent;
 * - `values`: int32 arrays whose every value must lie in `[0, values)` (labels, argmax indices);
 * - `min`: the smallest valid value of a size (1 for strides, kernel sizes, groups).
 * `lenExpr`, `whenCond` and `valuesExpr` are the same rules compiled once at load.
 */
export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  readonly len?: string;
  readonly optional?: boolean;
  readonly when?: string;
  readonly values?: string;
  readonly min?: number;
  readonly lenExpr?: Expr;
  readonly whenCond?: Cond;
  readonly valuesExpr?: Expr;
}

/** A kernel's parsed signature: its arguments and the length rule of each array. */
export interface KernelSpec {
  readonly args: readonly ArgSpec[];
  readonly kinds: readonly ArgKind[];
}

/**
 * The one table of the contract: every kernel's arguments, in order, with the length rule of each array. The
 * adapters (wasm bounds checks, the native addon's generated unwraps in native/kernels.gen.inc) and the boundary
 * tests all derive from it. Grammar, one token per argument: `name:size`, `name:size>=1`, `name:scalar`,
 * `name:flag`, `name:f32[len]`, `name:f32?[len]` (optional: length 0 = absent), `name:f32[len if cond]`,
 * `name:i32[len]{values}` (every value in `[0, values)`). Expressions (`len`, `values`) use the kernel's sizes and
 * flags, non-negative integers, `*`, `/` (integer division; its right side must be a positive integer or a
 * `size>=1`), `+` and parentheses; conditions are `flag`, `!flag` or `name>0`. A malformed record throws at load.
 */
export const KERNEL_SIGNATURES: { readonly [K in KernelName]: string } = {
  gemm_f32: 'ta:flag tb:flag m:size n:size k:size alpha:scalar a:f32[m*k] b:f32[k*n] beta:scalar c:f32[m*n]',
  gemm_bias_act_f32: 'm:size n:size k:size act:flag slope:scalar a:f32[m*k] b:f32[n*k] bias:f32?[n] c:f32[m*n]',
  gemm_act_bwd_f32: 'm:size n:size k:size slope:scalar a:f32[m*k] b:f32[k*n] y:f32[m*n] c:f32[m*n]',
  bias_add_f32: 'm:size n:size bias:f32[n] c:f32[m*n]',
  col_sum_f32: 'm:size n:size beta:scalar a:f32[m*n] out:f32[n]',
  linear_bwd_f32: 'm:size out_f:size in_f:size beta:scalar act:flag slope:scalar dy:f32[m*out_f] x:f32[m*in_f] w:f32[out_f*in_f] y:f32[m*in_f if act] dw:f32[out_f*in_f] db:f32?[out_f] dx:f32?[m*in_f]',
  sigmoid_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  tanh_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  relu_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  leaky_relu_fwd_f32: 'n:size slope:scalar x:f32[n] y:f32[n]',
  sigmoid_bwd_f32: 'n:size y:f32[n] dy:f32[n] dx:f32[n]',
  tanh_bwd_f32: 'n:size y:f32[n] dy:f32[n] dx:f32[n]',
  relu_bwd_f32: 'n:size y:f32[n] dy:f32[n] dx:f32[n]',
  leaky_relu_bwd_f32: 'n:size slope:scalar y:f32[n] dy:f32[n] dx:f32[n]',
  elu_fwd_f32: 'n:size alpha:scalar x:f32[n] y:f32[n]',
  elu_bwd_f32: 'n:size alpha:scalar x:f32[n] dy:f32[n] dx:f32[n]',
  gelu_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  gelu_bwd_f32: 'n:size x:f32[n] dy:f32[n] dx:f32[n]',
  gelu_tanh_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  gelu_tanh_bwd_f32: 'n:size x:f32[n] dy:f32[n] dx:f32[n]',
  silu_fwd_f32: 'n:size x:f32[n] y:f32[n]',
  silu_bwd_f32: 'n:size x:f32[n] dy:f32[n] dx:f32[n]',
  softplus_fwd_f32: 'n:size beta:scalar threshold:scalar x:f32[n] y:f32[n]',
  softplus_bwd_f32: 'n:size beta:scalar threshold:scalar x:f32[n] dy:f32[n] dx:f32[n]',
  softmax_fwd_f32: 'm:size n:size x:f32[m*n] y:f32[m*n]',
  softmax_xent_f32: 'm:size n:size scale:scalar logits:f32[m*n] labels:i32[m]{n} loss:f32[m] grad:f32?[m*n]',
  mse_f32: 'm:size n:size scale:scalar pred:f32[m*n] target:f32[m*n] loss:f32[m] grad:f32?[m*n]',
  bce_logits_f32: 'm:size n:size scale:scalar pred:f32[m*n] target:f32[m*n] loss:f32[m] grad:f32?[m*n]',
  sgd_step_f32: 'n:size lr:scalar wd:scalar w:f32[n] g:f32[n]',
  momentum_step_f32: 'n:size lr:scalar mu:scalar damp:scalar wd:scalar nesterov:flag w:f32[n] g:f32[n] buf:f32[n]',
  adagrad_step_f32: 'n:size clr:scalar wd:scalar eps:scalar w:f32[n] g:f32[n] sum:f32[n]',
  rmsprop_step_f32:
    'n:size lr:scalar alpha:scalar eps:scalar wd:scalar mu:scalar centered:flag w:f32[n] g:f32[n] sq:f32[n] buf:f32[n if mu>0] gavg:f32[n if centered]',
  adam_step_f32:
    'n:size lr:scalar b1:scalar b2:scalar eps:scalar wd:scalar decoupled:flag bc1:scalar bc2:scalar w:f32[n] g:f32[n] m:f32[n] v:f32[n] vmax:f32?[n]',
  batch_norm_train_f32:
    'n:size c:size hw:size eps:scalar momentum:scalar x:f32[n*c*hw] gamma:f32?[c] beta:f32?[c] running_mean:f32?[c] running_var:f32?[c] y:f32[n*c*hw] save_mean:f32[c] save_invstd:f32[c]',
  batch_norm_eval_f32:
    'n:size c:size hw:size eps:scalar x:f32[n*c*hw] gamma:f32?[c] beta:f32?[c] running_mean:f32[c] running_var:f32[c] y:f32[n*c*hw] save_mean:f32[c] save_invstd:f32[c]',
  batch_norm_bwd_f32:
    'n:size c:size hw:size batch_stats:flag beta_acc:scalar x:f32[n*c*hw] dy:f32[n*c*hw] gamma:f32?[c] save_mean:f32[c] save_invstd:f32[c] dx:f32[n*c*hw] dgamma:f32?[c] dbeta:f32?[c]',
  dropout_fwd_f32: 'n:size seed:size threshold:size scale:scalar x:f32[n] y:f32[n] mask:f32[n]',
  mul_f32: 'n:size a:f32[n] b:f32[n] out:f32[n]',
  conv2d_fwd_f32:
    'n:size c:size h:size w:size oc:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size dilh:size>=1 dilw:size>=1 groups:size>=1 oh:size ow:size x:f32[n*c*h*w] weight:f32[oc*(c/groups)*kh*kw] bias:f32?[oc] col:f32[c*kh*kw*oh*ow] y:f32[n*oc*oh*ow]',
  conv2d_bwd_data_f32:
    'n:size c:size h:size w:size oc:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size dilh:size>=1 dilw:size>=1 groups:size>=1 oh:size ow:size dy:f32[n*oc*oh*ow] weight:f32[oc*(c/groups)*kh*kw] col:f32[c*kh*kw*oh*ow] dx:f32[n*c*h*w]',
  conv2d_bwd_filter_f32:
    'n:size c:size h:size w:size oc:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size dilh:size>=1 dilw:size>=1 groups:size>=1 oh:size ow:size beta:scalar x:f32[n*c*h*w] dy:f32[n*oc*oh*ow] col:f32[c*kh*kw*oh*ow] gw:f32[oc*(c/groups)*kh*kw] gb:f32?[oc]',
  conv2d_max_pool2d_fwd_f32:
    'n:size c:size h:size w:size oc:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size dilh:size>=1 dilw:size>=1 groups:size>=1 oh:size ow:size pkh:size>=1 pkw:size>=1 psh:size>=1 psw:size>=1 pph:size ppw:size qh:size qw:size chunk:size>=1 relu:flag x:f32[n*c*h*w] weight:f32[oc*(c/groups)*kh*kw] bias:f32?[oc] col:f32[c*kh*kw*oh*ow] scratch:f32[chunk*oc*(oh*ow+qh*qw)] y:f32[n*oc*qh*qw] idx:i32[n*oc*qh*qw]',
  conv2d_max_pool2d_bwd_f32:
    'n:size c:size h:size w:size oc:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size dilh:size>=1 dilw:size>=1 groups:size>=1 oh:size ow:size qh:size qw:size chunk:size>=1 relu:flag beta:scalar x:f32[n*c*h*w] dy:f32[n*oc*qh*qw] idx:i32[n*oc*qh*qw]{oh*ow} y:f32[n*oc*qh*qw if relu] weight:f32[oc*(c/groups)*kh*kw] col:f32[c*kh*kw*oh*ow] scratch:f32[chunk*oc*(oh*ow+qh*qw)] gw:f32[oc*(c/groups)*kh*kw] gb:f32?[oc] dx:f32?[n*c*h*w]',
  max_pool2d_fwd_f32: 'nc:size h:size w:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size oh:size ow:size x:f32[nc*h*w] y:f32[nc*oh*ow] idx:i32[nc*oh*ow]',
  max_pool2d_bwd_f32: 'nc:size h:size w:size oh:size ow:size dy:f32[nc*oh*ow] idx:i32[nc*oh*ow]{h*w} dx:f32[nc*h*w]',
  avg_pool2d_fwd_f32: 'nc:size h:size w:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size oh:size ow:size include_pad:flag x:f32[nc*h*w] y:f32[nc*oh*ow]',
  avg_pool2d_bwd_f32: 'nc:size h:size w:size kh:size>=1 kw:size>=1 sh:size>=1 sw:size>=1 ph:size pw:size oh:size ow:size include_pad:flag dy:f32[nc*oh*ow] dx:f32[nc*h*w]',
};

const ARG = /^([a-z_][a-z0-9_]*):(size|scalar|flag|f32|i32)(?:>=(\d+))?(\?)?(?:\[([^\]]+)\])?(?:\{([^}]+)\})?$/;

/**
 * Compiles `len` and `values` rules: `expr := term ('+' term)*`, `term := factor (('*' | '/') factor)*`,
 * `factor := name | integer | '(' expr ')'`. `fail` names the kernel and argument in the thrown error.
 */
function compileExpr(source: string, args: readonly { name: string; kind: string; min?: number }[], fail: (why: string) => never): Expr {
  const tokens = source.match(/\d+|[a-z_][a-z0-9_]*|\S/g) ?? [];
  let at = 0;
  const factor = (): ExprNode => {
    const t = tokens[at++];
    if (t === '(') {
      const e = sum();
      if (tokens[at++] !== ')') fail(`missing ')' in '${source}'`);
      return e;
    }
    if (t !== undefined && /^\d+$/.test(t)) return { op: 'int', value: Number(t) };
    const index = args.findIndex((a) => a.name === t);
    if (t === undefined || !/^[a-z_]/.test(t)) fail(`unexpected ${t === undefined ? 'end' : `'${t}'`} in '${source}'`);
    if (index < 0 || (args[index].kind !== 'size' && args[index].kind !== 'flag')) fail(`'${t}' in '${source}' is not a size or flag of this kernel`);
    return { op: 'arg', name: t, index };
  };
  const term = (): ExprNode => {
    let left = factor();
    while (tokens[at] === '*' || tokens[at] === '/') {
      const op = tokens[at++] as '*' | '/';
      const right = factor();
      // Division by zero cannot happen: the divisor is a positive constant or a size the door checks is ≥ 1.
      const positive = right.op === 'int' ? right.value > 0 : right.op === 'arg' && (args[right.index].min ?? 0) >= 1;
      if (op === '/' && !positive) fail(`the divisor in '${source}' must be a positive integer or a size>=1`);
      left = { op, left, right };
    }
    return left;
  };
  const sum = (): ExprNode => {
    let left = term();
    while (tokens[at] === '+') {
      at++;
      left = { op: '+', left, right: term() };
    }
    return left;
  };
  const node = sum();
  if (at !== tokens.length) fail(`unexpected '${tokens[at]}' in '${source}'`);
  if (depth(node) > STACK.length) fail(`'${source}' nests too deeply`);
  return { node, text: source.replace(/\*/g, '·'), code: Int32Array.from(program(node)) };
}

function compileCond(source: string, args: readonly { name: string; kind: string }[], fail: (why: string) => never): Cond {
  const m = /^(!?)([a-z_][a-z0-9_]*)(>0)?$/.exec(source);
  if (!m || (m[1] && m[3])) fail(`condition '${source}' is not 'flag', '!flag' or 'name>0'`);
  const [, not, name, positive] = m;
  const index = args.findIndex((a) => a.name === name);
  const kind = args[index]?.kind;
  if (positive ? kind !== 'size' && kind !== 'scalar' && kind !== 'flag' : kind !== 'flag') {
    fail(`'${name}' in condition '${source}' is not a ${positive ? 'size, scalar or flag' : 'flag'} of this kernel`);
  }
  if (positive) return { name, index, test: 'positive', text: `${name} > 0` };
  return not ? { name, index, test: 'unset', text: `!${name}` } : { name, index, test: 'set', text: name };
}

/** Parses one signature string of KERNEL_SIGNATURES; a malformed one throws an Error naming the kernel. */
export function parseSignature(kernel: string, signature: string): KernelSpec {
  const tokens = signature.match(/[^\s[]+(?:\[[^\]]*\])?(?:\{[^}]*\})?/g) ?? [];
  const raw = tokens.map((token) => {
    const m = ARG.exec(token);
    if (!m) throw new Error(`kernel table: cannot parse ${kernel} argument '${token}'`);
    const [, name, kind, min, optional, bracket, values] = m;
    return { token, name, kind: kind as ArgKind, min: min === undefined ? undefined : Number(min), optional, bracket, values };
  });
  const args = raw.map(({ token, name, kind, min, optional, bracket, values }, i): ArgSpec => {
    const fail = (why: string): never => {
      throw new Error(`kernel table: ${kernel}.${name}: ${why}`);
    };
    const isArray = kind === 'f32' || kind === 'i32';
    if (raw.findIndex((r) => r.name === name) !== i) fail('duplicate argument name');
    if (isArray !== (bracket !== undefined)) fail('arrays need [len], other kinds none');
    if (min !== undefined && kind !== 'size') fail(`'>=' applies to sizes only ('${token}')`);
    if (optional && !isArray) fail(`'?' applies to arrays only ('${token}')`);
    if (values !== undefined && kind !== 'i32') fail(`'{values}' applies to i32 arrays only ('${token}')`);
    const spec: { -readonly [K in keyof ArgSpec]: ArgSpec[K] } = { name, kind };
    if (bracket !== undefined) {
      const [len, when] = bracket.split(/\s+if\s+/);
      spec.len = len.replace(/\s+/g, '');
      spec.lenExpr = compileExpr(spec.len, raw, fail);
      if (when !== undefined) {
        spec.when = when.replace(/\s+/g, '');
        spec.whenCond = compileCond(spec.when, raw, fail);
      }
    }
    if (optional) spec.optional = true;
    if (values !== undefined) {
      spec.values = values.replace(/\s+/g, '');
      spec.valuesExpr = compileExpr(spec.values, raw, fail);
    }
    if (min !== undefined) spec.min = min;
    return spec;
  });
  return { args, kinds: args.map((a) => a.kind) };
}

/** Every kernel of the contract with its parsed signature (from `KERNEL_SIGNATURES`); tests and adapters iterate over it. */
export const KERNELS: { readonly [K in KernelName]: KernelSpec } = Object.fromEntries(
  Object.entries(KERNEL_SIGNATURES).map(([name, sig]) => [name, parseSignature(name, sig)]),
) as { [K in KernelName]: KernelSpec };

/** Activation names shared by layers, kernels and diagnostics: the keys of the activation table. */
export type { ActivationName } from './nn/activation-table.js';
