/**
 * The training loop: forward, fused loss, backward and the optimizer on preallocated buffers, so a step
 * allocates nothing. `fit` adds batching, seeded shuffling, validation, callbacks, early stopping, scheduling
 * and a progress bar, and yields to the event loop so browsers and servers stay responsive.
 */
import type { F32Buf, I32Buf } from './buffers.js';
import { batchOf, checkBool, checkF32, checkInt, checkNumber, checkOneOf, checkOptions } from './check.js';
import { allocAll } from './backends/memory.js';
import { disposedError, nonFiniteError, optionError, shapeError } from './errors.js';
import { findNonFinite } from './lab/diagnostics.js';
import { LOSS_NAMES, LOSSES, type Loss, type LossName, type Target } from './nn/loss.js';
import type { Sequential, StateDict } from './nn/sequential.js';
import { Optimizer } from './optim/optimizer.js';
import { ReduceLROnPlateau, type Scheduler } from './optim/schedulers.js';
import { defaultStream, formatRate, ProgressBar } from './progress.js';
import { globalRng, Rng } from './rng.js';
import { checkAugment, type Augmentation, type ImageShape } from './data/augment.js';

/** What a `Trainer` is built from; `L` is the loss, so `evaluate()` knows whether it reports accuracy. */
export interface TrainerOptions<L extends LossName | Loss = LossName | Loss> {
  optimizer: Optimizer;
  /** `'crossEntropy'` (Int32Array labels), `'mse'` or `'bceWithLogits'` (Float32Array targets), or a Loss. */
  loss: L;
  /** Stepped by `fit`: after each batch or epoch, per `scheduler.interval` (ReduceLROnPlateau gets the monitored loss). */
  scheduler?: Scheduler;
}

/** Rows for `fit` and `evaluate`: `x` row-major `[rows·features]`, `y` one label (or target row) per row. */
export interface Dataset {
  x: Float32Array;
  y: Target;
}

/** What `fit` reports after each epoch (to `onEpochEnd` and the progress line). */
export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  samplesPerSecond: number;
  seconds: number;
}

/** What `fit` reports after each batch (to `onBatchEnd`). */
export interface BatchLogs {
  epoch: number;
  batch: number;
  loss: number;
  size: number;
}

/** Options of `fit`; the defaults are in the README's Quick start. */
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the training rows every epoch (default true), with `seed` or the global generator. */
  shuffle?: boolean;
  seed?: number;
  /** Generator for shuffling (overrides `seed`); its state advances, so a checkpoint can save and restore it. */
  rng?: Rng;
  /** Number the first epoch `initialEpoch + 1` (resuming a run); `epochs` is the last epoch number. */
  initialEpoch?: number;
  /**
   * Resume inside epoch `initialEpoch + 1`: skip its first `initialBatch` batches, which an interrupted run already
   * trained (`History.stoppedAt` says where it stopped). The generator must hold its state from before that
   * epoch's shuffle, so the epoch draws the same order; the run then continues bit-identically.
   */
  initialBatch?: number;
  /** Loss and accuracy sums of those skipped batches (`History.stoppedAt` fits), so the epoch's logs cover all of it. */
  partialEpoch?: EpochSums;
  /** Stop cleanly after the current batch when aborted (Ctrl-C handlers); the history says `aborted`. */
  signal?: AbortSignal;
  /** Hold out the last fraction of the rows (before shuffling) for validation, like Keras. */
  validationSplit?: number;
  validationData?: Dataset;
  callbacks?: {
    /** Called after each epoch (awaited if it returns a promise). */
    onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
    /** Called after each batch (awaited if it returns a promise). */
    onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  };
  /** Stop after `patience` epochs without an improvement of the monitored loss (validation loss if any). */
  earlyStopping?: { patience: number; minDelta?: number; restoreBestWeights?: boolean };
  /** Progress bar on stderr: true, false, or `'auto'` (default: only on a TTY). */
  progress?: boolean | 'auto';
  /** Validation and evaluation batch size (default 1024). */
  evalBatchSize?: number;
  /**
   * Random transforms of each training batch, in order (`randomHorizontalFlip()`, `randomCrop({ padding })` or
   * your own `Augmentation`); the model's samples must be images (`inputShape` [channels, height, width]).
   * Validation and evaluation data are never augmented. Each epoch draws one number from the shuffling generator
   * (after its shuffle) that seeds its batches' transforms, so seeded and resumed runs repeat exactly.
   */
  augment?: Augmentation | Augmentation[];
  /**
   * Stop at the first non-finite training or validation loss with an ERR_NONFINITE error naming the first layer
   * whose weights or outputs are NaN/Inf (default true). The weights stay those before the failing step.
   */
  stopOnNonFinite?: boolean;
}

