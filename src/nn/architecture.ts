/**
 * A compact, comma-separated architecture syntax for the CLI and the API, and the named presets built on it:
 *
 *   conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,maxpool2,flatten,fc128,relu,dropout0.3,fc10
 *
 * | token                        | layer                                                                    |
 * |------------------------------|--------------------------------------------------------------------------|
 * | `conv<out>k<k>` + options    | Conv2d; options `s<stride>`, `p<pad>` / `psame` / `pvalid`, `d<dilation>`, |
 * |                              | `g<groups>`, `nobias`; sizes may be pairs: `k3x5`, `s1x2`, `p1x2`        |
 * | `maxpool<k>`, `avgpool<k>`   | MaxPool2d / AvgPool2d; options `s<stride>`, `p<pad>`                      |
 * | `gap`                        | AdaptiveAvgPool2d(1) (global average pooling)                             |
 * | `bn`                         | BatchNorm2d after a [C, H, W] output, BatchNorm1d after [F] or [C, L]     |
 * | `flatten`                    | Flatten                                                                  |
 * | `fc<out>`, `linear<out>`     | Linear (input features inferred); option `nobias`                        |
 * | `dropout<p>`                 | Dropout (default p 0.5)                                                  |
 * | an activation name           | `relu`, `tanh`, `sigmoid`, `leakyrelu<slope>`, `elu<alpha>`, `gelu`, …    |
 *
 * Channels and features are inferred from the input shape, so a spec never repeats them. Errors point at the token:
 *   --arch: unknown layer 'conv32x3' (token 1); did you mean conv<out>k<k>…?
 *     conv32x3,relu
 *     ^^^^^^^^
 */
