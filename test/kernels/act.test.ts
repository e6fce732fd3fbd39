/**
 * Activation forward/backward on every backend, driven by the activation table: every record is tested at its
 * default parameters and at the extra settings below, so a new record is covered without new code. Forward is
 * compared with the record's float64 form; backward with the js reference applied to the same saved input (for
 * activations whose backward reads y, that is the exact derivative of the float32 output). Sizes cover 0, 1, SIMD
 * widths ±1 and a prime; in-place calls (x === y, dy === dx) are checked too. Inputs span ±20 to reach saturation.
 */
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/index.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams, type ActivationName, type ActivationParams } from '../../src/nn/activation-table.js';
import { BACKENDS, elementwise, expectClose, put, rng, uniform } from '../helpers.js';

const SIZES = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1031];

/** Settings beyond the defaults: the linear branch of Softplus inside ±20, other slopes and scales. */
const EXTRA: Partial<Record<ActivationName, ActivationParams[]>> = {
  leaky_relu: [{ slope: 0.2 }],
  elu: [{ alpha: 0.5 }],
  softplus: [{ beta: 2, threshold: 5 }, { beta: 0.5 }],
};

// Exact kernels are held tighter than the contract's elementwise bound; the approximations (exp, tanh, erfc,
// log1p in SIMD) get the looser bound their headers state, and so does any new record.
const EXACT: Partial<Record<ActivationName, ReturnType<typeof elementwise>>> = { relu: elementwise(0, 0), leaky_relu: elementwise(0, 1e-7) };
const forwardTol = (name: ActivationName) => EXACT[name] ?? elementwise(2e-6, 1e-5);
// Backward from x recomputes the approximations (|dy| ≤ 2); from y it is a product of exact float32 values.
const backwardTol = (name: ActivationName) => (ACTIVATION_TABLE[name].backwardFrom === 'x' ? elementwise(4e-6, 1e-5) : elementwise(1e-7, 2e-6));

const CASES = ACTIVATION_NAMES.flatMap((name) => [{}, ...(EXTRA[name] ?? [])].map((p) => [name, p] as const));

describe.each(BACKENDS.map((b) => [b.name, b] as const))('activations on %s', (backendName, backend) => {
  for (const [name, named] of CASES) {
    const spec = ACTIVATION_TABLE[name], p = activationParams('test', name, named);
    const label = `${name}${Object.keys(named).length ? JSON.stringify(named) : ''}`;

    it(`${label} forward and backward over edge sizes, out of place and in place`, () => {
      for (const n of SIZES) {
        const r = rng(n + 7);
        const x = uniform(r, n, -20, 20), dy = uniform(r, n, -2, 2);
        if (n > 2) x[1] = 0; // the kink
        const X = put(backend, x), Y = backend.alloc(n);
        spec.fwd(backend.k, n, p, X, Y);
        const yRef = Array.from(x, (v) => spec.f64(v, p));
        const ctx = `${name}_fwd_f32 ${JSON.stringify(p)} on ${backendName}, n=${n}`;
        expectClose(Y.data, yRef, forwardTol(name), ctx);
        const y = Float32Array.from(Y.data);

        const saved = spec.backwardFrom === 'y' ? y : x;
        const dxRef = put(jsBackend, dy);
        spec.bwd(jsBackend.k, n, p, put(jsBackend, saved), dxRef, dxRef);
        const S = put(backend, saved), DY = put(backend, dy), DX = backend.alloc(n);
        spec.bwd(backend.k, n, p, S, DY, DX);
        expectClose(DX.data, dxRef.data, backwardTol(name), `${name}_bwd_f32 ${JSON.stringify(p)} on ${backendName}, n=${n}`);
        spec.bwd(backend.k, n, p, S, DY, DY);
        expectClose(DY.data, dxRef.data, backwardTol(name), `${name}_bwd_f32 in place on ${backendName}, n=${n}`);

        spec.fwd(backend.k, n, p, X, X);
        expectClose(X.data, yRef, forwardTol(name), `${ctx} in place`);
        for (const b of [X, Y, S, DY, DX]) backend.free(b);
      }
    });
  }

  it('every activation passes NaN through and stays finite and exact at ±1e30, ±100 and the kinks', () => {
    const xs = new Float32Array([NaN, -1e30, 1e30, -100, 100, 0, -0.5, 0.5, 3]);
    for (const name of ACTIVATION_NAMES) {
      const spec = ACTIVATION_TABLE[name], p = activationParams('test', name), n = xs.length;
      const X = put(backend, xs), Y = backend.alloc(n);
      spec.fwd(backend.k, n, p, X, Y);
      expect(Number.isNaN(Y.data[0]), `${name}(NaN) on ${backendName}`).toBe(true);
      expectClose(Y.data, Array.from(xs, (v) => spec.f64(v, p)), forwardTol(name), `${name}_fwd_f32 extremes on ${backendName}`);
      const saved = spec.backwardFrom === 'y' ? Y : X;
      const G = put(backend, new Float32Array(n).fill(1));
      spec.bwd(backend.k, n, p, saved, G, G);
      for (let i = 1; i < n; i++) {
        const ref = spec.backwardFrom === 'x' ? spec.grad64(xs[i], p) : null;
        expect(Number.isFinite(G.data[i]), `${name}_bwd_f32 at x=${xs[i]} on ${backendName}: ${G.data[i]}`).toBe(true);
        if (ref !== null) expectClose([G.data[i]], [ref], backwardTol(name), `${name}_bwd_f32 at x=${xs[i]} on ${backendName}`);
      }
      for (const b of [X, Y, G]) backend.free(b);
    }
  });

  it('softmax_fwd_f32 matches a float64 row softmax over edge shapes, in place, with huge logits and NaN rows', () => {
    for (const [m, n] of [[0, 3], [1, 1], [3, 0], [5, 7], [8, 16], [17, 33], [4, 1031]]) {
      const r = rng(m * 100 + n);
      const x = uniform(r, m * n, -30, 30);
      if (m * n > 3) x.set([1e4, -1e4], 0);
      const ref: number[] = [];
      for (let i = 0; i < m; i++) {
        const row = Array.from(x.subarray(i * n, (i + 1) * n));
        const max = Math.max(...row), e = row.map((v) => Math.exp(v - max)), s = e.reduce((a, b) => a + b, 0);
        ref.push(...e.map((v) => v / s));
      }
      const X = put(backend, x), Y = backend.alloc(m * n);
      backend.k.softmax_fwd_f32(m, n, X, Y);
      expectClose(Y.data, ref, elementwise(1e-8, 2e-6), `softmax_fwd_f32 on ${backendName} ${m}x${n}`);
      backend.k.softmax_fwd_f32(m, n, X, X);
      expectClose(X.data, ref, elementwise(1e-8, 2e-6), `softmax_fwd_f32 in place on ${backendName} ${m}x${n}`);
      backend.free(X);
      backend.free(Y);
    }
    const X = put(backend, new Float32Array([1, NaN, 2, 0, 1, 2]));
    backend.k.softmax_fwd_f32(2, 3, X, X);
    expect(Array.from(X.data.subarray(0, 3)).every(Number.isNaN), `NaN row on ${backendName}`).toBe(true);
    expectClose(X.data.subarray(3), [0.09003057, 0.24472847, 0.66524096], elementwise(1e-8, 2e-6), `softmax row after a NaN row on ${backendName}`);
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
