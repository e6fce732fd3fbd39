/**
 * Batch normalisation with PyTorch's semantics (`nn.BatchNorm1d`, `nn.BatchNorm2d`). Per channel over the batch
 * (and the length or spatial positions): training normalises with the batch mean and biased variance and updates
 * `running_mean`/`running_var` (the variance unbiased, N/(N − 1)) with `momentum`, or with the cumulative average
 * when `momentum` is null; evaluation normalises with the running statistics (or the batch's when
 * `trackRunningStats` is false). Layout: a batch of samples `[C]`, `[C, L]` or `[C, H, W]` is `[n, c, hw]` for
 * the kernels. Backward writes the input gradient over the output gradient (allowed by the layer protocol).
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkBool, checkInt, checkNumber, checkOptions } from '../check.js';
import { shapeError } from '../errors.js';
import { expectRank, formatShape, Layer, sizeOf, type ParamValues, type Shape, type StateBuffer } from './layer.js';
import { Parameter } from './parameter.js';
import { pyFloat } from './repr.js';

/** Options of `BatchNorm1d`/`BatchNorm2d`, torch.nn.BatchNorm's in camelCase (eps, momentum, affine, running statistics). */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1); `null`: cumulative moving average. */
  momentum?: number | null;
  /** Learnable per-channel scale `weight` (γ, starts at 1) and shift `bias` (β, starts at 0) (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them evaluation uses batch statistics. */
  trackRunningStats?: boolean;
}

abstract class BatchNorm extends Layer {
  readonly backend: Backend = getBackend();
  readonly initPassThrough = true;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  /** Running statistics (backend memory, so kernels update them in place); null without trackRunningStats. */
  private readonly runningMean: F32Buf | null;
  private readonly runningVar: F32Buf | null;
  /** PyTorch's int64 counter, held as a float (exact up to 2²⁴ batches). */
  private readonly batchesTracked = new Float32Array(1);
  private readonly saveMean: F32Buf;
  private readonly saveInvstd: F32Buf;
  private readonly none: F32Buf;
  private y: F32Buf | null = null;
  private x: F32Buf | null = null;
  private capacity = 0;
  /** Values per channel in one sample (1, L or H·W), set by prepare. */
  private hw = 1;
  /** Whether the last forward normalised with batch statistics (backward differentiates through them then). */
  private batchStats = true;

  constructor(call: 'BatchNorm1d' | 'BatchNorm2d', readonly numFeatures: number, options: BatchNormOptions) {
    super();
    const o = checkOptions(call, options, ['eps', 'momentum', 'affine', 'trackRunningStats']) as BatchNormOptions;
    checkInt(call, 'numFeatures', numFeatures, 1);
    this.eps = checkNumber(call, 'eps', o.eps ?? 1e-5, 0, Infinity, { min: true });
    this.momentum = o.momentum === null ? null : checkNumber(call, 'momentum', o.momentum ?? 0.1, 0, 1);
    this.affine = checkBool(call, 'affine', o.affine ?? true);
    this.trackRunningStats = checkBool(call, 'trackRunningStats', o.trackRunningStats ?? true);
    const b = this.backend;
    this.weight = this.affine ? new Parameter('weight', [numFeatures], b) : null;
    this.bias = this.affine ? new Parameter('bias', [numFeatures], b) : null;
    this.weight?.data.fill(1);
    this.runningMean = this.trackRunningStats ? b.alloc(numFeatures) : null;
    this.runningVar = this.trackRunningStats ? b.alloc(numFeatures) : null;
    this.runningVar?.data.fill(1);
    this.saveMean = b.alloc(numFeatures);
    this.saveInvstd = b.alloc(numFeatures);
    this.none = b.alloc(0);
  }

  /** Number of sample dimensions after the channel one this class accepts (BatchNorm1d: 0 or 1, BatchNorm2d: 2). */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly expected: string;

  outputShape(inShape: Shape, call: string): number[] {
    expectRank(call, this.type, inShape, this.ranks, this.expected);
    if (inShape[0] !== this.numFeatures) throw shapeError(call, `input of ${this.type}`, this.expected, formatShape(inShape));
    return [...inShape];
  }

