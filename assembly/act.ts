/**
 * Activations, forward y = act(x) and backward dx = dy·act′ from the forward output y, over n contiguous floats,
 * four lanes per v128 and a partial-vector tail (so every element goes through the same formula).
 * sigmoid: e = exp(−|x|), σ = 1/(1+e) or e·σ(|x|) by sign, ≤ 1e-6 relative (exp bound in simd.ts); tanh: a (5,3)
 * rational in x² on [−9, 9], ≤ 3.7e-7 relative (about 6 ulp, measured on a dense float32 sweep of ±20). Both
 * saturate exactly to 0/1 and ±1 and pass NaN through. relu/leaky_relu are exact; x === y and dy === dx
 * are allowed because each vector is read before the same vector is written.
 * The smooth activations (ELU, GELU, GELU-tanh, SiLU, Softplus; backward from x) follow native/act/smooth.cc:
 * Φ(x) = ½·erfc(|x|/√2) by sign with Numerical Recipes' erfcc (2nd ed., §6.2: t·exp(−z² + P(t)), t = 1/(1 + z/2),
 * fractional error < 1.2e-7 exactly); −x²/2 is split into the exact −xh²/2 (xh: x cut to 12 bits) and a small
 * rest that enter one exp unrounded (exp_neg2_f32x4); expm1 by Taylor above −0.5, log1p(u ≤ 1) by atanh. Forward
 * |rel err| ≤ 6e-7 on a dense ±20 grid, GELU-tanh ≤ 1.2e-5 (its exponent reaches −65 and is rounded), backward
 * |err| ≤ 2e-6·|dy|; the bounds are tested in test/accuracy.ts. Softmax: row max, vector exp, float64 sum.
 */
import { exp_neg2_f32x4, exp_neg_f32x4, hmax_f32x4, K_HALF, K_NEG_ONE, K_ONE, K_SIGN, K_TANH_MAX, K_TANH_MIN, K_TANH_P0, K_TANH_P1, K_TANH_P2, K_TANH_P3, K_TANH_P4, K_TANH_P5, K_TANH_Q1, K_TANH_Q2, K_TANH_Q3, K_ZERO, kc, load_partial_f32x4, madd, store_partial_f32x4 } from './simd';

// @ts-ignore: decorator
@inline function sigmoid_f32x4(x: v128): v128 {
  const e = exp_neg_f32x4(v128.or(x, kc(K_SIGN))); // exp(−|x|)
  const pos = f32x4.div(kc(K_ONE), f32x4.add(kc(K_ONE), e));
  return v128.bitselect(pos, f32x4.mul(e, pos), f32x4.ge(x, kc(K_ZERO)));
}

// @ts-ignore: decorator
@inline function tanh_f32x4(x: v128): v128 {
  // tanh(x) ≈ x·P(x²)/Q(x²) on [−9, 9]: a (5,3) rational fitted for minimal relative error (6.7e-9 in exact
  // arithmetic, ≤ 3.7e-7 evaluated in float32); beyond ±9 tanh rounds to ±1 in float32. pmin/pmax with x first
  // keep NaN.
  const xc = f32x4.pmin(f32x4.pmax(x, kc(K_TANH_MIN)), kc(K_TANH_MAX));
  const t = f32x4.mul(xc, xc);
  let p = madd(kc(K_TANH_P5), t, kc(K_TANH_P4));
  p = madd(p, t, kc(K_TANH_P3));
  p = madd(p, t, kc(K_TANH_P2));
  p = madd(p, t, kc(K_TANH_P1));
  p = madd(p, t, kc(K_TANH_P0));
  let q = madd(kc(K_TANH_Q3), t, kc(K_TANH_Q2));
  q = madd(q, t, kc(K_TANH_Q1));
  q = madd(q, t, kc(K_ONE));
  const r = f32x4.pmin(f32x4.pmax(f32x4.div(f32x4.mul(xc, p), q), kc(K_NEG_ONE)), kc(K_ONE));
  // Exactly ±1 from ±9 on (the rational lands within an ulp or two of 1 there).
  const sat = f32x4.ge(v128.andnot(x, kc(K_SIGN)), kc(K_TANH_MAX));
  return v128.bitselect(v128.or(kc(K_ONE), v128.and(x, kc(K_SIGN))), r, sat);
}

// @ts-ignore: decorator
@inline function relu_f32x4(x: v128): v128 {
  // x ≤ 0 → 0; NaN fails the comparison and passes through, like PyTorch.
  return v128.andnot(x, f32x4.le(x, kc(K_ZERO)));
}

