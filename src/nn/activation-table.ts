/**
 * The activation table: one record per elementwise activation, and the only place one is added. Layers
 * (src/nn/activations.ts), lab curves and init probes (src/lab/), command-line flags (src/cli/), benchmarks
 * (bench/run.ts) and tests (kernel contract, gradient checks) all iterate over it, so a new record is picked up
 * everywhere. A record holds its kernels, float64 forward and derivative, what its backward reads, its
 * parameters (PyTorch names, defaults and valid ranges), its PyTorch class and repr, and the init rule that a
 * Linear in front of it gets with `init: 'auto'`.
 *
 * Backward from the output `y` (sigmoid, tanh, relu, leaky_relu) lets the forward run in place; the others
 * (GELU and SiLU are not monotonic, so `y` does not determine `x`) keep their input and write their own output.
 */
import type { F32Buf } from '../buffers.js';
import { checkNumber, checkOptions } from '../check.js';
import type { Kernels } from '../kernels.js';
import {
  elu64, eluGrad64, gelu64, geluGrad64, geluTanh64, geluTanhGrad64, sigmoid64, silu64, siluGrad64, softplus64, softplusGrad64,
} from '../special.js';
import { kaimingNormal, type Initializer } from './init.js';

/** A parameter of an activation (ELU's `alpha`, Softplus's `beta`): its name, default and valid range. */
export interface ActivationParam {
  /** descent's option name (camelCase), also the lab's option and, in kebab-case, the command-line flag. */
  readonly name: string;
  /** PyTorch's keyword, as its repr prints it. */
  readonly torch: string;
  readonly default: number;
  /** Valid range, inclusive unless `open` says otherwise (checked with checkNumber). */
  readonly min?: number;
  readonly open?: boolean;
  /** Python prints this value as a float (`alpha=1.0`); otherwise integers print bare (`beta=1`). */
  readonly float?: boolean;
  readonly help: string;
}

/** Parameter values in the record's `params` order. */
export type ParamList = readonly number[];

/** One activation in the table: its kernels, float64 reference, derivative, parameters and what backward reads. */
export interface ActivationRecord {
  /** PyTorch class name. */
  readonly torch: string;
  /** Fixed text in the repr besides the parameters (GELU's `approximate='tanh'`). */
  readonly fixed?: string;
  /** One line for help texts and docs. */
  readonly summary: string;
  readonly params: readonly ActivationParam[];
  /** What backward reads: the forward output `y` (exact for these, may run in place) or the input `x`. */
  readonly backwardFrom: 'x' | 'y';
  /** Output range for histograms, when bounded. */
  readonly range?: readonly [number, number];
  /** `y = act(x)` through the backend kernels; `x === y` allowed. */
  fwd(k: Kernels, n: number, p: ParamList, x: F32Buf, y: F32Buf): void;
  /** `dx = dy·act′`; `saved` is `y` or `x` as `backwardFrom` says; `dy === dx` allowed. */
  bwd(k: Kernels, n: number, p: ParamList, saved: F32Buf, dy: F32Buf, dx: F32Buf): void;
  /** The activation at `x` in float64 (the test oracle). */
  f64(x: number, p: ParamList): number;
  /** The derivative at `x` (from x, whatever the kernels read). */
  grad64(x: number, p: ParamList): number;
  /**
   * The initialiser a Linear before this activation gets with `init: 'auto'`, or null for Xavier. PyTorch's
   * calculate_gain has no entry for ELU, GELU, SiLU or Softplus; the rule here comes from the lab's init probe
   * (`descent lab init --depth 10 --width 1024 --batch 64`, no biases), output std of layer 1 → layer 10:
   *   GELU  Xavier 0.58 → 0.0018, Kaiming 0.83 → 0.42      SiLU      Xavier 0.55 → 0.0013, Kaiming 0.81 → 0.10
   *   ELU   Xavier 0.78 → 0.24,   Kaiming 1.05 → 1.69      Softplus  Xavier 0.52 → 0.48,   Kaiming 0.75 → 1.49
   * ELU, GELU and SiLU keep the positive half like ReLU and squash the negative one, so they lose about half the
   * signal per layer under Xavier (E f(z)² for z ~ N(0, 1): ReLU 0.50, SiLU 0.36, GELU 0.43, ELU 0.65): Kaiming
   * (gain √2). Softplus is not zero-centred (mean ≈ 0.8): Xavier keeps its std, Kaiming doubles it.
   */
  autoInit(p: ParamList): Initializer | null;
}

