/**
 * The module's exports: alloc/free for buffers in linear memory, and every kernel of the contract (src/kernels.ts)
 * under its contract name, taking byte pointers (usize), sizes, flags and float64 scalars only, so a call copies
 * nothing. Optional arrays (an unused grad, vmax, rmsprop's buf/gavg) arrive as pointer 0. Kernels trust their
 * arguments: the TypeScript adapter (src/backends/wasm.ts) checks every length against the sizes first.
 */
import { col_sum, bias_add } from './bias';
import { gemm } from './gemm';
import { elu_bwd, elu_fwd, gelu_bwd, gelu_fwd, gelu_tanh_bwd, gelu_tanh_fwd, leaky_relu_bwd, leaky_relu_fwd, relu_bwd, relu_fwd, sigmoid_bwd, sigmoid_fwd, silu_bwd, silu_fwd, softmax_fwd, softplus_bwd, softplus_fwd, tanh_bwd, tanh_fwd } from './act';
import { bce_logits, mse, softmax_xent } from './loss';
import { batch_norm_bwd, batch_norm_eval, batch_norm_train, dropout_fwd, mul } from './norm';
import { adagrad_step, adam_step, momentum_step, rmsprop_step, sgd_step } from './optim';
import { conv2d_bwd_data, conv2d_bwd_filter, conv2d_pool_fwd, conv2d_fwd } from './conv';
import { gemm_team, Scaled, Step, team_init, team_linear_bwd, team_max_pool, team_pairs_linear, team_scaled, team_splits, team_splits_gemm, team_started, team_step, team_unary, Unary, worker_failed, worker_main } from './team';
import { avg_pool2d_bwd, avg_pool2d_fwd, max_pool2d_bwd, max_pool2d_fwd } from './pool';

/** 1 in descent-relaxed.wasm (relaxed SIMD: fused multiply-add), 0 in descent.wasm: the loader reports which it got. */
export const RELAXED_SIMD: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 0;

/** 1 in the threaded modules (shared imported memory, a team of workers; assembly/team.ts), 0 in the others. */
export const THREADS: i32 = ASC_FEATURE_THREADS ? 1 : 0;

/**
 * Threaded modules only, on the owning thread: splits later kernel calls over `threads` threads (the caller plus
 * workers parked in thread_main). Returns the team's control block address for the workers (0 without threads).
 */
export function threads_init(threads: i32): usize {
  if (ASC_FEATURE_THREADS) return team_init(threads);
  return 0;
}

/** Threaded modules only: how many workers have started (0 without threads). */
export function threads_started(): i32 {
  if (ASC_FEATURE_THREADS) return team_started();
  return 0;
}

/** Threaded modules only: a worker instance's whole life as thread `t` of the team at `control` (see team.ts). */
export function thread_main(t: i32, control: usize): void {
  if (ASC_FEATURE_THREADS) worker_main(t, control);
}

/** Threaded modules only: called by a worker whose thread_main trapped, so the owner's kernel call fails instead of waiting. */
export function thread_failed(t: i32): void {
  if (ASC_FEATURE_THREADS) worker_failed(t);
}

