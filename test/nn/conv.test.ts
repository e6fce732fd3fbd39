/**
 * Conv2d and the pooling layers as API: PyTorch's reprs, shapes and rejections, state-dict names and layouts, the
 * 'auto' initialiser looking through pooling, the same forward on every backend, and a short CNN training run.
 */
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, Adam, AvgPool2d, Conv2d, Flatten, Linear, manualSeed, MaxPool2d, ReLU, Sequential, setBackend, Tanh, Trainer,
} from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';

const errorOf = (f: () => unknown): { name?: string; code?: string; message?: string } => {
  try {
    f();
  } catch (error) {
    return error as Error & { code?: string };
  }
  return {};
};

describe('convolution and pooling layers', () => {
  it("print like PyTorch's modules", () => {
    expect(new Conv2d(1, 16, 3, { padding: 1 }).toString()).toBe('Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))');
    expect(new Conv2d(16, 32, [3, 5], { stride: 2 }).toString()).toBe('Conv2d(16, 32, kernel_size=(3, 5), stride=(2, 2))');
    expect(new Conv2d(4, 8, 3, { padding: 'same', dilation: 2, groups: 4, bias: false }).toString()).toBe(
      'Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), groups=4, bias=False)',
    );
    expect(new MaxPool2d(2).toString()).toBe('MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
    expect(new MaxPool2d([3, 2], { stride: 1, padding: [1, 0] }).toString()).toBe('MaxPool2d(kernel_size=(3, 2), stride=1, padding=(1, 0), dilation=1, ceil_mode=False)');
    expect(new AvgPool2d(2).toString()).toBe('AvgPool2d(kernel_size=2, stride=2, padding=0)');
    expect(new AdaptiveAvgPool2d(1).toString()).toBe('AdaptiveAvgPool2d(output_size=1)');
  });

  it('compute output shapes with PyTorch’s formula, including same and valid padding', () => {
    expect(new Conv2d(1, 16, 3, { padding: 1 }).outputShape([1, 28, 28], 't')).toEqual([16, 28, 28]);
    expect(new Conv2d(3, 8, 5, { stride: 2 }).outputShape([3, 32, 31], 't')).toEqual([8, 14, 14]);
    expect(new Conv2d(3, 8, 4, { padding: 'same' }).outputShape([3, 7, 6], 't')).toEqual([8, 7, 6]);
    expect(new Conv2d(3, 8, 3, { padding: 'valid', dilation: 2 }).outputShape([3, 9, 9], 't')).toEqual([8, 5, 5]);
    expect(new MaxPool2d(2).outputShape([16, 28, 28], 't')).toEqual([16, 14, 14]);
    expect(new MaxPool2d(3, { stride: 2, padding: 1 }).outputShape([4, 7, 8], 't')).toEqual([4, 4, 4]);
    expect(new AvgPool2d(2).outputShape([4, 5, 5], 't')).toEqual([4, 2, 2]);
    expect(new AdaptiveAvgPool2d([1, 1]).outputShape([64, 7, 5], 't')).toEqual([64, 1, 1]);
  });

  it('reject what PyTorch rejects, before any kernel runs', () => {
    const cases: [() => unknown, string, RegExp][] = [
      [() => new Conv2d(3, 8, 3, { groups: 2 }), 'ERR_OPTION', /groups.*divisor of inChannels/],
      [() => new Conv2d(4, 6, 3, { groups: 4 }), 'ERR_OPTION', /divisor of outChannels/],
      [() => new Conv2d(4, 6, 3, { padding: 'same', stride: 2 }), 'ERR_OPTION', /padding/],
      [() => new Conv2d(4, 6, 3, { padding: 'full' as never }), 'ERR_OPTION', /padding/],
      [() => new Conv2d(4, 6, 0), 'ERR_OPTION', /kernelSize/],
      [() => new Conv2d(4, 6, [3, 3, 3] as never), 'ERR_OPTION', /kernelSize/],
      [() => new Conv2d(4, 6, 3, { stride: 0 }), 'ERR_OPTION', /stride/],
      [() => new Conv2d(4, 6, 3, { padding: -1 }), 'ERR_OPTION', /padding/],
      [() => new Conv2d(4, 6, 3, { strides: 2 } as never), 'ERR_OPTION', /strides/],
      [() => new MaxPool2d(3, { padding: 2 }), 'ERR_OPTION', /at most half the kernel size/],
      [() => new AvgPool2d(2, { countIncludePad: 1 as never }), 'ERR_OPTION', /countIncludePad/],
      [() => new AdaptiveAvgPool2d(2), 'ERR_OPTION', /outputSize/],
      [() => new Conv2d(3, 8, 3).outputShape([1, 28, 28], 'Sequential'), 'ERR_SHAPE', /\[3, H, W\]/],
      [() => new Conv2d(1, 8, 5).outputShape([1, 4, 4], 'Sequential'), 'ERR_SHAPE', /kernel size 5×5/],
      [() => new MaxPool2d(2).outputShape([784], 'Sequential'), 'ERR_SHAPE', /\[C, H, W\]/],
      [() => new Sequential([new Conv2d(1, 4, 3), new Flatten(), new Linear(100, 2)], { inputShape: [1, 8, 8] }), 'ERR_SHAPE', /Linear/],
    ];
    for (const [f, code, message] of cases) {
      const e = errorOf(f);
      expect(e.code, String(f)).toBe(code);
      expect(e.message, String(f)).toMatch(message);
    }
  });

  it("name and shape parameters like PyTorch's state dict", () => {
    manualSeed(1);
    const model = new Sequential([new Conv2d(2, 6, 3, { groups: 2 }), new ReLU(), new MaxPool2d(2), new Conv2d(6, 4, [1, 2], { bias: false }), new Flatten(), new Linear(8, 3)], { inputShape: [2, 6, 6] });
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '3.weight', '5.weight', '5.bias']);
    expect(sd['0.weight'].shape).toEqual([6, 1, 3, 3]);
    expect(sd['3.weight'].shape).toEqual([4, 6, 1, 2]);
    expect(model.shapes).toEqual([[2, 6, 6], [6, 4, 4], [6, 4, 4], [6, 2, 2], [4, 2, 1], [8], [3]]);
    model.dispose();
  });

  it("'auto' draws Kaiming weights (std √(2/fanIn), fanIn = in/groups·kh·kw) before a ReLU, through pooling", () => {
    manualSeed(2);
    const before = new Conv2d(32, 64, 3, { groups: 2 });
    const model = new Sequential([before, new MaxPool2d(2), new ReLU(), new Flatten()], { inputShape: [32, 6, 6] });
    const w = model.layers[0] as Conv2d, d = w.weight.data;
    const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(Math.abs(std - Math.sqrt(2 / (16 * 9))) / Math.sqrt(2 / (16 * 9))).toBeLessThan(0.05);
    expect(w.initializer.name).toMatch(/kaiming/);
    const plain = new Sequential([new Conv2d(32, 64, 3), new Tanh(), new Flatten()], { inputShape: [32, 5, 5] });
    const e = (plain.layers[0] as Conv2d).weight.data;
    const stdX = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
    expect(Math.abs(stdX - 1 / Math.sqrt(32 * 9)) * Math.sqrt(32 * 9)).toBeLessThan(0.05);
    model.dispose();
    plain.dispose();
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('convolution layers on %s', (name, backend) => {
  it('forward matches the float64 forward of the same model', () => {
    setBackend(backend);
    manualSeed(5);
    const model = new Sequential(
      [new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(8, 6, 3, { padding: 'same', groups: 2 }), new AvgPool2d(2), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 4)],
      { inputShape: [3, 9, 10] },
    );
    const m = 5, x = randn(rng(6), m * 270);
    const got = model.forward(x);
    const ref = model.forward64(Float64Array.from(x), m, (p) => Float64Array.from(p.data));
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i]), `${name} output ${i}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ref[i]));
    model.dispose();
  });

  it('trains a small CNN: the loss falls on a fixed batch', () => {
    setBackend(backend);
    manualSeed(7);
    const model = new Sequential(
      [new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 2 * 2, 3)],
      { inputShape: [1, 8, 8] },
    );
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
    const r = rng(8), m = 12;
    const x = randn(r, m * 64), y = Int32Array.from({ length: m }, (_, i) => i % 3);
    const first = trainer.step(x, y);
    let last = first;
    for (let i = 0; i < 40; i++) last = trainer.step(x, y);
    expect(last).toBeLessThan(0.5 * first);
    model.dispose();
  });
});