/** Where training diverged: on the ERR_NONFINITE error `fit` throws (`error.divergence`). */
export interface Divergence {
  epoch: number;
  /** 0-based batch within the epoch; −1 for the validation loss. */
  batch: number;
  loss: number;
  /** The first non-finite weight or activation, when one is found. */
  where: { kind: 'weight' | 'activation' | 'gradient' | 'loss'; layer: number; name: string; count: number } | null;
  /** The history of the completed epochs. */
  history: History;
}

/** Running sums over the batches of one epoch: Σ batch-mean loss × rows, correct predictions, rows. */
export interface EpochSums {
  lossSum: number;
  correct: number;
  rows: number;
}

/** Where an aborted `fit` stopped: `batch` batches of epoch `epoch` are done, with these sums. */
export interface StopPoint extends EpochSums {
  epoch: number;
  batch: number;
}

/** Per-epoch values returned by `fit` (Keras-style), and how it ended. */
export interface History {
  epoch: number[];
  loss: number[];
  accuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
  lr: number[];
  /** Set when early stopping ended the run: the epoch whose weights were best. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  /** True when `signal` aborted the run (the last epoch entry is then partial and not recorded). */
  aborted: boolean;
  /**
   * When aborted: the epoch and batch count to resume from (`initialEpoch: epoch - 1, initialBatch: batch,
   * partialEpoch: stoppedAt`, with the generator state from before that epoch's shuffle).
   */
  stoppedAt?: StopPoint;
}

/**
 * What `Trainer.evaluate` returns: the mean loss, plus `accuracy` (a fraction in [0, 1]) for the classification
 * losses — typed as always present when the trainer was built with `'crossEntropy'` or `'bceWithLogits'`, absent
 * with `'mse'`, and optional for a loss object.
 */
export type Evaluation<L extends LossName | Loss = LossName | Loss> = [L] extends ['mse']
  ? { loss: number }
  : [L] extends ['crossEntropy' | 'bceWithLogits']
    ? { loss: number; accuracy: number }
    : { loss: number; accuracy?: number };

/**
 * Trains a `Sequential` with an optimizer and a loss: `step` (one batch), `fit` (epochs, shuffling,
 * validation, callbacks, early stopping, schedulers), `evaluate` (mean loss and accuracy) and `predict`.
 * @example
 * const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
 * await trainer.fit({ x, y }, { epochs: 10, batchSize: 64 });
 * const { loss, accuracy } = trainer.evaluate(testX, testY);
 */
export class Trainer<L extends LossName | Loss = LossName | Loss> {
  readonly model: Sequential;
  readonly optimizer: Optimizer;
  readonly loss: Loss;
  readonly scheduler?: Scheduler;
  private capacity = 0;
  private rowLoss: F32Buf | null = null;
  private grad: F32Buf | null = null;
  private target: F32Buf | I32Buf | null = null;
  /** A zero-length gradient tells the loss kernels to skip the gradient (evaluation). */
  private noGrad: F32Buf | null = null;
  private disposed = false;

