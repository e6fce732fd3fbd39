/**
 * `descent train`: trains an MLP on the bundled digits, Fashion-MNIST, MNIST or a CSV file, with checkpoints
 * that resume bit-identically (weights, optimizer, scheduler, generator, epoch, and the batch within the epoch
 * when Ctrl-C stopped it mid-epoch). Per-epoch progress goes to stderr; `--json` prints one JSON line per epoch.
 */
import { activationLayer } from '../nn/activations.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams, type ActivationName } from '../nn/activation-table.js';
import { Linear } from '../nn/linear.js';
import { Sequential } from '../nn/sequential.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import type { Layer } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD, Momentum, Nesterov } from '../optim/sgd.js';
import { Adagrad, Adam, AdamW, RMSprop } from '../optim/adaptive.js';
import { CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau, StepLR, type Scheduler } from '../optim/schedulers.js';
import { loadBackend } from '../backends/index.js';
import type { Backend, BackendName } from '../backends/types.js';
import { Trainer, epochSummary, type EpochLogs } from '../trainer.js';
import { Rng } from '../rng.js';
import { loadDigits, type LabelledData } from '../data/digits.js';
import { loadCsv } from '../data/csv.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist, loadMnist } from '../data/mnist.js';
import { confusionMatrix, fitStandardizer, scaleToUnit, standardize, takeRows, trainValidationSplit, type Standardizer } from '../data/transforms.js';
import { createCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint, type Checkpoint } from '../checkpoint.js';
import { choiceFlag, formatConfusion, numberFlag, parseFlags, UsageError, type FlagSpec } from './args.js';

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const;
const SCHEDULERS = ['none', 'step', 'cosine', 'onecycle', 'plateau', 'warmup'] as const;
const NORMALIZE = ['standardize', 'per-feature', 'none'] as const;
const BACKENDS = ['auto', 'native', 'wasm', 'js'] as const;

/** Everything that determines a run's numbers; stored in checkpoints and compared on `--resume`. */
export interface TrainConfig {
  dataset: string;
  labelColumn?: string;
  limit?: number;
  testLimit?: number;
  testFraction: number;
  validation: number;
  normalize: (typeof NORMALIZE)[number];
  layers: number[];
  activation: ActivationName;
  slope: number;
  /** Parameters other than LeakyReLU's slope, from `--activation NAME:k=v,…` (e.g. `{ alpha: 0.5 }`). */
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
}

/** Flags that may differ when resuming; every other flag must match the checkpoint's configuration. */
const RESUMABLE = new Set(['epochs']);

const SPEC: Record<string, FlagSpec> = {
  dataset: { type: 'string', short: 'd' }, data: { type: 'string' }, 'label-column': { type: 'string' },
  limit: { type: 'string' }, 'test-limit': { type: 'string' }, 'test-fraction': { type: 'string' }, validation: { type: 'string' },
  normalize: { type: 'string' }, layers: { type: 'string', short: 'l' }, activation: { type: 'string' }, slope: { type: 'string' },
  init: { type: 'string' }, optimizer: { type: 'string', short: 'o' }, lr: { type: 'string' }, momentum: { type: 'string' },
  'weight-decay': { type: 'string' }, beta1: { type: 'string' }, beta2: { type: 'string' }, eps: { type: 'string' }, alpha: { type: 'string' },
  scheduler: { type: 'string' }, 'step-size': { type: 'string' }, gamma: { type: 'string' }, 'max-lr': { type: 'string' },
  'eta-min': { type: 'string' }, patience: { type: 'string' }, factor: { type: 'string' }, 'warmup-epochs': { type: 'string' },
  epochs: { type: 'string', short: 'e' }, 'batch-size': { type: 'string', short: 'b' }, backend: { type: 'string' },
  threads: { type: 'string' }, seed: { type: 'string' }, save: { type: 'string' }, resume: { type: 'string' },
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
};