  parameters(): Parameter[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  /** `running_mean`, `running_var`, `num_batches_tracked` (PyTorch's buffers) when tracking running statistics. */
  stateBuffers(): StateBuffer[] {
    const { runningMean, runningVar } = this;
    if (!runningMean || !runningVar) return [];
    const c = this.numFeatures;
    return [
      { name: 'running_mean', shape: [c], get data() { return runningMean.data; } },
      { name: 'running_var', shape: [c], get data() { return runningVar.data; } },
      { name: 'num_batches_tracked', shape: [], data: this.batchesTracked },
    ];
  }

  /** Training forwards counted so far (PyTorch's `num_batches_tracked`). */
  get numBatchesTracked(): number {
    return this.batchesTracked[0];
  }

  /** The output always gets its own buffer (backward needs the input), whoever owns the input. */
  prepare(inShape: Shape, capacity: number, _ownsInput = false): void {
    this.hw = sizeOf(inShape) / this.numFeatures;
    const len = capacity * sizeOf(inShape);
    if (len <= this.capacity) return;
    if (this.y) this.backend.free(this.y);
    this.y = this.backend.alloc(len);
    this.capacity = len;
  }

  /** Batch statistics in training, and in evaluation when no running statistics are kept (PyTorch's rule). */
  private usesBatchStats(): boolean {
    return this.training || !this.trackRunningStats;
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    const { k } = this.backend, c = this.numFeatures, hw = this.hw, y = this.y!;
    const gamma = this.weight?.value ?? this.none, beta = this.bias?.value ?? this.none;
    this.x = x;
    this.batchStats = this.usesBatchStats();
    if (!this.batchStats) {
      k.batch_norm_eval_f32(m, c, hw, this.eps, x, gamma, beta, this.runningMean!, this.runningVar!, y, this.saveMean, this.saveInvstd);
      return y;
    }
    if (m * hw <= 1) {
      const sample = hw === 1 ? [c] : [c, hw];
      throw shapeError(`${this.type}.forward`, 'input', 'more than 1 value per channel when training', formatShape([m, ...sample]));
    }
    let momentum = 0;
    const track = this.training && this.trackRunningStats;
    if (track) {
      this.batchesTracked[0] += 1;
      momentum = this.momentum ?? 1 / this.batchesTracked[0];
    }
    const rm = track ? this.runningMean! : this.none, rv = track ? this.runningVar! : this.none;
    k.batch_norm_train_f32(m, c, hw, this.eps, momentum, x, gamma, beta, rm, rv, y, this.saveMean, this.saveInvstd);
    return y;
  }

  backwardBuf(dy: F32Buf, m: number, accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad && !this.weight) return null;
    const { k } = this.backend;
    k.batch_norm_bwd_f32(
      m, this.numFeatures, this.hw, this.batchStats ? 1 : 0, accumulate ? 1 : 0, this.x!, dy,
      this.weight?.value ?? this.none, this.saveMean, this.saveInvstd, dy,
      this.weight?.gradBuf ?? this.none, this.bias?.gradBuf ?? this.none,
    );
    return inputGrad ? dy : null;
  }

  forward64(x: Float64Array, m: number, inShape: Shape, values: ParamValues): Float64Array {
    const c = this.numFeatures, hw = sizeOf(inShape) / c, N = m * hw;
    const gamma = this.weight ? values(this.weight) : null, beta = this.bias ? values(this.bias) : null;
    const y = new Float64Array(x.length);
    const batch = this.usesBatchStats();
    for (let ch = 0; ch < c; ch++) {
      let mean: number, variance: number;
      if (batch) {
        let s = 0;
        for (let i = 0; i < m; i++) for (let q = 0; q < hw; q++) s += x[(i * c + ch) * hw + q];
        mean = s / N;
        let v = 0;
        for (let i = 0; i < m; i++) for (let q = 0; q < hw; q++) v += (x[(i * c + ch) * hw + q] - mean) ** 2;
        variance = v / N;
      } else {
        mean = this.runningMean!.data[ch];
        variance = this.runningVar!.data[ch];
      }
      const a = (gamma ? gamma[ch] : 1) / Math.sqrt(variance + this.eps), b = beta ? beta[ch] : 0;
      for (let i = 0; i < m; i++) for (let q = 0; q < hw; q++) y[(i * c + ch) * hw + q] = (x[(i * c + ch) * hw + q] - mean) * a + b;
    }
    return y;
  }

  toString(): string {
    const flag = (v: boolean) => (v ? 'True' : 'False');
    return `${this.type}(${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${flag(this.affine)}, track_running_stats=${flag(this.trackRunningStats)})`;
  }

  dispose(): void {
    const b = this.backend;
    for (const buf of [this.y, this.runningMean, this.runningVar, this.saveMean, this.saveInvstd, this.none]) if (buf) b.free(buf);
    this.y = this.x = null;
    this.capacity = 0;
    for (const p of this.parameters()) p.dispose();
  }
}

/**
 * Batch normalisation over `[C]` samples (after a Linear) or `[C, L]` samples (sequences), like `nn.BatchNorm1d`.
 * @example
 * const model = new Sequential([new Linear(784, 256), new BatchNorm1d(256), new ReLU(), new Linear(256, 10)]);
 * model.eval();   // normalise with the running statistics from now on
 */
export class BatchNorm1d extends BatchNorm {
  readonly type = 'BatchNorm1d';
  protected readonly ranks = [1, 2];
  protected readonly expected: string;
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options);
    this.expected = `[${numFeatures}] or [${numFeatures}, L]`;
  }
}

/**
 * Batch normalisation over `[C, H, W]` samples (after a convolution), like `nn.BatchNorm2d`: one mean and variance
 * per channel over the batch and every position.
 * @example
 * const bn = new BatchNorm2d(16, { momentum: null });   // cumulative average of every batch's statistics
 * new Sequential([new Conv2d(1, 16, 3), bn, new ReLU()], { inputShape: [1, 28, 28] });
 */
export class BatchNorm2d extends BatchNorm {
  readonly type = 'BatchNorm2d';
  protected readonly ranks = [3];
  protected readonly expected: string;
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options);
    this.expected = `[${numFeatures}, H, W]`;
  }
}
