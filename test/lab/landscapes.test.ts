/**
 * Optimizer landscapes: analytic gradients against central differences, and the lecture's claims about how
 * optimizers move, each run through the real optimizer classes (the kernels that train) on a 2-element Parameter.
 */
import { describe, expect, it } from 'vitest';
import { effectiveLearningRates, firstStep, loadBackend, SGD, stepSizes, SURFACE_NAMES, SURFACES, trajectory, type Surface, type Trajectory } from '../../src/index.js';

await loadBackend();

/** First step at which the path has clearly left the saddle: f < −0.5 (|y| ≳ 0.7 once x has settled). */
const escape = (t: Trajectory) => firstStep(t, (_x, _y, f) => f < -0.5);
const signChanges = (v: number[]) => v.slice(1).filter((x, i) => Math.sign(x) !== Math.sign(v[i]) && x !== 0 && v[i] !== 0).length;

describe('surfaces', () => {
  it.each(SURFACE_NAMES)('%s: the analytic gradient matches central differences', (name) => {
    const s = SURFACES[name], h = 1e-6;
    for (const [x, y] of [s.start, [0.3, -0.7], [-1.1, 0.4], [1.7, 1.3]] as [number, number][]) {
      const [gx, gy] = s.grad(x, y);
      const nx = (s.f(x + h, y) - s.f(x - h, y)) / (2 * h), ny = (s.f(x, y + h) - s.f(x, y - h)) / (2 * h);
      expect(Math.abs(gx - nx)).toBeLessThan(1e-5 * (1 + Math.abs(nx)));
      expect(Math.abs(gy - ny)).toBeLessThan(1e-5 * (1 + Math.abs(ny)));
    }
  });

  it.each(SURFACE_NAMES)('%s: the marked points are stationary', (name) => {
    for (const p of SURFACES[name].points) {
      const [gx, gy] = SURFACES[name].grad(p.x, p.y);
      expect(Math.hypot(gx, gy)).toBeLessThan(1e-4);
    }
  });
});