// @ts-ignore: decorator
@inline function leaky_f32x4(x: v128, slope: v128): v128 {
  return v128.bitselect(x, f32x4.mul(x, slope), f32x4.gt(x, kc(K_ZERO)));
}

export function sigmoid_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), sigmoid_f32x4(v128.load(x + (<usize>i << 2))));
  if (i < n) store_partial_f32x4(y + (<usize>i << 2), sigmoid_f32x4(load_partial_f32x4(x + (<usize>i << 2), n - i)), n - i);
}

export function tanh_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), tanh_f32x4(v128.load(x + (<usize>i << 2))));
  if (i < n) store_partial_f32x4(y + (<usize>i << 2), tanh_f32x4(load_partial_f32x4(x + (<usize>i << 2), n - i)), n - i);
}

export function relu_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o), b = v128.load(x + o, 16);
    v128.store(y + o, relu_f32x4(a));
    v128.store(y + o, relu_f32x4(b), 16);
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(y + (<usize>i << 2), v <= 0 ? 0 : v);
  }
}

export function leaky_relu_fwd(n: i32, slope: f32, x: usize, y: usize): void {
  const s = f32x4.splat(slope);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), leaky_f32x4(v128.load(x + (<usize>i << 2)), s));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(y + (<usize>i << 2), v > 0 ? v : v * slope);
  }
}

export function sigmoid_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(f32x4.mul(v128.load(dy + o), v), f32x4.sub(one, v)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * v * (1 - v));
  }
}

export function tanh_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (1 - v * v));
  }
}

export function relu_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

export function leaky_relu_bwd(n: i32, slope: f32, y: usize, dy: usize, dx: usize): void {
  const s = f32x4.splat(slope), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, s), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(y + o) > 0 ? g : g * slope);
  }
}

/** Constants of the smooth activations, broadcast from memory like K_TABLE in simd.ts (see there for why). */
const A_TABLE = memory.data<f32>([
  20.0, // A_ERFC_CLAMP: beyond 13.2 the tail is 0 in float32
  0.35355339059327373, // A_HALF_SQRT1_2: z/2 = |x|/(2√2)
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223, // A_ERFC_C9 … C0
  -0.5, // A_NEG_HALF
  0.3989422804014327, // A_INV_SQRT_2PI
  1.5957691216057308, // A_GT_C1: 2·√(2/π)
  0.07135481627228699, // A_GT_C3: 2·√(2/π)·0.044715
  0.21406444881686097, // A_GT_D3: 3·A_GT_C3
  10.0, // A_GT_CLAMP
  -10.0, // A_GT_NCLAMP
  1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, // A_EXPM1_C8 … C3
  1.0 / 13.0, 1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, // A_LOG1P_C13 … C3
  2.0, // A_TWO
]);
// @ts-ignore: decorator
@inline const A_ERFC_CLAMP: i32 = 0;
// @ts-ignore: decorator
@inline const A_HALF_SQRT1_2: i32 = 1;
// @ts-ignore: decorator
@inline const A_ERFC_C9: i32 = 2; // C9 … C0 follow at 2 … 11
// @ts-ignore: decorator
@inline const A_NEG_HALF: i32 = 12;
// @ts-ignore: decorator
@inline const A_INV_SQRT_2PI: i32 = 13;
// @ts-ignore: decorator
@inline const A_GT_C1: i32 = 14;
// @ts-ignore: decorator
@inline const A_GT_C3: i32 = 15;
// @ts-ignore: decorator
@inline const A_GT_D3: i32 = 16;
// @ts-ignore: decorator
@inline const A_GT_CLAMP: i32 = 17;
// @ts-ignore: decorator
@inline const A_GT_NCLAMP: i32 = 18;
// @ts-ignore: decorator
@inline const A_EXPM1_C8: i32 = 19; // C8 … C3 follow at 19 … 24
// @ts-ignore: decorator
@inline const A_LOG1P_C13: i32 = 25; // C13 … C3 follow at 25 … 30
// @ts-ignore: decorator
@inline const A_TWO: i32 = 31;

// @ts-ignore: decorator
@inline function ac(index: i32): v128 {
  return v128.load32_splat(A_TABLE + (<usize>index << 2));
}

/** |x| clamped to 20 (NaN stays NaN: pmin keeps its first operand when the comparison fails). */
// @ts-ignore: decorator
@inline function erfc_abs(x: v128): v128 {
  return f32x4.pmin(v128.andnot(x, kc(K_SIGN)), ac(A_ERFC_CLAMP));
}

