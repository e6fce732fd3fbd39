/**
 * `Flatten` like PyTorch's `nn.Flatten(start_dim=1, end_dim=-1)`: merges dimensions of each sample. Samples are
 * already contiguous and row-major, so it is a view on every backend: forward returns its input buffer and
 * backward its output gradient, with no kernel call and no copy.
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkInt, checkOptions } from '../check.js';
import { optionError, shapeError } from '../errors.js';
import { formatShape, Layer, type Shape } from './layer.js';

/** Options of `Flatten`, like `nn.Flatten(start_dim, end_dim)`. */
export interface FlattenOptions {
  /** First dimension to merge, counting the batch axis as 0 like PyTorch (default 1: the first per-sample one). */
  startDim?: number;
  /** Last dimension to merge (default −1: the last). */
  endDim?: number;
}

/**
 * Merges per-sample dimensions, like `torch.nn.Flatten`: a free view (no copy, no kernel) that turns
 * `[C, H, W]` images into `[C·H·W]` rows for a `Linear`.
 * @example
 * const model = new Sequential([new Flatten(), new Linear(28 * 28, 10)], { inputShape: [1, 28, 28] });
 */
export class Flatten extends Layer {
  readonly type = 'Flatten';
  readonly backend: Backend = getBackend();
  readonly initPassThrough = true;
  readonly isView = true;
  readonly startDim: number;
  readonly endDim: number;

  /**
   * @example
   * new Sequential([new Conv2d(1, 8, 3), new ReLU(), new Flatten(), new Linear(8 * 26 * 26, 10)], { inputShape: [1, 28, 28] });
   */
  constructor(options: FlattenOptions = {}) {
    super();
    const o = checkOptions('Flatten', options, ['startDim', 'endDim']) as FlattenOptions;
    // The batch axis (0) cannot be merged: descent's data is always [batch, ...sample].
    this.startDim = checkInt('Flatten', 'startDim', o.startDim ?? 1, 1);
    const end = o.endDim ?? -1;
    if (!Number.isInteger(end)) throw optionError('Flatten', 'endDim', 'an integer', end);
    this.endDim = end;
  }

  outputShape(inShape: Shape, call: string): number[] {
    const rank = inShape.length + 1; // PyTorch counts the batch axis
    const start = this.startDim, end = this.endDim < 0 ? rank + this.endDim : this.endDim;
    if (start >= rank || end < 1 || end >= rank || end < start) {
      throw shapeError(call, 'input of Flatten', `a sample with dimensions ${start}..${this.endDim} to merge (batch axis is 0)`, formatShape(inShape));
    }
    const lo = start - 1, hi = end - 1;
    const merged = inShape.slice(lo, hi + 1).reduce((a, b) => a * b, 1);
    return [...inShape.slice(0, lo), merged, ...inShape.slice(hi + 1)];
  }

  prepare(): void {}

  forwardBuf(x: F32Buf): F32Buf {
    return x;
  }

  backwardBuf(dy: F32Buf, _m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    return inputGrad ? dy : null;
  }

  forward64(x: Float64Array): Float64Array {
    return x;
  }

  toString(): string {
    return `Flatten(start_dim=${this.startDim}, end_dim=${this.endDim})`;
  }

  dispose(): void {}
}
