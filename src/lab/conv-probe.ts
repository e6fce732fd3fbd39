/**
 * The lecture's initialisation rule for convolutions, made visible: a deep stack of `depth` Conv2d(C, C, k×k,
 * 'same') + activation layers on N(0, 1) images, one forward pass, per-layer statistics per channel. With the conv
 * rule `fanIn = k²·C_in` Kaiming keeps the activations' scale through the stack; taking the fan-in as `C_in` alone
 * (the dense-layer habit) makes every weight k times too large, so the std grows by about k per layer and explodes.
 * The layers run on the active backend's kernels. Like initProbe, one Conv2d is redrawn per depth instead of
 * holding `depth` layers, so memory stays at one layer's.
 */
import { checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import { ACTIVATION_NAMES, activationParams, type ActivationName, type ActivationParams } from '../nn/activation-table.js';
import { Activation } from '../nn/activations.js';
import { Conv2d } from '../nn/conv.js';
import { initializerByName, isInitializer, kaimingNormal, type Initializer, type InitName } from '../nn/init.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../rng.js';
import { checkRange } from './diagnostics.js';
import { summarize, type LayerStats } from './stats.js';

/** How the probe counts a convolution's fan-in: `'conv'` (`k²·C_in`, the right rule) or `'channels'` (`C_in` alone, the dense-layer habit). */
export type ConvFanIn = 'conv' | 'channels';

/** Options of the convolution init probe: depth, channels, kernel size, image size, activation, initialiser, fan-in rule. */
export interface ConvInitProbeOptions {
  /** Conv + activation layers (default 10). */
  depth?: number;
  /** Channels in and out of every layer (default 16). */
  channels?: number;
  /** Square kernel size, odd (default 3). */
  kernelSize?: number;
  /** Image height and width (default 16). */
  size?: number;
  /** Images of N(0, 1) values (default 8). */
  batch?: number;
  /** Activation after every convolution (default 'relu'). */
  activation?: ActivationName;
  /** Initialiser of every convolution (default Kaiming normal for ReLU). */
  init?: InitName | Initializer;
  /** The fan-in the initialiser is told: `'conv'` = k²·C_in (the rule, default) or `'channels'` = C_in alone. */
  fanIn?: ConvFanIn;
  seed?: number;
  bins?: number;
  range?: [number, number];
}

/** What the convolution init probe measured: each layer's activation statistics. */
export interface ConvInitProbeResult {
  config: { depth: number; channels: number; kernelSize: number; size: number; batch: number; activation: ActivationName; init: string; fanIn: ConvFanIn; fanInValue: number; seed: number; backend: string };
  input: LayerStats;
  /** Per layer, the activation's output; statistics count channels as units (dead = a whole channel at 0). */
  layers: LayerStats[];
  /** Per layer, the convolution's output before the activation. */
  preactivations: LayerStats[];
}

/** `base` drawn as if the fan-in were `fanIn` (whatever the layer computes). */
function withFanIn(base: Initializer, fanIn: number): Initializer {
  return {
    name: `${base.name} with fanIn ${fanIn}`,
    std: (_fanIn, fanOut) => base.std(fanIn, fanOut),
    fill: (data, _fanIn, fanOut, rng) => base.fill(data, fanIn, fanOut, rng),
  };
}

/**
 * Runs the conv-stack initialisation experiment and returns per-layer, per-channel statistics.
 * @example
 * convInitProbe({ fanIn: 'conv' }).layers.map((l) => l.std);       // stays near its first value
 * convInitProbe({ fanIn: 'channels' }).layers.map((l) => l.std);   // grows ~k× per layer
 */
export function convInitProbe(options: ConvInitProbeOptions = {}): ConvInitProbeResult {
  const call = 'convInitProbe';
  const o = checkOptions(call, options, ['depth', 'channels', 'kernelSize', 'size', 'batch', 'activation', 'init', 'fanIn', 'seed', 'bins', 'range']) as ConvInitProbeOptions;
  const depth = checkInt(call, 'depth', o.depth ?? 10, 1, 200);
  const channels = checkInt(call, 'channels', o.channels ?? 16, 1, 1024);
  const k = checkInt(call, 'kernelSize', o.kernelSize ?? 3, 1, 31);
  if (k % 2 === 0) throw optionError(call, 'kernelSize', "an odd size (padding 'same' then keeps the image size exactly)", k);
  const size = checkInt(call, 'size', o.size ?? 16, 1, 512);
  const batch = checkInt(call, 'batch', o.batch ?? 8, 1, 4096);
  const activation = checkOneOf(call, 'activation', o.activation ?? 'relu', ACTIVATION_NAMES);
  const params = activationParams(call, activation, o as ActivationParams, false);
  const fanInMode = checkOneOf(call, 'fanIn', o.fanIn ?? 'conv', ['conv', 'channels'] as const);
  const seed = checkNumber(call, 'seed', o.seed ?? 0);
  const bins = checkInt(call, 'bins', o.bins ?? 40, 1, 10_000);
  const range = checkRange(call, o.range);
  const base = o.init === undefined ? kaimingNormal({ nonlinearity: 'relu' }) : isInitializer(o.init) ? o.init : initializerByName(call, o.init);
  const fanInValue = fanInMode === 'conv' ? k * k * channels : channels;
  const initializer = fanInMode === 'conv' ? base : withFanIn(base, fanInValue);
  const rng = new Rng(seed);

  const shape = [channels, size, size], n = batch * channels * size * size;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  const conv = new Conv2d(channels, channels, k, { padding: 'same', bias: false, init: initializer, rng });
  const model = new Sequential([conv, new Activation(activation, params)], { inputShape: shape });
  const [, act] = model.layers;
  try {
    model.prepare(batch);
    const input = summarize(x, batch, shape, { index: -1, type: 'Input', activation: null }, bins, range);
    const layers: LayerStats[] = [], preactivations: LayerStats[] = [];
    const current = x.slice();
    for (let l = 0; l < depth; l++) {
      if (l > 0) conv.resetParameters();
      const z = conv.forwardBuf(model.inputBuffer(current, batch), batch);
      preactivations.push(summarize(z.data, batch, shape, { index: l, type: 'Conv2d', activation: null }, bins, range));
      const h = act.forwardBuf(z, batch);
      layers.push(summarize(h.data, batch, shape, { index: l, type: act.type, activation }, bins, range));
      current.set(h.data.subarray(0, n));
    }
    const config = { depth, channels, kernelSize: k, size, batch, activation, init: base.name, fanIn: fanInMode, fanInValue, seed, backend: model.backend.name };
    return { config, input, layers, preactivations };
  } finally {
    model.dispose();
  }
}
