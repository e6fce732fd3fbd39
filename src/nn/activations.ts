/**
 * Elementwise activation layers, all driven by the activation table (src/nn/activation-table.ts): its record
 * gives the kernels, what backward reads, the parameters and the init rule. Activations whose backward reads
 * the output `y` (sigmoid, tanh, ReLU, LeakyReLU with slope ≥ 0) run in place over the previous layer's output
 * when the model owns it; those whose backward reads the input `x` (ELU, GELU, SiLU, Softplus) keep a reference
 * to `x` and write their own output buffer. `Softmax` (dim 1) is for inference: its backward throws.
 */
import { grow } from '../backends/memory.js';
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkOneOf, checkOptions } from '../check.js';
import { optionError, stateError } from '../errors.js';
import {
  ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams, activationRepr, type ActivationName, type ActivationParams, type ActivationRecord,
} from './activation-table.js';
import type { Initializer } from './init.js';
import { expectRank, Layer, sizeOf, type Shape } from './layer.js';

/** Float64 forms `f(x, ...params)` (missing parameters take their defaults), shared with diagnostics and gradient checks. */
export const activationFunctions = Object.fromEntries(
  ACTIVATION_NAMES.map((name) => {
    const spec = ACTIVATION_TABLE[name];
    return [name, (x: number, ...p: number[]) => spec.f64(x, spec.params.map((q, i) => p[i] ?? q.default))];
  }),
) as Record<ActivationName, (x: number, ...params: number[]) => number>;

/**
 * An activation of the table by name, with its parameters in table order (validated by the caller or by
 * `activationLayer`). The named subclasses below are the public PyTorch-style constructors.
 * @example
 * const act: Activation = new LeakyReLU(0.1);        // or activationLayer('leaky_relu', { slope: 0.1 })
 * const model = new Sequential([new Linear(4, 8), act, new Linear(8, 1)]);
 */
export class Activation extends Layer {
  readonly type: string;
  readonly backend: Backend = getBackend();
  /** LeakyReLU's negative slope; 0 for the others. */
  readonly slope: number;
  readonly elementwise = true;
  private readonly spec: ActivationRecord;
  /** What backward reads: the output (in place allowed) or the input. */
  private saved: F32Buf | null = null;
  private own: F32Buf | null = null;
  private width = 0;
  private inPlace = false;

  constructor(
    readonly kind: ActivationName,
    /** Parameter values in the table's order. */
    readonly params: readonly number[] = activationParams('Activation', kind),
  ) {
    super();
    this.spec = ACTIVATION_TABLE[kind];
    this.type = this.spec.torch;
    this.slope = kind === 'leaky_relu' ? params[0] : 0;
    this.keepsOutput = this.spec.backwardFrom === 'y';
    // LeakyReLU(0) stays unfused: the epilogue's slope 0 is ReLU, whose negative outputs are +0 where
    // leaky_relu_fwd_f32 gives −0, and fused and unfused paths must agree bit for bit.
    this.fusedSlope = kind === 'relu' ? 0 : kind === 'leaky_relu' && params[0] > 0 ? params[0] : null;
  }

  /**
   * The slope a GEMM epilogue (gemm_bias_act_f32, gemm_act_bwd_f32) applies for this activation: 0 for ReLU, the
   * negative slope of a LeakyReLU with slope > 0, null for activations that run as layers of their own. @internal
   */
  readonly fusedSlope: number | null;

  /**
   * Takes `y`, already activated by the Linear in front (its fused epilogue), as this layer's output: backward then
   * reads it as if this layer had written it. Sequential's fused path. @internal
   */
  adoptFused(y: F32Buf): F32Buf {
    this.saved = y;
    return y;
  }

  readonly keepsOutput: boolean;

  /**
   * Runs this activation in place on `count` values of `h` (the output of the MaxPool2d that followed it) and keeps
   * `h` for backward. Sequential's swapped ReLU→MaxPool2d path. @internal
   */
  activateInPlace(h: F32Buf, count: number): F32Buf {
    this.spec.fwd(this.backend.k, count, this.params, h, h);
    this.saved = h;
    return h;
  }

  /** The backward of `activateInPlace`, in place on `count` values of `dy`. @internal */
  backwardInPlace(dy: F32Buf, count: number): F32Buf {
    this.spec.bwd(this.backend.k, count, this.params, this.saved!, dy, dy);
    return dy;
  }

  outputShape(inShape: Shape): number[] {
    return [...inShape];
  }

  autoInit(): Initializer | null {
    return this.spec.autoInit(this.params);
  }

  prepare(inShape: Shape, capacity: number, ownsInput: boolean): void {
    const inFeatures = sizeOf(inShape);
    this.width = inFeatures;
    // Overwriting x is safe only when backward does not read it.
    this.inPlace = ownsInput && this.spec.backwardFrom === 'y';
    if (!this.inPlace && capacity * inFeatures > (this.own?.length ?? 0)) {
      this.own = grow(this.backend, this.own, capacity * inFeatures, this.type);
    }
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    const y = this.inPlace ? x : this.own!;
    this.spec.fwd(this.backend.k, m * this.width, this.params, x, y);
    this.saved = this.spec.backwardFrom === 'y' ? y : x;
    return y;
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    this.spec.bwd(this.backend.k, m * this.width, this.params, this.saved!, dy, dy);
    return dy;
  }

  forward64(x: Float64Array): Float64Array {
    return x.map((v) => this.spec.f64(v, this.params));
  }

  toString(): string {
    return activationRepr(this.kind, this.params);
  }

  dispose(): void {
    if (this.own) this.backend.free(this.own);
    this.own = this.saved = null;
  }
}

