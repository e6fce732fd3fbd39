/**
 * Fused loss kernels (softmax-cross-entropy, MSE, BCE with logits) on every backend against float64 formulas,
 * including huge logits (stability) and the in-place gradient (grad === logits).
 */
import { describe, it } from 'vitest';
import { BACKENDS, elementwise, expectClose, put, rng, uniform } from '../helpers.js';

const SHAPES: [number, number][] = [[1, 1], [1, 2], [3, 10], [4, 3], [8, 16], [17, 33], [128, 10], [5, 1031]];

function logSoftmaxRow(x: ArrayLike<number>, r: number, n: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[r + j]);
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x[r + j] - max);
  return Array.from({ length: n }, (_, j) => x[r + j] - max - Math.log(s));
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('loss kernels on %s', (name, backend) => {
  it('softmax_xent_f32 matches log-softmax + NLL, also with huge logits and in place', () => {
    for (const [m, n] of SHAPES) {
      for (const magnitude of [3, 1e4]) {
        const r = rng(m * n + magnitude);
        const x = uniform(r, m * n, -magnitude, magnitude);
        const labels = Int32Array.from({ length: m }, () => r.int(n));
        const scale = 1 / m;
        const lossRef: number[] = [], gradRef: number[] = [];
        for (let i = 0; i < m; i++) {
          const ls = logSoftmaxRow(x, i * n, n);
          lossRef.push(-ls[labels[i]]);
          for (let j = 0; j < n; j++) gradRef.push(scale * (Math.exp(ls[j]) - (j === labels[i] ? 1 : 0)));
        }
        const X = put(backend, x), L = backend.allocI32(m), loss = backend.alloc(m), G = backend.alloc(m * n);
        L.data.set(labels);
        backend.k.softmax_xent_f32(m, n, scale, X, L, loss, G);
        const ctx = `softmax_xent_f32 on ${name} ${m}x${n} |x|≤${magnitude}`;
        expectClose(loss.data, lossRef, elementwise(2e-6, 2e-6), ctx + ' loss');
        expectClose(G.data, gradRef, elementwise(1e-7, 1e-5), ctx + ' grad');
        backend.k.softmax_xent_f32(m, n, scale, X, L, loss, backend.alloc(0));
        expectClose(loss.data, lossRef, elementwise(2e-6, 2e-6), ctx + ' loss without grad');
        backend.k.softmax_xent_f32(m, n, scale, X, L, loss, X);
        expectClose(X.data, gradRef, elementwise(1e-7, 1e-5), ctx + ' grad in place');
      }
    }
  });

  it('mse_f32 and bce_logits_f32 match their float64 formulas', () => {
    for (const [m, n] of SHAPES) {
      const r = rng(m + 31 * n);
      const p = uniform(r, m * n, -30, 30), t = uniform(r, m * n, 0, 1);
      const scale = 1 / (m * n);
      const P = put(backend, p), T = put(backend, t), loss = backend.alloc(m), G = backend.alloc(m * n);

      backend.k.mse_f32(m, n, scale, P, T, loss, G);
      const mseLoss = Array.from({ length: m }, (_, i) => {
        let s = 0;
        for (let j = 0; j < n; j++) s += (p[i * n + j] - t[i * n + j]) ** 2;
        return s;
      });
      expectClose(loss.data, mseLoss, elementwise(1e-6, 1e-5), `mse_f32 on ${name} ${m}x${n} loss`);
      expectClose(G.data, Array.from(p, (v, i) => 2 * scale * (v - t[i])), elementwise(1e-9, 1e-5), `mse_f32 on ${name} ${m}x${n} grad`);

      backend.k.bce_logits_f32(m, n, scale, P, T, loss, G);
      const bceLoss = Array.from({ length: m }, (_, i) => {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const x = p[i * n + j], y = t[i * n + j];
          s += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
        }
        return s;
      });
      expectClose(loss.data, bceLoss, elementwise(1e-5, 1e-5), `bce_logits_f32 on ${name} ${m}x${n} loss`);
      const bceGrad = Array.from(p, (x, i) => scale * (1 / (1 + Math.exp(-x)) - t[i]));
      expectClose(G.data, bceGrad, elementwise(1e-9, 1e-5), `bce_logits_f32 on ${name} ${m}x${n} grad`);
    }
  });
});
