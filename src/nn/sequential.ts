/**
 * A stack of layers, like `torch.nn.Sequential`: parameter names are `<index>.<name>` (`"0.weight"`), so state
 * dicts move between descent and PyTorch. Buffers for activations and gradients are sized once per batch
 * capacity and reused, so training allocates nothing per step.
 */
import { grow } from '../backends/memory.js';
import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import { batchOf, checkBool, checkF32, checkOptions } from '../check.js';
import { describe, disposedError, dtypeError, optionError, shapeError, stateError } from '../errors.js';
import { Activation } from './activations.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { MaxPool2d } from './pooling.js';
import type { Initializer, InitName } from './init.js';
import { formatShape, Layer, sizeOf, type ParamValues, type StateBuffer } from './layer.js';
import { packParameters, type ParamArena, type Parameter } from './parameter.js';

/**
 * One entry of a state dict: PyTorch's shape and the values, row-major. Entries made by descent carry a
 * non-enumerable `toJSON`, so `JSON.stringify(model.stateDict())` writes `data` as a plain number array (every
 * float32 value exactly) instead of the `{"0": …, "1": …}` object JSON makes of a typed array.
 */
export interface TensorEntry {
  shape: number[];
  data: Float32Array;
}

/** A model's tensors by PyTorch name (`'0.weight'`), each `{ shape, data }`: `stateDict()` / `loadStateDict()`. */
export type StateDict = Record<string, TensorEntry>;

/** What `loadStateDict` accepts: descent's state dicts, and the same parsed back from JSON (`data` a number array). */
export type StateDictInput = Record<string, { shape: readonly number[]; data: Float32Array | readonly number[] }>;

function entryToJSON(this: TensorEntry): { shape: number[]; data: number[] } {
  return { shape: this.shape, data: Array.from(this.data) };
}

/**
 * A state-dict entry whose JSON form is `{ shape, data: [numbers] }`.
 * @example const e = tensorEntry([2], new Float32Array([1, 2])); JSON.stringify(e) // {"shape":[2],"data":[1,2]}
 */
export function tensorEntry(shape: number[], data: Float32Array): TensorEntry {
  return Object.defineProperty({ shape, data }, 'toJSON', { value: entryToJSON, enumerable: false, writable: true, configurable: true });
}

/**
 * Tensor values as a Float32Array: a Float32Array as is, a number array (a state dict back from JSON) converted
 * after checking every element is a number; anything else is an ERR_DTYPE naming `arg`.
 */
export function tensorData(call: string, arg: string, data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (!Array.isArray(data)) throw dtypeError(call, arg, 'a Float32Array or an array of numbers', data);
  const bad = data.findIndex((v) => typeof v !== 'number');
  if (bad >= 0) throw dtypeError(call, `${arg}[${bad}]`, 'a number', data[bad]);
  return Float32Array.from(data as number[]);
}

/** Options of `Sequential`. */
export interface SequentialOptions {
  /**
   * The per-sample input shape (`[784]`, `[1, 28, 28]`). Needed when the first layer does not fix it (a Conv2d,
   * Flatten or an activation first); when both exist they must agree.
   */
  inputShape?: readonly number[];
  /**
   * Fuse each ReLU/LeakyReLU that follows a Linear into the Linear's forward GEMM (bias and activation applied as
   * the GEMM stores its output) and into the input-gradient GEMM of the Linear after it, and run each ReLU that
   * directly precedes a MaxPool2d after the pool instead, on the pooled tensor (a quarter of the values for 2×2
   * pools; max and ReLU commute, and the gradients agree: see `swapsReluPool`), and run a Conv2d with the
   * MaxPool2d after it (and that ReLU) as one kernel each way, so the convolution's output and its gradient are never
   * stored for the whole batch (default true). Results are the
   * same bit for bit either way; `false` runs every layer on its own (for comparisons and benchmarks). Running
   * layers one by one (the lab's `activationStats`) never fuses, so pre-activations stay observable.
   */
  fuse?: boolean;
}

/**
 * A stack of layers, like `torch.nn.Sequential`: `forward`, `parameters()`, PyTorch-named state dicts
 * (`'0.weight'`), `train()`/`eval()`, `summary()` and `dispose()`. Train it with a `Trainer`.
 * @example
 * const model = new Sequential([new Linear(64, 128), new ReLU(), new Linear(128, 10)]);
 * const logits = model.forward(x);            // x: Float32Array [batch·64] → [batch·10]
 */
