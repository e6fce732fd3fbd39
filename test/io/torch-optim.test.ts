/**
 * Optimizer state in torch.optim's form, against test/fixtures/interop/optimizers.json (torch 1.13): for every
 * optimizer, 5 steps in PyTorch, its state_dict() through JSON into descent, 5 more steps in descent = PyTorch's 10
 * steps (every backend); and the reverse: 5 steps in descent, saved as a one-file training checkpoint
 * (descent-train-*.safetensors), continued for 5 steps in PyTorch by the script = PyTorch's 10 steps. Tolerance per
 * tensor as in test/fixtures.test.ts: 1e-5·|ref| + 1e-6·max|ref|.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  jsBackend,
  Linear,
  loadTorchCheckpoint,
  readSafetensors,
  toSafetensors,
  type Optimizer,
  type Parameter,
  CosineAnnealingLR,
  LinearLR,
  ReLU,
  RMSprop,
  StepLR,
  type LRScheduler,
  Rng,
  Sequential,
  setBackend,
  SGD,
  Momentum,
  Tanh,
  toTorchCheckpoint,
  Trainer,
  type Backend,
  type TorchOptimizerStateDict,
} from '../../src/index.js';
import { BACKENDS, expectClose, tensorTol } from '../helpers.js';

type Json = { shape: number[]; data: number[] };
interface Snapshot { weights: Record<string, Json>; optimizer: TorchOptimizerStateDict }
interface Run { class: string; kwargs: Record<string, unknown>; after5: Snapshot; after10: Snapshot; from_descent?: Snapshot & { sha256: string } }

const FIXTURES = new URL('../fixtures/interop/', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'optimizers.json'), 'utf8')) as {
  initial: Record<string, Json>; batches: { x: number[]; y: number[] }[]; runs: Record<string, Run>;
};
const CLASSES = { SGD, Adagrad, RMSprop, Adam, AdamW } as const;

function mlp(backend: Backend): Sequential {
  setBackend(backend);
  const r = new Rng(1);
  const model = new Sequential([new Linear(6, 8, { rng: r }), new ReLU(), new Linear(8, 5, { rng: r }), new Tanh(), new Linear(5, 3, { rng: r })]);
  model.loadStateDict(fixture.initial);
  return model;
}

/** The fixture's torch kwargs as descent options (snake_case → camelCase). */
function optimizer(run: Run, params: Parameter[]): Optimizer {
  const options = Object.fromEntries(Object.entries(run.kwargs).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
  return new (CLASSES[run.class as keyof typeof CLASSES] as unknown as new (p: Parameter[], o: object) => Optimizer)(params, options);
}

function steps(model: Sequential, opt: Optimizer, from: number, to: number): void {
  const trainer = new Trainer(model, { optimizer: opt, loss: 'crossEntropy' });
  for (const b of fixture.batches.slice(from, to)) trainer.step(Float32Array.from(b.x), Int32Array.from(b.y));
}

function expectSnapshot(model: Sequential, opt: Optimizer, ref: Snapshot, context: string): void {
  for (const [name, e] of Object.entries(model.stateDict())) expectClose(e.data, ref.weights[name].data, tensorTol(ref.weights[name].data), `${context} ${name}`);
  const got = JSON.parse(JSON.stringify(opt.stateDict({ format: 'torch' }))) as TorchOptimizerStateDict;
  expect(got.param_groups, `${context} param_groups`).toEqual(ref.optimizer.param_groups);
  expect(Object.keys(got.state)).toEqual(Object.keys(ref.optimizer.state));
  for (const [i, s] of Object.entries(ref.optimizer.state)) {
    expect(Object.keys(got.state[i]).sort(), `${context} state[${i}] keys`).toEqual(Object.keys(s).sort());
    for (const [key, v] of Object.entries(s)) {
      const g = got.state[i][key];
      if (v === null || typeof v === 'number') expect(g, `${context} state[${i}].${key}`).toEqual(v);
      else {
        expect((g as unknown as Json).shape).toEqual((v as unknown as Json).shape);
        const data = (v as unknown as Json).data;
        expectClose((g as unknown as Json).data, data, tensorTol(data), `${context} state[${i}].${key}`);
      }
    }
  }
}

describe('PyTorch optimizer state → descent (5 steps in PyTorch, 5 in descent = 10 in PyTorch)', () => {
  for (const [name, run] of Object.entries(fixture.runs)) {
    it(`${name} (torch.optim.${run.class}) on every backend`, () => {
      for (const backend of BACKENDS) {
        const model = mlp(backend);
        model.loadStateDict(run.after5.weights);
        const opt = optimizer({ ...run, kwargs: {} }, model.parameters());
        // The JSON as PyTorch's state_dict() gives it (after json.dumps): hyperparameters come from the dict.
        opt.loadStateDict(JSON.parse(JSON.stringify(run.after5.optimizer)));
        expectSnapshot(model, opt, run.after5, `${name} loaded on ${backend.name}`);
        steps(model, opt, 5, 10);
        expectSnapshot(model, opt, run.after10, `${name} continued on ${backend.name}`);
        model.dispose();
      }
    });
  }
});

describe('descent → PyTorch: a one-file training checkpoint continued by PyTorch (recorded by test/fixtures/interop.py)', () => {
  for (const [name, run] of Object.entries(fixture.runs)) {
    it(`${name}: PyTorch's 5 more steps from descent's file = PyTorch's 10 steps; descent reads its own file back exactly`, () => {
      const model = mlp(jsBackend);
      const opt = optimizer(run, model.parameters());
      steps(model, opt, 0, 5);
      expectSnapshot(model, opt, run.after5, `${name} descent after 5`);
      const bytes = toTorchCheckpoint({ model, optimizer: opt, metadata: { epoch: '5' } });
      const file = join(FIXTURES, `descent-train-${name}.safetensors`);
      if (process.env.DESCENT_WRITE_FIXTURES === '1') writeFileSync(file, bytes);
      expect(existsSync(file) && Buffer.from(readFileSync(file)).equals(Buffer.from(bytes)), `${file} is what descent writes (rerun with DESCENT_WRITE_FIXTURES=1, then the script)`).toBe(true);
      const cont = run.from_descent!;
      expect(cont.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      for (const [k, e] of Object.entries(cont.weights)) expectClose(e.data, run.after10.weights[k].data, tensorTol(run.after10.weights[k].data), `${name} PyTorch continued ${k}`);
      // And descent continues its own file bit for bit.
      const back = mlp(jsBackend);
      const backOpt = optimizer({ ...run, kwargs: run.class === 'SGD' ? { lr: 1 } : {} }, back.parameters());
      expect(loadTorchCheckpoint(bytes, { model: back, optimizer: backOpt })).toMatchObject({ epoch: '5', format: 'pt' });
      steps(model, opt, 5, 10);
      steps(back, backOpt, 5, 10);
      for (const [k, e] of Object.entries(model.stateDict())) {
        expect(back.stateDict()[k].data, `${name} ${k}`).toEqual(e.data);
        expectClose(e.data, run.after10.weights[k].data, tensorTol(run.after10.weights[k].data), `${name} descent 10 steps ${k}`);
      }
      expect(JSON.stringify(backOpt.stateDict({ format: 'torch' }))).toBe(JSON.stringify(opt.stateDict({ format: 'torch' })));
    });
  }
});

describe('torch-form checks', () => {
  const run = fixture.runs.adam;
  const fresh = () => {
    const model = mlp(jsBackend);
    return { model, opt: new Adam(model.parameters()) };
  };
  const torchSd = () => JSON.parse(JSON.stringify(run.after5.optimizer)) as TorchOptimizerStateDict;

  it('maximize: true is an ERR_OPTION naming it; no-op flags must be booleans or null', () => {
    const { opt } = fresh();
    const sd = torchSd();
    sd.param_groups[0].maximize = true;
    expect(() => opt.loadStateDict(sd)).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/maximize/) }));
    sd.param_groups[0].maximize = false;
    sd.param_groups[0].foreach = 'yes';
    expect(() => opt.loadStateDict(sd)).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/foreach/) }));
    sd.param_groups[0].foreach = true;
    sd.param_groups[0].initial_lr = 0.5; // a torch scheduler's bookkeeping
    opt.loadStateDict(sd);
    expect(opt.stepCount).toBe(5);
    expect(opt.hyperparameters).toMatchObject({ lr: 0.01, weightDecay: 0.05, amsgrad: true, betas: [0.9, 0.999] });
  });

  it('another optimizer\'s state is named as such; bad steps and sizes are ERR_STATE; nothing is half-loaded', () => {
    const { opt } = fresh();
    const before = JSON.stringify(opt.stateDict({ format: 'torch' }));
    expect(() => opt.loadStateDict(JSON.parse(JSON.stringify(fixture.runs.sgd_nesterov.after5.optimizer)))).toThrow(
      expect.objectContaining({ code: 'ERR_STATE', message: expect.stringMatching(/unknown hyperparameter 'momentum' for Adam .*another optimizer/) }),
    );
    const two = torchSd();
    (two.state[0] as Record<string, unknown>).step = { shape: [2], data: [5, 5] };
    expect(() => opt.loadStateDict(two)).toThrow(/step of parameter 0 must be a number or a one-element tensor/);
    const mixed = torchSd();
    (mixed.state[1] as Record<string, unknown>).step = 4;
    expect(() => opt.loadStateDict(mixed)).toThrow(/different step counts \(5 and 4\)/);
    const short = torchSd();
    (short.state[0] as Record<string, unknown>).exp_avg = [1, 2];
    expect(() => opt.loadStateDict(short)).toThrow(expect.objectContaining({ code: 'ERR_STATE', message: expect.stringMatching(/state\[0\]\.exp_avg has 2 values/) }));
    expect(JSON.stringify(opt.stateDict({ format: 'torch' }))).toBe(before);
  });

  it('accepts integer keys, nested lists and a bare number step, as a Python-side json.dumps of tolist() gives them', () => {
    const { model, opt } = fresh();
    const sd = torchSd();
    const state: Record<number, Record<string, unknown>> = {};
    for (const [i, s] of Object.entries(sd.state)) {
      const shape = model.parameters()[Number(i)].shape;
      const nest = (d: number[]) => (shape.length === 2 ? Array.from({ length: shape[0] }, (_, r) => d.slice(r * shape[1], (r + 1) * shape[1])) : d);
      state[Number(i)] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'step' ? 5 : nest((v as unknown as Json).data)]));
    }
    opt.loadStateDict({ state, param_groups: sd.param_groups } as TorchOptimizerStateDict);
    const other = fresh();
    other.opt.loadStateDict(torchSd());
    expect(JSON.stringify(opt.stateDict({ format: 'torch' }))).toBe(JSON.stringify(other.opt.stateDict({ format: 'torch' })));
  });

  it('SGD state without a step keeps its momentum buffers live (no fresh-buffer restart)', () => {
    const r = fixture.runs.sgd_momentum_dampening_wd;
    const model = mlp(jsBackend);
    const opt = new Momentum(model.parameters(), { lr: 0.05 });
    model.loadStateDict(r.after5.weights);
    opt.loadStateDict(JSON.parse(JSON.stringify(r.after5.optimizer)));
    expect(opt.stepCount).toBe(0);
    expect(Object.keys(opt.stateDict().state)).toHaveLength(6);
    steps(model, opt, 5, 10);
    for (const [k, e] of Object.entries(model.stateDict())) expectClose(e.data, r.after10.weights[k].data, tensorTol(r.after10.weights[k].data), k);
  });

  it('the checkpoint refuses another optimizer class and leaves the model untouched', () => {
    const { model, opt } = fresh();
    steps(model, opt, 0, 2);
    const bytes = toTorchCheckpoint({ model, optimizer: opt });
    const other = mlp(jsBackend);
    const before = other.stateDict();
    expect(() => loadTorchCheckpoint(bytes, { model: other, optimizer: new SGD(other.parameters()) })).toThrow(/holds torch.optim.Adam state, the optimizer is SGD/);
    // An optimizer part rejected after the weights were written: the weights are rolled back.
    const { tensors, metadata } = readSafetensors(bytes);
    const saved = JSON.parse(metadata.optimizer) as { param_groups: Record<string, unknown>[] };
    saved.param_groups[0].maximize = true;
    const bad = toSafetensors(tensors, { metadata: { ...metadata, optimizer: JSON.stringify(saved) } });
    expect(() => loadTorchCheckpoint(bad, { model: other, optimizer: new Adam(other.parameters()) })).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/maximize/) }));
    for (const [k, e] of Object.entries(other.stateDict())) expect(e.data).toEqual(before[k].data);
    expect(() => toTorchCheckpoint({ model, optimizer: opt, metadata: { optimizer: 'x' } })).toThrow(/reserved/);
  });
});

