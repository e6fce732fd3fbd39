/**
 * Training diagnostics computed on the kernels that train: per-layer activation statistics (each layer's
 * `forwardBuf` on the active backend, read right after that layer ran, since activations overwrite the previous
 * Linear's output in place), per-parameter gradient statistics and update-to-weight ratios, a NaN/Inf sentinel,
 * and a recorder that collects all of it through `Trainer.fit` callbacks.
 */
import { batchOf, checkBool, checkF32, checkInt, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { Activation } from '../nn/activations.js';
import type { Sequential } from '../nn/sequential.js';
import type { BatchLogs, EpochLogs } from '../trainer.js';
import { summarize, vectorStats, type LayerStats } from './stats.js';

/** Options of `activationStats`. */
export interface ActivationStatsOptions {
  /** Histogram bins (default 40). */
  bins?: number;
  /** Rows in `x` (default: inferred from its length). */
  batch?: number;
  /** Histogram range for every layer (default: [−1, 1] for tanh, [0, 1] for sigmoid, else each layer's [min, max]). */
  range?: [number, number];
}

/**
 * Runs `x` through `model` one layer at a time on the active backend and summarises every layer's output:
 * mean, std, min/max, histogram, dead ReLU units, saturated tanh/sigmoid values.
 * @example
 * const { layers } = activationStats(model, x, { bins: 30 });
 * layers.filter((l) => l.activation).forEach((l) => console.log(l.index, l.std, l.deadFraction));
 */
export function activationStats(model: Sequential, x: Float32Array, options: ActivationStatsOptions = {}): { layers: LayerStats[] } {
  const call = 'activationStats';
  const o = checkOptions(call, options, ['bins', 'batch', 'range']) as ActivationStatsOptions;
  checkF32(call, 'x', x);
  const m = batchOf(call, 'x', x, model.inFeatures, o.batch);
  const bins = checkInt(call, 'bins', o.bins ?? 40, 1, 10_000);
  const range = checkRange(call, o.range);
  model.prepare(m);
  let h = model.inputBuffer(x, m);
  const layers: LayerStats[] = [];
  model.layers.forEach((layer, i) => {
    h = layer.forwardBuf(h, m);
    const activation = layer instanceof Activation ? layer.kind : null;
    layers.push(summarize(h.data, m, model.shapes[i + 1], { index: i, type: layer.type, activation }, bins, range));
  });
  return { layers };
}

export function checkRange(call: string, range: unknown): [number, number] | undefined {
  if (range === undefined) return undefined;
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[1] > range[0])) {
    throw optionError(call, 'range', 'a pair [lo, hi] of finite numbers with lo < hi', range);
  }
  return [range[0], range[1]];
}

/** One parameter's gradient statistics and update-to-weight ratio. */
export interface ParameterStats {
  /** State-dict name, e.g. `2.weight`. */
  name: string;
  /** Index of the owning layer in `model.layers`. */
  layer: number;
  shape: number[];
  /** ‖w‖₂. */
  weightNorm: number;
  weightStd: number;
  grad: { mean: number; std: number; absMax: number; norm: number };
  /**
   * ‖w − w_before‖ / ‖w‖ when a snapshot from before the step is given (CS231n's rule of thumb: about 1e-3;
   * much larger means the learning rate is too high, much smaller too low). NaN without a snapshot.
   */
  updateRatio: number;
  /** NaN/Inf count in the values and in the gradient. */
  nonFinite: { weight: number; grad: number };
}

/**
 * Copies of every parameter, to measure the next update with `parameterStats(model, before)`.
 * @example const before = snapshot(model); trainer.step(x, y); parameterStats(model, before);
 */
export function snapshot(model: Sequential): Float32Array[] {
  return model.parameters().map((p) => p.data.slice());
}

/**
 * Per-parameter gradient statistics (of the gradient currently held, i.e. after a backward pass), weight norms,
 * and, given a `snapshot` from before the optimizer step, the update-to-weight ratio ‖Δw‖/‖w‖.
 * @example
 * const before = snapshot(model); trainer.step(x, y);
 * for (const p of parameterStats(model, before)) console.log(p.name, p.grad.norm, p.updateRatio);
 */
