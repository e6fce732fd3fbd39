/** The Trainer on every backend: a real training run, fit's options, determinism, and the digits main job. */
import { describe, expect, it } from 'vitest';
import { Adam, Linear, manualSeed, ReduceLROnPlateau, ReLU, Rng, Sequential, setBackend, SGD, StepLR, Tanh, Trainer } from '../src/index.js';
import { loadDigits, splitRows } from '../src/data/digits.js';
import { BACKENDS, randn, rng } from './helpers.js';

/** Three Gaussian blobs in 2-D. */
function blobs(n: number, seed: number) {
  const r = rng(seed);
  const centres = [[-2, 0], [2, 0], [0, 2.5]];
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x[2 * i] = centres[c][0] + 0.6 * r.normal();
    x[2 * i + 1] = centres[c][1] + 0.6 * r.normal();
  }
  return { x, y };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('Trainer on %s', (name, backend) => {
  it('learns three blobs with fit, validation and callbacks', async () => {
    setBackend(backend);
    manualSeed(1);
    const model = new Sequential([new Linear(2, 16), new ReLU(), new Linear(16, 3)]);
    const optimizer = new Adam(model.parameters(), { lr: 0.02 });
    const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler: new StepLR(optimizer, { stepSize: 5, gamma: 0.5 }) });
    const data = blobs(600, 2);
    const epochs: number[] = [];
    let batchCalls = 0;
    const history = await trainer.fit(data, {
      epochs: 12, batchSize: 32, seed: 3, validationSplit: 0.2, progress: false,
      callbacks: { onEpochEnd: (e) => void epochs.push(e), onBatchEnd: () => void batchCalls++ },
    });
    expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(batchCalls).toBe(12 * Math.ceil(480 / 32));
    expect(history.loss[11]).toBeLessThan(history.loss[0] / 3);
    expect(history.valAccuracy[11]).toBeGreaterThan(0.95);
    // StepLR steps after each epoch: epochs 1–5 train at 0.02, 6–10 at 0.01, 11–12 at 0.005.
    expect(history.lr).toEqual([...Array(5).fill(0.02), ...Array(5).fill(0.01), 0.005, 0.005]);
    const test = blobs(300, 99);
    expect(trainer.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.95);
    expect(trainer.predict(test.x).length).toBe(900);
  });

  it('is deterministic for a seed and differs for another', async () => {
    setBackend(backend);
    const run = async (seed: number) => {
      manualSeed(5);
      const model = new Sequential([new Linear(2, 8), new Tanh(), new Linear(8, 3)]);
      const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), loss: 'crossEntropy' });
      return (await trainer.fit(blobs(200, 4), { epochs: 3, batchSize: 16, seed, progress: false })).loss;
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('stops early and restores the best weights; ReduceLROnPlateau reacts to a stalled metric', async () => {
    setBackend(backend);
    manualSeed(6);
    const model = new Sequential([new Linear(2, 8), new ReLU(), new Linear(8, 3)]);
    const optimizer = new Adam(model.parameters(), { lr: 0.05 });
    const scheduler = new ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.5 });
    const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler });
    // Validation labels unrelated to the inputs: the better the fit, the worse the validation loss.
    const val = blobs(90, 8);
    const valY = new Rng(3).shuffle(val.y.slice());
    const history = await trainer.fit(blobs(300, 7), { epochs: 40, batchSize: 30, seed: 1, validationData: { x: val.x, y: valY }, progress: false, earlyStopping: { patience: 2, restoreBestWeights: true } });
    expect(history.stoppedEarly).toBe(true);
    expect(history.epoch.length).toBeLessThan(40);
    const best = Math.min(...history.valLoss);
    expect(history.valLoss[history.bestEpoch! - 1]).toBe(best);
    expect(trainer.evaluate(val.x, valY).loss).toBeCloseTo(best, 5);
    expect(optimizer.lr).toBeLessThan(0.05);
  });

  it('trains regression with mse and multi-label with bceWithLogits', async () => {
    setBackend(backend);
    manualSeed(8);
    const r = rng(3);
    const x = randn(r, 256 * 3);
    const y = new Float32Array(256 * 2).map((_, i) => (i % 2 ? x[(i >> 1) * 3] - x[(i >> 1) * 3 + 1] : 0.5 * x[(i >> 1) * 3 + 2]));
    const model = new Sequential([new Linear(3, 16), new Tanh(), new Linear(16, 2)]);
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'mse' });
    const h = await trainer.fit({ x, y }, { epochs: 30, batchSize: 32, seed: 1, progress: false });
    expect(h.loss[29]).toBeLessThan(0.02);
    expect('accuracy' in trainer.evaluate(x, y)).toBe(false);

    const labels = new Float32Array(256 * 2).map((_, i) => (x[(i >> 1) * 3 + (i % 2)] > 0 ? 1 : 0));
    const clf = new Sequential([new Linear(3, 16), new ReLU(), new Linear(16, 2)]);
    const t2 = new Trainer(clf, { optimizer: new Adam(clf.parameters(), { lr: 0.02 }), loss: 'bceWithLogits' });
    await t2.fit({ x, y: labels }, { epochs: 20, batchSize: 32, seed: 1, progress: false });
    expect(t2.evaluate(x, labels).accuracy).toBeGreaterThan(0.95);
  });

  it('can be aborted between batches and resumed from a given epoch', async () => {
    setBackend(backend);
    manualSeed(9);
    const model = new Sequential([new Linear(2, 4), new ReLU(), new Linear(4, 3)]);
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
    const controller = new AbortController();
    let batches = 0;
    const h = await trainer.fit(blobs(90, 1), { epochs: 5, batchSize: 10, progress: false, signal: controller.signal, callbacks: { onBatchEnd: () => void (++batches === 4 && controller.abort()) } });
    expect(h.aborted).toBe(true);
    expect(batches).toBe(4);
    expect(h.epoch).toEqual([]);
    const resumed = await trainer.fit(blobs(90, 1), { epochs: 5, initialEpoch: 3, batchSize: 10, progress: false, rng: new Rng(1) });
    expect(resumed.epoch).toEqual([4, 5]);
  });

  it('resumes inside an epoch bit-identically (initialBatch, partialEpoch, the generator from before the shuffle)', async () => {
    setBackend(backend);
    const data = blobs(150, 11);
    const make = () => {
      manualSeed(12);
      const model = new Sequential([new Linear(2, 8), new Tanh(), new Linear(8, 3)]);
      const optimizer = new Adam(model.parameters(), { lr: 0.03 });
      return { model, trainer: new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler: new StepLR(optimizer, { stepSize: 1, gamma: 0.8 }) }) };
    };
    const options = { epochs: 3, batchSize: 16, validationSplit: 0.2, progress: false } as const;
    const straight = make();
    const full = await straight.trainer.fit(data, { ...options, rng: new Rng(4) });

    // Cut inside epoch 2, and right after its last batch (8 batches of 16 rows: only the epoch's end remains).
    for (const cutAfter of [2, 7]) {
      const cut = make(), rng = new Rng(4), controller = new AbortController();
      let epochStart = rng.getState();
      const first = await cut.trainer.fit(data, {
        ...options, rng, signal: controller.signal,
        callbacks: {
          onEpochEnd: () => void (epochStart = rng.getState()),
          onBatchEnd: (batch, logs) => void (logs.epoch === 2 && batch === cutAfter && controller.abort()),
        },
      });
      expect(first.aborted).toBe(true);
      expect(first.stoppedAt).toMatchObject({ epoch: 2, batch: cutAfter + 1, rows: Math.min(120, 16 * (cutAfter + 1)) });
      rng.setState(epochStart);
      const stop = first.stoppedAt!;
      const rest = await cut.trainer.fit(data, { ...options, rng, initialEpoch: stop.epoch - 1, initialBatch: stop.batch, partialEpoch: stop });
      expect(rest.epoch).toEqual([2, 3]);
      expect(rest.loss).toEqual(full.loss.slice(1));
      expect(rest.accuracy).toEqual(full.accuracy.slice(1));
      expect(rest.valLoss).toEqual(full.valLoss.slice(1));
      expect(rest.lr).toEqual(full.lr.slice(1));
      const a = straight.model.stateDict(), b = cut.model.stateDict();
      for (const k of Object.keys(a)) expect(Array.from(b[k].data), `${k}, cut after batch ${cutAfter}`).toEqual(Array.from(a[k].data));
    }
    const other = make();
    await expect(other.trainer.fit(data, { ...options, initialBatch: 9 })).rejects.toThrow(/initialBatch.*\[0, 8\]/);
    await expect(other.trainer.fit(data, { ...options, partialEpoch: { lossSum: 1, correct: 1, rows: 16 } })).rejects.toThrow(/partialEpoch.*initialBatch > 0/);
  });

  it(`reaches ≥ 95 % on the held-out 8×8 digits (the main job's recipe, shortened) on ${name}`, async () => {
    setBackend(backend);
    manualSeed(0);
    const { train, test } = splitRows(loadDigits(), 0.2, (a) => new Rng(42).shuffle(a));
    const model = new Sequential([new Linear(64, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10)]);
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 2e-3 }), loss: 'crossEntropy' });
    await trainer.fit({ x: train.x, y: train.y }, { epochs: 12, batchSize: 32, seed: 1, progress: false });
    expect(trainer.evaluate(test.x, test.y).accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
