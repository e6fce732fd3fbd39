/**
 * `descent train`: trains an MLP on the bundled digits, Fashion-MNIST, MNIST or a CSV file, with checkpoints
 * that resume bit-identically (weights, optimizer, scheduler, generator, epoch, and the batch within the epoch
 * when Ctrl-C stopped it mid-epoch: `Trainer.fit` resumes there). Per-epoch progress goes to stderr; `--json`
 * prints one JSON line per epoch.
 */
import { activationLayer } from '../nn/activations.js';
import { ARCHITECTURES, buildModel as buildArchitecture, parseArchitecture } from '../nn/architecture.js';
import { Dropout } from '../nn/dropout.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams, type ActivationName } from '../nn/activation-table.js';
import { Linear } from '../nn/linear.js';
import { Sequential } from '../nn/sequential.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import type { Layer } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD, Momentum, Nesterov } from '../optim/sgd.js';
import { Adagrad, Adam, AdamW, RMSprop } from '../optim/adaptive.js';
import { CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau, StepLR, type Scheduler } from '../optim/schedulers.js';
import { Trainer, type EpochSums } from '../trainer.js';
import { Rng, type RngState } from '../rng.js';
import { loadDigits, type LabelledData } from '../data/digits.js';
import { loadCsv, type CsvData } from '../data/csv.js';
import { readMaybeGzip } from '../data/idx.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist, loadMnist } from '../data/mnist.js';
import { randomCrop, randomHorizontalFlip, type Augmentation } from '../data/augment.js';
import { confusionMatrix, fitStandardizer, scaleToUnit, standardize, takeRows, trainValidationSplit, type Standardizer } from '../data/transforms.js';
import { createCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint, type Checkpoint } from '../checkpoint.js';
import { fs } from '../node.js';
import { closest } from '../check.js';
import { formatConfusion, helpText, parseFlags, UsageError, type Flags, type Values } from './args.js';
import { loadRuntime, RUNTIME_FLAGS } from './runtime.js';

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const;
const SCHEDULERS = ['none', 'step', 'cosine', 'onecycle', 'plateau', 'warmup'] as const;
const NORMALIZE = ['standardize', 'per-feature', 'none'] as const;
const DATASETS = ['digits', 'fashion-mnist', 'mnist'] as const;

/** Everything that determines a run's numbers; stored in checkpoints and compared on `--resume`. */
export interface TrainConfig {
  /** `digits`, `fashion-mnist`, `mnist` or `csv:PATH`. */
  dataset: string;
  labelColumn?: string;
  testFile?: string;
  limit?: number;
  testLimit?: number;
  testFraction: number;
  validation: number;
  normalize: (typeof NORMALIZE)[number];
  layers: number[];
  /** `--arch`: a preset name or a layer list in the architecture syntax (instead of `layers`). */
  arch?: string;
  /** The data's per-sample shape (`[1, 28, 28]` for IDX images), which `arch` models take. */
  inputShape?: number[];
  activation: ActivationName;
  /** LeakyReLU's slope from `--slope`. */
  slope?: number;
  /** Parameters from `--activation NAME:k=v,…` (e.g. `{ alpha: 0.5 }`). */
  activationParams?: Record<string, number>;
  init: 'auto' | InitName;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  alpha?: number;
  scheduler: (typeof SCHEDULERS)[number];
  stepSize?: number;
  gamma?: number;
  maxLr?: number;
  etaMin?: number;
  patience?: number;
  factor?: number;
  warmupEpochs?: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** `--augment`: random transforms of the training images, e.g. `hflip,crop2`. */
  augment?: string;
}

const DATA = 'data', MODEL = 'model', OPT = 'optimization', RUN = 'runtime';

