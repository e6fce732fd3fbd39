/**
 * What the lab page's worker computes (src/lab/web/experiments.ts), in Node on every backend: the init experiment
 * against initProbe and against a whole network's backward pass, the optimizer race's recorded states, the
 * training session's determinism, and the data sets. test/browser/lab.test.ts drives the same code in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { Activation, initProbe, init as inits, Linear, Rng, Sequential, setBackend, trajectory } from '../../src/index.js';
import { makeDataset, DATASETS } from '../../src/lab/web/datasets.js';
import { initExperiment, race, TrainingSession, type TrainConfig } from '../../src/lab/web/experiments.js';
import { summarize } from '../../src/lab/stats.js';
import { BACKENDS } from '../helpers.js';

const CIRCLE: TrainConfig = { dataset: 'circle', points: 400, noise: 0, trainFraction: 0.5, hidden: [8, 8], activation: 'tanh', init: 'auto', optimizer: 'adam', lr: 0.03, batch: 10, seed: 1 };

describe.each(BACKENDS.map((b) => [b.name, b] as const))('lab page experiments on %s', (_, backend) => {
  it('init: the forward pass is initProbe\'s, value for value', () => {
    setBackend(backend);
    const r = initExperiment({ depth: 5, width: 96, batch: 8, activation: 'tanh', init: 'small05', seed: 3, params: {} });
    const probe = initProbe({ depth: 5, width: 96, batch: 8, activation: 'tanh', init: inits.smallRandom(0.05), seed: 3 });
    expect(r.activations.map((l) => l.std)).toEqual(probe.layers.map((l) => l.std));
    expect(r.activations.map((l) => l.histogram.counts)).toEqual(probe.layers.map((l) => l.histogram.counts));
  });

  it('init: gradients from redrawn weights equal those of the whole network held at once', () => {
    setBackend(backend);
    const o = { depth: 4, width: 48, batch: 6, activation: 'relu' as const, init: 'kaiming' as const, seed: 5, params: {} };
    const r = initExperiment(o);
    // The same draws in the same order: the inputs, then each layer's weights.
    const rng = new Rng(o.seed);
    const x = Float32Array.from({ length: o.batch * o.width }, () => rng.normal());
    const layers = Array.from({ length: o.depth }, () => [new Linear(o.width, o.width, { bias: false, init: inits.kaimingNormal({ nonlinearity: 'relu' }), rng }), new Activation('relu')]).flat();
    const model = new Sequential(layers);
    try {
      model.prepare(o.batch);
      let h = model.inputBuffer(x, o.batch);
      for (const layer of model.layers) h = layer.forwardBuf(h, o.batch);
      const upstream = new Rng(o.seed + 1);
      let g = backend.alloc(o.batch * o.width);
      for (let i = 0; i < o.batch * o.width; i++) g.data[i] = upstream.normal();
      const stds: number[] = [];
      for (let i = model.layers.length - 1; i >= 1; i -= 2) {
        stds.unshift(summarize(g.data, o.batch, o.width, { index: 0, type: 'gradient', activation: null }, 40).std);
        const next = model.layers[i - 1].backwardBuf(model.layers[i].backwardBuf(g, o.batch, false, true)!, o.batch, false, i > 1);
        if (next) g = next;
      }
      expect(r.gradients.map((l) => l.std)).toEqual(stds);
      // Kaiming keeps ReLU gradients at the same scale through the layers (within sampling noise).
      for (const l of r.gradients) expect(l.std).toBeGreaterThan(0.5);
    } finally {
      model.dispose();
    }
  });

  it('race: the real optimizers\' paths with their state after every step', () => {
    setBackend(backend);
    const runs = race({ surface: 'saddle', start: [0.05, 0.001], steps: 100, optimizers: ['sgd', 'adagrad', 'adam'], lrScale: 1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const [sgd, adagrad, adam] = runs;
    expect(sgd.points).toEqual(trajectory('saddle', 'sgd', { start: [0.05, 0.001], steps: 100 }).points);
    expect(Math.hypot(sgd.points[100][0] - 0.05, sgd.points[100][1] - 0.001)).toBeLessThan(0.1);
    expect(Math.hypot(adam.points.at(-1)![0] - 0.05, adam.points.at(-1)![1] - 0.001)).toBeGreaterThan(1);
    // AdaGrad's accumulated squares only grow: the inspector's denominator.
    const sums = adagrad.states!.map((s) => (s.sum as number[])[1]);
    expect(sums.length).toBe(adagrad.points.length - 1);
    for (let t = 1; t < sums.length; t++) expect(sums[t]).toBeGreaterThanOrEqual(sums[t - 1]);
    expect(Object.keys(adam.states![0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    expect(Object.keys(sgd.states![0])).toEqual(['step']); // no buffers: plain SGD keeps no state
  });

  it('training: a session is reproducible from its seed, and learns the circle', () => {
    setBackend(backend);
    const one = new TrainingSession(CIRCLE), two = new TrainingSession(CIRCLE), other = new TrainingSession({ ...CIRCLE, seed: 2 });
    try {
      one.run(300);
      two.run(150);
      two.run(150);
      other.run(300);
      const a = one.snapshot(), b = two.snapshot();
      expect(b.losses).toEqual(a.losses);
      expect(other.snapshot().losses).not.toEqual(a.losses);
      expect(a.step).toBe(300);
      expect(a.trainAccuracy).toBeGreaterThanOrEqual(0.95);
      expect(a.neurons.map((l) => l.length)).toEqual([8, 8]);
      expect(a.updates.every((u) => u.ratio > 0 && u.ratio < 1)).toBe(true);
    } finally {
      for (const s of [one, two, other]) s.dispose();
    }
  });
});

describe('lab page data sets', () => {
  it.each(DATASETS)('%s: balanced classes, points in the plotted square, the same points for the same seed', (name) => {
    const { x, y } = makeDataset(name, 200, 0.1, new Rng(4));
    expect(y.reduce((a, b) => a + b, 0)).toBeGreaterThan(name === 'xor' ? 60 : 99);
    expect(y.reduce((a, b) => a + b, 0)).toBeLessThan(name === 'xor' ? 140 : 101);
    if (name !== 'gaussians') for (const v of x) expect(Math.abs(v)).toBeLessThanOrEqual(6);
    expect(makeDataset(name, 200, 0.1, new Rng(4)).x).toEqual(x);
  });
});
