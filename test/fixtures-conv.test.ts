/**
 * Replays test/fixtures/conv.json (written by test/fixtures/generate.py with torch 1.13) on every backend:
 * Conv2d layers alone (kernel 1/3/5, stride, explicit and 'same' padding, dilation, groups and depthwise,
 * rectangular and odd images) and MaxPool2d/AvgPool2d/AdaptiveAvgPool2d layers alone, each through the layer
 * protocol: the output, and the input (and weight, bias) gradients of Σ y·dy for PyTorch's seeded dy, fed to
 * backwardBuf; then a small CNN (Conv-BatchNorm2d-ReLU-MaxPool ×2, Flatten, Linear on 1×8×8) loaded with
 * loadStateDict (num_batches_tracked included) and trained 3 steps under SGD with momentum, Adam and AdamW:
 * per-step losses and the final state dict, running statistics included.
 *
 * Tolerance, per compared tensor, as in test/fixtures.test.ts: |got − ref| ≤ 1e-5·|ref| + 1e-6·max|ref|.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adam, AdamW, AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, setBackend, SGD, Trainer,
  type Conv2dOptions, type Layer, type Optimizer, type Parameter, type StateDict,
} from '../src/index.js';
import { BACKENDS, expectClose, put, tensorTol as tol } from './helpers.js';

interface TensorJson { shape: number[]; data: number[] }
type StateJson = Record<string, TensorJson>;
interface Probe { shape: number[]; batch: number; x: number[]; y: number[]; out_shape: number[]; dy: number[]; dx: number[] }
interface ConvCase extends Probe {
  options: { in_channels: number; out_channels: number; kernel_size: number | [number, number] } & Record<string, unknown>;
  weight: number[]; bias: number[] | null; dweight: number[]; dbias?: number[];
}
interface PoolCase extends Probe { descent: { class: 'MaxPool2d' | 'AvgPool2d' | 'AdaptiveAvgPool2d'; args: [number]; options: Record<string, unknown> } }
interface CnnRun {
  descent: { class: 'SGD' | 'Adam' | 'AdamW'; options: Record<string, unknown> };
  initial: StateJson; batches: { x: number[]; y: number[] }[]; losses: number[]; final: StateJson;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/conv.json', import.meta.url), 'utf8')) as {
  conv: Record<string, ConvCase>; pool: Record<string, PoolCase>; cnn: Record<string, CnnRun>;
};

function toStateDict(sd: StateJson): StateDict {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
}

/** The Conv2d that torch's keyword arguments describe (descent uses the same option names). */
function conv(o: ConvCase['options']): Conv2d {
  const { in_channels, out_channels, kernel_size, ...rest } = o;
  return new Conv2d(in_channels, out_channels, kernel_size, rest as Conv2dOptions);
}

function pool(d: PoolCase['descent']): Layer {
  if (d.class === 'MaxPool2d') return new MaxPool2d(d.args[0], d.options);
  if (d.class === 'AvgPool2d') return new AvgPool2d(d.args[0], d.options);
  return new AdaptiveAvgPool2d(d.args[0]);
}

/** Forward and backward of one layer through the layer protocol; checks y and dx, returns nothing. */
function replay(backend: (typeof BACKENDS)[number], layer: Layer, f: Probe, context: string) {
  expect(layer.outputShape(f.shape, context)).toEqual(f.out_shape);
  layer.prepare(f.shape, f.batch, false);
  const y = layer.forwardBuf(put(backend, Float32Array.from(f.x)), f.batch);
  expect(y.data.length).toBeGreaterThanOrEqual(f.y.length);
  expectClose(y.data, f.y, tol(f.y), `${context} y`);
  const dx = layer.backwardBuf(put(backend, Float32Array.from(f.dy)), f.batch, false, true)!;
  expectClose(dx.data, f.dx, tol(f.dx), `${context} dx`);
}

const OPTIMIZERS = { SGD, Adam, AdamW } as const;

/** The fixture's small CNN: Conv(1→4)-BN-ReLU-MaxPool → Conv(4→8)-BN-ReLU-MaxPool → Flatten → Linear(32, 3). */
function smallCnn() {
  return new Sequential([
    new Conv2d(1, 4, 3, { padding: 1, bias: false }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(32, 3),
  ], { inputShape: [1, 8, 8] });
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('PyTorch conv/pool fixtures on %s', (name, backend) => {
  describe('Conv2d: output, input, weight and bias gradients of Σ y·dy', () => {
    it.each(Object.keys(fixture.conv))('%s', (key) => {
      const f = fixture.conv[key];
      setBackend(backend);
      const layer = conv(f.options);
      layer.weight.data.set(f.weight);
      expect(layer.bias === null).toBe(f.bias === null);
      if (f.bias) layer.bias!.data.set(f.bias);
      replay(backend, layer, f, `${key} on ${name}`);
      expectClose(layer.weight.grad, f.dweight, tol(f.dweight), `${key} dweight on ${name}`);
      if (f.dbias) expectClose(layer.bias!.grad, f.dbias, tol(f.dbias), `${key} dbias on ${name}`);
      layer.dispose();
    });
  });

  describe('pooling: output and input gradient of Σ y·dy', () => {
    it.each(Object.keys(fixture.pool))('%s', (key) => {
      const f = fixture.pool[key];
      setBackend(backend);
      const layer = pool(f.descent);
      replay(backend, layer, f, `${key} on ${name}`);
      layer.dispose();
    });
  });

  describe('small CNN (Conv-BN-ReLU-MaxPool ×2, Flatten, Linear), 3 steps, cross-entropy', () => {
    it.each(Object.keys(fixture.cnn))('%s', (key) => {
      const run = fixture.cnn[key];
      setBackend(backend);
      const model = smallCnn();
      model.loadStateDict(toStateDict(run.initial));
      const Ctor = OPTIMIZERS[run.descent.class] as unknown as new (p: Parameter[], o: Record<string, unknown>) => Optimizer;
      const trainer = new Trainer(model, { optimizer: new Ctor(model.parameters(), run.descent.options), loss: 'crossEntropy' });
      const losses = run.batches.map((b) => trainer.step(Float32Array.from(b.x), Int32Array.from(b.y)));
      expectClose(losses, run.losses, tol(run.losses), `${key} losses on ${name}`);
      const sd = model.stateDict();
      expect(Object.keys(sd).sort()).toEqual(Object.keys(run.final).sort());
      for (const [k, ref] of Object.entries(run.final)) {
        expect(sd[k].shape, k).toEqual(ref.shape);
        if (k.endsWith('num_batches_tracked')) expect(Array.from(sd[k].data)).toEqual(ref.data);
        else expectClose(sd[k].data, ref.data, tol(ref.data), `${key} final ${k} on ${name}`);
      }
      model.dispose();
    });
  });
});
