/**
 * Reference batch normalisation and dropout kernels (part of the js backend). x is `[n, c, hw]`: channel ch owns
 * the n rows of hw contiguous values at `(i·c + ch)·hw`. Statistics are exact two-pass float64 sums (mean, then
 * Σ(x − mean)²), every formula runs in float64 and rounds once on store, so this is the oracle the SIMD kernels
 * are measured against. The dropout hash is plain 32-bit integer arithmetic (Math.imul), the same bits as the
 * native and wasm kernels.
 */
import type { F32Buf } from '../buffers.js';

/** Multiplier of the element index and of the seed in the dropout hash (shared by all three backends). */
export const DROPOUT_INDEX_MUL = 0x9e3779b9;
export const DROPOUT_SEED_MUL = 0x85ebca6b;

/** The dropout hash of element i under `seed`, as an unsigned 32-bit integer. */
export function dropoutHash(seed: number, i: number): number {
  let h = Math.imul(i, DROPOUT_INDEX_MUL) ^ Math.imul(seed, DROPOUT_SEED_MUL);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Σ and Σ(x − mean)² of channel ch, two passes in float64. */
function channelStats(n: number, c: number, hw: number, ch: number, x: Float32Array): [mean: number, varSum: number] {
  const N = n * hw;
  if (N === 0) return [0, 0];
  let s = 0;
  for (let i = 0; i < n; i++) for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) s += x[o + k];
  const mean = s / N;
  let v = 0;
  for (let i = 0; i < n; i++)
    for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) {
      const d = x[o + k] - mean;
      v += d * d;
    }
  return [mean, v];
}

/** y = (x − mean)·invstd·γ + β over channel ch. */
function normalise(n: number, c: number, hw: number, ch: number, mean: number, invstd: number, g: number, b: number, x: Float32Array, y: Float32Array): void {
  const a = invstd * g;
  for (let i = 0; i < n; i++) for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) y[o + k] = (x[o + k] - mean) * a + b;
}

export function batch_norm_train_f32(
  n: number, c: number, hw: number, eps: number, momentum: number,
  X: F32Buf, G: F32Buf, B: F32Buf, RM: F32Buf, RV: F32Buf, Y: F32Buf, SM: F32Buf, SI: F32Buf,
): void {
  const x = X.data, y = Y.data, sm = SM.data, si = SI.data;
  const gamma = G.length > 0 ? G.data : null, beta = B.length > 0 ? B.data : null;
  const rm = RM.length > 0 ? RM.data : null, rv = RV.length > 0 ? RV.data : null;
  const N = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const [mean, varSum] = channelStats(n, c, hw, ch, x);
    const invstd = 1 / Math.sqrt((N > 0 ? varSum / N : 0) + eps);
    sm[ch] = mean;
    si[ch] = invstd;
    normalise(n, c, hw, ch, mean, invstd, gamma ? gamma[ch] : 1, beta ? beta[ch] : 0, x, y);
    if (N === 0) continue;
    // PyTorch's order and its unbiased variance var_sum/(N − 1) (NaN when N = 1; layers reject that case).
    if (rm) rm[ch] = momentum * mean + (1 - momentum) * rm[ch];
    if (rv) rv[ch] = momentum * (varSum / (N - 1)) + (1 - momentum) * rv[ch];
  }
}

export function batch_norm_eval_f32(
  n: number, c: number, hw: number, eps: number,
  X: F32Buf, G: F32Buf, B: F32Buf, RM: F32Buf, RV: F32Buf, Y: F32Buf, SM: F32Buf, SI: F32Buf,
): void {
  const x = X.data, y = Y.data, sm = SM.data, si = SI.data, rm = RM.data, rv = RV.data;
  const gamma = G.length > 0 ? G.data : null, beta = B.length > 0 ? B.data : null;
  for (let ch = 0; ch < c; ch++) {
    const mean = rm[ch], invstd = 1 / Math.sqrt(rv[ch] + eps);
    sm[ch] = mean;
    si[ch] = invstd;
    normalise(n, c, hw, ch, mean, invstd, gamma ? gamma[ch] : 1, beta ? beta[ch] : 0, x, y);
  }
}

export function batch_norm_bwd_f32(
  n: number, c: number, hw: number, batchStats: number, betaAcc: number,
  X: F32Buf, DY: F32Buf, G: F32Buf, SM: F32Buf, SI: F32Buf, DX: F32Buf, DG: F32Buf, DB: F32Buf,
): void {
  const x = X.data, dy = DY.data, dx = DX.data, sm = SM.data, si = SI.data;
  const gamma = G.length > 0 ? G.data : null;
  const dgamma = DG.length > 0 ? DG.data : null, dbeta = DB.length > 0 ? DB.data : null;
  const N = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const mean = sm[ch], invstd = si[ch], g = gamma ? gamma[ch] : 1;
    // Both sums before any write: dx may be dy.
    let sdy = 0, sdyx = 0;
    for (let i = 0; i < n; i++)
      for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) {
        sdy += dy[o + k];
        sdyx += dy[o + k] * (x[o + k] - mean);
      }
    const a = invstd * g;
    if (batchStats && N > 0) {
      const mdy = sdy / N, kx = (sdyx * invstd * invstd) / N;
      for (let i = 0; i < n; i++) for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) dx[o + k] = (dy[o + k] - mdy - (x[o + k] - mean) * kx) * a;
    } else {
      for (let i = 0; i < n; i++) for (let o = (i * c + ch) * hw, k = 0; k < hw; k++) dx[o + k] = dy[o + k] * a;
    }
    if (dgamma) dgamma[ch] = betaAcc === 0 ? sdyx * invstd : betaAcc * dgamma[ch] + sdyx * invstd;
    if (dbeta) dbeta[ch] = betaAcc === 0 ? sdy : betaAcc * dbeta[ch] + sdy;
  }
}

export function dropout_fwd_f32(n: number, seed: number, threshold: number, scale: number, X: F32Buf, Y: F32Buf, M: F32Buf): void {
  const x = X.data, y = Y.data, mask = M.data;
  const s = Math.fround(scale);
  // A float32 times a float32 is exact in float64, so rounding on store gives the float32 product bit for bit.
  for (let i = 0; i < n; i++) {
    const m = dropoutHash(seed, i) >>> 8 >= threshold ? s : 0;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

export function mul_f32(n: number, A: F32Buf, B: F32Buf, O: F32Buf): void {
  const a = A.data, b = B.data, out = O.data;
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
}
