/**
 * The layer protocol. A `Sequential` runs layers over buffers it sizes once per batch capacity, so the training
 * loop allocates nothing: `prepare` (allocate for up to `capacity` rows), `forwardBuf`, `backwardBuf`. Each
 * layer also has a float64 forward for gradient checks.
 */
import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import type { Parameter } from './parameter.js';
import type { Initializer } from './init.js';

/** Float64 values standing in for parameters during a finite-difference check. */
export type ParamValues = (p: Parameter) => Float64Array;

export abstract class Layer {
  /** PyTorch's class name: `Linear`, `ReLU`, … */
  abstract readonly type: string;
  /** The backend whose memory and kernels this layer uses (the active one when it was created). */
  abstract readonly backend: Backend;

  /** Output width for an input width (throws ERR_SHAPE when they cannot fit). */
  abstract outputWidth(inFeatures: number, call: string): number;

  /** The initialiser the lecture's rule gives a Linear layer followed by this one (Kaiming after ReLU). */
  autoInit(): Initializer | null {
    return null;
  }

  /** This layer's own parameters, with local names (`weight`, `bias`). */
  parameters(): Parameter[] {
    return [];
  }

  /**
   * Allocates for batches of up to `capacity` rows of `inFeatures`. `ownsInput` says the input buffer is
   * scratch of the model (never user data), so an activation may overwrite it in place.
   */
  abstract prepare(inFeatures: number, capacity: number, ownsInput: boolean): void;

  /** Forward over `m` rows; returns the output buffer (valid until the next forward). */
  abstract forwardBuf(x: F32Buf, m: number): F32Buf;

  /**
   * Backward over `m` rows of the last forward. Writes parameter gradients (accumulating into them, or
   * overwriting when `accumulate` is false) and returns the input gradient when `inputGrad` is true. May
   * overwrite `dy`.
   */
  abstract backwardBuf(dy: F32Buf, m: number, accumulate: boolean, inputGrad: boolean): F32Buf | null;

  /** The same forward in float64 on plain arrays (gradient checks, diagnostics). */
  abstract forward64(x: Float64Array, m: number, inFeatures: number, values: ParamValues): Float64Array;

  /** A short description, like PyTorch's repr. */
  abstract toString(): string;

  /** Returns buffers to the backend. */
  abstract dispose(): void;
}