export class Sequential {
  readonly layers: readonly Layer[];
  readonly backend: Backend;
  /** Per-sample input shape, PyTorch's order without the batch axis (`[784]`, `[1, 28, 28]`). */
  readonly inputShape: readonly number[];
  /** Per-sample output shape. */
  readonly outputShape: readonly number[];
  /** Each layer's per-sample input shape; `shapes[layers.length]` is the output shape. */
  readonly shapes: readonly (readonly number[])[];
  /** Values in one input sample (the product of `inputShape`). */
  readonly inFeatures: number;
  /** Values in one output sample. */
  readonly outFeatures: number;
  /** Values per sample at each layer's input; `widths[layers.length]` is `outFeatures`. */
  readonly widths: readonly number[];
  /** Every parameter in one values buffer and one gradient buffer (fused optimizer steps). @internal */
  readonly arena: ParamArena | null;
  /** True when layers run fused (the `fuse` option): Linear+ReLU pairs, ReLU→MaxPool2d swaps, Conv2d+MaxPool2d. */
  readonly fused: boolean;
  /** Per layer: the slope of the activation after this Linear that its forward GEMM applies, else null. */
  private readonly fuseForward: readonly (number | null)[];
  /** Per layer: the slope of the activation before this Linear whose backward its input-gradient GEMM applies. */
  private readonly fuseBackward: readonly (number | null)[];
  /** Per layer: for a Conv2d whose output a MaxPool2d pools (directly, or after a ReLU it swaps with), that pool. */
  private readonly pooledConv: readonly (MaxPool2d | null)[];
  /** Per layer: true for a ReLU that runs after the MaxPool2d following it (`fuse`). */
  private readonly reluAfterPool: readonly boolean[];
  private capacity = 0;
  private input: F32Buf | null = null;
  private disposed = false;
  private mode = true;

  /**
   * @example
   * const model = new Sequential([new Linear(784, 256), new ReLU(), new Linear(256, 10)]);
   * const cnn = new Sequential([new Conv2d(1, 16, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(12544, 10)], { inputShape: [1, 28, 28] });
   */
  constructor(layers: Layer[], options: SequentialOptions = {}) {
    const call = 'Sequential';
    const o = checkOptions(call, options, ['inputShape', 'fuse']) as SequentialOptions;
    this.fused = checkBool(call, 'fuse', o.fuse ?? true);
    if (!Array.isArray(layers) || layers.length === 0) throw optionError(call, 'layers', 'a non-empty array of layers', layers);
    layers.forEach((layer, i) => {
      if (!(layer instanceof Layer)) throw optionError(call, `layers[${i}]`, 'a layer (Linear, ReLU, …)', layer);
    });
    this.backend = layers[0].backend;
    layers.forEach((layer, i) => {
      if (layer.backend !== this.backend) {
        throw optionError(call, `layers[${i}]`, `a layer created on backend '${this.backend.name}'`, `a layer on '${layer.backend.name}'`);
      }
    });
    this.layers = layers;
    this.inputShape = resolveInputShape(layers, o.inputShape);
    const shapes: (readonly number[])[] = [this.inputShape];
    layers.forEach((layer, i) => shapes.push(layer.outputShape(shapes[i], `Sequential (layer ${i}, ${layer.type})`)));
    this.shapes = shapes;
    this.outputShape = shapes[shapes.length - 1];
    this.widths = shapes.map(sizeOf);
    this.inFeatures = this.widths[0];
    this.outFeatures = this.widths[this.widths.length - 1];
    // The lecture's rule for init 'auto': Kaiming when ReLU/LeakyReLU follows (looking through normalisation,
    // dropout, pooling and flatten), Xavier otherwise.
    layers.forEach((layer, i) => {
      if (!isInitializable(layer) || layer.initOption !== 'auto') return;
      let next = i + 1;
      while (next < layers.length && layers[next].initPassThrough) next++;
      const chosen = layer.resolve(layers[next] ?? null);
      if (chosen.name !== layer.initializer.name) layer.resetParameters(chosen);
    });
    const slopeAt = (i: number) => (layers[i] instanceof Activation ? layers[i].fusedSlope : null);
    this.fuseForward = layers.map((layer, i) => (this.fused && layer instanceof Linear ? slopeAt(i + 1) : null));
    this.fuseBackward = layers.map((layer, i) => (this.fused && layer instanceof Linear && i > 0 ? slopeAt(i - 1) : null));
    this.reluAfterPool = layers.map((layer, i) => this.fused && swapsReluPool(layer, layers[i + 1]) && this.fuseForward[i - 1] == null);
    this.pooledConv = layers.map((layer, i) => {
      if (!this.fused || !(layer instanceof Conv2d)) return null;
      const pool = this.reluAfterPool[i + 1] ? layers[i + 2] : layers[i + 1];
      return pool instanceof MaxPool2d ? pool : null;
    });
    layers.forEach((layer, i) => {
      if (layer instanceof Conv2d) layer.pooledBy = this.pooledConv[i];
      if (layer instanceof MaxPool2d) layer.fusedAfterConv = this.pooledConv.includes(layer);
    });
    this.namedParameters().forEach(([name, p]) => (p.name = name));
    // Layers already packed by another model keep their arena; sharing layers between models stays correct.
    const params = this.parameters();
    this.arena = params.length > 0 && params.every((p) => !p.arena) ? packParameters(this.backend, params) : null;
  }

