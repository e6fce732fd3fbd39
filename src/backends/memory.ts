/**
 * Allocation limits and all-or-nothing allocation, shared by every backend and every layer. One buffer holds at
 * most 1 GiB on every backend (the wasm allocator's largest block; js and native get the same bound, so a request
 * that fails on one fails on all with the same code), and growing scratch memory allocates the new buffers before
 * freeing the old ones, so a failed growth leaves a model exactly as usable as before.
 */
import type { F32Buf, I32Buf } from '../buffers.js';
import { memoryError } from '../errors.js';
import type { Backend } from './types.js';

/** Largest buffer in bytes on any backend: the wasm allocator's largest block (1 GiB minus its header). */
export const MAX_BUFFER_BYTES = 2 ** 30 - 64;
/** Largest buffer in float32/int32 elements. */
export const MAX_BUFFER_ELEMENTS = MAX_BUFFER_BYTES / 4;

/** Throws ERR_MEMORY unless `n` elements fit in one buffer (ERR_MEMORY too for a size that is not a count). */
export function checkAllocSize(call: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw memoryError(call, `cannot allocate ${n} elements (not a non-negative integer)`);
  if (n > MAX_BUFFER_ELEMENTS) {
    throw memoryError(call, `${n} elements (${n * 4} bytes) exceed the largest block any backend allocates (${MAX_BUFFER_BYTES} bytes); use a smaller batch or layer`);
  }
}

/** A buffer to allocate: `n` float32, or `{ i32: n }` int32. */
export type AllocSpec = number | { i32: number };

/**
 * Allocates every buffer or none: sizes are checked first, and if one allocation fails the ones already made are
 * freed before the error propagates. Layers and the trainer grow scratch memory with it, then free the old
 * buffers (allocate first, then swap).
 * @example const [y, dx] = allocAll(backend, [rows * out, rows * in]);
 */
export function allocAll(backend: Backend, specs: readonly AllocSpec[], call = 'alloc'): (F32Buf | I32Buf)[] {
  for (const s of specs) checkAllocSize(call, typeof s === 'number' ? s : s.i32);
  const out: (F32Buf | I32Buf)[] = [];
  try {
    for (const s of specs) out.push(typeof s === 'number' ? backend.alloc(s) : backend.allocI32(s.i32));
  } catch (error) {
    for (const buf of out) backend.free(buf);
    throw error;
  }
  return out;
}

/** `allocAll` for float32 buffers only. */
export function allocAllF32(backend: Backend, sizes: readonly number[], call = 'alloc'): F32Buf[] {
  return allocAll(backend, sizes, call) as F32Buf[];
}

/**
 * A buffer of `n` float32 replacing `old` (allocate first, then free `old`): a failed growth leaves `old` in place.
 * @example this.own = grow(this.backend, this.own, capacity * width, 'ReLU');
 */
export function grow(backend: Backend, old: F32Buf | null, n: number, call = 'alloc'): F32Buf {
  const [fresh] = allocAllF32(backend, [n], call);
  if (old) backend.free(old);
  return fresh;
}
