/**
 * The shape-aware layer protocol: per-sample shapes through a Sequential, Flatten as a free view, Linear over
 * `[*, in]`, train/eval mode, state buffers in state dicts, summaries, and per-channel lab statistics.
 */
import { describe, expect, it } from 'vitest';
import type { F32Buf } from '../../src/buffers.js';
import {
  activationStats, createCheckpoint, Flatten, getBackend, SGD, Sigmoid, Trainer, gradcheck, Layer, Linear, manualSeed, ReLU, restoreCheckpoint, Sequential, setBackend, Tanh,
  type Shape, type StateBuffer,
} from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';

/** A layer with a state buffer (like BatchNorm's running statistics) that counts training-mode forwards. */
class CountingIdentity extends Layer {
  readonly type = 'CountingIdentity';
  readonly backend = getBackend();
  readonly elementwise = true;
  readonly counter = new Float32Array(2);
  outputShape(inShape: Shape) {
    return [...inShape];
  }
  stateBuffers(): StateBuffer[] {
    return [{ name: 'seen', shape: [2], data: this.counter }];
  }
  prepare() {}
  forwardBuf(x: F32Buf, m: number) {
    if (this.training) this.counter[0] += m;
    else this.counter[1] += m;
    return x;
  }
  backwardBuf(dy: F32Buf) {
    return dy;
  }
  forward64(x: Float64Array) {
    return x;
  }
  toString() {
    return 'CountingIdentity()';
  }
  dispose() {}
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe.each(BACKENDS.map((b) => [b.name, b] as const))('shapes on %s', (_name, backend) => {
  it('takes the input shape from the first layer that fixes it, or from the option', () => {
    setBackend(backend);
    const mlp = new Sequential([new Linear(12, 5), new ReLU(), new Linear(5, 3)]);
    expect(mlp.inputShape).toEqual([12]);
    expect(mlp.outputShape).toEqual([3]);
    expect(mlp.shapes).toEqual([[12], [5], [5], [3]]);
    // Leading elementwise layers look through to the first Linear (existing MLP code keeps working).
    expect(new Sequential([new ReLU(), new Linear(4, 2)]).inputShape).toEqual([4]);
    const image = new Sequential([new Flatten(), new Linear(12, 2)], { inputShape: [3, 2, 2] });
    expect(image.shapes).toEqual([[3, 2, 2], [12], [2]]);
    expect(image.inFeatures).toBe(12);
  });

  it('rejects a missing or inconsistent input shape at construction, naming the layer', () => {
    setBackend(backend);
    expect(codeOf(() => new Sequential([new Flatten(), new Linear(12, 2)]))).toBe('ERR_SHAPE');
    expect(() => new Sequential([new Flatten(), new Linear(12, 2)])).toThrow(/layer 0 \(Flatten\) does not fix the input shape/);
    expect(() => new Sequential([new Linear(4, 2)], { inputShape: [5] })).toThrow(/layer 0, Linear.*\[\*, 4\].*\[5\]/);
    expect(() => new Sequential([new Flatten(), new Linear(10, 2)], { inputShape: [3, 2, 2] })).toThrow(/layer 1, Linear.*\[\*, 10\].*\[12\]/);
    expect(() => new Sequential([new Linear(4, 2)], { inputShape: [0] })).toThrow(/positive integers/);
    expect(codeOf(() => new Sequential([new Linear(4, 2)], { inputShape: [4], inputShap: 1 } as never))).toBe('ERR_OPTION');
  });

  it('Flatten merges PyTorch start_dim..end_dim and is a free view', () => {
    setBackend(backend);
    expect(new Flatten().outputShape([2, 3, 4], 't')).toEqual([24]);
    expect(new Flatten({ startDim: 2 }).outputShape([2, 3, 4], 't')).toEqual([2, 12]);
    expect(new Flatten({ startDim: 1, endDim: 2 }).outputShape([2, 3, 4], 't')).toEqual([6, 4]);
    expect(() => new Flatten({ startDim: 0 })).toThrow(/startDim/);
    expect(() => new Flatten({ startDim: 4 }).outputShape([2, 3], 't')).toThrow(/Flatten/);
    const flat = new Flatten();
    const buf = backend.alloc(6);
    expect(flat.forwardBuf(buf)).toBe(buf);
    expect(flat.backwardBuf(buf, 1, false, true)).toBe(buf);
    backend.free(buf);
  });

  it('a Flatten-first model computes what the same MLP computes on flat rows, gradients included', () => {
    setBackend(backend);
    manualSeed(7);
    const a = new Sequential([new Flatten(), new Linear(12, 6), new Tanh(), new Linear(6, 3)], { inputShape: [3, 2, 2] });
    const b = new Sequential([new Linear(12, 6), new Tanh(), new Linear(6, 3)]);
    b.loadStateDict(Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [`${Number(k.split('.')[0]) - 1}.${k.split('.')[1]}`, v])));
    const x = randn(rng(2), 4 * 12);
    expect(a.forward(x)).toEqual(b.forward(x));
    const labels = new Int32Array([0, 2, 1, 1]);
    const r = gradcheck(a, x, labels, 'crossEntropy');
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('a ReLU first never writes into the caller input, even behind a Flatten', () => {
    setBackend(backend);
    const model = new Sequential([new Flatten(), new ReLU(), new Linear(4, 2)], { inputShape: [2, 2] });
    const x = new Float32Array([-1, 2, 3, -4]);
    model.forward(x);
    expect(Array.from(x)).toEqual([-1, 2, 3, -4]);
  });

  it('an activation never overwrites the output a previous activation’s backward reads (Tanh → ReLU, Sigmoid → Flatten → Tanh)', () => {
    setBackend(backend);
    manualSeed(11);
    for (const layers of [
      [new Linear(5, 6), new Tanh(), new ReLU(), new Linear(6, 3)],
      [new Linear(5, 6), new Sigmoid(), new Flatten(), new Tanh(), new Linear(6, 3)],
    ]) {
      const model = new Sequential(layers);
      const r = gradcheck(model, randn(rng(12), 4 * 5), new Int32Array([0, 1, 2, 1]), 'crossEntropy');
      expect(r.ok, `${model}: ${JSON.stringify(r.worst)}`).toBe(true);
    }
  });

  it('Linear transforms the last dimension of [L, in] samples like PyTorch', () => {
    setBackend(backend);
    manualSeed(5);
    const seq = new Sequential([new Linear(4, 3), new Tanh(), new Linear(3, 2)], { inputShape: [5, 4] });
    expect(seq.shapes).toEqual([[5, 4], [5, 3], [5, 3], [5, 2]]);
    const rows = new Sequential([new Linear(4, 3), new Tanh(), new Linear(3, 2)]);
    rows.loadStateDict(seq.stateDict());
    const x = randn(rng(3), 2 * 5 * 4);
    // Two samples of 5 rows each = ten independent rows.
    expect(seq.forward(x, 2)).toEqual(rows.forward(x, 10));
    const r = gradcheck(seq, x, randn(rng(4), 2 * 10), 'mse');
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('train() and eval() set every layer’s mode; state buffers travel in state dicts after the parameters', () => {
    setBackend(backend);
    const counting = new CountingIdentity();
    const model = new Sequential([new Linear(3, 3), counting, new Linear(3, 2)]);
    expect(model.training).toBe(true);
    model.forward(new Float32Array(6), 2);
    expect(model.eval()).toBe(model);
    expect(model.training).toBe(false);
    expect(model.layers.every((l) => !l.training)).toBe(true);
    model.forward(new Float32Array(3), 1);
    expect(Array.from(counting.counter)).toEqual([2, 1]);
    model.train();
    expect(model.layers.every((l) => l.training)).toBe(true);
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '1.seen', '2.weight', '2.bias']);
    expect(Array.from(sd['1.seen'].data)).toEqual([2, 1]);
    sd['1.seen'].data.set([7, 8]);
    model.loadStateDict(sd);
    expect(Array.from(counting.counter)).toEqual([7, 8]);
    expect(() => model.loadStateDict({ ...sd, '1.seen': { shape: [3], data: new Float32Array(3) } })).toThrow(/1.seen/);
    expect(() => model.train('yes' as never)).toThrow(/boolean/);
  });

  it('Trainer evaluates and predicts in eval mode, fits in training mode, and restores the caller’s mode', async () => {
    setBackend(backend);
    const counting = new CountingIdentity();
    const model = new Sequential([new Linear(3, 3), counting, new Linear(3, 2)]);
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
    const x = randn(rng(6), 4 * 3), y = new Int32Array([0, 1, 1, 0]);
    trainer.evaluate(x, y);
    expect(Array.from(counting.counter)).toEqual([0, 4]);
    expect(model.training).toBe(true);
    trainer.predict(x);
    expect(Array.from(counting.counter)).toEqual([0, 8]);
    model.eval();
    await trainer.fit({ x, y }, { epochs: 2, batchSize: 2, progress: false });
    // 2 epochs × 4 rows in training mode; the model is back in eval mode afterwards.
    expect(Array.from(counting.counter)).toEqual([8, 8]);
    expect(model.training).toBe(false);
    trainer.step(x, y); // step() uses the caller's mode, as a PyTorch loop would
    expect(Array.from(counting.counter)).toEqual([8, 12]);
    const ckpt = createCheckpoint({ model });
    expect(ckpt.training).toBe(false);
    model.train();
    restoreCheckpoint(ckpt, { model });
    expect(model.training).toBe(false);
  });

  it('prints per-layer shapes and a summary with parameter counts', () => {
    setBackend(backend);
    const model = new Sequential([new Flatten(), new Linear(12, 5), new ReLU(), new Linear(5, 3)], { inputShape: [3, 2, 2] });
    expect(model.toString()).toContain('(1): Linear(in_features=12, out_features=5, bias=True)  → [5]');
    const summary = model.summary();
    expect(summary).toMatch(/input\s+\[3, 2, 2\]/);
    expect(summary).toMatch(/0: Flatten\s+\[12\]\s+0/);
    expect(summary).toMatch(/1: Linear\s+\[5\]\s+65/);
    expect(summary).toMatch(/3: Linear\s+\[3\]\s+18/);
    expect(summary).toContain(`${model.parameterCount()} parameters`);
  });

  it('activationStats counts dead units per channel for [C, …] outputs', () => {
    setBackend(backend);
    // Channel 0 of every sample is negative (dead after ReLU), channel 1 is positive: 1 of 2 channels is dead.
    const model = new Sequential([new ReLU(), new Flatten(), new Linear(6, 2)], { inputShape: [2, 3] });
    const x = new Float32Array(4 * 6);
    for (let i = 0; i < 4; i++) for (let p = 0; p < 3; p++) {
      x[i * 6 + p] = -1 - p;
      x[i * 6 + 3 + p] = i === 0 && p === 0 ? 0 : 1 + p;
    }
    const { layers } = activationStats(model, x);
    expect(layers[0].units).toBe(2);
    expect(layers[0].deadFraction).toBe(0.5);
    // The same values as flat features: 3 of 6 feature columns are dead (feature 3 is 0 only in sample 0).
    const flat = new Sequential([new ReLU(), new Linear(6, 2)]);
    expect(activationStats(flat, x).layers[0].deadFraction).toBe(0.5);
    expect(activationStats(flat, x).layers[0].units).toBe(6);
  });

  it('checkpoints carry the input shape and refuse a model of another shape', () => {
    setBackend(backend);
    const a = new Sequential([new Flatten(), new Linear(4, 2)], { inputShape: [1, 2, 2] });
    const ckpt = createCheckpoint({ model: a });
    expect(ckpt.inputShape).toEqual([1, 2, 2]);
    const b = new Sequential([new Flatten(), new Linear(4, 2)], { inputShape: [4, 1, 1] });
    expect(() => restoreCheckpoint(ckpt, { model: b })).toThrow(/shape \[1,2,2\].*\[4, 1, 1\]/);
    const c = new Sequential([new Flatten(), new Linear(4, 2)], { inputShape: [1, 2, 2] });
    restoreCheckpoint(ckpt, { model: c });
    expect(c.stateDict()).toEqual(a.stateDict());
  });
});