  /** True in training mode (the default), false after `eval()`: Dropout and BatchNorm behave as in PyTorch. */
  get training(): boolean {
    return this.mode;
  }

  /**
   * Training mode: Dropout drops, BatchNorm normalises with batch statistics and updates its running ones.
   * @example model.train(); await trainer.fit(data);
   */
  train(mode = true): this {
    this.assertLive('Sequential.train');
    if (typeof mode !== 'boolean') throw optionError('Sequential.train', 'mode', 'a boolean', mode);
    this.mode = mode;
    for (const layer of this.layers) layer.training = mode;
    return this;
  }

  /**
   * Inference mode (PyTorch's `model.eval()`): Dropout is the identity, BatchNorm uses its running statistics.
   * @example model.eval(); const logits = model.forward(x);
   */
  eval(): this {
    return this.train(false);
  }

  /** `[name, parameter]` pairs in PyTorch order: `0.weight`, `0.bias`, `2.weight`, … */
  namedParameters(): [string, Parameter][] {
    this.assertLive('Sequential.parameters');
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
    // A layer may overwrite its input in place when an earlier layer wrote it (views such as Flatten pass their
    // input through) and that layer's backward does not read it again (tanh's derivative comes from its output).
    let owned = false, producer: Layer | null = null;
    this.layers.forEach((layer, i) => {
      layer.prepare(this.shapes[i], capacity, owned && !producer?.keepsOutput);
      if (!layer.isView) {
        owned = true;
        producer = layer;
      }
    });
    this.capacity = capacity;
  }

  /** A backend handle for caller rows: zero-copy where the backend can address them, else copied into scratch. */
  inputBuffer(x: Float32Array, m: number): F32Buf {
    const view = this.backend.view(x);
    if (view) return view;
    const n = m * this.inFeatures;
    if (!this.input || this.input.length < this.capacity * this.inFeatures) this.input = grow(this.backend, this.input, this.capacity * this.inFeatures, 'Sequential');
    this.input.data.set(x.subarray(0, n));
    return this.input;
  }

