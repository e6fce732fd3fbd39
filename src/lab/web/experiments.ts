/**
 * What the lab page computes, on the active backend's kernels (the page's worker loads the wasm backend): the
 * activation curves, the deep-MLP initialisation probe with a backward pass, optimizer races over the 2-D
 * surfaces, and a 2-D classification trained step by step. Plain data in, plain data out (typed arrays and
 * numbers), so the worker can post the results and Node tests can call the same functions.
 */
import { ACTIVATION_NAMES, activationParams, type ActivationName, type ActivationParams } from '../../nn/activation-table.js';
import { Activation } from '../../nn/activations.js';
import type { Layer } from '../../nn/layer.js';
import { Linear } from '../../nn/linear.js';
import { Sequential } from '../../nn/sequential.js';
import { Rng, type RngState } from '../../rng.js';
import { Trainer } from '../../trainer.js';
import { activationCurve } from '../curves.js';
import { activationStats, parameterStats, snapshot } from '../diagnostics.js';
import { optimizerByName, SURFACES, trajectory, type OptimizerName, type SurfaceName, type Trajectory } from '../landscapes.js';
import { summarize, type LayerStats } from '../stats.js';
import { makeDataset, type DatasetName } from './datasets.js';
import { INIT_CHOICES, type InitChoice } from './inits.js';

// ------------------------------------------------------------------------------------------ activations

/** One activation sampled on [−10, 10]: x, f(x) and f′(x) from the forward and backward kernels. */
export interface CurveData {
  name: ActivationName;
  label: string;
  x: Float32Array;
  y: Float32Array;
  dy: Float32Array;
}

/** Every activation of the table on 401 points of [−10, 10] (so −10, 0 and 10 are grid points). */
export function activationCurves(params: ActivationParams): CurveData[] {
  return ACTIVATION_NAMES.map((name) => {
    const c = activationCurve(name, -10, 10, 401, params);
    return { name, label: c.label, x: c.x, y: c.y, dy: c.dy };
  });
}

// ------------------------------------------------------------------------------------------ initialisation

export interface InitOptions {
  depth: number;
  width: number;
  batch: number;
  activation: ActivationName;
  init: InitChoice;
  seed: number;
  params: ActivationParams;
}

/** Per hidden layer: the activation's output statistics, and those of the gradient flowing back into it. */
export interface InitResult {
  activations: LayerStats[];
  gradients: LayerStats[];
  backend: string;
}

/**
 * The lecture's experiment with a backward pass: `depth` × (Linear(width, width, bias=False) + activation), a
 * batch of N(0, 1) rows forward, then an N(0, 1) upstream gradient backward. Returns each layer's activation
 * statistics and those of ∂L/∂h (the gradient arriving at that layer's output). As in `initProbe`, one Linear is
 * redrawn for every layer, so only one layer's weights exist at a time (the lecture's width of 4096 needs 128 MB,
 * not 800): the generator's state before each draw is kept, and the backward pass redraws the same weights.
 */
export function initExperiment(o: InitOptions): InitResult {
  const rng = new Rng(o.seed);
  const n = o.batch * o.width;
  // Draws in initProbe's order (inputs, then each layer's weights), so the forward pass is initProbe's exactly.
  const inputs: Float32Array[] = [Float32Array.from({ length: n }, () => rng.normal())];
  const linear = new Linear(o.width, o.width, { bias: false, init: INIT_CHOICES[o.init].make(), rng });
  const act = new Activation(o.activation, activationParams('initExperiment', o.activation, o.params, false));
  const model = new Sequential([linear, act]);
  const b = model.backend;
  const g = b.alloc(n);
  try {
    model.prepare(o.batch);
    // inputs[l]: what layer l + 1 reads; drawStates[l]: the generator before layer l + 1's weights (layer 1's
    // come from the constructor and are never redrawn: the backward pass needs no input gradient there).
    const drawStates: RngState[] = [];
    const activations: LayerStats[] = [];
    /** Layer l + 1's forward, its weights drawn afresh from the state saved for it (or saved now). */
    const forward = (l: number) => {
      if (l > 0) {
        if (drawStates[l]) rng.setState(drawStates[l]);
        else drawStates[l] = rng.getState();
        linear.resetParameters();
      }
      return act.forwardBuf(linear.forwardBuf(model.inputBuffer(inputs[l], o.batch), o.batch), o.batch);
    };
    for (let l = 0; l < o.depth; l++) {
      const h = forward(l);
      activations.push(summarize(h.data, o.batch, o.width, { index: l, type: act.type, activation: o.activation }, 40));
      inputs.push(h.data.slice(0, n));
    }
    const upstream = new Rng(o.seed + 1);
    for (let i = 0; i < n; i++) g.data[i] = upstream.normal();
    const gradients: LayerStats[] = [];
    for (let l = o.depth - 1; l >= 0; l--) {
      gradients.unshift(summarize(g.data, o.batch, o.width, { index: l, type: 'gradient', activation: null }, 40));
      if (l === 0) break;
      forward(l);
      const into = linear.backwardBuf(act.backwardBuf(g, o.batch, false, true)!, o.batch, false, true)!;
      g.data.set(into.data.subarray(0, n));
    }
    return { activations, gradients, backend: b.name };
  } finally {
    b.free(g);
    model.dispose();
  }
}

