import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import { disposedError } from '../errors.js';

/**
 * A trainable tensor: values and gradient live in backend memory (wasm linear memory on the wasm backend), so
 * optimizers update them in place with no copies. `data` and `grad` are fresh zero-copy views on every read.
 * @example
 * for (const p of model.parameters()) console.log(p.size, p.data[0], p.grad[0]);
 */
export class Parameter {
  readonly size: number;
  /**
   * Set when a `Sequential` has packed its parameters into one arena: this parameter's values and gradient
   * are then views at `offset` into the arena's buffers, so an optimizer can update every parameter with one
   * kernel call. The parameter no longer owns its memory; the model frees the arena.
   * @internal
   */
  arena: ParamArena | null = null;
  #value: F32Buf;
  #gradBuf: F32Buf;
  #disposed = false;

  constructor(
    /** PyTorch's state-dict name, e.g. `0.weight` once inside a `Sequential`. */
    public name: string,
    /** PyTorch's shape: `[out, in]` for a Linear weight, `[out]` for its bias. */
    readonly shape: readonly number[],
    readonly backend: Backend,
    /** Values in backend memory (moved once, into the model's arena, when a `Sequential` is built). */
    value: F32Buf = backend.alloc(shape.reduce((a, b) => a * b, 1)),
    gradBuf: F32Buf = backend.alloc(shape.reduce((a, b) => a * b, 1)),
  ) {
    this.#value = value;
    this.#gradBuf = gradBuf;
    this.size = value.length;
  }

  /**
   * Every access to a parameter's memory goes through these accessors, so a disposed parameter (or one of a
   * disposed model) throws ERR_STATE naming the call instead of reading or writing freed memory, on every
   * backend (on wasm, freed blocks are reused by the next model).
   */
  get value(): F32Buf {
    if (this.#disposed) throw disposedError(`Parameter ${this.name} (value)`, 'parameter');
    return this.#value;
  }

  set value(buf: F32Buf) {
    this.#value = buf;
  }

  get gradBuf(): F32Buf {
    if (this.#disposed) throw disposedError(`Parameter ${this.name} (grad)`, 'parameter');
    return this.#gradBuf;
  }

  set gradBuf(buf: F32Buf) {
    this.#gradBuf = buf;
  }

  /** The values (a view: writes go to the parameter). */
  get data(): Float32Array {
    if (this.#disposed) throw disposedError(`Parameter ${this.name}.data`, 'parameter');
    return this.#value.data;
  }

  /** The accumulated gradient (a view). */
  get grad(): Float32Array {
    if (this.#disposed) throw disposedError(`Parameter ${this.name}.grad`, 'parameter');
    return this.#gradBuf.data;
  }

  /** True once the parameter (or the model holding it) was disposed. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Returns the memory to the backend (a packed parameter's memory belongs to its arena, freed by the model). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.arena) return;
    this.backend.free(this.#value);
    this.backend.free(this.#gradBuf);
  }

  /** Frees the parameter's own memory before it moves into an arena (the parameter stays usable). */
  releaseOwnMemory(): void {
    this.backend.free(this.#value);
    this.backend.free(this.#gradBuf);
  }
}

/** Values and gradients of several parameters in two buffers; each parameter starts on a 64-byte boundary. */
export interface ParamArena {
  readonly values: F32Buf;
  readonly grads: F32Buf;
  /** Elements covered, gaps included (gaps hold zeros, which every optimizer step leaves at zero). */
  readonly size: number;
  /** The packed parameters in order, with their element offsets. */
  readonly entries: readonly { param: Parameter; offset: number }[];
}

/** 16 floats = 64 bytes: SIMD loads stay aligned and parameters never share a cache line. */
const ALIGN = 16;

/**
 * Moves `params` into one values buffer and one gradient buffer (PyTorch's flat-parameter trick), so fused
 * optimizer kernels cover all of them in one call instead of one call each.
 */
export function packParameters(backend: Backend, params: readonly Parameter[]): ParamArena {
  const entries: { param: Parameter; offset: number }[] = [];
  let size = 0;
  for (const param of params) {
    entries.push({ param, offset: size });
    size += Math.ceil(param.size / ALIGN) * ALIGN;
  }
  const arena: ParamArena = { values: backend.alloc(size), grads: backend.alloc(size), size, entries };
  for (const { param, offset } of entries) {
    const view = (buf: F32Buf) => backend.view(buf.data.subarray(offset, offset + param.size))!;
    const values = view(arena.values), grads = view(arena.grads);
    values.data.set(param.value.data);
    grads.data.set(param.gradBuf.data);
    param.releaseOwnMemory();
    param.value = values;
    param.gradBuf = grads;
    param.arena = arena;
  }
  return arena;
}
