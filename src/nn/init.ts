/**
 * Weight initialisers. The lecture's three (small random `0.01·randn`, Xavier `std = 1/√fanIn`, Kaiming He
 * `std = √(2/fanIn)`) plus PyTorch's `torch.nn.init` family with the same gains and fan conventions. Normal
 * draws are exact (Box–Muller), never truncated. Fans follow PyTorch: for a weight `[out, in, k, k]`,
 * `fanIn = in·k²` and `fanOut = out·k²` (the lecture's conv rule `fanIn = k²·C_in`).
 */
import { checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { globalRng, type Rng } from '../rng.js';

/** A weight initialiser: fills a tensor of a given shape (fans from `calculateFans`), drawing from a generator. */
export interface Initializer {
  /** A name for messages and saved configurations, e.g. `kaimingNormal(a=0, fanIn, leaky_relu)`. */
  readonly name: string;
  /** The standard deviation the initialiser draws with, for these fans. */
  std(fanIn: number, fanOut: number): number;
  /** Fills `data` with draws for a weight of these fans. */
  fill(data: Float32Array, fanIn: number, fanOut: number, rng?: Rng): void;
}

/** The nonlinearities `calculateGain` knows, with torch.nn.init's names. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu',
];

/** Which fan Kaiming initialisation preserves: `'fanIn'` (forward activations) or `'fanOut'` (backward gradients). */
export type FanMode = 'fanIn' | 'fanOut';

/**
 * PyTorch's recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for ReLU,
 * √(2/(1+a²)) for LeakyReLU with slope `a` (default 0.01), 3/4 for SELU.
 * @example calculateGain('leaky_relu', 0.2)  // 1.3867…
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  checkOneOf('calculateGain', 'nonlinearity', nonlinearity, NONLINEARITIES);
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param === undefined ? 0.01 : checkNumber('calculateGain', 'param', param);
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      return 1;
  }
}

/** `{ fanIn, fanOut }` of a weight shaped like PyTorch's: `[out, in]` or `[out, in, ...kernel]`. */
export function calculateFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw optionError('calculateFans', 'shape', 'at least 2 dimensions', `[${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** The lecture's conv rule: a `k×k` kernel over `inChannels` channels has `fanIn = k²·C_in`. */
export function convFanIn(kernelSize: number, inChannels: number): number {
  return kernelSize * kernelSize * inChannels;
}

function normal(name: string, std: (fanIn: number, fanOut: number) => number): Initializer {
  return {
    name,
    std,
    fill(data, fanIn, fanOut, rng = globalRng) {
      const s = std(fanIn, fanOut);
      for (let i = 0; i < data.length; i++) data[i] = s * rng.normal();
    },
  };
}

function uniform(name: string, bound: (fanIn: number, fanOut: number) => number): Initializer {
  return {
    name,
    std: (fanIn, fanOut) => bound(fanIn, fanOut) / Math.sqrt(3),
    fill(data, fanIn, fanOut, rng = globalRng) {
      const b = bound(fanIn, fanOut);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniformRange(-b, b);
    },
  };
}

/** All zeros: every unit computes the same thing, the symmetry the lecture warns about. */
export function zeros(): Initializer {
  return { name: 'zeros', std: () => 0, fill: (data) => data.fill(0) };
}

/** The lecture's small random numbers, `scale·randn` (default `0.01·randn`). Collapses deep tanh nets. */
export function smallRandom(scale = 0.01): Initializer {
  checkNumber('init.smallRandom', 'scale', scale, 0);
  return normal(`smallRandom(${scale})`, () => scale);
}

/** The lecture's Xavier: `randn / √fanIn`, i.e. `std = 1/√fanIn`. Keeps tanh activations healthy. */
export function xavier(): Initializer {
  return normal('xavier', (fanIn) => 1 / Math.sqrt(fanIn));
}

/** PyTorch's `xavier_normal_`: `std = gain·√(2/(fanIn + fanOut))`. */
export function xavierNormal(options: { gain?: number } = {}): Initializer {
  const { gain = 1 } = checkOptions('init.xavierNormal', options, ['gain']) as { gain?: number };
  checkNumber('init.xavierNormal', 'gain', gain, 0);
  return normal(`xavierNormal(gain=${gain})`, (fanIn, fanOut) => gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** PyTorch's `xavier_uniform_`: `U(±gain·√(6/(fanIn + fanOut)))`. */
export function xavierUniform(options: { gain?: number } = {}): Initializer {
  const { gain = 1 } = checkOptions('init.xavierUniform', options, ['gain']) as { gain?: number };
  checkNumber('init.xavierUniform', 'gain', gain, 0);
  return uniform(`xavierUniform(gain=${gain})`, (fanIn, fanOut) => gain * Math.sqrt(6 / (fanIn + fanOut)));
}

/** Options of `kaimingNormal`/`kaimingUniform`, as in torch.nn.init. */
export interface KaimingOptions {
  /** Negative slope of the LeakyReLU that follows (used when `nonlinearity` is `'leaky_relu'`). Default 0. */
  a?: number;
  /** `'fanIn'` (default) preserves the forward variance, `'fanOut'` the backward one. `'fan_in'`/`'fan_out'` also accepted. */
  mode?: FanMode | 'fan_in' | 'fan_out';
  /** Default `'leaky_relu'`, as in PyTorch (with `a = 0` that is ReLU's gain √2). */
  nonlinearity?: Nonlinearity;
}

function kaimingParts(call: string, options: KaimingOptions) {
  const o = checkOptions(call, options, ['a', 'mode', 'nonlinearity']) as KaimingOptions;
  const a = checkNumber(call, 'a', o.a ?? 0);
  const mode = checkOneOf(call, 'mode', o.mode ?? 'fanIn', ['fanIn', 'fanOut', 'fan_in', 'fan_out']);
  const nonlinearity = checkOneOf(call, 'nonlinearity', o.nonlinearity ?? 'leaky_relu', NONLINEARITIES);
  const gain = calculateGain(nonlinearity, a);
  const useOut = mode === 'fanOut' || mode === 'fan_out';
  const label = `a=${a}, ${useOut ? 'fanOut' : 'fanIn'}, ${nonlinearity}`;
  return { gain, fan: (fanIn: number, fanOut: number) => (useOut ? fanOut : fanIn), label };
}

/** Kaiming He normal: `std = gain/√fan` (ReLU: `√(2/fanIn)`, the lecture's rule). */
export function kaimingNormal(options: KaimingOptions = {}): Initializer {
  const { gain, fan, label } = kaimingParts('init.kaimingNormal', options);
  return normal(`kaimingNormal(${label})`, (fanIn, fanOut) => gain / Math.sqrt(fan(fanIn, fanOut)));
}

/** Kaiming He uniform: `U(±gain·√(3/fan))`. */
export function kaimingUniform(options: KaimingOptions = {}): Initializer {
  const { gain, fan, label } = kaimingParts('init.kaimingUniform', options);
  return uniform(`kaimingUniform(${label})`, (fanIn, fanOut) => gain * Math.sqrt(3 / fan(fanIn, fanOut)));
}

/** PyTorch's default for `nn.Linear` weights and biases: `U(±1/√fanIn)` (kaiming_uniform with a = √5). */
export function pytorchDefault(): Initializer {
  return uniform('pytorchDefault', (fanIn) => 1 / Math.sqrt(fanIn));
}

/** Names accepted wherever an initialiser is: `new Linear(4, 8, { init: 'kaimingNormal' })`. */
export const INIT_NAMES = ['zeros', 'smallRandom', 'xavier', 'xavierNormal', 'xavierUniform', 'kaimingNormal', 'kaimingUniform', 'pytorchDefault'] as const;
/** The initialisers that `Linear`'s `init` option accepts by name. */
export type InitName = (typeof INIT_NAMES)[number];

/** The initialiser for a name (`'xavier'`, …); throws `ERR_OPTION` with the known names otherwise. */
export function initializerByName(call: string, name: unknown): Initializer {
  switch (checkOneOf(call, 'init', name, INIT_NAMES)) {
    case 'zeros': return zeros();
    case 'smallRandom': return smallRandom();
    case 'xavier': return xavier();
    case 'xavierNormal': return xavierNormal();
    case 'xavierUniform': return xavierUniform();
    case 'kaimingNormal': return kaimingNormal();
    case 'kaimingUniform': return kaimingUniform();
    case 'pytorchDefault': return pytorchDefault();
  }
}

/** Whether a value is an initialiser object (rather than a name). */
export function isInitializer(value: unknown): value is Initializer {
  return typeof value === 'object' && value !== null && typeof (value as Initializer).fill === 'function' && typeof (value as Initializer).std === 'function';
}