/** A zero-filled block of `bytes` bytes, 16-byte aligned (TLSF); traps when memory cannot grow. */
export function alloc(bytes: usize): usize {
  const ptr = heap.alloc(bytes);
  memory.fill(ptr, 0, bytes);
  return ptr;
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

/**
 * Whether any of the `n` int32 values at `ptr` is ≥ `limit` as unsigned (a negative one counts as huge): the door's
 * check of pool indices and labels, four lanes a step here rather than one value at a time in JavaScript (600k pool
 * indices a CNN-S step). The door then finds the first in JavaScript for its message.
 */
export function any_at_least(ptr: usize, n: i32, limit: u32): i32 {
  // The unsigned maximum of 16 values a step (one instruction per vector, where ge_u takes two), compared once.
  let m0 = i32x4.splat(0), m1 = i32x4.splat(0), m2 = i32x4.splat(0), m3 = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = ptr + (<usize>i << 2);
    m0 = i32x4.max_u(m0, v128.load(p));
    m1 = i32x4.max_u(m1, v128.load(p, 16));
    m2 = i32x4.max_u(m2, v128.load(p, 32));
    m3 = i32x4.max_u(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = i32x4.max_u(m0, v128.load(ptr + (<usize>i << 2)));
  const m = i32x4.max_u(i32x4.max_u(m0, m1), i32x4.max_u(m2, m3));
  let tail = v128.any_true(i32x4.ge_u(m, i32x4.splat(<i32>limit))) ? 1 : 0;
  for (; i < n; i++) if (load<u32>(ptr + (<usize>i << 2)) >= limit) tail = 1;
  return tail;
}

export function gemm_f32(ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f64, a: usize, b: usize, beta: f64, c: usize): void {
  gemm(ta, tb, m, n, k, <f32>alpha, a, b, <f32>beta, c);
}

export function gemm_bias_act_f32(m: i32, n: i32, k: i32, act: i32, slope: f64, a: usize, b: usize, bias: usize, c: usize): void {
  gemm(0, 1, m, n, k, 1, a, b, 0, c, act, <f32>slope, bias, 0);
}

export function gemm_act_bwd_f32(m: i32, n: i32, k: i32, slope: f64, a: usize, b: usize, y: usize, c: usize): void {
  gemm(0, 0, m, n, k, 1, a, b, 0, c, 0, <f32>slope, 0, y);
}

export function bias_add_f32(m: i32, n: i32, bias: usize, c: usize): void {
  bias_add(m, n, bias, c);
}

export function col_sum_f32(m: i32, n: i32, beta: f64, a: usize, out: usize): void {
  col_sum(m, n, <f32>beta, a, out);
}

export function linear_bwd_f32(m: i32, out_f: i32, in_f: i32, beta: f64, act: i32, slope: f64, dy: usize, x: usize, w: usize, y: usize, dw: usize, db: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_pairs_linear(m, out_f, in_f, dx)) {
      team_linear_bwd(m, out_f, in_f, <f32>beta, act, <f32>slope, dy, x, w, y, dw, db, dx);
      return;
    }
  }
  gemm(1, 0, out_f, in_f, m, 1, dy, x, <f32>beta, dw);
  if (db != 0) col_sum(m, out_f, <f32>beta, dy, db);
  if (dx != 0) gemm(0, 0, m, in_f, out_f, 1, dy, w, 0, dx, 0, <f32>slope, 0, act != 0 ? y : 0);
}

export function sigmoid_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.SIGMOID_FWD, n, x, y, 0);
  }
  sigmoid_fwd(n, x, y);
}

export function tanh_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.TANH_FWD, n, x, y, 0);
  }
  tanh_fwd(n, x, y);
}

export function relu_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.RELU_FWD, n, x, y, 0);
  }
  relu_fwd(n, x, y);
}

export function leaky_relu_fwd_f32(n: i32, slope: f64, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.LEAKY_RELU_FWD, n, <f32>slope, 0, x, y, 0);
  }
  leaky_relu_fwd(n, <f32>slope, x, y);
}

export function sigmoid_bwd_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.SIGMOID_BWD, n, y, dy, dx);
  }
  sigmoid_bwd(n, y, dy, dx);
}

export function tanh_bwd_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.TANH_BWD, n, y, dy, dx);
  }
  tanh_bwd(n, y, dy, dx);
}

export function relu_bwd_f32(n: i32, y: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.RELU_BWD, n, y, dy, dx);
  }
  relu_bwd(n, y, dy, dx);
}

export function leaky_relu_bwd_f32(n: i32, slope: f64, y: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.LEAKY_RELU_BWD, n, <f32>slope, 0, y, dy, dx);
  }
  leaky_relu_bwd(n, <f32>slope, y, dy, dx);
}

export function elu_fwd_f32(n: i32, alpha: f64, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.ELU_FWD, n, <f32>alpha, 0, x, y, 0);
  }
  elu_fwd(n, <f32>alpha, x, y);
}