/** Flags that hold a TrainConfig value (their camelCase name); the others (paths, runtime) do not. */
const FLAGS = {
  dataset: { type: 'string', value: 'NAME', short: 'd', group: DATA, help: 'digits (bundled 8x8, default) | fashion-mnist | mnist | FILE.csv (csv:PATH for any other name)' },
  data: { type: 'string', value: 'DIR', group: DATA, help: 'directory with the four IDX files (fashion-mnist: default /usr/share/datasets/fashion-mnist)' },
  'label-column': { type: 'string', value: 'C', group: DATA, help: 'CSV label column: first | last | index | header name (default: label/class/target/y, else last)' },
  'test-file': { type: 'string', value: 'FILE', group: DATA, help: 'a separate CSV test set with the same columns (then nothing is held out of --dataset)' },
  'test-fraction': { type: 'number', value: 'F', min: 0, below: 1, group: DATA, help: 'share of a digits/CSV set held out for testing (default 0.2, 0 with --test-file; IDX sets have their own)' },
  validation: { type: 'number', value: 'F', min: 0, below: 1, default: 0, group: DATA, help: 'share of the training rows held out for validation each epoch' },
  limit: { type: 'number', value: 'N', integer: true, positive: true, group: DATA, help: 'use only the first N training rows' },
  'test-limit': { type: 'number', value: 'N', integer: true, positive: true, group: DATA, help: 'use only the first N test rows' },
  normalize: { type: 'choice', value: 'MODE', choices: NORMALIZE, group: DATA, help: 'input scaling, one mean/std or per feature; default standardize for images, per-feature for CSV' },
  layers: { type: 'string', value: 'A-B-…-Z', short: 'l', group: MODEL, help: 'MLP widths, input to output (default: features-256-128-classes)' },
  arch: {
    type: 'string', value: 'SPEC', short: 'a', group: MODEL,
    help: `any architecture instead of --layers: a preset (${Object.keys(ARCHITECTURES).join(', ')}) or a layer list such as conv32k3p1,bn,relu,maxpool2,flatten,fc128,relu,dropout0.3,fc10 (README: "Architecture syntax"); images keep their shape, e.g. [1, 28, 28]`,
  },
  activation: {
    type: 'string', value: 'NAME[:k=v,…]', default: 'relu', group: MODEL,
    help: `hidden activation: ${ACTIVATION_NAMES.join(' | ')}; parameters as ${ACTIVATION_NAMES.filter((n) => ACTIVATION_TABLE[n].params.length).map((n) => `${n}:${ACTIVATION_TABLE[n].params.map((p) => `${p.name}=${p.default}`).join(',')}`).join('  ')}`,
  },
  slope: { type: 'number', value: 'A', min: 0, group: MODEL, help: 'negative slope of leaky_relu (default 0.01)' },
  init: { type: 'choice', choices: ['auto', ...INIT_NAMES], default: 'auto', group: MODEL, help: 'weight init; auto is Kaiming before ReLU, Xavier otherwise' },
  optimizer: { type: 'choice', choices: OPTIMIZERS, default: 'adam', short: 'o', group: OPT, help: 'optimizer' },
  lr: { type: 'number', value: 'X', positive: true, group: OPT, help: 'learning rate (default 1e-3 for adam/adamw/rmsprop, 0.01 otherwise)' },
  momentum: { type: 'number', value: 'X', min: 0, group: OPT, help: 'momentum of sgd/momentum/nesterov/rmsprop' },
  'weight-decay': { type: 'number', value: 'X', min: 0, group: OPT, help: 'L2 penalty (decoupled for adamw)' },
  beta1: { type: 'number', value: 'X', min: 0, group: OPT, help: 'Adam beta1 (default 0.9)' },
  beta2: { type: 'number', value: 'X', min: 0, group: OPT, help: 'Adam beta2 (default 0.999)' },
  eps: { type: 'number', value: 'X', min: 0, group: OPT, help: 'Adam/RMSprop/Adagrad eps' },
  alpha: { type: 'number', value: 'X', min: 0, group: OPT, help: 'RMSprop smoothing constant' },
  scheduler: { type: 'choice', choices: SCHEDULERS, default: 'none', group: OPT, help: 'learning-rate schedule' },
  'step-size': { type: 'number', value: 'N', integer: true, positive: true, group: OPT, help: 'step: epochs between decays (required)' },
  gamma: { type: 'number', value: 'X', min: 0, group: OPT, help: 'step: decay factor (default 0.1)' },
  'eta-min': { type: 'number', value: 'X', min: 0, group: OPT, help: 'cosine: final learning rate (default 0)' },
  'max-lr': { type: 'number', value: 'X', positive: true, group: OPT, help: 'onecycle: peak learning rate (default --lr)' },
  patience: { type: 'number', value: 'N', integer: true, min: 0, group: OPT, help: 'plateau: epochs without improvement (default 2)' },
  factor: { type: 'number', value: 'X', positive: true, group: OPT, help: 'plateau: decay factor (default 0.1)' },
  'warmup-epochs': { type: 'number', value: 'N', integer: true, positive: true, group: OPT, help: 'warmup: epochs from lr/10 to lr (default 3)' },
  epochs: { type: 'number', value: 'N', integer: true, positive: true, default: 10, short: 'e', group: OPT, help: 'last epoch number' },
  'batch-size': { type: 'number', value: 'N', integer: true, positive: true, default: 64, short: 'b', group: OPT, help: 'mini-batch rows' },
  seed: { type: 'number', value: 'N', integer: true, min: 0, default: 0, group: OPT, help: 'seeds initialisation, shuffling and the validation split' },
  augment: { type: 'string', value: 'LIST', group: DATA, help: 'random transforms of each training batch (images, --arch): hflip (mirror half the images), cropN (shift by up to N pixels, uncovered pixels black), e.g. hflip,crop2' },
  ...RUNTIME_FLAGS,
  save: { type: 'string', value: 'PATH', group: RUN, help: 'write a checkpoint (atomically) every --save-every epochs, at the end and on Ctrl-C' },
  'save-every': { type: 'number', value: 'N', integer: true, positive: true, default: 1, group: RUN, help: 'epochs between checkpoints' },
  resume: { type: 'string', value: 'PATH', group: RUN, help: 'continue a saved run bit-identically (flags must match it; --epochs may grow)' },
  json: { type: 'boolean', group: RUN, help: 'print one JSON object per epoch and one for the result on stdout' },
} as const satisfies Flags;

