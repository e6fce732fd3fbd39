/**
 * The 2-D test functions of the lab with analytic gradients, default starts, learning rates and plot windows.
 * Pure arithmetic (no backend), so the lab page draws them on its main thread; `trajectory` in landscapes.ts
 * steps the optimizers over them.
 */

/** The 2-D test surfaces of `descent lab optimizers`. */
export const SURFACE_NAMES = ['saddle', 'monkey', 'rosenbrock', 'beale', 'himmelblau', 'ravine', 'rastrigin'] as const;
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
  /** How many even contour levels to draw (default 16; fewer for surfaces with many small bumps). */
  levelCount?: number;
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
  rastrigin: {
    name: 'rastrigin',
    title: 'Rastrigin  20 + Σ (v² − 10 cos 2πv)',
    // A bowl covered in local minima near every integer point: where a run ends depends on where it starts.
    f: (x, y) => 20 + x * x - 10 * Math.cos(2 * Math.PI * x) + y * y - 10 * Math.cos(2 * Math.PI * y),
    grad: (x, y) => [2 * x + 20 * Math.PI * Math.sin(2 * Math.PI * x), 2 * y + 20 * Math.PI * Math.sin(2 * Math.PI * y)],
    domain: { x: [-5.12, 5.12], y: [-5.12, 5.12] },
    points: [{ x: 0, y: 0, label: 'global minimum (0, 0)' }],
    start: [3.3, 2.4],
    steps: 200,
    lr: lrs(2e-3, 0.05, 0.5),
    levels: 'linear',
    // Each level circles every bump: 8 keep the picture readable (and its file small).
    levelCount: 8,
  },
};