import { optionError } from '../errors.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, type ActivationName } from './activation-table.js';
import { activationLayer } from './activations.js';
import { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { formatShape, type Layer } from './layer.js';
import { Linear } from './linear.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling.js';
import { Sequential } from './sequential.js';
import type { Rng } from '../rng.js';

export type PairSpec = [number, number];

export type ArchLayer =
  | { kind: 'conv'; out: number; kernel: PairSpec; stride: PairSpec; padding: PairSpec | 'same' | 'valid'; dilation: PairSpec; groups: number; bias: boolean }
  | { kind: 'maxpool' | 'avgpool'; kernel: PairSpec; stride: PairSpec | null; padding: PairSpec }
  | { kind: 'gap' }
  | { kind: 'bn' }
  | { kind: 'flatten' }
  | { kind: 'fc'; out: number; bias: boolean }
  | { kind: 'dropout'; p: number }
  | { kind: 'activation'; name: string; param: number | null };

/** One parsed token with where it came from (for errors that point at it). */
export interface ArchToken {
  readonly layer: ArchLayer;
  readonly text: string;
  /** 1-based position in the list. */
  readonly index: number;
  /** Character offset in the spec. */
  readonly start: number;
}

/**
 * Named architectures. `classes` sets the last layer's width. `cnn` is the Fashion-MNIST recipe of the README;
 * `cnn-s` the CNN-S benchmark workload; `2conv` the "2 Conv+pooling" net of Fashion-MNIST's benchmark table.
 */
export const ARCHITECTURES: Readonly<Record<string, (classes: number) => string>> = {
  /** LeCun et al. 1998 with ReLU and max pooling (the modern reading), padded to take 28×28 images. */
  lenet5: (c) => `conv6k5p2,relu,maxpool2,conv16k5,relu,maxpool2,flatten,fc120,relu,fc84,relu,fc${c}`,
  cnn: (c) => `conv32k3p1,bn,relu,maxpool2,conv64k3p1,bn,relu,maxpool2,flatten,fc128,relu,dropout0.3,fc${c}`,
  'cnn-s': (c) => `conv16k3p1,relu,maxpool2,conv32k3p1,relu,maxpool2,flatten,fc128,relu,fc${c}`,
  '2conv': (c) => `conv32k5p2,relu,maxpool2,conv64k5p2,relu,maxpool2,flatten,fc1024,relu,fc${c}`,
};

const KINDS = ['conv', 'maxpool', 'avgpool', 'gap', 'bn', 'flatten', 'fc', 'linear', 'dropout'];

/** A RangeError (code ERR_OPTION) that shows the spec with a caret under the offending token. */
function tokenError(call: string, spec: string, start: number, length: number, message: string): Error {
  const caret = `${' '.repeat(start)}${'^'.repeat(Math.max(1, length))}`;
  const error = new RangeError(`${call}: ${message}\n    ${spec}\n    ${caret}`);
  return Object.defineProperty(error, 'code', { value: 'ERR_OPTION', enumerable: true });
}

const PAIR = '(\\d+)(?:x(\\d+))?';

function pair(a: string, b: string | undefined): PairSpec {
  return [Number(a), Number(b ?? a)];
}

/** Parses the options after `conv<out>` / `maxpool<k>`: `k3`, `s2`, `p1`, `psame`, `d2`, `g4`, `nobias`, pairs `3x5`. */
function parseOptions(text: string, allowed: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const option = new RegExp(`^(?:([${allowed}])(same|valid|${PAIR})|(nobias))`);
  let rest = text;
  while (rest.length) {
    const m = option.exec(rest);
    if (!m) return null;
    const key = m[1] ?? m[5];
    if (out.has(key)) return null;
    out.set(key, m[1] ? m[2] : '');
    rest = rest.slice(m[0].length);
  }
  return out;
}

function optionPair(options: Map<string, string>, key: string, fallback: PairSpec): PairSpec {
  const v = options.get(key);
  if (v === undefined) return fallback;
  const m = new RegExp(`^${PAIR}$`).exec(v);
  return m ? pair(m[1], m[2]) : fallback;
}

/**
 * Parses a layer list into tokens (syntax only: shapes are checked when the model is built).
 * @example parseArchitecture('conv16k3p1,relu,maxpool2,flatten,fc10').map((t) => t.layer.kind)
 */
export function parseArchitecture(spec: string, activations: readonly string[], call = 'architecture'): ArchToken[] {
  if (typeof spec !== 'string' || spec.trim() === '') throw optionError(call, 'architecture', 'a comma-separated layer list like conv16k3p1,relu,maxpool2,flatten,fc10', spec);
  const tokens: ArchToken[] = [];
  let offset = 0;
  spec.split(',').forEach((raw, i) => {
    const start = offset + (raw.length - raw.trimStart().length);
    offset += raw.length + 1;
    const text = raw.trim().toLowerCase();
    const fail = (message: string): never => {
      throw tokenError(call, spec, start, raw.trim().length, `token ${i + 1} '${raw.trim()}': ${message}`);
    };
    if (text === '') fail('empty token');
    const layer = parseToken(text, activations, fail);
    tokens.push({ layer, text, index: i + 1, start });
  });
  return tokens;
}

function parseToken(text: string, activations: readonly string[], fail: (message: string) => never): ArchLayer {
  let m: RegExpExecArray | null;
  if ((m = /^conv(\d+)(.*)$/.exec(text))) {
    const options = parseOptions(m[2], 'kspdg');
    if (!options) fail(`expected conv<out>k<k> then options s<stride> p<pad>|psame|pvalid d<dilation> g<groups> nobias, e.g. conv32k3p1`);
    if (!options!.has('k')) fail('a convolution needs its kernel size, e.g. conv32k3');
    const p = options!.get('p');
    const out = Number(m[1]);
    if (out < 1) fail('a convolution needs at least 1 output channel');
    return {
      kind: 'conv',
      out,
      kernel: optionPair(options!, 'k', [1, 1]),
      stride: optionPair(options!, 's', [1, 1]),
      padding: p === 'same' || p === 'valid' ? p : optionPair(options!, 'p', [0, 0]),
      dilation: optionPair(options!, 'd', [1, 1]),
      groups: Number(options!.get('g') ?? 1),
      bias: !options!.has('nobias'),
    };
  }
  if ((m = /^(maxpool|avgpool)(\d+(?:x\d+)?)(.*)$/.exec(text))) {
    const options = parseOptions(m[3], 'sp');
    if (!options || options.has('nobias') || ['same', 'valid'].includes(options.get('p') ?? '')) fail(`expected ${m[1]}<k> then options s<stride> p<pad>, e.g. ${m[1]}2 or ${m[1]}3s2p1`);
    const k = /^(\d+)(?:x(\d+))?$/.exec(m[2])!;
    return { kind: m[1] as 'maxpool' | 'avgpool', kernel: pair(k[1], k[2]), stride: options!.has('s') ? optionPair(options!, 's', [1, 1]) : null, padding: optionPair(options!, 'p', [0, 0]) };
  }
  if (text === 'gap') return { kind: 'gap' };
  if (text === 'bn') return { kind: 'bn' };
  if (text === 'flatten') return { kind: 'flatten' };
  if ((m = /^(?:fc|linear)(\d+)(nobias)?$/.exec(text))) {
    if (Number(m[1]) < 1) fail('a Linear layer needs at least 1 output');
    return { kind: 'fc', out: Number(m[1]), bias: !m[2] };
  }
  if ((m = /^dropout(\d*\.?\d*)$/.exec(text))) {
    const p = m[1] === '' ? 0.5 : Number(m[1]);
    if (!(p >= 0 && p < 1)) fail('dropout probability must be in [0, 1), e.g. dropout0.3');
    return { kind: 'dropout', p };
  }
  // Longest name first (gelu_tanh before gelu); underscores optional (leakyrelu0.2 = leaky_relu0.2).
  for (const name of [...activations].sort((a, b) => b.length - a.length)) {
    for (const form of new Set([name, name.replace(/_/g, '')])) {
      if (!text.startsWith(form)) continue;
      const rest = text.slice(form.length);
      if (rest === '') return { kind: 'activation', name, param: null };
      if (/^\d*\.?\d+$/.test(rest)) return { kind: 'activation', name, param: Number(rest) };
    }
  }
  const head = /^[a-z]+/.exec(text)?.[0] ?? text;
  const known = [...KINDS, ...activations];
  const close = known.filter((k) => k.startsWith(head.slice(0, 3)) || head.startsWith(k)).slice(0, 3);
  return fail(`unknown layer${close.length ? `; did you mean ${close.join(' or ')}?` : ''} (layers: ${known.join(', ')})`);
}

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Per-sample input shape (`[1, 28, 28]`, `[4]`). */
  inputShape: readonly number[];
  /** Width of the last layer of a preset (the number of classes). */
  classes?: number;
  /** Generator for the initial weights (default: the global one, seeded by `manualSeed`). */
  rng?: Rng;
  /** Generator for Dropout's masks (default: the global one). */
  dropoutRng?: Rng;
  /** Name of the call in error messages (`descent train --arch`). */
  call?: string;
}

