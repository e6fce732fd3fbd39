/**
 * Learning-rate schedulers with torch.optim.lr_scheduler's formulas (including their recursive forms, so the
 * sequences match PyTorch to the last bit a float64 allows). Like PyTorch, constructing a scheduler applies the
 * step-0 rate; call `step()` once per epoch (or per batch for OneCycleLR).
 */
import { checkBool, checkInt, checkNumber, checkOneOf, checkOptions } from '../check.js';
import { optionError, stateError } from '../errors.js';
import { Optimizer } from './optimizer.js';

/** An optimizer whose momentum can be cycled (SGD's μ, Adam's β₁). */
interface WithMomentum {
  momentum: number;
}

/**
 * The base of the per-step learning-rate schedulers (`StepLR`, `CosineAnnealingLR`, `LinearLR`,
 * `OneCycleLR`): `step()` moves to the next rate; `Trainer` steps them for you when given one.
 * @example
 * const scheduler: LRScheduler = new StepLR(optimizer, { stepSize: 10, gamma: 0.1 });
 * scheduler.step();                           // once per epoch
 */
export abstract class LRScheduler {
  abstract readonly type: string;
  /** The optimizer's learning rate when the scheduler was created. */
  readonly baseLr: number;
  /** Steps taken (PyTorch's `last_epoch`); 0 after construction. */
  lastEpoch = -1;
  /** When a `Trainer` steps this scheduler: after every batch or after every epoch. */
  abstract readonly interval: 'batch' | 'epoch';

  constructor(readonly optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw optionError('LRScheduler', 'optimizer', 'an optimizer', optimizer);
    this.baseLr = optimizer.lr;
  }

  /** Advances one step and sets the optimizer's learning rate. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.lr = this.computeLr();
  }

  protected abstract computeLr(): number;

  /** The current learning rate. */
  getLastLr(): number {
    return this.optimizer.lr;
  }

  /**
   * `{ lastEpoch, lr }`, or with `{ format: 'torch' }` what `torch.optim.lr_scheduler.X.state_dict()` holds
   * (`last_epoch`, `_last_lr`, `base_lrs`, `_step_count` and the scheduler's settings under torch's names).
   * @example const sd = scheduler.stateDict({ format: 'torch' }); // { step_size: 30, gamma: 0.1, last_epoch: 3, … }
   */
  stateDict(): Record<string, number>;
  stateDict(options: { format: 'torch' }): Record<string, unknown>;
  stateDict(options: { format?: 'descent' | 'torch' } = {}): Record<string, unknown> {
    const { format = 'descent' } = checkOptions(`${this.type}.stateDict`, options, ['format']) as { format?: string };
    if (checkOneOf(`${this.type}.stateDict`, 'format', format, ['descent', 'torch']) === 'descent') return { lastEpoch: this.lastEpoch, lr: this.optimizer.lr };
    return {
      ...this.torchSettings(), base_lrs: [this.baseLr], last_epoch: this.lastEpoch, verbose: false,
      _step_count: this.lastEpoch + 1, _get_lr_called_within_step: false, _last_lr: [this.optimizer.lr],
    };
  }

  /** The scheduler's settings under torch's names (StepLR: `step_size`, `gamma`); checked when torch state loads. */
  protected torchSettings(): Record<string, number> {
    return {};
  }

