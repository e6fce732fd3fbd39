/**
 * A stack of layers, like `torch.nn.Sequential`: parameter names are `<index>.<name>` (`"0.weight"`), so state
 * dicts move between descent and PyTorch. Buffers for activations and gradients are sized once per batch
 * capacity and reused, so training allocates nothing per step.
 */
import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import { batchOf, checkF32 } from '../check.js';
import { optionError, shapeError, stateError } from '../errors.js';
import { Activation } from './activations.js';
import { Layer, type ParamValues } from './layer.js';
import { Linear } from './linear.js';
import { packParameters, type ParamArena, type Parameter } from './parameter.js';

/** One entry of a state dict: PyTorch's shape and the values, row-major. */
export interface TensorEntry {
  shape: number[];
  data: Float32Array;
}

export type StateDict = Record<string, TensorEntry>;

export class Sequential {
  readonly layers: readonly Layer[];
  readonly backend: Backend;
  /** Input width (of the first Linear). */
  readonly inFeatures: number;
  /** Output width. */
  readonly outFeatures: number;
  /** Width of each layer's input; `widths[layers.length]` is the output width. */
  readonly widths: readonly number[];
  /** Every parameter in one values buffer and one gradient buffer (fused optimizer steps). */
  readonly arena: ParamArena | null;
  private capacity = 0;
  private input: F32Buf | null = null;
  private disposed = false;

