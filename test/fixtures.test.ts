/**
 * Replays the PyTorch fixtures of test/fixtures/*.json (written by test/fixtures/generate.py with torch 1.13)
 * through descent's public API on every available backend: per-activation and per-optimizer training runs
 * (per-step losses, final state dicts, optimizer state under torch's key names), first-batch logits and
 * gradients, MSE/BCE runs and loss probes with huge logits, scheduler sequences and initialiser statistics.
 *
 * Tolerance, per compared tensor: |got − ref| ≤ 1e-5·|ref| + 1e-6·max|ref| (CONTRIBUTING.md §4's elementwise bound,
 * with the absolute floor scaled to the tensor so that small optimizer state such as Adam's exp_avg_sq ~1e-5 is
 * still checked to ~1e-5 relative). The generator reruns every training fixture in float64 and records how far
 * that moves torch's own float32 result (`float64_max_abs_diff` ≤ 3e-7 for weights; `float64_state_max_abs_diff`
 * ≤ 8e-8 for optimizer state, except centered RMSprop's momentum buffer, 5.6e-6 on values up to ~20 because
 * √(E[g²] − E[g]²) cancels), so any float32 summation order fits inside the bound without loosening it.
 * Host-side float64 values (scheduler rates, init formula stds, gains) are held to 1e-12.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  ACTIVATION_TABLE,
  activationLayer,
  activationParams,
  AdamW,
  bceWithLogits,
  CosineAnnealingLR,
  crossEntropy,
  init,
  Linear,
  LinearLR,
  mse,
  type Initializer,
  type Nonlinearity,
  type Optimizer,
  type Parameter,
  type StateDict,
  OneCycleLR,
  ReduceLROnPlateau,
  RMSprop,
  Rng,
  Sequential,
  setBackend,
  SGD,
  StepLR,
  Trainer,
  type ActivationName,
} from '../src/index.js';
import { BACKENDS, expectClose, tensorTol } from './helpers.js';

// ------------------------------------------------------------------------------------------------ fixture types
interface TensorJson { shape: number[]; data: number[] }
type StateJson = Record<string, TensorJson>;
interface Batch { x: number[]; y: number[] }
/** An activation-table name and named parameters, as `activationLayer` takes them. */
interface ActivationSpec { name: ActivationName; params: Record<string, number> }
interface ActivationProbe { activation: ActivationSpec; x: number[]; y: number[]; dx: number[]; y64: number[]; dx64: number[] }
interface Run { losses: number[]; final: StateJson; float64_max_abs_diff: number }
interface ActivationRun extends Run {
  activation: ActivationSpec; initial: StateJson; batches: Batch[];
  first_logits: number[]; first_loss: number; first_grads: StateJson;
}
interface OptimizerRun extends Run {
  descent: { class: string; options: Record<string, unknown> };
  state: Record<string, Record<string, number | number[] | null>>;
  float64_state_max_abs_diff: number;
}
interface LossRun extends Run { loss: 'mse' | 'bceWithLogits'; initial: StateJson; batches: Batch[] }
interface Probe { pred: number[]; target: number[]; batch: number; classes: number; loss: number; grad: number[] }
interface ScheduleRun {
  class: string; options: Record<string, unknown>; sgdMomentum: number;
  lr: number[]; momentum?: number[]; metrics?: number[];
}
interface InitCase {
  descent: string; options: Record<string, unknown> | null; formula_std: number; sample_std: number;
  uniform: boolean; bound?: number; max_abs: number;
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;
}

const activations = fixture<{
  optimizer: { options: { lr: number; momentum: number } }; runs: Record<string, ActivationRun>; probes: Record<string, ActivationProbe>;
}>('activations');
const optimizers = fixture<{ activation: ActivationSpec; initial: StateJson; batches: Batch[]; runs: Record<string, OptimizerRun> }>('optimizers');
const losses = fixture<{
  optimizer: { options: { lr: number; momentum: number } }; activation: ActivationSpec;
  runs: Record<string, LossRun>; probes: Record<'crossEntropy' | 'mse' | 'bceWithLogits', Probe>;
}>('losses');
const schedulers = fixture<{ steps: number; optimizer: { lr: number }; runs: Record<string, ScheduleRun> }>('schedulers');
const inits = fixture<{
  shape: [number, number]; fanIn: number; fanOut: number; cases: Record<string, InitCase>;
  calculate_gain: { nonlinearity: string; param: number | null; gain: number }[];
}>('init');

// ------------------------------------------------------------------------------------------------------ helpers
const tol = tensorTol;
const HOST = (_i: number, r: number) => 1e-12 + 1e-12 * Math.abs(r);

