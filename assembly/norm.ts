/**
 * Batch normalisation (train/eval forward, backward), dropout and elementwise multiply. x is [n, c, hw]. hw > 1:
 * per channel, n rows of hw contiguous floats, four lanes widened to two f64x2 sums. hw = 1 ([N, C] input): four
 * channels side by side walk down the rows (contiguous loads). Statistics: one pass of float64 sums shifted by
 * the channel's first value K, var_sum = Σ(x − K)² − (Σ(x − K))²/N (relative error about 2⁻⁵³·N·(1 + (mean −
 * K)²/var), far below float32 resolution). Outputs in float32: y = (x − mean)·(invstd·γ) + β. Dropout: the
 * 32-bit multiply-xorshift hash of src/backends/js-norm.ts in i32x4 lanes, bit-identical to the other backends.
 */

// @ts-ignore: decorator
@inline function hi_f64x2(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

// @ts-ignore: decorator
@inline function f32at(p: usize, i: usize): f32 {
  return load<f32>(p + (i << 2));
}

/** Writes save_mean, save_invstd and the running estimates of channel ch from its shifted sums. */
function finishStats(N: i32, K: f64, s1: f64, s2: f64, eps: f64, momentum: f64, rm: usize, rv: usize, sm: usize, si: usize, ch: i32): void {
  let mean: f64 = 0, varSum: f64 = 0;
  if (N > 0) {
    mean = K + s1 / <f64>N;
    varSum = s2 - (s1 * s1) / <f64>N;
    if (varSum < 0) varSum = 0; // rounding on constant channels
  }
  const invstd = 1 / Math.sqrt(varSum / <f64>(N > 0 ? N : 1) + eps);
  const o = <usize>ch << 2;
  store<f32>(sm + o, <f32>mean);
  store<f32>(si + o, <f32>invstd);
  if (N == 0) return;
  // PyTorch's order and its unbiased running variance var_sum/(N − 1) (NaN for N = 1, which layers reject).
  if (rm != 0) store<f32>(rm + o, <f32>(momentum * mean + (1 - momentum) * <f64>load<f32>(rm + o)));
  if (rv != 0) store<f32>(rv + o, <f32>(momentum * (varSum / <f64>(N - 1)) + (1 - momentum) * <f64>load<f32>(rv + o)));
}

/** y = (x − mean)·a + b over len floats. */
function affineRow(len: i32, mean: f32, a: f32, b: f32, x: usize, y: usize): void {
  const vm = f32x4.splat(mean), va = f32x4.splat(a), vb = f32x4.splat(b);
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), vm), va), vb));
  }
  for (; k < len; k++) {
    const o = <usize>k << 2;
    store<f32>(y + o, (load<f32>(x + o) - mean) * a + b);
  }
}

/** The output pass of every channel given save_mean and save_invstd. */
function normalise(n: i32, c: i32, hw: i32, gamma: usize, beta: usize, sm: usize, si: usize, x: usize, y: usize): void {
  if (hw == 1) {
    // [N, C]: per row, channels four at a time, their mean, a = invstd·γ and β loaded as vectors.
    for (let i = 0; i < n; i++) {
      const xr = x + ((<usize>i * <usize>c) << 2), yr = y + ((<usize>i * <usize>c) << 2);
      let j = 0;
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        let a = v128.load(si + o);
        if (gamma != 0) a = f32x4.mul(a, v128.load(gamma + o));
        const b = beta != 0 ? v128.load(beta + o) : f32x4.splat(0);
        v128.store(yr + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(sm + o)), a), b));
      }
      for (; j < c; j++) {
        const a = f32at(si, j) * (gamma != 0 ? f32at(gamma, j) : 1);
        const b: f32 = beta != 0 ? f32at(beta, j) : 0;
        store<f32>(yr + (<usize>j << 2), (f32at(xr, j) - f32at(sm, j)) * a + b);
      }
    }
    return;
  }
  for (let ch = 0; ch < c; ch++) {
    const a = f32at(si, ch) * (gamma != 0 ? f32at(gamma, ch) : 1);
    const b: f32 = beta != 0 ? f32at(beta, ch) : 0;
    const mean = f32at(sm, ch);
    for (let i = 0; i < n; i++) {
      const o = (<usize>(i * c + ch) * <usize>hw) << 2;
      affineRow(hw, mean, a, b, x + o, y + o);
    }
  }
}

// channelSums' two results (AssemblyScript has no multiple returns).
let sum1: f64 = 0;
let sum2: f64 = 0;

