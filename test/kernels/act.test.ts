/**
 * Activation forward/backward on every backend against float64 formulas. Sizes cover 0, 1, SIMD widths ±1
 * and a prime; in-place calls (x === y, dy === dx) are checked too. Inputs span ±20 to reach saturation.
 */
import { describe, expect, it } from 'vitest';
import type { ActivationName } from '../../src/kernels.js';
import { BACKENDS, elementwise, expectClose, put, rng, uniform } from '../helpers.js';

const SIZES = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1031];
const SLOPE = 0.01;

const forward: Record<ActivationName, (x: number) => number> = {
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  leaky_relu: (x) => (x > 0 ? x : SLOPE * x),
};
const derivativeFromOutput: Record<ActivationName, (y: number) => number> = {
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  relu: (y) => (y > 0 ? 1 : 0),
  leaky_relu: (y) => (y > 0 ? 1 : SLOPE),
};

// SIMD exp/tanh approximations are held to a bound slightly looser than exact elementwise kernels.
const TOLERANCE: Record<ActivationName, ReturnType<typeof elementwise>> = {
  sigmoid: elementwise(2e-6, 1e-5),
  tanh: elementwise(2e-6, 1e-5),
  relu: elementwise(0, 0),
  leaky_relu: elementwise(0, 1e-7),
};

describe.each(BACKENDS.map((b) => [b.name, b] as const))('activations on %s', (name, backend) => {
  for (const act of ['sigmoid', 'tanh', 'relu', 'leaky_relu'] as const) {
    const fwd = (n: number, x: any, y: any) =>
      act === 'leaky_relu' ? backend.k.leaky_relu_fwd_f32(n, SLOPE, x, y) : backend.k[`${act}_fwd_f32`](n, x, y);
    const bwd = (n: number, y: any, dy: any, dx: any) =>
      act === 'leaky_relu' ? backend.k.leaky_relu_bwd_f32(n, SLOPE, y, dy, dx) : backend.k[`${act}_bwd_f32`](n, y, dy, dx);

    it(`${act} forward and backward over edge sizes, out of place and in place`, () => {
      for (const n of SIZES) {
        const r = rng(n + 7);
        const x = uniform(r, n, -20, 20), dy = uniform(r, n, -2, 2);
        if (n > 2) x[1] = 0; // the kink
        const X = put(backend, x), Y = backend.alloc(n);
        fwd(n, X, Y);
        const yRef = Array.from(x, forward[act]);
        expectClose(Y.data, yRef, TOLERANCE[act], `${act}_fwd_f32 on ${name}, n=${n}`);
        fwd(n, X, X);
        expectClose(X.data, yRef, TOLERANCE[act], `${act}_fwd_f32 in place on ${name}, n=${n}`);

        const y = Float32Array.from(Y.data);
        const DY = put(backend, dy), DX = backend.alloc(n);
        bwd(n, Y, DY, DX);
        const dxRef = Array.from(y, (v, i) => dy[i] * derivativeFromOutput[act](v));
        expectClose(DX.data, dxRef, elementwise(1e-7, 2e-6), `${act}_bwd_f32 on ${name}, n=${n}`);
        bwd(n, Y, DY, DY);
        expectClose(DY.data, dxRef, elementwise(1e-7, 2e-6), `${act}_bwd_f32 in place on ${name}, n=${n}`);
        for (const b of [X, Y, DY, DX]) backend.free(b);
      }
    });
  }

  it('relu and leaky_relu pass NaN through, sigmoid and tanh saturate without overflow', () => {
    const X = put(backend, new Float32Array([NaN, -1e30, 1e30, -100, 100, 0, -0.5, 0.5, 3]));
    const Y = backend.alloc(9);
    backend.k.relu_fwd_f32(9, X, Y);
    expect(Number.isNaN(Y.data[0])).toBe(true);
    backend.k.sigmoid_fwd_f32(9, X, Y);
    expect([Y.data[1], Y.data[2], Y.data[4], Y.data[5]]).toEqual([0, 1, 1, 0.5]);
    expect(Y.data[3] >= 0 && Y.data[3] < 1e-37).toBe(true); // σ(−100) ≈ 3.7e-44: subnormal, may flush to 0
    backend.k.tanh_fwd_f32(9, X, Y);
    expect(Array.from(Y.data.subarray(1, 6))).toEqual([-1, 1, -1, 1, 0]);
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('bias_add_f32 and col_sum_f32 on %s', (name, backend) => {
  it('match float64 sums over edge shapes', () => {
    for (const [m, n] of [[0, 3], [1, 1], [3, 0], [5, 7], [8, 16], [17, 33], [128, 10], [129, 257]]) {
      const r = rng(m * 1000 + n);
      const a = uniform(r, m * n), bias = uniform(r, n), prior = uniform(r, n);
      const C = put(backend, a), B = put(backend, bias);
      backend.k.bias_add_f32(m, n, B, C);
      expectClose(C.data, Array.from(a, (v, i) => v + bias[i % n]), elementwise(1e-7, 1e-7), `bias_add_f32 on ${name} ${m}x${n}`);

      const A = put(backend, a);
      for (const beta of [0, 1, 0.5]) {
        const O = put(backend, beta === 0 ? new Float32Array(n).fill(NaN) : prior);
        backend.k.col_sum_f32(m, n, beta, A, O);
        const ref = Array.from({ length: n }, (_, j) => {
          let s = beta === 0 ? 0 : beta * prior[j];
          for (let i = 0; i < m; i++) s += a[i * n + j];
          return s;
        });
        expectClose(O.data, ref, (_i, _r) => 1e-6 + m * 2 ** -23, `col_sum_f32 on ${name} ${m}x${n} beta=${beta}`);
      }
    }
  });
});