function toStateDict(sd: StateJson): StateDict {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
}

function activation(spec: ActivationSpec) {
  return activationLayer(spec.name, spec.params);
}

/**
 * Pointwise probes: PyTorch's float32 values, per element, within 1e-5 relative plus 3e-7·(1 + |x|) absolute
 * (PyTorch 1.13's float32 GELU evaluates erf by Abramowitz–Stegun 7.1.26, absolute error 1.5e-7, and ELU as
 * exp(x) − 1; both errors scale with |x| through the outer product). The float64 forms of the table (gradient
 * checks, the js reference) meet PyTorch's float64 values within 1e-12 relative plus 1e-13.
 */
const probeTol = (x: readonly number[]) => (i: number, r: number) => 1e-5 * Math.abs(r) + 3e-7 * (1 + Math.abs(x[i]));
const PROBE64 = (_i: number, r: number) => 1e-12 * Math.abs(r) + 1e-13;

/** nn.Sequential(Linear(6,8), act, Linear(8,5), act, Linear(5,3)) with the fixture's initial weights. */
function mlp(spec: ActivationSpec, initial: StateJson) {
  const outputs = initial['4.weight'].shape[0];
  const model = new Sequential([new Linear(6, 8), activation(spec), new Linear(8, 5), activation(spec), new Linear(5, outputs)]);
  model.loadStateDict(toStateDict(initial));
  return model;
}

const OPTIMIZERS = { SGD, Adagrad, RMSprop, Adam, AdamW } as const;

/** An optimizer built from the fixture's class name and descent option names. */
function optimizer(cls: string, params: Parameter[], options: Record<string, unknown>): Optimizer {
  const Ctor = OPTIMIZERS[cls as keyof typeof OPTIMIZERS] as new (p: Parameter[], o: Record<string, unknown>) => Optimizer;
  if (!Ctor) throw new Error(`fixture names an unknown optimizer ${cls}`);
  return new Ctor(params, options);
}

function labels(b: Batch) {
  return Int32Array.from(b.y);
}

function expectState(got: StateDict, ref: StateJson, context: string) {
  expect(Object.keys(got).sort()).toEqual(Object.keys(ref).sort());
  for (const [name, entry] of Object.entries(ref)) {
    expect(got[name].shape, `${context} ${name} shape`).toEqual(entry.shape);
    expectClose(got[name].data, entry.data, tol(entry.data), `${context} ${name}`);
  }
}

function expectLosses(got: number[], ref: number[], context: string) {
  expect(got.length).toBe(ref.length);
  expectClose(got, ref, tol(ref), `${context} losses`);
}

