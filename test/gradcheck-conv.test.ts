/**
 * Conv2d, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d under gradcheck on every backend: analytic parameter
 * gradients (float32 kernels) against float64 central differences of each layer's forward64. A layer in the middle
 * of a network is also checked through its input gradient, since every parameter before it depends on it.
 */
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, AvgPool2d, Conv2d, Flatten, gradcheck, Linear, manualSeed, MaxPool2d, ReLU, Sequential, setBackend, Sigmoid, Tanh,
  type Layer, type LossName,
} from '../src/index.js';
import { BACKENDS, randn, rng } from './helpers.js';

interface Net {
  name: string;
  inputShape: number[];
  layers: () => Layer[];
  loss: LossName;
  classes: number;
}

const NETS: Net[] = [
  {
    name: 'Conv2d pad 1 → ReLU → MaxPool2d(2) → Conv2d stride 2 → Flatten → Linear',
    inputShape: [2, 8, 7],
    layers: () => [new Conv2d(2, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 3, 2, { stride: 2 }), new Flatten(), new Linear(6, 3)],
    loss: 'crossEntropy',
    classes: 3,
  },
  {
    name: 'grouped dilated Conv2d → Tanh → AvgPool2d(3, s2, p1, no pad count) → 1×1 Conv2d → AdaptiveAvgPool2d(1) → Linear',
    inputShape: [4, 9, 9],
    layers: () => [
      new Conv2d(4, 4, 3, { groups: 2, dilation: 2, padding: 2 }), new Tanh(), new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
      new Conv2d(4, 6, 1), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 3),
    ],
    loss: 'mse',
    classes: 3,
  },
  {
    name: "depthwise Conv2d k2 'same' without bias → Sigmoid → AvgPool2d(2, p1) → Conv2d [1,3] stride [1,2] → MaxPool2d(3, s2, p1) → Linear",
    inputShape: [3, 6, 5],
    layers: () => [
      new Conv2d(3, 3, 2, { padding: 'same', groups: 3, bias: false }), new Sigmoid(), new AvgPool2d(2, { padding: 1 }),
      new Conv2d(3, 2, [1, 3], { stride: [1, 2], padding: [0, 1] }), new MaxPool2d(3, { stride: 2, padding: 1 }), new Flatten(), new Linear(4, 2),
    ],
    loss: 'crossEntropy',
    classes: 2,
  },
];

describe.each(BACKENDS.map((b) => [b.name, b] as const))('gradcheck of convolution and pooling layers on %s', (_name, backend) => {
  for (const net of NETS)
    it(net.name, () => {
      setBackend(backend);
      manualSeed(11);
      const model = new Sequential(net.layers(), { inputShape: net.inputShape });
      const r = rng(21), m = 3;
      const x = randn(r, m * net.inputShape.reduce((a, b) => a * b, 1));
      const y = net.loss === 'crossEntropy' ? Int32Array.from({ length: m }, () => r.int(net.classes)) : randn(r, m * net.classes);
      const result = gradcheck(model, x, y, net.loss);
      expect(result.checked).toBe(model.parameterCount());
      expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      model.dispose();
    });

  it('detects a conv whose float64 forward disagrees with its kernels', () => {
    setBackend(backend);
    manualSeed(12);
    const model = new Sequential([new Conv2d(1, 2, 3), new ReLU(), new Flatten(), new Linear(8, 2)], { inputShape: [1, 4, 4] });
    const conv = model.layers[0] as Conv2d;
    const original = conv.forward64.bind(conv);
    conv.forward64 = (xs, m, shape, values) => original(xs, m, shape, (p) => values(p).map((v) => v * 1.01));
    expect(gradcheck(model, randn(rng(2), 2 * 16), new Int32Array([0, 1]), 'crossEntropy').ok).toBe(false);
    model.dispose();
  });
});
