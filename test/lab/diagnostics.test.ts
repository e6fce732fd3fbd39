/**
 * Diagnostics: activation statistics against the float64 forward, dead and saturated units on hand-built
 * weights, gradient statistics and update ratios against a manual computation, the NaN/Inf sentinel, and the
 * fit-callback recorder. Runs on every backend that loads here.
 */
import { describe, expect, it } from 'vitest';
import {
  activationStats, DiagnosticsRecorder, findNonFinite, Linear, manualSeed, parameterStats, ReLU, Rng, Sequential, setBackend, SGD, snapshot, Tanh, Trainer, Sigmoid,
} from '../../src/index.js';
import { BACKENDS, randn } from '../helpers.js';

describe.each(BACKENDS.map((b) => [b.name, b] as const))('diagnostics on %s', (_name, backend) => {
  const build = () => {
    setBackend(backend);
    manualSeed(3);
    return new Sequential([new Linear(8, 16), new Tanh(), new Linear(16, 12), new ReLU(), new Linear(12, 3)]);
  };

  it('activationStats matches statistics of the float64 forward, layer by layer', () => {
    const model = build();
    const x = randn(new Rng(1), 5 * 8);
    const { layers } = activationStats(model, x, { bins: 7 });
    expect(layers.map((l) => l.type)).toEqual(['Linear', 'Tanh', 'Linear', 'ReLU', 'Linear']);
    const values = (p: { data: Float32Array }) => Float64Array.from(p.data);
    let h = Float64Array.from(x);
    model.layers.forEach((layer, i) => {
      h = layer.forward64(h, 5, model.shapes[i], values as never) as Float64Array<ArrayBuffer>;
      const mean = h.reduce((a, b) => a + b, 0) / h.length;
      const std = Math.sqrt(h.reduce((a, b) => a + (b - mean) ** 2, 0) / h.length);
      expect(layers[i].count).toBe(h.length);
      expect(layers[i].mean).toBeCloseTo(mean, 5);
      expect(layers[i].std).toBeCloseTo(std, 5);
      expect(layers[i].histogram.counts.reduce((a, b) => a + b, 0)).toBe(h.length);
    });
    expect([layers[1].histogram.lo, layers[1].histogram.hi]).toEqual([-1, 1]);
    model.dispose();
  });

  it('counts dead ReLU units (0 for every row) and saturated tanh/sigmoid values', () => {
    setBackend(backend);
    const lin = new Linear(2, 4, { bias: false });
    // Units 0 and 1 see only negative inputs for positive x: dead. Units 2 and 3 are alive.
    lin.weight.data.set([-1, -1, -2, -1, 1, 0, 0, 1]);
    const relu = new Sequential([lin, new ReLU()]);
    const x = new Float32Array([1, 2, 3, 1, 0.5, 0.5]);
    expect(activationStats(relu, x).layers[1].deadFraction).toBe(0.5);
    const big = new Linear(2, 4, { bias: false });
    big.weight.data.set([10, 0, -10, 0, 0.01, 0, 0, -0.01]);
    const tanh = new Sequential([big, new Tanh()]);
    expect(activationStats(tanh, x).layers[1].saturatedFraction).toBe(0.5);
    const sig = new Sequential([big, new Sigmoid()]);
    expect(activationStats(sig, x).layers[1].saturatedFraction).toBe(0.5);
    expect(() => activationStats(relu, new Float32Array(3))).toThrow(/activationStats: expected x of shape \[\*, 2\]/);
    expect(() => activationStats(relu, x, { bins: 0 })).toThrow(/bins/);
    expect(() => activationStats(relu, x, { range: [1, 0] })).toThrow(/range/);
  });

  it('parameterStats: gradient statistics and the update-to-weight ratio ‖Δw‖/‖w‖ of one SGD step', () => {
    const model = build();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const trainer = new Trainer(model, { optimizer: opt, loss: 'crossEntropy' });
    const x = randn(new Rng(2), 6 * 8), y = new Int32Array([0, 1, 2, 0, 1, 2]);
    const before = snapshot(model);
    trainer.step(x, y);
    const stats = parameterStats(model, before);
    expect(stats.map((s) => s.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    for (const [i, p] of model.parameters().entries()) {
      const g = p.grad, w = p.data;
      const gNorm = Math.hypot(...g), wNorm = Math.hypot(...w);
      expect(stats[i].grad.norm).toBeCloseTo(gNorm, 5);
      // Plain SGD: Δw = −lr·g, so the ratio is lr·‖g‖/‖w‖.
      if (wNorm > 0) expect(stats[i].updateRatio).toBeCloseTo((0.1 * gNorm) / wNorm, 4);
      expect(stats[i].nonFinite).toEqual({ weight: 0, grad: 0 });
    }
    expect(Number.isNaN(parameterStats(model)[0].updateRatio)).toBe(true);
    expect(() => parameterStats(model, [new Float32Array(1)])).toThrow(/snapshot/);
  });

  it('the NaN/Inf sentinel names the first layer where a non-finite value appears', () => {
    const model = build();
    const x = randn(new Rng(3), 4 * 8);
    expect(findNonFinite(model, x)).toBeNull();
    model.parameters()[2].data[5] = NaN; // 2.weight
    expect(findNonFinite(model, x)).toEqual({ kind: 'weight', layer: 2, name: '2.weight', count: 1 });
    model.parameters()[2].data[5] = 0;
    const bad = x.slice();
    bad[3] = Infinity;
    expect(findNonFinite(model, bad)).toMatchObject({ kind: 'activation', layer: 0, name: '0 Linear' });
    model.parameters()[4].grad[0] = NaN; // 4.weight's gradient: the backward pass writes it first
    model.parameters()[0].grad[0] = NaN;
    expect(findNonFinite(model, x)).toMatchObject({ kind: 'gradient', layer: 4, name: '4.weight' });
    model.dispose();
  });

  it('DiagnosticsRecorder records update ratios per batch and activations per epoch through fit callbacks', async () => {
    const model = build();
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), loss: 'crossEntropy' });
    const r = new Rng(4), x = randn(r, 40 * 8), y = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    const rec = new DiagnosticsRecorder(model, { probe: x.subarray(0, 10 * 8), every: 2 });
    await trainer.fit({ x, y }, { epochs: 3, batchSize: 10, seed: 1, progress: false, callbacks: rec.callbacks, signal: rec.signal });
    expect(rec.batches.map((b) => b.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(rec.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(rec.epochs[0].activations!.map((l) => l.type)).toEqual(['Linear', 'Tanh', 'Linear', 'ReLU', 'Linear']);
    const curves = rec.curves();
    expect(curves.updateRatio['0.weight']).toHaveLength(6);
    for (const v of curves.updateRatio['0.weight']) {
      expect(v).toBeGreaterThan(1e-5);
      expect(v).toBeLessThan(1);
    }
    expect(rec.nonFinite).toBeNull();
    expect(rec.signal.aborted).toBe(false);
    model.dispose();
  });

  it('DiagnosticsRecorder aborts fit at the first NaN and names where it appeared', async () => {
    const model = build();
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), loss: 'crossEntropy' });
    const x = randn(new Rng(5), 40 * 8), y = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    const rec = new DiagnosticsRecorder(model);
    let batches = 0;
    const history = await trainer.fit(
      { x, y },
      {
        epochs: 2, batchSize: 10, progress: false, signal: rec.signal,
        callbacks: {
          onBatchEnd: (b, logs) => {
            if (++batches === 2) model.parameters()[2].data[0] = NaN; // poison 2.weight after the second step
            rec.callbacks.onBatchEnd(b, logs);
          },
          onEpochEnd: rec.callbacks.onEpochEnd,
        },
      },
    );
    expect(history.aborted).toBe(true);
    expect(rec.nonFinite).toMatchObject({ kind: 'weight', name: '2.weight', layer: 2 });
    expect(batches).toBe(2);
    model.dispose();
  });
});
