/**
 * Elementwise activations. Forward may run in place over the previous layer's output; backward uses the forward
 * output `y` (σ′ = y(1−y), tanh′ = 1−y², ReLU′ = [y > 0], LeakyReLU′ = y > 0 ? 1 : slope), which is exact for
 * all four when the LeakyReLU slope is ≥ 0. ReLU′(0) = 0, PyTorch's convention.
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkNumber } from '../check.js';
import type { ActivationName } from '../kernels.js';
import { kaimingNormal, type Initializer } from './init.js';
import { Layer, sizeOf, type Shape } from './layer.js';

/** Float64 forms, shared with diagnostics and gradient checks. */
export const activationFunctions: Record<ActivationName, (x: number, slope: number) => number> = {
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: (x) => Math.tanh(x),
  relu: (x) => (x > 0 ? x : 0),
  leaky_relu: (x, slope) => (x > 0 ? x : slope * x),
};

export abstract class Activation extends Layer {
  abstract readonly kind: ActivationName;
  readonly backend: Backend = getBackend();
  /** LeakyReLU's negative slope; 0 for the others. */
  readonly slope: number = 0;
  readonly elementwise = true;
  private y: F32Buf | null = null;
  private own: F32Buf | null = null;
  private width = 0;
  private inPlace = false;

  outputShape(inShape: Shape): number[] {
    return [...inShape];
  }

  prepare(inShape: Shape, capacity: number, ownsInput: boolean): void {
    const inFeatures = sizeOf(inShape);
    this.width = inFeatures;
    this.inPlace = ownsInput;
    if (!ownsInput && capacity * inFeatures > (this.own?.length ?? 0)) {
      if (this.own) this.backend.free(this.own);
      this.own = this.backend.alloc(capacity * inFeatures);
    }
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    const y = this.inPlace ? x : this.own!;
    const n = m * this.width, k = this.backend.k;
    switch (this.kind) {
      case 'sigmoid': k.sigmoid_fwd_f32(n, x, y); break;
      case 'tanh': k.tanh_fwd_f32(n, x, y); break;
      case 'relu': k.relu_fwd_f32(n, x, y); break;
      case 'leaky_relu': k.leaky_relu_fwd_f32(n, this.slope, x, y); break;
    }
    return (this.y = y);
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    const n = m * this.width, k = this.backend.k, y = this.y!;
    switch (this.kind) {
      case 'sigmoid': k.sigmoid_bwd_f32(n, y, dy, dy); break;
      case 'tanh': k.tanh_bwd_f32(n, y, dy, dy); break;
      case 'relu': k.relu_bwd_f32(n, y, dy, dy); break;
      case 'leaky_relu': k.leaky_relu_bwd_f32(n, this.slope, y, dy, dy); break;
    }
    return dy;
  }

  forward64(x: Float64Array): Float64Array {
    const f = activationFunctions[this.kind];
    return x.map((v) => f(v, this.slope));
  }

  dispose(): void {
    if (this.own) this.backend.free(this.own);
    this.own = this.y = null;
  }
}

/** `σ(x) = 1/(1+e^−x)`: outputs in (0, 1), not zero-centred; σ′ ≤ 1/4 makes deep stacks vanish. @example new Sigmoid() */
export class Sigmoid extends Activation {
  readonly type = 'Sigmoid';
  readonly kind = 'sigmoid';
  toString() { return 'Sigmoid()'; }
}

/** `tanh(x)`: zero-centred, still saturates at ±1. @example new Tanh() */
export class Tanh extends Activation {
  readonly type = 'Tanh';
  readonly kind = 'tanh';
  toString() { return 'Tanh()'; }
}

/** `max(0, x)`: no saturation for x > 0; units with x ≤ 0 for every input are dead. @example new ReLU() */
export class ReLU extends Activation {
  readonly type = 'ReLU';
  readonly kind = 'relu';
  autoInit(): Initializer {
    return kaimingNormal({ nonlinearity: 'relu' });
  }
  toString() { return 'ReLU()'; }
}

/** `x > 0 ? x : slope·x` (PyTorch default slope 0.01): dead units still get a gradient. @example new LeakyReLU(0.1) */
export class LeakyReLU extends Activation {
  readonly type = 'LeakyReLU';
  readonly kind = 'leaky_relu';
  readonly slope: number;
  constructor(readonly negativeSlope = 0.01) {
    super();
    // Backward decides the branch from the output y; that is exact only when slope ≥ 0.
    this.slope = checkNumber('LeakyReLU', 'negativeSlope', negativeSlope, 0);
  }
  autoInit(): Initializer {
    return kaimingNormal({ a: this.slope, nonlinearity: 'leaky_relu' });
  }
  toString() { return `LeakyReLU(negative_slope=${this.negativeSlope})`; }
}

export function activationLayer(name: ActivationName, slope = 0.01): Activation {
  switch (name) {
    case 'sigmoid': return new Sigmoid();
    case 'tanh': return new Tanh();
    case 'relu': return new ReLU();
    case 'leaky_relu': return new LeakyReLU(slope);
  }
}
