/** The compact architecture syntax: tokens, options, presets, and errors that point at the bad token. */
import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, buildModel, parseArchitecture } from '../../src/nn/architecture.js';
import { setBackend } from '../../src/index.js';
import { BACKENDS } from '../helpers.js';

const ACTS = ['relu', 'tanh', 'sigmoid', 'leakyrelu', 'elu', 'gelu', 'gelutanh', 'silu', 'softplus'];

describe('architecture syntax', () => {
  it('parses convolutions with every option, pooling, bn, flatten, fc, dropout and activations', () => {
    const t = parseArchitecture('conv32k3p1, conv8k3x5s2x1d2g4nobias,conv4k3psame,maxpool2,avgpool3s2p1,gap,bn,flatten,fc128,linear10nobias,dropout0.3,dropout,relu,leakyrelu0.2,gelutanh', ACTS);
    expect(t.map((x) => x.layer)).toEqual([
      { kind: 'conv', out: 32, kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true },
      { kind: 'conv', out: 8, kernel: [3, 5], stride: [2, 1], padding: [0, 0], dilation: [2, 2], groups: 4, bias: false },
      { kind: 'conv', out: 4, kernel: [3, 3], stride: [1, 1], padding: 'same', dilation: [1, 1], groups: 1, bias: true },
      { kind: 'maxpool', kernel: [2, 2], stride: null, padding: [0, 0] },
      { kind: 'avgpool', kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
      { kind: 'gap' },
      { kind: 'bn' },
      { kind: 'flatten' },
      { kind: 'fc', out: 128, bias: true },
      { kind: 'fc', out: 10, bias: false },
      { kind: 'dropout', p: 0.3 },
      { kind: 'dropout', p: 0.5 },
      { kind: 'activation', name: 'relu', param: null },
      { kind: 'activation', name: 'leakyrelu', param: 0.2 },
      { kind: 'activation', name: 'gelutanh', param: null },
    ]);
    expect(t[1]).toMatchObject({ index: 2, start: 12, text: 'conv8k3x5s2x1d2g4nobias' });
  });

  it('points at the bad token with a caret and suggests what was meant', () => {
    const spec = 'conv32k3p1,rleu,fc10';
    let message = '';
    try {
      parseArchitecture(spec, ACTS, 'descent train --arch');
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('ERR_OPTION');
    }
    expect(message).toContain("token 2 'rleu': unknown layer");
    const lines = message.split('\n');
    const at = lines.findIndex((l) => l.includes(spec));
    expect(lines[at + 1].indexOf('^')).toBe(lines[at].indexOf('rleu'));
    expect(lines[at + 1].trim()).toBe('^^^^');
    expect(() => parseArchitecture('conv32x3', ACTS)).toThrow(/conv<out>k<k>/);
    expect(() => parseArchitecture('conv32', ACTS)).toThrow(/kernel size/);
    expect(() => parseArchitecture('conv32k3k5', ACTS)).toThrow(/token 1/);
    expect(() => parseArchitecture('dropout1.5', ACTS)).toThrow(/\[0, 1\)/);
    expect(() => parseArchitecture('maxpool2psame', ACTS)).toThrow(/maxpool<k>/);
    expect(() => parseArchitecture('relu,,fc2', ACTS)).toThrow(/token 2 '': empty token/);
    expect(() => parseArchitecture('', ACTS)).toThrow(/comma-separated/);
    expect(() => parseArchitecture('fc0', ACTS)).toThrow(/at least 1 output/);
  });

  it('presets are valid specs ending in the class count', () => {
    for (const [name, preset] of Object.entries(ARCHITECTURES)) {
      const tokens = parseArchitecture(preset(7), ACTS);
      expect(tokens.at(-1)!.layer, name).toEqual({ kind: 'fc', out: 7, bias: true });
    }
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('buildModel on %s', (_name, backend) => {
  it('builds CNN-S with channels and features inferred from the input shape', () => {
    setBackend(backend);
    const model = buildModel('cnn-s', { inputShape: [1, 28, 28], classes: 10 });
    expect(model.layers.map((l) => l.type)).toEqual(['Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear', 'ReLU', 'Linear']);
    expect(model.shapes.map((s) => s.join('x'))).toEqual(['1x28x28', '16x28x28', '16x28x28', '16x14x14', '32x14x14', '32x14x14', '32x7x7', '1568', '128', '128', '10']);
    expect(model.parameterCount()).toBe(16 * 9 + 16 + 32 * 16 * 9 + 32 + 1568 * 128 + 128 + 128 * 10 + 10);
    expect(model.forward(new Float32Array(2 * 784)).length).toBe(20);
  });

  it('picks BatchNorm2d or BatchNorm1d from the shape, and passes activation parameters', () => {
    setBackend(backend);
    const model = buildModel('conv4k3,bn,leakyrelu0.2,gap,flatten,fc6,bn,elu0.5,dropout0.1,fc2', { inputShape: [3, 8, 8] });
    expect(model.layers.map((l) => l.toString())).toEqual([
      'Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))',
      'BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
      'LeakyReLU(negative_slope=0.2)',
      'AdaptiveAvgPool2d(output_size=1)',
      'Flatten(start_dim=1, end_dim=-1)',
      'Linear(in_features=4, out_features=6, bias=True)',
      'BatchNorm1d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
      'ELU(alpha=0.5)',
      'Dropout(p=0.1, inplace=False)',
      'Linear(in_features=6, out_features=2, bias=True)',
    ]);
  });

  it('points at the token whose input does not fit', () => {
    setBackend(backend);
    expect(() => buildModel('conv8k3,relu,fc10', { inputShape: [1, 28, 28] })).toThrow(/token 3 'fc10' cannot take input of shape \[8, 26, 26\]: expected a flat \[features\] input \(add 'flatten' before it\)/);
    expect(() => buildModel('flatten,conv8k3', { inputShape: [1, 28, 28] })).toThrow(/token 2 'conv8k3'.*\[784\]/);
    expect(() => buildModel('conv8k9,maxpool30', { inputShape: [1, 8, 8] })).toThrow(/token 1 'conv8k9'/);
    expect(() => buildModel('cnn', { inputShape: [1, 28, 28] })).toThrow(/number of classes/);
    expect(() => buildModel('gelu0.5', { inputShape: [4] })).toThrow(/no parameter after 'gelu'/);
  });
});