/** Σ(x − K) and Σ(x − K)² of channel ch (hw > 1), K its first value. */
function channelSums(n: i32, c: i32, hw: i32, ch: i32, x: usize, K: f64): void {
  const vk = f64x2.splat(K);
  let a1 = f64x2.splat(0), a2 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0);
  let t1: f64 = 0, t2: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = x + ((<usize>(i * c + ch) * <usize>hw) << 2);
    let k = 0;
    for (; k + 4 <= hw; k += 4) {
      const v = v128.load(row + (<usize>k << 2));
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), vk), d1 = f64x2.sub(hi_f64x2(v), vk);
      a1 = f64x2.add(a1, d0);
      a2 = f64x2.add(a2, f64x2.mul(d0, d0));
      b1 = f64x2.add(b1, d1);
      b2 = f64x2.add(b2, f64x2.mul(d1, d1));
    }
    for (; k < hw; k++) {
      const d = <f64>f32at(row, k) - K;
      t1 += d;
      t2 += d * d;
    }
  }
  a1 = f64x2.add(a1, b1);
  a2 = f64x2.add(a2, b2);
  sum1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1) + t1;
  sum2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1) + t2;
}

/** Four float64 column sums at s1 += (p0, p1) and four at s2 += (q0, q1). */
// @ts-ignore: decorator
@inline function accumulate4(s1: usize, s2: usize, p0: v128, p1: v128, q0: v128, q1: v128): void {
  v128.store(s1, f64x2.add(v128.load(s1), p0));
  v128.store(s1, f64x2.add(v128.load(s1, 16), p1), 16);
  v128.store(s2, f64x2.add(v128.load(s2), q0));
  v128.store(s2, f64x2.add(v128.load(s2, 16), q1), 16);
}

/** Per-channel scratch of the [N, C] column passes for BLOCK channels: float64 K (or mean), s1, s2, then float32
 * mdy, kx, a of the backward. */
// @ts-ignore: decorator
@inline const BLOCK: i32 = 64;
const COLS = memory.data(3 * 64 * 8 + 3 * 64 * 4, 16);

export function batch_norm_train(n: i32, c: i32, hw: i32, eps: f64, momentum: f64, x: usize, gamma: usize, beta: usize, rm: usize, rv: usize, y: usize, sm: usize, si: usize): void {
  const N = n * hw;
  if (hw == 1) {
    const KS = COLS, S1 = COLS + BLOCK * 8, S2 = COLS + 2 * BLOCK * 8;
    for (let j0 = 0; j0 < c; j0 += BLOCK) {
      const w = min(BLOCK, c - j0);
      for (let j = 0; j < w; j++) {
        store<f64>(KS + (<usize>j << 3), n > 0 ? <f64>f32at(x, j0 + j) : 0);
        store<f64>(S1 + (<usize>j << 3), 0);
        store<f64>(S2 + (<usize>j << 3), 0);
      }
      for (let i = 0; i < n; i++) {
        const xr = x + ((<usize>i * <usize>c + <usize>j0) << 2);
        let j = 0;
        for (; j + 4 <= w; j += 4) {
          const v = v128.load(xr + (<usize>j << 2));
          const o = <usize>j << 3;
          const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(KS + o));
          const d1 = f64x2.sub(hi_f64x2(v), v128.load(KS + o, 16));
          accumulate4(S1 + o, S2 + o, d0, d1, f64x2.mul(d0, d0), f64x2.mul(d1, d1));
        }
        for (; j < w; j++) {
          const o = <usize>j << 3;
          const d = <f64>f32at(xr, j) - load<f64>(KS + o);
          store<f64>(S1 + o, load<f64>(S1 + o) + d);
          store<f64>(S2 + o, load<f64>(S2 + o) + d * d);
        }
      }
      for (let j = 0; j < w; j++) {
        const o = <usize>j << 3;
        finishStats(N, load<f64>(KS + o), load<f64>(S1 + o), load<f64>(S2 + o), eps, momentum, rm, rv, sm, si, j0 + j);
      }
    }
  } else {
    for (let ch = 0; ch < c; ch++) {
      const K: f64 = N > 0 ? <f64>f32at(x, <usize>ch * <usize>hw) : 0;
      channelSums(n, c, hw, ch, x, K);
      finishStats(N, K, sum1, sum2, eps, momentum, rm, rv, sm, si, ch);
    }
  }
  normalise(n, c, hw, gamma, beta, sm, si, x, y);
}

export function batch_norm_eval(n: i32, c: i32, hw: i32, eps: f64, x: usize, gamma: usize, beta: usize, rm: usize, rv: usize, y: usize, sm: usize, si: usize): void {
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    store<f32>(sm + o, load<f32>(rm + o));
    store<f32>(si + o, <f32>(1 / Math.sqrt(<f64>load<f32>(rv + o) + eps)));
  }
  normalise(n, c, hw, gamma, beta, sm, si, x, y);
}

