/**
 * Fully connected layer `y = x·Wᵀ + b` with PyTorch's layout: weight `[out, in]`, bias `[out]`. Forward, weight
 * gradient and input gradient are the three GEMMs of CONTRIBUTING.md §2, so the weight never needs transposing.
 * The bias add rides in the forward GEMM's epilogue (gemm_bias_act_f32); a Sequential also fuses a ReLU that follows
 * into that epilogue and a ReLU in front into the input-gradient GEMM (`forwardAct`, `backwardAct`).
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { allocAllF32 } from '../backends/memory.js';
import { checkInt, checkOptions } from '../check.js';
import { shapeError } from '../errors.js';
import { globalRng, Rng } from '../rng.js';
import { formatShape, Layer, sizeOf, type ParamValues, type Shape } from './layer.js';
import { initializerByName, isInitializer, pytorchDefault, xavier, type Initializer, type InitName } from './init.js';
import { Parameter } from './parameter.js';
import { optionError } from '../errors.js';

/** Options of `Linear`: bias, initialiser, generator. */
export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /**
   * Weight initialiser: a name or an initialiser value. `'auto'` (default) follows the lecture's rule: Kaiming
   * (He) when a ReLU or LeakyReLU follows this layer inside a `Sequential`, Xavier (`std = 1/√fanIn`) otherwise.
   * Biases start at zero, except with `'pytorchDefault'`, which draws them from `U(±1/√fanIn)` like PyTorch.
   */
  init?: 'auto' | InitName | Initializer;
  /** Generator to draw from (default: the global one, seeded by `manualSeed`). */
  rng?: Rng;
}

/**
 * A fully connected layer, `y = x·Wᵀ + b`, like `torch.nn.Linear`: weight `[out, in]`, bias `[out]`. Its
 * `init: 'auto'` default picks Kaiming He when a ReLU-like activation follows in a `Sequential`, else Xavier.
 * @example
 * const fc = new Linear(784, 128);                                  // weight 128×784, bias 128
 * const head = new Linear(128, 10, { bias: false, init: 'xavierUniform' });
 */
export class Linear extends Layer {
  readonly type = 'Linear';
  readonly backend: Backend;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** The initialiser actually used (resolved from `'auto'` once the next layer is known). */
  initializer: Initializer;
  readonly initOption: 'auto' | InitName | Initializer;
  private readonly rng: Rng;
  private x: F32Buf | null = null;
  private y: F32Buf | null = null;
  private dx: F32Buf | null = null;
  /** A length-0 buffer: an absent optional array of a kernel call (no bias, no bias or input gradient). */
  private readonly noBias: F32Buf;
  /** Rows of `inFeatures` in one sample: 1 for `[in]`, L for `[L, in]`. */
  private rowsPerSample = 1;
  /** Rows the scratch buffers hold. */
  private capacity = 0;

  /**
   * @example
   * const layer = new Linear(784, 256);                        // Kaiming if a ReLU follows in a Sequential
   * const head = new Linear(256, 10, { init: 'xavierNormal' });
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const o = checkOptions('Linear', options, ['bias', 'init', 'rng']) as LinearOptions;
    checkInt('Linear', 'inFeatures', inFeatures, 1);
    checkInt('Linear', 'outFeatures', outFeatures, 1);
    if (o.bias !== undefined && typeof o.bias !== 'boolean') throw optionError('Linear', 'bias', 'a boolean', o.bias);
    this.initOption = o.init ?? 'auto';
    if (this.initOption !== 'auto' && !isInitializer(this.initOption)) initializerByName('Linear', this.initOption);
    if (o.rng !== undefined && !(o.rng instanceof Rng)) throw optionError('Linear', 'rng', 'an Rng', o.rng);
    this.rng = o.rng ?? globalRng;
    this.backend = getBackend();
    this.weight = new Parameter('weight', [outFeatures, inFeatures], this.backend);
    this.bias = o.bias === false ? null : new Parameter('bias', [outFeatures], this.backend);
    this.noBias = this.backend.alloc(0);
    this.initializer = this.resolve(null);
    this.resetParameters();
  }

  /** Picks the initialiser: explicit, or by the lecture's rule from the activation that follows. */
  resolve(next: Layer | null): Initializer {
    if (this.initOption !== 'auto') return isInitializer(this.initOption) ? this.initOption : initializerByName('Linear', this.initOption);
    return next?.autoInit?.() ?? xavier();
  }

