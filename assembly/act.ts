/**
 * Activations, forward y = act(x) and backward dx = dy·act′ from the forward output y, over n contiguous floats,
 * four lanes per v128 and a partial-vector tail (so every element goes through the same formula).
 * sigmoid: e = exp(−|x|), σ = 1/(1+e) or e·σ(|x|) by sign, ≤ 1e-6 relative (exp bound in simd.ts); tanh: a (5,3)
 * rational in x² on [−9, 9], ≤ 3.7e-7 relative (about 6 ulp, measured on a dense float32 sweep of ±20). Both
 * saturate exactly to 0/1 and ±1 and pass NaN through. relu/leaky_relu are exact; x === y and dy === dx
 * are allowed because each vector is read before the same vector is written.
 */
import { exp_neg_f32x4, K_NEG_ONE, K_ONE, K_SIGN, K_TANH_MAX, K_TANH_MIN, K_TANH_P0, K_TANH_P1, K_TANH_P2, K_TANH_P3, K_TANH_P4, K_TANH_P5, K_TANH_Q1, K_TANH_Q2, K_TANH_Q3, K_ZERO, kc, load_partial_f32x4, madd, store_partial_f32x4 } from './simd';

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