  /** Takes `{ lastEpoch, lr }` or torch's form (settings must match this scheduler's, one parameter group). */
  loadStateDict(sd: Record<string, unknown>): void {
    const call = `${this.type}.loadStateDict`;
    if (sd && typeof sd === 'object' && 'last_epoch' in sd) {
      const last = sd.last_epoch, lrs = sd._last_lr, base = sd.base_lrs;
      if (!Number.isInteger(last) || (last as number) < 0) throw stateError(call, `last_epoch must be a non-negative integer, received ${String(last)}`);
      if (!Array.isArray(lrs) || lrs.length !== 1 || !Number.isFinite(lrs[0])) throw stateError(call, '_last_lr must be a list of one finite rate (descent optimizers have one parameter group)');
      if (Array.isArray(base) && (base.length !== 1 || Math.abs(base[0] - this.baseLr) > 1e-12 * Math.abs(this.baseLr))) {
        throw stateError(call, `base_lrs ${JSON.stringify(base)} differ from this scheduler's base rate ${this.baseLr}`);
      }
      for (const [key, mine] of Object.entries(this.torchSettings())) {
        if (key in sd && sd[key] !== mine) throw stateError(call, `${key} is ${String(sd[key])} in the state dict, ${mine} in this scheduler`);
      }
      this.lastEpoch = last as number;
      this.optimizer.lr = lrs[0] as number;
      return;
    }
    // OneCycleLR's final step may extrapolate to a negative rate (as PyTorch's does); every other rate is ≥ 0.
    const extrapolates = this.type === 'OneCycleLR';
    const lastEpoch = sd?.lastEpoch as number, lr = sd?.lr as number;
    if (!sd || !Number.isInteger(lastEpoch) || lastEpoch < -1 || !Number.isFinite(lr) || (lr < 0 && !extrapolates)) {
      throw stateError(call, "expected { lastEpoch: an integer ≥ −1, lr: a finite number ≥ 0 } or torch's { last_epoch, _last_lr, … }");
    }
    this.lastEpoch = lastEpoch;
    if (extrapolates) this.optimizer.setScheduledLr(lr);
    else this.optimizer.lr = lr;
  }
}

/**
 * Multiplies the rate by `gamma` every `stepSize` steps.
 * @example const s = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 */
export class StepLR extends LRScheduler {
  readonly type = 'StepLR';
  readonly interval = 'epoch';
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = checkOptions('StepLR', options, ['stepSize', 'gamma']) as { stepSize: number; gamma?: number };
    this.stepSize = checkInt('StepLR', 'stepSize', o.stepSize, 1);
    this.gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, 0);
    this.step();
  }
  protected torchSettings(): Record<string, number> {
    return { step_size: this.stepSize, gamma: this.gamma };
  }
  protected computeLr(): number {
    const lr = this.optimizer.lr;
    return this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
}

/**
 * Cosine from the base rate down to `etaMin` over `tMax` steps (and back up after, as in PyTorch).
 * @example const s = new CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly type = 'CosineAnnealingLR';
  readonly interval = 'epoch';
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const o = checkOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']) as { tMax: number; etaMin?: number };
    this.tMax = checkInt('CosineAnnealingLR', 'tMax', o.tMax, 1);
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, 0);
    this.step();
  }
  protected torchSettings(): Record<string, number> {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }
  protected computeLr(): number {
    const t = this.lastEpoch, T = this.tMax, lr = this.optimizer.lr, base = this.baseLr, min = this.etaMin;
    if (t === 0) return lr;
    if ((t - 1 - T) % (2 * T) === 0) return lr + ((base - min) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - min) + min;
  }
}

/**
 * Scales the rate linearly from `startFactor` to `endFactor` over `totalIters` steps: a warm-up.
 * @example const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 */
