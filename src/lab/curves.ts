/**
 * Activation functions and their derivatives, sampled through the backend's own kernels: `y = <act>_fwd(x)`, then
 * `dy/dx = <act>_bwd(y or x, 1)`, the exact values backpropagation uses. Every activation of the table works. So σ′(0) = 0.5·(1 − 0.5) = 0.25 (the lecture
 * slide's "1.xx" for the gradient at 0 is a slip: σ′ never exceeds 1/4), and ReLU′(0) = 0, PyTorch's convention.
 */
import { getBackend } from '../backends/registry.js';
import { checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { ACTIVATION_NAMES, ACTIVATION_PARAM_NAMES, ACTIVATION_TABLE, activationLabel, activationParams, type ActivationName, type ActivationParams } from '../nn/activation-table.js';

/** An activation sampled on a grid: `x`, `y = act(x)` and `dy = act′(x)` from the backward kernel. */
export interface ActivationCurve {
  name: ActivationName;
  /** LeakyReLU's negative slope (0 for the others). */
  slope: number;
  /** Parameter values in the table's order (`ACTIVATION_TABLE[name].params`). */
  params: number[];
  /** `leaky_relu(slope=0.01)`, `gelu`: for legends and tables. */
  label: string;
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
export function activationCurve(name: ActivationName, from = -6, to = 6, n = 241, options: ActivationParams = {}): ActivationCurve {
  const call = 'activationCurve';
  checkOneOf(call, 'name', name, ACTIVATION_NAMES);
  checkNumber(call, 'from', from);
  checkNumber(call, 'to', to);
  if (!(to > from)) throw optionError(call, 'to', `a number greater than from (${from})`, to);
  checkInt(call, 'n', n, 2, 1_000_000);
  // One option set serves several curves (the lab plots them together): each takes the parameters it has.
  const params = activationParams(call, name, checkOptions(call, options, ACTIVATION_PARAM_NAMES) as ActivationParams, false);
  const spec = ACTIVATION_TABLE[name];

  const b = getBackend(), xb = b.alloc(n), yb = b.alloc(n), gb = b.alloc(n);
  try {
    const xs = xb.data;
    // Exact grid points (i/(n−1) interpolation keeps 0 on the grid when the range is symmetric and n is odd).
    for (let i = 0; i < n; i++) xs[i] = from + ((to - from) * i) / (n - 1);
    gb.data.fill(1);
    spec.fwd(b.k, n, params, xb, yb);
    spec.bwd(b.k, n, params, spec.backwardFrom === 'y' ? yb : xb, gb, gb);
    const slope = name === 'leaky_relu' ? params[0] : 0;
    return { name, slope, params, label: activationLabel(name, params), x: xb.data.slice(), y: yb.data.slice(), dy: gb.data.slice() };
  } finally {
    b.free(xb);
    b.free(yb);
    b.free(gb);
  }
}

/** The curve's value and derivative at one point (one-element kernel calls). @example activationAt('relu', 0).dy  // 0 */
export function activationAt(name: ActivationName, x: number, options: ActivationParams = {}): { y: number; dy: number } {
  const c = activationCurve(name, x, x + 1, 2, options);
  return { y: c.y[0], dy: c.dy[0] };
}