  /** Forward over backend buffers (no checks, no copies): the trainer's path. */
  forwardBuf(x: F32Buf, m: number): F32Buf {
    const layers = this.layers;
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const slope = this.fuseForward[i], pool = this.pooledConv[i];
      if (pool) {
        // Conv2d + MaxPool2d in one kernel, and the ReLU between them, if any, on the pooled output.
        const relu = this.reluAfterPool[i + 1];
        h = (layers[i] as Conv2d).forwardPooled(h, m, pool, relu);
        if (relu) h = (layers[++i] as Activation).adoptFused(h);
        i++;
      } else if (this.reluAfterPool[i]) {
        h = layers[i + 1].forwardBuf(h, m);
        h = (layers[i] as Activation).activateInPlace(h, m * this.widths[i + 2]);
        i++;
      } else if (slope === null) h = layers[i].forwardBuf(h, m);
      else {
        // The Linear's GEMM applies the activation as it stores; the activation adopts that output.
        h = (layers[i] as Linear).forwardAct(h, m, 1, slope);
        h = (layers[++i] as Activation).adoptFused(h);
      }
    }
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
      const slope = this.fuseBackward[i];
      const conv = this.pooledConv[i - 1] === this.layers[i] ? i - 1 : this.pooledConv[i - 2] === this.layers[i] ? i - 2 : -1;
      if (conv >= 0) {
        // The ReLU (if any), MaxPool2d and Conv2d backward in one kernel.
        g = (this.layers[conv] as Conv2d).backwardPooled(g, m, accumulate, conv > firstTrainable, this.layers[i] as MaxPool2d, conv === i - 2);
        i = conv;
      } else if (i > 0 && this.reluAfterPool[i - 1]) {
        // The pool's input gradient is needed here (i > firstTrainable), so the ReLU's is too (it has no parameters).
        g = (this.layers[i - 1] as Activation).backwardInPlace(g, m * this.widths[i + 1]);
        g = this.layers[i].backwardBuf(g, m, accumulate, true);
        i--;
      } else if (slope !== null && i > firstTrainable) {
        // The activation in front is folded into this Linear's input-gradient GEMM: skip its own backward.
        g = (this.layers[i] as Linear).backwardAct(g, m, accumulate, true, slope);
        i--;
      } else g = this.layers[i].backwardBuf(g, m, accumulate, i > firstTrainable);
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
    this.assertLive('Sequential.forward64');
    let h = x;
    this.layers.forEach((layer, i) => (h = layer.forward64(h, m, this.shapes[i], values)));
    return h;
  }

  /** Sets every parameter gradient to zero. */
  zeroGrad(): void {
    this.assertLive('Sequential.zeroGrad');
    for (const p of this.parameters()) p.grad.fill(0);
  }

  /**
   * A copy of every parameter under PyTorch's names and shapes (`"0.weight"`: `[out, in]`). JSON-safe:
   * `JSON.stringify` writes each entry as `{ shape, data: [numbers] }`, which `loadStateDict` reads back exactly.
   * @example const sd = model.stateDict(); other.loadStateDict(sd);
   * @example other.loadStateDict(JSON.parse(JSON.stringify(model.stateDict())));
   */
  stateDict(): StateDict {
    this.assertLive('Sequential.stateDict');
    const sd: StateDict = {};
    for (const [name, t] of this.namedTensors()) sd[name] = tensorEntry([...t.shape], t.data.slice());
    return sd;
  }

  /** Every state-dict entry in PyTorch order: each layer's parameters, then its buffers (running statistics). */
  private namedTensors(): [string, Parameter | StateBuffer][] {
    const out: [string, Parameter | StateBuffer][] = [];
    this.layers.forEach((layer, i) => {
      for (const p of layer.parameters()) out.push([`${i}.${p.name.split('.').pop()}`, p]);
      for (const b of layer.stateBuffers()) out.push([`${i}.${b.name}`, b]);
    });
    return out;
  }

  /**
   * Loads parameters by PyTorch name. Every entry is checked (names, shapes, lengths, dtype) before anything is
   * written, so a bad state dict leaves the model untouched. `data` may be a Float32Array or, for a state dict
   * parsed back from JSON, an array of numbers (converted to float32).
   */
  loadStateDict(sd: StateDictInput, options: { strict?: boolean } = {}): void {
    const call = 'Sequential.loadStateDict';
    this.assertLive(call);
    const strict = checkBool(call, 'strict', (checkOptions(call, options, ['strict']) as { strict?: boolean }).strict ?? true);
    if (sd === null || typeof sd !== 'object') throw optionError(call, 'stateDict', 'an object of { shape, data } entries', sd);
    const named = this.namedTensors();
    const expected = new Set(named.map(([n]) => n));
    if (strict) {
      const unexpected = Object.keys(sd).filter((k) => !expected.has(k));
      const missing = [...expected].filter((k) => !(k in sd));
      if (unexpected.length || missing.length) {
        throw stateError(call, `keys do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`);
      }
    }
    const values: [Parameter | StateBuffer, Float32Array][] = [];
    for (const [name, p] of named) {
      if (!strict && !Object.hasOwn(sd, name)) continue;
      const entry = sd[name] as unknown as { shape?: unknown; data?: unknown } | null;
      if (entry === null || typeof entry !== 'object') throw stateError(call, `entry ${name} must be a { shape, data } object, received ${describe(entry)}`);
      const shape = Array.isArray(entry.shape) ? (entry.shape as unknown[]) : [];
      if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
        throw shapeError(call, name, `[${p.shape.join(', ')}]`, `[${shape.join(', ')}]`);
      }
      const data = tensorData(call, `${name}.data`, entry.data);
      const size = sizeOf(p.shape);
      if (data.length !== size) throw shapeError(call, `${name}.data`, `length ${size}`, `length ${data.length}`);
      for (let j = 0; j < data.length; j++) {
        if (!Number.isFinite(data[j])) throw stateError(call, `${name} holds ${data[j]} at index ${j}; weights must be finite (a diverged run's checkpoint?)`);
      }
      values.push([p, data]);
    }
    for (const [p, data] of values) p.data.set(data);
  }

  /** PyTorch's repr, with each layer's per-sample output shape. */
  toString(): string {
    return `Sequential(\n${this.layers.map((l, i) => `  (${i}): ${l}  → ${formatShape(this.shapes[i + 1])}`).join('\n')}\n)`;
  }

  /**
   * A table like Keras' `model.summary()`: each layer, its per-sample output shape and parameter count.
   * @example console.log(model.summary());
   */
  summary(): string {
    const rows = [['layer', 'output shape', 'params'], ['input', formatShape(this.inputShape), '']];
    this.layers.forEach((l, i) => rows.push([`${i}: ${l.type}`, formatShape(this.shapes[i + 1]), String(parameterCountOf(l))]));
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [line(rows[0]), rule, ...rows.slice(1).map(line), rule, `${this.parameterCount()} parameters (${this.backend.name} backend)`].join('\n');
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

  /** True after `dispose()`: every later use throws ERR_STATE. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws ERR_STATE naming `call` once the model was disposed. */
  assertLive(call: string): void {
    if (this.disposed) throw disposedError(call, 'model');
  }
}