export class LinearLR extends LRScheduler {
  readonly type = 'LinearLR';
  readonly interval = 'epoch';
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: Optimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    const o = checkOptions('LinearLR', options, ['startFactor', 'endFactor', 'totalIters']) as { startFactor?: number; endFactor?: number; totalIters?: number };
    this.startFactor = checkNumber('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, 0, 1, { min: true });
    this.endFactor = checkNumber('LinearLR', 'endFactor', o.endFactor ?? 1, 0, 1);
    this.totalIters = checkInt('LinearLR', 'totalIters', o.totalIters ?? 5, 1);
    this.step();
  }
  protected torchSettings(): Record<string, number> {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }
  protected computeLr(): number {
    const t = this.lastEpoch, lr = this.optimizer.lr, s = this.startFactor, e = this.endFactor, n = this.totalIters;
    if (t === 0) return lr * s;
    if (t > n) return lr;
    // PyTorch's recursive form; with endFactor 0 its last factor rounds to a tiny negative number (−1.5e-19 on
    // the last step), which is clamped to the exact 0 the schedule means.
    return Math.max(0, lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }
}

/** Options of `OneCycleLR` (torch's, in camelCase). */
export interface OneCycleOptions {
  /** Peak learning rate. */
  maxLr: number;
  /** Total number of steps (batches) in the cycle. */
  totalSteps: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'`. */
  annealStrategy?: 'cos' | 'linear';
  /** Also cycle momentum inversely, between `baseMomentum` and `maxMomentum` (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  /** Initial rate is `maxLr/divFactor` (default 25). */
  divFactor?: number;
  /** Final rate is the initial rate over `finalDivFactor` (default 1e4). */
  finalDivFactor?: number;
  /** Use fast.ai's three phases (default false). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: number;
  endLr: number;
  startMomentum: number;
  endMomentum: number;
}

/**
 * The 1cycle policy (Smith): warm up to `maxLr`, then anneal far below the start; momentum cycles the other way.
 * Step it after every batch.
 * @example const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: epochs * batchesPerEpoch });
 */
export class OneCycleLR extends LRScheduler {
  readonly type = 'OneCycleLR';
  readonly interval = 'batch';
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly totalSteps: number;
  private readonly cycleMomentum: boolean;

  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    super(optimizer);
    const call = 'OneCycleLR';
    const o = checkOptions(call, options, ['maxLr', 'totalSteps', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase']) as unknown as OneCycleOptions;
    const maxLr = checkNumber(call, 'maxLr', o.maxLr, 0);
    this.totalSteps = checkInt(call, 'totalSteps', o.totalSteps, 1);
    const pct = checkNumber(call, 'pctStart', o.pctStart ?? 0.3, 0, 1);
    const strategy = checkOneOf(call, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear']);
    this.cycleMomentum = checkBool(call, 'cycleMomentum', o.cycleMomentum ?? true);
    const baseM = checkNumber(call, 'baseMomentum', o.baseMomentum ?? 0.85, 0);
    const maxM = checkNumber(call, 'maxMomentum', o.maxMomentum ?? 0.95, 0);
    const div = checkNumber(call, 'divFactor', o.divFactor ?? 25, 0, Infinity, { min: true });
    const finalDiv = checkNumber(call, 'finalDivFactor', o.finalDivFactor ?? 1e4, 0, Infinity, { min: true });
    const threePhase = checkBool(call, 'threePhase', o.threePhase ?? false);
    const initialLr = maxLr / div, minLr = initialLr / finalDiv, T = this.totalSteps;
    this.phases = threePhase
      ? [
          { endStep: pct * T - 1, startLr: initialLr, endLr: maxLr, startMomentum: maxM, endMomentum: baseM },
          { endStep: 2 * pct * T - 2, startLr: maxLr, endLr: initialLr, startMomentum: baseM, endMomentum: maxM },
          { endStep: T - 1, startLr: initialLr, endLr: minLr, startMomentum: maxM, endMomentum: maxM },
        ]
      : [
          { endStep: pct * T - 1, startLr: initialLr, endLr: maxLr, startMomentum: maxM, endMomentum: baseM },
          { endStep: T - 1, startLr: maxLr, endLr: minLr, startMomentum: baseM, endMomentum: maxM },
        ];
    this.anneal =
      strategy === 'cos'
        ? (start, end, p) => end + ((start - end) / 2) * (Math.cos(Math.PI * p) + 1)
        : (start, end, p) => (end - start) * p + start;
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer)) throw optionError(call, 'optimizer', 'an optimizer with momentum (SGD) or betas (Adam) when cycleMomentum is true', optimizer.type);
      (optimizer as unknown as WithMomentum).momentum = maxM;
    }
    optimizer.lr = initialLr;
    this.step();
  }

  step(): void {
    this.lastEpoch++;
    const t = this.lastEpoch;
    if (t > this.totalSteps) throw stateError('OneCycleLR.step', `stepped ${t} times, more than totalSteps = ${this.totalSteps}`);
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i];
      if (t <= phase.endStep || i === this.phases.length - 1) {
        const pct = (t - start) / (phase.endStep - start);
        this.optimizer.setScheduledLr(this.anneal(phase.startLr, phase.endLr, pct));
        if (this.cycleMomentum) (this.optimizer as unknown as WithMomentum).momentum = this.anneal(phase.startMomentum, phase.endMomentum, pct);
        return;
      }
      start = phase.endStep;
    }
  }

  protected computeLr(): number {
    return this.optimizer.lr;
  }
}

