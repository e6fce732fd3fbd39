/**
 * gemm_nt_rows: C[i,j] = beta·C[i,j] + Σ_p A[i,p]·B[j,p] for a few rows of A (row-major m×k) against B stored
 * [n, k] (a Linear weight): the dense-layer forward at batch ≤ 4, inference's usual case. Each row of A runs
 * against eight rows of B at a time (eight f32x4 accumulators over k, one load of A and eight of B per step), then
 * lane sums and the k tail; B is read once per row of A, where the packed GEMM would first copy all of it into
 * panels. Columns past n alias the last valid one (computed, never stored). beta = 0 never reads C. Accuracy:
 * float32 sums of k/4-long lane partials (≤ k·2⁻²⁴·Σ|a||b|).
 */
import { hsum_f32x4, madd } from './simd';

export function gemm_nt_rows(m: i32, n: i32, k: i32, a: usize, b: usize, beta: f32, c: usize): void {
  const kv = k & ~3;
  const ldb = <usize>k << 2;
  for (let i = 0; i < m; i++) {
    const ar = a + ((<usize>i * <usize>k) << 2);
    const cr = c + ((<usize>i * <usize>n) << 2);
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
        const br = b0 + <usize>q * ldb;
        let s = hsum_f32x4(acc);
        for (let p = kv; p < k; p++) s += load<f32>(ar + (<usize>p << 2)) * load<f32>(br + (<usize>p << 2));
        const o = cr + (<usize>(j0 + q) << 2);
        store<f32>(o, beta == 0 ? s : beta * load<f32>(o) + s);
      }
    }
  }
}
