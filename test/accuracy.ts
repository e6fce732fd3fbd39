/**
 * Accuracy sweeps shared by the per-ISA native test and the wasm test: the activations whose backward reads x
 * (approximations of exp, erfc, log1p in SIMD) against their float64 forms on a dense float32 grid of ±20.
 * Bounds, as stated in native/act/smooth.cc and assembly/act.ts: forward relative error ≤ 1e-6 (GELU-tanh 2e-5:
 * its exponent 2u = x(c₁ + c₃x²) reaches −65 at x = −9 and is rounded in float32); backward absolute error
 * ≤ 2e-6·|dy| (GELU′ and SiLU′ cross zero, so relative error is unbounded there). Values whose float64 result
 * is below 1e-30 in magnitude are skipped (flushed or subnormal in float32).
 */
import type { Kernels } from '../src/kernels.js';
import { heapF32 } from '../src/buffers.js';
import { ACTIVATION_TABLE, activationParams, type ActivationName } from '../src/nn/activation-table.js';

export const SMOOTH_BOUNDS: Partial<Record<ActivationName, { fwd: number }>> & { default: { fwd: number; bwd: number } } = {
  default: { fwd: 1e-6, bwd: 2e-6 },
  gelu_tanh: { fwd: 2e-5 },
};

/** 400 001 evenly spaced float32 values over [−20, 20], plus the seams of the piecewise formulas. */
export function denseGrid(): Float32Array {
  const n = 400_001, x = new Float32Array(n + 8);
  for (let i = 0; i < n; i++) x[i] = -20 + (40 * i) / (n - 1);
  x.set([-0.5, Math.fround(-0.5 + 2 ** -25), -1e-30, 1e-30, -13.2, 13.2, -87, 87], n);
  return x;
}

/** Worst forward relative error and worst backward absolute error (dy = 1) of one activation on `backend`. */
export function smoothErrors(backend: { k: Kernels }, name: ActivationName, x: Float32Array) {
  const spec = ACTIVATION_TABLE[name], p = activationParams('accuracy', name), n = x.length;
  const y = new Float32Array(n), g = new Float32Array(n).fill(1);
  const X = heapF32(x), Y = heapF32(y), G = heapF32(g);
  spec.fwd(backend.k, n, p, X, Y);
  spec.bwd(backend.k, n, p, X, G, G);
  let fwd = 0, at = 0, bwd = 0, bwdAt = 0;
  for (let i = 0; i < n; i++) {
    const r = spec.f64(x[i], p), d = spec.grad64(x[i], p);
    if (Math.abs(r) >= 1e-30) {
      const e = Math.abs(y[i] - r) / Math.abs(r);
      if (!(e <= fwd)) (fwd = e), (at = x[i]);
    }
    const eg = Math.abs(g[i] - d);
    if (!(eg <= bwd)) (bwd = eg), (bwdAt = x[i]);
  }
  return { fwd, at, bwd, bwdAt };
}
