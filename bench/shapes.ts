import { Adam, Conv2d, Flatten, Linear, manualSeed, MaxPool2d, ReLU, Sequential, Trainer, type Layer } from '../src/index.js';

/**
 * The trials: small-network GEMM shapes (a dense layer's forward, 784-256-128-10 at batch 128) and square ones,
 * elementwise kernels over 2²⁰ values, a fused Adam step over 2²⁰ parameters, and whole training steps.
 */
export interface GemmTrial {
  kind: 'gemm';
  m: number;
  n: number;
  k: number;
  /** Skip on backends this slow (the js reference at 1024³ would take seconds per repetition). */
  skip?: readonly string[];
}

export const GEMM_TRIALS: GemmTrial[] = [
  { kind: 'gemm', m: 128, n: 256, k: 784 },
  { kind: 'gemm', m: 128, n: 128, k: 256 },
  { kind: 'gemm', m: 128, n: 10, k: 128 },
  { kind: 'gemm', m: 256, n: 256, k: 256 },
  { kind: 'gemm', m: 512, n: 512, k: 512 },
  { kind: 'gemm', m: 1024, n: 1024, k: 1024, skip: ['js'] },
];

/** A convolution layer of a trial network: batch n, c×h×w input, oc k×k filters, stride 1, padding p. */
export interface ConvTrial {
  name: string;
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  k: number;
  p: number;
}

/** The two convolutions of CNN-S (1×28×28 → conv 16 → pool → conv 32 → pool → 128 → 10) at batch 128. */
export const CONV_TRIALS: ConvTrial[] = [
  { name: 'CNN-S conv1 1→16 28x28 k3', n: 128, c: 1, h: 28, w: 28, oc: 16, k: 3, p: 1 },
  { name: 'CNN-S conv2 16→32 14x14 k3', n: 128, c: 16, h: 14, w: 14, oc: 32, k: 3, p: 1 },
];

/** Elements for activation kernels and parameters for the optimizer step. */
export const ELEMENTWISE_N = 1 << 20;

/** Batch norm inputs [n, c, hw]: a BatchNorm2d after a small conv layer, and a BatchNorm1d after a dense one. */
export const NORM_TRIALS: { name: string; n: number; c: number; hw: number }[] = [
  { name: 'BatchNorm2d 64x32x16x16', n: 64, c: 32, hw: 256 },
  { name: 'BatchNorm1d 128x256', n: 128, c: 256, hw: 1 },
];

export interface TrainTrial {
  name: string;
  /** An MLP's widths, input first (ReLU between layers). */
  layers: number[];
  batch: number;
  /** A convolutional network instead: its per-sample input shape and layers (the last one's width = classes). */
  cnn?: { inputShape: number[]; build: () => Layer[] };
  /** Backends too slow for this trial (the js reference would take seconds per step). */
  skip?: readonly string[];
}

/** CNN-S: conv 16 → pool → conv 32 → pool → 128 → 10 on 1×28×28 (about 7.3 MFLOP per training sample). */
const cnnS = (): Layer[] => [
  new Conv2d(1, 16, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
  new Conv2d(16, 32, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
  new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10),
];

/** The "2 Conv+pooling" net of Fashion-MNIST's benchmark table: 5×5 kernels, 32 and 64 channels, Linear 3136→1024. */
const twoConv = (): Layer[] => [
  new Conv2d(1, 32, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
  new Conv2d(32, 64, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
  new Flatten(), new Linear(64 * 7 * 7, 1024), new ReLU(), new Linear(1024, 10),
];

export const TRAIN_TRIALS: TrainTrial[] = [
  { name: 'mlp 784-256-128-10 relu adam', layers: [784, 256, 128, 10], batch: 128 },
  { name: 'tiny 2-16-16-2 relu adam', layers: [2, 16, 16, 2], batch: 32 },
  { name: 'cnn-s relu adam', layers: [784, 10], batch: 128, cnn: { inputShape: [1, 28, 28], build: cnnS } },
  { name: '2conv relu adam', layers: [784, 10], batch: 128, cnn: { inputShape: [1, 28, 28], build: twoConv }, skip: ['js'] },
];

/** Deterministic pseudo-random values in [−scale/2, scale/2) (an LCG: cheap, and the same on every run). */
export function fill(a: Float32Array, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = scale * (s / 2 ** 32 - 0.5);
  }
  return a;
}

/**
 * A training trial on the active backend: ReLU MLP, Adam, cross-entropy, one fixed batch. `fuse: false` runs the
 * Linear+ReLU pairs unfused (bench:peers shows both).
 */
export function trainTrial(t: TrainTrial, fuse = true): { model: Sequential; step: () => void } {
  manualSeed(1);
  const layers: Layer[] = [];
  if (t.cnn) layers.push(...t.cnn.build());
  else
    t.layers.slice(1).forEach((width, i) => {
      layers.push(new Linear(t.layers[i], width));
      if (i < t.layers.length - 2) layers.push(new ReLU());
    });
  const model = new Sequential(layers, t.cnn ? { inputShape: t.cnn.inputShape, fuse } : { fuse });
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
  const x = fill(new Float32Array(t.batch * t.layers[0]), 7);
  const classes = t.layers[t.layers.length - 1];
  const y = Int32Array.from({ length: t.batch }, (_, i) => i % classes);
  return { model, step: () => void trainer.step(x, y) };
}
