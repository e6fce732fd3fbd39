/**
 * The reference backend: plain TypeScript, always available, the oracle every other backend is tested against.
 * Sums accumulate in float64 (JavaScript numbers) and round once to float32 on store, so it is at least as exact
 * as any SIMD kernel. Simple loops, chosen for clarity first and cache order second.
 */
import { heapF32, heapI32, type F32Buf, type I32Buf } from '../buffers.js';
import type { Kernels } from '../kernels.js';
import { elu64, eluGrad64, gelu64, geluGrad64, geluTanh64, geluTanhGrad64, silu64, siluGrad64, softplus64, softplusGrad64 } from '../special.js';
import { checkAllocSize } from './memory.js';
import type { Backend } from './types.js';
import { batch_norm_bwd_f32, batch_norm_eval_f32, batch_norm_train_f32, dropout_fwd_f32, mul_f32 } from './js-norm.js';

let rowScratch = new Float64Array(0);
function scratch(n: number): Float64Array {
  if (rowScratch.length < n) rowScratch = new Float64Array(Math.max(n, 2 * rowScratch.length));
  return rowScratch;
}

function gemm_f32(ta: number, tb: number, m: number, n: number, k: number, alpha: number, A: F32Buf, B: F32Buf, beta: number, C: F32Buf): void {
  const a = A.data, b = B.data, c = C.data;
  const acc = scratch(n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    if (tb === 1) {
      // op(B)[p,j] = B[j,p]: each output is a dot product of two contiguous rows (when ta = 0).
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        if (ta === 0) {
          const ai = i * k;
          for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        } else {
          for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
        }
        acc[j] = s;
      }
    } else {
      // op(B)[p,j] = B[p,j]: accumulate scaled rows of B into a float64 row (i-k-j order).
      acc.fill(0, 0, n);
      for (let p = 0; p < k; p++) {
        // No skipping of zero aip: 0·Inf must give NaN here as in IEEE arithmetic and the SIMD backends.
        const aip = ta === 0 ? a[i * k + p] : a[p * m + i];
        const bp = p * n;
        for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
      }
    }
    if (beta === 0) for (let j = 0; j < n; j++) c[ci + j] = alpha * acc[j];
    else for (let j = 0; j < n; j++) c[ci + j] = alpha * acc[j] + beta * c[ci + j];
  }
}

function bias_add_f32(m: number, n: number, bias: F32Buf, C: F32Buf): void {
  const b = bias.data, c = C.data;
  for (let i = 0; i < m; i++) for (let j = 0, r = i * n; j < n; j++) c[r + j] += b[j];
}

function col_sum_f32(m: number, n: number, beta: number, A: F32Buf, out: F32Buf): void {
  const a = A.data, o = out.data;
  const acc = scratch(n);
  acc.fill(0, 0, n);
  for (let i = 0; i < m; i++) for (let j = 0, r = i * n; j < n; j++) acc[j] += a[r + j];
  for (let j = 0; j < n; j++) o[j] = beta === 0 ? acc[j] : beta * o[j] + acc[j];
}

function linear_bwd_f32(m: number, out_f: number, in_f: number, beta: number, act: number, slope: number, DY: F32Buf, X: F32Buf, W: F32Buf, Y: F32Buf, DW: F32Buf, DB: F32Buf, DX: F32Buf): void {
  gemm_f32(1, 0, out_f, in_f, m, 1, DY, X, beta, DW);
  if (DB.length > 0) col_sum_f32(m, out_f, beta, DY, DB);
  if (DX.length === 0) return;
  if (act === 1) gemm_act_bwd_f32(m, in_f, out_f, slope, DY, W, Y, DX);
  else gemm_f32(0, 0, m, in_f, out_f, 1, DY, W, 0, DX);
}

function sigmoid_fwd_f32(n: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    // Two branches keep exp's argument ≤ 0, so neither overflows.
    if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      y[i] = e / (1 + e);
    }
  }
}

function tanh_fwd_f32(n: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
}

