/**
 * Pooling over `[C, H, W]` samples, like PyTorch's `MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d(1)`: windows
 * slide over each channel plane independently (floor mode). Max pooling records the winning position in the
 * forward pass (PyTorch's rule: first maximum in window order, NaN wins) and backward routes the gradient there;
 * average pooling divides by PyTorch's divisor (`countIncludePad` counts padded positions inside the padded image).
 */
import type { F32Buf, I32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkBool, checkOptions } from '../check.js';
import { optionError, shapeError } from '../errors.js';
import { reprPair, sweep, toPair, type Pair } from './conv.js';
import { expectRank, formatShape, Layer, type Shape } from './layer.js';

/** A pair option as PyTorch prints it: the number or the tuple it was given. */
const reprOf = (given: Pair | undefined, pair: [number, number]) => (typeof given === 'number' ? String(given) : reprPair(pair));

/** Options of `MaxPool2d` (and the base of `AvgPool2d`'s): stride and padding, as in torch.nn. */
export interface Pool2dOptions {
  /** Step between windows (default: the kernel size, as in PyTorch). */
  stride?: Pair;
  /** Implicit padding on each side, at most half the kernel size (default 0). Max pooling pads with −∞. */
  padding?: Pair;
}

/** What MaxPool2d and AvgPool2d share: geometry, scratch, and the window sweep. */
abstract class Pool2d extends Layer {
  readonly backend: Backend = getBackend();
  readonly initPassThrough = true;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  protected geometry: { c: number; h: number; w: number; oh: number; ow: number } | null = null;
  protected y: F32Buf | null = null;
  protected dx: F32Buf | null = null;
  protected capacity = 0;

  constructor(
    call: string,
    protected readonly given: { kernel: Pair; stride?: Pair; padding?: Pair },
  ) {
    super();
    this.kernelSize = toPair(call, 'kernelSize', given.kernel, 1);
    this.stride = given.stride === undefined ? this.kernelSize : toPair(call, 'stride', given.stride, 1);
    this.padding = toPair(call, 'padding', given.padding ?? 0, 0);
    for (const d of [0, 1])
      if (this.padding[d] > Math.floor(this.kernelSize[d] / 2)) {
        throw optionError(call, 'padding', `at most half the kernel size (${Math.floor(this.kernelSize[d] / 2)}), as in PyTorch`, given.padding);
      }
  }

  outputShape(inShape: Shape, call: string): number[] {
    expectRank(call, this.type, inShape, [3], '[C, H, W]');
    const [c, h, w] = inShape;
    const oh = sweep(h, this.kernelSize[0], this.stride[0], this.padding[0]), ow = sweep(w, this.kernelSize[1], this.stride[1], this.padding[1]);
    if (oh < 1 || ow < 1) throw shapeError(call, `input of ${this.type}`, `an image of at least the window ${this.kernelSize[0]}×${this.kernelSize[1]} after padding`, formatShape(inShape));
    return [c, oh, ow];
  }

  prepare(inShape: Shape, capacity: number): void {
    const [, oh, ow] = this.outputShape(inShape, `${this.type}.prepare`);
    const [c, h, w] = inShape, g = this.geometry;
    if (g !== null && g.c === c && g.h === h && g.w === w && capacity <= this.capacity) return;
    this.freeScratch();
    this.geometry = { c, h, w, oh, ow };
    this.capacity = capacity;
    this.y = this.backend.alloc(capacity * c * oh * ow);
    if (!this.skipsInputGrad()) this.dx = this.backend.alloc(capacity * c * h * w);
    this.allocExtra(capacity * c * oh * ow);
  }

  protected allocExtra(_outputs: number): void {}

  /** True when the layer's input gradient is computed elsewhere (MaxPool2d fused after a Conv2d). */
  protected skipsInputGrad(): boolean {
    return false;
  }

  /** The window sizes of the pooling kernels for `m` samples: nc h w kh kw sh sw ph pw oh ow. */
  protected sizes(m: number) {
    const { c, h, w, oh, ow } = this.geometry!;
    return [m * c, h, w, this.kernelSize[0], this.kernelSize[1], this.stride[0], this.stride[1], this.padding[0], this.padding[1], oh, ow] as const;
  }

  /** Calls `f(o, cells)` for every output of `m` samples with the in-bounds input indices of its window. */
  protected windows64(m: number, inShape: Shape, f: (o: number, plane: number, cells: number[], ys: number, xs: number) => void): number {
    const [c, h, w] = inShape;
    const [oh, ow] = [sweep(h, this.kernelSize[0], this.stride[0], this.padding[0]), sweep(w, this.kernelSize[1], this.stride[1], this.padding[1])];
    for (let plane = 0; plane < m * c; plane++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const ys = oy * this.stride[0] - this.padding[0], xs = ox * this.stride[1] - this.padding[1];
          const cells: number[] = [];
          for (let iy = Math.max(ys, 0); iy < Math.min(ys + this.kernelSize[0], h); iy++)
            for (let ix = Math.max(xs, 0); ix < Math.min(xs + this.kernelSize[1], w); ix++) cells.push(plane * h * w + iy * w + ix);
          f((plane * oh + oy) * ow + ox, plane, cells, ys, xs);
        }
    return m * c * oh * ow;
  }

