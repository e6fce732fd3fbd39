/**
 * The optimizer base: holds parameters, hyperparameters and per-parameter state in backend memory, and turns
 * the step count into the scalars each fused kernel needs (bias corrections, first-step dampening, decayed
 * rates), so kernels never see `t`. State-dict keys follow torch.optim (`momentum_buffer`, `exp_avg`, …).
 */
import type { F32Buf } from '../buffers.js';
import type { Backend } from '../backends/types.js';
import { checkNumber, checkOneOf, checkOptions } from '../check.js';
import { disposedError, optionError, shapeError, stateError } from '../errors.js';
import { Parameter, type ParamArena } from '../nn/parameter.js';
import { tensorData } from '../nn/sequential.js';
import { fromTorchStateDict, isTorchStateDict, toTorchStateDict, type TorchOptimizerStateDict } from './torch.js';

/** One parameter's optimizer state with torch.optim's keys (`step`, `exp_avg`, …). */
export type OptimizerState = Record<string, number | Float32Array>;

/** torch.optim's state names, and which of them can never be negative (sums and averages of squares). */
const STATE_KEYS = ['momentum_buffer', 'sum', 'square_avg', 'grad_avg', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
const NON_NEGATIVE_STATE = ['sum', 'square_avg', 'exp_avg_sq', 'max_exp_avg_sq'];

/**
 * The memory one kernel call updates: a single parameter, or, when the parameters are exactly a model's packed
 * arena in order, all of them at once (one call per step instead of one per parameter; the arena's zero gaps
 * stay zero under every update rule).
 */
export interface Span {
  n: number;
  w: F32Buf;
  g: F32Buf;
}

/** An optimizer's state in torch.optim's layout: per-parameter state and one parameter group. */
export interface OptimizerStateDict {
  /** Per parameter index: `step` and the state tensors under torch.optim's names. */
  state: Record<number, OptimizerState>;
  /** One group (descent optimizers have a single parameter group): the hyperparameters and parameter indices. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * The base of every optimizer (`SGD`, `Adagrad`, `RMSprop`, `Adam`, `AdamW`): parameters, hyperparameters
 * and torch.optim-style state; `step()` runs one fused kernel over the model's parameters, `zeroGrad()` clears
 * the gradients, `lr` is read and set by schedulers.
 * @example
 * const optimizer: Optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 * optimizer.zeroGrad(); trainer.lossAndGrad(x, y); optimizer.step();   // what trainer.step(x, y) does
 */
export abstract class Optimizer<O extends object = object> {
  abstract readonly type: string;
  readonly params: readonly Parameter[];
  readonly backend: Backend;
  /** Steps taken so far (torch's per-parameter `step`; all parameters step together here). */
  stepCount = 0;
  /** True once the state buffers hold something (a step was taken, or state was loaded): state dicts include them. */
  private stateful = false;
  protected readonly options: O & { lr: number };
  /** Per state key: the buffers the kernels see (one per span) and per-parameter views (for state dicts). */
  private readonly stateBuffers = new Map<string, { spans: F32Buf[]; params: F32Buf[] }>();
  protected readonly empty: F32Buf;
  protected readonly spans: readonly Span[];
  private readonly arena: ParamArena | null;
  private disposed = false;

  protected constructor(call: string, params: Iterable<Parameter>, options: unknown, defaults: O & { lr: number }, known: readonly string[]) {
    const given = checkOptions(call, options, known);
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
      throw optionError(call, 'params', 'an array of Parameter (e.g. model.parameters())', params);
    }
    const list = [...params];
    if (list.length === 0) throw optionError(call, 'params', 'a non-empty list of parameters', list);
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw optionError(call, `params[${i}]`, 'a Parameter', p);
      if (p.backend !== list[0].backend) throw optionError(call, `params[${i}]`, `a parameter on backend '${list[0].backend.name}'`, `one on '${p.backend.name}'`);
      if (list.indexOf(p) !== i) throw optionError(call, `params[${i}]`, 'each parameter once', `a duplicate of params[${list.indexOf(p)}]`);
    });
    this.params = list;
    this.backend = list[0].backend;
    const arena = list[0].arena;
    this.arena = arena && arena.entries.length === list.length && arena.entries.every((e, i) => e.param === list[i]) ? arena : null;
    this.spans = this.arena
      ? [{ n: this.arena.size, w: this.arena.values, g: this.arena.grads }]
      : list.map((p) => ({ n: p.size, get w() { return p.value; }, get g() { return p.gradBuf; } }));
    this.empty = this.backend.alloc(0);
    this.options = { ...defaults, ...(given as Partial<O>) };
  }

  /** The learning rate (schedulers set it). */
  get lr(): number {
    return this.options.lr;
  }

  set lr(value: number) {
    this.assertLive(`${this.type}.lr`);
    this.options.lr = checkNumber(`${this.type}.lr`, 'lr', value, 0);
  }

  /**
   * Sets the rate without the ≥ 0 check. OneCycleLR's last step extrapolates past its schedule (to a negative
   * rate with linear annealing) exactly as PyTorch does; that rate is never used for an update within the cycle.
   */
  setScheduledLr(value: number): void {
    this.options.lr = checkNumber(`${this.type}.lr`, 'lr', value);
  }

  /** A copy of the hyperparameters. */
  get hyperparameters(): O & { lr: number } {
    return { ...this.options };
  }

  /**
   * State buffers under `key`, one per span (what the kernels update), allocated the first time they are
   * needed and filled with `initial` (torch's starting value: 0, or Adagrad's initial accumulator).
   */
  protected state(key: string, initial = 0): F32Buf[] {
    return this.stateEntry(key, initial).spans;
  }

  private stateEntry(key: string, initial = 0): { spans: F32Buf[]; params: F32Buf[] } {
    let entry = this.stateBuffers.get(key);
    if (!entry) {
      const spans = this.spans.map((s) => this.backend.alloc(s.n));
      if (initial !== 0) for (const b of spans) b.data.fill(initial);
      const arena = this.arena;
      const params = arena
        ? arena.entries.map(({ param, offset }) => this.backend.view(spans[0].data.subarray(offset, offset + param.size))!)
        : spans;
      entry = { spans, params };
      this.stateBuffers.set(key, entry);
    }
    return entry;
  }

  /**
   * Checks every hyperparameter value exactly as the constructor does (and normalises them in place);
   * `loadStateDict` runs it on the incoming values before anything is written.
   */
  protected abstract validate(call: string, options: O & { lr: number }): void;

  /**
   * Throws ERR_STATE naming `call` when the optimizer or one of its parameters (its model) was disposed, so no
   * update ever writes into freed memory.
   */
  assertLive(call: string): void {
    if (this.disposed) throw disposedError(call, 'optimizer');
    for (const p of this.params) if (p.disposed) throw stateError(call, `parameter ${p.name} was disposed (its model was disposed); create a new optimizer for a new model`);
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Applies one update to every parameter from its current gradient. */
  step(): void {
    this.assertLive(`${this.type}.step`);
    this.stepCount++;
    this.stateful = true;
    this.update(this.stepCount);
  }

  protected abstract update(t: number): void;

  /** Sets every parameter gradient to zero (PyTorch accumulates gradients across backward passes). */
  zeroGrad(): void {
    this.assertLive(`${this.type}.zeroGrad`);
    for (const p of this.params) p.grad.fill(0);
  }

  /**
   * Copies of the state (torch.optim names) and the hyperparameters. `{ format: 'torch' }` gives what
   * `torch.optim.X.state_dict()` holds (snake_case hyperparameters, torch's flags, `step` as torch stores it,
   * tensors as JSON-safe `{ shape, data }` entries), for `optimizer.load_state_dict` after a JSON or safetensors trip.
   * @example const sd = optimizer.stateDict({ format: 'torch' }); // { state: {0: {step, exp_avg, …}}, param_groups: [{lr, betas, …}] }
   */
  stateDict(options: { format: 'torch' }): TorchOptimizerStateDict;
  stateDict(options?: { format?: 'descent' }): OptimizerStateDict;
  stateDict(options: { format?: 'descent' | 'torch' } = {}): OptimizerStateDict | TorchOptimizerStateDict {
    this.assertLive(`${this.type}.stateDict`);
    const { format = 'descent' } = checkOptions(`${this.type}.stateDict`, options, ['format']) as { format?: string };
    checkOneOf(`${this.type}.stateDict`, 'format', format, ['descent', 'torch']);
    const sd = this.descentStateDict();
    return format === 'torch' ? toTorchStateDict(sd, this.type, this.params) : sd;
  }

  private descentStateDict(): OptimizerStateDict {
    const state: Record<number, OptimizerState> = {};
    if (this.stateful) {
      this.params.forEach((_, i) => {
        const s: OptimizerState = this.stepCount > 0 ? { step: this.stepCount } : {};
        for (const [key, { params }] of this.stateBuffers) s[key] = params[i].data.slice();
        state[i] = s;
      });
    }
    return { state, paramGroups: [{ ...this.options, params: this.params.map((_, i) => i) }] };
  }

  /**
   * Restores state and hyperparameters; everything is checked before anything is written. Takes descent's form or
   * torch.optim's (`param_groups`, snake_case names, torch's flags, `step` as a number or a one-element tensor),
   * also after a JSON or safetensors trip (state tensors as number arrays or `{ shape, data }`).
   * @example optimizer.loadStateDict(JSON.parse(torchStateDictJson));
   */
  loadStateDict(sd: OptimizerStateDict | TorchOptimizerStateDict): void {
    const call = `${this.type}.loadStateDict`;
    this.assertLive(call);
    if (isTorchStateDict(sd)) sd = fromTorchStateDict(sd, this.type, Object.keys(this.options), this.params);
    const group = (sd as { paramGroups?: unknown[] } | null)?.paramGroups?.[0];
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.paramGroups.length !== 1 || !group || typeof group !== 'object' || !sd.state || typeof sd.state !== 'object') {
      throw stateError(call, 'expected { state, paramGroups: [one group] }');
    }
    const { params: indices, ...hyper } = sd.paramGroups[0];
    if (!Array.isArray(indices) || indices.length !== this.params.length) {
      throw stateError(call, `the state dict has ${indices?.length ?? 0} parameters, this optimizer ${this.params.length}`);
    }
    const known = Object.keys(this.options);
    for (const key of Object.keys(hyper)) {
      if (!known.includes(key)) throw stateError(call, `unknown hyperparameter '${key}' for ${this.type} (its hyperparameters: ${known.join(', ')}); is the state dict from another optimizer?`);
    }
    // Values are checked like the constructor checks them: a checkpoint must not smuggle in lr NaN or betas [2, 2].
    const merged = { ...this.options, ...hyper } as O & { lr: number };
    try {
      this.validate(call, merged);
    } catch (error) {
      throw stateError(call, `invalid hyperparameters in the state dict: ${(error as Error).message}`);
    }
    const entries = Object.entries(sd.state);
    let step = 0;
    const incoming = new Map<string, Float32Array[]>();
    for (const [index, s] of entries) {
      const i = Number(index), p = this.params[i];
      if (!p) throw stateError(call, `state for parameter ${index}, which does not exist`);
      if (s === null || typeof s !== 'object') throw stateError(call, `state of parameter ${i} must be an object`);
      for (const [key, value] of Object.entries(s)) {
        if (key === 'step') {
          if (!Number.isInteger(value) || (value as number) < 0) throw stateError(call, `step of parameter ${i} must be a non-negative integer`);
          step = value as number;
          continue;
        }
        if (!STATE_KEYS.includes(key)) throw stateError(call, `unknown state '${key}' of parameter ${i} (known: ${STATE_KEYS.join(', ')})`);
        if (!(value instanceof Float32Array) && !Array.isArray(value)) throw stateError(call, `state '${key}' of parameter ${i} must be a Float32Array or an array of numbers`);
        const data = tensorData(call, `state['${i}'].${key}`, value);
        if (data.length !== p.size) throw shapeError(call, `state['${i}'].${key}`, `length ${p.size}`, `length ${data.length}`);
        const nonNegative = NON_NEGATIVE_STATE.includes(key);
        for (let j = 0; j < data.length; j++) {
          const v = data[j];
          if (!Number.isFinite(v) || (nonNegative && v < 0)) throw stateError(call, `state '${key}' of parameter ${i} holds ${v} at ${j} (expected finite${nonNegative ? ', ≥ 0' : ''} values)`);
        }
        if (!incoming.has(key)) incoming.set(key, []);
        incoming.get(key)![i] = data;
      }
    }
    if (entries.length > 0 && entries.length !== this.params.length) throw stateError(call, 'state must cover every parameter or none');
    for (const [key, arrays] of incoming) {
      for (let i = 0; i < this.params.length; i++) if (!arrays[i]) throw stateError(call, `state '${key}' is missing for parameter ${i}`);
    }
    Object.assign(this.options, merged);
    this.stepCount = step;
    this.stateful = entries.length > 0;
    for (const [key, arrays] of incoming) this.stateEntry(key).params.forEach((buf, i) => buf.data.set(arrays[i]));
    this.afterLoad(new Set(incoming.keys()));
  }

  /** Called after a state dict was loaded, with the state keys it carried. */
  protected afterLoad(_loaded: ReadonlySet<string>): void {}

  /** Returns the state memory to the backend. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { spans } of this.stateBuffers.values()) for (const b of spans) this.backend.free(b);
    this.stateBuffers.clear();
    this.backend.free(this.empty);
  }
}

/** Checks shared by every optimizer. */
export function checkCommon(call: string, o: { lr: number; weightDecay?: number; eps?: number }): void {
  checkNumber(call, 'lr', o.lr, 0);
  if (o.weightDecay !== undefined) checkNumber(call, 'weightDecay', o.weightDecay, 0);
  if (o.eps !== undefined) checkNumber(call, 'eps', o.eps, 0);
}