/** t = 1/(1 + a/(2√2)) and P(t) of Numerical Recipes' erfcc: erfc(a/√2) = t·exp(−a²/2 + P(t)). */
// @ts-ignore: decorator
@inline function erfc_t(a: v128): v128 {
  return f32x4.div(kc(K_ONE), madd(a, ac(A_HALF_SQRT1_2), kc(K_ONE)));
}

/** P(t) ≤ 3e-8 on (0, 1], clamped to ≤ 0 so exp's argument stays non-positive (a change below exp's error). */
// @ts-ignore: decorator
@inline function erfc_poly(t: v128): v128 {
  let p = madd(ac(A_ERFC_C9), t, ac(A_ERFC_C9 + 1));
  p = madd(p, t, ac(A_ERFC_C9 + 2));
  p = madd(p, t, ac(A_ERFC_C9 + 3));
  p = madd(p, t, ac(A_ERFC_C9 + 4));
  p = madd(p, t, ac(A_ERFC_C9 + 5));
  p = madd(p, t, ac(A_ERFC_C9 + 6));
  p = madd(p, t, ac(A_ERFC_C9 + 7));
  p = madd(p, t, ac(A_ERFC_C9 + 8));
  p = madd(p, t, ac(A_ERFC_C9 + 9));
  return f32x4.pmin(p, kc(K_ZERO));
}

/** −a²/2 as −ah²/2 (exact: ah is a cut to 12 bits) and −al·(a + ah)/2, for exp_neg2_f32x4. */
// @ts-ignore: decorator
@inline function half_square_hi(a: v128): v128 {
  const ah = v128.and(a, i32x4.splat(0xfffff000));
  return f32x4.mul(ac(A_NEG_HALF), f32x4.mul(ah, ah));
}

// @ts-ignore: decorator
@inline function half_square_lo(a: v128): v128 {
  const ah = v128.and(a, i32x4.splat(0xfffff000));
  return f32x4.mul(ac(A_NEG_HALF), f32x4.mul(f32x4.sub(a, ah), f32x4.add(a, ah)));
}

// @ts-ignore: decorator
@inline function gelu_f32x4(x: v128): v128 {
  const a = erfc_abs(x), t = erfc_t(a);
  // Φ(−|x|) with one exp: the exact −ah²/2 and the small rest −al(a + ah)/2 + P(t) enter it unrounded.
  const e = f32x4.mul(f32x4.mul(kc(K_HALF), t), exp_neg2_f32x4(half_square_hi(a), f32x4.pmin(f32x4.add(half_square_lo(a), erfc_poly(t)), kc(K_ZERO))));
  return f32x4.mul(x, v128.bitselect(f32x4.sub(kc(K_ONE), e), e, f32x4.ge(x, kc(K_ZERO))));
}

/** Φ(x) + x·φ(x). */
// @ts-ignore: decorator
@inline function gelu_grad_f32x4(x: v128): v128 {
  const a = erfc_abs(x), t = erfc_t(a);
  const g = exp_neg2_f32x4(half_square_hi(a), half_square_lo(a)); // exp(−x²/2)
  const e = f32x4.mul(f32x4.mul(kc(K_HALF), t), f32x4.mul(g, exp_neg_f32x4(erfc_poly(t))));
  const cdf = v128.bitselect(f32x4.sub(kc(K_ONE), e), e, f32x4.ge(x, kc(K_ZERO)));
  return madd(f32x4.mul(x, g), ac(A_INV_SQRT_2PI), cdf);
}

/** σ(2u), u = √(2/π)(x + 0.044715x³): PyTorch's ½(1 + tanh u) without the cancellation for x < 0. */
// @ts-ignore: decorator
@inline function gelu_tanh_s_f32x4(x: v128): v128 {
  return sigmoid_f32x4(f32x4.mul(x, madd(ac(A_GT_C3), f32x4.mul(x, x), ac(A_GT_C1))));
}

// @ts-ignore: decorator
@inline function gelu_tanh_grad_f32x4(x: v128): v128 {
  const s = gelu_tanh_s_f32x4(x);
  // Beyond |x| = 10, s(1 − s) underflows; the clamp keeps x³ finite so 0·∞ cannot make a NaN.
  const c = f32x4.pmax(f32x4.pmin(x, ac(A_GT_CLAMP)), ac(A_GT_NCLAMP));
  const du = madd(ac(A_GT_D3), f32x4.mul(c, c), ac(A_GT_C1));
  return madd(f32x4.mul(f32x4.mul(c, s), f32x4.sub(kc(K_ONE), s)), du, s);
}

