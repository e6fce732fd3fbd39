/**
 * Analytic gradients (float32 kernels) against float64 central differences, for every activation of the table and every loss, on
 * every backend. A wrong backward rule shows up as a relative error far above float32 rounding.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, activationLayer, gradcheck, Linear, manualSeed, Sequential, setBackend, type LossName } from '../src/index.js';
import { BACKENDS, randn, rng, uniform } from './helpers.js';

describe.each(BACKENDS.map((b) => [b.name, b] as const))('gradcheck on %s', (_name, backend) => {
  for (const act of ACTIVATION_NAMES)
    for (const loss of ['crossEntropy', 'mse', 'bceWithLogits'] as LossName[])
      it(`${act} network with ${loss}`, () => {
        setBackend(backend);
        manualSeed(3);
        const model = new Sequential([new Linear(5, 7), activationLayer(act, 0.1), new Linear(7, 6), activationLayer(act, 0.1), new Linear(6, 3)]);
        const r = rng(9);
        const m = 4;
        const x = randn(r, m * 5);
        const y = loss === 'crossEntropy' ? Int32Array.from({ length: m }, () => r.int(3)) : loss === 'mse' ? randn(r, m * 3) : uniform(r, m * 3, 0, 1);
        const result = gradcheck(model, x, y, loss);
        expect(result.checked).toBe(model.parameterCount());
        expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      });

  it('detects a wrong gradient', () => {
    setBackend(backend);
    manualSeed(4);
    const model = new Sequential([new Linear(3, 4), activationLayer('tanh'), new Linear(4, 2)]);
    const x = randn(rng(1), 6);
    // Sabotage: a model whose float64 forward disagrees with its kernels (scaled weights) must fail the check.
    const layer = model.layers[0] as Linear;
    const original = layer.forward64.bind(layer);
    layer.forward64 = (xs, m, inF, values) => original(xs, m, inF, (p) => values(p).map((v) => v * 1.01));
    expect(gradcheck(model, x, new Int32Array([0, 1]), 'crossEntropy').ok).toBe(false);
  });
});
