/**
 * `Conv2d` like PyTorch's: cross-correlation over `[C, H, W]` samples (NCHW batches), weight `[out, in/groups, kh,
 * kw]`, bias `[out]`, stride, zero padding (a number, a pair, `'valid'` or `'same'`), dilation and groups. Forward,
 * weight gradient and input gradient are the conv2d kernels of the backend (im2col + GEMM on native and wasm).
 */
import type { F32Buf } from '../buffers.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { checkInt, checkOptions } from '../check.js';
import { optionError, shapeError } from '../errors.js';
import { globalRng, type Rng } from '../rng.js';
import { initializerByName, isInitializer, pytorchDefault, xavier, type Initializer, type InitName } from './init.js';
import { expectRank, formatShape, Layer, type ParamValues, type Shape } from './layer.js';
import { Parameter } from './parameter.js';
import type { MaxPool2d } from './pooling.js';

/**
 * Floats of convolution output a fused conv + max pool keeps per chunk of samples (512 KiB: a core's L2 holds it
 * with the layer's weights and input): at least one sample, at most the batch.
 */
const POOLED_CHUNK_FLOATS = 1 << 17;

/** A size given once for both spatial dimensions, or as `[height, width]`. */
export type Pair = number | readonly [number, number];

/** `[h, w]` from a number or a pair of integers ≥ `min` (PyTorch's `_pair`). */
export function toPair(call: string, arg: string, value: unknown, min: number): [number, number] {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw optionError(call, arg, `an integer ≥ ${min} or a pair of them`, value);
    return [checkInt(call, `${arg}[0]`, value[0], min), checkInt(call, `${arg}[1]`, value[1], min)];
  }
  const v = checkInt(call, arg, value, min);
  return [v, v];
}

/** PyTorch's repr of a pair: `(3, 3)`. */
export const reprPair = (p: readonly [number, number]) => `(${p[0]}, ${p[1]})`;