export function elu_bwd_f32(n: i32, alpha: f64, x: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.ELU_BWD, n, <f32>alpha, 0, x, dy, dx);
  }
  elu_bwd(n, <f32>alpha, x, dy, dx);
}

export function gelu_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.GELU_FWD, n, x, y, 0);
  }
  gelu_fwd(n, x, y);
}

export function gelu_bwd_f32(n: i32, x: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.GELU_BWD, n, x, dy, dx);
  }
  gelu_bwd(n, x, dy, dx);
}

export function gelu_tanh_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.GELU_TANH_FWD, n, x, y, 0);
  }
  gelu_tanh_fwd(n, x, y);
}

export function gelu_tanh_bwd_f32(n: i32, x: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.GELU_TANH_BWD, n, x, dy, dx);
  }
  gelu_tanh_bwd(n, x, dy, dx);
}

export function silu_fwd_f32(n: i32, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.SILU_FWD, n, x, y, 0);
  }
  silu_fwd(n, x, y);
}

export function silu_bwd_f32(n: i32, x: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.SILU_BWD, n, x, dy, dx);
  }
  silu_bwd(n, x, dy, dx);
}

export function softplus_fwd_f32(n: i32, beta: f64, threshold: f64, x: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.SOFTPLUS_FWD, n, <f32>beta, <f32>threshold, x, y, 0);
  }
  softplus_fwd(n, <f32>beta, <f32>threshold, x, y);
}

export function softplus_bwd_f32(n: i32, beta: f64, threshold: f64, x: usize, dy: usize, dx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_scaled(Scaled.SOFTPLUS_BWD, n, <f32>beta, <f32>threshold, x, dy, dx);
  }
  softplus_bwd(n, <f32>beta, <f32>threshold, x, dy, dx);
}

export function softmax_fwd_f32(m: i32, n: i32, x: usize, y: usize): void {
  softmax_fwd(m, n, x, y);
}

export function softmax_xent_f32(m: i32, n: i32, scale: f64, logits: usize, labels: usize, loss: usize, grad: usize): void {
  softmax_xent(m, n, scale, logits, labels, loss, grad);
}

export function mse_f32(m: i32, n: i32, scale: f64, pred: usize, target: usize, loss: usize, grad: usize): void {
  mse(m, n, scale, pred, target, loss, grad);
}

export function bce_logits_f32(m: i32, n: i32, scale: f64, pred: usize, target: usize, loss: usize, grad: usize): void {
  bce_logits(m, n, scale, pred, target, loss, grad);
}

export function sgd_step_f32(n: i32, lr: f64, wd: f64, w: usize, g: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_step(Step.SGD, n, <f32>lr, <f32>wd, 0, 0, 0, 0, 0, 0, 0, w, g, 0, 0, 0);
  }
  sgd_step(n, <f32>lr, <f32>wd, w, g);
}

export function momentum_step_f32(n: i32, lr: f64, mu: f64, damp: f64, wd: f64, nesterov: i32, w: usize, g: usize, buf: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_step(Step.MOMENTUM, n, <f32>lr, <f32>mu, <f32>(1 - damp), <f32>wd, 0, 0, 0, 0, nesterov, w, g, buf, 0, 0);
  }
  momentum_step(n, <f32>lr, <f32>mu, <f32>(1 - damp), <f32>wd, nesterov, w, g, buf);
}

export function adagrad_step_f32(n: i32, clr: f64, wd: f64, eps: f64, w: usize, g: usize, sum: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_step(Step.ADAGRAD, n, <f32>clr, <f32>wd, <f32>eps, 0, 0, 0, 0, 0, 0, w, g, sum, 0, 0);
  }
  adagrad_step(n, <f32>clr, <f32>wd, <f32>eps, w, g, sum);
}

