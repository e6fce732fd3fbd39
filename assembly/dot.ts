/**
 * gemm_nt_rows: C[i,j] = beta·C[i,j] + Σ_p A[i,p]·B[j,p] for a few rows of A (row-major m×k) against B stored
 * [n, k] (a Linear weight), into C with rows ldc bytes apart: the dense-layer forward at small batches, inference's
 * usual case (gemm.ts; on a team, column chunks of it, team.ts). Four rows of A at a time run against two rows of B
 * (eight f32x4 accumulators over k, four loads of A and two of B per step), so B is read once per four rows; rows
 * left over run one at a time against eight rows of B. Then lane sums and the k tail. Every output gets the same arithmetic either way (lane partials in k order, the same lane sum, the same
 * tail), and B is never copied, where the packed GEMM would first copy all of it into panels. Columns past n alias
 * the last valid one (computed, never stored). beta = 0 never reads C. Accuracy: float32 sums of k/4-long lane
 * partials (≤ k·2⁻²⁴·Σ|a||b|).
 */
import { hsum_f32x4, madd } from './simd';

/** One output: its accumulator's lane sum plus the k tail, stored with beta. */
// @ts-ignore: decorator
@inline function finish(acc: v128, kv: i32, k: i32, ar: usize, br: usize, beta: f32, o: usize): void {
  let s = hsum_f32x4(acc);
  for (let p = kv; p < k; p++) s += load<f32>(ar + (<usize>p << 2)) * load<f32>(br + (<usize>p << 2));
  store<f32>(o, beta == 0 ? s : beta * load<f32>(o) + s);
}

export function gemm_nt_rows(m: i32, n: i32, k: i32, a: usize, b: usize, beta: f32, c: usize, ldc: usize): void {
  const kv = k & ~3;
  const ldb = <usize>k << 2, lda = <usize>k << 2;
  let i0 = 0;
  for (; i0 + 4 <= m; i0 += 4) {
    const a0 = a + <usize>i0 * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    const c0 = c + <usize>i0 * ldc;
    for (let j0 = 0; j0 < n; j0 += 2) {
      const b0 = b + <usize>j0 * ldb, b1 = j0 + 1 < n ? b0 + ldb : b0;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let p: usize = 0; p < <usize>kv << 2; p += 16) {
        const w0 = v128.load(b0 + p), w1 = v128.load(b1 + p);
        let x = v128.load(a0 + p);
        s00 = madd(x, w0, s00);
        s01 = madd(x, w1, s01);
        x = v128.load(a1 + p);
        s10 = madd(x, w0, s10);
        s11 = madd(x, w1, s11);
        x = v128.load(a2 + p);
        s20 = madd(x, w0, s20);
        s21 = madd(x, w1, s21);
        x = v128.load(a3 + p);
        s30 = madd(x, w0, s30);
        s31 = madd(x, w1, s31);
      }
      const o = c0 + (<usize>j0 << 2);
      finish(s00, kv, k, a0, b0, beta, o);
      finish(s10, kv, k, a1, b0, beta, o + ldc);
      finish(s20, kv, k, a2, b0, beta, o + 2 * ldc);
      finish(s30, kv, k, a3, b0, beta, o + 3 * ldc);
      if (j0 + 1 < n) {
        finish(s01, kv, k, a0, b1, beta, o + 4);
        finish(s11, kv, k, a1, b1, beta, o + ldc + 4);
        finish(s21, kv, k, a2, b1, beta, o + 2 * ldc + 4);
        finish(s31, kv, k, a3, b1, beta, o + 3 * ldc + 4);
      }
    }
  }
  for (let i = i0; i < m; i++) {
    const ar = a + ((<usize>i * <usize>k) << 2);
    const cr = c + <usize>i * ldc;
    for (let j0 = 0; j0 < n; j0 += 8) {
      const cols = min(8, n - j0);
      const b0 = b + <usize>j0 * ldb;
      const last = <usize>(cols - 1);
      const o1 = min<usize>(1, last) * ldb, o2 = min<usize>(2, last) * ldb, o3 = min<usize>(3, last) * ldb;
      const o4 = min<usize>(4, last) * ldb, o5 = min<usize>(5, last) * ldb, o6 = min<usize>(6, last) * ldb, o7 = last * ldb;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
      for (let p: usize = 0; p < <usize>kv << 2; p += 16) {
        const x = v128.load(ar + p), bp = b0 + p;
        s0 = madd(x, v128.load(bp), s0);
        s1 = madd(x, v128.load(bp + o1), s1);
        s2 = madd(x, v128.load(bp + o2), s2);
        s3 = madd(x, v128.load(bp + o3), s3);
        s4 = madd(x, v128.load(bp + o4), s4);
        s5 = madd(x, v128.load(bp + o5), s5);
        s6 = madd(x, v128.load(bp + o6), s6);
        s7 = madd(x, v128.load(bp + o7), s7);
      }
      for (let q = 0; q < cols; q++) {
        const acc = q == 0 ? s0 : q == 1 ? s1 : q == 2 ? s2 : q == 3 ? s3 : q == 4 ? s4 : q == 5 ? s5 : q == 6 ? s6 : s7;
        finish(acc, kv, k, ar, b0 + <usize>q * ldb, beta, cr + (<usize>(j0 + q) << 2));
      }
    }
  }
}