export function batch_norm_bwd(n: i32, c: i32, hw: i32, batchStats: i32, betaAcc: f64, x: usize, dy: usize, gamma: usize, sm: usize, si: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  const N = n * hw;
  const batch = batchStats != 0 && N > 0;
  const sums = batch || dgamma != 0 || dbeta != 0;
  if (hw == 1) {
    bwdColumns(n, c, batch, sums, betaAcc, x, dy, gamma, sm, si, dx, dgamma, dbeta);
    return;
  }
  // Per channel: Σdy and Σdy·(x − mean) in float64, the coefficients, then dx row by row.
  for (let ch = 0; ch < c; ch++) {
    const mean: f64 = <f64>f32at(sm, ch);
    let s1: f64 = 0, s2: f64 = 0;
    if (sums) {
      const vm = f64x2.splat(mean);
      let a1 = f64x2.splat(0), a2 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0);
      for (let i = 0; i < n; i++) {
        const o = (<usize>(i * c + ch) * <usize>hw) << 2;
        const row = x + o, grow = dy + o;
        let k = 0;
        for (; k + 4 <= hw; k += 4) {
          const g = v128.load(grow + (<usize>k << 2)), v = v128.load(row + (<usize>k << 2));
          const g0 = f64x2.promote_low_f32x4(g), g1 = hi_f64x2(g);
          a1 = f64x2.add(a1, g0);
          a2 = f64x2.add(a2, f64x2.mul(g0, f64x2.sub(f64x2.promote_low_f32x4(v), vm)));
          b1 = f64x2.add(b1, g1);
          b2 = f64x2.add(b2, f64x2.mul(g1, f64x2.sub(hi_f64x2(v), vm)));
        }
        for (; k < hw; k++) {
          const g = <f64>f32at(grow, k);
          s1 += g;
          s2 += g * (<f64>f32at(row, k) - mean);
        }
      }
      a1 = f64x2.add(a1, b1);
      a2 = f64x2.add(a2, b2);
      s1 += f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
      s2 += f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
    }
    bwdCoeffs(N, batch, betaAcc, s1, s2, si, gamma, dgamma, dbeta, ch);
    const meanf = f32at(sm, ch), mdy = cMdy, kx = cKx, a = cA;
    const vm = f32x4.splat(meanf), vmdy = f32x4.splat(mdy), vk = f32x4.splat(kx), va = f32x4.splat(a);
    for (let i = 0; i < n; i++) {
      const o = (<usize>(i * c + ch) * <usize>hw) << 2;
      const row = x + o, grow = dy + o, drow = dx + o;
      let k = 0;
      for (; k + 4 <= hw; k += 4) {
        const q = <usize>k << 2;
        const g = v128.load(grow + q);
        v128.store(drow + q, batch ? f32x4.mul(f32x4.sub(f32x4.sub(g, vmdy), f32x4.mul(f32x4.sub(v128.load(row + q), vm), vk)), va) : f32x4.mul(g, va));
      }
      for (; k < hw; k++) {
        const g = f32at(grow, k);
        store<f32>(drow + (<usize>k << 2), batch ? (g - mdy - (f32at(row, k) - meanf) * kx) * a : g * a);
      }
    }
  }
}

// bwdCoeffs' results: mean(dy), Σdy·(x − mean)·invstd²/N and invstd·γ.
let cMdy: f32 = 0;
let cKx: f32 = 0;
let cA: f32 = 0;

/** dgamma/dbeta of channel ch from its sums, and the dx coefficients. */
function bwdCoeffs(N: i32, batch: bool, betaAcc: f64, s1: f64, s2: f64, si: usize, gamma: usize, dgamma: usize, dbeta: usize, ch: i32): void {
  const inv: f64 = <f64>f32at(si, ch);
  const oc = <usize>ch << 2;
  if (dgamma != 0) store<f32>(dgamma + oc, <f32>(betaAcc == 0 ? s2 * inv : betaAcc * <f64>load<f32>(dgamma + oc) + s2 * inv));
  if (dbeta != 0) store<f32>(dbeta + oc, <f32>(betaAcc == 0 ? s1 : betaAcc * <f64>load<f32>(dbeta + oc) + s1));
  cMdy = batch ? <f32>(s1 / <f64>N) : 0;
  cKx = batch ? <f32>((s2 * inv * inv) / <f64>N) : 0;
  cA = <f32>(inv * (gamma != 0 ? <f64>f32at(gamma, ch) : 1));
}