  /**
   * @example
   * const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
   * const loss = trainer.step(x, labels);
   */
  constructor(model: Sequential, options: TrainerOptions<L>) {
    const o = checkOptions('Trainer', options, ['optimizer', 'loss', 'scheduler']) as unknown as TrainerOptions;
    if (!model || typeof (model as Sequential).forwardBuf !== 'function') throw optionError('Trainer', 'model', 'a Sequential', model);
    if (!(o.optimizer instanceof Optimizer)) throw optionError('Trainer', 'optimizer', 'an optimizer (SGD, Adam, …)', o.optimizer);
    model.assertLive('Trainer');
    o.optimizer.assertLive('Trainer');
    const params = new Set(model.parameters());
    if (o.optimizer.params.some((p) => !params.has(p))) throw optionError('Trainer', 'optimizer', "an optimizer over this model's parameters", 'one over other parameters');
    this.model = model;
    this.optimizer = o.optimizer;
    this.loss = typeof o.loss === 'string' ? LOSSES[checkOneOf('Trainer', 'loss', o.loss, LOSS_NAMES)] : o.loss;
    if (!this.loss || typeof this.loss.run !== 'function') throw optionError('Trainer', 'loss', `one of ${LOSS_NAMES.join(', ')}`, o.loss);
    if (o.scheduler && o.scheduler.optimizer !== o.optimizer) throw optionError('Trainer', 'scheduler', "a scheduler of this trainer's optimizer", 'one of another optimizer');
    this.scheduler = o.scheduler;
  }

  /**
   * Returns the trainer's loss, gradient and target buffers to the backend (the model and optimizer keep
   * theirs: dispose them with `model.dispose()` and `optimizer.dispose()`). Any later use of the trainer throws
   * ERR_STATE.
   */
  dispose(): void {
    const b = this.model.backend;
    for (const buf of [this.rowLoss, this.grad, this.target, this.noGrad]) if (buf) b.free(buf);
    this.rowLoss = this.grad = this.target = this.noGrad = null;
    this.capacity = 0;
    this.disposed = true;
  }

  /** Throws ERR_STATE naming `call` when the trainer, its model or its optimizer was disposed. */
  private assertLive(call: string): void {
    if (this.disposed) throw disposedError(call, 'trainer');
    this.model.assertLive(call);
    this.optimizer.assertLive(call);
  }

  private ensure(m: number): void {
    this.model.prepare(m);
    if (m <= this.capacity) return;
    const b = this.model.backend, n = this.model.outFeatures;
    // Allocate first, then swap: a failed allocation leaves the trainer as it was.
    const fresh = allocAll(b, [m, m * n, this.loss.target === 'labels' ? { i32: m } : m * n], 'Trainer');
    for (const buf of [this.rowLoss, this.grad, this.target]) if (buf) b.free(buf);
    [this.rowLoss, this.grad, this.target] = fresh as [F32Buf, F32Buf, F32Buf | I32Buf];
    this.capacity = m;
  }

  private targetBuffer(y: Target, m: number): F32Buf | I32Buf {
    const b = this.model.backend;
    const view = y instanceof Int32Array ? b.viewI32(y) : b.view(y);
    if (view) return view;
    const t = this.target!;
    (t.data as Float32Array | Int32Array).set(y.subarray(0, this.loss.target === 'labels' ? m : m * this.model.outFeatures) as never);
    return t;
  }

  private check(call: string, x: unknown, y: unknown): { m: number; target: Target } {
    this.assertLive(call);
    checkF32(call, 'x', x);
    const m = batchOf(call, 'x', x as Float32Array, this.model.inFeatures);
    return { m, target: this.loss.checkTarget(call, y, m, this.model.outFeatures) };
  }

  /** Forward + loss (+ gradient when `withGrad`) on checked input; returns the summed loss. */
  private run(x: Float32Array, target: Target, m: number, withGrad: boolean): { sum: number; out: F32Buf } {
    this.ensure(m);
    const out = this.model.forwardBuf(this.model.inputBuffer(x, m), m);
    this.noGrad ??= this.model.backend.alloc(0);
    const grad = withGrad ? this.grad! : this.noGrad;
    this.loss.run(this.model.backend, m, this.model.outFeatures, out, this.targetBuffer(target, m), this.rowLoss!, grad);
    const rows = this.rowLoss!.data;
    let sum = 0;
    for (let i = 0; i < m; i++) sum += rows[i];
    return { sum, out };
  }

