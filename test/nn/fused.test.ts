/**
 * Sequential's fused paths (`fuse`, default on: Linear+ReLU in the GEMMs, ReLU→MaxPool2d run as MaxPool2d→ReLU)
 * against the unfused one (`fuse: false`) on every backend: forward outputs, losses and parameters after Adam steps
 * in train mode, and eval outputs, must agree bit for bit, over ReLU and LeakyReLU, a ReLU first (its input is the
 * caller's), a Dropout or Flatten between (no fusion there), CNNs with plain, overlapping and padded pools and
 * batches 1 and 13; NaN inputs propagate alike. The lab's layer-by-layer statistics still see pre-activations.
 */
import { describe, expect, it } from 'vitest';
import {
  activationStats, Adam, Conv2d, Dropout, Flatten, LeakyReLU, Linear, manualSeed, MaxPool2d, ReLU, Sequential, setBackend, Sigmoid, Trainer,
  type Layer,
} from '../../src/index.js';
import { BACKENDS, expectSameBits, randn, rng } from '../helpers.js';

type Build = () => Layer[];
/** Per-sample input: 12 features, as [3, 2, 2] images for the CNNs (their first layer is a Conv2d). */
const CNN_SHAPES: Record<string, number[]> = {};

const MODELS: [string, Build][] = [
  ['Linear-ReLU-Linear-ReLU-Linear', () => [new Linear(12, 16), new ReLU(), new Linear(16, 9), new ReLU(), new Linear(9, 3)]],
  ['LeakyReLU(0.2) and a bias-free layer', () => [new Linear(12, 8, { bias: false }), new LeakyReLU(0.2), new Linear(8, 8), new LeakyReLU(0.2), new Linear(8, 3)]],
  ['ReLU first, Sigmoid and Dropout between', () => [new ReLU(), new Linear(12, 10), new Sigmoid(), new Linear(10, 6), new Dropout(0.3), new ReLU(), new Linear(6, 3)]],
  ['LeakyReLU(0) and Flatten (not fused)', () => [new Linear(12, 7), new LeakyReLU(0), new Flatten(), new Linear(7, 7), new ReLU(), new Linear(7, 3)]],
  ['CNN Conv-ReLU-MaxPool2 ×2', () => [
    new Conv2d(3, 4, 3, { padding: 2 }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 5, 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(5, 3),
  ]],
  ['CNN overlapping padded pool, LeakyReLU before a pool (not swapped)', () => [
    new Conv2d(3, 4, 2, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2, padding: 1 }), new Conv2d(4, 4, 1), new LeakyReLU(0.01),
    new MaxPool2d(2), new Flatten(), new Linear(4, 3),
  ]],
  ['CNN Conv-MaxPool2 without a ReLU between, then a Conv2d without a pool', () => [
    new Conv2d(3, 4, 3, { padding: 1 }), new MaxPool2d(2, { stride: 1 }), new ReLU(), new Conv2d(4, 3, 1), new Flatten(), new Linear(3, 3),
  ]],
];
CNN_SHAPES['CNN Conv-MaxPool2 without a ReLU between, then a Conv2d without a pool'] = [3, 2, 2];
CNN_SHAPES['CNN Conv-ReLU-MaxPool2 ×2'] = [3, 2, 2];
CNN_SHAPES['CNN overlapping padded pool, LeakyReLU before a pool (not swapped)'] = [3, 2, 2];

function sequential(label: string, build: Build, fuse: boolean): Sequential {
  return new Sequential(build(), { fuse, ...(CNN_SHAPES[label] ? { inputShape: CNN_SHAPES[label] } : {}) });
}