/** Flags that are not part of the run's configuration. */
const NOT_CONFIG = new Set(['data', 'backend', 'threads', 'save', 'save-every', 'resume', 'json', 'help']);
/** Configuration that may differ when resuming; everything else must match the checkpoint. */
const RESUMABLE = new Set(['epochs']);

const TRAIN_HELP = helpText({
  usage: 'descent train [options]',
  summary: 'Trains a classifier (an MLP from --layers, or any architecture from --arch, CNNs included) and reports test accuracy, a confusion matrix, time and samples/s.',
  flags: FLAGS,
  footer: `examples
  descent train --dataset fashion-mnist --layers 784-256-128-10 --epochs 12 --batch-size 128 --save fashion.ckpt
  descent train --dataset fashion-mnist --arch cnn --epochs 12 --batch-size 128 --save cnn.ckpt
  descent train --resume fashion.ckpt --epochs 15
  descent train --dataset iris.csv --label-column species --layers 4-16-3 --lr 0.01 --epochs 100`,
});

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (key: string) => key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/**
 * `digits`, `fashion-mnist`, `mnist`, `csv:PATH`, or a CSV file named directly: by its extension (.csv, .tsv,
 * .txt, optionally .gz), else by its content (text, not IDX). Returns the canonical `csv:PATH` form.
 */
function datasetName(value: string): string {
  if ((DATASETS as readonly string[]).includes(value)) return value;
  if (value.startsWith('csv:')) {
    if (value.length === 4) throw new UsageError('--dataset csv:PATH needs a path after csv:');
    return value;
  }
  if (/\.(csv|tsv|txt)(\.gz)?$/i.test(value)) return `csv:${value}`;
  const expected = `--dataset expects ${DATASETS.join(', ')} or a CSV file (FILE.csv, or csv:PATH)`;
  if (!fs().existsSync(value) || !fs().statSync(value).isFile()) {
    const guess = closest(value, DATASETS);
    throw new UsageError(`${expected}; '${value}' is neither${guess ? ` (did you mean '${guess}'?)` : ' a known name nor an existing file'}`);
  }
  const head = readMaybeGzip(value).subarray(0, 4096);
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] >= 0x08 && head[2] <= 0x0e) {
    throw new UsageError(`${value} is an IDX file: train on IDX sets with --dataset mnist --data DIR (or fashion-mnist), or evaluate with descent predict`);
  }
  if (head.includes(0)) throw new UsageError(`${expected}; ${value} is not a text file`);
  return `csv:${value}`;
}

/** The configuration of a fresh run: the given flags, then the defaults (some depend on other flags). */
function configFrom(v: Values<typeof FLAGS>): TrainConfig {
  const dataset = datasetName(v.dataset ?? 'digits');
  const csv = dataset.startsWith('csv:');
  if (v['test-file'] !== undefined && !csv) throw new UsageError(`--test-file applies to CSV data sets; ${dataset} has its own test set`);
  const testFraction = v['test-fraction'] ?? (v['test-file'] !== undefined ? 0 : 0.2);
  if (v['test-file'] !== undefined && testFraction !== 0) throw new UsageError(`--test-fraction ${testFraction} holds out test rows, but --test-file gives the test set; leave --test-fraction out (or 0)`);
  if (testFraction === 0 && v['test-file'] === undefined && !['fashion-mnist', 'mnist'].includes(dataset)) throw new UsageError('--test-fraction 0 leaves no test set: give --test-file FILE');
  const optimizer = v.optimizer;
  const c: TrainConfig = {
    dataset, testFraction, validation: v.validation, normalize: v.normalize ?? (csv ? 'per-feature' : 'standardize'), layers: [],
    ...parseActivation(v.activation), init: v.init, optimizer, lr: v.lr ?? (['adam', 'adamw', 'rmsprop'].includes(optimizer) ? 1e-3 : 0.01),
    scheduler: v.scheduler, epochs: v.epochs, batchSize: v['batch-size'], seed: v.seed,
  };
  const optional = {
    labelColumn: v['label-column'], testFile: v['test-file'], limit: v.limit, testLimit: v['test-limit'], slope: v.slope,
    momentum: v.momentum, weightDecay: v['weight-decay'], beta1: v.beta1, beta2: v.beta2, eps: v.eps, alpha: v.alpha,
    stepSize: v['step-size'], gamma: v.gamma, maxLr: v['max-lr'], etaMin: v['eta-min'], patience: v.patience, factor: v.factor,
    warmupEpochs: v['warmup-epochs'], augment: v.augment,
  };
  for (const [k, value] of Object.entries(optional)) if (value !== undefined) (c as unknown as Record<string, unknown>)[k] = value;
  if (v.layers !== undefined) c.layers = parseLayers(v.layers);
  if (v.arch !== undefined) {
    if (v.layers !== undefined) throw new UsageError('--arch and --layers both describe the model: give one');
    // Syntax errors now, before any data is read; shapes are checked when the model is built.
    if (!Object.hasOwn(ARCHITECTURES, v.arch)) parseArchitecture(v.arch, ACTIVATION_NAMES, '--arch');
    c.arch = v.arch;
  }
  if (v.augment !== undefined) {
    if (v.arch === undefined) throw new UsageError('--augment transforms images: it needs an --arch model, which keeps their [channels, height, width] shape');
    parseAugment(v.augment, 0);
  }
  checkApplicable(c);
  return c;
}