function relu_fwd_f32(n: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  // `v > 0 ? v : 0` maps NaN to 0 like a max would not; PyTorch propagates NaN, so we test `v <= 0` instead.
  for (let i = 0; i < n; i++) {
    const v = x[i];
    y[i] = v <= 0 ? 0 : v;
  }
}

function leaky_relu_fwd_f32(n: number, slope: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    y[i] = v > 0 ? v : v * slope;
  }
}

function sigmoid_bwd_f32(n: number, Y: F32Buf, DY: F32Buf, DX: F32Buf): void {
  const y = Y.data, dy = DY.data, dx = DX.data;
  for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
}

function tanh_bwd_f32(n: number, Y: F32Buf, DY: F32Buf, DX: F32Buf): void {
  const y = Y.data, dy = DY.data, dx = DX.data;
  for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
}

function relu_bwd_f32(n: number, Y: F32Buf, DY: F32Buf, DX: F32Buf): void {
  const y = Y.data, dy = DY.data, dx = DX.data;
  // relu′(0) = 0, PyTorch's convention: y > 0 exactly when x > 0.
  for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}

function leaky_relu_bwd_f32(n: number, slope: number, Y: F32Buf, DY: F32Buf, DX: F32Buf): void {
  const y = Y.data, dy = DY.data, dx = DX.data;
  // With slope ≥ 0, y > 0 ⇔ x > 0, so the output decides the branch exactly.
  for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : dy[i] * slope;
}

// The fused dense-layer kernels are, by definition, the unfused calls in sequence: the reference states the
// contract the native and wasm epilogues must meet bit for bit.
function gemm_bias_act_f32(m: number, n: number, k: number, act: number, slope: number, A: F32Buf, B: F32Buf, bias: F32Buf, C: F32Buf): void {
  gemm_f32(0, 1, m, n, k, 1, A, B, 0, C);
  if (bias.length > 0) bias_add_f32(m, n, bias, C);
  if (act === 0) return;
  if (slope === 0) relu_fwd_f32(m * n, C, C);
  else leaky_relu_fwd_f32(m * n, slope, C, C);
}

function gemm_act_bwd_f32(m: number, n: number, k: number, slope: number, A: F32Buf, B: F32Buf, Y: F32Buf, C: F32Buf): void {
  gemm_f32(0, 0, m, n, k, 1, A, B, 0, C);
  if (slope === 0) relu_bwd_f32(m * n, Y, C, C);
  else leaky_relu_bwd_f32(m * n, slope, Y, C, C);
}

// The smooth activations: the float64 forms of src/special.ts, rounded once on store; backward reads x.
function mapX(n: number, X: F32Buf, Y: F32Buf, f: (x: number) => number): void {
  const x = X.data, y = Y.data;
  for (let i = 0; i < n; i++) y[i] = f(x[i]);
}

function mapGrad(n: number, X: F32Buf, DY: F32Buf, DX: F32Buf, f: (x: number) => number): void {
  const x = X.data, dy = DY.data, dx = DX.data;
  for (let i = 0; i < n; i++) dx[i] = dy[i] * f(x[i]);
}