const TABLE = {
  sigmoid: {
    torch: 'Sigmoid', summary: '1/(1 + e^−x): outputs in (0, 1), not zero-centred; σ′ ≤ 1/4', params: [], backwardFrom: 'y', range: [0, 1],
    fwd: (k, n, _p, x, y) => k.sigmoid_fwd_f32(n, x, y),
    bwd: (k, n, _p, y, dy, dx) => k.sigmoid_bwd_f32(n, y, dy, dx),
    f64: (x) => sigmoid64(x),
    grad64: (x) => sigmoid64(x) * (1 - sigmoid64(x)),
    autoInit: () => null,
  },
  tanh: {
    torch: 'Tanh', summary: 'tanh(x): zero-centred, saturates at ±1', params: [], backwardFrom: 'y', range: [-1, 1],
    fwd: (k, n, _p, x, y) => k.tanh_fwd_f32(n, x, y),
    bwd: (k, n, _p, y, dy, dx) => k.tanh_bwd_f32(n, y, dy, dx),
    f64: (x) => Math.tanh(x),
    grad64: (x) => 1 - Math.tanh(x) ** 2,
    autoInit: () => null,
  },
  relu: {
    torch: 'ReLU', summary: 'max(0, x): no saturation for x > 0; ReLU′(0) = 0', params: [], backwardFrom: 'y',
    fwd: (k, n, _p, x, y) => k.relu_fwd_f32(n, x, y),
    bwd: (k, n, _p, y, dy, dx) => k.relu_bwd_f32(n, y, dy, dx),
    f64: (x) => (x <= 0 ? 0 : x), // NaN passes through, as in PyTorch
    grad64: (x) => (x > 0 ? 1 : 0),
    autoInit: () => kaimingNormal({ nonlinearity: 'relu' }),
  },
  leaky_relu: {
    torch: 'LeakyReLU', summary: 'x > 0 ? x : slope·x: units with x < 0 still get a gradient', backwardFrom: 'y',
    // slope ≥ 0 keeps y > 0 ⇔ x > 0, so backward can decide the branch from y exactly.
    params: [{ name: 'slope', torch: 'negative_slope', default: 0.01, min: 0, help: 'negative slope (≥ 0: backward reads y)' }],
    fwd: (k, n, [slope], x, y) => k.leaky_relu_fwd_f32(n, slope, x, y),
    bwd: (k, n, [slope], y, dy, dx) => k.leaky_relu_bwd_f32(n, slope, y, dy, dx),
    f64: (x, [slope]) => (x > 0 ? x : slope * x),
    grad64: (x, [slope]) => (x > 0 ? 1 : slope),
    autoInit: ([slope]) => kaimingNormal({ a: slope, nonlinearity: 'leaky_relu' }),
  },
  elu: {
    torch: 'ELU', summary: 'x > 0 ? x : alpha·(e^x − 1): smooth, negative outputs push the mean toward 0', backwardFrom: 'x',
    params: [{ name: 'alpha', torch: 'alpha', default: 1, float: true, help: 'value ELU approaches for x → −∞ (negated)' }],
    fwd: (k, n, [alpha], x, y) => k.elu_fwd_f32(n, alpha, x, y),
    bwd: (k, n, [alpha], x, dy, dx) => k.elu_bwd_f32(n, alpha, x, dy, dx),
    f64: (x, [alpha]) => elu64(x, alpha),
    grad64: (x, [alpha]) => eluGrad64(x, alpha),
    autoInit: () => kaimingNormal({ nonlinearity: 'relu' }),
  },
  gelu: {
    torch: 'GELU', fixed: "approximate='none'", summary: 'x·Φ(x), Φ the standard normal CDF (exact, with erf)', params: [], backwardFrom: 'x',
    fwd: (k, n, _p, x, y) => k.gelu_fwd_f32(n, x, y),
    bwd: (k, n, _p, x, dy, dx) => k.gelu_bwd_f32(n, x, dy, dx),
    f64: (x) => gelu64(x),
    grad64: (x) => geluGrad64(x),
    autoInit: () => kaimingNormal({ nonlinearity: 'relu' }),
  },
  gelu_tanh: {
    torch: 'GELU', fixed: "approximate='tanh'", summary: '½x(1 + tanh(√(2/π)(x + 0.044715x³))): GELU\'s tanh approximation', params: [], backwardFrom: 'x',
    fwd: (k, n, _p, x, y) => k.gelu_tanh_fwd_f32(n, x, y),
    bwd: (k, n, _p, x, dy, dx) => k.gelu_tanh_bwd_f32(n, x, dy, dx),
    f64: (x) => geluTanh64(x),
    grad64: (x) => geluTanhGrad64(x),
    autoInit: () => kaimingNormal({ nonlinearity: 'relu' }),
  },
  silu: {
    torch: 'SiLU', summary: 'x·σ(x) (swish): smooth, non-monotonic just below 0', params: [], backwardFrom: 'x',
    fwd: (k, n, _p, x, y) => k.silu_fwd_f32(n, x, y),
    bwd: (k, n, _p, x, dy, dx) => k.silu_bwd_f32(n, x, dy, dx),
    f64: (x) => silu64(x),
    grad64: (x) => siluGrad64(x),
    autoInit: () => kaimingNormal({ nonlinearity: 'relu' }),
  },
  softplus: {
    torch: 'Softplus', summary: 'log(1 + e^(βx))/β: a smooth ReLU; linear where βx > threshold', backwardFrom: 'x',
    params: [
      { name: 'beta', torch: 'beta', default: 1, min: 0, open: true, help: 'sharpness β (> 0)' },
      { name: 'threshold', torch: 'threshold', default: 20, help: 'βx above which Softplus is x itself' },
    ],
    fwd: (k, n, [beta, threshold], x, y) => k.softplus_fwd_f32(n, beta, threshold, x, y),
    bwd: (k, n, [beta, threshold], x, dy, dx) => k.softplus_bwd_f32(n, beta, threshold, x, dy, dx),
    f64: (x, [beta, threshold]) => softplus64(x, beta, threshold),
    grad64: (x, [beta, threshold]) => softplusGrad64(x, beta, threshold),
    autoInit: () => null,
  },
} as const satisfies Record<string, ActivationRecord>;

