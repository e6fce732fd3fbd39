/**
 * Gradient check: the analytic gradients the kernels compute (float32) against central finite differences of
 * a float64 forward pass of the same model and loss. With float64 differences the numeric side is accurate to
 * ~1e-9, so any disagreement beyond float32 rounding is a bug in a backward rule.
 */
import { batchOf, checkF32, checkInt, checkNumber, checkOptions } from './check.js';
import { optionError } from './errors.js';
import { LOSS_NAMES, LOSSES, type Loss, type LossName, type Target } from './nn/loss.js';
import type { Parameter } from './nn/parameter.js';
import type { Sequential } from './nn/sequential.js';
import { Rng } from './rng.js';

/** Settings of `gradcheck`: step size, tolerances, how many entries to probe. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6, in float64). */
  eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| for every checked element (defaults 1e-5, 1e-3). */
  atol?: number;
  rtol?: number;
  /** Elements checked per parameter, sampled with a fixed seed when a parameter is larger (default 256). */
  maxPerParameter?: number;
}

/** What `gradcheck` found: the largest errors and whether they are within tolerance. */
export interface GradcheckResult {
  ok: boolean;
  checked: number;
  maxAbsError: number;
  maxRelError: number;
  /** The element that disagrees most (relative to the tolerance). */
  worst: { parameter: string; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compares analytic gradients with float64 central differences on one batch.
 * @example
 * const r = gradcheck(model, x, labels, 'crossEntropy');
 * if (!r.ok) console.log(r.worst);
 */
export function gradcheck(model: Sequential, x: Float32Array, y: Target, loss: LossName | Loss = 'crossEntropy', options: GradcheckOptions = {}): GradcheckResult {
  const call = 'gradcheck';
  const o = checkOptions(call, options, ['eps', 'atol', 'rtol', 'maxPerParameter']) as GradcheckOptions;
  const eps = checkNumber(call, 'eps', o.eps ?? 1e-6, 0, Infinity, { min: true });
  const atol = checkNumber(call, 'atol', o.atol ?? 1e-5, 0);
  const rtol = checkNumber(call, 'rtol', o.rtol ?? 1e-3, 0);
  const maxPer = checkInt(call, 'maxPerParameter', o.maxPerParameter ?? 256, 1);
  const lossFn = typeof loss === 'string' ? LOSSES[loss] : loss;
  if (!lossFn) throw optionError(call, 'loss', `one of ${LOSS_NAMES.join(', ')}`, loss);
  checkF32(call, 'x', x);
  const m = batchOf(call, 'x', x, model.inFeatures), n = model.outFeatures;
  const target = lossFn.checkTarget(call, y, m, n);

  // Analytic gradients through the backend's kernels.
  const backend = model.backend;
  model.prepare(m);
  const out = model.forwardBuf(model.inputBuffer(x, m), m);
  const grad = backend.alloc(m * n), rows = backend.alloc(m);
  const t = target instanceof Int32Array ? backend.allocI32(target.length) : backend.alloc(target.length);
  t.data.set(target as never);
  lossFn.run(backend, m, n, out, t, rows, grad);
  model.backwardBuf(grad, m, false);
  for (const b of [grad, rows, t]) backend.free(b);

  // Numeric gradients in float64.
  const values = new Map<Parameter, Float64Array>(model.parameters().map((p) => [p, Float64Array.from(p.data)]));
  const x64 = Float64Array.from(x);
  const f = () => lossFn.value64(model.forward64(x64, m, (p) => values.get(p)!), target, m, n);
  const rng = new Rng(12345);
  const result: GradcheckResult = { ok: true, checked: 0, maxAbsError: 0, maxRelError: 0, worst: null };
  let worstRatio = -1;
  for (const [name, p] of model.namedParameters()) {
    const v = values.get(p)!, analytic = p.grad;
    const indices = v.length <= maxPer ? [...v.keys()] : Array.from({ length: maxPer }, () => rng.int(v.length));
    for (const i of indices) {
      const saved = v[i];
      v[i] = saved + eps;
      const up = f();
      v[i] = saved - eps;
      const down = f();
      v[i] = saved;
      const numeric = (up - down) / (2 * eps);
      const abs = Math.abs(analytic[i] - numeric);
      const ratio = abs / (atol + rtol * Math.abs(numeric));
      result.checked++;
      result.maxAbsError = Math.max(result.maxAbsError, abs);
      result.maxRelError = Math.max(result.maxRelError, abs / Math.max(Math.abs(numeric), 1e-12));
      if (ratio > worstRatio) {
        worstRatio = ratio;
        result.worst = { parameter: name, index: i, analytic: analytic[i], numeric };
      }
      if (ratio > 1) result.ok = false;
    }
  }
  return result;
}