// ----------------------------------------------------------------------------------------- per-backend replays
describe.each(BACKENDS.map((b) => [b.name, b] as const))('PyTorch fixtures on %s', (_name, backend) => {
  describe('activations (6-8-5-3 MLP, SGD lr 0.1 momentum 0.9, cross-entropy)', () => {
    it.each(Object.keys(activations.runs))('%s', (name) => {
      const run = activations.runs[name];
      setBackend(backend);
      const model = mlp(run.activation, run.initial);
      const first = run.batches[0], batch = first.y.length;

      expectClose(model.forward(Float32Array.from(first.x), batch), run.first_logits, tol(run.first_logits), `${name} first-batch logits`);

      const opt = optimizer('SGD', model.parameters(), activations.optimizer.options);
      const trainer = new Trainer(model, { optimizer: opt, loss: 'crossEntropy' });
      const loss0 = trainer.lossAndGrad(Float32Array.from(first.x), labels(first));
      expectClose([loss0], [run.first_loss], tol([run.first_loss]), `${name} first-batch loss`);
      for (const p of model.parameters()) {
        expectClose(p.grad, run.first_grads[p.name].data, tol(run.first_grads[p.name].data), `${name} first-batch grad ${p.name}`);
      }

      const got = run.batches.map((b) => trainer.step(Float32Array.from(b.x), labels(b)));
      expectLosses(got, run.losses, name);
      expectState(model.stateDict(), run.final, `${name} final`);
    });
  });

  describe('activation probes: value and derivative over a grid with large |x|, against PyTorch float32', () => {
    it.each(Object.keys(activations.probes))('%s', (name) => {
      const probe = activations.probes[name];
      const spec = ACTIVATION_TABLE[probe.activation.name], p = activationParams('fixture', probe.activation.name, probe.activation.params);
      const n = probe.x.length;
      const X = backend.alloc(n), Y = backend.alloc(n), G = backend.alloc(n);
      X.data.set(probe.x);
      spec.fwd(backend.k, n, p, X, Y);
      G.data.fill(1);
      spec.bwd(backend.k, n, p, spec.backwardFrom === 'y' ? Y : X, G, G);
      expectClose(Y.data, probe.y, probeTol(probe.x), `${name} forward`);
      expectClose(G.data, probe.dx, probeTol(probe.x), `${name} derivative`);
      for (const b of [X, Y, G]) backend.free(b);
    });
  });

  describe('optimizers (ReLU MLP, 5 steps, cross-entropy)', () => {
    it.each(Object.keys(optimizers.runs))('%s', (name) => {
      const run = optimizers.runs[name];
      setBackend(backend);
      const model = mlp(optimizers.activation, optimizers.initial);
      const opt = optimizer(run.descent.class, model.parameters(), run.descent.options);
      const trainer = new Trainer(model, { optimizer: opt, loss: 'crossEntropy' });
      const got = optimizers.batches.map((b) => trainer.step(Float32Array.from(b.x), labels(b)));
      expectLosses(got, run.losses, name);
      expectState(model.stateDict(), run.final, `${name} final`);

      // Optimizer state under torch's key names: step counts exactly, buffers elementwise.
      const state: Record<string, Record<string, unknown>> = opt.stateDict().state;
      for (const [index, ref] of Object.entries(run.state)) {
        for (const [key, value] of Object.entries(ref)) {
          const g = state[index]?.[key];
          const where = `${name} state[${index}].${key}`;
          // torch keeps `momentum_buffer: None` for plain SGD: descent must have no buffer there either.
          if (value === null) expect(g ?? null, where).toBeNull();
          else if (typeof value === 'number') expect(Number(g), where).toBe(value);
          else expectClose(g as Float32Array, value, tol(value), where);
        }
      }
    });
  });

  describe('regression and binary losses (ReLU MLP, SGD lr 0.05 momentum 0.9, 3 steps)', () => {
    it.each(Object.keys(losses.runs))('%s', (name) => {
      const run = losses.runs[name];
      setBackend(backend);
      const model = mlp(losses.activation, run.initial);
      const opt = optimizer('SGD', model.parameters(), losses.optimizer.options);
      const trainer = new Trainer(model, { optimizer: opt, loss: run.loss });
      const got = run.batches.map((b) => trainer.step(Float32Array.from(b.x), Float32Array.from(b.y)));
      expectLosses(got, run.losses, name);
      expectState(model.stateDict(), run.final, `${name} final`);
    });
  });

  describe('loss value and input gradient, logits up to ±1e4', () => {
    const LOSSES = { crossEntropy, mse, bceWithLogits };
    it.each(Object.keys(losses.probes) as (keyof typeof LOSSES)[])('%s', (name) => {
      const probe = losses.probes[name];
      setBackend(backend);
      const target = name === 'crossEntropy' ? Int32Array.from(probe.target) : Float32Array.from(probe.target);
      const { loss, grad } = LOSSES[name].value(Float32Array.from(probe.pred), target, probe.batch);
      expect(Number.isFinite(loss), `${name} loss finite`).toBe(true);
      expectClose([loss], [probe.loss], tol([probe.loss]), `${name} loss`);
      expectClose(grad, probe.grad, tol(probe.grad), `${name} grad`);
    });
  });
});

// ---------------------------------------------------------------------- host-side: schedulers and initialisers
// Schedulers and initialiser formulas run on the host in float64, identically on every backend, so they run once.
describe('PyTorch fixtures: learning-rate schedulers (SGD lr 0.1, 30 steps)', () => {
  const SCHEDULERS = { StepLR, CosineAnnealingLR, OneCycleLR, LinearLR, ReduceLROnPlateau } as unknown as Record<
    string,
    new (opt: Optimizer, options: Record<string, unknown>) => { step(metric?: number): void }
  >;

  /** Steps the scheduler `steps` times, recording lr (and momentum) after each; stops at the first throw. */
  function replay(run: ScheduleRun) {
    const model = new Sequential([new Linear(1, 1)]);
    const opt = new SGD(model.parameters(), { lr: schedulers.optimizer.lr, momentum: run.sgdMomentum });
    const sched = new SCHEDULERS[run.class](opt, run.options);
    const lr = [opt.lr], momentum = [opt.momentum];
    let error: unknown = null;
    try {
      for (let i = 0; i < schedulers.steps; i++) {
        opt.step();
        if (run.metrics) sched.step(run.metrics[i]);
        else sched.step();
        lr.push(opt.lr);
        momentum.push(opt.momentum);
      }
    } catch (e) {
      error = e;
    }
    return { lr, momentum, error };
  }

  // torch lets OneCycleLR.step() run total_steps times (its check is `step_num > total_steps`); the last call
  // extrapolates the final phase past its end. Those values steer no optimizer step, so they get their own test.
  const oneCycle = Object.keys(schedulers.runs).filter((n) => schedulers.runs[n].class === 'OneCycleLR');
  const used = (run: ScheduleRun) => (run.class === 'OneCycleLR' ? schedulers.steps : schedulers.steps + 1);

  it.each(Object.keys(schedulers.runs))('%s', (name) => {
    const run = schedulers.runs[name];
    const got = replay(run);
    const n = used(run);
    expect(got.lr.length, `${name}: threw after ${got.lr.length - 1} steps: ${String(got.error)}`).toBeGreaterThanOrEqual(n);
    expectClose(got.lr.slice(0, n), run.lr.slice(0, n), HOST, `${name} lr`);
    if (run.momentum) expectClose(got.momentum.slice(0, n), run.momentum.slice(0, n), HOST, `${name} momentum`);
  });

  it.each(oneCycle)('%s: step number totalSteps extrapolates like torch', (name) => {
    const run = schedulers.runs[name];
    const got = replay(run);
    expect(got.error, `${name}: step ${schedulers.steps} threw (torch gives lr ${run.lr[schedulers.steps]})`).toBeNull();
    expectClose(got.lr.slice(-1), run.lr.slice(-1), HOST, `${name} lr after step totalSteps`);
    expectClose(got.momentum.slice(-1), run.momentum!.slice(-1), HOST, `${name} momentum after step totalSteps`);
  });
});

