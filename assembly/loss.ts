/**
 * Fused loss kernels over m rows of n values. softmax_xent: row max, Σ exp(x − max) with the vector exp of
 * simd.ts (≤ 4e-7 relative per term) summed in float64, log in float64; the gradient scale·softmax − scale·onehot
 * is written in the same row pass (grad === logits allowed: the label's logit is read before the row is written).
 * A label outside [0, n) (the TypeScript boundary rejects those) yields a NaN loss and no write outside the row.
 * mse and bce_logits are output-layer sized, so they stay scalar in float64, like the reference.
 */
import { exp_neg_f32x4, hmax_f32x4 } from './simd';

export function softmax_xent(m: i32, n: i32, scale: f64, x: usize, labels: usize, loss: usize, grad: usize): void {
  for (let i = 0; i < m; i++) {
    const row = x + ((<usize>i * <usize>n) << 2);
    const grow = grad + ((<usize>i * <usize>n) << 2);
    let vmax = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= n; j += 4) vmax = f32x4.pmax(vmax, v128.load(row + (<usize>j << 2)));
    let mx = hmax_f32x4(vmax);
    for (; j < n; j++) mx = max(mx, load<f32>(row + (<usize>j << 2)));

    const label = load<i32>(labels + (<usize>i << 2));
    const valid = <u32>label < <u32>n;
    const xl: f64 = valid ? <f64>load<f32>(row + (<usize>label << 2)) : NaN;

    const vm = f32x4.splat(mx);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const e = exp_neg_f32x4(f32x4.sub(v128.load(row + o), vm));
      if (grad != 0) v128.store(grow + o, e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(f32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let tail: f64 = 0;
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const e = f32x4.extract_lane(exp_neg_f32x4(f32x4.splat(load<f32>(row + o) - mx)), 0);
      if (grad != 0) store<f32>(grow + o, e);
      tail += <f64>e;
    }
    const sum = tail + f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    store<f32>(loss + (<usize>i << 2), <f32>(<f64>mx + Math.log(sum) - xl));
    if (grad != 0) {
      const f = f32x4.splat(<f32>(scale / sum));
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        v128.store(grow + o, f32x4.mul(v128.load(grow + o), f));
      }
      const fs = <f32>(scale / sum);
      for (; j < n; j++) store<f32>(grow + (<usize>j << 2), load<f32>(grow + (<usize>j << 2)) * fs);
      if (valid) {
        const o = grow + (<usize>label << 2);
        store<f32>(o, load<f32>(o) - <f32>scale);
      }
    }
  }
}

export function mse(m: i32, n: i32, scale: f64, pred: usize, target: usize, loss: usize, grad: usize): void {
  const g2 = 2 * scale;
  for (let i = 0; i < m; i++) {
    const r = <usize>i * <usize>n;
    let s: f64 = 0;
    for (let j: usize = 0; j < <usize>n; j++) {
      const o = (r + j) << 2;
      const d = <f64>load<f32>(pred + o) - <f64>load<f32>(target + o);
      s += d * d;
      if (grad != 0) store<f32>(grad + o, <f32>(g2 * d));
    }
    store<f32>(loss + (<usize>i << 2), <f32>s);
  }
}

export function bce_logits(m: i32, n: i32, scale: f64, pred: usize, target: usize, loss: usize, grad: usize): void {
  for (let i = 0; i < m; i++) {
    const r = <usize>i * <usize>n;
    let s: f64 = 0;
    for (let j: usize = 0; j < <usize>n; j++) {
      const o = (r + j) << 2;
      const x = <f64>load<f32>(pred + o), t = <f64>load<f32>(target + o);
      const e = Math.exp(-Math.abs(x));
      s += Math.max(x, 0) - x * t + Math.log1p(e);
      if (grad != 0) store<f32>(grad + o, <f32>(scale * ((x >= 0 ? 1 / (1 + e) : e / (1 + e)) - t)));
    }
    store<f32>(loss + (<usize>i << 2), <f32>s);
  }
}