describe('scheduler state in torch.optim.lr_scheduler form (test/fixtures/interop/schedulers.json)', () => {
  const schedulers = JSON.parse(readFileSync(join(FIXTURES, 'schedulers.json'), 'utf8')) as Record<string, { kwargs: Record<string, number>; after3: Record<string, unknown>; rates: number[] }>;
  const make = (cls: string, kwargs: Record<string, number>, model: Sequential): LRScheduler => {
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const o = Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k === 'T_max' ? 'tMax' : k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
    return cls === 'StepLR' ? new StepLR(opt, o as never) : cls === 'CosineAnnealingLR' ? new CosineAnnealingLR(opt, o as never) : new LinearLR(opt, o as never);
  };
  const HOST = (_i: number, r: number) => 1e-12 + 1e-12 * Math.abs(r);

  for (const [cls, f] of Object.entries(schedulers)) {
    it(`${cls}: descent writes PyTorch's state_dict() and continues from it with PyTorch's rates`, () => {
      const model = mlp(jsBackend);
      const s = make(cls, f.kwargs, model);
      for (let i = 0; i < 3; i++) s.step();
      const mine = s.stateDict({ format: 'torch' });
      expect(Object.keys(mine).sort()).toEqual(Object.keys(f.after3).sort());
      for (const [k, v] of Object.entries(f.after3)) {
        if (Array.isArray(v)) expectClose(mine[k] as number[], v as number[], HOST, `${cls} ${k}`);
        else if (typeof v === 'number') expectClose([mine[k] as number], [v], HOST, `${cls} ${k}`);
        else expect(mine[k], `${cls} ${k}`).toBe(v);
      }
      const other = make(cls, f.kwargs, mlp(jsBackend));
      other.loadStateDict(JSON.parse(JSON.stringify(f.after3)));
      const rates = f.rates.map(() => (other.step(), other.getLastLr()));
      expectClose(rates, f.rates, HOST, `${cls} rates after loading PyTorch's state`);
    });
  }

  it('refuses torch state whose settings differ from the scheduler', () => {
    const s = make('StepLR', { step_size: 3, gamma: 0.5 }, mlp(jsBackend));
    expect(() => s.loadStateDict(schedulers.StepLR.after3)).toThrow(expect.objectContaining({ code: 'ERR_STATE', message: expect.stringMatching(/step_size is 2 in the state dict, 3 in this scheduler/) }));
    expect(() => s.loadStateDict({ ...schedulers.StepLR.after3, step_size: 3, _last_lr: [0.1, 0.2] })).toThrow(/_last_lr must be a list of one finite rate/);
  });
});