  protected freeScratch(): void {
    for (const b of [this.y, this.dx]) if (b) this.backend.free(b);
    this.y = this.dx = null;
    this.capacity = 0;
  }

  dispose(): void {
    this.freeScratch();
  }
}

/**
 * Max pooling. Scratch memory for a batch capacity `B` on `[C, H, W]`: the output and the int32 winner indices,
 * `B·C·OH·OW` each, and the input gradient `B·C·H·W` (not when a `Sequential` runs it fused with the `Conv2d`
 * before it, whose kernels then expand the gradient one sample at a time).
 * @example
 * const pool = new MaxPool2d(2);                            // [16, 28, 28] → [16, 14, 14]
 * const overlap = new MaxPool2d(3, { stride: 2, padding: 1 });
 */
export class MaxPool2d extends Pool2d {
  readonly type = 'MaxPool2d';
  private idx: I32Buf | null = null;
  /**
   * Set by Sequential when a Conv2d feeds this pool (`fuse`): the pair's backward then never asks this layer for an
   * input gradient, so its buffer is not allocated (backwardBuf allocates it if it is ever called).
   * @internal
   */
  fusedAfterConv = false;

  constructor(kernelSize: Pair, options: Pool2dOptions = {}) {
    const o = checkOptions('MaxPool2d', options, ['stride', 'padding']) as Pool2dOptions;
    super('MaxPool2d', { kernel: kernelSize, stride: o.stride, padding: o.padding });
  }

  protected allocExtra(outputs: number): void {
    this.idx = this.backend.allocI32(outputs);
  }

  protected skipsInputGrad(): boolean {
    return this.fusedAfterConv;
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    this.backend.k.max_pool2d_fwd_f32(...this.sizes(m), x, this.y!, this.idx!);
    return this.y!;
  }

  /**
   * What a fused conv + max pool (Conv2d.forwardPooled) writes: this layer's output and winner indices, and its
   * window (kh kw sh sw ph pw oh ow).
   * @internal
   */
  fusedTarget() {
    const { oh, ow } = this.geometry!;
    const window = [this.kernelSize[0], this.kernelSize[1], this.stride[0], this.stride[1], this.padding[0], this.padding[1], oh, ow] as const;
    return { window, y: this.y!, idx: this.idx! };
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    const { c, h, w, oh, ow } = this.geometry!;
    this.dx ??= this.backend.alloc(this.capacity * c * h * w);
    this.backend.k.max_pool2d_bwd_f32(m * c, h, w, oh, ow, dy, this.idx!, this.dx);
    return this.dx!;
  }

  forward64(x: Float64Array, m: number, inShape: Shape): Float64Array {
    const out: number[] = [];
    this.windows64(m, inShape, (o, _plane, cells) => {
      let best = -Infinity;
      for (const i of cells) if (x[i] > best || Number.isNaN(x[i])) best = x[i];
      out[o] = best;
    });
    return Float64Array.from(out);
  }

  toString(): string {
    const g = this.given;
    return `MaxPool2d(kernel_size=${reprOf(g.kernel, this.kernelSize)}, stride=${reprOf(g.stride ?? g.kernel, this.stride)}, padding=${reprOf(g.padding ?? 0, this.padding)}, dilation=1, ceil_mode=False)`;
  }

  protected freeScratch(): void {
    super.freeScratch();
    if (this.idx) this.backend.free(this.idx);
    this.idx = null;
  }
}

/** Options of `AvgPool2d`: `Pool2dOptions` plus torch's `countIncludePad`. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded zeros in each window's divisor (default true, as in PyTorch). */
  countIncludePad?: boolean;
}

/**
 * Average pooling. Scratch memory for a batch capacity `B` on `[C, H, W]`: the output `B·C·OH·OW` floats and the
 * input gradient `B·C·H·W`.
 * @example
 * const pool = new AvgPool2d(2);                                    // [16, 28, 28] → [16, 14, 14]
 * const padded = new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false });
 */
export class AvgPool2d extends Pool2d {
  readonly type = 'AvgPool2d';
  readonly countIncludePad: boolean;

  constructor(kernelSize: Pair, options: AvgPool2dOptions = {}) {
    const o = checkOptions('AvgPool2d', options, ['stride', 'padding', 'countIncludePad']) as AvgPool2dOptions;
    super('AvgPool2d', { kernel: kernelSize, stride: o.stride, padding: o.padding });
    this.countIncludePad = o.countIncludePad === undefined ? true : checkBool('AvgPool2d', 'countIncludePad', o.countIncludePad);
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    this.backend.k.avg_pool2d_fwd_f32(...this.sizes(m), this.countIncludePad ? 1 : 0, x, this.y!);
    return this.y!;
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    this.backend.k.avg_pool2d_bwd_f32(...this.sizes(m), this.countIncludePad ? 1 : 0, dy, this.dx!);
    return this.dx!;
  }