// Scalars cross into native and wasm as float32; rounding them here keeps every backend on the same branch.
const elu_fwd_f32 = (n: number, alpha: number, x: F32Buf, y: F32Buf) => mapX(n, x, y, (v) => elu64(v, Math.fround(alpha)));
const elu_bwd_f32 = (n: number, alpha: number, x: F32Buf, dy: F32Buf, dx: F32Buf) => mapGrad(n, x, dy, dx, (v) => eluGrad64(v, Math.fround(alpha)));
const gelu_fwd_f32 = (n: number, x: F32Buf, y: F32Buf) => mapX(n, x, y, gelu64);
const gelu_bwd_f32 = (n: number, x: F32Buf, dy: F32Buf, dx: F32Buf) => mapGrad(n, x, dy, dx, geluGrad64);
const gelu_tanh_fwd_f32 = (n: number, x: F32Buf, y: F32Buf) => mapX(n, x, y, geluTanh64);
const gelu_tanh_bwd_f32 = (n: number, x: F32Buf, dy: F32Buf, dx: F32Buf) => mapGrad(n, x, dy, dx, geluTanhGrad64);
const silu_fwd_f32 = (n: number, x: F32Buf, y: F32Buf) => mapX(n, x, y, silu64);
const silu_bwd_f32 = (n: number, x: F32Buf, dy: F32Buf, dx: F32Buf) => mapGrad(n, x, dy, dx, siluGrad64);
function softplus_fwd_f32(n: number, beta: number, threshold: number, x: F32Buf, y: F32Buf): void {
  const b = Math.fround(beta), t = Math.fround(threshold);
  mapX(n, x, y, (v) => softplus64(v, b, t));
}
function softplus_bwd_f32(n: number, beta: number, threshold: number, x: F32Buf, dy: F32Buf, dx: F32Buf): void {
  const b = Math.fround(beta), t = Math.fround(threshold);
  mapGrad(n, x, dy, dx, (v) => softplusGrad64(v, b, t));
}

function softmax_fwd_f32(m: number, n: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  const e = scratch(n);
  for (let i = 0; i < m; i++) {
    const r = i * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (x[r + j] > max) max = x[r + j];
    // A NaN in the row (skipped by the max) makes the sum NaN, so the whole row is NaN, as in PyTorch.
    let sum = 0;
    for (let j = 0; j < n; j++) sum += e[j] = Math.exp(x[r + j] - max);
    for (let j = 0; j < n; j++) y[r + j] = e[j] / sum;
  }
}

function softmax_xent_f32(m: number, n: number, scale: number, L: F32Buf, labels: I32Buf, loss: F32Buf, G: F32Buf): void {
  const x = L.data, lab = labels.data, out = loss.data, g = G.length > 0 ? G.data : null;
  for (let i = 0; i < m; i++) {
    const r = i * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (x[r + j] > max) max = x[r + j];
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(x[r + j] - max);
    const lse = max + Math.log(sum);
    const label = lab[i];
    out[i] = lse - x[r + label];
    if (g) {
      for (let j = 0; j < n; j++) g[r + j] = scale * Math.exp(x[r + j] - lse);
      g[r + label] -= scale;
    }
  }
}

function mse_f32(m: number, n: number, scale: number, P: F32Buf, T: F32Buf, loss: F32Buf, G: F32Buf): void {
  const p = P.data, t = T.data, out = loss.data, g = G.length > 0 ? G.data : null;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0, r = i * n; j < n; j++) {
      const d = p[r + j] - t[r + j];
      s += d * d;
      if (g) g[r + j] = 2 * scale * d;
    }
    out[i] = s;
  }
}

function bce_logits_f32(m: number, n: number, scale: number, P: F32Buf, T: F32Buf, loss: F32Buf, G: F32Buf): void {
  const p = P.data, t = T.data, out = loss.data, g = G.length > 0 ? G.data : null;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0, r = i * n; j < n; j++) {
      const x = p[r + j], y = t[r + j];
      const e = Math.exp(-Math.abs(x));
      s += Math.max(x, 0) - x * y + Math.log1p(e);
      if (g) g[r + j] = scale * ((x >= 0 ? 1 / (1 + e) : e / (1 + e)) - y);
    }
    out[i] = s;
  }
}