/**
 * Builds a Sequential from a layer list or a preset name (`cnn`, `lenet5`, …, with `classes` outputs), inferring
 * every layer's input channels and features from `inputShape`. Shape errors point at the token that cannot fit.
 * @example
 * const model = buildModel('conv16k3p1,relu,maxpool2,flatten,fc10', { inputShape: [1, 28, 28] });
 * const cnn = buildModel('cnn', { inputShape: [1, 28, 28], classes: 10 });
 */
export function buildModel(spec: string, options: BuildOptions): Sequential {
  const call = options.call ?? 'buildModel';
  const preset = Object.hasOwn(ARCHITECTURES, spec) ? ARCHITECTURES[spec] : undefined;
  if (preset && options.classes === undefined) throw optionError(call, 'classes', `the number of classes for the preset '${spec}'`, undefined);
  const text = preset ? preset(options.classes!) : spec;
  const tokens = parseArchitecture(text, ACTIVATION_NAMES, call);
  let shape: readonly number[] = options.inputShape;
  const layers: Layer[] = [];
  for (const token of tokens) {
    try {
      const layer = makeLayer(token.layer, shape, options);
      shape = layer.outputShape(shape, call);
      layers.push(layer);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(/^.*?: expected /, 'expected ') : String(error);
      throw tokenError(call, text, token.start, token.text.length, `token ${token.index} '${token.text}' cannot take input of shape ${formatShape(shape)}: ${message}`);
    }
  }
  return new Sequential(layers, { inputShape: options.inputShape });
}

function makeLayer(l: ArchLayer, shape: readonly number[], { rng, dropoutRng }: BuildOptions): Layer {
  switch (l.kind) {
    case 'conv':
      if (shape.length !== 3) throw new RangeError(`expected a [C, H, W] input (add the convolution before flatten)`);
      return new Conv2d(shape[0], l.out, l.kernel, { stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups, bias: l.bias, ...(rng ? { rng } : {}) });
    case 'maxpool':
      return new MaxPool2d(l.kernel, l.stride ? { stride: l.stride, padding: l.padding } : { padding: l.padding });
    case 'avgpool':
      return new AvgPool2d(l.kernel, l.stride ? { stride: l.stride, padding: l.padding } : { padding: l.padding });
    case 'gap':
      return new AdaptiveAvgPool2d(1);
    case 'bn':
      if (shape.length === 3) return new BatchNorm2d(shape[0]);
      if (shape.length === 1 || shape.length === 2) return new BatchNorm1d(shape[0]);
      throw new RangeError(`expected a [F], [C, L] or [C, H, W] input for batch normalisation`);
    case 'flatten':
      return new Flatten();
    case 'fc':
      if (shape.length !== 1) throw new RangeError(`expected a flat [features] input (add 'flatten' before it)`);
      return new Linear(shape[0], l.out, { bias: l.bias, ...(rng ? { rng } : {}) });
    case 'dropout':
      return new Dropout(l.p, dropoutRng ? { rng: dropoutRng } : {});
    case 'activation': {
      if (l.param === null) return activationLayer(l.name as ActivationName);
      // A number after the name sets the activation's first parameter (leaky_relu0.2: slope, elu0.5: alpha).
      const first = ACTIVATION_TABLE[l.name as ActivationName].params[0];
      if (!first) throw new RangeError(`expected no parameter after '${l.name}'`);
      return activationLayer(l.name as ActivationName, { [first.name]: l.param });
    }
  }
}
