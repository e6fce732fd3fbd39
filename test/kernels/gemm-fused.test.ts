/**
 * The fused dense-layer kernels, gemm_bias_act_f32 (act(A·Bᵀ + bias)) and gemm_act_bwd_f32 ((A·B) ⊙ act′(y)), on
 * every backend. Their contract is the unfused sequence bit for bit: each backend's fused result must equal its
 * own gemm_f32 followed by bias_add_f32 and relu/leaky_relu (forward) or relu/leaky_relu backward, and the js
 * reference is checked against a float64 oracle with the GEMM bound 2·k·2⁻²⁴·Σ|a||b| (CONTRIBUTING.md §4).
 * Sizes cover 0, 1, tile−1, tile, tile+1, 2·tile+1 of each backend's register tile, k across the KC blocking, the
 * dense layers of the benchmark MLP (packed and threaded paths), NaN inputs and a C poisoned with NaN (never read).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/index.js';
import { BACKENDS, expectSameBits, put, randn, rng } from '../helpers.js';

function edges(tile: number): number[] {
  return [...new Set([0, 1, Math.max(1, tile - 1), tile, tile + 1, 2 * tile + 1])].sort((a, b) => a - b);
}

const SLOPES = [0, 0.1];

/** Fused and unfused forward on one backend; returns both outputs. */
function forwardBoth(backend: Backend, m: number, n: number, k: number, act: 0 | 1, slope: number, withBias: boolean, seed: number) {
  const r = rng(seed);
  const a = randn(r, m * k), b = randn(r, n * k), bias = randn(r, n);
  // A NaN in A must reach the output through the epilogue (ReLU passes NaN, like PyTorch).
  if (m * k > 3) a[3] = NaN;
  const A = put(backend, a), B = put(backend, b), Bias = put(backend, withBias ? bias : new Float32Array(0));
  const fused = put(backend, new Float32Array(m * n).fill(NaN)), plain = put(backend, new Float32Array(m * n).fill(NaN));
  backend.k.gemm_bias_act_f32(m, n, k, act, slope, A, B, Bias, fused);
  backend.k.gemm_f32(0, 1, m, n, k, 1, A, B, 0, plain);
  if (withBias) backend.k.bias_add_f32(m, n, Bias, plain);
  if (act) {
    if (slope === 0) backend.k.relu_fwd_f32(m * n, plain, plain);
    else backend.k.leaky_relu_fwd_f32(m * n, slope, plain, plain);
  }
  const out = { fused: fused.data.slice(), plain: plain.data.slice(), a, b, bias };
  for (const buf of [A, B, Bias, fused, plain]) backend.free(buf);
  return out;
}

function backwardBoth(backend: Backend, m: number, n: number, k: number, slope: number, seed: number) {
  const r = rng(seed);
  const a = randn(r, m * k), b = randn(r, k * n), y = randn(r, m * n);
  // ReLU outputs: zeros where the unit was off, and one exact zero to pin relu′(0) = 0.
  for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = slope === 0 ? 0 : y[i] * slope;
  if (y.length > 1) y[1] = 0;
  const A = put(backend, a), B = put(backend, b), Y = put(backend, y);
  const fused = put(backend, new Float32Array(m * n).fill(NaN)), plain = put(backend, new Float32Array(m * n).fill(NaN));
  backend.k.gemm_act_bwd_f32(m, n, k, slope, A, B, Y, fused);
  backend.k.gemm_f32(0, 0, m, n, k, 1, A, B, 0, plain);
  if (slope === 0) backend.k.relu_bwd_f32(m * n, Y, plain, plain);
  else backend.k.leaky_relu_bwd_f32(m * n, slope, Y, plain, plain);
  const out = { fused: fused.data.slice(), plain: plain.data.slice(), a, b, y };
  for (const buf of [A, B, Y, fused, plain]) backend.free(buf);
  return out;
}

/**
 * linear_bwd_f32 and the calls it replaces on one backend: dw and db start from `beta`'s operand (random when beta =
 * 1, NaN when 0: never read), dx from NaN; `act` 1 fuses the ReLU/LeakyReLU derivative of y (the layer's input).
 */