// @ts-ignore: decorator
@inline function silu_grad_f32x4(x: v128): v128 {
  const s = sigmoid_f32x4(x);
  return f32x4.mul(s, madd(x, f32x4.sub(kc(K_ONE), s), kc(K_ONE)));
}

/** expm1(x) for x ≤ 0: Taylor to x⁸ above −0.5, exp(x) − 1 below. */
// @ts-ignore: decorator
@inline function expm1_nonpos_f32x4(x: v128): v128 {
  let p = madd(ac(A_EXPM1_C8), x, ac(A_EXPM1_C8 + 1));
  p = madd(p, x, ac(A_EXPM1_C8 + 2));
  p = madd(p, x, ac(A_EXPM1_C8 + 3));
  p = madd(p, x, ac(A_EXPM1_C8 + 4));
  p = madd(p, x, ac(A_EXPM1_C8 + 5));
  p = madd(p, x, kc(K_HALF));
  const small = madd(f32x4.mul(x, x), p, x);
  return v128.bitselect(small, f32x4.sub(exp_neg_f32x4(x), kc(K_ONE)), f32x4.gt(x, ac(A_NEG_HALF)));
}

/** log1p(u) for 0 ≤ u ≤ 1: 2·atanh(s), s = u/(2 + u) ≤ 1/3, odd series to s¹³. */
// @ts-ignore: decorator
@inline function log1p_unit_f32x4(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(ac(A_TWO), u));
  const s2 = f32x4.mul(s, s);
  let p = madd(ac(A_LOG1P_C13), s2, ac(A_LOG1P_C13 + 1));
  p = madd(p, s2, ac(A_LOG1P_C13 + 2));
  p = madd(p, s2, ac(A_LOG1P_C13 + 3));
  p = madd(p, s2, ac(A_LOG1P_C13 + 4));
  p = madd(p, s2, ac(A_LOG1P_C13 + 5));
  const s2x = f32x4.add(s, s);
  return madd(f32x4.mul(s2x, s2), p, s2x);
}

// @ts-ignore: decorator
@inline function elu_f32x4(x: v128, alpha: v128): v128 {
  // x ≤ 0 takes the exponential branch like PyTorch; NaN fails the test and passes through.
  const neg = f32x4.mul(alpha, expm1_nonpos_f32x4(f32x4.pmin(x, kc(K_ZERO))));
  return v128.bitselect(neg, x, f32x4.le(x, kc(K_ZERO)));
}

// @ts-ignore: decorator
@inline function elu_grad_f32x4(x: v128, g: v128, alpha: v128): v128 {
  return v128.bitselect(f32x4.mul(f32x4.mul(g, alpha), exp_neg_f32x4(f32x4.pmin(x, kc(K_ZERO)))), g, f32x4.le(x, kc(K_ZERO)));
}

// @ts-ignore: decorator
@inline function softplus_f32x4(x: v128, beta: v128, threshold: v128): v128 {
  const t = f32x4.mul(x, beta);
  const pos = v128.andnot(t, f32x4.le(t, kc(K_ZERO))); // max(t, 0), NaN kept
  const sp = f32x4.div(f32x4.add(pos, log1p_unit_f32x4(exp_neg_f32x4(v128.or(t, kc(K_SIGN))))), beta);
  return v128.bitselect(x, sp, f32x4.gt(t, threshold));
}

// @ts-ignore: decorator
@inline function softplus_grad_f32x4(x: v128, g: v128, beta: v128, threshold: v128): v128 {
  const t = f32x4.mul(x, beta);
  return v128.bitselect(g, f32x4.mul(g, sigmoid_f32x4(t)), f32x4.gt(t, threshold));
}

export function elu_fwd(n: i32, alpha: f32, x: usize, y: usize): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), elu_f32x4(v128.load(x + (<usize>i << 2)), a));
  if (i < n) store_partial_f32x4(y + (<usize>i << 2), elu_f32x4(load_partial_f32x4(x + (<usize>i << 2), n - i), a), n - i);
}

export function elu_bwd(n: i32, alpha: f32, x: usize, dy: usize, dx: usize): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, elu_grad_f32x4(v128.load(x + o), v128.load(dy + o), a));
  }
  if (i < n) {
    const o = <usize>i << 2;
    store_partial_f32x4(dx + o, elu_grad_f32x4(load_partial_f32x4(x + o, n - i), load_partial_f32x4(dy + o, n - i), a), n - i);
  }
}

export function gelu_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), gelu_f32x4(v128.load(x + (<usize>i << 2))));
  if (i < n) store_partial_f32x4(y + (<usize>i << 2), gelu_f32x4(load_partial_f32x4(x + (<usize>i << 2), n - i)), n - i);
}

