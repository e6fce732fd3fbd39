import type { F32Buf, I32Buf } from '../buffers.js';
import type { Kernels } from '../kernels.js';

/** The three backends: C++ SIMD over N-API, WebAssembly SIMD, plain TypeScript. */
export type BackendName = 'native' | 'wasm' | 'js';

/**
 * A backend: one implementation of the kernel contract plus the memory its kernels address. Parameters,
 * gradients, activations and optimizer state are allocated here, so a wasm backend keeps them in its linear
 * memory and no step copies them.
 */
export interface Backend {
  readonly name: BackendName;
  /** What was loaded, for people: ISA, thread count, SIMD features. */
  readonly detail: string;
  /** Register tile of the GEMM micro-kernel; tests derive edge sizes (tile−1, tile, tile+1) from it. */
  readonly tiles: { readonly mr: number; readonly nr: number };
  /** A zero-filled buffer of `n` float32. */
  alloc(n: number): F32Buf;
  /** A zero-filled buffer of `n` int32 (class labels). */
  allocI32(n: number): I32Buf;
  /** Returns a buffer's memory to the backend; the handle must not be used afterwards. */
  free(buf: F32Buf | I32Buf): void;
  /** A zero-copy handle over caller memory when this backend can address it, else `null` (then copy in). */
  view(data: Float32Array): F32Buf | null;
  /** Like `view`, for int32 data. */
  viewI32(data: Int32Array): I32Buf | null;
  readonly k: Kernels;
}

/** One entry of `availableBackends()`: whether a backend loads here, and what loaded or why not. */
export interface BackendInfo {
  name: BackendName;
  available: boolean;
  /** Set when available: what loaded (e.g. `avx512f, 2 threads`). */
  detail?: string;
  /** Set when not available: why it could not load. */
  reason?: string;
}
