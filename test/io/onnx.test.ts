/**
 * ONNX export: onnxruntime-node loads every exported model (one per layer type, opsets 13 and 17) and its outputs
 * match descent's forward on every backend to 1e-5 on seeded random inputs, at batch sizes 1 and 5 (the batch axis
 * is dynamic). The committed test/fixtures/interop/onnx/*.onnx are what descent exports today; onnx-check.json
 * records Debian's python3-onnx checker passing on them (test/fixtures/onnx_check.py, run by hand).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  LeakyReLU,
  Linear,
  MaxPool2d,
  ReLU,
  Rng,
  Sequential,
  setBackend,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
  type Backend,
  type Layer,
} from '../../src/index.js';
import { saveOnnx, toOnnx } from '../../src/io/onnx.js';
import { ONNX_PROTO } from '../../src/io/onnx-schema.js';
import { BACKENDS, expectClose, uniform } from '../helpers.js';

const FIXTURES = new URL('../fixtures/interop/onnx/', import.meta.url).pathname;

interface Case {
  name: string;
  build: (r: Rng) => Layer[];
  inputShape?: number[];
  /** Train-mode forwards before export, so BatchNorm's running statistics are not their initial values. */
  warm?: boolean;
}

/** One model per layer type (each between Linear layers, so weights flow through it). */
const CASES: Case[] = [
  { name: 'linear', build: (r) => [new Linear(5, 4, { rng: r }), new Linear(4, 3, { rng: r, bias: false })] },
  { name: 'relu', build: (r) => [new Linear(5, 7, { rng: r }), new ReLU(), new Linear(7, 3, { rng: r })] },
  { name: 'sigmoid', build: (r) => [new Linear(5, 7, { rng: r }), new Sigmoid(), new Linear(7, 3, { rng: r })] },
  { name: 'tanh', build: (r) => [new Linear(5, 7, { rng: r }), new Tanh(), new Linear(7, 3, { rng: r })] },
  { name: 'leaky_relu', build: (r) => [new Linear(5, 7, { rng: r }), new LeakyReLU(0.2), new Linear(7, 3, { rng: r })] },
  { name: 'elu', build: (r) => [new Linear(5, 7, { rng: r }), new ELU({ alpha: 0.5 }), new Linear(7, 3, { rng: r })] },
  { name: 'gelu', build: (r) => [new Linear(5, 7, { rng: r }), new GELU(), new Linear(7, 3, { rng: r })] },
  { name: 'gelu_tanh', build: (r) => [new Linear(5, 7, { rng: r }), new GELU({ approximate: 'tanh' }), new Linear(7, 3, { rng: r })] },
  { name: 'silu', build: (r) => [new Linear(5, 7, { rng: r }), new SiLU(), new Linear(7, 3, { rng: r })] },
  { name: 'softplus', build: (r) => [new Linear(5, 7, { rng: r }), new Softplus(), new Linear(7, 3, { rng: r })] },
  { name: 'softplus_beta', build: (r) => [new Linear(5, 7, { rng: r }), new Softplus({ beta: 2 }), new Linear(7, 3, { rng: r })] },
  { name: 'softmax', build: (r) => [new Linear(5, 7, { rng: r }), new Tanh(), new Linear(7, 4, { rng: r }), new Softmax()] },
  // Convolution and pooling, NCHW per sample.
  { name: 'conv_maxpool', inputShape: [2, 6, 6], build: (r) => [new Conv2d(2, 4, 3, { padding: 1, rng: r }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(36, 3, { rng: r })] },
  // An even kernel with 'same' pads one more row and column at the bottom and right; dilation 2.
  { name: 'conv_same_dilated', inputShape: [1, 7, 6], build: (r) => [new Conv2d(1, 3, [2, 3], { padding: 'same', dilation: 2, rng: r }), new Tanh(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(3, 2, { rng: r })] },
  { name: 'conv_groups_stride', inputShape: [4, 7, 7], build: (r) => [new Conv2d(4, 6, 3, { stride: 2, groups: 2, bias: false, rng: r }), new AvgPool2d(2, { padding: 1 }), new Flatten(), new Linear(24, 3, { rng: r })] },
  { name: 'avgpool_exclude_pad', inputShape: [2, 5, 5], build: (r) => [new Conv2d(2, 2, 1, { rng: r }), new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), new MaxPool2d([2, 3], { stride: 1, padding: [1, 1] }), new Flatten(), new Linear(24, 2, { rng: r })] },
  // Inference form: running statistics, Dropout as the identity.
  { name: 'batchnorm1d', warm: true, build: (r) => [new Linear(5, 6, { rng: r }), new BatchNorm1d(6, { eps: 1e-3 }), new ReLU(), new Dropout(0.3), new Linear(6, 3, { rng: r })] },
  { name: 'batchnorm2d', warm: true, inputShape: [2, 4, 4], build: (r) => [new Conv2d(2, 3, 3, { padding: 1, rng: r }), new BatchNorm2d(3, { affine: false, momentum: null }), new Tanh(), new Flatten(), new Linear(48, 2, { rng: r })] },
  { name: 'flatten', inputShape: [3, 4], build: (r) => [new Flatten(), new Linear(12, 4, { rng: r }), new ReLU()] },
  // Flatten(start_dim=2) keeps two axes per sample: Reshape, then a Linear over [*, 4] (MatMul + Add).
  { name: 'flatten_dims', inputShape: [2, 2, 2], build: (r) => [new Flatten({ startDim: 2 }), new Linear(4, 3, { rng: r }), new Tanh()] },
];

function model(backend: Backend, c: Case): Sequential {
  setBackend(backend);
  const m = new Sequential(c.build(new Rng(11)), c.inputShape ? { inputShape: c.inputShape } : {});
  if (c.warm) for (let i = 0; i < 3; i++) m.forward(uniform(new Rng(50 + i), 8 * m.inFeatures, -2, 4), 8);
  return m.eval();
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
  return out.output.data as Float32Array;
}

const within = (_i: number, r: number) => 1e-5 * Math.max(1, Math.abs(r));

describe('ONNX export checked by onnxruntime-node', () => {
  for (const c of CASES) {
    for (const opset of c.name === 'gelu' ? [13, 17, 20] : [13, 17]) {
      it(`${c.name}, opset ${opset}: onnxruntime's outputs match descent's forward on every backend`, async () => {
        for (const backend of BACKENDS) {
          const m = model(backend, c);
          const bytes = toOnnx(m, { opset });
          for (const batch of [1, 5]) {
            const x = uniform(new Rng(batch), batch * m.inFeatures, -3, 3);
            const got = await runOnnx(bytes, x, [batch, ...m.inputShape]);
            expect(got.length).toBe(batch * m.outFeatures);
            expectClose(got, m.forward(x, batch), within, `${c.name} opset ${opset} batch ${batch} on ${backend.name}`);
          }
          m.dispose();
        }
      });
    }
  }

  it('writes IR version 8, the opset asked for, a dynamic batch axis and PyTorch names for the weights', () => {
    const m = model(BACKENDS[0], CASES[1]);
    const Model = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
    const decoded = Model.toObject(Model.decode(toOnnx(m)), { longs: Number }) as {
      ir_version: number; opset_import: { domain?: string; version: number }[];
      graph: { input: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[]; initializer: { name: string }[]; node: { op_type: string }[] };
    };
    expect(decoded.ir_version).toBe(8);
    expect(decoded.opset_import).toEqual([{ version: 17 }]);
    expect(decoded.graph.input[0].name).toBe('input');
    expect(decoded.graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 5 }]);
    expect(decoded.graph.initializer.map((t) => t.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(decoded.graph.node.map((n) => n.op_type)).toEqual(['Gemm', 'Relu', 'Gemm']);
  });

  it('rejects what it cannot export, with ERR_OPTION', () => {
    const m = model(BACKENDS[0], CASES[1]);
    expect(() => toOnnx(m, { opset: 12 })).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/opset/) }));
    expect(() => toOnnx(m, { opsets: 17 } as never)).toThrow(/unknown option 'opsets'/);
    expect(() => toOnnx(m, { inputName: 'x', outputName: 'x' })).toThrow(/outputName/);
    setBackend(BACKENDS[0]);
    const untracked = new Sequential([new Linear(3, 2), new BatchNorm1d(2, { trackRunningStats: false })]);
    expect(() => toOnnx(untracked)).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/layer 1.*running statistics/) }));
  });

  it('saveOnnx writes the same bytes to a file', () => {
    const m = model(BACKENDS[0], CASES[2]);
    const file = join(mkdtempSync(join(tmpdir(), 'descent-onnx-')), 'm.onnx');
    saveOnnx(m, file);
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(toOnnx(m)))).toBe(true);
  });
});

