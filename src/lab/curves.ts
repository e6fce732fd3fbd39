/**
 * Activation functions and their derivatives, sampled through the backend's own kernels: `y = <act>_fwd(x)`, then
 * `dy/dx = <act>_bwd(y, 1)`, the exact values backpropagation uses. So σ′(0) = 0.5·(1 − 0.5) = 0.25 (the lecture
 * slide's "1.xx" for the gradient at 0 is a slip: σ′ never exceeds 1/4), and ReLU′(0) = 0, PyTorch's convention.
 */
import { getBackend } from '../backends/registry.js';
import { checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import type { ActivationName } from '../kernels.js';
import { ACTIVATIONS } from './probe.js';

export interface ActivationCurve {
  name: ActivationName;
  /** LeakyReLU's negative slope (0 for the others). */
  slope: number;
  /** Sample points, evenly spaced from `from` to `to` inclusive. */
  x: Float32Array;
  /** The activation at each point. */
  y: Float32Array;
  /** Its derivative at each point, as the backward kernel computes it. */
  dy: Float32Array;
}

/**
 * Samples an activation and its derivative at `n` evenly spaced points of [from, to] on the active backend.
 * @example
 * const { x, y, dy } = activationCurve('sigmoid', -10, 10, 201);
 * dy[100];   // 0.25 = σ′(0)
 */
export function activationCurve(name: ActivationName, from = -6, to = 6, n = 241, options: { slope?: number } = {}): ActivationCurve {
  const call = 'activationCurve';
  checkOneOf(call, 'name', name, ACTIVATIONS);
  checkNumber(call, 'from', from);
  checkNumber(call, 'to', to);
  if (!(to > from)) throw optionError(call, 'to', `a number greater than from (${from})`, to);
  checkInt(call, 'n', n, 2, 1_000_000);
  const { slope: s } = checkOptions(call, options, ['slope']) as { slope?: number };
  const slope = name === 'leaky_relu' ? checkNumber(call, 'slope', s ?? 0.01, 0) : 0;

  const b = getBackend(), xb = b.alloc(n), yb = b.alloc(n), gb = b.alloc(n);
  try {
    const xs = xb.data;
    // Exact grid points (i/(n−1) interpolation keeps 0 on the grid when the range is symmetric and n is odd).
    for (let i = 0; i < n; i++) xs[i] = from + ((to - from) * i) / (n - 1);
    gb.data.fill(1);
    const k = b.k;
    switch (name) {
      case 'sigmoid': k.sigmoid_fwd_f32(n, xb, yb); k.sigmoid_bwd_f32(n, yb, gb, gb); break;
      case 'tanh': k.tanh_fwd_f32(n, xb, yb); k.tanh_bwd_f32(n, yb, gb, gb); break;
      case 'relu': k.relu_fwd_f32(n, xb, yb); k.relu_bwd_f32(n, yb, gb, gb); break;
      case 'leaky_relu': k.leaky_relu_fwd_f32(n, slope, xb, yb); k.leaky_relu_bwd_f32(n, slope, yb, gb, gb); break;
    }
    return { name, slope, x: xb.data.slice(), y: yb.data.slice(), dy: gb.data.slice() };
  } finally {
    b.free(xb);
    b.free(yb);
    b.free(gb);
  }
}

/** The curve's value and derivative at one point (one-element kernel calls). @example activationAt('relu', 0).dy  // 0 */
export function activationAt(name: ActivationName, x: number, options: { slope?: number } = {}): { y: number; dy: number } {
  const c = activationCurve(name, x, x + 1, 2, options);
  return { y: c.y[0], dy: c.dy[0] };
}