/** Backward on [N, C]: BLOCK channels side by side down the rows (sums in float64 scratch, then dx). */
function bwdColumns(n: i32, c: i32, batch: bool, sums: bool, betaAcc: f64, x: usize, dy: usize, gamma: usize, sm: usize, si: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  const MS = COLS, S1 = COLS + BLOCK * 8, S2 = COLS + 2 * BLOCK * 8;
  const MDY = COLS + 3 * BLOCK * 8, KX = MDY + BLOCK * 4, A = KX + BLOCK * 4;
  for (let j0 = 0; j0 < c; j0 += BLOCK) {
    const w = min(BLOCK, c - j0);
    for (let j = 0; j < w; j++) {
      store<f64>(MS + (<usize>j << 3), <f64>f32at(sm, j0 + j));
      store<f64>(S1 + (<usize>j << 3), 0);
      store<f64>(S2 + (<usize>j << 3), 0);
    }
    for (let i = 0; sums && i < n; i++) {
      const at = (<usize>i * <usize>c + <usize>j0) << 2;
      const xr = x + at, gr = dy + at;
      let j = 0;
      for (; j + 4 <= w; j += 4) {
        const o = <usize>j << 3;
        const v = v128.load(xr + (<usize>j << 2)), g = v128.load(gr + (<usize>j << 2));
        const g0 = f64x2.promote_low_f32x4(g), g1 = hi_f64x2(g);
        const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(MS + o)), d1 = f64x2.sub(hi_f64x2(v), v128.load(MS + o, 16));
        accumulate4(S1 + o, S2 + o, g0, g1, f64x2.mul(g0, d0), f64x2.mul(g1, d1));
      }
      for (; j < w; j++) {
        const o = <usize>j << 3;
        const g = <f64>f32at(gr, j);
        store<f64>(S1 + o, load<f64>(S1 + o) + g);
        store<f64>(S2 + o, load<f64>(S2 + o) + g * (<f64>f32at(xr, j) - load<f64>(MS + o)));
      }
    }
    for (let j = 0; j < w; j++) {
      bwdCoeffs(n, batch, betaAcc, load<f64>(S1 + (<usize>j << 3)), load<f64>(S2 + (<usize>j << 3)), si, gamma, dgamma, dbeta, j0 + j);
      store<f32>(MDY + (<usize>j << 2), cMdy);
      store<f32>(KX + (<usize>j << 2), cKx);
      store<f32>(A + (<usize>j << 2), cA);
    }
    const smb = sm + (<usize>j0 << 2);
    for (let i = 0; i < n; i++) {
      const at = (<usize>i * <usize>c + <usize>j0) << 2;
      const xr = x + at, gr = dy + at, dr = dx + at;
      let j = 0;
      for (; j + 4 <= w; j += 4) {
        const q = <usize>j << 2;
        const g = v128.load(gr + q), a = v128.load(A + q);
        v128.store(dr + q, batch ? f32x4.mul(f32x4.sub(f32x4.sub(g, v128.load(MDY + q)), f32x4.mul(f32x4.sub(v128.load(xr + q), v128.load(smb + q)), v128.load(KX + q))), a) : f32x4.mul(g, a));
      }
      for (; j < w; j++) {
        const g = f32at(gr, j), a = f32at(A, j);
        store<f32>(dr + (<usize>j << 2), batch ? (g - f32at(MDY, j) - (f32at(xr, j) - f32at(smb, j)) * f32at(KX, j)) * a : g * a);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function hash(i: u32, sk: u32): u32 {
  let h = (i * 0x9e3779b9) ^ sk;
  h ^= h >>> 16;
  h *= 0x7feb352d;
  h ^= h >>> 15;
  h *= 0x846ca68b;
  return h ^ (h >>> 16);
}

export function dropout_fwd(n: i32, seed: u32, threshold: u32, scale: f32, x: usize, y: usize, mask: usize): void {
  const sk = seed * 0x85ebca6b;
  const vsk = i32x4.splat(sk), vth = i32x4.splat(threshold), vs = f32x4.splat(scale);
  let idx = i32x4(0, 1, 2, 3);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let h = v128.xor(i32x4.mul(idx, i32x4.splat(<i32>0x9e3779b9)), vsk);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    h = i32x4.mul(h, i32x4.splat(<i32>0x7feb352d));
    h = v128.xor(h, i32x4.shr_u(h, 15));
    h = i32x4.mul(h, i32x4.splat(<i32>0x846ca68b));
    h = v128.xor(h, i32x4.shr_u(h, 16));
    const m = v128.and(vs, i32x4.ge_u(i32x4.shr_u(h, 8), vth));
    const o = <usize>i << 2;
    v128.store(mask + o, m);
    v128.store(y + o, f32x4.mul(v128.load(x + o), m));
    idx = i32x4.add(idx, i32x4.splat(4));
  }
  for (; i < n; i++) {
    const m: f32 = hash(<u32>i, sk) >>> 8 >= threshold ? scale : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

export function mul(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}