/** Output length of a convolution or pooling window sweep (PyTorch's formula, floor mode). */
export function sweep(size: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Options of `Conv2d`, torch.nn.Conv2d's in camelCase (stride, padding, dilation, groups, bias, init). */
export interface Conv2dOptions {
  /** Step between windows: a number or `[sh, sw]` (default 1). */
  stride?: Pair;
  /**
   * Zero padding on each side: a number, `[ph, pw]`, `'valid'` (none) or `'same'` (output as large as the input;
   * stride 1 only, like PyTorch; when the total padding is odd the extra row and column go at the bottom and right,
   * as PyTorch does). Default 0.
   */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps: a number or `[dh, dw]` (default 1). */
  dilation?: Pair;
  /** Channel groups: input and output channels split into `groups` independent convolutions (default 1). */
  groups?: number;
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /**
   * Weight initialiser, as for `Linear`: `'auto'` (default) is Kaiming when a ReLU/LeakyReLU follows (pooling,
   * normalisation and dropout in between are looked through), Xavier otherwise, with `fanIn = kh·kw·in/groups`.
   */
  init?: 'auto' | InitName | Initializer;
  /** Generator to draw from (default: the global one, seeded by `manualSeed`). */
  rng?: Rng;
}

/**
 * 2-D convolution. Scratch memory (allocated by `prepare` for a batch capacity `B` on a `[C, H, W]` input):
 * the output `B·out·OH·OW` floats, the input gradient `B·C·H·W`, and one sample's im2col buffer `C·kh·kw·OH·OW`
 * (native threads keep one more such buffer each on the C++ heap). Inside a `Sequential` whose next layer is a
 * `MaxPool2d` (or a ReLU and then one), the pair runs as one kernel each way and the output buffer is replaced by
 * one chunk of samples' output, at most 512 KiB (at least one sample).
 * @example
 * const conv = new Conv2d(1, 16, 3, { padding: 1 });          // [1, 28, 28] → [16, 28, 28]
 * const down = new Conv2d(16, 32, [3, 3], { stride: 2, padding: 'valid', bias: false });
 */
export class Conv2d extends Layer {
  readonly type = 'Conv2d';
  readonly backend: Backend;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  /** Padding applied on the top and left (and, unless `'same'` needs one more, the bottom and right). */
  readonly padding: [number, number];
  readonly paddingMode: 'same' | 'valid' | 'explicit';
  readonly groups: number;
  initializer: Initializer;
  readonly initOption: 'auto' | InitName | Initializer;
  private readonly rng: Rng;
  private readonly noBias: F32Buf;
  private geometry: { c: number; h: number; w: number; oh: number; ow: number } | null = null;
  private x: F32Buf | null = null;
  private y: F32Buf | null = null;
  private dx: F32Buf | null = null;
  private col: F32Buf | null = null;
  /** One chunk of samples' output for the fused conv + max pool (`pooledBy`). */
  private pooledScratch: F32Buf | null = null;
  private capacity = 0;
  /**
   * Set by Sequential when a MaxPool2d consumes this layer's output (`fuse`): forwardPooled then writes the pool's
   * output directly and the full output buffer is not allocated (forwardBuf allocates it if it is ever called).
   * @internal
   */
  pooledBy: MaxPool2d | null = null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    const call = 'Conv2d';
    const o = checkOptions(call, options, ['stride', 'padding', 'dilation', 'groups', 'bias', 'init', 'rng']) as Conv2dOptions;
    checkInt(call, 'inChannels', inChannels, 1);
    checkInt(call, 'outChannels', outChannels, 1);
    this.kernelSize = toPair(call, 'kernelSize', kernelSize, 1);
    this.stride = toPair(call, 'stride', o.stride ?? 1, 1);
    this.dilation = toPair(call, 'dilation', o.dilation ?? 1, 1);
    this.groups = checkInt(call, 'groups', o.groups ?? 1, 1);
    if (inChannels % this.groups !== 0) throw optionError(call, 'groups', `a divisor of inChannels (${inChannels})`, this.groups);
    if (outChannels % this.groups !== 0) throw optionError(call, 'groups', `a divisor of outChannels (${outChannels})`, this.groups);
    const padding = o.padding ?? 0;
    if (padding === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) throw optionError(call, 'padding', "a number or pair with stride ≠ 1 ('same' needs stride 1, as in PyTorch)", padding);
      this.paddingMode = 'same';
      // The output keeps the input size; with an odd total the extra zero row/column lies past the bottom/right
      // edge, which the kernels read as padding anyway.
      this.padding = [Math.floor((this.dilation[0] * (this.kernelSize[0] - 1)) / 2), Math.floor((this.dilation[1] * (this.kernelSize[1] - 1)) / 2)];
    } else if (padding === 'valid') {
      this.paddingMode = 'valid';
      this.padding = [0, 0];
    } else {
      if (typeof padding === 'string') throw optionError(call, 'padding', "a number, a pair, 'same' or 'valid'", padding);
      this.paddingMode = 'explicit';
      this.padding = toPair(call, 'padding', padding, 0);
    }
    if (o.bias !== undefined && typeof o.bias !== 'boolean') throw optionError(call, 'bias', 'a boolean', o.bias);
    this.initOption = o.init ?? 'auto';
    if (this.initOption !== 'auto' && !isInitializer(this.initOption)) initializerByName(call, this.initOption);
    this.rng = o.rng ?? globalRng;
    this.backend = getBackend();
    const [kh, kw] = this.kernelSize;
    this.weight = new Parameter('weight', [outChannels, inChannels / this.groups, kh, kw], this.backend);
    this.bias = o.bias === false ? null : new Parameter('bias', [outChannels], this.backend);
    this.noBias = this.backend.alloc(0);
    this.initializer = this.resolve(null);
    this.resetParameters();
  }

  /** PyTorch's fans for a weight `[out, in/groups, kh, kw]`. */
  get fanIn(): number {
    return (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  get fanOut(): number {
    return this.outChannels * this.kernelSize[0] * this.kernelSize[1];
  }

  /** Picks the initialiser: explicit, or by the lecture's rule from the activation that follows. */
  resolve(next: Layer | null): Initializer {
    if (this.initOption !== 'auto') return isInitializer(this.initOption) ? this.initOption : initializerByName('Conv2d', this.initOption);
    return next?.autoInit?.() ?? xavier();
  }

  /** Draws fresh weights (and zero or PyTorch-default biases) with `initializer`. */
  resetParameters(initializer: Initializer = this.initializer): void {
    this.initializer = initializer;
    initializer.fill(this.weight.data, this.fanIn, this.fanOut, this.rng);
    if (this.bias) {
      if (initializer.name === 'pytorchDefault') pytorchDefault().fill(this.bias.data, this.fanIn, this.fanOut, this.rng);
      else this.bias.data.fill(0);
    }
  }

  outputShape(inShape: Shape, call: string): number[] {
    expectRank(call, 'Conv2d', inShape, [3], `[${this.inChannels}, H, W]`);
    const [c, h, w] = inShape;
    if (c !== this.inChannels) throw shapeError(call, 'input of Conv2d', `[${this.inChannels}, H, W]`, formatShape(inShape));
    const [oh, ow] = this.outputSize(h, w);
    if (oh < 1 || ow < 1) {
      throw shapeError(call, 'input of Conv2d', `an image of at least the dilated kernel size ${this.dilation[0] * (this.kernelSize[0] - 1) + 1}×${this.dilation[1] * (this.kernelSize[1] - 1) + 1} after padding`, formatShape(inShape));
    }
    return [this.outChannels, oh, ow];
  }

  private outputSize(h: number, w: number): [number, number] {
    if (this.paddingMode === 'same') return [h, w];
    return [sweep(h, this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0]), sweep(w, this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1])];
  }

  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  prepare(inShape: Shape, capacity: number): void {
    const [, oh, ow] = this.outputShape(inShape, 'Conv2d.prepare');
    const [c, h, w] = inShape;
    const g = this.geometry;
    const same = g !== null && g.c === c && g.h === h && g.w === w;
    if (same && capacity <= this.capacity) return;
    this.freeScratch();
    this.geometry = { c, h, w, oh, ow };
    this.capacity = capacity;
    if (this.pooledBy) this.pooledChunk(this.pooledBy);
    else this.y = this.backend.alloc(capacity * this.outChannels * oh * ow);
    this.dx = this.backend.alloc(capacity * c * h * w);
    this.col = this.backend.alloc(c * this.kernelSize[0] * this.kernelSize[1] * oh * ow);
  }

  /** The 16 sizes of the conv2d kernels for `m` samples. */
  private sizes(m: number) {
    const { c, h, w, oh, ow } = this.geometry!;
    const [kh, kw] = this.kernelSize, [sh, sw] = this.stride, [ph, pw] = this.padding, [dh, dw] = this.dilation;
    return [m, c, h, w, this.outChannels, kh, kw, sh, sw, ph, pw, dh, dw, this.groups, oh, ow] as const;
  }

  forwardBuf(x: F32Buf, m: number): F32Buf {
    this.x = x;
    this.y ??= this.backend.alloc(this.capacity * this.outChannels * this.geometry!.oh * this.geometry!.ow);
    this.backend.k.conv2d_fwd_f32(...this.sizes(m), x, this.weight.value, this.bias ? this.bias.value : this.noBias, this.col!, this.y!);
    return this.y!;
  }

  /**
   * This convolution, then `pool` (prepared on this layer's output) and, with `relu`, a ReLU on the pooled values,
   * in one kernel: returns the pool's output and leaves the pool ready for its backward, as
   * `pool.forwardBuf(this.forwardBuf(x, m), m)` (then the ReLU in place) would, bit for bit.
   * @internal
   */
  forwardPooled(x: F32Buf, m: number, pool: MaxPool2d, relu: boolean): F32Buf {
    this.x = x;
    const target = pool.fusedTarget(), chunk = this.pooledChunk(pool);
    this.backend.k.conv2d_max_pool2d_fwd_f32(
      ...this.sizes(m), ...target.window, chunk, relu ? 1 : 0, x, this.weight.value, this.bias ? this.bias.value : this.noBias, this.col!, this.pooledScratch!, target.y, target.idx,
    );
    return target.y;
  }

  /**
   * The backward of forwardPooled from the gradient of its output: this layer's weight and bias gradients and, with
   * `inputGrad`, its input gradient, as the layers' own backward passes give them, bit for bit.
   * @internal
   */
  backwardPooled(dy: F32Buf, m: number, accumulate: boolean, inputGrad: boolean, pool: MaxPool2d, relu: boolean): F32Buf | null {
    const target = pool.fusedTarget(), chunk = this.pooledChunk(pool);
    this.backend.k.conv2d_max_pool2d_bwd_f32(
      ...this.sizes(m), target.window[6], target.window[7], chunk, relu ? 1 : 0, accumulate ? 1 : 0, this.x!, dy, target.idx, relu ? target.y : this.noBias, this.weight.value, this.col!,
      this.pooledScratch!, this.weight.gradBuf, this.bias ? this.bias.gradBuf : this.noBias, inputGrad ? this.dx! : this.noBias,
    );
    return inputGrad ? this.dx! : null;
  }

  /** Floats of the fused kernels' scratch per sample: the convolution's output and the pooled values. */
  private pooledFloats(pool: MaxPool2d): number {
    const { oh, ow } = this.geometry!, [, qh, qw] = pool.outputShape([this.outChannels, oh, ow], 'Conv2d.prepare');
    return this.outChannels * (oh * ow + qh * qw);
  }

  /**
   * Samples per chunk of the fused kernels, allocating their scratch when it is missing or too small (only when
   * another model fused this layer after it was prepared unfused: shared layers).
   */
  private pooledChunk(pool: MaxPool2d): number {
    const per = this.pooledFloats(pool);
    if (!this.pooledScratch || this.pooledScratch.length < per) {
      if (this.pooledScratch) this.backend.free(this.pooledScratch);
      this.pooledScratch = this.backend.alloc(Math.min(this.capacity, Math.max(1, Math.floor(POOLED_CHUNK_FLOATS / per))) * per);
    }
    return Math.floor(this.pooledScratch.length / per);
  }

  backwardBuf(dy: F32Buf, m: number, accumulate: boolean, inputGrad: boolean): F32Buf | null {
    const { k } = this.backend, sizes = this.sizes(m);
    k.conv2d_bwd_filter_f32(...sizes, accumulate ? 1 : 0, this.x!, dy, this.col!, this.weight.gradBuf, this.bias ? this.bias.gradBuf : this.noBias);
    if (!inputGrad) return null;
    k.conv2d_bwd_data_f32(...sizes, dy, this.weight.value, this.col!, this.dx!);
    return this.dx!;
  }

  forward64(x: Float64Array, m: number, inShape: Shape, values: ParamValues): Float64Array {
    const [c, h, w] = inShape;
    const [oh, ow] = this.outputSize(h, w);
    const [kh, kw] = this.kernelSize, [sh, sw] = this.stride, [ph, pw] = this.padding, [dh, dw] = this.dilation;
    const wt = values(this.weight), b = this.bias ? values(this.bias) : null;
    const oc = this.outChannels, cg = c / this.groups, ocg = oc / this.groups;
    const y = new Float64Array(m * oc * oh * ow);
    for (let n = 0; n < m; n++)
      for (let o = 0; o < oc; o++) {
        const g = Math.floor(o / ocg);
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            let s = b ? b[o] : 0;
            for (let i = 0; i < cg; i++)
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * sh - ph + ky * dh;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * sw - pw + kx * dw;
                  if (ix >= 0 && ix < w) s += wt[((o * cg + i) * kh + ky) * kw + kx] * x[((n * c + g * cg + i) * h + iy) * w + ix];
                }
              }
            y[((n * oc + o) * oh + oy) * ow + ox] = s;
          }
      }
    return y;
  }

  /** PyTorch's repr: `Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))`. */
  toString(): string {
    let s = `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=${reprPair(this.kernelSize)}, stride=${reprPair(this.stride)}`;
    if (this.paddingMode !== 'explicit') s += `, padding=${this.paddingMode}`;
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${reprPair(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${reprPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return `${s})`;
  }

  private freeScratch(): void {
    for (const b of [this.y, this.dx, this.col, this.pooledScratch]) if (b) this.backend.free(b);
    this.y = this.dx = this.col = this.pooledScratch = this.x = null;
    this.capacity = 0;
  }

  dispose(): void {
    this.freeScratch();
    this.backend.free(this.noBias);
    for (const p of this.parameters()) p.dispose();
  }
}
