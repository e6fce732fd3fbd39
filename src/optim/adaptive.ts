/**
 * The adaptive optimizers, each exactly its torch.optim counterpart (single-tensor path): Adagrad, RMSprop,
 * Adam and AdamW. ε is added after the square root everywhere; weight decay is coupled L2 (added to the
 * gradient) except in AdamW, which decays the weights directly.
 */
import type { Parameter } from '../nn/parameter.js';
import { checkBool, checkNumber } from '../check.js';
import { optionError } from '../errors.js';
import { checkCommon, Optimizer } from './optimizer.js';

/** Options of `Adagrad` (torch.optim.Adagrad's, in camelCase, with its defaults). */
export interface AdagradOptions {
  /** Learning rate (default 0.01). */
  lr?: number;
  /** The rate decays as `lr/(1 + (t−1)·lrDecay)` (default 0). */
  lrDecay?: number;
  weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue?: number;
  /** Added to `√sum` (default 1e-10). */
  eps?: number;
}

/**
 * AdaGrad: `sum += g²; w -= lr_t·g/(√sum + ε)`. Every coordinate's step only shrinks: good for sparse features,
 * too timid for long non-convex runs (the lecture's point; RMSprop fixes it with a decaying average).
 * @example new Adagrad(model.parameters(), { lr: 0.1 })
 */
export class Adagrad extends Optimizer<Required<AdagradOptions>> {
  readonly type = 'Adagrad';
  constructor(params: Iterable<Parameter>, options: AdagradOptions = {}) {
    super('Adagrad', params, options, { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 }, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
    const o = this.options;
    this.validate('Adagrad', o);
    // torch fills the accumulator when the optimizer is built.
    this.state('sum', o.initialAccumulatorValue);
  }

  protected validate(call: string, o: Required<AdagradOptions>): void {
    checkCommon(call, o);
    checkNumber(call, 'lrDecay', o.lrDecay, 0);
    checkNumber(call, 'initialAccumulatorValue', o.initialAccumulatorValue, 0);
  }

  /** The decayed rate for step `t` (1-based), as torch computes it. */
  effectiveLr(t = this.stepCount + 1): number {
    return this.options.lr / (1 + (t - 1) * this.options.lrDecay);
  }

  protected update(t: number): void {
    const { weightDecay, eps } = this.options, k = this.backend.k, sums = this.state('sum');
    const clr = this.effectiveLr(t);
    this.spans.forEach((s, i) => k.adagrad_step_f32(s.n, clr, weightDecay, eps, s.w, s.g, sums[i]));
  }
}

/** Options of `RMSprop` (torch.optim.RMSprop's, in camelCase, with its defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 0.01). */
  lr?: number;
  /** Decay of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the root (default 1e-8). */
  eps?: number;
  weightDecay?: number;
  /** Momentum on the normalised step (default 0). */
  momentum?: number;
  /** Normalise by the variance estimate `E[g²] − E[g]²` instead of `E[g²]` (default false). */
  centered?: boolean;
}

/**
 * RMSprop: `v = α·v + (1−α)·g²; w -= lr·g/(√v + ε)`, optionally centered and with momentum.
 * @example new RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9, centered: true })
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>> {
  readonly type = 'RMSprop';
  constructor(params: Iterable<Parameter>, options: RMSpropOptions = {}) {
    super('RMSprop', params, options, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']);
    const o = this.options;
    this.validate('RMSprop', o);
    this.state('square_avg');
    if (o.momentum > 0) this.state('momentum_buffer');
    if (o.centered) this.state('grad_avg');
  }

  protected validate(call: string, o: Required<RMSpropOptions>): void {
    checkCommon(call, o);
    checkNumber(call, 'alpha', o.alpha, 0);
    checkNumber(call, 'momentum', o.momentum, 0);
    checkBool(call, 'centered', o.centered);
  }

  protected update(): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = this.options, k = this.backend.k;
    const sq = this.state('square_avg');
    const buf = momentum > 0 ? this.state('momentum_buffer') : null;
    const gavg = centered ? this.state('grad_avg') : null;
    this.spans.forEach((s, i) =>
      k.rmsprop_step_f32(s.n, lr, alpha, eps, weightDecay, momentum, centered ? 1 : 0, s.w, s.g, sq[i], buf ? buf[i] : this.empty, gavg ? gavg[i] : this.empty),
    );
  }
}

/** Options of `Adam` and `AdamW` (torch.optim's, in camelCase, with its defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the bias-corrected root (default 1e-8). */
  eps?: number;
  /** Adam: coupled L2 (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** Divide by the running maximum of the second moment (AMSGrad; default false). */
  amsgrad?: boolean;
}

type ResolvedAdam = Required<AdamOptions>;

/**
 * Adam: momentum on the gradient plus RMSprop's scaling, both bias-corrected:
 * `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w -= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)`.
 * @example new Adam(model.parameters(), { lr: 1e-3 })
 */
export class Adam extends Optimizer<ResolvedAdam> {
  readonly type: string = 'Adam';
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}, defaults: Partial<Required<AdamOptions>> = {}, call = 'Adam') {
    super(call, params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...defaults }, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']);
    const o = this.options;
    this.validate(call, o);
    this.state('exp_avg');
    this.state('exp_avg_sq');
    if (o.amsgrad) this.state('max_exp_avg_sq');
  }

  protected validate(call: string, o: ResolvedAdam): void {
    checkCommon(call, o);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw optionError(call, 'betas', 'a pair [beta1, beta2]', o.betas);
    checkNumber(call, 'betas[0]', o.betas[0], 0, 1, { max: true });
    checkNumber(call, 'betas[1]', o.betas[1], 0, 1, { max: true });
    o.betas = [o.betas[0], o.betas[1]];
    checkBool(call, 'amsgrad', o.amsgrad);
  }

  /** β₁ (OneCycleLR cycles it as Adam's momentum). */
  get momentum(): number {
    return this.options.betas[0];
  }

  set momentum(value: number) {
    this.options.betas = [checkNumber(`${this.type}.momentum`, 'betas[0]', value, 0, 1, { max: true }), this.options.betas[1]];
  }

  protected update(t: number): void {
    const { lr, betas, eps, weightDecay, amsgrad } = this.options, k = this.backend.k;
    const [b1, b2] = betas;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const m = this.state('exp_avg'), v = this.state('exp_avg_sq'), vmax = amsgrad ? this.state('max_exp_avg_sq') : null;
    const decoupled = this.decoupled ? 1 : 0;
    this.spans.forEach((s, i) =>
      k.adam_step_f32(s.n, lr, b1, b2, eps, weightDecay, decoupled, bc1, bc2, s.w, s.g, m[i], v[i], vmax ? vmax[i] : this.empty),
    );
  }
}

/**
 * AdamW: Adam with decoupled weight decay `w *= 1 − lr·wd` (default wd 0.01) instead of L2 in the gradient.
 * @example new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 })
 */
export class AdamW extends Adam {
  readonly type = 'AdamW';
  protected readonly decoupled = true;
  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params, options, { weightDecay: 0.01 }, 'AdamW');
  }
}