function sgd_step_f32(n: number, lr: number, wd: number, W: F32Buf, G: F32Buf): void {
  const w = W.data, g = G.data;
  for (let i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

/**
 * Decaying optimizer state (momentum buffers, Adam's and RMSprop's averages) is stored as float32 with subnormals
 * flushed to zero, on every backend: a gradient that stays 0 (a dead ReLU unit's weights) would otherwise leave the
 * state stuck at the smallest subnormal, where each CPU operation on it takes a microcode assist
 * (native/optim/optim.cc has the numbers). PyTorch keeps subnormals; the values differ by less than
 * 2⁻¹²⁶ ≈ 1.2e-38. Returns 0 where `x` rounds to a float32 subnormal, else `x` itself (still float64: the reference
 * goes on with the unrounded value, as it always has).
 */
function flushSubnormal(x: number): number {
  return Math.abs(Math.fround(x)) < FLT_MIN ? 0 : x;
}
const FLT_MIN = 2 ** -126;

function momentum_step_f32(n: number, lr: number, mu: number, damp: number, wd: number, nesterov: number, W: F32Buf, G: F32Buf, BUF: F32Buf): void {
  const w = W.data, g = G.data, buf = BUF.data;
  for (let i = 0; i < n; i++) {
    const gi = Math.fround(g[i] + wd * w[i]);
    const b = (buf[i] = flushSubnormal(mu * buf[i] + (1 - damp) * gi));
    w[i] -= lr * (nesterov ? gi + mu * b : b);
  }
}

function adagrad_step_f32(n: number, clr: number, wd: number, eps: number, W: F32Buf, G: F32Buf, SUM: F32Buf): void {
  const w = W.data, g = G.data, sum = SUM.data;
  for (let i = 0; i < n; i++) {
    const gi = Math.fround(g[i] + wd * w[i]);
    const s = (sum[i] += gi * gi);
    w[i] -= (clr * gi) / (Math.fround(Math.sqrt(s)) + eps);
  }
}

function rmsprop_step_f32(n: number, lr: number, alpha: number, eps: number, wd: number, mu: number, centered: number, W: F32Buf, G: F32Buf, SQ: F32Buf, BUF: F32Buf, GAVG: F32Buf): void {
  const w = W.data, g = G.data, sq = SQ.data;
  const buf = mu > 0 ? BUF.data : null, gavg = centered ? GAVG.data : null;
  for (let i = 0; i < n; i++) {
    const gi = Math.fround(g[i] + wd * w[i]);
    const s = (sq[i] = flushSubnormal(alpha * sq[i] + (1 - alpha) * gi * gi));
    let avg: number;
    if (gavg) {
      const ga = (gavg[i] = flushSubnormal(gavg[i] + (1 - alpha) * (gi - gavg[i])));
      avg = Math.fround(Math.sqrt(Math.fround(s - ga * ga))) + eps;
    } else avg = Math.fround(Math.sqrt(s)) + eps;
    avg = Math.fround(avg);
    if (buf) w[i] -= lr * (buf[i] = flushSubnormal(mu * buf[i] + gi / avg));
    else w[i] -= (lr * gi) / avg;
  }
}

function adam_step_f32(n: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: number, bc1: number, bc2: number, W: F32Buf, G: F32Buf, M: F32Buf, V: F32Buf, VMAX: F32Buf): void {
  const w = W.data, g = G.data, m = M.data, v = V.data, vmax = VMAX.length > 0 ? VMAX.data : null;
  const stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2), decay = decoupled ? 1 - lr * wd : 1;
  const l2 = decoupled ? 0 : wd;
  for (let i = 0; i < n; i++) {
    if (decoupled) w[i] *= decay;
    const gi = l2 !== 0 ? Math.fround(g[i] + l2 * w[i]) : g[i]; // as torch: no 0·w (NaN for an infinite w)
    const mi = (m[i] = flushSubnormal(m[i] + (1 - b1) * (gi - m[i])));
    let vi = (v[i] = flushSubnormal(b2 * v[i] + (1 - b2) * gi * gi));
    if (vmax) vi = vmax[i] = flushSubnormal(Math.max(vmax[i], vi));
    const denom = Math.fround(Math.fround(Math.sqrt(vi)) / bc2Sqrt) + eps;
    w[i] -= (stepSize * mi) / Math.fround(denom);
  }
}

/*
 * Convolution and pooling, NCHW. Direct loops with one float64 accumulator plane per output (or input-gradient)
 * plane: for every tap (channel, ky, kx), the output rows and columns whose input coordinate falls inside the image
 * add weight·input. The `col` scratch of the contract is for backends that lower convolution to GEMM; the reference
 * needs none. Channels past groups·(c/groups) or groups·(oc/groups) are left as they are (layers reject such sizes).
 */
let planeScratch = new Float64Array(0);
function plane(n: number): Float64Array {
  if (planeScratch.length < n) planeScratch = new Float64Array(Math.max(n, 2 * planeScratch.length));
  return planeScratch;
}

function conv2d_fwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, X: F32Buf, W: F32Buf, B: F32Buf, _col: F32Buf, Y: F32Buf): void {
  const x = X.data, wt = W.data, bias = B.length > 0 ? B.data : null, y = Y.data;
  const cg = Math.floor(c / groups), ocg = Math.floor(oc / groups), ohw = oh * ow;
  const acc = plane(ohw);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < groups * ocg; o++) {
      const g = Math.floor(o / ocg);
      acc.fill(bias ? bias[o] : 0, 0, ohw);
      for (let i = 0; i < cg; i++) {
        const xPlane = (s * c + g * cg + i) * h * w;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const wv = wt[((o * cg + i) * kh + ky) * kw + kx];
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - ph + ky * dilh;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - pw + kx * dilw;
                if (ix >= 0 && ix < w) acc[oy * ow + ox] += wv * x[xPlane + iy * w + ix];
              }
            }
          }
      }
      y.set(acc.subarray(0, ohw), (s * oc + o) * ohw);
    }
}

