/**
 * bias_add_f32 (C[i,j] += bias[j]) and col_sum_f32 (out[j] = beta·out[j] + Σᵢ A[i,j], the bias gradient) over
 * row-major m×n. col_sum keeps 16 column sums in four v128 registers while it walks down the rows, then a
 * 4-wide and a scalar pass for the last columns; float32 sums in row order (error ≤ m·2⁻²⁴·Σ|a|). beta = 0 never
 * reads out.
 */

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