  /** Draws fresh weights (and zero or PyTorch-default biases) with `initializer`. */
  resetParameters(initializer: Initializer = this.initializer): void {
    this.initializer = initializer;
    initializer.fill(this.weight.data, this.inFeatures, this.outFeatures, this.rng);
    if (this.bias) {
      if (initializer.name === 'pytorchDefault') pytorchDefault().fill(this.bias.data, this.inFeatures, this.outFeatures, this.rng);
      else this.bias.data.fill(0);
    }
  }

  /** PyTorch's `[*, in] → [*, out]`: leading dimensions of a sample are kept (each row is transformed alike). */
  outputShape(inShape: Shape, call: string): number[] {
    if (inShape.length === 0 || inShape[inShape.length - 1] !== this.inFeatures) {
      throw shapeError(call, 'input of Linear', `[*, ${this.inFeatures}]`, formatShape(inShape));
    }
    return [...inShape.slice(0, -1), this.outFeatures];
  }

  fixedInputShape(): number[] {
    return [this.inFeatures];
  }

  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  prepare(inShape: Shape, capacity: number): void {
    this.rowsPerSample = sizeOf(inShape) / this.inFeatures;
    const rows = capacity * this.rowsPerSample;
    if (rows <= this.capacity) return;
    // Allocate first, then swap: an oversized or failed request (ERR_MEMORY) leaves the layer as it was.
    const [y, dx] = allocAllF32(this.backend, [rows * this.outFeatures, rows * this.inFeatures], 'Linear');
    this.freeScratch();
    [this.y, this.dx, this.capacity] = [y, dx, rows];
  }

  forwardBuf(x: F32Buf, samples: number): F32Buf {
    return this.forwardAct(x, samples, 0, 0);
  }

  /**
   * Forward with a ReLU (`slope` 0) or LeakyReLU (`slope` > 0) applied in the GEMM's epilogue when `act` is 1: the
   * output equals this layer's forward followed by the activation's, bit for bit. Sequential's fused path. @internal
   */
  forwardAct(x: F32Buf, samples: number, act: 0 | 1, slope: number): F32Buf {
    const { k } = this.backend, y = this.y!, m = samples * this.rowsPerSample;
    this.x = x;
    if (this.bias || act) k.gemm_bias_act_f32(m, this.outFeatures, this.inFeatures, act, slope, x, this.weight.value, this.bias ? this.bias.value : this.noBias, y);
    else k.gemm_f32(0, 1, m, this.outFeatures, this.inFeatures, 1, x, this.weight.value, 0, y);
    return y;
  }

  backwardBuf(dy: F32Buf, samples: number, accumulate: boolean, inputGrad: boolean): F32Buf | null {
    return this.backwardAct(dy, samples, accumulate, inputGrad, null);
  }

  /**
   * Backward whose input gradient also goes through the backward of the ReLU (`slope` 0) or LeakyReLU in front of
   * this layer, fused into the GEMM's epilogue: that activation's output is this layer's input, so its derivative
   * comes from `x`. `slope` null is the plain backward. Sequential's fused path. @internal
   */
  backwardAct(dy: F32Buf, samples: number, accumulate: boolean, inputGrad: boolean, slope: number | null): F32Buf | null {
    const beta = accumulate ? 1 : 0, m = samples * this.rowsPerSample, none = this.noBias;
    // Weight, bias and input gradients in one call, so a backend may run the two products side by side.
    this.backend.k.linear_bwd_f32(m, this.outFeatures, this.inFeatures, beta, slope === null ? 0 : 1, slope ?? 0, dy, this.x!, this.weight.value,
      this.x!, this.weight.gradBuf, this.bias ? this.bias.gradBuf : none, inputGrad ? this.dx! : none);
    return inputGrad ? this.dx! : null;
  }

  forward64(x: Float64Array, samples: number, inShape: Shape, values: ParamValues): Float64Array {
    const m = samples * (sizeOf(inShape) / this.inFeatures);
    const w = values(this.weight), b = this.bias ? values(this.bias) : null;
    const n = this.outFeatures, kk = this.inFeatures, y = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = b ? b[j] : 0;
        for (let p = 0; p < kk; p++) s += x[i * kk + p] * w[j * kk + p];
        y[i * n + j] = s;
      }
    return y;
  }

  toString(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'})`;
  }

  private freeScratch(): void {
    if (this.y) this.backend.free(this.y);
    if (this.dx) this.backend.free(this.dx);
    this.y = this.dx = this.x = null;
    this.capacity = 0;
  }

  dispose(): void {
    this.freeScratch();
    this.backend.free(this.noBias);
    for (const p of this.parameters()) p.dispose();
  }
}
