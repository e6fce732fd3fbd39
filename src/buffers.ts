/**
 * Buffers are handles, not arrays: a wasm backend's memory can grow, which detaches every view into it, so a
 * handle re-derives its view on each `.data` read. Code that calls kernels passes handles; code that reads values
 * reads `.data` right before use and never keeps the array across an allocation.
 */
export interface F32Buf {
  /** Number of float32 elements. */
  readonly length: number;
  /** The current view of the elements (zero-copy; re-read after any allocation on the same backend). */
  readonly data: Float32Array;
  /** Byte offset into the backend's linear memory, where the backend has one (wasm). */
  readonly ptr?: number;
}

/** A backend buffer of int32 (class labels); `data` is a fresh view on every read, like `F32Buf`. */
export interface I32Buf {
  readonly length: number;
  readonly data: Int32Array;
  readonly ptr?: number;
}

/** A handle over an ordinary typed array (js and native backends address any JavaScript memory). */
export function heapF32(data: Float32Array): F32Buf {
  return { length: data.length, data };
}

export function heapI32(data: Int32Array): I32Buf {
  return { length: data.length, data };
}