export const TRAIN_HELP = `usage: descent train [options]

Trains a multilayer perceptron and reports test accuracy, a confusion matrix, time and samples/s.

data
  --dataset NAME        digits (bundled 8x8, default) | fashion-mnist | mnist | csv:PATH
  --data DIR            directory with the four IDX files (fashion-mnist: default ${'/usr/share/datasets/fashion-mnist'})
  --label-column C      CSV label column: first | last | index | header name (default: label/class/target/y, else last)
  --test-fraction F     share of a digits/CSV set held out for testing (default 0.2; IDX sets have their own test set)
  --validation F        share of the training rows held out for validation each epoch (default 0)
  --limit N             use only the first N training rows; --test-limit N likewise for the test set
  --normalize MODE      standardize (one mean/std, default for images) | per-feature (default for CSV) | none

model
  --layers A-B-…-Z      widths, input to output (default: features-256-128-classes)
  --activation NAME     ${ACTIVATION_NAMES.join(' | ')} (default relu); parameters as NAME:k=v,…
                        (${ACTIVATION_NAMES.filter((n) => ACTIVATION_TABLE[n].params.length).map((n) => `${n}:${ACTIVATION_TABLE[n].params.map((p) => `${p.name}=${p.default}`).join(',')}`).join('  ')}); --slope X also sets leaky_relu's
  --init NAME           auto (Kaiming before ReLU, Xavier otherwise; default) | ${INIT_NAMES.join(' | ')}

optimization
  --optimizer NAME      adam (default) | adamw | sgd | momentum | nesterov | rmsprop | adagrad
  --lr X                learning rate (default 1e-3 for adam/adamw/rmsprop, 0.01 otherwise)
  --momentum X          sgd/momentum/nesterov/rmsprop momentum     --weight-decay X   L2 (decoupled for adamw)
  --beta1 X --beta2 X   Adam betas (default 0.9, 0.999)            --eps X --alpha X  Adam/RMSprop eps, RMSprop alpha
  --scheduler NAME      none (default) | step (--step-size, --gamma) | cosine (--eta-min) | onecycle (--max-lr)
                        | plateau (--patience, --factor) | warmup (--warmup-epochs, linear from lr/10)
  --epochs N            last epoch number (default 10)        --batch-size N   mini-batch rows (default 64)
  --seed N              seeds initialisation, shuffling and splits (default 0)

runtime
  --backend NAME        auto (default: native, else wasm, else js) | native | wasm | js
  --threads N           worker threads for backends that have them (native)
  --save PATH           write a checkpoint after every epoch (atomically), and on Ctrl-C
  --resume PATH         continue a saved run bit-identically (flags must match it; --epochs may grow)
  --json                print one JSON object per epoch and one for the result on stdout
  -h, --help            this help

examples
  descent train --dataset fashion-mnist --layers 784-256-128-10 --epochs 12 --batch-size 128 --save fashion.ckpt
  descent train --resume fashion.ckpt --epochs 15
  descent train --dataset csv:iris.csv --label-column species --layers 4-16-3 --epochs 100`;