export function rmsprop_step_f32(n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, mu: f64, centered: i32, w: usize, g: usize, sq: usize, buf: usize, gavg: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_step(Step.RMSPROP, n, <f32>lr, <f32>alpha, <f32>(1 - alpha), <f32>eps, <f32>wd, <f32>mu, 0, 0, centered, w, g, sq, buf, gavg);
  }
  rmsprop_step(n, <f32>lr, <f32>alpha, <f32>(1 - alpha), <f32>eps, <f32>wd, <f32>mu, centered, w, g, sq, buf, gavg);
}

export function adam_step_f32(n: i32, lr: f64, b1: f64, b2: f64, eps: f64, wd: f64, decoupled: i32, bc1: f64, bc2: f64, w: usize, g: usize, m: usize, v: usize, vmax: usize): void {
  const decay = decoupled != 0 ? 1 - lr * wd : 1;
  const l2 = decoupled != 0 ? 0 : wd;
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_step(Step.ADAM, n, <f32>(lr / bc1), <f32>(1 - b1), <f32>b2, <f32>(1 - b2), <f32>eps, <f32>decay, <f32>l2, <f32>(1 / Math.sqrt(bc2)), 0, w, g, m, v, vmax);
  }
  adam_step(n, <f32>(lr / bc1), <f32>(1 - b1), <f32>b2, <f32>(1 - b2), <f32>eps, <f32>decay, <f32>l2, <f32>(1 / Math.sqrt(bc2)), w, g, m, v, vmax);
}

export function batch_norm_train_f32(n: i32, c: i32, hw: i32, eps: f64, momentum: f64, x: usize, gamma: usize, beta: usize, running_mean: usize, running_var: usize, y: usize, save_mean: usize, save_invstd: usize): void {
  batch_norm_train(n, c, hw, eps, momentum, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
}

export function batch_norm_eval_f32(n: i32, c: i32, hw: i32, eps: f64, x: usize, gamma: usize, beta: usize, running_mean: usize, running_var: usize, y: usize, save_mean: usize, save_invstd: usize): void {
  batch_norm_eval(n, c, hw, eps, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
}

export function batch_norm_bwd_f32(n: i32, c: i32, hw: i32, batch_stats: i32, beta_acc: f64, x: usize, dy: usize, gamma: usize, save_mean: usize, save_invstd: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  batch_norm_bwd(n, c, hw, batch_stats, beta_acc, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

export function dropout_fwd_f32(n: i32, seed: i32, threshold: i32, scale: f64, x: usize, y: usize, mask: usize): void {
  dropout_fwd(n, <u32>seed, <u32>threshold, <f32>scale, x, y, mask);
}

export function mul_f32(n: i32, a: usize, b: usize, out: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(n)) return team_unary(Unary.MUL, n, a, b, out);
  }
  mul(n, a, b, out);
}

export function conv2d_fwd_f32(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, x: usize, weight: usize, bias: usize, col: usize, y: usize): void {
  conv2d_fwd(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, x, weight, bias, col, y);
}

export function conv2d_bwd_data_f32(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, dy: usize, weight: usize, col: usize, dx: usize): void {
  conv2d_bwd_data(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, dy, weight, col, dx);
}

export function conv2d_bwd_filter_f32(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, beta: f64, x: usize, dy: usize, col: usize, gw: usize, gb: usize): void {
  conv2d_bwd_filter(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, <f32>beta, x, dy, col, gw, gb);
}

/**
 * The pair conv2d_fwd_f32 → max_pool2d_fwd_f32, `chunk` samples at a time through `scratch`: a chunk's outputs
 * (sized by the layer to stay in cache) are pooled before the next chunk is convolved, and each sample's arithmetic
 * is the unfused pair's. Each step still splits over the team (images, then planes).
 */
export function conv2d_max_pool2d_fwd_f32(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, pkh: i32, pkw: i32, psh: i32, psw: i32, pph: i32, ppw: i32, qh: i32, qw: i32, chunk: i32, relu: i32, x: usize, weight: usize, bias: usize, col: usize, scratch: usize, y: usize, idx: usize): void {
  // Layers on Winograd or the direct kernels (both of CNN-S's) pool each output tile as it is computed.
  const pool2 = pkh == 2 && pkw == 2 && psh == 2 && psw == 2 && pph == 0 && ppw == 0 && qh == oh >> 1 && qw == ow >> 1;
  if (pool2 && groups == 1 && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dilh == 1 && dilw == 1 && conv2d_pool_fwd(n, c, h, w, oc, ph, pw, oh, ow, relu, x, weight, bias, y, idx)) return;
  const inBytes = (<usize>c * <usize>h * <usize>w) << 2, outBytes = (<usize>oc * <usize>qh * <usize>qw) << 2;
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const count = min(chunk, n - s0), ys = y + <usize>s0 * outBytes;
    conv2d_fwd(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, x + <usize>s0 * inBytes, weight, bias, col, scratch);
    max_pool2d_fwd_f32(count * oc, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, scratch, ys, idx + <usize>s0 * outBytes);
    if (relu != 0) relu_fwd_f32(count * oc * qh * qw, ys, ys);
  }
}

export function max_pool2d_fwd_f32(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, x: usize, y: usize, idx: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(<i32>min(<i64>nc * <i64>h * <i64>w, 1 << 30)) && nc > 1) return team_max_pool(0, nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx);
  }
  max_pool2d_fwd(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx);
}