/** `gelu`, `elu:alpha=0.5`, `softplus:beta=2,threshold=10`: a name of the activation table and its parameters. */
function parseActivation(text: string): Pick<TrainConfig, 'activation' | 'activationParams'> {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (!(ACTIVATION_NAMES as string[]).includes(name)) {
    const guess = closest(name, ACTIVATION_NAMES);
    throw new UsageError(`--activation expects one of ${ACTIVATION_NAMES.join(', ')}, received '${name}'${guess ? `; did you mean '${guess}'?` : ''}`);
  }
  const activation = name as ActivationName;
  if (colon < 0) return { activation };
  const known = ACTIVATION_TABLE[activation].params.map((p) => p.name);
  const params: Record<string, number> = {};
  for (const item of text.slice(colon + 1).split(',').filter(Boolean)) {
    const [key, value = ''] = item.split('=', 2);
    if (!known.includes(key)) throw new UsageError(`--activation ${name}: unknown parameter '${key}' (${known.length ? `it takes ${known.join(', ')}` : 'it takes none'})`);
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--activation ${name}:${key} expects a number, received '${value}'`);
    params[key] = v;
  }
  try {
    activationParams('--activation', activation, params);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { activation, activationParams: params };
}

/** A zero pixel after one-mean/std standardisation; 0 (every pixel's own mean) otherwise. */
function blackPixel(s: Standardizer | null): number {
  return s && s.mean.length === 1 ? (0 - s.mean[0]) / s.std[0] : 0;
}

/**
 * `--augment`'s list: `hflip` (randomHorizontalFlip, p 0.5) and `cropN` (randomCrop with padding N), in the order
 * given. `black` is the value a zero pixel has after normalisation, which the crop's uncovered pixels take.
 */
export function parseAugment(text: string, black: number): Augmentation[] {
  return text.split(',').map((token, i) => {
    const crop = /^crop(\d+)$/.exec(token);
    if (token === 'hflip') return randomHorizontalFlip();
    if (crop && Number(crop[1]) >= 1 && Number(crop[1]) <= 64) return randomCrop({ padding: Number(crop[1]), fill: black });
    const hint = crop ? ' (crop padding 1 to 64 pixels)' : /^crop/.test(token) ? ' (cropN: N pixels, e.g. crop2)' : '';
    throw new UsageError(`--augment: token ${i + 1} '${token}' is not hflip or cropN${hint}, in '${text}'`);
  });
}

function parseLayers(text: string): number[] {
  const widths = text.split(/[-,x]/).map((w) => Number(w));
  if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--layers expects widths like 784-256-128-10, received '${text}'`);
  return widths;
}

/** Flags that only make sense with some optimizers or schedulers: reject them elsewhere instead of ignoring them. */
function checkApplicable(c: TrainConfig): void {
  const uses: Record<string, readonly string[]> = {
    momentum: ['sgd', 'momentum', 'nesterov', 'rmsprop'], beta1: ['adam', 'adamw'], beta2: ['adam', 'adamw'],
    eps: ['adam', 'adamw', 'rmsprop', 'adagrad'], alpha: ['rmsprop'],
  };
  for (const [key, opts] of Object.entries(uses)) {
    if (c[key as keyof TrainConfig] !== undefined && !opts.includes(c.optimizer)) throw new UsageError(`--${key} does not apply to --optimizer ${c.optimizer} (it is for ${opts.join(', ')})`);
  }
  const sched: Record<string, readonly string[]> = {
    stepSize: ['step'], gamma: ['step'], etaMin: ['cosine'], maxLr: ['onecycle'], patience: ['plateau'], factor: ['plateau'], warmupEpochs: ['warmup'],
  };
  for (const [key, ss] of Object.entries(sched)) {
    if (c[key as keyof TrainConfig] !== undefined && !ss.includes(c.scheduler)) throw new UsageError(`--${kebab(key)} does not apply to --scheduler ${c.scheduler}`);
  }
  if (c.scheduler === 'step' && c.stepSize === undefined) throw new UsageError('--scheduler step needs --step-size N');
  if (c.slope !== undefined && c.activation !== 'leaky_relu') throw new UsageError('--slope applies only to --activation leaky_relu');
}

