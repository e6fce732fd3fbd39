/**
 * bias_add_f32 (C[i,j] += bias[j]), the fused GEMM epilogue (bias, then ReLU/LeakyReLU forward or the derivative
 * mask of backward, through the very kernels of act.ts so fused and unfused results are equal bit for bit) and col_sum_f32 (out[j] = beta·out[j] + Σᵢ A[i,j], the bias gradient) over
 * row-major m×n. col_sum keeps 16 column sums in four v128 registers while it walks down the rows, then a
 * 4-wide and a scalar pass for the last columns; float32 sums in row order (error ≤ m·2⁻²⁴·Σ|a|). beta = 0 never
 * reads out.
 */

import { leaky_relu_bwd, leaky_relu_fwd, relu_bwd, relu_fwd } from './act';

export function bias_add(m: i32, n: i32, bias: usize, c: usize): void {
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

/**
 * The epilogue of gemm_bias_act_f32 / gemm_act_bwd_f32 on the m×n block at c (row stride ldc bytes): add bias[0..n)
 * (0: none), apply ReLU (slope 0) or LeakyReLU when act is 1, or multiply by the derivative read from mask (0: none;
 * row stride ldm bytes, the activation's output). gemm calls it on each MC×NC block of C right after the block's
 * last KC block, while it is in cache, row by row through the very kernels of act.ts, so fused and unfused results
 * are equal bit for bit. (Per NR-wide strip or micro-tile, the calls cost more than the GEMM itself when k is small.)
 */
export function gemm_epilogue(m: i32, n: i32, c: usize, ldc: usize, bias: usize, mask: usize, ldm: usize, act: i32, slope: f32): void {
  if (ldc == <usize>n << 2 && (mask == 0 || ldm == ldc)) {
    // Whole rows of C (every block of a layer narrower than NC): one call per pass over the block instead of one per
    // row, which is most of a tiny layer's epilogue; each element still gets bias, then activation, then mask.
    const total = m * n;
    if (bias != 0) bias_add(m, n, bias, c);
    if (act != 0) {
      if (slope == 0) relu_fwd(total, c, c);
      else leaky_relu_fwd(total, slope, c, c);
    }
    if (mask != 0) {
      if (slope == 0) relu_bwd(total, mask, c, c);
      else leaky_relu_bwd(total, slope, mask, c, c);
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * ldc;
    if (bias != 0) bias_add(1, n, bias, row);
    if (act != 0) {
      if (slope == 0) relu_fwd(n, row, row);
      else leaky_relu_fwd(n, slope, row, row);
    }
    if (mask != 0) {
      const y = mask + <usize>i * ldm;
      if (slope == 0) relu_bwd(n, y, row, row);
      else leaky_relu_bwd(n, slope, y, row, row);
    }
  }
}

// @ts-ignore: decorator
@inline function finish(out: usize, s: v128, beta: f32): void {
  v128.store(out, beta == 0 ? s : f32x4.add(f32x4.mul(v128.load(out), f32x4.splat(beta)), s));
}

export function col_sum(m: i32, n: i32, beta: f32, a: usize, out: usize): void {
  const lda = <usize>n << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += lda;
    }
    const o = out + (<usize>j << 2);
    finish(o, s0, beta);
    finish(o + 16, s1, beta);
    finish(o + 32, s2, beta);
    finish(o + 48, s3, beta);
  }
  for (; j + 4 <= n; j += 4) {
    let s = f32x4.splat(0);
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s = f32x4.add(s, v128.load(p));
      p += lda;
    }
    finish(out + (<usize>j << 2), s, beta);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s += load<f32>(p);
      p += lda;
    }
    const o = out + (<usize>j << 2);
    store<f32>(o, beta == 0 ? s : beta * load<f32>(o) + s);
  }
}
