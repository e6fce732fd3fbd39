/**
 * Fused optimizer steps, one pass over n parameters each, four lanes per v128 and a scalar tail with the same
 * float32 formulas. Step-dependent scalars (bias corrections, first-step dampening, decayed Adagrad rate) come
 * from the TypeScript optimizer; here they are folded once into float32 constants (lr/bc1, 1/√bc2, 1 − lr·wd).
 * Complements such as 1 − b2 are computed in float64 by the caller: in float32, 1 − f32(0.999) is off by 1.3e-5
 * relative, which torch (Python floats) does not do. Memory-bound: Adam moves 28 bytes per parameter (reads w g m v, writes w m v).
 * State that decays (momentum buffers, Adam's and RMSprop's averages) is stored with subnormals flushed to zero,
 * as native/optim/optim.cc explains: a gradient that stays 0 would otherwise leave it stuck at the smallest
 * subnormal, where every operation costs the CPU a microcode assist (wasm has no flush-to-zero mode).
 */

/** `x`, or 0 where `x` is subnormal. */
// @ts-ignore: decorator
@inline function flush_subnormal(x: f32): f32 {
  return abs(x) < <f32>1.1754943508222875e-38 ? 0 : x;
}

/** flush_subnormal on each lane, on the bits: the exponent field (sign shifted out) is 0 for zeros and subnormals. */
// @ts-ignore: decorator
@inline function flush_subnormal_f32x4(x: v128): v128 {
  return v128.andnot(x, i32x4.eq(i32x4.shr_u(i32x4.shl(x, 1), 24), i32x4.splat(0)));
}

export function sgd_step(n: i32, lr: f32, wd: f32, w: usize, g: usize): void {
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv)))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    store<f32>(w + o, wv - lr * (load<f32>(g + o) + wd * wv));
  }
}

export function momentum_step(n: i32, lr: f32, mu: f32, d1: f32, wd: f32, nesterov: i32, w: usize, g: usize, buf: usize): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vd = f32x4.splat(d1), vwd = f32x4.splat(wd);
  const nest = nesterov != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const b = flush_subnormal_f32x4(f32x4.add(f32x4.mul(vmu, v128.load(buf + o)), f32x4.mul(vd, gv)));
    v128.store(buf + o, b);
    const u = nest ? f32x4.add(gv, f32x4.mul(vmu, b)) : b;
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, u)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv;
    const b = flush_subnormal(mu * load<f32>(buf + o) + d1 * gv);
    store<f32>(buf + o, b);
    store<f32>(w + o, wv - lr * (nest ? gv + mu * b : b));
  }
}