/** Options of `ReduceLROnPlateau` (torch's, in camelCase). */
export interface PlateauOptions {
  /** `'min'` (default): a lower metric is better; `'max'`: higher. */
  mode?: 'min' | 'max';
  /** Multiplier applied on a plateau (default 0.1). */
  factor?: number;
  /** Steps without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default) or `'abs'`. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction (default 0). */
  cooldown?: number;
  /** Lower bound for the rate (default 0). */
  minLr?: number;
  /** Reductions smaller than this are ignored (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the rate when a metric stops improving. Call `step(metric)` once per epoch (validation loss, say).
 * @example const s = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 3 }); s.step(valLoss);
 */
export class ReduceLROnPlateau {
  readonly type = 'ReduceLROnPlateau';
  readonly interval = 'epoch';
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private readonly o: Required<PlateauOptions>;

  constructor(readonly optimizer: Optimizer, options: PlateauOptions = {}) {
    const call = 'ReduceLROnPlateau';
    if (!(optimizer instanceof Optimizer)) throw optionError(call, 'optimizer', 'an optimizer', optimizer);
    const o = checkOptions(call, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']) as PlateauOptions;
    this.o = {
      mode: checkOneOf(call, 'mode', o.mode ?? 'min', ['min', 'max']),
      factor: checkNumber(call, 'factor', o.factor ?? 0.1, 0, 1, { max: true }),
      patience: checkInt(call, 'patience', o.patience ?? 10, 0),
      threshold: checkNumber(call, 'threshold', o.threshold ?? 1e-4, 0),
      thresholdMode: checkOneOf(call, 'thresholdMode', o.thresholdMode ?? 'rel', ['rel', 'abs']),
      cooldown: checkInt(call, 'cooldown', o.cooldown ?? 0, 0),
      minLr: checkNumber(call, 'minLr', o.minLr ?? 0, 0),
      eps: checkNumber(call, 'eps', o.eps ?? 1e-8, 0),
    };
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.o, best = this.best;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records this epoch's metric and reduces the rate after `patience` epochs without improvement. */
  step(metric: number): void {
    checkNumber('ReduceLROnPlateau.step', 'metric', metric);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.o.patience) {
      const old = this.optimizer.lr, next = Math.max(old * this.o.factor, this.o.minLr);
      if (old - next > this.o.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** The learning rate the last step set (PyTorch's `get_last_lr()`). */
  getLastLr(): number {
    return this.optimizer.lr;
  }

  /** The scheduler's state (step count, rates) for checkpoints. */
  stateDict(): Record<string, number> {
    return { lastEpoch: this.lastEpoch, best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lr: this.optimizer.lr };
  }

  /** Restores a state from `stateDict()`. */
  loadStateDict(sd: Record<string, number>): void {
    const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (!sd || typeof sd !== 'object' || !count(sd.lastEpoch) || typeof sd.best !== 'number' || Number.isNaN(sd.best) || !count(sd.numBadEpochs) || !count(sd.cooldownCounter) || !Number.isFinite(sd.lr) || sd.lr < 0) {
      throw stateError('ReduceLROnPlateau.loadStateDict', 'expected { lastEpoch, best, numBadEpochs, cooldownCounter (integers ≥ 0, best a number), lr (finite, ≥ 0) }');
    }
    Object.assign(this, { lastEpoch: sd.lastEpoch, best: sd.best, numBadEpochs: sd.numBadEpochs, cooldownCounter: sd.cooldownCounter });
    this.optimizer.lr = sd.lr;
  }
}

/** Any scheduler `Trainer` can step: a per-epoch/per-batch `LRScheduler` or `ReduceLROnPlateau`. */
export type Scheduler = LRScheduler | ReduceLROnPlateau;