export function parameterStats(model: Sequential, before?: Float32Array[]): ParameterStats[] {
  const params = model.namedParameters();
  if (before !== undefined && (!Array.isArray(before) || before.length !== params.length || before.some((b, i) => !(b instanceof Float32Array) || b.length !== params[i][1].size))) {
    throw optionError('parameterStats', 'before', `a snapshot(model) of ${params.length} parameters`, before);
  }
  return params.map(([name, p], i) => {
    const w = p.data, g = vectorStats(p.grad), ws = vectorStats(w);
    let ratio = NaN;
    if (before) {
      const b = before[i];
      let d = 0;
      for (let j = 0; j < w.length; j++) d += (w[j] - b[j]) * (w[j] - b[j]);
      ratio = Math.sqrt(d) / ws.norm;
    }
    return {
      name,
      layer: Number(name.split('.')[0]),
      shape: [...p.shape],
      weightNorm: ws.norm,
      weightStd: ws.std,
      grad: { mean: g.mean, std: g.std, absMax: g.absMax, norm: g.norm },
      updateRatio: ratio,
      nonFinite: { weight: ws.nonFinite, grad: g.nonFinite },
    };
  });
}

/** Where the first NaN or Inf appeared: which tensor, layer and how many values. */
export interface NonFiniteReport {
  /** What holds the first NaN/Inf: a parameter's values, a layer's output on the given rows, or a gradient. */
  kind: 'weight' | 'activation' | 'gradient';
  /** Index of the layer in `model.layers`. */
  layer: number;
  /** `2.weight` for parameters and gradients, `3 Tanh` for outputs. */
  name: string;
  /** How many values are NaN or ±Inf there. */
  count: number;
}

function countBad(a: Float32Array, n = a.length): number {
  let bad = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) bad++;
  return bad;
}

/**
 * The NaN/Inf sentinel: names the first place a non-finite value appears, or returns null. It looks, in this
 * order, at parameter values in forward order, at each layer's output on `x` (when given) in forward order, and
 * at gradients in backward order (the order the backward pass wrote them), so the report points at the origin.
 * @example
 * const bad = findNonFinite(model, x);
 * if (bad) throw new Error(`${bad.kind} ${bad.name} holds ${bad.count} NaN/Inf`);
 */
export function findNonFinite(model: Sequential, x?: Float32Array): NonFiniteReport | null {
  const named = model.namedParameters();
  for (const [name, p] of named) {
    const count = countBad(p.data);
    if (count) return { kind: 'weight', layer: Number(name.split('.')[0]), name, count };
  }
  if (x !== undefined) {
    checkF32('findNonFinite', 'x', x);
    const m = batchOf('findNonFinite', 'x', x, model.inFeatures);
    model.prepare(m);
    let h = model.inputBuffer(x, m);
    for (let i = 0; i < model.layers.length; i++) {
      h = model.layers[i].forwardBuf(h, m);
      const count = countBad(h.data, m * model.widths[i + 1]);
      if (count) return { kind: 'activation', layer: i, name: `${i} ${model.layers[i].type}`, count };
    }
  }
  for (let i = named.length - 1; i >= 0; i--) {
    const [name, p] = named[i];
    const count = countBad(p.grad);
    if (count) return { kind: 'gradient', layer: Number(name.split('.')[0]), name, count };
  }
  return null;
}

/** Options of `DiagnosticsRecorder`. */
export interface RecorderOptions {
  /** Record parameter statistics every `every` batches (default 1). */
  every?: number;
  /** Rows to run at the end of every epoch for activation statistics (default: none). */
  probe?: Float32Array;
  /** Histogram bins for the probe (default 40). */
  bins?: number;
  /** Abort `fit` (through `recorder.signal`) when a NaN/Inf appears (default true). */
  abortOnNonFinite?: boolean;
}

/** What `DiagnosticsRecorder` keeps per batch. */
export interface BatchRecord {
  /** Optimizer steps taken so far (1 after the first batch). */
  step: number;
  epoch: number;
  batch: number;
  loss: number;
  params: ParameterStats[];
}

/** What `DiagnosticsRecorder` keeps per epoch. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss?: number;
  /** Activation statistics on the probe rows after this epoch (when a probe was given). */
  activations?: LayerStats[];
}

/**
 * Records diagnostics over `Trainer.fit`: parameter statistics and update ratios per batch, activation
 * statistics on probe rows per epoch, and the first NaN/Inf (then aborts the run when `signal` is passed on).
 * @example
 * const rec = new DiagnosticsRecorder(model, { probe: x.subarray(0, 64 * 784) });
 * await trainer.fit(data, { epochs: 5, callbacks: rec.callbacks, signal: rec.signal });
 * console.log(rec.curves().updateRatio['0.weight']);
 */
