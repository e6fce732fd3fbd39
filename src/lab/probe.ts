/**
 * The lecture's initialisation experiment: a deep MLP of `depth` Linear+activation layers of `width` units,
 * no biases, one forward pass of `batch` rows of N(0, 1) inputs, and the statistics of every hidden layer.
 * The layers run on the active backend's kernels (Linear.forwardBuf then the activation's in-place forward).
 * Only one layer's weights exist at a time: each layer is drawn fresh into the same Linear, so the 6 × 4096²
 * experiment needs 128 MB (weight and gradient buffer of one layer) instead of 800 MB; the draws and the
 * arithmetic are the same as for a stack of `depth` independent layers.
 */
import { checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { ACTIVATION_NAMES, ACTIVATION_PARAM_NAMES, activationParams, type ActivationName, type ActivationParams } from '../nn/activation-table.js';
import { Activation } from '../nn/activations.js';
import type { Initializer, InitName } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../rng.js';
import { checkRange } from './diagnostics.js';
import { summarize, type LayerStats } from './stats.js';

/** The activations the lab offers: every one of the activation table. */
export const ACTIVATIONS: readonly ActivationName[] = ACTIVATION_NAMES;

/** Options of `initProbe`: network depth, width, batch, activation, initialiser. */
export interface InitProbeOptions {
  /** Hidden layers (default 6). */
  depth?: number;
  /** Units per layer, also the input width (default 4096). */
  width?: number;
  /** Rows of N(0, 1) input (default 16). */
  batch?: number;
  /** Activation after every Linear (default 'tanh'). */
  activation?: ActivationName;
  /** LeakyReLU's negative slope (default 0.01); likewise `alpha` (ELU), `beta` and `threshold` (Softplus). */
  slope?: number;
  alpha?: number;
  beta?: number;
  threshold?: number;
  /** What `Linear`'s `init` option takes: a name (`'xavier'`, `'kaimingNormal'`, …) or a value such as `init.smallRandom(0.05)`. Default `'xavier'`. */
  init?: 'auto' | InitName | Initializer;
  /** Seed of the inputs and weights (default 0). */
  seed?: number;
  /** Histogram bins per layer (default 40). */
  bins?: number;
  /** Histogram range for every layer (default [−1, 1] for tanh, [0, 1] for sigmoid, else each layer's [min, max]). */
  range?: [number, number];
}

/** What `initProbe` measured: each layer's activation statistics. */
export interface InitProbeResult {
  config: { depth: number; width: number; batch: number; activation: ActivationName; slope: number; params: number[]; init: string; seed: number; backend: string };
  /** Statistics of the N(0, 1) input. */
  input: LayerStats;
  /** Per hidden layer, the activation's output (what the lecture's histograms show); `index` counts from 0. */
  layers: LayerStats[];
  /** Per hidden layer, the Linear's output before the activation. */
  preactivations: LayerStats[];
}

/**
 * Runs the lecture's deep-MLP initialisation experiment and returns per-layer statistics.
 * @example
 * const { layers } = initProbe({ depth: 6, width: 4096, activation: 'tanh', init: init.smallRandom(0.01) });
 * layers.map((l) => l.std);   // collapses toward 0 layer by layer
 */
export function initProbe(options: InitProbeOptions = {}): InitProbeResult {
  const call = 'initProbe';
  const o = checkOptions(call, options, ['depth', 'width', 'batch', 'activation', 'init', 'seed', 'bins', 'range', ...ACTIVATION_PARAM_NAMES]) as InitProbeOptions;
  const depth = checkInt(call, 'depth', o.depth ?? 6, 1, 1000);
  const width = checkInt(call, 'width', o.width ?? 4096, 1, 1 << 16);
  const batch = checkInt(call, 'batch', o.batch ?? 16, 1, 1 << 20);
  const activation = checkOneOf(call, 'activation', o.activation ?? 'tanh', ACTIVATIONS);
  const params = activationParams(call, activation, o as ActivationParams, false);
  const slope = activation === 'leaky_relu' ? params[0] : 0;
  const seed = checkNumber(call, 'seed', o.seed ?? 0);
  const bins = checkInt(call, 'bins', o.bins ?? 40, 1, 10_000);
  const range = checkRange(call, o.range);
  const rng = new Rng(seed);

  const x = new Float32Array(batch * width);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const linear = new Linear(width, width, { bias: false, init: o.init ?? 'xavier', rng });
  const model = new Sequential([linear, new Activation(activation, params)]);
  const [, act] = model.layers;
  try {
    model.prepare(batch);
    const input = summarize(x, batch, width, { index: -1, type: 'Input', activation: null }, bins, range);
    const layers: LayerStats[] = [], preactivations: LayerStats[] = [];
    // `current` holds the previous layer's output outside the model's buffers: the next forward overwrites them.
    const current = x.slice();
    for (let l = 0; l < depth; l++) {
      if (l > 0) linear.resetParameters();
      const z = linear.forwardBuf(model.inputBuffer(current, batch), batch);
      preactivations.push(summarize(z.data, batch, width, { index: l, type: 'Linear', activation: null }, bins, range));
      const h = act.forwardBuf(z, batch);
      layers.push(summarize(h.data, batch, width, { index: l, type: act.type, activation }, bins, range));
      current.set(h.data.subarray(0, batch * width));
    }
    const config = { depth, width, batch, activation, slope, params, init: linear.initializer.name, seed, backend: model.backend.name };
    return { config, input, layers, preactivations };
  } finally {
    model.dispose();
  }
}
