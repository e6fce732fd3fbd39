/**
 * Gradient clipping, as torch.nn.utils: by total norm (one scale for all gradients) or by value (elementwise).
 * Norms accumulate in float64.
 */
import { checkNumber } from '../check.js';
import { optionError } from '../errors.js';
import { Parameter } from '../nn/parameter.js';

function paramList(call: string, params: Iterable<Parameter>): Parameter[] {
  const list = params && typeof (params as Iterable<Parameter>)[Symbol.iterator] === 'function' ? [...params] : null;
  if (!list || list.some((p) => !(p instanceof Parameter))) throw optionError(call, 'params', 'an array of Parameter', params);
  return list;
}

/**
 * Scales every gradient by `maxNorm/(total + 1e-6)` when the total norm exceeds `maxNorm`; returns the total
 * norm before clipping (`Infinity` for `normType = Infinity`-norm is the largest magnitude).
 * @example const norm = clipGradNorm(model.parameters(), 1.0);
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, normType = 2): number {
  const list = paramList('clipGradNorm', params);
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, 0);
  if (!(normType === Infinity || (Number.isFinite(normType) && normType > 0))) throw optionError('clipGradNorm', 'normType', 'a positive number or Infinity', normType);
  let total = 0;
  if (normType === Infinity) {
    for (const p of list) for (const g of p.grad) total = Math.max(total, Math.abs(g));
  } else {
    for (const p of list) for (const g of p.grad) total += Math.abs(g) ** normType;
    total = total ** (1 / normType);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const p of list) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) g[i] *= coef;
  }
  return total;
}

/** Clamps every gradient element to `[−clipValue, clipValue]`. @example clipGradValue(model.parameters(), 0.5); */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): void {
  const list = paramList('clipGradValue', params);
  checkNumber('clipGradValue', 'clipValue', clipValue, 0);
  for (const p of list) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(clipValue, Math.max(-clipValue, g[i]));
  }
}
