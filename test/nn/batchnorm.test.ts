/**
 * BatchNorm1d/2d and Dropout layers on every backend: PyTorch fixtures (test/fixtures/norm.json, torch 1.13)
 * replayed through the layer protocol (three training steps, one evaluation step: outputs, input and parameter
 * gradients, running statistics, num_batches_tracked) and through a Sequential trained with SGD; gradient checks
 * in training and evaluation mode; option and shape errors; Dropout's statistics, scaling, determinism and resume.
 * Fixture tolerance as in test/fixtures.test.ts: |got − ref| ≤ 1e-5·|ref| + 1e-6·max|ref| per tensor. Input
 * gradients in training are γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), a difference of terms that can cancel
 * (completely for two values per channel), so their floor is 1e-6·max|γ·invstd·dy| instead.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d, BatchNorm2d, Dropout, Flatten, gradcheck, Linear, manualSeed, ReLU, Rng, Sequential, setBackend, SGD, Tanh, Trainer,
  type BatchNormOptions, type Layer, type StateDict,
} from '../../src/index.js';
import { BACKENDS, expectClose, put, randn, rng } from '../helpers.js';

interface TensorJson { shape: number[]; data: number[] }
interface NormStep { x: number[]; dy: number[]; y: number[]; dx: number[]; dweight?: number[]; dbias?: number[]; state: Record<string, TensorJson> }
interface NormRun {
  descent: { class: 'BatchNorm1d' | 'BatchNorm2d'; options: BatchNormOptions };
  shape: number[]; batch: number; initial: Record<string, TensorJson>; train: NormStep[]; eval: NormStep;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/norm.json', import.meta.url), 'utf8')) as {
  runs: Record<string, NormRun>;
  mlp: { initial: Record<string, TensorJson>; batches: { x: number[]; y: number[] }[]; losses: number[]; final: Record<string, TensorJson>; eval_x: number[]; eval_logits: number[] };
};

function tol(ref: ArrayLike<number>, floor = 1e-6) {
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i]));
  return (_i: number, r: number) => 1e-5 * Math.abs(r) + floor * max;
}

function toStateDict(sd: Record<string, TensorJson>): StateDict {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
}

/** γ·invstd of element i's channel under the batch statistics of the step's input (float64). */
function scaleOf(f: NormRun, step: NormStep, i: number): number {
  const c = f.shape[0], hw = f.shape.slice(1).reduce((a, b) => a * b, 1), ch = Math.floor(i / hw) % c;
  const vals = step.x.filter((_, j) => Math.floor(j / hw) % c === ch);
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
  const eps = f.descent.options.eps ?? 1e-5;
  return (step.state.weight?.data[ch] ?? 1) / Math.sqrt(variance + eps);
}