describe('exported files checked by python3-onnx (recorded by test/fixtures/onnx_check.py)', () => {
  it('the committed .onnx files are what descent exports today, and onnx.checker passed on each', () => {
    const exported = CASES.map((c) => [c.name, toOnnx(model(BACKENDS[0], c))] as const);
    if (process.env.DESCENT_WRITE_FIXTURES === '1') {
      mkdirSync(FIXTURES, { recursive: true });
      for (const [name, bytes] of exported) writeFileSync(join(FIXTURES, `${name}.onnx`), bytes);
    }
    const record = existsSync(join(FIXTURES, 'onnx-check.json')) ? (JSON.parse(readFileSync(join(FIXTURES, 'onnx-check.json'), 'utf8')) as Record<string, { sha256: string; checker: string; ir_version: number; opset: number }>) : {};
    for (const [name, bytes] of exported) {
      const file = join(FIXTURES, `${name}.onnx`);
      const digest = createHash('sha256').update(bytes).digest('hex');
      expect(createHash('sha256').update(readFileSync(file)).digest('hex'), `${file} (rerun with DESCENT_WRITE_FIXTURES=1)`).toBe(digest);
      expect(record[`${name}.onnx`], `${name}.onnx in onnx-check.json (rerun test/fixtures/onnx_check.py)`).toEqual({ sha256: digest, checker: 'ok', ir_version: 8, opset: 17 });
    }
  });
});
