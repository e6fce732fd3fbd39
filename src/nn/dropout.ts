/**
 * Inverted dropout like PyTorch's `nn.Dropout(p)`: in training each value is zeroed with probability p and the
 * kept ones are scaled by 1/(1 − p), so evaluation (the identity) needs no rescaling. Each training forward draws
 * one 31-bit seed from the layer's generator; the mask is a counter-based hash of (seed, element index), the same
 * bits on every backend, so a run resumed from a checkpoint that saved the generator draws the same masks.
 * Backward multiplies the output gradient by the saved mask (values 0 or 1/(1 − p)). The output always has its
 * own buffer, even over model scratch: the layer before may read its own output in backward (Tanh, Sigmoid).
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkNumber, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { globalRng, Rng } from '../rng.js';
import { Layer, sizeOf, type Shape } from './layer.js';
import { pyFloat } from './repr.js';

/** Options of `Dropout`: the generator its masks come from. */
export interface DropoutOptions {
  /** Generator for the per-forward seeds (default: the global one, seeded by `manualSeed`). */
  rng?: Rng;
}

export class Dropout extends Layer {
  readonly type = 'Dropout';
  readonly backend: Backend = getBackend();
  readonly initPassThrough = true;
  readonly elementwise = true;
  private readonly rng: Rng;
  private mask: F32Buf | null = null;
  private y: F32Buf | null = null;
  private width = 0;
  /** Samples of the last forward when it applied a mask; 0 when it was the identity. */
  private masked = 0;

  /**
   * @example
   * new Sequential([new Linear(784, 256), new ReLU(), new Dropout(0.3), new Linear(256, 10)]);
   * model.eval();   // Dropout is the identity from now on
   */
  constructor(readonly p = 0.5, options: DropoutOptions = {}) {
    super();
    const o = checkOptions('Dropout', options, ['rng']) as DropoutOptions;
    checkNumber('Dropout', 'p', p, 0, 1);
    if (o.rng !== undefined && !(o.rng instanceof Rng)) throw optionError('Dropout', 'rng', 'an Rng', o.rng);
    this.rng = o.rng ?? globalRng;
  }

  outputShape(inShape: Shape): number[] {
    return [...inShape];
  }

  prepare(inShape: Shape, capacity: number): void {
    this.width = sizeOf(inShape);
    const len = capacity * this.width;
    if (len <= (this.mask?.length ?? 0)) return;
    this.dispose();
    this.mask = this.backend.alloc(len);
    this.y = this.backend.alloc(len);
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    const n = m * this.width, y = this.y!;
    this.masked = 0;
    if (!this.training || this.p === 0) {
      // The identity, as a copy: the next layer may write over its input, which must not be ours.
      y.data.set(x.data.subarray(0, n));
      return y;
    }
    const seed = this.rng.nextU32() >>> 1;
    const threshold = Math.round(this.p * 2 ** 24), scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    this.backend.k.dropout_fwd_f32(n, seed, threshold, scale, x, y, this.mask!);
    this.masked = m;
    return y;
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    if (this.masked) this.backend.k.mul_f32(m * this.width, dy, this.mask!, dy);
    return dy;
  }

  /** The last forward's mask applied in float64 (gradient checks), or the identity after an unmasked forward. */
  forward64(x: Float64Array, m: number): Float64Array {
    if (!this.masked) return x;
    if (m !== this.masked) throw optionError('Dropout.forward64', 'batch', `the batch of the last training forward (${this.masked})`, m);
    const mask = this.mask!.data;
    return x.map((v, i) => v * mask[i]);
  }

  toString(): string {
    return `Dropout(p=${pyFloat(this.p)}, inplace=False)`;
  }

  dispose(): void {
    if (this.mask) this.backend.free(this.mask);
    if (this.y) this.backend.free(this.y);
    this.mask = this.y = null;
  }
}