function conv2d_bwd_data_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, DY: F32Buf, W: F32Buf, _col: F32Buf, DX: F32Buf): void {
  const dy = DY.data, wt = W.data, dx = DX.data;
  const cg = Math.floor(c / groups), ocg = Math.floor(oc / groups), ohw = oh * ow, hw = h * w;
  const acc = plane(hw);
  dx.fill(0, 0, n * c * hw);
  for (let s = 0; s < n; s++)
    for (let ci = 0; ci < groups * cg; ci++) {
      const g = Math.floor(ci / cg), i = ci - g * cg;
      acc.fill(0, 0, hw);
      for (let o = g * ocg; o < (g + 1) * ocg; o++) {
        const dyPlane = (s * oc + o) * ohw;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const wv = wt[((o * cg + i) * kh + ky) * kw + kx];
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - ph + ky * dilh;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - pw + kx * dilw;
                if (ix >= 0 && ix < w) acc[iy * w + ix] += wv * dy[dyPlane + oy * ow + ox];
              }
            }
          }
      }
      dx.set(acc.subarray(0, hw), (s * c + ci) * hw);
    }
}

function conv2d_bwd_filter_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, beta: number, X: F32Buf, DY: F32Buf, _col: F32Buf, GW: F32Buf, GB: F32Buf): void {
  const x = X.data, dy = DY.data, gw = GW.data, gb = GB.length > 0 ? GB.data : null;
  const cg = Math.floor(c / groups), ocg = Math.floor(oc / groups), ohw = oh * ow;
  for (let o = 0; o < groups * ocg; o++) {
    const g = Math.floor(o / ocg);
    for (let i = 0; i < cg; i++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          let sum = 0;
          for (let s = 0; s < n; s++) {
            const xPlane = (s * c + g * cg + i) * h * w, dyPlane = (s * oc + o) * ohw;
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - ph + ky * dilh;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - pw + kx * dilw;
                if (ix >= 0 && ix < w) sum += dy[dyPlane + oy * ow + ox] * x[xPlane + iy * w + ix];
              }
            }
          }
          const at = ((o * cg + i) * kh + ky) * kw + kx;
          gw[at] = beta === 0 ? sum : beta * gw[at] + sum;
        }
    if (gb) {
      let sum = 0;
      for (let s = 0; s < n; s++) for (let p = 0, d = (s * oc + o) * ohw; p < ohw; p++) sum += dy[d + p];
      gb[o] = beta === 0 ? sum : beta * gb[o] + sum;
    }
  }
}