  /**
   * Computes the mean loss of one batch and sets every parameter's gradient to its gradient (PyTorch's
   * `zero_grad(); loss.backward()`), without an optimizer step.
   */
  lossAndGrad(x: Float32Array, y: Target): number {
    const { m, target } = this.check('Trainer.lossAndGrad', x, y);
    const { sum } = this.run(x, target, m, true);
    this.model.backwardBuf(this.grad!, m, false);
    return sum * this.loss.scale(m, this.model.outFeatures);
  }

  /**
   * One training step on one batch: forward, loss, backward, optimizer (and a per-batch scheduler step).
   * Returns the batch's mean loss.
   * @example for (const [x, y] of batches) console.log(trainer.step(x, y));
   */
  step(x: Float32Array, y: Target): number {
    const { m, target } = this.check('Trainer.step', x, y);
    return this.update(x, target, m).loss;
  }

  /** One step on checked input; `out` (the model's outputs) stays valid until the next forward. */
  private update(x: Float32Array, target: Target, m: number, guard = false): { loss: number; out: F32Buf } {
    const { sum, out } = this.run(x, target, m, true);
    if (guard && !Number.isFinite(sum)) return { loss: sum / this.loss.meanOver(m, this.model.outFeatures), out };
    this.model.backwardBuf(this.grad!, m, false);
    this.optimizer.step();
    if (this.scheduler && this.scheduler.interval === 'batch' && !(this.scheduler instanceof ReduceLROnPlateau)) this.scheduler.step();
    return { loss: sum * this.loss.scale(m, this.model.outFeatures), out };
  }

  /**
   * Mean loss and accuracy over a whole data set, in batches, in evaluation mode (Dropout off, BatchNorm's
   * running statistics; the model's mode is restored afterwards), without touching gradients. Accuracy is the
   * argmax hit rate for cross-entropy, the thresholded hit rate for BCE, and `undefined` for MSE.
   * @example const { loss, accuracy } = trainer.evaluate(testX, testY);
   */
  evaluate(x: Float32Array, y: Target, options: { batchSize?: number } = {}): Evaluation<L> {
    const o = checkOptions('Trainer.evaluate', options, ['batchSize']) as { batchSize?: number };
    this.assertLive('Trainer.evaluate');
    return this.inMode(false, () => this.evaluateRows(x, y, o)) as Evaluation<L>;
  }

  /**
   * Runs `fn` with the model in training (true) or evaluation (false) mode, then restores the caller's mode:
   * evaluation and prediction always see Dropout off and BatchNorm's running statistics, like PyTorch's
   * `model.eval()` + `torch.no_grad()` loops.
   */
  private inMode<T>(training: boolean, fn: () => T): T {
    const previous = this.model.training;
    if (previous === training) return fn();
    this.model.train(training);
    try {
      return fn();
    } finally {
      this.model.train(previous);
    }
  }

  private evaluateRows(x: Float32Array, y: Target, o: { batchSize?: number }): { loss: number; accuracy?: number } {
    const { m, target } = this.check('Trainer.evaluate', x, y);
    const batchSize = checkInt('Trainer.evaluate', 'batchSize', o.batchSize === undefined ? 1024 : o.batchSize, 1);
    const inF = this.model.inFeatures, n = this.model.outFeatures, per = this.loss.target === 'labels' ? 1 : n;
    let sum = 0, hits = 0;
    for (let start = 0; start < m; start += batchSize) {
      const size = Math.min(batchSize, m - start);
      const xb = x.subarray(start * inF, (start + size) * inF), tb = target.subarray(start * per, (start + size) * per) as Target;
      const { sum: s, out } = this.run(xb, tb, size, false);
      sum += s;
      if (this.loss.correct) hits += this.loss.correct(out.data, tb, size, n);
    }
    const loss = sum / this.loss.meanOver(m, n);
    return this.loss.correct ? { loss, accuracy: hits / m } : { loss };
  }

