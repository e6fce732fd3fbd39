/**
 * Two-dimensional test functions with analytic gradients, and `trajectory`, which drives a 2-element Parameter
 * through the real optimizer classes: the same fused kernels that train a network take every step here. Losses
 * and gradients are evaluated in float64 at the parameter's float32 values.
 */
import { getBackend } from '../backends/registry.js';
import { checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { Parameter } from '../nn/parameter.js';
import { Adagrad, Adam, AdamW, RMSprop } from '../optim/adaptive.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Momentum, Nesterov, SGD } from '../optim/sgd.js';

/** The 2-D test surfaces of `descent lab optimizers`. */
export const SURFACE_NAMES = ['saddle', 'monkey', 'rosenbrock', 'beale', 'himmelblau', 'ravine'] as const;
/** A surface by name. */
export type SurfaceName = (typeof SURFACE_NAMES)[number];

/** The optimizers the landscape experiments compare. */
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const;
/** An optimizer by name, for the landscape experiments. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** A 2-D loss surface with its gradient, default start, learning rates and plot window. */
export interface Surface {
  name: SurfaceName;
  /** For people: `saddle  x² − y²`. */
  title: string;
  /** The loss at `(x, y)`. */
  f(x: number, y: number): number;
  /** The gradient at `(x, y)`. */
  grad(x: number, y: number): [number, number];
  /** The plotted window. */
  domain: { x: [number, number]; y: [number, number] };
  /** Marked points: minima (and the saddle point of the saddles). */
  points: { x: number; y: number; label: string }[];
  /** Where trajectories start unless told otherwise, and how many steps they take. */
  start: [number, number];
  steps: number;
  /** The learning rate each optimizer uses here unless told otherwise (hand-tuned to show its character). */
  lr: Record<OptimizerName, number>;
  /** Contour spacing: geometric for surfaces with a minimum of 0 and steep walls, else even. */
  levels: 'log' | 'linear';
}

/** Learning rates: SGD and (Nesterov) momentum share one, so the difference is the momentum alone. */
const lrs = (sgd: number, adaptive: number, adagrad = adaptive, nesterov = sgd): Record<OptimizerName, number> => ({
  sgd, momentum: sgd, nesterov, adagrad, rmsprop: adaptive, adam: adaptive, adamw: adaptive,
});

/** The test functions, by name. @example SURFACES.rosenbrock.f(1, 1) // 0 */
export const SURFACES: Record<SurfaceName, Surface> = {
  saddle: {
    name: 'saddle',
    title: 'saddle  x² − y²',
    f: (x, y) => x * x - y * y,
    grad: (x, y) => [2 * x, -2 * y],
    domain: { x: [-1.5, 1.5], y: [-1.5, 1.5] },
    points: [{ x: 0, y: 0, label: 'saddle' }],
    start: [1.2, 1e-3],
    steps: 100,
    lr: lrs(0.02, 0.05, 0.2),
    levels: 'linear',
  },
  monkey: {
    name: 'monkey',
    title: 'monkey saddle  x³ − 3xy²',
    f: (x, y) => x * x * x - 3 * x * y * y,
    grad: (x, y) => [3 * x * x - 3 * y * y, -6 * x * y],
    domain: { x: [-1.5, 1.5], y: [-1.5, 1.5] },
    points: [{ x: 0, y: 0, label: 'saddle' }],
    start: [1.2, 0.05],
    steps: 100,
    lr: lrs(0.02, 0.02, 0.1),
    levels: 'linear',
  },
  rosenbrock: {
    name: 'rosenbrock',
    title: 'Rosenbrock  (1 − x)² + 100(y − x²)²',
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
    domain: { x: [-2, 2], y: [-1, 3] },
    points: [{ x: 1, y: 1, label: 'minimum (1, 1)' }],
    start: [-1.5, 2.5],
    steps: 1000,
    lr: lrs(1e-3, 0.05, 0.5),
    levels: 'log',
  },
  beale: {
    name: 'beale',
    title: 'Beale',
    f: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    grad: (x, y) => {
      const a = 1.5 - x + x * y, b = 2.25 - x + x * y * y, c = 2.625 - x + x * y ** 3;
      return [2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1), 2 * a * x + 4 * b * x * y + 6 * c * x * y * y];
    },
    domain: { x: [-4.5, 4.5], y: [-4.5, 4.5] },
    points: [{ x: 3, y: 0.5, label: 'minimum (3, 0.5)' }],
    start: [1, 1.5],
    steps: 500,
    lr: lrs(1e-3, 0.05, 0.5),
    levels: 'log',
  },
  himmelblau: {
    name: 'himmelblau',
    title: 'Himmelblau  (x² + y − 11)² + (x + y² − 7)²',
    f: (x, y) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    grad: (x, y) => {
      const a = x * x + y - 11, b = x + y * y - 7;
      return [4 * a * x + 2 * b, 2 * a + 4 * b * y];
    },
    domain: { x: [-5, 5], y: [-5, 5] },
    points: [
      { x: 3, y: 2, label: '(3, 2)' },
      { x: -2.805118, y: 3.131312, label: '(−2.81, 3.13)' },
      { x: -3.77931, y: -3.283186, label: '(−3.78, −3.28)' },
      { x: 3.584428, y: -1.848126, label: '(3.58, −1.85)' },
    ],
    start: [-0.3, -0.9],
    steps: 300,
    lr: lrs(2e-3, 0.05, 0.5),
    levels: 'log',
  },
  ravine: {
    name: 'ravine',
    title: 'ravine  0.1x² + 2y²',
    f: (x, y) => 0.1 * x * x + 2 * y * y,
    grad: (x, y) => [0.2 * x, 4 * y],
    domain: { x: [-10, 10], y: [-4, 4] },
    points: [{ x: 0, y: 0, label: 'minimum' }],
    start: [-9, 2],
    steps: 100,
    lr: lrs(0.4, 0.3, 2, 0.2),
    levels: 'linear',
  },
};

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
  const o = checkOptions(call, options, ['start', 'steps', 'lr', 'options']) as TrajectoryOptions;
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
