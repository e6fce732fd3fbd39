/** Optimizer behaviour beyond the fixtures: state dicts that resume exactly, clipping, momentum changes. */
import { describe, expect, it } from 'vitest';
import {
  Adagrad, Adam, AdamW, clipGradNorm, clipGradValue, Linear, manualSeed, Momentum, Nesterov, OneCycleLR, ReLU, RMSprop, Sequential, setBackend, SGD, Trainer, type Optimizer, type Parameter,
} from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';

const MAKERS: [string, (p: Parameter[]) => Optimizer][] = [
  ['SGD', (p) => new SGD(p, { lr: 0.05 })],
  ['Momentum', (p) => new Momentum(p, { lr: 0.05, dampening: 0.1 })],
  ['Nesterov', (p) => new Nesterov(p, { lr: 0.05, weightDecay: 1e-3 })],
  ['Adagrad', (p) => new Adagrad(p, { lr: 0.05, lrDecay: 0.01 })],
  ['RMSprop', (p) => new RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true })],
  ['Adam', (p) => new Adam(p, { lr: 0.01, amsgrad: true })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01 })],
];

function batches(n: number) {
  const r = rng(77);
  return Array.from({ length: n }, () => ({ x: randn(r, 8 * 4), y: Int32Array.from({ length: 8 }, () => r.int(3)) }));
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('optimizers on %s', (_name, backend) => {
  for (const [name, make] of MAKERS)
    it(`${name}: saving and loading state mid-run continues exactly like an uninterrupted run`, () => {
      setBackend(backend);
      const data = batches(6);
      const build = () => {
        manualSeed(21);
        const model = new Sequential([new Linear(4, 6), new ReLU(), new Linear(6, 3)]);
        const optimizer = make(model.parameters());
        return { model, optimizer, trainer: new Trainer(model, { optimizer, loss: 'crossEntropy' }) };
      };
      const straight = build();
      const lossesStraight = data.map((b) => straight.trainer.step(b.x, b.y));

      const first = build();
      data.slice(0, 3).forEach((b) => first.trainer.step(b.x, b.y));
      const modelState = first.model.stateDict(), optState = first.optimizer.stateDict();
      expect(optState.state[0].step).toBe(3);
      const resumed = build();
      resumed.model.loadStateDict(modelState);
      resumed.optimizer.loadStateDict(optState);
      const lossesResumed = data.slice(3).map((b) => resumed.trainer.step(b.x, b.y));
      expect(lossesResumed).toEqual(lossesStraight.slice(3));
      expect(resumed.model.stateDict()).toEqual(straight.model.stateDict());
    });

  it('rejects a state dict from another optimizer type or size', () => {
    setBackend(backend);
    const model = new Sequential([new Linear(2, 2)]);
    const adam = new Adam(model.parameters());
    adam.step();
    expect(() => new SGD(model.parameters(), { lr: 0.1 }).loadStateDict(adam.stateDict())).toThrow(/unknown hyperparameter/);
    const small = new Adam([model.parameters()[0]]);
    expect(() => small.loadStateDict(adam.stateDict())).toThrow(/parameters/);
  });

  it('SGD momentum switched on later starts its buffer from the gradient (OneCycleLR does this)', () => {
    setBackend(backend);
    manualSeed(2);
    const model = new Sequential([new Linear(3, 2)]);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
    expect(opt.momentum).toBeCloseTo(0.95, 12);
    const p = model.parameters()[0];
    p.grad.fill(1);
    const before = p.data.slice();
    opt.step();
    // First momentum step: buf = g, so w -= lr·g exactly.
    p.data.forEach((v, i) => expect(v).toBeCloseTo(before[i] - opt.lr * 1, 6));
  });

  it('clips gradients by total norm and by value like torch.nn.utils', () => {
    setBackend(backend);
    const model = new Sequential([new Linear(2, 2)]);
    const [w, b] = model.parameters();
    w.grad.set([3, 0, 0, 0]);
    b.grad.set([0, 4]);
    expect(clipGradNorm(model.parameters(), 1)).toBeCloseTo(5, 6);
    expect(w.grad[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(b.grad[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    expect(clipGradNorm(model.parameters(), 10)).toBeCloseTo(1, 5);
    w.grad.set([-2, 0.1, 3, 0]);
    clipGradValue(model.parameters(), 0.5);
    expect(Array.from(w.grad)).toEqual([-0.5, Math.fround(0.1), 0.5, 0]);
    expect(clipGradNorm(model.parameters(), 1, Infinity)).toBeCloseTo(0.5, 6);
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('packed parameters on %s', (_name, backend) => {
  for (const [name, make] of MAKERS)
    it(`${name}: one kernel call per step over a model's arena, bit-identical to one call per parameter`, () => {
      const calls: Record<string, number> = {};
      const k = new Proxy(backend.k, {
        get: (target, key: string) => {
          const fn = target[key as keyof typeof target] as (...a: unknown[]) => void;
          return (...args: unknown[]) => {
            calls[key] = (calls[key] ?? 0) + 1;
            fn(...args);
          };
        },
      });
      setBackend({ ...backend, k });
      const data = batches(3);
      const run = (order: (p: Parameter[]) => Parameter[]) => {
        manualSeed(31);
        const model = new Sequential([new Linear(4, 6), new ReLU(), new Linear(6, 3)]);
        const optimizer = make(order(model.parameters()));
        const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy' });
        for (const key of Object.keys(calls)) delete calls[key];
        data.forEach((b) => trainer.step(b.x, b.y));
        const stepCalls = Object.entries(calls).filter(([key]) => key.endsWith('_step_f32')).reduce((s, [, c]) => s + c, 0);
        return { sd: model.stateDict(), state: optimizer.stateDict().state, stepCalls };
      };
      const packed = run((p) => p);
      const separate = run((p) => [...p].reverse());
      expect(packed.stepCalls).toBe(data.length);
      expect(separate.stepCalls).toBe(4 * data.length);
      expect(packed.sd).toEqual(separate.sd);
      const reversedState = Object.fromEntries(Object.entries(separate.state).map(([i, s]) => [3 - Number(i), { ...s }]));
      expect(packed.state).toEqual(reversedState);
      setBackend(backend);
    });
});