  /**
   * @example
   * const model = new Sequential([new Linear(784, 256), new ReLU(), new Linear(256, 10)]);
   * const logits = model.forward(x);   // x: Float32Array of batch·784
   */
  constructor(layers: Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) throw optionError('Sequential', 'layers', 'a non-empty array of layers', layers);
    layers.forEach((layer, i) => {
      if (!(layer instanceof Layer)) throw optionError('Sequential', `layers[${i}]`, 'a layer (Linear, ReLU, …)', layer);
    });
    const first = layers.find((l): l is Linear => l instanceof Linear);
    if (!first) throw optionError('Sequential', 'layers', 'at least one Linear layer (it fixes the input width)', layers);
    this.backend = layers[0].backend;
    layers.forEach((layer, i) => {
      if (layer.backend !== this.backend) {
        throw optionError('Sequential', `layers[${i}]`, `a layer created on backend '${this.backend.name}'`, `a layer on '${layer.backend.name}'`);
      }
    });
    this.layers = layers;
    const widths = [first.inFeatures];
    layers.forEach((layer) => widths.push(layer.outputWidth(widths[widths.length - 1], 'Sequential')));
    this.widths = widths;
    this.inFeatures = widths[0];
    this.outFeatures = widths[widths.length - 1];
    // The lecture's rule for init 'auto': Kaiming when ReLU/LeakyReLU follows, Xavier otherwise.
    layers.forEach((layer, i) => {
      if (layer instanceof Linear && layer.initOption === 'auto') {
        const chosen = layer.resolve(layers[i + 1] ?? null);
        if (chosen.name !== layer.initializer.name) layer.resetParameters(chosen);
      }
    });
    this.namedParameters().forEach(([name, p]) => (p.name = name));
    // Layers already packed by another model keep their arena; sharing layers between models stays correct.
    const params = this.parameters();
    this.arena = params.length > 0 && params.every((p) => !p.arena) ? packParameters(this.backend, params) : null;
  }

  /** `[name, parameter]` pairs in PyTorch order: `0.weight`, `0.bias`, `2.weight`, … */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    this.layers.forEach((layer, i) => {
      for (const p of layer.parameters()) out.push([`${i}.${p.name.split('.').pop()}`, p]);
    });
    return out;
  }

  /** Every trainable parameter, in PyTorch order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Sizes every buffer for batches of up to `capacity` rows (grows only). */
  prepare(capacity: number): void {
    this.assertLive('Sequential.prepare');
    if (capacity <= this.capacity) return;
    if (this.input) this.backend.free(this.input);
    this.input = null;
    this.layers.forEach((layer, i) => layer.prepare(this.widths[i], capacity, i > 0));
    this.capacity = capacity;
  }

  /** A backend handle for caller rows: zero-copy where the backend can address them, else copied into scratch. */
  inputBuffer(x: Float32Array, m: number): F32Buf {
    const view = this.backend.view(x);
    if (view) return view;
    const n = m * this.inFeatures;
    if (!this.input || this.input.length < this.capacity * this.inFeatures) {
      if (this.input) this.backend.free(this.input);
      this.input = this.backend.alloc(this.capacity * this.inFeatures);
    }
    this.input.data.set(x.subarray(0, n));
    return this.input;
  }

  /** Forward over backend buffers (no checks, no copies): the trainer's path. */
  forwardBuf(x: F32Buf, m: number): F32Buf {
    let h = x;
    for (const layer of this.layers) h = layer.forwardBuf(h, m);
    return h;
  }

  /**
   * Backward from `dy` (gradient of the loss w.r.t. the output) through every layer. Accumulates into the
   * parameter gradients like PyTorch, or overwrites them when `accumulate` is false (saves a zeroing pass).
   */
  backwardBuf(dy: F32Buf, m: number, accumulate = true): void {
    let g: F32Buf | null = dy;
    // The first layer with parameters needs no input gradient; layers before it need nothing at all.
    const firstTrainable = this.layers.findIndex((l) => l.parameters().length > 0);
    for (let i = this.layers.length - 1; i >= Math.max(firstTrainable, 0) && g; i--) {
      g = this.layers[i].backwardBuf(g, m, accumulate, i > firstTrainable);
    }
  }

  /**
   * Runs the model on `batch` rows (inferred from the length when omitted) and returns a copy of the outputs.
   * @example
   * const y = model.forward(new Float32Array(2 * 784), 2);   // 2·10 logits
   */
  forward(x: Float32Array, batch?: number): Float32Array {
    this.assertLive('Sequential.forward');
    checkF32('Sequential.forward', 'x', x);
    const m = batchOf('Sequential.forward', 'x', x, this.inFeatures, batch);
    this.prepare(m);
    const out = this.forwardBuf(this.inputBuffer(x, m), m);
    return out.data.slice(0, m * this.outFeatures);
  }

  /** The float64 forward used by gradient checks. */
  forward64(x: Float64Array, m: number, values: ParamValues): Float64Array {
    let h = x;
    this.layers.forEach((layer, i) => (h = layer.forward64(h, m, this.widths[i], values)));
    return h;
  }

  /** Sets every parameter gradient to zero. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad.fill(0);
  }

  /**
   * A copy of every parameter under PyTorch's names and shapes (`"0.weight"`: `[out, in]`).
   * @example const sd = model.stateDict(); other.loadStateDict(sd);
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [name, p] of this.namedParameters()) sd[name] = { shape: [...p.shape], data: p.data.slice() };
    return sd;
  }

  /**
   * Loads parameters by PyTorch name. Every entry is checked (names, shapes, lengths, dtype, finiteness) before
   * anything is written, so a bad state dict leaves the model untouched.
   */
  loadStateDict(sd: StateDict, { strict = true }: { strict?: boolean } = {}): void {
    const call = 'Sequential.loadStateDict';
    if (sd === null || typeof sd !== 'object') throw optionError(call, 'stateDict', 'an object of { shape, data } entries', sd);
    const named = this.namedParameters();
    const expected = new Set(named.map(([n]) => n));
    if (strict) {
      const unexpected = Object.keys(sd).filter((k) => !expected.has(k));
      const missing = [...expected].filter((k) => !(k in sd));
      if (unexpected.length || missing.length) {
        throw stateError(call, `keys do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`);
      }
    }
    for (const [name, p] of named) {
      const entry = sd[name];
      if (!entry) continue;
      const data = entry.data as unknown;
      checkF32(call, `${name}.data`, data);
      const shape = Array.isArray(entry.shape) ? entry.shape : [];
      if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
        throw shapeError(call, name, `[${p.shape.join(', ')}]`, `[${shape.join(', ')}]`);
      }
      if ((data as Float32Array).length !== p.size) throw shapeError(call, `${name}.data`, `length ${p.size}`, `length ${(data as Float32Array).length}`);
    }
    for (const [name, p] of named) if (sd[name]) p.data.set(sd[name].data);
  }

  /** PyTorch-style summary. */
  toString(): string {
    return `Sequential(\n${this.layers.map((l, i) => `  (${i}): ${l}`).join('\n')}\n)`;
  }

  /** Returns every buffer to the backend (wasm memory is reused by the next model). */
  dispose(): void {
    if (this.disposed) return;
    for (const layer of this.layers) layer.dispose();
    if (this.arena) {
      this.backend.free(this.arena.values);
      this.backend.free(this.arena.grads);
    }
    if (this.input) this.backend.free(this.input);
    this.input = null;
    this.disposed = true;
  }

  private assertLive(call: string): void {
    if (this.disposed) throw stateError(call, 'the model was disposed');
  }
}

export { Activation };