export function adagrad_step(n: i32, clr: f32, wd: f32, eps: f32, w: usize, g: usize, sum: usize): void {
  const vlr = f32x4.splat(clr), vwd = f32x4.splat(wd), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const s = f32x4.add(v128.load(sum + o), f32x4.mul(gv, gv));
    v128.store(sum + o, s);
    v128.store(w + o, f32x4.sub(wv, f32x4.div(f32x4.mul(vlr, gv), f32x4.add(f32x4.sqrt(s), veps))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv;
    const s = load<f32>(sum + o) + gv * gv;
    store<f32>(sum + o, s);
    store<f32>(w + o, wv - (clr * gv) / (Mathf.sqrt(s) + eps));
  }
}

export function rmsprop_step(n: i32, lr: f32, alpha: f32, a1: f32, eps: f32, wd: f32, mu: f32, centered: i32, w: usize, g: usize, sq: usize, buf: usize, gavg: usize): void {
  const vlr = f32x4.splat(lr), va = f32x4.splat(alpha), va1 = f32x4.splat(a1), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vmu = f32x4.splat(mu);
  const cen = centered != 0, mom = mu > 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const s = flush_subnormal_f32x4(f32x4.add(f32x4.mul(va, v128.load(sq + o)), f32x4.mul(va1, f32x4.mul(gv, gv))));
    v128.store(sq + o, s);
    let avg: v128;
    if (cen) {
      const ga0 = v128.load(gavg + o);
      const ga = flush_subnormal_f32x4(f32x4.add(ga0, f32x4.mul(va1, f32x4.sub(gv, ga0))));
      v128.store(gavg + o, ga);
      avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(ga, ga))), veps);
    } else avg = f32x4.add(f32x4.sqrt(s), veps);
    if (mom) {
      const b = flush_subnormal_f32x4(f32x4.add(f32x4.mul(vmu, v128.load(buf + o)), f32x4.div(gv, avg)));
      v128.store(buf + o, b);
      v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, b)));
    } else v128.store(w + o, f32x4.sub(wv, f32x4.div(f32x4.mul(vlr, gv), avg)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv;
    // Same operation order as the vector body, so a value rounds the same whichever loop handles it.
    const s = flush_subnormal(alpha * load<f32>(sq + o) + a1 * (gv * gv));
    store<f32>(sq + o, s);
    let avg: f32;
    if (cen) {
      const ga0 = load<f32>(gavg + o);
      const ga = flush_subnormal(ga0 + a1 * (gv - ga0));
      store<f32>(gavg + o, ga);
      avg = Mathf.sqrt(s - ga * ga) + eps;
    } else avg = Mathf.sqrt(s) + eps;
    if (mom) {
      const b = flush_subnormal(mu * load<f32>(buf + o) + gv / avg);
      store<f32>(buf + o, b);
      store<f32>(w + o, wv - lr * b);
    } else store<f32>(w + o, wv - (lr * gv) / avg);
  }
}

/** Adam/AdamW; `vmax` = 0 means no AMSGrad. `decay` = 1 − lr·wd (AdamW) or 1, `l2` = wd (Adam) or 0. */
export function adam_step(n: i32, step: f32, c1: f32, b2: f32, c2: f32, eps: f32, decay: f32, l2: f32, ibc2: f32, w: usize, g: usize, m: usize, v: usize, vmax: usize): void {
  const vstep = f32x4.splat(step), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps), vdecay = f32x4.splat(decay), vl2 = f32x4.splat(l2), vibc2 = f32x4.splat(ibc2);
  const ams = vmax != 0, adds_l2 = l2 != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = f32x4.mul(v128.load(w + o), vdecay);
    // torch adds weight_decay·w only when weight_decay ≠ 0 (0·w would turn an infinite weight's gradient to NaN).
    const gv = adds_l2 ? f32x4.add(v128.load(g + o), f32x4.mul(vl2, wv)) : v128.load(g + o);
    const m0 = v128.load(m + o);
    const mv = flush_subnormal_f32x4(f32x4.add(m0, f32x4.mul(vc1, f32x4.sub(gv, m0))));
    const vv = flush_subnormal_f32x4(f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gv, gv))));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    let vh = vv;
    if (ams) {
      vh = flush_subnormal_f32x4(f32x4.max(v128.load(vmax + o), vv));
      v128.store(vmax + o, vh);
    }
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vh), vibc2), veps);
    v128.store(w + o, f32x4.sub(wv, f32x4.div(f32x4.mul(vstep, mv), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o) * decay;
    const gv = adds_l2 ? load<f32>(g + o) + l2 * wv : load<f32>(g + o);
    const m0 = load<f32>(m + o);
    const mv = flush_subnormal(m0 + c1 * (gv - m0));
    const vv = flush_subnormal(b2 * load<f32>(v + o) + c2 * (gv * gv));
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    let vh = vv;
    if (ams) {
      vh = flush_subnormal(max(load<f32>(vmax + o), vv));
      store<f32>(vmax + o, vh);
    }
    store<f32>(w + o, wv - (step * mv) / (Mathf.sqrt(vh) * ibc2 + eps));
  }
}