/** A resumed run's configuration: the checkpoint's, which the given flags may only repeat (except --epochs). */
function resumedConfig(saved: TrainConfig, fresh: Values<typeof FLAGS>, given: ReadonlySet<string>): TrainConfig {
  const config = { ...saved };
  for (const flag of given) {
    if (NOT_CONFIG.has(flag)) continue;
    const key = camel(flag) as keyof TrainConfig;
    let value: unknown = fresh[flag as keyof typeof fresh];
    if (flag === 'layers') value = parseLayers(value as string);
    if (flag === 'dataset') value = datasetName(value as string);
    if (flag === 'activation') {
      const a = parseActivation(value as string);
      if (JSON.stringify(a.activationParams) !== JSON.stringify(saved.activationParams)) {
        throw new UsageError(`--activation ${value as string} differs from the checkpoint's ${saved.activation}${saved.activationParams ? ` ${JSON.stringify(saved.activationParams)}` : ''}; a resumed run keeps its configuration (only --epochs may change)`);
      }
      value = a.activation;
    }
    if (RESUMABLE.has(key)) (config as unknown as Record<string, unknown>)[key] = value;
    else if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new UsageError(`--${flag} ${JSON.stringify(value)} differs from the checkpoint's ${JSON.stringify(saved[key]) ?? 'unset'}; a resumed run keeps its configuration (only --epochs may change)`);
    }
  }
  if (config.epochs !== saved.epochs && (config.scheduler === 'cosine' || config.scheduler === 'onecycle')) {
    throw new UsageError(`the ${config.scheduler} schedule was planned for ${saved.epochs} epochs; --epochs cannot change when resuming it`);
  }
  return config;
}

// ---- data ----

interface Prepared {
  train: LabelledData;
  validation: LabelledData | null;
  test: LabelledData;
  labelNames?: string[];
  /** Divisor applied to raw inputs before standardising (255 for IDX, 16 for digits, 1 for CSV). */
  inputScale: number;
  standardizer: Standardizer | null;
  source: string;
}

const TEST_SPLIT_SEED = 0x7e57;

function csvLabel(column: string | undefined): string | number | undefined {
  return column === undefined ? undefined : /^\d+$/.test(column) ? Number(column) : column;
}

/**
 * A CSV file's labels in the numbering of a model trained on `classes` classes named `names` (label names map by
 * name; numeric labels must be in range): the test set of `--test-file`, or the input of `descent predict`.
 */
export function alignLabels(d: CsvData, file: string, classes: number, names: string[] | undefined): Int32Array {
  if (d.labelNames && names) {
    const index = new Map(names.map((n, i) => [n, i]));
    const unknown = d.labelNames.filter((n) => !index.has(n));
    if (unknown.length) throw Object.assign(new Error(`${file}: label ${unknown.map((n) => `'${n}'`).join(', ')} is not among the training classes (${names.join(', ')})`), { code: 'ERR_DATA' });
    return Int32Array.from(d.y, (v) => index.get(d.labelNames![v])!);
  }
  if (d.labelNames || names) throw Object.assign(new Error(`${file}: labels are ${d.labelNames ? 'names' : 'numbers'}, but the training labels are ${names ? 'names' : 'numbers'}`), { code: 'ERR_DATA' });
  const bad = d.y.findIndex((v) => v >= classes);
  if (bad >= 0) throw Object.assign(new Error(`${file}: row ${bad + 1} has label ${d.y[bad]}, outside the ${classes} training classes`), { code: 'ERR_DATA' });
  return d.y;
}

function loadData(c: TrainConfig, dataDir?: string): Prepared {
  let train: LabelledData, test: LabelledData, labelNames: string[] | undefined, inputScale = 1, source: string;
  if (c.dataset === 'fashion-mnist' || c.dataset === 'mnist') {
    const splits = c.dataset === 'mnist' ? loadMnist({ dir: dataDir }) : loadFashionMnist({ dir: dataDir });
    train = splits.train;
    test = splits.test;
    inputScale = 255;
    scaleToUnit(train.x, 255);
    scaleToUnit(test.x, 255);
    if (c.dataset === 'fashion-mnist') labelNames = FASHION_MNIST_CLASSES;
    source = splits.dir;
  } else {
    let all: LabelledData;
    if (c.dataset === 'digits') {
      all = loadDigits();
      inputScale = 16;
      source = 'bundled 8x8 digits';
    } else {
      const file = c.dataset.slice(4);
      const csv = loadCsv(file, { label: csvLabel(c.labelColumn) });
      labelNames = csv.labelNames;
      all = csv;
      source = file;
    }
    if (c.testFile !== undefined) {
      const t = loadCsv(c.testFile, { label: csvLabel(c.labelColumn) });
      if (t.features !== all.features) throw Object.assign(new Error(`${c.testFile}: ${t.features} feature columns, but ${source} has ${all.features}`), { code: 'ERR_DATA' });
      train = all;
      test = { ...t, y: alignLabels(t, c.testFile, all.classes, labelNames), classes: all.classes };
      source = `${source}, test ${c.testFile}`;
    } else {
      const split = trainValidationSplit(all, c.testFraction, TEST_SPLIT_SEED);
      train = split.train;
      test = split.validation;
    }
  }
  if (c.limit !== undefined) train = takeRows(train, c.limit);
  if (c.testLimit !== undefined) test = takeRows(test, c.testLimit);
  let validation: LabelledData | null = null;
  if (c.validation > 0) {
    const split = trainValidationSplit(train, c.validation, c.seed);
    train = split.train;
    validation = split.validation;
  }
  checkSplits(c, train, validation, test);
  let standardizer: Standardizer | null = null;
  if (c.normalize !== 'none') {
    standardizer = fitStandardizer(train.x, train.features, { perFeature: c.normalize === 'per-feature' });
    for (const d of [train, validation, test]) if (d) standardize(d.x, standardizer);
  }
  return { train, validation, test, labelNames, inputScale, standardizer, source };
}