function max_pool2d_fwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, X: F32Buf, Y: F32Buf, IDX: I32Buf): void {
  const x = X.data, y = Y.data, idx = IDX.data;
  for (let p = 0; p < nc; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const y0 = Math.max(oy * sh - ph, 0), y1 = Math.min(oy * sh - ph + kh, h);
        const x0 = Math.max(ox * sw - pw, 0), x1 = Math.min(ox * sw - pw + kw, w);
        // PyTorch starts from −∞ at the first in-bounds element; a later one replaces the maximum only when it is
        // strictly greater or NaN.
        let best = -Infinity, at = y0 < y1 && x0 < x1 ? y0 * w + x0 : 0;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const v = x[p * h * w + iy * w + ix];
            if (v > best || Number.isNaN(v)) (best = v), (at = iy * w + ix);
          }
        y[(p * oh + oy) * ow + ox] = best;
        idx[(p * oh + oy) * ow + ox] = at;
      }
}

/** The unfused kernels over `chunk` samples at a time: each sample's arithmetic is that of one conv2d, one max pool and one ReLU. */
function conv2d_max_pool2d_fwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, pkh: number, pkw: number, psh: number, psw: number, pph: number, ppw: number, qh: number, qw: number, chunk: number, relu: number, X: F32Buf, W: F32Buf, B: F32Buf, col: F32Buf, S: F32Buf, Y: F32Buf, IDX: I32Buf): void {
  const inSize = c * h * w, outSize = oc * qh * qw;
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const count = Math.min(chunk, n - s0);
    const y = heapF32(Y.data.subarray(s0 * outSize));
    conv2d_fwd_f32(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, heapF32(X.data.subarray(s0 * inSize)), W, B, col, S);
    max_pool2d_fwd_f32(count * oc, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, S, y, heapI32(IDX.data.subarray(s0 * outSize)));
    if (relu) relu_fwd_f32(count * outSize, y, y);
  }
}

let unpooledScratch = new Float32Array(0);

/** relu_bwd_f32 and max_pool2d_bwd_f32 over the whole batch into a scratch array, then the convolution's two gradient kernels. */
function conv2d_max_pool2d_bwd_f32(n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilh: number, dilw: number, groups: number, oh: number, ow: number, qh: number, qw: number, _chunk: number, relu: number, beta: number, X: F32Buf, DY: F32Buf, IDX: I32Buf, Y: F32Buf, W: F32Buf, col: F32Buf, _scratch: F32Buf, GW: F32Buf, GB: F32Buf, DX: F32Buf): void {
  const len = n * oc * oh * ow, pooled = n * oc * qh * qw;
  if (unpooledScratch.length < len + pooled) unpooledScratch = new Float32Array(len + pooled);
  const grad = heapF32(unpooledScratch.subarray(0, len)), masked = heapF32(unpooledScratch.subarray(len, len + pooled));
  if (relu) relu_bwd_f32(pooled, Y, DY, masked);
  max_pool2d_bwd_f32(n * oc, oh, ow, qh, qw, relu ? masked : DY, IDX, grad);
  conv2d_bwd_filter_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, X, grad, col, GW, GB);
  if (DX.length > 0) conv2d_bwd_data_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, grad, W, col, DX);
}

function max_pool2d_bwd_f32(nc: number, h: number, w: number, oh: number, ow: number, DY: F32Buf, IDX: I32Buf, DX: F32Buf): void {
  const dy = DY.data, idx = IDX.data, dx = DX.data;
  dx.fill(0, 0, nc * h * w);
  // Overlapping windows may pick the same element: accumulate per plane in float64, store once.
  const acc = plane(h * w);
  for (let p = 0; p < nc; p++) {
    acc.fill(0, 0, h * w);
    for (let o = p * oh * ow; o < (p + 1) * oh * ow; o++) acc[idx[o]] += dy[o];
    dx.set(acc.subarray(0, h * w), p * h * w);
  }
}

/** PyTorch's avg_pool2d divisor for the window starting at (y0, x0) (padded coordinates already subtracted). */
function avgDivisor(y0: number, x0: number, h: number, w: number, kh: number, kw: number, ph: number, pw: number, includePad: number): number {
  if (includePad) return (Math.min(y0 + kh, h + ph) - y0) * (Math.min(x0 + kw, w + pw) - x0);
  return Math.max(Math.min(y0 + kh, h) - Math.max(y0, 0), 0) * Math.max(Math.min(x0 + kw, w) - Math.max(x0, 0), 0);
}