  /**
   * Model outputs for every row, in batches, in evaluation mode (Dropout off, BatchNorm's running statistics);
   * the model's mode is restored afterwards. @example const logits = trainer.predict(testX);
   */
  predict(x: Float32Array, options: { batchSize?: number } = {}): Float32Array {
    const o = checkOptions('Trainer.predict', options, ['batchSize']) as { batchSize?: number };
    this.assertLive('Trainer.predict');
    return this.inMode(false, () => this.predictRows(x, o));
  }

  private predictRows(x: Float32Array, o: { batchSize?: number }): Float32Array {
    checkF32('Trainer.predict', 'x', x);
    const batchSize = checkInt('Trainer.predict', 'batchSize', o.batchSize === undefined ? 1024 : o.batchSize, 1);
    const inF = this.model.inFeatures, n = this.model.outFeatures;
    const m = batchOf('Trainer.predict', 'x', x, inF);
    const out = new Float32Array(m * n);
    for (let start = 0; start < m; start += batchSize) {
      const size = Math.min(batchSize, m - start);
      this.ensure(size);
      const y = this.model.forwardBuf(this.model.inputBuffer(x.subarray(start * inF, (start + size) * inF), size), size);
      out.set(y.data.subarray(0, size * n), start * n);
    }
    return out;
  }

  /**
   * Trains for `epochs` over `data` in shuffled mini-batches and returns the per-epoch history.
   * @example
   * const history = await trainer.fit({ x, y }, { epochs: 10, batchSize: 64, validationSplit: 0.1 });
   */
  async fit(data: Dataset, options: FitOptions = {}): Promise<History> {
    this.assertLive('Trainer.fit');
    // Batches train in training mode (validation switches to evaluation and back); the caller's mode returns after.
    const previous = this.model.training;
    this.model.train();
    try {
      return await this.fitInTrainingMode(data, options);
    } finally {
      this.model.train(previous);
    }
  }