/** Empty splits are found before training, not when the test set is evaluated after it. */
function checkSplits(c: TrainConfig, train: LabelledData, validation: LabelledData | null, test: LabelledData): void {
  const rows = train.count + (validation?.count ?? 0);
  if (test.count === 0) {
    const fix = c.testFile !== undefined ? `${c.testFile} has no rows` : `--test-fraction ${c.testFraction} of ${rows + test.count} rows holds out none; use --test-fraction ≥ ${(1 / (rows + test.count)).toPrecision(2)} or --test-file FILE`;
    throw new UsageError(`the test set is empty: ${fix}`);
  }
  if (validation && validation.count === 0) throw new UsageError(`the validation set is empty: --validation ${c.validation} of ${rows} training rows holds out none; use --validation ≥ ${(1 / rows).toPrecision(2)}`);
  if (train.count === 0) throw new UsageError(`no training rows are left after the test${validation ? ' and validation' : ''} split`);
}

// ---- model and optimizer ----

/**
 * Checks a checkpoint's tensor table against the widths its configuration declares, before any model is built:
 * a small crafted file declaring `layers: [64, 4000000, 10]` must not allocate gigabytes first.
 */
export function checkLayersAgainstTensors(c: TrainConfig, model: Record<string, { shape?: unknown }>, source: string): void {
  // --arch models (convolutions, pooling, dropout) are checked by loadStateDict after building; they are small.
  if (c.arch !== undefined) return;
  const widths = c.layers;
  if (!Array.isArray(widths) || widths.length < 2 || !widths.every((w) => Number.isSafeInteger(w) && w >= 1)) throw new UsageError(`${source}: its configuration has no valid layer widths`);
  for (let i = 0; i + 1 < widths.length; i++) {
    for (const [name, shape] of [[`${2 * i}.weight`, [widths[i + 1], widths[i]]], [`${2 * i}.bias`, [widths[i + 1]]]] as const) {
      const got = model[name]?.shape;
      if (!Array.isArray(got) || got.length !== shape.length || got.some((d, j) => d !== shape[j])) {
        throw new UsageError(`${source}: tensor ${name} has shape [${Array.isArray(got) ? got.join(', ') : 'none'}], but its configuration (layers ${widths.join('-')}) needs [${shape.join(', ')}]`);
      }
    }
  }
}

export function buildModel(c: TrainConfig, classes = c.layers[c.layers.length - 1], dropoutRng = new Rng(c.seed + 2)): Sequential {
  const rng = new Rng(c.seed);
  // Dropout draws its masks from a generator of its own, so resuming restores it apart from the shuffle's.
  if (c.arch !== undefined) return buildArchitecture(c.arch, { inputShape: c.inputShape ?? [], classes, rng, dropoutRng, call: '--arch' });
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < c.layers.length; i++) {
    layers.push(new Linear(c.layers[i], c.layers[i + 1], { init: c.init, rng }));
    if (i + 2 < c.layers.length) {
      const params = c.activation === 'leaky_relu' && c.slope !== undefined ? { slope: c.slope, ...c.activationParams } : { ...c.activationParams };
      layers.push(activationLayer(c.activation, params));
    }

  }
  return new Sequential(layers);
}

function buildOptimizer(c: TrainConfig, model: Sequential): Optimizer {
  const p = model.parameters();
  const wd = c.weightDecay === undefined ? {} : { weightDecay: c.weightDecay };
  const mom = c.momentum === undefined ? {} : { momentum: c.momentum };
  const eps = c.eps === undefined ? {} : { eps: c.eps };
  switch (c.optimizer) {
    case 'sgd': return new SGD(p, { lr: c.lr, ...mom, ...wd });
    case 'momentum': return new Momentum(p, { lr: c.lr, ...mom, ...wd });
    case 'nesterov': return new Nesterov(p, { lr: c.lr, ...mom, ...wd });
    case 'adagrad': return new Adagrad(p, { lr: c.lr, ...wd, ...eps });
    case 'rmsprop': return new RMSprop(p, { lr: c.lr, ...mom, ...wd, ...eps, ...(c.alpha === undefined ? {} : { alpha: c.alpha }) });
    case 'adam':
    case 'adamw': {
      const betas: [number, number] = [c.beta1 ?? 0.9, c.beta2 ?? 0.999];
      return c.optimizer === 'adam' ? new Adam(p, { lr: c.lr, betas, ...wd, ...eps }) : new AdamW(p, { lr: c.lr, betas, ...wd, ...eps });
    }
  }
}

function buildScheduler(c: TrainConfig, optimizer: Optimizer, batchesPerEpoch: number): Scheduler | undefined {
  switch (c.scheduler) {
    case 'none': return undefined;
    case 'step': return new StepLR(optimizer, { stepSize: c.stepSize!, gamma: c.gamma ?? 0.1 });
    case 'cosine': return new CosineAnnealingLR(optimizer, { tMax: c.epochs, etaMin: c.etaMin ?? 0 });
    case 'onecycle': return new OneCycleLR(optimizer, { maxLr: c.maxLr ?? c.lr, totalSteps: c.epochs * batchesPerEpoch });
    case 'plateau': return new ReduceLROnPlateau(optimizer, { patience: c.patience ?? 2, factor: c.factor ?? 0.1 });
    case 'warmup': return new LinearLR(optimizer, { startFactor: 0.1, totalIters: c.warmupEpochs ?? 3 });
  }
}

