/**
 * The layer protocol. Layers work on per-sample shapes (`readonly number[]`, PyTorch's order without the batch
 * axis: `[features]`, `[C, H, W]`) over flat row-major buffers, one contiguous sample after another (NCHW for
 * images). A `Sequential` runs layers over buffers it sizes once per batch capacity, so the training loop
 * allocates nothing: `prepare` (allocate for up to `capacity` samples), `forwardBuf`, `backwardBuf`. Each layer
 * also has a float64 forward for gradient checks and the lab.
 */
import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import { shapeError } from '../errors.js';
import type { Parameter } from './parameter.js';
import type { Initializer } from './init.js';

/** Float64 values standing in for parameters during a finite-difference check. */
export type ParamValues = (p: Parameter) => Float64Array;

/** A per-sample shape in PyTorch's order without the batch axis. */
export type Shape = readonly number[];

/** Non-trainable state saved in state dicts (BatchNorm's running statistics), with a local name. */
export interface StateBuffer {
  readonly name: string;
  readonly shape: readonly number[];
  /** Live values: `loadStateDict` writes into them. */
  readonly data: Float32Array;
}

/** Number of values in one sample of `shape` (1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[1, 28, 28]` for messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws ERR_SHAPE unless `inShape` has `rank` dimensions (any of `ranks`); `what` names the layer. */
export function expectRank(call: string, what: string, inShape: Shape, ranks: readonly number[], expected: string): void {
  if (!ranks.includes(inShape.length)) throw shapeError(call, `input of ${what}`, expected, formatShape(inShape));
}

/**
 * The base of every layer (`Linear`, activations, `Flatten`, …): per-sample shapes, parameters, and
 * forward/backward over buffers a `Sequential` sizes once. Use layers inside a `Sequential`.
 * @example
 * const layers: Layer[] = [new Linear(4, 8), new ReLU(), new Linear(8, 3)];
 * const model = new Sequential(layers);
 */
export abstract class Layer {
  /** PyTorch's class name: `Linear`, `ReLU`, … */
  abstract readonly type: string;
  /** The backend whose memory and kernels this layer uses (the active one when it was created). */
  abstract readonly backend: Backend;
  /** Training mode (PyTorch's `module.training`), set by `Sequential.train()` / `eval()`. */
  training = true;
  /**
   * Layers that do not change which nonlinearity follows (normalisation, dropout, pooling, flatten): the `'auto'`
   * initialiser of a Linear or Conv2d looks through them to the next activation.
   */
  readonly initPassThrough: boolean = false;
  /** Elementwise layers (activations, Dropout) keep the shape, so a Sequential may take its input shape from a later layer. */
  readonly elementwise: boolean = false;
  /**
   * Backward reads this layer's output buffer (sigmoid, tanh, ReLU, LeakyReLU: their derivative comes from y), so
   * the next layer must not overwrite it in place.
   */
  readonly keepsOutput: boolean = false;
  /** Views (Flatten) return their input buffer as output and their output gradient as input gradient. */
  readonly isView: boolean = false;

  /** Per-sample output shape for a per-sample input shape (throws ERR_SHAPE naming the layer when they cannot fit). */
  abstract outputShape(inShape: Shape, call: string): number[];

  /** The input shape this layer fixes, if any (`Linear(784, …)` → `[784]`); a Sequential starts from it. */
  fixedInputShape(): number[] | null {
    return null;
  }

  /** The initialiser the lecture's rule gives a Linear or Conv2d followed by this layer (Kaiming before ReLU). */
  autoInit(): Initializer | null {
    return null;
  }

  /** This layer's own parameters, with local names (`weight`, `bias`). */
  parameters(): Parameter[] {
    return [];
  }

  /** Non-trainable state entries, local names, in PyTorch's order (after the parameters in a state dict). */
  stateBuffers(): StateBuffer[] {
    return [];
  }

  /**
   * Allocates for batches of up to `capacity` samples of `inShape`. `ownsInput` says the input buffer is scratch
   * of the model (never user data), so an elementwise layer may overwrite it in place.
   */
  abstract prepare(inShape: Shape, capacity: number, ownsInput: boolean): void;

  /** Forward over `m` samples; returns the output buffer (valid until the next forward). */
  abstract forwardBuf(x: F32Buf, m: number): F32Buf;

  /**
   * Backward over the `m` samples of the last forward. Writes parameter gradients (accumulating into them, or
   * overwriting when `accumulate` is false) and returns the input gradient when `inputGrad` is true. May
   * overwrite `dy`.
   */
  abstract backwardBuf(dy: F32Buf, m: number, accumulate: boolean, inputGrad: boolean): F32Buf | null;

  /** The same forward in float64 on plain arrays (gradient checks, diagnostics). */
  abstract forward64(x: Float64Array, m: number, inShape: Shape, values: ParamValues): Float64Array;

  /** A short description, like PyTorch's repr. */
  abstract toString(): string;

  /** Returns buffers to the backend. */
  abstract dispose(): void;
}