function configFromFlags(f: Record<string, string | boolean | undefined>): Partial<TrainConfig> {
  const s = (k: string) => f[k] as string | undefined;
  const c: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  const dataset = s('dataset');
  if (dataset !== undefined && !['digits', 'fashion-mnist', 'mnist'].includes(dataset) && !dataset.startsWith('csv:')) {
    throw new UsageError(`--dataset expects digits, fashion-mnist, mnist or csv:PATH, received '${dataset}'`);
  }
  if (dataset?.startsWith('csv:') && dataset.length === 4) throw new UsageError('--dataset csv:PATH needs a path after csv:');
  set('dataset', dataset);
  set('labelColumn', s('label-column'));
  set('limit', numberFlag('limit', s('limit'), { integer: true, positive: true }));
  set('testLimit', numberFlag('test-limit', s('test-limit'), { integer: true, positive: true }));
  const tf = numberFlag('test-fraction', s('test-fraction'), { min: 0 });
  if (tf !== undefined && !(tf > 0 && tf < 1)) throw new UsageError(`--test-fraction expects a number in (0, 1), received '${s('test-fraction')}'`);
  set('testFraction', tf);
  const val = numberFlag('validation', s('validation'), { min: 0 });
  if (val !== undefined && !(val < 1)) throw new UsageError(`--validation expects a number in [0, 1), received '${s('validation')}'`);
  set('validation', val);
  set('normalize', choiceFlag('normalize', s('normalize'), NORMALIZE));
  const layers = s('layers');
  if (layers !== undefined) {
    const widths = layers.split(/[-,x]/).map((w) => Number(w));
    if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--layers expects widths like 784-256-128-10, received '${layers}'`);
    c.layers = widths;
  }
  const activation = s('activation');
  if (activation !== undefined) {
    const [name, spec] = activation.split(':', 2);
    set('activation', choiceFlag('activation', name, ACTIVATION_NAMES));
    if (spec !== undefined) c.activationParams = parseActivationParams(name as ActivationName, spec);
  }
  set('slope', numberFlag('slope', s('slope'), { min: 0 }));
  set('init', choiceFlag('init', s('init'), ['auto', ...INIT_NAMES] as const));
  set('optimizer', choiceFlag('optimizer', s('optimizer'), OPTIMIZERS));
  set('lr', numberFlag('lr', s('lr'), { positive: true }));
  set('momentum', numberFlag('momentum', s('momentum'), { min: 0 }));
  set('weightDecay', numberFlag('weight-decay', s('weight-decay'), { min: 0 }));
  set('beta1', numberFlag('beta1', s('beta1'), { min: 0 }));
  set('beta2', numberFlag('beta2', s('beta2'), { min: 0 }));
  set('eps', numberFlag('eps', s('eps'), { min: 0 }));
  set('alpha', numberFlag('alpha', s('alpha'), { min: 0 }));
  set('scheduler', choiceFlag('scheduler', s('scheduler'), SCHEDULERS));
  set('stepSize', numberFlag('step-size', s('step-size'), { integer: true, positive: true }));
  set('gamma', numberFlag('gamma', s('gamma'), { min: 0 }));
  set('maxLr', numberFlag('max-lr', s('max-lr'), { positive: true }));
  set('etaMin', numberFlag('eta-min', s('eta-min'), { min: 0 }));
  set('patience', numberFlag('patience', s('patience'), { integer: true, min: 0 }));
  set('factor', numberFlag('factor', s('factor'), { positive: true }));
  set('warmupEpochs', numberFlag('warmup-epochs', s('warmup-epochs'), { integer: true, positive: true }));
  set('epochs', numberFlag('epochs', s('epochs'), { integer: true, positive: true }));
  set('batchSize', numberFlag('batch-size', s('batch-size'), { integer: true, positive: true }));
  set('seed', numberFlag('seed', s('seed'), { integer: true, min: 0 }));
  return c;
}

/** `alpha=0.5,beta=2`: names from the activation's table record, values checked against its ranges. */
function parseActivationParams(name: ActivationName, spec: string): Record<string, number> {
  const known = ACTIVATION_TABLE[name].params.map((p) => p.name);
  const out: Record<string, number> = {};
  for (const item of spec.split(',').filter(Boolean)) {
    const [key, value] = item.split('=', 2);
    if (!known.includes(key)) throw new UsageError(`--activation ${name}: unknown parameter '${key}' (${known.length ? `it takes ${known.join(', ')}` : 'it takes none'})`);
    const v = numberFlag(`activation ${name}:${key}`, value ?? '');
    if (v !== undefined) out[key] = v;
  }
  try {
    activationParams('--activation', name, out);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return out;
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
    if (c[key as keyof TrainConfig] !== undefined && !ss.includes(c.scheduler)) {
      throw new UsageError(`--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} does not apply to --scheduler ${c.scheduler}`);
    }
  }
  if (c.scheduler === 'step' && c.stepSize === undefined) throw new UsageError('--scheduler step needs --step-size N');
  if (c.slope !== 0.01 && c.activation !== 'leaky_relu') throw new UsageError('--slope applies only to --activation leaky_relu');
}

function defaults(c: Partial<TrainConfig>): TrainConfig {
  const optimizer = c.optimizer ?? 'adam';
  const csv = (c.dataset ?? 'digits').startsWith('csv:');
  return {
    dataset: 'digits', testFraction: 0.2, validation: 0, normalize: csv ? 'per-feature' : 'standardize', layers: [],
    activation: 'relu', slope: 0.01, init: 'auto', scheduler: 'none', epochs: 10, batchSize: 64, seed: 0,
    ...c,
    optimizer,
    lr: c.lr ?? (['adam', 'adamw', 'rmsprop'].includes(optimizer) ? 1e-3 : 0.01),
  };
}

// ---- data ----

export interface Prepared {
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

export function loadData(c: TrainConfig, dataDir?: string): Prepared {
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
      const label = c.labelColumn === undefined ? undefined : /^\d+$/.test(c.labelColumn) ? Number(c.labelColumn) : c.labelColumn;
      const csv = loadCsv(file, { label });
      labelNames = csv.labelNames;
      all = csv;
      source = file;
    }
    const split = trainValidationSplit(all, c.testFraction, TEST_SPLIT_SEED);
    train = split.train;
    test = split.validation;
  }
  if (c.limit !== undefined) train = takeRows(train, c.limit);
  if (c.testLimit !== undefined) test = takeRows(test, c.testLimit);
  let validation: LabelledData | null = null;
  if (c.validation > 0) {
    const split = trainValidationSplit(train, c.validation, c.seed);
    train = split.train;
    validation = split.validation;
  }
  let standardizer: Standardizer | null = null;
  if (c.normalize !== 'none') {
    standardizer = fitStandardizer(train.x, train.features, { perFeature: c.normalize === 'per-feature' });
    for (const d of [train, validation, test]) if (d) standardize(d.x, standardizer);
  }
  return { train, validation, test, labelNames, inputScale, standardizer, source };
}

// ---- model and optimizer ----

export function buildModel(c: TrainConfig): Sequential {
  const rng = new Rng(c.seed);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < c.layers.length; i++) {
    layers.push(new Linear(c.layers[i], c.layers[i + 1], { init: c.init, rng }));
    if (i + 2 < c.layers.length) {
      const params = c.activation === 'leaky_relu' ? { slope: c.slope, ...c.activationParams } : { ...c.activationParams };
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

/** The backend, with `--threads` passed on to backends that take a thread count. */
async function backendFor(name: string, threads: number | undefined): Promise<{ backend: Backend; note: string }> {
  // The native backend reads DESCENT_THREADS when it loads (src/backends/native.ts); set it first.
  if (threads !== undefined) process.env.DESCENT_THREADS = String(threads);
  const backend = await loadBackend(name as BackendName | 'auto');
  let note = '';
  if (threads !== undefined) {
    const b = backend as Backend & { setThreads?: (n: number) => void };
    if (typeof b.setThreads === 'function') b.setThreads(threads);
    else if (backend.name !== 'native') note = `--threads ${threads} has no effect on the ${backend.name} backend (single-threaded)`;
  }
  return { backend, note };
}

// ---- the command ----

interface Progress {
  /** Completed epochs. */
  epoch: number;
  /** Batches done in epoch `epoch + 1` (non-zero only after Ctrl-C). */
  batch: number;
  /** Sum of batch-mean loss × rows over those batches, and the rows (to finish the epoch's mean exactly). */
  lossSum: number;
  seen: number;
  /** Generator state before epoch `epoch + 1` shuffled. */
  rngState: ReturnType<Rng['getState']>;
  /** Set at an epoch boundary whose epoch-interval scheduler step has not happened yet (fit steps it after its
   * onEpochEnd callback, where the checkpoint is written): the metric to step it with on resume. */
  pendingStep: { metric: number } | null;
  history: EpochLogs[];
}

export async function run(args: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let flags: Record<string, string | boolean | undefined>;
  let config: TrainConfig;
  let resumed: Checkpoint | null = null;
  let threads: number | undefined, backendName: string;
  try {
    flags = parseFlags('train', args, SPEC);
    if (flags.help) {
      out(TRAIN_HELP);
      return 0;
    }
    const explicit = configFromFlags(flags);
    threads = numberFlag('threads', flags.threads as string | undefined, { integer: true, positive: true });
    backendName = choiceFlag('backend', flags.backend as string | undefined, BACKENDS) ?? 'auto';
    if (flags.resume !== undefined) {
      resumed = loadCheckpoint(flags.resume as string);
      const saved = resumed.config as unknown as TrainConfig | undefined;
      if (!saved || !Array.isArray(saved.layers)) throw new UsageError(`${flags.resume} was not written by 'descent train' (no training configuration)`);
      for (const [key, value] of Object.entries(explicit)) {
        const before = saved[key as keyof TrainConfig];
        if (RESUMABLE.has(key) || JSON.stringify(before) === JSON.stringify(value)) continue;
        throw new UsageError(`--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} ${JSON.stringify(value)} differs from the checkpoint's ${JSON.stringify(before) ?? 'unset'}; a resumed run keeps its configuration (only --epochs may change)`);
      }
      config = { ...saved, ...explicit };
      if (config.epochs !== saved.epochs && (config.scheduler === 'cosine' || config.scheduler === 'onecycle')) {
        throw new UsageError(`the ${config.scheduler} schedule was planned for ${saved.epochs} epochs; --epochs cannot change when resuming it`);
      }
    } else config = defaults(explicit);
  } catch (error) {
    err(`descent train: ${(error as Error).message}`);
    return 2;
  }
  const json = flags.json === true;
  const say = json ? err : out;

  try {
    const { backend, note } = await backendFor(backendName, threads);
    if (note) err(`descent train: ${note}`);
    const loadStart = performance.now();
    const data = loadData(config, flags.data as string | undefined);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const { train, validation, test } = data;
    if (config.layers.length === 0) config.layers = [train.features, 256, 128, train.classes];
    checkApplicable(config);
    const widths = config.layers;
    if (widths[0] !== train.features) throw new UsageError(`--layers starts with ${widths[0]}, but the data has ${train.features} features (try --layers ${[train.features, ...widths.slice(1)].join('-')})`);
    if (widths[widths.length - 1] < train.classes) throw new UsageError(`--layers ends with ${widths[widths.length - 1]} outputs, but the data has ${train.classes} classes`);

    const model = buildModel(config);
    const optimizer = buildOptimizer(config, model);
    const batches = Math.ceil(train.count / config.batchSize);
    const scheduler = buildScheduler(config, optimizer, batches);
    const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler });
    const rng = new Rng(config.seed + 1);
    const progress: Progress = { epoch: 0, batch: 0, lossSum: 0, seen: 0, rngState: rng.getState(), pendingStep: null, history: [] };
    if (resumed) {
      restoreCheckpoint(resumed, { model, optimizer, scheduler, rng });
      const extra = resumed.extra as { progress?: Progress } | undefined;
      if (!extra?.progress) throw new UsageError(`${flags.resume} has no training progress record`);
      Object.assign(progress, extra.progress, { epoch: resumed.epoch });
      rng.setState(progress.rngState);
      if (progress.pendingStep) {
        stepEpochScheduler(scheduler, progress.pendingStep.metric);
        progress.pendingStep = null;
      }
    }

    say(`descent train: ${config.dataset} (${data.source}): ${train.count} training${validation ? `, ${validation.count} validation` : ''} and ${test.count} test rows of ${train.features} features, ${train.classes} classes; loaded in ${loadSeconds.toFixed(2)}s`);
    say(`model ${widths.join('-')} (${config.activation}, init ${config.init}), ${model.parameterCount()} parameters; ${optimizer.type} lr ${config.lr}${config.scheduler === 'none' ? '' : `, ${config.scheduler} schedule`}; batch ${config.batchSize}; backend ${backend.name} (${backend.detail})`);
    if (resumed) say(`resuming ${flags.resume} after epoch ${progress.epoch}${progress.batch ? `, batch ${progress.batch}` : ''}`);

    const save = flags.save as string | undefined;
    const checkpoint = () => {
      if (!save) return;
      saveCheckpoint(save, createCheckpoint({
        model, optimizer, scheduler, rng, epoch: progress.epoch, config: config as unknown as Record<string, unknown>,
        extra: { progress, preprocess: { inputScale: data.inputScale, standardizer: data.standardizer }, labelNames: data.labelNames ?? null, features: train.features, classes: train.classes },
      }));
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
    const epochEnd = async (logs: EpochLogs) => {
      progress.epoch = logs.epoch;
      progress.batch = 0;
      progress.lossSum = 0;
      progress.seen = 0;
      progress.rngState = rng.getState();
      progress.pendingStep = scheduler && scheduler.interval === 'epoch' ? { metric: logs.valLoss ?? logs.loss } : null;
      progress.history.push(logs);
      if (json) out(JSON.stringify({ type: 'epoch', ...logs }));
      checkpoint();
    };
    const valData = validation ? { x: validation.x, y: validation.y } : undefined;

    try {
      if (progress.batch > 0 || (resumed && progress.seen > 0)) {
        await finishPartialEpoch(trainer, train, validation, config, rng, progress, controller.signal, async (logs) => {
          err(epochSummary(logs, config.epochs));
          await epochEnd(logs);
        }, (n) => (trained += n));
      }
      if (!controller.signal.aborted && progress.epoch < config.epochs) {
        const history = await trainer.fit(
          { x: train.x, y: train.y },
          {
            epochs: config.epochs, batchSize: config.batchSize, rng, initialEpoch: progress.epoch, signal: controller.signal,
            validationData: valData, progress: true,
            callbacks: {
              onBatchEnd: (batch, logs) => {
                progress.pendingStep = null; // fit stepped the scheduler before this epoch began
                progress.batch = batch + 1;
                progress.lossSum += logs.loss * logs.size;
                progress.seen += logs.size;
                trained += logs.size;
              },
              onEpochEnd: (_epoch, logs) => epochEnd(logs),
            },
          },
        );
        if (!history.aborted) progress.pendingStep = null; // fit stepped the scheduler after the last epoch
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    const trainSeconds = (performance.now() - trainStart) / 1000;
    if (controller.signal.aborted) {
      // Mid-epoch: progress holds the completed epochs, the batches done since, and the generator state before
      // this epoch's shuffle, so --resume replays the same order from the next batch.
      if (save) {
        checkpoint();
        err(`saved ${save} (epoch ${progress.epoch}, batch ${progress.batch}); continue with: descent train --resume ${save}`);
      } else err('not saved (no --save PATH given)');
      return 130;
    }
    checkpoint();

    const evalStart = performance.now();
    const outputs = trainer.predict(test.x);
    const { loss, accuracy } = trainer.evaluate(test.x, test.y);
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const classes = model.outFeatures;
    const matrix = confusionMatrix(outputs, test.y, classes);
    const result = {
      type: 'result', testAccuracy: accuracy!, testLoss: loss, testRows: test.count, epochs: progress.epoch,
      trainSeconds, loadSeconds, evalSeconds, samplesPerSecond: trained / trainSeconds, trainedSamples: trained,
      backend: backend.name, backendDetail: backend.detail,
    };
    if (json) out(JSON.stringify({ ...result, confusion: Array.from(matrix) }));
    say(`\ntest accuracy ${(100 * accuracy!).toFixed(2)}%  loss ${loss.toFixed(4)}  on ${test.count} rows`);
    say(formatConfusion(matrix, classes, data.labelNames));
    say(`\ntime: load ${loadSeconds.toFixed(2)}s, train ${trainSeconds.toFixed(2)}s (${Math.round(trained / Math.max(trainSeconds, 1e-9))} samples/s, ${trained} samples), evaluate ${evalSeconds.toFixed(2)}s`);
    say(`backend: ${backend.name} (${backend.detail})${save ? `\nsaved: ${save}` : ''}`);
    return 0;
  } catch (error) {
    err(`descent train: ${(error as Error).message}`);
    return error instanceof UsageError || (error as { code?: string }).code === 'ERR_DATA' ? 2 : 1;
  }
}

/**
 * Completes an epoch that Ctrl-C interrupted: replays that epoch's shuffle from the saved generator state and
 * runs the remaining batches with exactly the operations `Trainer.fit` uses, then does fit's end-of-epoch work
 * (validation, scheduler step). The training accuracy of such an epoch is left out (only its loss is known).
 */
async function finishPartialEpoch(
  trainer: Trainer, train: LabelledData, validation: LabelledData | null, c: TrainConfig, rng: Rng, progress: Progress,
  signal: AbortSignal, onEpochEnd: (logs: EpochLogs) => Promise<void>, count: (n: number) => void,
): Promise<void> {
  const rows = train.count, f = train.features, epoch = progress.epoch + 1;
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  rng.setState(progress.rngState);
  rng.shuffle(order);
  const xb = new Float32Array(c.batchSize * f), yb = new Int32Array(c.batchSize);
  const started = performance.now();
  let doneRows = 0, lastYield = Date.now();
  for (let start = progress.batch * c.batchSize; start < rows; start += c.batchSize) {
    const size = Math.min(c.batchSize, rows - start);
    for (let r = 0; r < size; r++) {
      const row = order[start + r];
      xb.set(train.x.subarray(row * f, (row + 1) * f), r * f);
      yb[r] = train.y[row];
    }
    const loss = trainer.step(xb.subarray(0, size * f), yb.subarray(0, size));
    progress.batch++;
    progress.lossSum += loss * size;
    progress.seen += size;
    doneRows += size;
    count(size);
    if (signal.aborted) return;
    if (Date.now() - lastYield > 16) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const logs: EpochLogs = { epoch, loss: progress.lossSum / progress.seen, lr: trainer.optimizer.lr, samplesPerSecond: doneRows / seconds, seconds };
  if (validation) {
    const v = trainer.evaluate(validation.x, validation.y);
    logs.valLoss = v.loss;
    logs.valAccuracy = v.accuracy;
  }
  await onEpochEnd(logs);
  stepEpochScheduler(trainer.scheduler, logs.valLoss ?? logs.loss);
  progress.pendingStep = null;
}

/** Fit's end-of-epoch scheduler step (ReduceLROnPlateau gets the monitored loss). */
function stepEpochScheduler(s: Scheduler | undefined, metric: number): void {
  if (s instanceof ReduceLROnPlateau) s.step(metric);
  else if (s && s.interval === 'epoch') s.step();
}