  forward64(x: Float64Array, m: number, inShape: Shape): Float64Array {
    const [, h, w] = inShape, [kh, kw] = this.kernelSize, [ph, pw] = this.padding;
    const out: number[] = [];
    this.windows64(m, inShape, (o, _plane, cells, ys, xs) => {
      const div = this.countIncludePad ? (Math.min(ys + kh, h + ph) - ys) * (Math.min(xs + kw, w + pw) - xs) : cells.length;
      let s = 0;
      for (const i of cells) s += x[i];
      out[o] = s / div;
    });
    return Float64Array.from(out);
  }

  toString(): string {
    const g = this.given;
    return `AvgPool2d(kernel_size=${reprOf(g.kernel, this.kernelSize)}, stride=${reprOf(g.stride ?? g.kernel, this.stride)}, padding=${reprOf(g.padding ?? 0, this.padding)})`;
  }
}

/**
 * Global average pooling, PyTorch's `AdaptiveAvgPool2d(1)`: `[C, H, W] → [C, 1, 1]`, each channel's mean. Only
 * output size 1 is supported. Scratch memory for a batch capacity `B`: the output `B·C` floats and the input
 * gradient `B·C·H·W`.
 * @example
 * const gap = new AdaptiveAvgPool2d(1);                     // [64, 7, 7] → [64, 1, 1]
 * const head = new Sequential([new Conv2d(3, 64, 3), new ReLU(), gap, new Flatten(), new Linear(64, 10)], { inputShape: [3, 32, 32] });
 */
export class AdaptiveAvgPool2d extends Layer {
  readonly type = 'AdaptiveAvgPool2d';
  readonly backend: Backend = getBackend();
  readonly initPassThrough = true;
  private readonly repr: string;
  private geometry: { c: number; h: number; w: number } | null = null;
  private y: F32Buf | null = null;
  private dx: F32Buf | null = null;
  private capacity = 0;

  constructor(outputSize: Pair) {
    super();
    const [oh, ow] = toPair('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
    if (oh !== 1 || ow !== 1) throw optionError('AdaptiveAvgPool2d', 'outputSize', '1 (global average pooling; other output sizes are not supported)', outputSize);
    this.repr = typeof outputSize === 'number' ? String(outputSize) : reprPair([oh, ow]);
  }

  outputShape(inShape: Shape, call: string): number[] {
    expectRank(call, 'AdaptiveAvgPool2d', inShape, [3], '[C, H, W]');
    if (inShape[1] < 1 || inShape[2] < 1) throw shapeError(call, 'input of AdaptiveAvgPool2d', '[C, H ≥ 1, W ≥ 1]', formatShape(inShape));
    return [inShape[0], 1, 1];
  }

  prepare(inShape: Shape, capacity: number): void {
    this.outputShape(inShape, 'AdaptiveAvgPool2d.prepare');
    const [c, h, w] = inShape, g = this.geometry;
    if (g !== null && g.c === c && g.h === h && g.w === w && capacity <= this.capacity) return;
    this.freeScratch();
    this.geometry = { c, h, w };
    this.capacity = capacity;
    this.y = this.backend.alloc(capacity * c);
    this.dx = this.backend.alloc(capacity * c * h * w);
  }

  /** One H×W window per plane: the average-pooling kernels with kernel = stride = image, no padding. */
  private sizes(m: number) {
    const { c, h, w } = this.geometry!;
    return [m * c, h, w, h, w, h, w, 0, 0, 1, 1, 1] as const;
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    this.backend.k.avg_pool2d_fwd_f32(...this.sizes(m), x, this.y!);
    return this.y!;
  }

  backwardBuf(dy: F32Buf, m: number, _accumulate: boolean, inputGrad: boolean): F32Buf | null {
    if (!inputGrad) return null;
    this.backend.k.avg_pool2d_bwd_f32(...this.sizes(m), dy, this.dx!);
    return this.dx!;
  }

  forward64(x: Float64Array, m: number, inShape: Shape): Float64Array {
    const [c, h, w] = inShape, y = new Float64Array(m * c);
    for (let p = 0; p < m * c; p++) {
      let s = 0;
      for (let i = 0; i < h * w; i++) s += x[p * h * w + i];
      y[p] = s / (h * w);
    }
    return y;
  }

  toString(): string {
    return `AdaptiveAvgPool2d(output_size=${this.repr})`;
  }

  private freeScratch(): void {
    for (const b of [this.y, this.dx]) if (b) this.backend.free(b);
    this.y = this.dx = null;
    this.capacity = 0;
  }

  dispose(): void {
    this.freeScratch();
  }
}
