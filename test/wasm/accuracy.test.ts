/**
 * The wasm vector approximations against Math over a dense sweep (2·10⁵ points of ±20 and tiny magnitudes),
 * held to the bounds stated in assembly/act.ts and assembly/simd.ts: tanh ≤ 4e-7 relative (rational in x²),
 * and sigmoid ≤ 5e-7 relative (vector exp); the activations whose backward reads x (erfc, expm1, log1p) within
 * the bounds of test/accuracy.ts. The shared kernel suite checks the looser contract bounds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, setBackend, jsBackend, type Backend } from '../../src/index.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE } from '../../src/nn/activation-table.js';
import { denseGrid, SMOOTH_BOUNDS, smoothErrors } from '../accuracy.js';

let wasm: Backend;
beforeAll(async () => {
  wasm = await loadBackend('wasm');
  setBackend(jsBackend);
});

function worst(b: Backend, act: 'tanh' | 'sigmoid', xs: Float32Array, f: (x: number) => number) {
  const n = xs.length, X = b.alloc(n), Y = b.alloc(n);
  X.data.set(xs);
  b.k[`${act}_fwd_f32`](n, X, Y);
  let rel = 0, at = 0;
  const y = Y.data;
  for (let i = 0; i < n; i++) {
    const r = f(xs[i]);
    const e = r === 0 ? Math.abs(y[i]) : Math.abs(y[i] - r) / Math.abs(r);
    if (!(e <= rel)) (rel = e), (at = xs[i]);
  }
  b.free(X);
  b.free(Y);
  return { rel, at };
}

describe('wasm approximation bounds', () => {
  const sweep = Float32Array.from({ length: 200_001 }, (_, i) => -20 + (40 * i) / 200_000);
  const tiny = Float32Array.from({ length: 20_001 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-30 + (30 * i) / 20_000));

  it('tanh is within 4e-7 relative', () => {
    for (const xs of [sweep, tiny]) {
      const { rel, at } = worst(wasm, 'tanh', xs, Math.tanh);
      expect(rel, `worst at x = ${at}`).toBeLessThanOrEqual(4e-7);
    }
  });

  it('sigmoid is within 5e-7 relative', () => {
    for (const xs of [sweep, tiny]) {
      const { rel, at } = worst(wasm, 'sigmoid', xs, (x) => 1 / (1 + Math.exp(-x)));
      expect(rel, `worst at x = ${at}`).toBeLessThanOrEqual(5e-7);
    }
  });

  it('the activations whose backward reads x stay within their stated bounds on a dense grid', () => {
    for (const name of ACTIVATION_NAMES) {
      if (ACTIVATION_TABLE[name].backwardFrom !== 'x') continue;
      const { fwd, at, bwd, bwdAt } = smoothErrors(wasm, name, denseGrid());
      expect(fwd, `${name}_fwd_f32 on wasm: worst relative error ${fwd} at x=${at}`).toBeLessThanOrEqual(SMOOTH_BOUNDS[name]?.fwd ?? SMOOTH_BOUNDS.default.fwd);
      expect(bwd, `${name}_bwd_f32 on wasm: worst absolute error ${bwd} at x=${bwdAt}`).toBeLessThanOrEqual(SMOOTH_BOUNDS.default.bwd);
    }
  });
});
