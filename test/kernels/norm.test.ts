/**
 * Batch norm (train, eval, backward), dropout and mul on every backend against float64 oracles written here from
 * the definitions (not from the reference kernels), at edge sizes: one channel, channel counts around the SIMD
 * width and the [N, C] column block (64), hw = 1, n = 1 with hw > 1, two values per channel, in place.
 * Tolerances follow from float32 outputs computed from float32 statistics: |y − ref| ≤ 2⁻²¹·(|x − mean|·|a| + |β|)
 * + 1e-6 with a = invstd·γ (the saved mean is rounded to float32 before it is subtracted).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/index.js';
import { BACKENDS, expectClose, put, randn, rng, uniform } from '../helpers.js';

// [n, c, hw]
const SHAPES: [number, number, number][] = [
  [4, 1, 1], [2, 3, 1], [2, 1, 1], [1, 5, 2], [5, 3, 7], [1, 3, 5], [8, 17, 1], [3, 67, 1], [9, 13, 33],
  [4, 130, 1], [2, 4, 16], [3, 2, 9], [70, 9, 1],
];
const EPS = 1e-5;
const U = 2 ** -21;

interface Stats {
  mean: number[];
  varSum: number[];
}

function oracleStats(n: number, c: number, hw: number, x: Float32Array): Stats {
  const mean: number[] = [], varSum: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let i = 0; i < n; i++) for (let k = 0; k < hw; k++) vals.push(x[(i * c + ch) * hw + k]);
    const m = vals.reduce((s, v) => s + v, 0) / vals.length;
    mean.push(m);
    varSum.push(vals.reduce((s, v) => s + (v - m) ** 2, 0));
  }
  return { mean, varSum };
}

const at = (c: number, hw: number, i: number, ch: number, k: number) => (i * c + ch) * hw + k;

function relClose(got: ArrayLike<number>, ref: ArrayLike<number>, rel: number, ctx: string): void {
  expectClose(got, ref, (_i, r) => 1e-7 + rel * Math.abs(r), ctx);
}

function inputs(seed: number, n: number, c: number, hw: number, offset: number, spread: number) {
  const r = rng(seed);
  const x = randn(r, n * c * hw, spread);
  for (let i = 0; i < x.length; i++) x[i] += offset;
  return { r, x, gamma: uniform(r, c, 0.5, 2), beta: uniform(r, c, -1, 1), dy: randn(r, n * c * hw) };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('norm kernels on %s', (name, backend: Backend) => {
  const k = backend.k;
  const none = () => backend.alloc(0);

  it('batch_norm_train_f32 normalises with batch statistics and updates the running estimates', () => {
    let seed = 1;
    for (const [n, c, hw] of SHAPES)
      for (const [offset, spread] of [[0.5, 1], [100, 0.1]])
        for (const affine of [true, false]) {
          const { r, x, gamma, beta } = inputs(seed++, n, c, hw, offset, spread);
          const N = n * hw, momentum = 0.1;
          const rm0 = uniform(r, c, -1, 1), rv0 = uniform(r, c, 0.5, 2);
          const X = put(backend, x), Y = backend.alloc(x.length), SM = backend.alloc(c), SI = backend.alloc(c);
          const RM = put(backend, rm0), RV = put(backend, rv0);
          const G = affine ? put(backend, gamma) : none(), B = affine ? put(backend, beta) : none();
          k.batch_norm_train_f32(n, c, hw, EPS, momentum, X, G, B, RM, RV, Y, SM, SI);
          const { mean, varSum } = oracleStats(n, c, hw, x);
          const invstd = varSum.map((v) => 1 / Math.sqrt(v / N + EPS));
          const ctx = `batch_norm_train_f32 on ${name} [${n}, ${c}, ${hw}] offset ${offset} affine ${affine}`;
          relClose(SM.data, mean, 1e-6, ctx + ' save_mean');
          relClose(SI.data, invstd, 1e-6, ctx + ' save_invstd');
          relClose(RM.data, mean.map((m, ch) => momentum * m + (1 - momentum) * rm0[ch]), 1e-6, ctx + ' running_mean');
          relClose(RV.data, varSum.map((v, ch) => momentum * (v / (N - 1)) + (1 - momentum) * rv0[ch]), 1e-6, ctx + ' running_var');
          const ref: number[] = [], tol: number[] = [];
          for (let i = 0; i < n; i++)
            for (let ch = 0; ch < c; ch++)
              for (let q = 0; q < hw; q++) {
                const g = affine ? gamma[ch] : 1, b = affine ? beta[ch] : 0;
                const d = x[at(c, hw, i, ch, q)] - mean[ch];
                ref[at(c, hw, i, ch, q)] = d * invstd[ch] * g + b;
                tol[at(c, hw, i, ch, q)] = 1e-6 + U * (Math.abs(mean[ch] * invstd[ch] * g) + Math.abs(d * invstd[ch] * g) + Math.abs(b));
              }
          expectClose(Y.data, ref, (i) => tol[i], ctx + ' y');
          // In place (y === x) gives the same values; absent running arrays are not touched.
          k.batch_norm_train_f32(n, c, hw, EPS, momentum, X, G, B, none(), none(), X, SM, SI);
          expectClose(X.data, Y.data, () => 0, ctx + ' in place');
        }
  });

  it('batch_norm_train_f32 with two values per channel and with n·hw = 0', () => {
    const x = Float32Array.of(1, -3, 2, 5); // [2, 2, 1]: channel 0 has {1, 2}, channel 1 has {−3, 5}
    const Y = backend.alloc(4), SM = backend.alloc(2), SI = backend.alloc(2), RV = put(backend, Float32Array.of(1, 1));
    k.batch_norm_train_f32(2, 2, 1, 0, 1, put(backend, x), none(), none(), put(backend, Float32Array.of(0, 0)), RV, Y, SM, SI);
    expect(Array.from(Y.data)).toEqual([-1, -1, 1, 1]);
    expect(Array.from(SM.data)).toEqual([1.5, 1]);
    expect(Array.from(RV.data)).toEqual([0.5, 32]); // momentum 1: the unbiased variances
    const RM = put(backend, Float32Array.of(7));
    k.batch_norm_train_f32(0, 1, 3, 0.25, 0.5, backend.alloc(0), none(), none(), RM, backend.alloc(1), backend.alloc(0), SM, SI);
    expect([SM.data[0], SI.data[0], RM.data[0]]).toEqual([0, 2, 7]);
  });

  it('batch_norm_eval_f32 normalises with the running statistics and saves them', () => {
    let seed = 100;
    for (const [n, c, hw] of SHAPES) {
      const { r, x, gamma, beta } = inputs(seed++, n, c, hw, 0.3, 2);
      const rm = uniform(r, c, -1, 1), rv = uniform(r, c, 0.5, 4);
      const X = put(backend, x), Y = backend.alloc(x.length), SM = backend.alloc(c), SI = backend.alloc(c);
      k.batch_norm_eval_f32(n, c, hw, EPS, X, put(backend, gamma), put(backend, beta), put(backend, rm), put(backend, rv), Y, SM, SI);
      const invstd = Array.from(rv, (v) => 1 / Math.sqrt(v + EPS));
      const ctx = `batch_norm_eval_f32 on ${name} [${n}, ${c}, ${hw}]`;
      expectClose(SM.data, rm, () => 0, ctx + ' save_mean');
      relClose(SI.data, invstd, 1e-6, ctx + ' save_invstd');
      const ref = Array.from(x, (v, i) => {
        const ch = Math.floor(i / hw) % c;
        return (v - rm[ch]) * invstd[ch] * gamma[ch] + beta[ch];
      });
      expectClose(Y.data, ref, (_i, rf) => 1e-6 + U * (4 + Math.abs(rf)), ctx + ' y');
    }
  });

  it('batch_norm_bwd_f32 matches the closed-form gradients (batch and running statistics, accumulate, in place)', () => {
    let seed = 200;
    for (const [n, c, hw] of SHAPES)
      for (const batchStats of [1, 0]) {
        const { r, x, gamma, dy } = inputs(seed++, n, c, hw, -0.7, 1.5);
        const N = n * hw;
        const { mean, varSum } = oracleStats(n, c, hw, x);
        const sm = Float32Array.from(mean), si = Float32Array.from(varSum, (v) => 1 / Math.sqrt(v / N + EPS));
        const dg0 = randn(r, c), db0 = randn(r, c);
        const X = put(backend, x), DY = put(backend, dy), DX = backend.alloc(x.length);
        const DG = put(backend, dg0), DB = put(backend, db0);
        k.batch_norm_bwd_f32(n, c, hw, batchStats, 1, X, DY, put(backend, gamma), put(backend, sm), put(backend, si), DX, DG, DB);
        const ctx = `batch_norm_bwd_f32 on ${name} [${n}, ${c}, ${hw}] batch_stats ${batchStats}`;
        const refDx: number[] = [], tolDx: number[] = [], refDg: number[] = [], refDb: number[] = [], tolDg: number[] = [];
        for (let ch = 0; ch < c; ch++) {
          let sdy = 0, sdyxh = 0, sabs = 0;
          for (let i = 0; i < n; i++)
            for (let q = 0; q < hw; q++) {
              const j = at(c, hw, i, ch, q), xh = (x[j] - sm[ch]) * si[ch];
              sdy += dy[j];
              sdyxh += dy[j] * xh;
              sabs += Math.abs(dy[j] * xh);
            }
          refDg.push(dg0[ch] + sdyxh);
          refDb.push(db0[ch] + sdy);
          tolDg.push(1e-6 + 1e-5 * (sabs + Math.abs(dg0[ch])));
          const a = gamma[ch] * si[ch];
          for (let i = 0; i < n; i++)
            for (let q = 0; q < hw; q++) {
              const j = at(c, hw, i, ch, q), xh = (x[j] - sm[ch]) * si[ch];
              if (batchStats) {
                refDx[j] = a * (dy[j] - sdy / N - (xh * sdyxh) / N);
                tolDx[j] = 1e-6 + U * a * (Math.abs(dy[j]) + Math.abs(sdy / N) + 2 * Math.abs((xh * sdyxh) / N));
              } else {
                refDx[j] = a * dy[j];
                tolDx[j] = 1e-7 + U * Math.abs(refDx[j]);
              }
            }
        }
        expectClose(DX.data, refDx, (i) => tolDx[i], ctx + ' dx');
        expectClose(DG.data, refDg, (i) => tolDg[i], ctx + ' dgamma');
        expectClose(DB.data, refDb, (_i, rf) => 1e-5 * (1 + Math.abs(rf)), ctx + ' dbeta');
        // beta_acc = 0 overwrites (NaN in the old gradients must not leak); dx === dy in place; no affine.
        DG.data.fill(NaN);
        DB.data.fill(NaN);
        k.batch_norm_bwd_f32(n, c, hw, batchStats, 0, X, DY, put(backend, gamma), put(backend, sm), put(backend, si), DY, DG, DB);
        expectClose(DY.data, DX.data, () => 0, ctx + ' in place');
        expectClose(DG.data, refDg.map((v, ch) => v - dg0[ch]), (i) => tolDg[i], ctx + ' dgamma overwritten');
        const DX2 = backend.alloc(x.length);
        k.batch_norm_bwd_f32(n, c, hw, batchStats, 0, X, put(backend, dy), none(), put(backend, sm), put(backend, si), DX2, none(), none());
        const refNoAffine = refDx.map((v, j) => v / gamma[Math.floor(j / hw) % c]);
        expectClose(DX2.data, refNoAffine, (i) => tolDx[i] / gamma[Math.floor(i / hw) % c], ctx + ' without gamma');
      }
  });

  it('dropout_fwd_f32 draws the specified hash mask, scales exactly, and is the identity at p = 0 and zero at p = 1', () => {
    // The hash of the kernel contract, computed with BigInt arithmetic mod 2³² (independent of Math.imul).
    const M = 0xffffffffn;
    const hash = (seed: number, i: number): number => {
      let h = ((BigInt(i) * 0x9e3779b9n) & M) ^ ((BigInt(seed) * 0x85ebca6bn) & M);
      h ^= h >> 16n;
      h = (h * 0x7feb352dn) & M;
      h ^= h >> 15n;
      h = (h * 0x846ca68bn) & M;
      h ^= h >> 16n;
      return Number(h);
    };
    for (const [n, seed, p] of [[1, 0, 0.5], [7, 3, 0.5], [37, 123456789, 0.2], [1001, 2 ** 31 - 1, 0.9]] as const) {
      const x = randn(rng(n), n), threshold = Math.round(p * 2 ** 24), scale = Math.fround(1 / (1 - p));
      const Y = backend.alloc(n), MASK = backend.alloc(n), X = put(backend, x);
      k.dropout_fwd_f32(n, seed, threshold, scale, X, Y, MASK);
      for (let i = 0; i < n; i++) {
        const m = hash(seed, i) >>> 8 >= threshold ? scale : 0;
        if (MASK.data[i] !== m || !Object.is(Y.data[i], Math.fround(x[i] * m)))
          expect.fail(`dropout_fwd_f32 on ${name} n=${n} seed=${seed} at ${i}: mask ${MASK.data[i]} (want ${m}), y ${Y.data[i]} (want ${Math.fround(x[i] * m)})`);
      }
      k.dropout_fwd_f32(n, seed, threshold, scale, X, X, MASK); // in place
      expectClose(X.data, Y.data, () => 0, `dropout_fwd_f32 on ${name} in place`);
    }
    const n = 1003, x = randn(rng(5), n);
    const Y = backend.alloc(n), MASK = backend.alloc(n);
    k.dropout_fwd_f32(n, 9, 0, 1, put(backend, x), Y, MASK);
    expect(Array.from(Y.data)).toEqual(Array.from(x));
    expect(MASK.data.every((v) => v === 1)).toBe(true);
    k.dropout_fwd_f32(n, 9, 2 ** 24, 0, put(backend, x), Y, MASK);
    expect(Y.data.every((v) => v === 0) && MASK.data.every((v) => v === 0)).toBe(true);
  });

  it('dropout_fwd_f32 keeps 1 − p of 10⁵ elements within 5 binomial standard deviations', () => {
    const n = 100_000, x = new Float32Array(n).fill(1);
    for (const p of [0.1, 0.5, 0.8]) {
      const Y = backend.alloc(n), MASK = backend.alloc(n);
      k.dropout_fwd_f32(n, 4242, Math.round(p * 2 ** 24), 1 / (1 - p), put(backend, x), Y, MASK);
      let kept = 0;
      for (let i = 0; i < n; i++) kept += MASK.data[i] !== 0 ? 1 : 0;
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p)), `dropout on ${name} p=${p}: kept ${kept} of ${n}`).toBeLessThanOrEqual(5 * sigma);
    }
  });

  it('mul_f32 multiplies exactly, also in place', () => {
    for (const n of [0, 1, 3, 4, 17, 1000]) {
      const r = rng(n + 7);
      const a = randn(r, n), b = randn(r, n);
      const A = put(backend, a), O = backend.alloc(n);
      k.mul_f32(n, A, put(backend, b), O);
      const ref = Array.from(a, (v, i) => Math.fround(v * b[i]));
      expectClose(O.data, ref, () => 0, `mul_f32 on ${name} n=${n}`);
      k.mul_f32(n, A, put(backend, b), A);
      expectClose(A.data, ref, () => 0, `mul_f32 on ${name} n=${n} in place`);
    }
  });
});

describe('norm kernels agree across backends', () => {
  const [js] = BACKENDS.filter((b) => b.name === 'js');
  it('dropout masks are bit-identical to the js reference on every backend', () => {
    const n = 5003, x = randn(rng(11), n);
    const ref = js.alloc(n), refY = js.alloc(n);
    js.k.dropout_fwd_f32(n, 77, Math.round(0.3 * 2 ** 24), 1 / 0.7, put(js, x), refY, ref);
    for (const b of BACKENDS) {
      const m = b.alloc(n), y = b.alloc(n);
      b.k.dropout_fwd_f32(n, 77, Math.round(0.3 * 2 ** 24), 1 / 0.7, put(b, x), y, m);
      expectClose(m.data, ref.data, () => 0, `dropout mask on ${b.name}`);
      expectClose(y.data, refY.data, () => 0, `dropout y on ${b.name}`);
    }
  });
});
