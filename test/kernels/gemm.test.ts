/**
 * gemm_f32 on every backend against a float64 oracle, over all four transpose combinations and edge sizes
 * derived from each backend's register tile (0, 1, tile−1, tile, tile+1, 2·tile+1) plus primes above the
 * usual KC blocking. Bound per element: 2·k·2⁻²⁴·(|alpha|·Σ|a||b| + |beta·c|) (CONTRIBUTING.md §4).
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, put, randn, rng } from '../helpers.js';

function edges(tile: number): number[] {
  return [...new Set([1, Math.max(1, tile - 1), tile, tile + 1, 2 * tile + 1])].sort((a, b) => a - b);
}

function oracle(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array) {
  const out = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? a[p * m + i] : a[i * k + p];
        const bv = tb ? b[j * k + p] : b[p * n + j];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      const prior = beta === 0 ? 0 : beta * c[i * n + j];
      out[i * n + j] = alpha * s + prior;
      bound[i * n + j] = 2 * (k + 2) * 2 ** -24 * (Math.abs(alpha) * abs + Math.abs(prior)) + 1e-30;
    }
  return { out, bound };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('gemm_f32 on %s', (name, backend) => {
  const ms = [0, ...edges(backend.tiles.mr)];
  const ns = [0, ...edges(backend.tiles.nr)];
  const ks = [0, 1, 3, 16, 17, 263];

  function check(ta: number, tb: number, m: number, n: number, k: number, alpha: number, beta: number, seed: number) {
    const r = rng(seed);
    const a = randn(r, m * k), b = randn(r, k * n), c0 = randn(r, m * n);
    // beta = 0 must not read C: poison it with NaN.
    if (beta === 0) c0.fill(NaN);
    const A = put(backend, a), B = put(backend, b), C = put(backend, c0);
    backend.k.gemm_f32(ta, tb, m, n, k, alpha, A, B, beta, C);
    const { out, bound } = oracle(ta, tb, m, n, k, alpha, a, b, beta, c0);
    const got = C.data;
    for (let i = 0; i < m * n; i++) {
      if (!(Math.abs(got[i] - out[i]) <= bound[i])) {
        const shape = `ta=${ta} tb=${tb} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta} tile=${backend.tiles.mr}x${backend.tiles.nr}`;
        expect.fail(`gemm_f32 on ${name}: ${shape}: at (${Math.floor(i / n)}, ${i % n}): got ${got[i]}, ref ${out[i]}, bound ${bound[i]}`);
      }
    }
    for (const buf of [A, B, C]) backend.free(buf);
  }

  for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]])
    it(`ta=${ta} tb=${tb} over edge sizes`, () => {
      let seed = 1;
      for (const m of ms) for (const n of ns) check(ta, tb, m, n, ks[seed % ks.length], 1, seed % 3 === 0 ? 0.5 : 0, seed++);
      for (const k of ks) check(ta, tb, ms[ms.length - 1], ns[ns.length - 1], k, -0.75, 1, seed++);
    });

  it('the shapes of a dense layer, and primes above the blocking sizes', () => {
    check(0, 1, 128, 256, 784, 1, 0, 11); // forward Y = X·Wᵀ
    check(1, 0, 256, 784, 128, 1, 1, 12); // weight gradient dW += dYᵀ·X
    check(0, 0, 128, 784, 256, 1, 0, 13); // input gradient dX = dY·W
    check(0, 0, 67, 131, 263, 1, 0, 14);
    check(1, 1, 131, 67, 521, 2, 0.25, 15);
    // Native's column-panel path with op(A) packed for several KC blocks (more rows than MC), and its blocked path.
    check(1, 0, 257, 70, 700, 1, 0.5, 16);
    check(0, 1, 389, 45, 333, 1, 0, 17);
  });

  it('few rows against a long weight stored [n, k] (the batch ≤ 16 forward path: blocks of 8 and 4 rows, then single rows)', () => {
    let seed = 40;
    for (const m of [1, 2, 3, 4, 5, 8, 9, 12, 13, 15, 16, 17])
      for (const [n, k] of [[1, 64], [7, 100], [256, 784], [13, 65]]) check(0, 1, m, n, k, 1, seed % 2 ? 0 : 0.5, seed++);
  });

  it('leaves C untouched when m, n or k make it empty, and scales C when k = 0', () => {
    const C = put(backend, new Float32Array([1, 2, 3, 4]));
    backend.k.gemm_f32(0, 0, 2, 2, 0, 1, backend.alloc(0), backend.alloc(0), 0.5, C);
    expect(Array.from(C.data)).toEqual([0.5, 1, 1.5, 2]);
  });
});