function run(label: string, build: Build, fuse: boolean, batch: number) {
  manualSeed(5);
  const model = sequential(label, build, fuse);
  const r = rng(9);
  const x = randn(r, batch * 12), labels = new Int32Array(batch).map((_, i) => (i * 7) % 3);
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
  const losses = new Float32Array(3);
  for (let s = 0; s < 3; s++) {
    manualSeed(100 + s); // Dropout's masks are the same in both runs
    losses[s] = trainer.step(x, labels);
  }
  const params = model.parameters().map((p) => p.data.slice());
  const train = model.forward(x);
  model.eval();
  const evalOut = model.forward(x);
  model.dispose();
  return { losses, params, train, evalOut };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('fused Linear+activation in Sequential on %s', (name, backend) => {
  for (const [label, build] of MODELS)
    it(`${label}: fused and unfused agree bit for bit`, () => {
      setBackend(backend);
      for (const batch of [1, 13]) {
        const fused = run(label, build, true, batch), plain = run(label, build, false, batch);
        const context = `${label} on ${name}, batch ${batch}`;
        expectSameBits([fused.losses], [plain.losses], `${context}: losses`);
        expectSameBits(fused.params, plain.params, `${context}: parameters after 3 Adam steps`);
        expectSameBits([fused.train, fused.evalOut], [plain.train, plain.evalOut], `${context}: outputs`);
        expect(fused.losses.every(Number.isFinite)).toBe(true);
      }
    });

  it('reports the option and keeps pre-activations observable to the lab', () => {
    setBackend(backend);
    manualSeed(3);
    const model = new Sequential([new Linear(6, 5), new ReLU(), new Linear(5, 2)]);
    expect(model.fused).toBe(true);
    expect(new Sequential([new Linear(6, 5)], { fuse: false }).fused).toBe(false);
    const x = randn(rng(4), 8 * 6);
    const { layers } = activationStats(model, x);
    // The Linear's own output (a pre-activation) has negative values; the ReLU's does not.
    expect(layers[0].min).toBeLessThan(0);
    expect(layers[1].min).toBeGreaterThanOrEqual(0);
    model.dispose();
  });

  it('runs the activations inside the GEMMs: no relu kernel of its own in a fused training step', () => {
    setBackend(backend);
    manualSeed(6);
    const k = backend.k as unknown as Record<string, (...args: unknown[]) => void>;
    const names = ['relu_fwd_f32', 'relu_bwd_f32', 'bias_add_f32', 'gemm_bias_act_f32', 'gemm_act_bwd_f32', 'gemm_f32', 'col_sum_f32', 'linear_bwd_f32'];
    const saved = names.map((n) => k[n]);
    const calls: Record<string, number> = {};
    names.forEach((n, i) => (k[n] = (...args: unknown[]) => {
      // linear_bwd_f32's act flag (its 5th argument) says whether the ReLU's backward rides in its input gradient.
      const key = n === 'linear_bwd_f32' ? `${n} act=${args[4]}` : n;
      calls[key] = (calls[key] ?? 0) + 1;
      saved[i](...args);
    }));
    try {
      const model = new Sequential([new Linear(6, 5), new ReLU(), new Linear(5, 5), new ReLU(), new Linear(5, 2)]);
      const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
      trainer.step(randn(rng(2), 4 * 6), new Int32Array([0, 1, 1, 0]));
      // Each Linear's backward is one call; the two behind a ReLU fuse its derivative, the first needs no input gradient.
      expect(calls).toEqual({ gemm_bias_act_f32: 3, 'linear_bwd_f32 act=1': 2, 'linear_bwd_f32 act=0': 1 });
      model.dispose();
    } finally {
      names.forEach((n, i) => (k[n] = saved[i]));
    }
  });

  it('runs Conv2d-ReLU-MaxPool2d as one kernel, the ReLU on the pooled values, with NaN propagating as unfused', () => {
    setBackend(backend);
    const [label, build] = MODELS.find(([l]) => l.startsWith('CNN Conv'))!;
    const k = backend.k as unknown as Record<string, (...args: unknown[]) => void>;
    const names = ['relu_fwd_f32', 'conv2d_fwd_f32', 'max_pool2d_fwd_f32', 'conv2d_max_pool2d_fwd_f32'];
    const saved = names.map((n) => k[n]), calls: string[] = [];
    // Each call with its first size and, for the fused kernel, its pooled size and relu flag.
    names.forEach((n, i) => (k[n] = (...args: unknown[]) => (calls.push(n === names[3] ? `${n} ${args[0]} ${args[22]}x${args[23]} relu ${args[25]}` : n), saved[i](...args))));
    try {
      manualSeed(8);
      const fused = sequential(label, build, true);
      const x = randn(rng(3), 2 * 12);
      x[5] = NaN;
      const out = fused.forward(x);
      // Conv outputs [4, 4, 4] and [5, 2, 2] per sample, pooled to [4, 2, 2] and [5, 1, 1], each ReLU inside.
      expect(calls).toEqual(['conv2d_max_pool2d_fwd_f32 2 2x2 relu 1', 'conv2d_max_pool2d_fwd_f32 2 1x1 relu 1']);
      manualSeed(8);
      const plain = sequential(label, build, false);
      expectSameBits([out], [plain.forward(x)], `${name}: NaN through Conv-ReLU-MaxPool`);
      expect(out.some(Number.isNaN)).toBe(true);
      fused.dispose();
      plain.dispose();
    } finally {
      names.forEach((n, i) => (k[n] = saved[i]));
    }
  });

  it('rejects a non-boolean fuse option', () => {
    setBackend(backend);
    expect(() => new Sequential([new Linear(2, 2)], { fuse: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
  });
});
