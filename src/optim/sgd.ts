import type { Parameter } from '../nn/parameter.js';
import { checkBool, checkNumber } from '../check.js';
import { optionError } from '../errors.js';
import { checkCommon, Optimizer } from './optimizer.js';

/** Options of `SGD`, `Momentum` and `Nesterov` (torch.optim.SGD's, in camelCase). */
export interface SGDOptions {
  /** Learning rate (default 1e-3, as in torch ≥ 2.0). */
  lr?: number;
  /** Heavy-ball momentum factor μ (default 0). */
  momentum?: number;
  /** Dampening of the gradient in the momentum buffer (default 0). */
  dampening?: number;
  /** Nesterov momentum: step along `g + μ·buf` (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** Coupled L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

type Resolved = Required<SGDOptions>;

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, exactly torch.optim.SGD:
 * `g += wd·w; buf = μ·buf + (1−dampening)·g` (the first step copies g); `w -= lr·(nesterov ? g + μ·buf : buf)`.
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer<Resolved> {
  readonly type: string = 'SGD';
  /** Momentum buffers start fresh (first update copies the gradient) when momentum first becomes non-zero. */
  private freshBuffers = true;

  constructor(params: Iterable<Parameter>, options: SGDOptions = {}) {
    super('SGD', params, options, { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    const o = this.options;
    this.validate('SGD', o);
    if (o.momentum !== 0) this.state('momentum_buffer');
  }

  protected validate(call: string, o: Resolved): void {
    checkCommon(call, o);
    checkNumber(call, 'momentum', o.momentum, 0);
    checkNumber(call, 'dampening', o.dampening);
    checkBool(call, 'nesterov', o.nesterov);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw optionError(call, 'nesterov', 'used with momentum > 0 and dampening = 0 (as torch requires)', o.nesterov);
    }
  }

  /** Momentum factor (OneCycleLR cycles it). */
  get momentum(): number {
    return this.options.momentum;
  }

  set momentum(value: number) {
    this.options.momentum = checkNumber('SGD.momentum', 'momentum', value, 0);
  }

  protected update(): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.options, k = this.backend.k;
    if (momentum === 0) {
      for (const s of this.spans) k.sgd_step_f32(s.n, lr, weightDecay, s.w, s.g);
      return;
    }
    const bufs = this.state('momentum_buffer');
    const damp = this.freshBuffers ? 0 : dampening;
    this.spans.forEach((s, i) => k.momentum_step_f32(s.n, lr, momentum, damp, weightDecay, nesterov ? 1 : 0, s.w, s.g, bufs[i]));
    this.freshBuffers = false;
  }

  protected afterLoad(loaded: ReadonlySet<string>): void {
    // torch's SGD state has no step: the buffers are live exactly when the state dict carried them.
    this.freshBuffers = !loaded.has('momentum_buffer');
  }
}

/** Heavy-ball momentum: `SGD` with `momentum = 0.9` unless given. @example new Momentum(params, { lr: 0.01 }) */
export class Momentum extends SGD {
  readonly type = 'Momentum';
  constructor(params: Iterable<Parameter>, options: SGDOptions = {}) {
    super(params, { momentum: 0.9, ...options });
  }
}

/** Nesterov momentum: `SGD` with `momentum = 0.9, nesterov: true` unless given. @example new Nesterov(params, { lr: 0.01 }) */
export class Nesterov extends SGD {
  readonly type = 'Nesterov';
  constructor(params: Iterable<Parameter>, options: SGDOptions = {}) {
    super(params, { momentum: 0.9, nesterov: true, ...options });
  }
}