/** `σ(x) = 1/(1+e^−x)`: outputs in (0, 1), not zero-centred; σ′ ≤ 1/4 makes deep stacks vanish. @example new Sigmoid() */
export class Sigmoid extends Activation {
  constructor() {
    super('sigmoid', []);
  }
}

/** `tanh(x)`: zero-centred, still saturates at ±1. @example new Tanh() */
export class Tanh extends Activation {
  constructor() {
    super('tanh', []);
  }
}

/** `max(0, x)`: no saturation for x > 0; units with x ≤ 0 for every input are dead. @example new ReLU() */
export class ReLU extends Activation {
  constructor() {
    super('relu', []);
  }
}

/** `x > 0 ? x : slope·x` (PyTorch default slope 0.01): dead units still get a gradient. @example new LeakyReLU(0.1) */
export class LeakyReLU extends Activation {
  constructor(readonly negativeSlope = 0.01) {
    // Backward decides the branch from the output y; that is exact only when slope ≥ 0.
    super('leaky_relu', activationParams('LeakyReLU', 'leaky_relu', { slope: negativeSlope }));
  }
}

/** `x > 0 ? x : alpha·(eˣ − 1)` (PyTorch default alpha 1.0). @example new ELU({ alpha: 0.5 }) */
export class ELU extends Activation {
  constructor(options: { alpha?: number } = {}) {
    super('elu', activationParams('ELU', 'elu', options));
  }
}

/**
 * `x·Φ(x)` with Φ the standard normal CDF, or PyTorch's tanh approximation with `approximate: 'tanh'`.
 * @example new GELU(); new GELU({ approximate: 'tanh' })
 */
export class GELU extends Activation {
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    const o = checkOptions('GELU', options, ['approximate']) as { approximate?: string };
    const approximate = checkOneOf('GELU', 'approximate', o.approximate ?? 'none', ['none', 'tanh']);
    super(approximate === 'tanh' ? 'gelu_tanh' : 'gelu', []);
  }
}

/** `x·σ(x)` (swish). @example new SiLU() */
export class SiLU extends Activation {
  constructor() {
    super('silu', []);
  }
}

/** `log(1 + e^(βx))/β`, and `x` where `βx > threshold` (PyTorch defaults 1 and 20). @example new Softplus({ beta: 2 }) */
export class Softplus extends Activation {
  constructor(options: { beta?: number; threshold?: number } = {}) {
    super('softplus', activationParams('Softplus', 'softplus', options));
  }
}

/**
 * An activation layer by table name and named parameters (`{ slope }`, `{ alpha }`, `{ beta, threshold }`); a
 * number is LeakyReLU's slope (the older form) and is ignored by activations without one.
 * @example activationLayer('leaky_relu', { slope: 0.2 }); activationLayer('gelu_tanh')
 */
export function activationLayer(name: ActivationName, params: number | ActivationParams = {}): Activation {
  const kind = checkOneOf('activationLayer', 'name', name, ACTIVATION_NAMES);
  const named = typeof params === 'number' ? { slope: params } : params;
  const values = activationParams('activationLayer', kind, named, typeof params !== 'number');
  return new Activation(kind, values);
}

/**
 * Row softmax over the features (PyTorch `Softmax(dim=1)`), max-subtracted, for the output layer at inference.
 * Training through it is refused: cross-entropy on the logits (the model without Softmax) is the exact and
 * stable form of the same objective.
 * @example const probs = new Sequential([...layers, new Softmax()]).forward(x);
 */
export class Softmax extends Layer {
  readonly type = 'Softmax';
  readonly backend: Backend = getBackend();
  private own: F32Buf | null = null;
  private width = 0;
  private inPlace = false;

  constructor(options: { dim?: number } = {}) {
    super();
    const o = checkOptions('Softmax', options, ['dim']) as { dim?: unknown };
    if (o.dim !== undefined && o.dim !== 1 && o.dim !== -1) throw optionError('Softmax', 'dim', '1 or -1 (the feature axis)', o.dim);
  }

  /** Rows of features only: PyTorch's dim 1 of an image batch would be the channels, which this layer does not do. */
  outputShape(inShape: Shape, call: string): number[] {
    expectRank(call, 'Softmax', inShape, [1], '[features] (flatten first)');
    return [...inShape];
  }

  prepare(inShape: Shape, capacity: number, ownsInput: boolean): void {
    const inFeatures = sizeOf(inShape);
    this.width = inFeatures;
    this.inPlace = ownsInput;
    if (!ownsInput && capacity * inFeatures > (this.own?.length ?? 0)) {
      this.own = grow(this.backend, this.own, capacity * inFeatures, this.type);
    }
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    const y = this.inPlace ? x : this.own!;
    this.backend.k.softmax_fwd_f32(m, this.width, x, y);
    return y;
  }

  backwardBuf(): F32Buf | null {
    throw stateError('Softmax.backward', 'Softmax is for inference; to train, drop it and use the crossEntropy loss on the logits (it applies log-softmax itself)');
  }

  forward64(x: Float64Array, m: number, inShape: Shape): Float64Array {
    const inFeatures = sizeOf(inShape);
    const y = new Float64Array(x.length);
    for (let i = 0; i < m; i++) {
      const row = x.subarray(i * inFeatures, (i + 1) * inFeatures);
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
      let sum = 0;
      for (let j = 0; j < inFeatures; j++) sum += y[i * inFeatures + j] = Math.exp(row[j] - max);
      for (let j = 0; j < inFeatures; j++) y[i * inFeatures + j] /= sum;
    }
    return y;
  }

  toString(): string {
    return 'Softmax(dim=1)';
  }

  dispose(): void {
    if (this.own) this.backend.free(this.own);
    this.own = null;
  }
}