describe('trajectory', () => {
  it('takes exactly the steps of the optimizer class it names', () => {
    const t = trajectory('rosenbrock', 'sgd', { start: [-1, 1], steps: 3, lr: 1e-3 });
    expect(t.points).toHaveLength(4);
    let [x, y] = [-1, 1];
    for (let i = 0; i < 3; i++) {
      const [gx, gy] = SURFACES.rosenbrock.grad(Math.fround(x), Math.fround(y));
      [x, y] = [Math.fround(Math.fround(x) - Math.fround(1e-3 * gx)), Math.fround(Math.fround(y) - Math.fround(1e-3 * gy))];
      expect(t.points[i + 1][0]).toBeCloseTo(x, 5);
      expect(t.points[i + 1][1]).toBeCloseTo(y, 5);
    }
    const viaFactory = trajectory('rosenbrock', (p) => new SGD(p, { lr: 1e-3 }), { start: [-1, 1], steps: 3 });
    expect(viaFactory.points).toEqual(t.points);
    expect(viaFactory.optimizer).toBe('SGD');
  });

  it('near the saddle point, SGD stays stuck far longer than Momentum, and RMSprop and Adam escape fastest', () => {
    const steps = 400;
    const sgd = escape(trajectory('saddle', 'sgd', { steps }));
    const momentum = escape(trajectory('saddle', 'momentum', { steps }));
    const rmsprop = escape(trajectory('saddle', 'rmsprop', { steps }));
    const adam = escape(trajectory('saddle', 'adam', { steps }));
    expect(momentum).toBeGreaterThan(0);
    expect(sgd).toBeGreaterThan(3 * momentum); // same learning rate: the difference is the momentum
    expect(rmsprop).toBeGreaterThan(0);
    expect(adam).toBeGreaterThan(0);
    expect(rmsprop).toBeLessThan(momentum);
    expect(adam).toBeLessThan(momentum);
    // Within the picture's 100 steps SGD has not left the saddle at all.
    expect(sgd).toBeGreaterThan(SURFACES.saddle.steps);
  });

  it("AdaGrad's effective step only shrinks, RMSprop's does not", () => {
    // A constant gradient isolates the accumulators: AdaGrad's step is lr/√t, RMSprop's settles at lr.
    const plane: Surface = { ...SURFACES.saddle, f: (x, y) => x + y, grad: () => [1, 1], points: [] };
    const adagrad = stepSizes(trajectory(plane, 'adagrad', { start: [0, 0], steps: 200, lr: 0.1 }));
    const rmsprop = stepSizes(trajectory(plane, 'rmsprop', { start: [0, 0], steps: 200, lr: 0.1 }));
    for (let t = 1; t < adagrad.length; t++) expect(adagrad[t]).toBeLessThanOrEqual(adagrad[t - 1] * (1 + 1e-6));
    expect(adagrad[199] / adagrad[0]).toBeCloseTo(1 / Math.sqrt(200), 2);
    expect(rmsprop[199]).toBeGreaterThan(0.95 * 0.1 * Math.SQRT2);
    expect(rmsprop[199]).toBeGreaterThan(10 * adagrad[199]);
    // On a real surface the effective learning rate lr/(√accumulator + ε) behaves the same way.
    const ea = effectiveLearningRates(trajectory('ravine', 'adagrad')).map((r) => r[0]);
    const er = effectiveLearningRates(trajectory('ravine', 'rmsprop')).map((r) => r[0]);
    for (let t = 1; t < 60; t++) expect(ea[t]).toBeLessThanOrEqual(ea[t - 1] * (1 + 1e-4));
    expect(ea[59]).toBeLessThan(0.7 * ea[0]);
    expect(er[59]).toBeGreaterThan(er[5]); // RMSprop forgets old gradients: its rate recovers
  });

  it('in the ravine, SGD zig-zags across the steep direction while Momentum overshoots and oscillates along it', () => {
    const sgd = trajectory('ravine', 'sgd');
    const momentum = trajectory('ravine', 'momentum');
    expect(sgd.lr).toBe(momentum.lr);
    const sx = sgd.points.map((p) => p[0]), sy = sgd.points.map((p) => p[1]);
    const mx = momentum.points.map((p) => p[0]);
    // SGD: the steep coordinate flips sign every step (zig-zag), the shallow one creeps in without crossing 0.
    expect(signChanges(sy.slice(0, 40))).toBe(39);
    expect(signChanges(sx)).toBe(0);
    expect(Math.max(...sx)).toBeLessThanOrEqual(0);
    // Momentum: carried past the minimum along the shallow direction (from x = −9 to well beyond 0), repeatedly.
    expect(Math.max(...mx)).toBeGreaterThan(3);
    expect(signChanges(mx)).toBeGreaterThanOrEqual(4);
    expect(momentum.diverged).toBe(false);
  });

  it('every optimizer reaches a minimum of Himmelblau and Beale from the default start', () => {
    for (const name of ['himmelblau', 'beale'] as const) {
      for (const o of ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const) {
        const t = trajectory(name, o);
        expect(t.diverged).toBe(false);
        expect(t.losses.at(-1)!).toBeLessThan(name === 'beale' && o === 'sgd' ? 0.5 : 0.01);
      }
    }
  });

  it('stops on divergence and checks its arguments', () => {
    const t = trajectory('ravine', 'sgd', { lr: 5, steps: 1000 });
    expect(t.diverged).toBe(true);
    expect(t.points.length).toBeLessThan(1001);
    expect(() => trajectory('sadle' as never, 'sgd')).toThrow(/did you mean 'saddle'/);
    expect(() => trajectory('saddle', 'adamm' as never)).toThrow(/did you mean 'adam'/);
    expect(() => trajectory('saddle', 'sgd', { start: [1] as never })).toThrow(/start/);
    expect(() => trajectory('saddle', 'sgd', { stpes: 3 } as never)).toThrow(/did you mean 'steps'/);
  });
});