/** A layer whose weights an initialiser draws (Linear, Conv2d): Sequential resolves its `'auto'` rule. */
interface Initializable {
  readonly initOption: 'auto' | InitName | Initializer;
  readonly initializer: Initializer;
  resolve(next: Layer | null): Initializer;
  resetParameters(initializer?: Initializer): void;
}

function isInitializable(layer: Layer): layer is Layer & Initializable {
  const l = layer as Partial<Initializable>;
  return 'initOption' in layer && typeof l.resolve === 'function' && typeof l.resetParameters === 'function';
}

/**
 * The option, else the input shape the first layers fix (looking through leading elementwise layers:
 * `[ReLU, Linear(4, …)]` takes `[4]`); ERR_SHAPE when neither exists.
 */
function resolveInputShape(layers: readonly Layer[], option: unknown): readonly number[] {
  const call = 'Sequential';
  let given: number[] | null = null;
  if (option !== undefined) {
    if (!Array.isArray(option) || option.length === 0 || !option.every((d) => Number.isInteger(d) && d >= 1)) {
      throw shapeError(call, 'inputShape', 'a non-empty array of positive integers (per sample, no batch axis), e.g. [1, 28, 28]', Array.isArray(option) ? `[${option.map((d) => describe(d)).join(', ')}]` : describe(option));
    }
    given = [...option];
  }
  if (given) return Object.freeze(given); // the layers' outputShape checks then say which layer cannot take it
  let at = 0;
  while (at < layers.length - 1 && layers[at].elementwise && !layers[at].fixedInputShape()) at++;
  const shape = layers[at].fixedInputShape();
  if (!shape) throw shapeError(call, 'inputShape', `an inputShape option: layer ${at} (${layers[at].type}) does not fix the input shape`, 'none');
  return Object.freeze(shape);
}

/** Parameter count of a layer (weights and biases). */
function parameterCountOf(layer: Layer): number {
  return layer.parameters().reduce((s, p) => s + p.size, 0);
}

export { Activation };

/**
 * True for a ReLU directly before a MaxPool2d: MaxPool2d(ReLU(x)) = ReLU(MaxPool2d(x)) bit for bit (ReLU is
 * non-decreasing and keeps NaN, and both pick the first maximum), so Sequential runs the ReLU on the pooled tensor.
 * The gradients agree too: where a window's maximum is positive both orders pick the same element and pass the
 * gradient; otherwise ReLU′ = 0 zeroes it either way (ReLU maps the whole window to 0, or the pooled value is ≤ 0 or
 * NaN). Not LeakyReLU: rounding `slope·x` can tie two negative inputs and move the first maximum.
 */
function swapsReluPool(layer: Layer, next: Layer | undefined): boolean {
  return layer instanceof Activation && layer.kind === 'relu' && next instanceof MaxPool2d;
}