export class DiagnosticsRecorder {
  readonly batches: BatchRecord[] = [];
  readonly epochs: EpochRecord[] = [];
  /** The first NaN/Inf seen, or null. */
  nonFinite: NonFiniteReport | null = null;
  /** Pass to `fit({ signal })`: aborted when a NaN/Inf appears (if `abortOnNonFinite`). */
  readonly signal: AbortSignal;
  /** Pass to `fit({ callbacks })`. */
  readonly callbacks: {
    /** Records the update ratios and gradient statistics of the batch. */
    onBatchEnd: (batch: number, logs: BatchLogs) => void;
    /** Records activation statistics on the probe batch. */
    onEpochEnd: (epoch: number, logs: EpochLogs) => void;
  };
  private readonly controller = new AbortController();
  private readonly every: number;
  private readonly probe?: Float32Array;
  private readonly bins: number;
  private readonly abortOnNonFinite: boolean;
  private before: Float32Array[] | undefined;
  private step = 0;

  constructor(readonly model: Sequential, options: RecorderOptions = {}) {
    const call = 'DiagnosticsRecorder';
    const o = checkOptions(call, options, ['every', 'probe', 'bins', 'abortOnNonFinite']) as RecorderOptions;
    this.every = checkInt(call, 'every', o.every ?? 1, 1);
    this.bins = checkInt(call, 'bins', o.bins ?? 40, 1, 10_000);
    this.abortOnNonFinite = checkBool(call, 'abortOnNonFinite', o.abortOnNonFinite ?? true);
    if (o.probe !== undefined) {
      checkF32(call, 'probe', o.probe);
      batchOf(call, 'probe', o.probe, model.inFeatures);
      this.probe = o.probe;
    }
    this.signal = this.controller.signal;
    this.before = this.every === 1 ? snapshot(model) : undefined;
    this.callbacks = {
      onBatchEnd: (batch, logs) => this.onBatchEnd(batch, logs),
      onEpochEnd: (epoch, logs) => this.onEpochEnd(epoch, logs),
    };
  }

  private onBatchEnd(batch: number, logs: BatchLogs): void {
    this.step++;
    let params: ParameterStats[] | null = null;
    if (this.step % this.every === 0) {
      params = parameterStats(this.model, this.before);
      this.batches.push({ step: this.step, epoch: logs.epoch, batch, loss: logs.loss, params });
    }
    // Snapshot only before a step that will be recorded: the ratio then measures exactly one update.
    this.before = (this.step + 1) % this.every === 0 ? snapshot(this.model) : undefined;
    if (!this.nonFinite && (!Number.isFinite(logs.loss) || params?.some((p) => p.nonFinite.weight || p.nonFinite.grad))) this.check();
  }

  private onEpochEnd(epoch: number, logs: EpochLogs): void {
    const record: EpochRecord = { epoch, loss: logs.loss };
    if (logs.valLoss !== undefined) record.valLoss = logs.valLoss;
    if (this.probe) record.activations = activationStats(this.model, this.probe, { bins: this.bins }).layers;
    this.epochs.push(record);
    if (!this.nonFinite && record.activations?.some((l) => l.nonFinite > 0)) this.check();
  }

  private check(): void {
    this.nonFinite = findNonFinite(this.model, this.probe);
    if (this.nonFinite && this.abortOnNonFinite) this.controller.abort();
  }

  /**
   * Series for plotting: loss per recorded step, and per parameter the update ratio and gradient norm.
   * @example const { step, updateRatio } = rec.curves();
   */
  curves(): { step: number[]; loss: number[]; updateRatio: Record<string, number[]>; gradNorm: Record<string, number[]> } {
    const updateRatio: Record<string, number[]> = {}, gradNorm: Record<string, number[]> = {};
    for (const b of this.batches) {
      for (const p of b.params) {
        (updateRatio[p.name] ??= []).push(p.updateRatio);
        (gradNorm[p.name] ??= []).push(p.grad.norm);
      }
    }
    return { step: this.batches.map((b) => b.step), loss: this.batches.map((b) => b.loss), updateRatio, gradNorm };
  }
}