  private async fitInTrainingMode(data: Dataset, options: FitOptions): Promise<History> {
    const call = 'Trainer.fit';
    const o = checkOptions(call, options, ['epochs', 'batchSize', 'shuffle', 'seed', 'rng', 'initialEpoch', 'initialBatch', 'partialEpoch', 'signal', 'validationSplit', 'validationData', 'callbacks', 'earlyStopping', 'progress', 'evalBatchSize', 'stopOnNonFinite', 'augment']) as FitOptions;
    if (!data || typeof data !== 'object') throw optionError(call, 'data', '{ x, y }', data);
    const { m: total, target: allY } = this.check(call, data.x, data.y);
    const epochs = checkInt(call, 'epochs', o.epochs ?? 10, 1);
    const batchSize = checkInt(call, 'batchSize', o.batchSize ?? 32, 1);
    const shuffle = checkBool(call, 'shuffle', o.shuffle ?? true);
    if (o.rng !== undefined && !(o.rng instanceof Rng)) throw optionError(call, 'rng', 'an Rng', o.rng);
    const rng = o.rng ?? (o.seed === undefined ? globalRng : new Rng(checkNumber(call, 'seed', o.seed)));
    const initialEpoch = checkInt(call, 'initialEpoch', o.initialEpoch ?? 0, 0);
    const initialBatch = checkInt(call, 'initialBatch', o.initialBatch ?? 0, 0);
    let partial: EpochSums = { lossSum: 0, correct: 0, rows: 0 };
    if (o.partialEpoch !== undefined) {
      // Any object with these sums (a History.stoppedAt fits as it is).
      const p = o.partialEpoch as unknown as Record<string, unknown>;
      if (p === null || typeof p !== 'object') throw optionError(call, 'partialEpoch', '{ lossSum, correct, rows }', p);
      partial = { lossSum: checkNumber(call, 'partialEpoch.lossSum', p.lossSum), correct: checkNumber(call, 'partialEpoch.correct', p.correct, 0), rows: checkInt(call, 'partialEpoch.rows', p.rows, 0) };
      if (partial.rows > 0 && initialBatch === 0) throw optionError(call, 'partialEpoch', 'sums of skipped batches, with initialBatch > 0', `${partial.rows} rows with initialBatch 0`);
    }
    const evalBatchSize = checkInt(call, 'evalBatchSize', o.evalBatchSize ?? 1024, 1);
    if (o.validationSplit !== undefined && o.validationData !== undefined) throw optionError(call, 'validationSplit', 'not combined with validationData', o.validationSplit);
    const split = checkNumber(call, 'validationSplit', o.validationSplit ?? 0, 0, 1, { max: true });
    const inF = this.model.inFeatures, n = this.model.outFeatures, per = this.loss.target === 'labels' ? 1 : n;
    const trainRows = total - Math.floor(total * split);
    if (trainRows < 1) throw shapeError(call, 'data', 'at least one training row after the validation split', `${total} rows with validationSplit ${split}`);
    const batches = Math.ceil(trainRows / batchSize);
    // initialBatch === batches: an abort after the epoch's last batch; only the epoch's end (validation, logs, scheduler) remains.
    if (initialBatch > batches) throw optionError(call, 'initialBatch', `an integer in [0, ${batches}] (the epoch has ${batches} batches)`, initialBatch);
    let valX: Float32Array | null = null, valY: Target | null = null;
    if (split > 0 && trainRows < total) {
      valX = data.x.subarray(trainRows * inF);
      valY = allY.subarray(trainRows * per) as Target;
    } else if (o.validationData) {
      this.check(`${call} validationData`, o.validationData.x, o.validationData.y);
      valX = o.validationData.x;
      valY = o.validationData.y;
    }
    const early = o.earlyStopping;
    if (early !== undefined) {
      checkOptions(`${call} earlyStopping`, early, ['patience', 'minDelta', 'restoreBestWeights']);
      checkInt(call, 'earlyStopping.patience', early.patience, 0);
      checkNumber(call, 'earlyStopping.minDelta', early.minDelta ?? 0, 0);
      checkBool(call, 'earlyStopping.restoreBestWeights', early.restoreBestWeights ?? false);
    }
    const callbacks = checkOptions(`${call} callbacks`, o.callbacks, ['onEpochEnd', 'onBatchEnd']) as FitOptions['callbacks'] & object;
    for (const [name, fn] of Object.entries(callbacks)) {
      if (fn !== undefined && typeof fn !== 'function') throw optionError(call, `callbacks.${name}`, 'a function', fn);
    }
    const signal = o.signal;
    if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof (signal as { aborted?: unknown }).aborted !== 'boolean')) {
      throw optionError(call, 'signal', 'an AbortSignal', signal);
    }
    const stopOnNonFinite = checkBool(call, 'stopOnNonFinite', o.stopOnNonFinite ?? true);
    const augment = checkAugment(call, o.augment, this.model.inputShape);
    const augmentRng = new Rng(0);
    const stream = defaultStream();
    const wantProgress = o.progress ?? 'auto';
    if (wantProgress !== true && wantProgress !== false && wantProgress !== 'auto') throw optionError(call, 'progress', "true, false or 'auto'", wantProgress);
    const bar = stream && (wantProgress === true || (wantProgress === 'auto' && stream.isTTY)) ? new ProgressBar(stream, epochs) : null;

    const order = new Int32Array(trainRows).map((_, i) => i);
    const xBatch = new Float32Array(batchSize * inF);
    const yBatch = this.loss.target === 'labels' ? new Int32Array(batchSize) : new Float32Array(batchSize * n);
    const history: History = { epoch: [], loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], stoppedEarly: false, aborted: false };
    let best = Infinity, bestWeights: StateDict | null = null, bad = 0;
    let lastYield = Date.now();

    for (let epoch = initialEpoch + 1; epoch <= epochs; epoch++) {
      // The first epoch of a resumed run starts after the batches already trained, with their sums.
      const first = epoch === initialEpoch + 1;
      const skip = first ? initialBatch : 0;
      if (shuffle) {
        // Shuffle the identity each epoch (like torch's RandomSampler), so the order depends only on the generator
        // state and a run resumed with a restored generator draws the same batches as an uninterrupted one.
        for (let i = 0; i < trainRows; i++) order[i] = i;
        rng.shuffle(order);
      }
      const epochAugmentSeed = augment.length > 0 ? rng.nextU32() : 0;
      const started = performance.now();
      let sum = first ? partial.lossSum : 0, hits = first ? partial.correct : 0, seen = first ? partial.rows : 0, ran = 0, batch = skip;
      for (let start = skip * batchSize; start < trainRows; start += batchSize, batch++) {
        const size = Math.min(batchSize, trainRows - start);
        for (let r = 0; r < size; r++) {
          const row = order[start + r];
          xBatch.set(data.x.subarray(row * inF, (row + 1) * inF), r * inF);
          if (per === 1) yBatch[r] = allY[row];
          else (yBatch as Float32Array).set((allY as Float32Array).subarray(row * n, (row + 1) * n), r * n);
        }
        const xb = xBatch.subarray(0, size * inF), yb = yBatch.subarray(0, size * per) as Target;
        if (augment.length > 0) {
          // The batch's own seed (an odd multiplier keeps the batches of an epoch apart), so skipped batches of a
          // resumed epoch need no draws replayed.
          augmentRng.seed((epochAugmentSeed ^ Math.imul(batch + 1, 0x9e3779b1)) >>> 0);
          for (const a of augment) a.apply(xb, size, this.model.inputShape as unknown as ImageShape, augmentRng);
        }
        const { loss: batchLoss, out } = this.update(xb, yb, size, stopOnNonFinite);
        if (stopOnNonFinite && !Number.isFinite(batchLoss)) throw this.diverged(call, epoch, batch, batchLoss, xb, history);
        if (this.loss.correct) hits += this.loss.correct(out.data, yb, size, n);
        sum += batchLoss * size;
        seen += size;
        ran += size;
        const elapsed = (performance.now() - started) / 1000;
        bar?.update(epoch, batch + 1, batches, elapsed, sum / seen, this.loss.correct ? hits / seen : undefined, ran);
        if (callbacks.onBatchEnd) await callbacks.onBatchEnd(batch, { epoch, batch, loss: batchLoss, size });
        if (signal?.aborted) {
          history.stoppedAt = { epoch, batch: batch + 1, lossSum: sum, correct: hits, rows: seen };
          break;
        }
        if (Date.now() - lastYield > 16) {
          await yieldToEventLoop();
          lastYield = Date.now();
        }
      }
      if (signal?.aborted) {
        history.aborted = true;
        break;
      }
      const seconds = (performance.now() - started) / 1000;
      // Every epoch ends with a turn of the event loop, however short it was.
      await yieldToEventLoop();
      lastYield = Date.now();
      const logs: EpochLogs = { epoch, loss: sum / seen, lr: this.optimizer.lr, samplesPerSecond: seconds > 0 ? ran / seconds : 0, seconds };
      if (this.loss.correct) logs.accuracy = hits / seen;
      if (valX && valY) {
        const v: { loss: number; accuracy?: number } = this.evaluate(valX, valY, { batchSize: evalBatchSize });
        logs.valLoss = v.loss;
        if (v.accuracy !== undefined) logs.valAccuracy = v.accuracy;
        if (stopOnNonFinite && !Number.isFinite(v.loss)) throw this.diverged(call, epoch, -1, v.loss, valX, history);
      }
      history.epoch.push(epoch);
      history.loss.push(logs.loss);
      history.lr.push(logs.lr);
      if (logs.accuracy !== undefined) history.accuracy.push(logs.accuracy);
      if (logs.valLoss !== undefined) history.valLoss.push(logs.valLoss);
      if (logs.valAccuracy !== undefined) history.valAccuracy.push(logs.valAccuracy);
      if (bar) bar.epochEnd(epochSummary(logs, epochs));
      // The epoch's scheduler step comes before onEpochEnd, so a checkpoint written there holds the state the
      // next epoch starts from (PyTorch's order: scheduler.step() ends the epoch; logs.lr is the rate it used).
      const monitored = logs.valLoss ?? logs.loss;
      if (this.scheduler instanceof ReduceLROnPlateau) this.scheduler.step(monitored);
      else if (this.scheduler && this.scheduler.interval === 'epoch') this.scheduler.step();
      if (callbacks.onEpochEnd) await callbacks.onEpochEnd(epoch, logs);
      if (early) {
        if (monitored < best - (early.minDelta ?? 0)) {
          best = monitored;
          bad = 0;
          history.bestEpoch = epoch;
          if (early.restoreBestWeights) bestWeights = this.model.stateDict();
        } else if (++bad > early.patience) {
          history.stoppedEarly = true;
          break;
        }
      }
    }
    if (early?.restoreBestWeights && bestWeights) this.model.loadStateDict(bestWeights);
    return history;
  }

  /** The ERR_NONFINITE error of a diverged run, naming the first non-finite weight or activation on `x`. */
  private diverged(call: string, epoch: number, batch: number, loss: number, x: Float32Array, history: History): Error {
    let where: Divergence['where'] = null;
    try {
      where = findNonFinite(this.model, x.subarray(0, Math.min(x.length, 1024 * this.model.inFeatures)));
    } catch {
      // the report is best effort; the divergence itself is the error
    }
    if (!where) {
      // Every weight and output is finite: the loss itself overflowed float32 on the last layer's outputs.
      const last = this.model.layers.length - 1;
      where = { kind: 'loss', layer: last, name: `${last} ${this.model.layers[last].type} (outputs finite, loss overflowed)`, count: 1 };
    }
    const at = batch < 0 ? `the validation loss of epoch ${epoch}` : `epoch ${epoch}, batch ${batch + 1}`;
    const first = where ? `; first non-finite: ${where.kind} ${where.name} (${where.count} value${where.count === 1 ? '' : 's'})` : '';
    const error = nonFiniteError(call, `the loss became ${loss} at ${at}${first}. Training diverged: lower the learning rate, clip gradients or check the data (stopOnNonFinite: false trains on)`);
    const divergence: Divergence = { epoch, batch, loss, where, history };
    Object.defineProperty(error, 'divergence', { value: divergence, enumerable: false });
    return error;
  }
}

/** Lets timers, I/O and UI events run (setTimeout(0) clamps to ≥ 1 ms in browsers; setImmediate does not). */
function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** One line per epoch: `epoch 3/10 loss 0.2120 acc 93.8% val_loss 0.2301 val_acc 93.1% 51.2k samples/s 1.2s`. */
export function epochSummary(logs: EpochLogs, epochs: number): string {
  const parts = [`epoch ${logs.epoch}/${epochs}`, `loss ${logs.loss.toFixed(4)}`];
  if (logs.accuracy !== undefined) parts.push(`acc ${(100 * logs.accuracy).toFixed(1)}%`);
  if (logs.valLoss !== undefined) parts.push(`val_loss ${logs.valLoss.toFixed(4)}`);
  if (logs.valAccuracy !== undefined) parts.push(`val_acc ${(100 * logs.valAccuracy).toFixed(1)}%`);
  parts.push(`${formatRate(logs.samplesPerSecond)} samples/s`, `${logs.seconds.toFixed(1)}s`);
  return parts.join('  ');
}