// ---- the command ----

/** Where the run stands: completed epochs, plus the batches and sums of the next one when Ctrl-C cut it. */
interface Progress extends EpochSums {
  epoch: number;
  batch: number;
}

export async function run(args: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let v: Values<typeof FLAGS>;
  let config: TrainConfig;
  let resumed: Checkpoint | null = null;
  let backendNote = '';
  try {
    const parsed = parseFlags('train', args, FLAGS);
    v = parsed.values;
    if (v.help) {
      out(TRAIN_HELP);
      return 0;
    }
    if (v.resume !== undefined) {
      resumed = loadCheckpoint(v.resume);
      const saved = resumed.config as unknown as TrainConfig | undefined;
      if (!saved || !Array.isArray(saved.layers)) throw new UsageError(`${v.resume} was not written by 'descent train' (no training configuration)`);
      config = resumedConfig(saved, v, parsed.given);
      checkLayersAgainstTensors(config, resumed.model, v.resume);
      // A run continues bit for bit only on the backend it trained on: resume there unless --backend says otherwise.
      const recorded = resumed.backend?.name;
      if (recorded !== undefined && !['native', 'wasm', 'js'].includes(recorded)) throw new UsageError(`${v.resume} records an unknown backend '${recorded}'`);
      if (recorded && !parsed.given.has('backend')) {
        v = { ...v, backend: recorded as typeof v.backend };
        backendNote = `resuming on the ${recorded} backend ${v.resume} was trained on (--backend chooses another; results then differ in the last bits)`;
      } else if (recorded && v.backend !== recorded) {
        backendNote = `${v.resume} was trained on the ${recorded} backend; continuing on --backend ${v.backend} is not bit-identical to an uninterrupted run`;
      }
    } else config = configFrom(v);
  } catch (error) {
    err(`descent train: ${(error as Error).message}`);
    return 2;
  }
  const say = v.json ? err : out;

  try {
    const { backend, threads, note } = await loadRuntime(v.backend, v.threads);
    if (note) err(`descent train: ${note}`);
    if (backendNote) err(`descent train: ${backendNote}`);
    const loadStart = performance.now();
    const data = loadData(config, v.data);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const { train, validation, test } = data;
    if (config.arch === undefined && config.layers.length === 0) config.layers = [train.features, 256, 128, train.classes];
    const widths = config.layers;
    if (config.arch !== undefined) config.inputShape ??= train.shape;
    else if (widths[0] !== train.features) throw new UsageError(`--layers starts with ${widths[0]}, but the data has ${train.features} features (try --layers ${[train.features, ...widths.slice(1)].join('-')})`);
    else if (widths[widths.length - 1] < train.classes) throw new UsageError(`--layers ends with ${widths[widths.length - 1]} outputs, but the data has ${train.classes} classes`);

    const masks = new Rng(config.seed + 2);
    let model: Sequential;
    try {
      model = buildModel(config, train.classes, masks);
    } catch (error) {
      // A spec whose shapes do not fit the data is a usage error (exit 2), like a syntax error.
      if (config.arch !== undefined && (error as { code?: string }).code === 'ERR_OPTION') throw new UsageError((error as Error).message);
      throw error;
    }
    if (config.arch !== undefined && model.outFeatures < train.classes) throw new UsageError(`--arch ends with ${model.outFeatures} outputs, but the data has ${train.classes} classes`);
    const dropoutRng = model.layers.some((l) => l instanceof Dropout) ? masks : null;
    const optimizer = buildOptimizer(config, model);
    const scheduler = buildScheduler(config, optimizer, Math.ceil(train.count / config.batchSize));
    const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler });
    const rng = new Rng(config.seed + 1);
    const progress: Progress = { epoch: 0, batch: 0, lossSum: 0, correct: 0, rows: 0 };
    if (resumed) {
      // The checkpoint's generator state is the one before the shuffle of epoch `epoch + 1`.
      restoreCheckpoint(resumed, { model, optimizer, scheduler, rng });
      const savedDropout = (resumed.extra as { dropoutRng?: RngState | null } | undefined)?.dropoutRng;
      if (dropoutRng && savedDropout) dropoutRng.setState(savedDropout);
      const p = (resumed.extra as { progress?: Partial<Progress> } | undefined)?.progress;
      if (!p || typeof p.batch !== 'number' || typeof p.rows !== 'number') throw new UsageError(`${v.resume} has no training progress record this version of descent can resume`);
      Object.assign(progress, p, { epoch: resumed.epoch });
    }
    const mid = progress.batch > 0;

    say(`descent train: ${config.dataset} (${data.source}): ${train.count} training${validation ? `, ${validation.count} validation` : ''} and ${test.count} test rows of ${train.features} features, ${train.classes} classes; loaded in ${loadSeconds.toFixed(2)}s`);
    const described = config.arch !== undefined ? `${config.arch} on ${JSON.stringify(config.inputShape)}` : `${widths.join('-')} (${config.activation}, init ${config.init})`;
    say(`model ${described}, ${model.parameterCount()} parameters; ${optimizer.type} lr ${config.lr}${config.scheduler === 'none' ? '' : `, ${config.scheduler} schedule`}; batch ${config.batchSize}; backend ${backend.name} (${backend.detail})`);
    if (resumed) say(`resuming ${v.resume} after epoch ${progress.epoch}${mid ? `, batch ${progress.batch}` : ''}`);

    const save = v.save;
    let epochStart: RngState = rng.getState();
    let saveSeconds = 0, saves = 0;
    const checkpoint = () => {
      if (!save) return;
      const started = performance.now();
      const c = createCheckpoint({
        model, optimizer, scheduler, epoch: progress.epoch, config: config as unknown as Record<string, unknown>,
        extra: { progress, preprocess: { inputScale: data.inputScale, standardizer: data.standardizer }, labelNames: data.labelNames ?? null, features: train.features, classes: train.classes, dropoutRng: dropoutRng?.getState() ?? null },
      });
      c.rng = epochStart;
      saveCheckpoint(save, c);
      saveSeconds += (performance.now() - started) / 1000;
      saves++;
    };

    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts > 1) process.exit(130);
      err('\ninterrupted: finishing the current batch (Ctrl-C again to quit at once)');
      controller.abort();
    };
    process.on('SIGINT', onSigint);

    const trainStart = performance.now();
    let trained = 0;
    try {
      if (progress.epoch < config.epochs) {
        const history = await trainer.fit(
          { x: train.x, y: train.y },
          {
            epochs: config.epochs, batchSize: config.batchSize, rng, initialEpoch: progress.epoch, signal: controller.signal,
            ...(mid ? { initialBatch: progress.batch, partialEpoch: progress } : {}),
            validationData: validation ? { x: validation.x, y: validation.y } : undefined, progress: true,
            ...(config.augment !== undefined ? { augment: parseAugment(config.augment, blackPixel(data.standardizer)) } : {}),
            callbacks: {
              onBatchEnd: (_batch, logs) => void (trained += logs.size),
              onEpochEnd: (epoch, logs) => {
                Object.assign(progress, { epoch, batch: 0, lossSum: 0, correct: 0, rows: 0 });
                epochStart = rng.getState();
                if (v.json) out(JSON.stringify({ type: 'epoch', ...logs }));
                if (epoch % v['save-every'] === 0 || epoch === config.epochs) checkpoint();
              },
            },
          },
        );
        if (history.stoppedAt) Object.assign(progress, history.stoppedAt, { epoch: history.stoppedAt.epoch - 1 });
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    // Checkpoint writes (fsync included) are not training time.
    const trainSeconds = (performance.now() - trainStart) / 1000 - saveSeconds;
    if (controller.signal.aborted) {
      // Mid-epoch: the checkpoint holds the completed epochs, the batches done since with their sums, and the
      // generator state before this epoch's shuffle, so --resume replays the same order from the next batch.
      if (save) {
        checkpoint();
        err(`saved ${save} (epoch ${progress.epoch}, batch ${progress.batch}); continue with: descent train --resume ${save}`);
      } else err('not saved (no --save PATH given)');
      return 130;
    }
    if (progress.epoch % v['save-every'] !== 0 && progress.epoch !== config.epochs) checkpoint();

    const evalStart = performance.now();
    const outputs = trainer.predict(test.x);
    const { loss, accuracy } = trainer.evaluate(test.x, test.y);
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const classes = model.outFeatures;
    const matrix = confusionMatrix(outputs, test.y, classes);
    const result = {
      type: 'result', testAccuracy: accuracy!, testLoss: loss, testRows: test.count, epochs: progress.epoch,
      trainSeconds, loadSeconds, evalSeconds, saveSeconds, checkpoints: saves, samplesPerSecond: trained / trainSeconds, trainedSamples: trained,
      backend: backend.name, backendDetail: backend.detail, ...(threads === undefined ? {} : { threads }),
    };
    if (v.json) out(JSON.stringify({ ...result, confusion: Array.from(matrix) }));
    say(`\ntest accuracy ${(100 * accuracy!).toFixed(2)}%  loss ${loss.toFixed(4)}  on ${test.count} rows`);
    say(formatConfusion(matrix, classes, data.labelNames));
    say(`\ntime: load ${loadSeconds.toFixed(2)}s, train ${trainSeconds.toFixed(2)}s (${Math.round(trained / Math.max(trainSeconds, 1e-9))} samples/s, ${trained} samples), evaluate ${evalSeconds.toFixed(2)}s${save ? `, checkpoints ${saveSeconds.toFixed(2)}s` : ''}`);
    say(`backend: ${backend.name} (${backend.detail})${save ? `\nsaved: ${save}` : ''}`);
    return 0;
  } catch (error) {
    err(`descent train: ${(error as Error).message}`);
    return error instanceof UsageError || (error as { code?: string }).code === 'ERR_DATA' ? 2 : 1;
  }
}
