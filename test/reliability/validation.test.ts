/**
 * Issue 12, defects 2, 4, 5, 6 and 8 (API part): values the library used to accept or mishandle are rejected with a
 * coded error, the same on every backend, and a rejected call changes nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  Adam, Linear, LinearLR, manualSeed, ReduceLROnPlateau, ReLU, RMSprop, Sequential, setBackend, SGD, Trainer, Adagrad,
} from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';
import { expectCode, weightBytes } from './helpers.js';

const mlp = () => new Sequential([new Linear(3, 5), new ReLU(), new Linear(5, 2)]);

describe.each(BACKENDS.map((b) => [b.name, b] as const))('checked values on %s', (_name, backend) => {
  it('Trainer.predict validates batchSize like evaluate (no hang, no string concatenation)', () => {
    setBackend(backend);
    manualSeed(1);
    const model = mlp();
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
    const x = randn(rng(1), 3 * 3);
    trainer.step(x, Int32Array.of(0, 1, 1));
    const reference = trainer.predict(x);
    for (const bad of [0, null, '2', NaN, 1.5, -1, Infinity]) {
      expectCode(() => trainer.predict(x, { batchSize: bad as number }), 'ERR_OPTION', 'Trainer.predict');
      expectCode(() => trainer.evaluate(x, Int32Array.of(0, 1, 1), { batchSize: bad as number }), 'ERR_OPTION', 'Trainer.evaluate');
    }
    expect(trainer.predict(x, { batchSize: 2 })).toEqual(reference);
    model.dispose();
  });

  it('Optimizer.loadStateDict checks hyperparameter values like the constructors, and state tensors', () => {
    setBackend(backend);
    const model = mlp();
    const x = randn(rng(2), 6), y = Int32Array.of(1, 0);
    const cases: [() => { loadStateDict(sd: never): void; stateDict(): object }, Record<string, unknown>][] = [
      [() => new Adam(model.parameters()), { lr: NaN }],
      [() => new Adam(model.parameters()), { lr: -1 }],
      [() => new Adam(model.parameters()), { betas: 'x' }],
      [() => new Adam(model.parameters()), { betas: [2, 2] }],
      [() => new Adam(model.parameters()), { eps: -1 }],
      [() => new Adam(model.parameters()), { amsgrad: 'yes' }],
      [() => new SGD(model.parameters()), { momentum: -0.5 }],
      [() => new SGD(model.parameters()), { nesterov: true }],
      [() => new RMSprop(model.parameters()), { centered: 1 }],
      [() => new Adagrad(model.parameters()), { lrDecay: Infinity }],
    ];
    for (const [make, patch] of cases) {
      const optimizer = make();
      new Trainer(model, { optimizer: optimizer as never, loss: 'crossEntropy' }).step(x, y);
      const good = optimizer.stateDict() as { paramGroups: Record<string, unknown>[] };
      const before = JSON.stringify(good.paramGroups);
      const bad = { ...good, paramGroups: [{ ...good.paramGroups[0], ...patch }] };
      expectCode(() => optimizer.loadStateDict(bad as never), 'ERR_STATE', /invalid hyperparameters/);
      expect(JSON.stringify((optimizer.stateDict() as typeof good).paramGroups)).toBe(before);
    }
    const adam = new Adam(model.parameters());
    new Trainer(model, { optimizer: adam, loss: 'crossEntropy' }).step(x, y);
    const sd = adam.stateDict();
    const negative = structuredClone(sd);
    (negative.state[0].exp_avg_sq as Float32Array)[0] = -1;
    expectCode(() => adam.loadStateDict(negative), 'ERR_STATE', /exp_avg_sq/);
    const nan = structuredClone(sd);
    (nan.state[1].exp_avg as Float32Array)[0] = NaN;
    expectCode(() => adam.loadStateDict(nan), 'ERR_STATE', /exp_avg/);
    model.dispose();
  });

  it('Sequential.loadStateDict rejects null entries and non-finite weights, leaving the model untouched', () => {
    setBackend(backend);
    const model = mlp();
    const before = weightBytes(model);
    const sd = model.stateDict();
    expectCode(() => model.loadStateDict({ ...sd, '0.bias': null as never }), 'ERR_STATE', '0.bias');
    for (const bad of [NaN, Infinity, -Infinity]) {
      const poisoned = model.stateDict();
      poisoned['2.weight'].data[3] = bad;
      expectCode(() => model.loadStateDict(poisoned), 'ERR_STATE', /2\.weight holds/);
    }
    expectCode(() => model.loadStateDict(sd, { strict: 'no' as never }), 'ERR_OPTION');
    expect(weightBytes(model)).toBe(before);
    model.dispose();
  });

  it('unchecked options are checked: fit callbacks, progress, signal, restoreBestWeights; plateau optimizer; Linear rng', async () => {
    setBackend(backend);
    const model = mlp();
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
    const data = { x: randn(rng(3), 12), y: Int32Array.of(0, 1, 0, 1) };
    const before = weightBytes(model);
    const bad: Record<string, unknown>[] = [
      { callbacks: { onEpochEnd: 3 } },
      { callbacks: { onBatchEnd: 'x' } },
      { callbacks: 5 },
      { progress: 'yes' },
      { signal: {} },
      { signal: null },
      { earlyStopping: { patience: 1, restoreBestWeights: 'yes' } },
      { stopOnNonFinite: 0 },
    ];
    for (const options of bad) {
      let error: (Error & { code?: string }) | null = null;
      await trainer.fit(data, { epochs: 1, progress: false, ...options }).catch((e: Error) => (error = e));
      expect(error, JSON.stringify(options)).not.toBeNull();
      expect(error!.code, error!.message).toBe('ERR_OPTION');
    }
    expect(weightBytes(model)).toBe(before);
    expectCode(() => new ReduceLROnPlateau({} as never), 'ERR_OPTION', 'optimizer');
    expectCode(() => new Linear(2, 2, { rng: Math.random as never }), 'ERR_OPTION', 'rng');
    const mseTrainer = new Trainer(model, { optimizer: new SGD(model.parameters()), loss: 'mse' });
    expectCode(() => mseTrainer.step(data.x, Float32Array.of(0, NaN, 0, 0, 0, 0, 0, 0)), 'ERR_SHAPE', /y\[1\]/);
    expectCode(() => mseTrainer.step(data.x, Float32Array.of(0, 0, 0, 0, 0, 0, Infinity, 0)), 'ERR_SHAPE', /y\[6\]/);
    expect(weightBytes(model)).toBe(before);
    model.dispose();
  });
});

describe('schedulers', () => {
  it('LinearLR with endFactor 0 reaches exactly 0 at its last step (PyTorch accepts it)', () => {
    const model = mlp();
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    // The defaults (startFactor 1/3, 5 steps) round the last factor to −1.5e-18 in PyTorch's recursive form.
    const scheduler = new LinearLR(optimizer, { endFactor: 0 });
    const rates: number[] = [];
    for (let i = 0; i < 7; i++) {
      scheduler.step();
      rates.push(optimizer.lr);
    }
    expect(rates[4]).toBe(0);
    expect(Math.min(...rates)).toBe(0);
    expect(rates[0]).toBeGreaterThan(rates[1]);
    model.dispose();
  });
});