export function gelu_bwd(n: i32, x: usize, dy: usize, dx: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), gelu_grad_f32x4(v128.load(x + o))));
  }
  if (i < n) {
    const o = <usize>i << 2;
    store_partial_f32x4(dx + o, f32x4.mul(load_partial_f32x4(dy + o, n - i), gelu_grad_f32x4(load_partial_f32x4(x + o, n - i))), n - i);
  }
}

export function gelu_tanh_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    v128.store(y + (<usize>i << 2), f32x4.mul(v, gelu_tanh_s_f32x4(v)));
  }
  if (i < n) {
    const v = load_partial_f32x4(x + (<usize>i << 2), n - i);
    store_partial_f32x4(y + (<usize>i << 2), f32x4.mul(v, gelu_tanh_s_f32x4(v)), n - i);
  }
}

export function gelu_tanh_bwd(n: i32, x: usize, dy: usize, dx: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), gelu_tanh_grad_f32x4(v128.load(x + o))));
  }
  if (i < n) {
    const o = <usize>i << 2;
    store_partial_f32x4(dx + o, f32x4.mul(load_partial_f32x4(dy + o, n - i), gelu_tanh_grad_f32x4(load_partial_f32x4(x + o, n - i))), n - i);
  }
}

export function silu_fwd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    v128.store(y + (<usize>i << 2), f32x4.mul(v, sigmoid_f32x4(v)));
  }
  if (i < n) {
    const v = load_partial_f32x4(x + (<usize>i << 2), n - i);
    store_partial_f32x4(y + (<usize>i << 2), f32x4.mul(v, sigmoid_f32x4(v)), n - i);
  }
}

export function silu_bwd(n: i32, x: usize, dy: usize, dx: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), silu_grad_f32x4(v128.load(x + o))));
  }
  if (i < n) {
    const o = <usize>i << 2;
    store_partial_f32x4(dx + o, f32x4.mul(load_partial_f32x4(dy + o, n - i), silu_grad_f32x4(load_partial_f32x4(x + o, n - i))), n - i);
  }
}

export function softplus_fwd(n: i32, beta: f32, threshold: f32, x: usize, y: usize): void {
  const b = f32x4.splat(beta), th = f32x4.splat(threshold);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), softplus_f32x4(v128.load(x + (<usize>i << 2)), b, th));
  if (i < n) store_partial_f32x4(y + (<usize>i << 2), softplus_f32x4(load_partial_f32x4(x + (<usize>i << 2), n - i), b, th), n - i);
}

export function softplus_bwd(n: i32, beta: f32, threshold: f32, x: usize, dy: usize, dx: usize): void {
  const b = f32x4.splat(beta), th = f32x4.splat(threshold);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, softplus_grad_f32x4(v128.load(x + o), v128.load(dy + o), b, th));
  }
  if (i < n) {
    const o = <usize>i << 2;
    store_partial_f32x4(dx + o, softplus_grad_f32x4(load_partial_f32x4(x + o, n - i), load_partial_f32x4(dy + o, n - i), b, th), n - i);
  }
}

/** Row softmax: y = exp(x − max)/Σ exp(x − max), the sum in float64; x === y allowed (rows are read first). */
export function softmax_fwd(m: i32, n: i32, x: usize, y: usize): void {
  for (let i = 0; i < m; i++) {
    const row = x + ((<usize>i * <usize>n) << 2);
    const out = y + ((<usize>i * <usize>n) << 2);
    let vmax = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= n; j += 4) vmax = f32x4.pmax(vmax, v128.load(row + (<usize>j << 2)));
    let mx = hmax_f32x4(vmax);
    for (; j < n; j++) mx = max(mx, load<f32>(row + (<usize>j << 2)));
    // A NaN in the row gives a NaN exp and a NaN sum, so the row is NaN, like PyTorch.
    const vm = f32x4.splat(mx);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const e = exp_neg_f32x4(f32x4.sub(v128.load(row + o), vm));
      v128.store(out + o, e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(f32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let tail: f64 = 0;
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const e = f32x4.extract_lane(exp_neg_f32x4(f32x4.splat(load<f32>(row + o) - mx)), 0);
      store<f32>(out + o, e);
      tail += <f64>e;
    }
    const sum = tail + f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    const inv = <f32>(1 / sum);
    const vi = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= n; j += 4) v128.store(out + (<usize>j << 2), f32x4.mul(v128.load(out + (<usize>j << 2)), vi));
    for (; j < n; j++) store<f32>(out + (<usize>j << 2), load<f32>(out + (<usize>j << 2)) * inv);
  }
}