function linearBackwardBoth(backend: Backend, m: number, outF: number, inF: number, beta: 0 | 1, act: 0 | 1, slope: number, withBias: boolean, withDx: boolean, seed: number) {
  const r = rng(seed);
  const dy = randn(r, m * outF), x = randn(r, m * inF), w = randn(r, outF * inF), dw0 = randn(r, outF * inF), db0 = randn(r, outF);
  // x is a ReLU's output when act = 1: zeros (one of them exact) where the unit was off.
  if (act) for (let i = 0; i < x.length; i++) if (x[i] < 0 || i === 1) x[i] = slope === 0 ? 0 : x[i] * slope;
  const start = (v: Float32Array) => (beta ? v : new Float32Array(v.length).fill(NaN));
  const DY = put(backend, dy), X = put(backend, x), W = put(backend, w), none = backend.alloc(0);
  const dwF = put(backend, start(dw0)), dbF = put(backend, start(db0)), dxF = put(backend, new Float32Array(m * inF).fill(NaN));
  const dwP = put(backend, start(dw0)), dbP = put(backend, start(db0)), dxP = put(backend, new Float32Array(m * inF).fill(NaN));
  backend.k.linear_bwd_f32(m, outF, inF, beta, act, slope, DY, X, W, act ? X : none, dwF, withBias ? dbF : none, withDx ? dxF : none);
  backend.k.gemm_f32(1, 0, outF, inF, m, 1, DY, X, beta, dwP);
  if (withBias) backend.k.col_sum_f32(m, outF, beta, DY, dbP);
  if (withDx) {
    if (act) backend.k.gemm_act_bwd_f32(m, inF, outF, slope, DY, W, X, dxP);
    else backend.k.gemm_f32(0, 0, m, inF, outF, 1, DY, W, 0, dxP);
  }
  const out = {
    fused: [dwF, ...(withBias ? [dbF] : []), ...(withDx ? [dxF] : [])].map((b) => b.data.slice()),
    plain: [dwP, ...(withBias ? [dbP] : []), ...(withDx ? [dxP] : [])].map((b) => b.data.slice()),
    // Outputs the call was told to skip keep their contents.
    untouched: [...(withBias ? [] : [dbF.data.slice()]), ...(withDx ? [] : [dxF.data.slice()])],
    skipped: [...(withBias ? [] : [start(db0)]), ...(withDx ? [] : [new Float32Array(m * inF).fill(NaN)])],
  };
  for (const buf of [DY, X, W, none, dwF, dbF, dxF, dwP, dbP, dxP]) backend.free(buf);
  return out;
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('fused GEMM epilogues on %s', (name, backend) => {
  const ms = edges(backend.tiles.mr), ns = edges(backend.tiles.nr), ks = [0, 1, 3, 17, 263];

  it('gemm_bias_act_f32 equals gemm + bias_add + relu/leaky_relu bit for bit over edge sizes', () => {
    let seed = 1;
    for (const m of ms)
      for (const n of ns) {
        const k = ks[seed % ks.length], act = (seed % 3 === 0 ? 0 : 1) as 0 | 1, slope = SLOPES[seed % 2], bias = seed % 4 !== 1;
        const { fused, plain } = forwardBoth(backend, m, n, k, act, slope, bias, seed++);
        expectSameBits([fused], [plain], `gemm_bias_act_f32 on ${name}: m=${m} n=${n} k=${k} act=${act} slope=${slope} bias=${bias} tile=${backend.tiles.mr}x${backend.tiles.nr}`);
      }
  });

  it('gemm_act_bwd_f32 equals gemm + relu/leaky_relu backward bit for bit over edge sizes', () => {
    let seed = 100;
    for (const m of ms)
      for (const n of ns) {
        const k = ks[seed % ks.length], slope = SLOPES[seed % 2];
        const { fused, plain } = backwardBoth(backend, m, n, k, slope, seed++);
        expectSameBits([fused], [plain], `gemm_act_bwd_f32 on ${name}: m=${m} n=${n} k=${k} slope=${slope} tile=${backend.tiles.mr}x${backend.tiles.nr}`);
      }
  });

  it('the layers of the 784-256-128-10 MLP at batch 1, 8 and 128 (small, packed and threaded paths)', () => {
    let seed = 300;
    for (const m of [1, 8, 128])
      for (const [n, k] of [[256, 784], [128, 256], [10, 128]]) {
        const f = forwardBoth(backend, m, n, k, n === 10 ? 0 : 1, 0, true, seed++);
        expectSameBits([f.fused], [f.plain], `gemm_bias_act_f32 on ${name}: m=${m} n=${n} k=${k}`);
        const g = backwardBoth(backend, m, k, n, 0, seed++);
        expectSameBits([g.fused], [g.plain], `gemm_act_bwd_f32 on ${name}: m=${m} n=${k} k=${n}`);
      }
  });

  it('linear_bwd_f32 equals gemm_f32 (dW) + col_sum_f32 + gemm_f32 / gemm_act_bwd_f32 (dX) bit for bit', () => {
    let seed = 500;
    // Edge sizes of the register tile in every role, k = m across the KC blocking, then the MLP's layers at batch
    // 1, 8 and 128 (the 128 ones run side by side on two threads where the backend does that).
    const shapes: [number, number, number][] = [];
    for (const m of [1, 3, 17]) for (const o of edges(backend.tiles.nr)) if (o > 0) shapes.push([m, o, edges(backend.tiles.mr)[seed++ % edges(backend.tiles.mr).length] || 1]);
    shapes.push([0, 5, 7], [4, 0, 7], [4, 5, 0], [263, 9, 33], [130, 10, 129]);
    for (const m of [1, 8, 128]) shapes.push([m, 10, 128], [m, 128, 256], [m, 256, 784]);
    for (const [m, o, i] of shapes) {
      const beta = (seed % 2) as 0 | 1, act = (seed % 3 === 0 ? 0 : 1) as 0 | 1, slope = SLOPES[(seed >> 1) % 2];
      const withBias = seed % 5 !== 2, withDx = seed % 7 !== 3;
      const got = linearBackwardBoth(backend, m, o, i, beta, act, slope, withBias, withDx, seed++);
      const what = `linear_bwd_f32 on ${name}: m=${m} out=${o} in=${i} beta=${beta} act=${act} slope=${slope} bias=${withBias} dx=${withDx}`;
      expectSameBits(got.fused, got.plain, what);
      expectSameBits(got.untouched, got.skipped, `${what} (skipped outputs)`);
    }
  });

  if (name === 'js')
    it('the js reference meets a float64 oracle', () => {
      const m = 9, n = 13, k = 37;
      const { fused, a, b, bias } = forwardBoth(backend, m, n, k, 1, 0.1, true, 7);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0, abs = 0;
          for (let p = 0; p < k; p++) (s += a[i * k + p] * b[j * k + p]), (abs += Math.abs(a[i * k + p] * b[j * k + p]));
          const z = s + bias[j], want = z > 0 ? z : 0.1 * z, got = fused[i * n + j];
          if (i === 0 && 3 < k) expect(got).toBeNaN(); // a[3] is NaN: row 0 is NaN throughout
          else expect(Math.abs(got - want)).toBeLessThanOrEqual(2 * (k + 2) * 2 ** -24 * (abs + Math.abs(bias[j])) + 1e-30);
        }
    });
});
