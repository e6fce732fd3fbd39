/**
 * Two-dimensional test functions with analytic gradients, and `trajectory`, which drives a 2-element Parameter
 * through the real optimizer classes: the same fused kernels that train a network take every step here. Losses
 * and gradients are evaluated in float64 at the parameter's float32 values.
 */
import { getBackend } from '../backends/registry.js';
import { checkBool, checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { Parameter } from '../nn/parameter.js';
import { Adagrad, Adam, AdamW, RMSprop } from '../optim/adaptive.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Momentum, Nesterov, SGD } from '../optim/sgd.js';
import { OPTIMIZER_NAMES, SURFACE_NAMES, SURFACES, type OptimizerName, type Surface, type SurfaceName } from './surfaces.js';

export { OPTIMIZER_NAMES, SURFACE_NAMES, SURFACES, type OptimizerName, type Surface, type SurfaceName };

/** An optimizer's path over a surface: the points and the loss at each step. */
export interface Trajectory {
  surface: SurfaceName;
  /** The optimizer's name (`sgd`, …) or its class name when a factory was given. */
  optimizer: string;
  lr: number;
  /** Positions: `points[0]` is the start, `points[t]` the position after step t. */
  points: [number, number][];
  /** `losses[t] = f(points[t])`. */
  losses: number[];
  /** `gradients[t]`: the gradient at `points[t]` that step t + 1 used. */
  gradients: [number, number][];
  /** True when the run stopped early on a NaN/Inf or a coordinate beyond 1e6. */
  diverged: boolean;
  /**
   * With `{ states: true }`: `states[t]` is the optimizer's state after step t + 1 under torch.optim's names
   * (`momentum_buffer`, `sum`, `square_avg`, `exp_avg`, `exp_avg_sq`), each the pair of values for (x, y), plus `step`.
   */
  states?: Record<string, number[] | number>[];
}

/** Options of `trajectory`: start, steps, learning rate. */
export interface TrajectoryOptions {
  /** Start point (default: the surface's). */
  start?: [number, number];
  /** Optimizer steps (default: the surface's). */
  steps?: number;
  /** Learning rate (default: the surface's for this optimizer; ignored for a factory). */
  lr?: number;
  /** Further optimizer options, e.g. `{ momentum: 0.5 }` or `{ betas: [0.9, 0.99] }` (ignored for a factory). */
  options?: Record<string, unknown>;
  /** Record the optimizer's state after every step in `states` (default false): what a step inspector shows. */
  states?: boolean;
}

/** Builds one of the library's optimizers by name. */
export function optimizerByName(name: OptimizerName, params: Parameter[], options: Record<string, unknown>): Optimizer {
  switch (name) {
    case 'sgd': return new SGD(params, options);
    case 'momentum': return new Momentum(params, options);
    case 'nesterov': return new Nesterov(params, options);
    case 'adagrad': return new Adagrad(params, options);
    case 'rmsprop': return new RMSprop(params, options);
    case 'adam': return new Adam(params, options as never);
    case 'adamw': return new AdamW(params, { weightDecay: 0, ...options } as never);
  }
}

/**
 * Runs an optimizer over a surface from `start` and returns the path, the losses and the gradients. `optimizer`
 * is a name (`'sgd'`, `'momentum'`, `'nesterov'`, `'adagrad'`, `'rmsprop'`, `'adam'`, `'adamw'`; AdamW without
 * weight decay) or a factory over the one parameter.
 * @example
 * const t = trajectory('saddle', 'adam', { start: [1, 1e-3], steps: 100 });
 * t.losses.at(-1);
 */
export function trajectory(
  surface: Surface | SurfaceName,
  optimizer: OptimizerName | ((params: Parameter[]) => Optimizer),
  options: TrajectoryOptions = {},
): Trajectory {
  const call = 'trajectory';
  const s = typeof surface === 'string' ? SURFACES[checkOneOf(call, 'surface', surface, SURFACE_NAMES)] : surface;
  if (!s || typeof s.grad !== 'function' || typeof s.f !== 'function') throw optionError(call, 'surface', `a surface or one of ${SURFACE_NAMES.join(', ')}`, surface);
  const o = checkOptions(call, options, ['start', 'steps', 'lr', 'options', 'states']) as TrajectoryOptions;
  const recordStates = checkBool(call, 'states', o.states ?? false);
  const start = o.start ?? s.start;
  if (!Array.isArray(start) || start.length !== 2 || !start.every(Number.isFinite)) throw optionError(call, 'start', 'a pair [x, y] of finite numbers', start);
  const steps = checkInt(call, 'steps', o.steps ?? s.steps, 0, 10_000_000);

  const p = new Parameter('xy', [2], getBackend());
  p.data.set(start);
  let opt: Optimizer, name: string, lr: number;
  if (typeof optimizer === 'function') {
    opt = optimizer([p]);
    name = opt.type;
    lr = opt.lr;
  } else {
    name = checkOneOf(call, 'optimizer', optimizer, OPTIMIZER_NAMES);
    lr = checkNumber(call, 'lr', o.lr ?? s.lr[name as OptimizerName], 0);
    opt = optimizerByName(name as OptimizerName, [p], { ...(o.options ?? {}), lr });
  }
  const out: Trajectory = { surface: s.name, optimizer: name, lr, points: [], losses: [], gradients: [], diverged: false };
  if (recordStates) out.states = [];
  try {
    for (let t = 0; ; t++) {
      const w = p.data, x = w[0], y = w[1];
      const loss = s.f(x, y);
      out.points.push([x, y]);
      out.losses.push(loss);
      if (!Number.isFinite(loss) || Math.abs(x) > 1e6 || Math.abs(y) > 1e6) {
        out.diverged = true;
        break;
      }
      if (t === steps) break;
      const g = s.grad(x, y);
      out.gradients.push(g);
      p.grad[0] = g[0];
      p.grad[1] = g[1];
      opt.step();
      if (out.states) {
        const state = opt.stateDict().state[0] ?? {};
        out.states.push(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, typeof v === 'number' ? v : Array.from(v)])));
      }
    }
  } finally {
    opt.dispose();
    p.dispose();
  }
  return out;
}

/** Step lengths ‖points[t+1] − points[t]‖ of a trajectory. */
export function stepSizes(t: Trajectory): number[] {
  return t.points.slice(1).map(([x, y], i) => Math.hypot(x - t.points[i][0], y - t.points[i][1]));
}

/** The first step index where `predicate` holds for the position, or −1. */
export function firstStep(t: Trajectory, predicate: (x: number, y: number, loss: number) => boolean): number {
  return t.points.findIndex(([x, y], i) => predicate(x, y, t.losses[i]));
}

/**
 * Per step and coordinate, the learning rate the optimizer effectively applied: `−Δwᵢ / gᵢ` (NaN where gᵢ = 0).
 * For AdaGrad this is `lr/(√Σg² + ε)`, which can only shrink; for RMSprop `lr/(√E[g²] + ε)`, which forgets.
 */
export function effectiveLearningRates(t: Trajectory): [number, number][] {
  return t.gradients.slice(0, t.points.length - 1).map(([gx, gy], i) => {
    const [x0, y0] = t.points[i], [x1, y1] = t.points[i + 1];
    return [gx === 0 ? NaN : (x0 - x1) / gx, gy === 0 ? NaN : (y0 - y1) / gy];
  });
}