function loadLayer(layer: BatchNorm1d | BatchNorm2d, sd: Record<string, TensorJson>) {
  for (const p of layer.parameters()) p.data.set(sd[p.name].data);
  for (const b of layer.stateBuffers()) b.data.set(sd[b.name].data);
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('batch norm and dropout layers on %s', (name, backend) => {
  describe('PyTorch fixtures', () => {
    it.each(Object.keys(fixture.runs))('%s', (run) => {
      const f = fixture.runs[run];
      setBackend(backend);
      const Cls = f.descent.class === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
      const layer = new Cls(f.shape[0], f.descent.options);
      loadLayer(layer, f.initial);
      layer.prepare(f.shape, f.batch, false);
      const check = (step: NormStep, what: string) => {
        const y = layer.forwardBuf(put(backend, Float32Array.from(step.x)), f.batch);
        expectClose(y.data, step.y, tol(step.y), `${run} ${what} y on ${name}`);
        const dx = layer.backwardBuf(put(backend, Float32Array.from(step.dy)), f.batch, false, true)!;
        const terms = layer.training ? Math.max(...step.dy.map((g, i) => Math.abs(g * scaleOf(f, step, i)))) : 0;
        expectClose(dx.data, step.dx, (i, r) => tol(step.dx)(i, r) + 1e-6 * terms, `${run} ${what} dx on ${name}`);
        if (step.dweight) expectClose(layer.weight!.grad, step.dweight, tol(step.dweight), `${run} ${what} dweight on ${name}`);
        if (step.dbias) expectClose(layer.bias!.grad, step.dbias, tol(step.dbias), `${run} ${what} dbias on ${name}`);
        const buffers = layer.stateBuffers();
        expect(buffers.map((b) => b.name)).toEqual(Object.keys(step.state).filter((k) => k !== 'weight' && k !== 'bias'));
        for (const b of buffers) {
          const ref = step.state[b.name];
          expect(b.shape, b.name).toEqual(ref.shape);
          if (b.name === 'num_batches_tracked') expect(b.data[0]).toBe(ref.data[0]);
          else expectClose(b.data, ref.data, tol(ref.data), `${run} ${what} ${b.name} on ${name}`);
        }
      };
      f.train.forEach((step, i) => check(step, `train step ${i}`));
      layer.training = false;
      check(f.eval, 'eval');
      layer.dispose();
    });

    it('Linear-BatchNorm1d-ReLU-Linear trained 4 SGD steps, then evaluated', () => {
      const f = fixture.mlp;
      setBackend(backend);
      const model = new Sequential([new Linear(6, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 3)]);
      model.loadStateDict(toStateDict(f.initial));
      const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), loss: 'crossEntropy' });
      const losses = f.batches.map((b) => trainer.step(Float32Array.from(b.x), Int32Array.from(b.y)));
      expectClose(losses, f.losses, tol(f.losses), `mlp losses on ${name}`);
      const sd = model.stateDict();
      expect(Object.keys(sd)).toEqual(Object.keys(f.final));
      for (const [key, ref] of Object.entries(f.final)) {
        expect(sd[key].shape, key).toEqual(ref.shape);
        expectClose(sd[key].data, ref.data, tol(ref.data), `mlp final ${key} on ${name}`);
      }
      model.eval();
      expectClose(model.forward(Float32Array.from(f.eval_x)), f.eval_logits, tol(f.eval_logits), `mlp eval logits on ${name}`);
      model.dispose();
    });
  });

  describe('gradient checks (float64 central differences)', () => {
    const cases: [string, () => Layer[], number[]][] = [
      ['BatchNorm1d on [C]', () => [new Linear(5, 6), new BatchNorm1d(6), new Tanh(), new Linear(6, 3)], [5]],
      ['BatchNorm1d on [C, L]', () => [new Linear(4, 3), new BatchNorm1d(2, { momentum: null }), new Tanh(), new Flatten(), new Linear(6, 3)], [2, 4]],
      ['BatchNorm2d without affine', () => [new Linear(4, 4), new BatchNorm2d(3, { affine: false }), new Tanh(), new Flatten(), new Linear(24, 3)], [3, 2, 4]],
      ['BatchNorm2d', () => [new Linear(4, 4), new BatchNorm2d(3), new Tanh(), new Flatten(), new Linear(24, 3)], [3, 2, 4]],
      ['Dropout', () => [new Linear(5, 8), new Dropout(0.4), new Tanh(), new Linear(8, 3)], [5]],
      // Tanh's backward reads its output: Dropout after it must not write over that output.
      ['Dropout after Tanh', () => [new Linear(5, 8), new Tanh(), new Dropout(0.4), new Linear(8, 3)], [5]],
      ['BatchNorm1d after Tanh, then Dropout', () => [new Linear(5, 8), new Tanh(), new BatchNorm1d(8), new Dropout(0.2), new Linear(8, 3)], [5]],
    ];
    for (const [what, layers, inputShape] of cases)
      for (const mode of ['train', 'eval'] as const)
        it(`${what} in ${mode} mode`, () => {
          setBackend(backend);
          manualSeed(7);
          const model = new Sequential(layers(), { inputShape });
          const r = rng(13);
          // Non-trivial running statistics for evaluation mode: a few training forwards first.
          for (let i = 0; i < 3; i++) model.forward(randn(r, 4 * model.inFeatures, 2), 4);
          if (mode === 'eval') model.eval();
          const x = randn(r, 4 * model.inFeatures, 1.5);
          const labels = Int32Array.from({ length: 4 }, () => r.int(3));
          const result = gradcheck(model, x, labels, 'crossEntropy');
          expect(result.checked).toBe(model.parameterCount());
          expect(result.ok, JSON.stringify(result.worst)).toBe(true);
          model.dispose();
        });
  });

  it('rejects one value per channel in training (like PyTorch) but not in evaluation', () => {
    setBackend(backend);
    const model = new Sequential([new Linear(3, 4), new BatchNorm1d(4)]);
    expect(() => model.forward(new Float32Array(3), 1)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE', message: 'BatchNorm1d.forward: expected input of shape more than 1 value per channel when training, received [1, 4]' }),
    );
    model.eval();
    expect(model.forward(new Float32Array(3), 1).length).toBe(4);
    // No running statistics: evaluation uses the batch's, so one value per channel is rejected there too.
    const bare = new Sequential([new BatchNorm2d(2, { trackRunningStats: false })], { inputShape: [2, 1, 1] }).eval();
    expect(() => bare.forward(new Float32Array(2), 1)).toThrow(expect.objectContaining({ code: 'ERR_SHAPE' }));
    expect(bare.forward(Float32Array.of(0, 1, 2, 3), 2).length).toBe(4);
  });

  it('validates options and input shapes, and prints like PyTorch', () => {
    setBackend(backend);
    expect(() => new BatchNorm1d(0)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
    expect(() => new BatchNorm2d(3, { eps: 0 })).toThrow(/BatchNorm2d: expected eps to be a finite number > 0/);
    expect(() => new BatchNorm2d(3, { momentum: 1.5 })).toThrow(/momentum/);
    expect(() => new BatchNorm1d(3, { afine: false } as BatchNormOptions)).toThrow(/unknown option 'afine'; did you mean 'affine'/);
    expect(() => new BatchNorm1d(3, { affine: 1 } as unknown as BatchNormOptions)).toThrow(/expected affine to be a boolean/);
    expect(() => new Sequential([new BatchNorm2d(3)], { inputShape: [4, 5, 5] })).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE', message: expect.stringContaining('expected input of BatchNorm2d of shape [3, H, W], received [4, 5, 5]') }),
    );
    expect(() => new Sequential([new BatchNorm1d(3)], { inputShape: [3, 2, 2] })).toThrow(/\[3\] or \[3, L\]/);
    expect(() => new Dropout(1.5)).toThrow(/Dropout: expected p to be a finite number in \[0, 1\]/);
    expect(() => new Dropout(0.5, { rng: 3 } as never)).toThrow(/expected rng to be an Rng/);
    expect(String(new BatchNorm2d(16))).toBe('BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
    expect(String(new BatchNorm1d(4, { momentum: null, affine: false, trackRunningStats: false, eps: 0.001 }))).toBe(
      'BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)',
    );
    expect(String(new Dropout())).toBe('Dropout(p=0.5, inplace=False)');
    expect(String(new Dropout(0))).toBe('Dropout(p=0.0, inplace=False)');
  });

  it('saves running statistics in the state dict under PyTorch names and loads them back', () => {
    setBackend(backend);
    manualSeed(1);
    const a = new Sequential([new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Dropout(0.2), new Linear(4, 2)]);
    const r = rng(3);
    for (let i = 0; i < 2; i++) a.forward(randn(r, 15), 5);
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '4.weight', '4.bias']);
    expect(sd['1.num_batches_tracked']).toEqual({ shape: [], data: Float32Array.of(2) });
    const b = new Sequential([new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Dropout(0.2), new Linear(4, 2)]);
    b.loadStateDict(sd);
    a.eval();
    b.eval();
    const x = randn(r, 6);
    expect(Array.from(b.forward(x, 2))).toEqual(Array.from(a.forward(x, 2)));
  });

  it('Dropout: inverted scaling, kept fraction, identity in evaluation, fresh masks per forward, resumable', () => {
    setBackend(backend);
    const n = 20_000, p = 0.3;
    const gen = new Rng(5);
    const model = new Sequential([new Dropout(p, { rng: gen }), new ReLU()], { inputShape: [n] });
    const x = randn(rng(8), n).map((v) => Math.abs(v) + 0.1);
    const before = x.slice();
    const state = gen.getState();
    const y1 = model.forward(x, 1), y2 = model.forward(x, 1);
    expect(Array.from(x)).toEqual(Array.from(before)); // the caller's input is never overwritten
    let kept = 0, same = 0;
    for (let i = 0; i < n; i++) {
      if (y1[i] !== 0) {
        kept++;
        expect(y1[i]).toBe(Math.fround(x[i] * Math.fround(1 / (1 - p))));
      }
      if ((y1[i] !== 0) === (y2[i] !== 0)) same++;
    }
    expect(Math.abs(kept - n * (1 - p))).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
    expect(same).toBeLessThan(n * 0.7); // independent masks agree on about p² + (1 − p)² = 58 % of elements
    gen.setState(state);
    expect(Array.from(model.forward(x, 1))).toEqual(Array.from(y1)); // the saved generator state replays the mask
    model.eval();
    expect(Array.from(model.forward(x, 1))).toEqual(Array.from(x));
    expect(Array.from(x)).toEqual(Array.from(before));
    model.train();
    const zero = new Sequential([new Dropout(1)], { inputShape: [8] });
    expect(Array.from(zero.forward(x.subarray(0, 8), 1))).toEqual(new Array(8).fill(0));
    const ident = new Sequential([new Dropout(0)], { inputShape: [8] });
    expect(Array.from(ident.forward(x.subarray(0, 8), 1))).toEqual(Array.from(x.subarray(0, 8)));
  });
});

describe('Dropout masks agree across backends', () => {
  it('the same seed gives the same outputs on every backend', () => {
    const x = randn(rng(2), 3 * 50);
    const outs = BACKENDS.map((backend) => {
      setBackend(backend);
      const model = new Sequential([new Linear(50, 50, { rng: new Rng(1) }), new Dropout(0.5, { rng: new Rng(9) })]);
      for (const p of model.parameters()) p.data.fill(0);
      model.parameters()[0].data.forEach((_, i, w) => (w[i] = i % 51 === 0 ? 1 : 0)); // identity weight
      return model.forward(x, 3);
    });
    for (const out of outs) expect(Array.from(out)).toEqual(Array.from(outs[0]));
  });
});