// ------------------------------------------------------------------------------------------ optimizers

export interface RaceOptions {
  surface: SurfaceName;
  start: [number, number];
  steps: number;
  optimizers: OptimizerName[];
  /** Multiplies each optimizer's tuned learning rate for the surface. */
  lrScale: number;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** The hyperparameters the sliders set, for each optimizer (others keep torch's defaults). */
export function raceOptimizerOptions(name: OptimizerName, o: Pick<RaceOptions, 'momentum' | 'beta1' | 'beta2' | 'eps'>): Record<string, unknown> {
  switch (name) {
    case 'sgd': return {};
    case 'momentum': case 'nesterov': return { momentum: o.momentum };
    case 'adagrad': case 'rmsprop': return { eps: o.eps };
    case 'adam': case 'adamw': return { betas: [o.beta1, o.beta2], eps: o.eps };
  }
}

/** Races the optimizers from one start point through the real optimizer classes, recording their states. */
export function race(o: RaceOptions): Trajectory[] {
  const s = SURFACES[o.surface];
  return o.optimizers.map((name) =>
    trajectory(s, name, { start: o.start, steps: o.steps || s.steps, lr: s.lr[name] * o.lrScale, options: raceOptimizerOptions(name, o), states: true }),
  );
}

// ------------------------------------------------------------------------------------------ training

export interface TrainConfig {
  dataset: DatasetName;
  /** Points in the data set. */
  points: number;
  noise: number;
  /** Share of the points used for training; the rest are the test set. */
  trainFraction: number;
  /** Hidden layer widths, e.g. [8, 8]. */
  hidden: number[];
  activation: ActivationName;
  init: InitChoice | 'auto';
  optimizer: OptimizerName;
  lr: number;
  batch: number;
  seed: number;
}

/** Per Activation layer of the network: its statistics on the training points. */
export interface LayerSummary {
  layer: number;
  mean: number;
  std: number;
  deadFraction: number;
  saturatedFraction: number;
  zeroFraction: number;
}

/** What the page draws after a run of steps. */
export interface TrainSnapshot {
  step: number;
  epoch: number;
  /** Losses of the steps since the previous snapshot (one per optimizer step, in order). */
  losses: number[];
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** Probability of class 1 at each point of the GRID × GRID decision grid (row 0 at y = −LIMIT). */
  probability: Float32Array;
  /** Per hidden layer, per unit: its output over the same grid. */
  neurons: Float32Array[][];
  layers: LayerSummary[];
  /** Per Linear layer: ‖Δw‖/‖w‖ of the last step, and ‖∇w‖. */
  updates: { name: string; ratio: number; gradNorm: number }[];
}

/** The decision grid's resolution and half-width: the data lives in [−LIMIT, LIMIT]². */
export const GRID = 40;
export const LIMIT = 6;

/** The data, the network and its trainer for one configuration; `run(steps)` trains, `snapshot()` reports. */
export class TrainingSession {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly trainCount: number;
  private readonly trainX: Float32Array;
  private readonly trainY: Int32Array;
  private readonly testX: Float32Array;
  private readonly testY: Int32Array;
  private readonly model: Sequential;
  private readonly trainer: Trainer;
  private readonly order: Int32Array;
  private readonly shuffleRng: Rng;
  private readonly batchX: Float32Array;
  private readonly batchY: Int32Array;
  private readonly gridX: Float32Array;
  private position: number;
  private before: Float32Array[] | undefined;
  private pending: number[] = [];
  step = 0;
  epoch = 0;

  constructor(readonly config: TrainConfig) {
    const c = config;
    const data = makeDataset(c.dataset, c.points, c.noise, new Rng(c.seed));
    this.x = data.x;
    this.y = data.y;
    // Split by a seeded shuffle: the first trainCount shuffled points train, the rest test.
    const split = new Rng(c.seed + 1).shuffle(Int32Array.from({ length: c.points }, (_, i) => i));
    this.trainCount = Math.max(1, Math.min(c.points - 1, Math.round(c.points * c.trainFraction)));
    const take = (idx: Int32Array) => ({ x: Float32Array.from({ length: idx.length * 2 }, (_, k) => data.x[idx[k >> 1] * 2 + (k & 1)]), y: Int32Array.from(idx, (i) => data.y[i]) });
    const tr = take(split.subarray(0, this.trainCount)), te = take(split.subarray(this.trainCount));
    [this.trainX, this.trainY, this.testX, this.testY] = [tr.x, tr.y, te.x, te.y];

    const rng = new Rng(c.seed + 2);
    const widths = [2, ...c.hidden, 2];
    const layers: Layer[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      layers.push(new Linear(widths[i], widths[i + 1], { init: c.init === 'auto' ? 'auto' : INIT_CHOICES[c.init].make(), rng }));
      if (i + 2 < widths.length) layers.push(new Activation(c.activation));
    }
    this.model = new Sequential(layers);
    this.trainer = new Trainer(this.model, { optimizer: optimizerByName(c.optimizer, this.model.parameters(), { lr: c.lr }), loss: 'crossEntropy' });
    this.shuffleRng = new Rng(c.seed + 3);
    this.order = Int32Array.from({ length: this.trainCount }, (_, i) => i);
    this.position = this.trainCount;
    this.batchX = new Float32Array(c.batch * 2);
    this.batchY = new Int32Array(c.batch);
    this.gridX = new Float32Array(GRID * GRID * 2);
    for (let j = 0; j < GRID; j++) {
      for (let i = 0; i < GRID; i++) {
        this.gridX[(j * GRID + i) * 2] = -LIMIT + ((i + 0.5) * 2 * LIMIT) / GRID;
        this.gridX[(j * GRID + i) * 2 + 1] = -LIMIT + ((j + 0.5) * 2 * LIMIT) / GRID;
      }
    }
  }

  /** The train and test points (x, y, label) for drawing. */
  points(): { trainX: Float32Array; trainY: Int32Array; testX: Float32Array; testY: Int32Array } {
    return { trainX: this.trainX, trainY: this.trainY, testX: this.testX, testY: this.testY };
  }

  /** One optimizer step on the next batch of a seeded per-epoch shuffle; returns the batch's loss. */
  trainStep(): number {
    if (this.position >= this.trainCount) {
      this.shuffleRng.shuffle(this.order);
      this.position = 0;
      if (this.step > 0) this.epoch++;
    }
    const m = Math.min(this.config.batch, this.trainCount - this.position);
    for (let r = 0; r < m; r++) {
      const i = this.order[this.position + r];
      this.batchX[2 * r] = this.trainX[2 * i];
      this.batchX[2 * r + 1] = this.trainX[2 * i + 1];
      this.batchY[r] = this.trainY[i];
    }
    this.position += m;
    const loss = this.trainer.step(this.batchX.subarray(0, 2 * m), this.batchY.subarray(0, m));
    this.step++;
    this.pending.push(loss);
    return loss;
  }

  /** Trains `steps` steps; the last one is measured for the update/weight ratios. */
  run(steps: number): void {
    for (let s = 0; s < steps; s++) {
      if (s === steps - 1) this.before = snapshot(this.model);
      this.trainStep();
    }
  }

  /** Losses, accuracies, the decision grid, every hidden unit over the grid, layer statistics, update ratios. */
  snapshot(): TrainSnapshot {
    const train = this.trainer.evaluate(this.trainX, this.trainY), test = this.trainer.evaluate(this.testX, this.testY);
    const m = GRID * GRID, model = this.model;
    model.prepare(m);
    let h = model.inputBuffer(this.gridX, m);
    const neurons: Float32Array[][] = [];
    model.layers.forEach((layer, i) => {
      h = layer.forwardBuf(h, m);
      if (layer instanceof Activation) {
        const width = model.widths[i + 1], units: Float32Array[] = [];
        for (let u = 0; u < width; u++) units.push(Float32Array.from({ length: m }, (_, r) => h.data[r * width + u]));
        neurons.push(units);
      }
    });
    const probability = new Float32Array(m);
    for (let r = 0; r < m; r++) probability[r] = 1 / (1 + Math.exp(h.data[2 * r] - h.data[2 * r + 1]));
    const layers = activationStats(model, this.trainX).layers
      .filter((l) => l.activation !== null)
      .map((l, i) => ({ layer: i + 1, mean: l.mean, std: l.std, deadFraction: l.deadFraction, saturatedFraction: l.saturatedFraction, zeroFraction: l.zeroFraction }));
    const updates = parameterStats(model, this.before)
      .filter((p) => p.name.endsWith('.weight'))
      .map((p, i) => ({ name: `Linear ${i + 1}`, ratio: p.updateRatio, gradNorm: p.grad.norm }));
    const losses = this.pending;
    this.pending = [];
    return {
      step: this.step, epoch: this.epoch, losses,
      trainLoss: train.loss, trainAccuracy: train.accuracy ?? NaN, testLoss: test.loss, testAccuracy: test.accuracy ?? NaN,
      probability, neurons, layers, updates,
    };
  }

  dispose(): void {
    this.trainer.dispose();
    this.trainer.optimizer.dispose();
    this.model.dispose();
  }
}