function avg_pool2d_fwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, includePad: number, X: F32Buf, Y: F32Buf): void {
  const x = X.data, y = Y.data;
  for (let p = 0; p < nc; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const ys = oy * sh - ph, xs = ox * sw - pw;
        const div = avgDivisor(ys, xs, h, w, kh, kw, ph, pw, includePad);
        let sum = 0;
        for (let iy = Math.max(ys, 0); iy < Math.min(ys + kh, h); iy++)
          for (let ix = Math.max(xs, 0); ix < Math.min(xs + kw, w); ix++) sum += x[p * h * w + iy * w + ix];
        y[(p * oh + oy) * ow + ox] = div > 0 ? sum / div : 0;
      }
}

function avg_pool2d_bwd_f32(nc: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, oh: number, ow: number, includePad: number, DY: F32Buf, DX: F32Buf): void {
  const dy = DY.data, dx = DX.data;
  const acc = plane(h * w);
  for (let p = 0; p < nc; p++) {
    acc.fill(0, 0, h * w);
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const ys = oy * sh - ph, xs = ox * sw - pw;
        const div = avgDivisor(ys, xs, h, w, kh, kw, ph, pw, includePad);
        if (!(div > 0)) continue;
        const g = dy[(p * oh + oy) * ow + ox] / div;
        for (let iy = Math.max(ys, 0); iy < Math.min(ys + kh, h); iy++)
          for (let ix = Math.max(xs, 0); ix < Math.min(xs + kw, w); ix++) acc[iy * w + ix] += g;
      }
    dx.set(acc.subarray(0, h * w), p * h * w);
  }
}

/** The reference kernels in plain TypeScript with float64 accumulation: the oracle every other backend is tested against. */
export const jsKernels: Kernels = {
  gemm_f32, gemm_bias_act_f32, gemm_act_bwd_f32, bias_add_f32, col_sum_f32, linear_bwd_f32,
  sigmoid_fwd_f32, tanh_fwd_f32, relu_fwd_f32, leaky_relu_fwd_f32,
  sigmoid_bwd_f32, tanh_bwd_f32, relu_bwd_f32, leaky_relu_bwd_f32,
  elu_fwd_f32, elu_bwd_f32, gelu_fwd_f32, gelu_bwd_f32, gelu_tanh_fwd_f32, gelu_tanh_bwd_f32,
  silu_fwd_f32, silu_bwd_f32, softplus_fwd_f32, softplus_bwd_f32, softmax_fwd_f32,
  softmax_xent_f32, mse_f32, bce_logits_f32,
  sgd_step_f32, momentum_step_f32, adagrad_step_f32, rmsprop_step_f32, adam_step_f32,
  batch_norm_train_f32, batch_norm_eval_f32, batch_norm_bwd_f32, dropout_fwd_f32, mul_f32,
  conv2d_fwd_f32, conv2d_bwd_data_f32, conv2d_bwd_filter_f32,
  conv2d_max_pool2d_fwd_f32, conv2d_max_pool2d_bwd_f32, max_pool2d_fwd_f32, max_pool2d_bwd_f32, avg_pool2d_fwd_f32, avg_pool2d_bwd_f32,
};

/** The js backend: `jsKernels` over ordinary typed arrays. Always available, in every JavaScript engine. */
export const jsBackend: Backend = {
  name: 'js',
  detail: 'TypeScript reference, float64 accumulation',
  tiles: { mr: 1, nr: 1 },
  alloc: (n: number): F32Buf => {
    checkAllocSize('alloc', n);
    return heapF32(new Float32Array(n));
  },
  allocI32: (n: number): I32Buf => {
    checkAllocSize('allocI32', n);
    return heapI32(new Int32Array(n));
  },
  free: () => {},
  view: (data: Float32Array) => heapF32(data),
  viewI32: (data: Int32Array) => heapI32(data),
  k: jsKernels,
};