/** Activation names: the kernel prefix (`gelu_tanh_fwd_f32`), the lab's and the command line's name. */
export type ActivationName = keyof typeof TABLE;

/** Every activation by name: the single list that layers, tests, the lab and the CLI iterate over. */
export const ACTIVATION_TABLE: { readonly [K in ActivationName]: ActivationRecord } = TABLE;

/** Every activation of the table, in table order. */
export const ACTIVATION_NAMES = Object.keys(TABLE) as ActivationName[];

/** Every parameter name any activation takes (`slope`, `alpha`, `beta`, `threshold`): the lab's options. */
export const ACTIVATION_PARAM_NAMES: readonly string[] = [...new Set(ACTIVATION_NAMES.flatMap((n) => TABLE[n].params.map((p: ActivationParam) => p.name)))];

/** Named parameter values, e.g. `{ slope: 0.1 }`. */
export type ActivationParams = Partial<Record<string, number>>;

/**
 * Checks named values against the record (range, finiteness) and returns them in table order, defaults filled
 * in. With `strict`, names the activation does not take are rejected (constructors); otherwise they are ignored
 * (the lab passes one option set to several activations).
 */
export function activationParams(call: string, name: ActivationName, values: ActivationParams = {}, strict = true): number[] {
  const spec = ACTIVATION_TABLE[name];
  if (strict) checkOptions(call, values, spec.params.map((p) => p.name));
  return spec.params.map((p) => checkNumber(call, p.name, values[p.name] ?? p.default, p.min ?? -Infinity, Infinity, { min: p.open }));
}

function pyNumber(v: number, float: boolean | undefined): string {
  return float && Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** PyTorch's repr: `ELU(alpha=1.0)`, `GELU(approximate='tanh')`, `Softplus(beta=1, threshold=20)`. */
export function activationRepr(name: ActivationName, p: ParamList): string {
  const spec = ACTIVATION_TABLE[name];
  const args = spec.params.map((q, i) => `${q.torch}=${pyNumber(p[i], q.float)}`);
  if (spec.fixed) args.push(spec.fixed);
  return `${spec.torch}(${args.join(', ')})`;
}

/** A short label for tables and plots: `leaky_relu(slope=0.01)`, `softplus(beta=1, threshold=20)`, `gelu`. */
export function activationLabel(name: ActivationName, p: ParamList): string {
  const args = ACTIVATION_TABLE[name].params.map((q, i) => `${q.name}=${p[i]}`);
  return args.length ? `${name}(${args.join(', ')})` : name;
}