describe('PyTorch fixtures: initialisers on a [256, 512] weight', () => {
  const { fanIn, fanOut } = inits;
  const n = inits.shape[0] * inits.shape[1];
  const FACTORIES = init as unknown as Record<string, (options?: Record<string, unknown>) => Initializer>;

  it.each(Object.keys(inits.cases).map((name, i) => [name, i] as const))('%s', (name, i) => {
    const c = inits.cases[name];
    const initializer = c.options === null ? FACTORIES[c.descent]() : FACTORIES[c.descent](c.options);
    const formula = initializer.std(fanIn, fanOut);
    expectClose([formula], [c.formula_std], HOST, `${name} formula std`);

    const w = new Float32Array(n);
    initializer.fill(w, fanIn, fanOut, new Rng(40 + i)); // a fixed seed per case: the 3σ checks never flake
    let sum = 0, sq = 0, maxAbs = 0;
    for (const v of w) { sum += v; maxAbs = Math.max(maxAbs, Math.abs(v)); }
    const mean = sum / n;
    for (const v of w) sq += (v - mean) ** 2;
    const std = Math.sqrt(sq / (n - 1));
    // The std of a sample std is ≈ σ/√(2N) for normal draws (smaller for uniform ones): allow 3 of them.
    const se = c.formula_std / Math.sqrt(2 * n);
    expect(Math.abs(std - c.formula_std), `${name}: sample std ${std}, formula ${c.formula_std}, 3·se ${3 * se}`).toBeLessThanOrEqual(3 * se);
    // The mean of N draws has standard error σ/√N.
    expect(Math.abs(mean), `${name}: sample mean ${mean}`).toBeLessThanOrEqual((3 * c.formula_std) / Math.sqrt(n));
    // torch's own draw obeys the same bound (a check on the fixture, not on descent).
    expect(Math.abs(c.sample_std - c.formula_std)).toBeLessThanOrEqual(3 * se);
    if (c.uniform) expect(maxAbs, `${name}: max |w| within the uniform bound`).toBeLessThanOrEqual(c.bound! * (1 + 1e-7));
  });

  it.each(inits.calculate_gain.map((g) => [`${g.nonlinearity}${g.param === null ? '' : `(${g.param})`}`, g] as const))(
    'calculateGain %s',
    (_label, g) => {
      const got = g.param === null
        ? init.calculateGain(g.nonlinearity as Nonlinearity)
        : init.calculateGain(g.nonlinearity as Nonlinearity, g.param);
      expectClose([got], [g.gain], HOST, `calculateGain(${g.nonlinearity}, ${g.param})`);
    },
  );
});

describe('PyTorch fixtures: float64 forms of the activation table against PyTorch in float64', () => {
  it.each(Object.keys(activations.probes))('%s', (name) => {
    const probe = activations.probes[name];
    const spec = ACTIVATION_TABLE[probe.activation.name], p = activationParams('fixture', probe.activation.name, probe.activation.params);
    expectClose(probe.x.map((v) => spec.f64(v, p)), probe.y64, PROBE64, `${name} float64 forward`);
    expectClose(probe.x.map((v) => spec.grad64(v, p)), probe.dx64, PROBE64, `${name} float64 derivative`);
  });
});
