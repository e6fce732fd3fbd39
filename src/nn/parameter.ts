import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';

/**
 * A trainable tensor: values and gradient live in backend memory (wasm linear memory on the wasm backend), so
 * optimizers update them in place with no copies. `data` and `grad` are fresh zero-copy views on every read.
 */
export class Parameter {
  readonly size: number;

  constructor(
    /** PyTorch's state-dict name, e.g. `0.weight` once inside a `Sequential`. */
    public name: string,
    /** PyTorch's shape: `[out, in]` for a Linear weight, `[out]` for its bias. */
    readonly shape: readonly number[],
    readonly backend: Backend,
    readonly value: F32Buf = backend.alloc(shape.reduce((a, b) => a * b, 1)),
    readonly gradBuf: F32Buf = backend.alloc(shape.reduce((a, b) => a * b, 1)),
  ) {
    this.size = value.length;
  }

  /** The values (a view: writes go to the parameter). */
  get data(): Float32Array {
    return this.value.data;
  }

  /** The accumulated gradient (a view). */
  get grad(): Float32Array {
    return this.gradBuf.data;
  }

  /** Returns the memory to the backend. */
  dispose(): void {
    this.backend.free(this.value);
    this.backend.free(this.gradBuf);
  }
}