/**
 * The backward of conv2d_max_pool2d_fwd_f32, `chunk` samples at a time: max_pool2d_bwd_f32 (of relu_bwd_f32's gradient
 * with `relu`, masked inside it) into `scratch`, then the
 * weight gradient (beta on the first chunk, then 1: per-image accumulation, so the bits of one call) and the input
 * gradient of those samples (when `dx` is not empty).
 */
export function conv2d_max_pool2d_bwd_f32(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, qh: i32, qw: i32, chunk: i32, relu: i32, beta: f64, x: usize, dy: usize, idx: usize, y: usize, weight: usize, col: usize, scratch: usize, gw: usize, gb: usize, dx: usize): void {
  const inBytes = (<usize>c * <usize>h * <usize>w) << 2, pooledBytes = (<usize>oc * <usize>qh * <usize>qw) << 2;
  if (n == 0) conv2d_bwd_filter(0, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, <f32>beta, x, scratch, col, gw, gb);
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const count = min(chunk, n - s0), at = <usize>s0 * pooledBytes;
    // The ReLU's derivative masks each window's gradient inside the pool's backward (no pass of its own).
    max_pool_bwd_split(count * oc, oh, ow, qh, qw, dy + at, idx + at, scratch, relu != 0 ? y + at : 0);
    conv2d_bwd_filter(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, s0 == 0 ? <f32>beta : 1, x + <usize>s0 * inBytes, scratch, col, gw, gb);
    if (dx != 0) conv2d_bwd_data(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, scratch, weight, col, dx + <usize>s0 * inBytes);
  }
}

export function max_pool2d_bwd_f32(nc: i32, h: i32, w: i32, oh: i32, ow: i32, dy: usize, idx: usize, dx: usize): void {
  max_pool_bwd_split(nc, h, w, oh, ow, dy, idx, dx, 0);
}

/** max_pool2d_bwd over the team when it splits (planes), with the ReLU's mask from y when y ≠ 0. */
function max_pool_bwd_split(nc: i32, h: i32, w: i32, oh: i32, ow: i32, dy: usize, idx: usize, dx: usize, y: usize): void {
  if (ASC_FEATURE_THREADS) {
    if (team_splits(<i32>min(<i64>nc * <i64>h * <i64>w, 1 << 30)) && nc > 1) return team_max_pool(1, nc, h, w, 0, 0, 0, 0, 0, 0, oh, ow, dy, idx, dx, y);
  }
  max_pool2d_bwd(nc, h, w, oh, ow, dy, idx, dx, y);
}

export function avg_pool2d_fwd_f32(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, include_pad: i32, x: usize, y: usize): void {
  avg_pool2d_fwd(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, x, y);
}

export function avg_pool2d_bwd_f32(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, include_pad: i32, dy: usize, dx: usize): void {
  avg_pool2d_bwd(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, dy, dx);
}
