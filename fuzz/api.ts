/**
 * One seeded case of the public-API fuzzer: a small valid model, optimizer and trainer (one step taken), then one
 * call with drawn arguments. The case records the error code (or null) and a digest of the result and of a probe
 * forward after the call, and lists problems: an error without a descent code, weights changed by a rejected
 * call, a model left unusable. The runner plays the same seed on every backend and compares codes and digests.
 */
import {
  Adagrad, Adam, AdamW, bceWithLogits, clipGradNorm, clipGradValue, CosineAnnealingLR, crossEntropy, ERROR_CODES, LeakyReLU, Linear, LinearLR,
  manualSeed, mse, OneCycleLR, ReduceLROnPlateau, ReLU, RMSprop, Sequential, setBackend, SGD, Sigmoid, StepLR, Tanh, Trainer,
  type Backend, type Optimizer,
} from '../src/index.js';
import { Draw } from './values.js';

export interface Outcome {
  seed: number;
  op: string;
  /** The descent error code, `UNCODED …` for an error without one, or null when the call succeeded. */
  code: string | null;
  /** Numbers summarising the result and a probe forward afterwards (compared across backends). */
  digest: number[];
  problems: string[];
}

const LOSS_NAMES = ['crossEntropy', 'mse', 'bceWithLogits'] as const;

function weights(model: Sequential): string {
  return Object.entries(model.stateDict())
    .map(([k, e]) => `${k}:${Array.from(new Uint32Array(e.data.buffer, e.data.byteOffset, e.data.length)).join(',')}`)
    .join('|');
}

/** A few numbers standing for a result: length and up to 8 values of arrays, numbers as they are. */
function digestOf(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value instanceof Float32Array) return [value.length, ...Array.from(value.subarray(0, 8))];
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.loss === 'number') return [v.loss, typeof v.accuracy === 'number' ? v.accuracy : -1];
    if (Array.isArray(v.loss)) return (v.loss as number[]).slice(0, 4);
  }
  return [];
}

export async function apiCase(seed: number, backend: Backend): Promise<Outcome> {
  setBackend(backend);
  manualSeed(seed);
  const d = new Draw(seed);
  const lossName = d.pick(LOSS_NAMES);
  const inF = 1 + d.int(4), hidden = 1 + d.int(6), out = lossName === 'crossEntropy' ? 2 + d.int(3) : 1 + d.int(3);
  const act = d.pick([() => new ReLU(), () => new Tanh(), () => new Sigmoid(), () => new LeakyReLU(0.1)])();
  const model = new Sequential([new Linear(inF, hidden), act, new Linear(hidden, out)]);
  const optimizer: Optimizer = d.pick([
    () => new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
    () => new Adam(model.parameters(), { lr: 0.01 }),
    () => new AdamW(model.parameters(), { lr: 0.01, amsgrad: true }),
    () => new RMSprop(model.parameters(), { lr: 0.01, centered: true, momentum: 0.5 }),
    () => new Adagrad(model.parameters(), { lr: 0.05 }),
  ])();
  const trainer = new Trainer(model, { optimizer, loss: lossName });
  const rows = 1 + d.int(6);
  const validX = (m: number) => d.f32(m * inF, 1) as Float32Array;
  const validY = (m: number) => (lossName === 'crossEntropy' ? (d.labels(m, out, 1) as Int32Array) : Float32Array.from({ length: m * out }, () => (lossName === 'mse' ? d.r.normal() : d.int(2))));
  const drawY = (m: number) => (lossName === 'crossEntropy' ? d.labels(m, out) : d.chance(0.8) ? validY(m) : d.f32(m * out, 0));
  trainer.step(validX(rows), validY(rows));
  const probe = validX(2);
  const before = weights(model);
  let disposed = false;
  let weightsMayChange = false;

  const ops: [string, () => unknown][] = [
    ['Sequential.forward', () => model.forward(d.f32(rows * inF) as Float32Array, (d.chance(0.6) ? undefined : d.size(rows)) as number)],
    ['Trainer.step', () => ((weightsMayChange = true), trainer.step(d.f32(rows * inF) as Float32Array, drawY(rows) as Int32Array))],
    ['Trainer.lossAndGrad', () => trainer.lossAndGrad(d.f32(rows * inF) as Float32Array, drawY(rows) as Int32Array)],
    ['Trainer.predict', () => trainer.predict(d.f32(rows * inF) as Float32Array, d.options({ batchSize: d.size(4) }) as never)],
    ['Trainer.evaluate', () => trainer.evaluate(d.f32(rows * inF) as Float32Array, drawY(rows) as Int32Array, d.options({ batchSize: d.size(4) }) as never)],
    ['Trainer.fit', () => {
      weightsMayChange = true;
      const data = d.chance(0.9) ? { x: d.f32(rows * inF), y: drawY(rows) } : d.junk();
      const options = d.options({
        epochs: d.count(2), batchSize: d.size(4), shuffle: d.bool(), seed: d.real([1, 2, 3]), validationSplit: d.real([0, 0.25, 0.5]),
        progress: false, stopOnNonFinite: d.bool(0.9), earlyStopping: d.options({ patience: d.real([0, 1]), minDelta: d.real([0, 0.1]), restoreBestWeights: d.bool() }, 0.6),
        callbacks: d.options({ onEpochEnd: () => {}, onBatchEnd: () => {} }, 0.8),
      });
      return trainer.fit(data as never, options as never);
    }],
    ['Sequential.loadStateDict', () => {
      const sd = model.stateDict() as Record<string, unknown>;
      const names = Object.keys(sd), name = d.pick(names), entry = sd[name] as { shape: number[]; data: Float32Array };
      switch (d.int(7)) {
        case 0: sd[name] = d.junk(); break;
        case 1: entry.data[d.int(entry.data.length)] = d.pick([NaN, Infinity, -Infinity]); break;
        case 2: entry.shape = [...entry.shape].reverse().concat(d.chance(0.5) ? [1] : []); break;
        case 3: entry.data = d.f32(entry.data.length + d.pick([-1, 1]), 0.2) as Float32Array; break;
        case 4: delete sd[name]; break;
        case 5: sd[`${name}x`] = entry; break;
        default: weightsMayChange = true;
      }
      return model.loadStateDict(sd as never, d.options({ strict: d.bool() }, 0.8) as never);
    }],
    ['Optimizer.loadStateDict', () => {
      const sd = optimizer.stateDict() as unknown as { state: Record<number, Record<string, unknown>>; paramGroups: Record<string, unknown>[] };
      const group = sd.paramGroups[0], keys = Object.keys(group).filter((k) => k !== 'params');
      switch (d.int(5)) {
        case 0: group[d.pick(keys)] = d.junk(); break;
        case 1: { const s = sd.state[0]; const k = d.pick(Object.keys(s)); s[k] = k === 'step' ? d.junk() : d.f32((s[k] as Float32Array).length, 0.3); break; }
        case 2: group.params = d.junk(); break;
        case 3: (sd as { state: unknown }).state = d.junk(); break;
        default: break;
      }
      return optimizer.loadStateDict(sd as never);
    }],
    ['Linear', () => new Linear(d.size(6) as number, d.size(6) as number, d.options({ bias: d.bool(), init: d.pick(['auto', 'kaimingNormal', 'xavierUniform', 'pytorchDefault', 'nope']) }) as never).toString()],
    ['Sequential', () => new Sequential((d.chance(0.8) ? [new Linear(inF, 2), new ReLU()] : d.junk()) as never, d.options({ inputShape: d.chance(0.7) ? [inF] : [d.junk()] }, 0.5) as never).outputShape],
    ['Optimizer', () => {
      const params = d.chance(0.9) ? model.parameters() : d.junk();
      const make = d.pick([
        () => new SGD(params as never, d.options({ lr: d.real([0.1, 0]), momentum: d.real([0, 0.9]), nesterov: d.bool(), dampening: d.real([0, 0.1]) }) as never),
        () => new Adam(params as never, d.options({ lr: d.real([0.1, 0]), betas: d.chance(0.8) ? [0.9, 0.99] : [d.junk(), 0.9], eps: d.real([1e-8, 0]), amsgrad: d.bool() }) as never),
        () => new RMSprop(params as never, d.options({ lr: d.real([0.1]), alpha: d.real([0.9, 0.99]), centered: d.bool() }) as never),
        () => new Adagrad(params as never, d.options({ lr: d.real([0.1]), lrDecay: d.real([0, 0.1]), initialAccumulatorValue: d.real([0, 0.1]) }) as never),
      ]);
      const o = make();
      o.step();
      return o.lr;
    }],
    ['scheduler', () => {
      const target = d.chance(0.9) ? optimizer : d.junk();
      const s = d.pick([
        () => new StepLR(target as never, d.options({ stepSize: d.count(3), gamma: d.real([0.5, 0.1]) }) as never),
        () => new LinearLR(target as never, d.options({ startFactor: d.real([1 / 3, 1]), endFactor: d.real([0, 1, 0.5]), totalIters: d.count(4) }) as never),
        () => new CosineAnnealingLR(target as never, d.options({ tMax: d.count(4), etaMin: d.real([0, 1e-4]) }) as never),
        () => new OneCycleLR(target as never, d.options({ maxLr: d.real([0.1, 1]), totalSteps: d.count(8), pctStart: d.real([0.3, 0.5]), annealStrategy: d.pick(['cos', 'linear', 'x']) }) as never),
        () => new ReduceLROnPlateau(target as never, d.options({ factor: d.real([0.5, 0.1]), patience: d.count(2) }) as never),
      ])();
      const steps = 1 + d.int(6);
      for (let i = 0; i < steps; i++) {
        if (s instanceof ReduceLROnPlateau) s.step(d.real([1, 2, 0.5], 0.9) as number);
        else if (!(s instanceof OneCycleLR) || s.lastEpoch < 7) s.step();
      }
      return optimizer.lr;
    }],
    ['clipGradNorm', () => clipGradNorm(model.parameters(), d.real([1, 0.5, 0]) as number, d.real([2, 1, Infinity], 0.9) as number)],
    ['clipGradValue', () => clipGradValue(model.parameters(), d.real([1, 0.01, 0]) as number)],
    ['Optimizer.lr', () => ((optimizer.lr = d.real([0.1, 0, 1e-6]) as number), optimizer.lr)],
    ['Sequential.train', () => model.train(d.bool() as boolean).training],
    ['loss.value', () => {
      const loss = d.pick([crossEntropy, mse, bceWithLogits]);
      const m = 1 + d.int(3), n = 2 + d.int(2);
      const target = loss === crossEntropy ? d.labels(m, n) : loss === mse ? d.f32(m * n) : d.chance(0.8) ? Float32Array.from({ length: m * n }, () => d.int(2)) : d.f32(m * n, 0);
      return loss.value(d.f32(m * n) as Float32Array, target as Int32Array, (d.chance(0.7) ? m : d.size(4)) as number).loss;
    }],
    ['dispose model', () => {
      model.dispose();
      disposed = true;
      const use = d.pick([() => model.forward(probe), () => trainer.step(probe, validY(2)), () => optimizer.step(), () => model.stateDict(), () => model.parameters()[0]]);
      return use();
    }],
    ['dispose optimizer', () => {
      optimizer.dispose();
      return d.pick([() => optimizer.step(), () => trainer.step(probe, validY(2)), () => optimizer.loadStateDict(optimizer.stateDict())])();
    }],
    ['dispose trainer', () => {
      trainer.dispose();
      return d.pick([() => trainer.step(probe, validY(2)), () => trainer.predict(probe), () => trainer.evaluate(probe, validY(2))])();
    }],
  ];
  const [op, run] = ops[d.int(ops.length)];
  const problems: string[] = [];
  let code: string | null = null, digest: number[] = [];
  try {
    digest = digestOf(await run());
  } catch (error) {
    const e = error as Error & { code?: unknown };
    code = (ERROR_CODES as readonly unknown[]).includes(e.code) ? (e.code as string) : `UNCODED ${e?.name}: ${e?.message ?? String(error)}`;
    if (code.startsWith('UNCODED')) problems.push(`${op}: error without a descent code: ${code.slice(8)}`);
    // fit may fail part-way (ERR_NONFINITE) after earlier batches legitimately changed the weights.
    const partial = op === 'Trainer.fit' && code === 'ERR_NONFINITE';
    if (!disposed && !partial && weights(model) !== before) problems.push(`${op}: a rejected call (${code}) changed the weights`);
  }
  if (op.startsWith('dispose') && code !== 'ERR_STATE') problems.push(`${op}: use after dispose gave ${code ?? 'no error'}, expected ERR_STATE`);
  if (!disposed) {
    if (!weightsMayChange && code === null && op !== 'Optimizer' && weights(model) !== before && op !== 'Sequential.loadStateDict') {
      problems.push(`${op}: changed the weights`);
    }
    try {
      model.train(true);
      digest.push(...Array.from(model.forward(probe)));
    } catch (error) {
      problems.push(`${op}: the model is unusable afterwards: ${(error as Error).message}`);
    }
    model.dispose();
  }
  return { seed, op, code, digest, problems };
}

/** Same outcome on every backend: the same code, and digests within float32 tolerance of the js reference. */
export function compareOutcomes(reference: Outcome, other: Outcome, backend: string): string[] {
  if (reference.code !== other.code) return [`${reference.op}: js gives ${reference.code ?? 'success'}, ${backend} gives ${other.code ?? 'success'}`];
  if (reference.digest.length !== other.digest.length) return [`${reference.op}: result shapes differ between js and ${backend}`];
  for (let i = 0; i < reference.digest.length; i++) {
    const a = reference.digest[i], b = other.digest[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (Number.isFinite(a) !== Number.isFinite(b) && Math.abs(Number.isFinite(a) ? a : b) < 1e30) return [`${reference.op}: digest[${i}] js ${a}, ${backend} ${b}`];
      continue;
    }
    if (Math.abs(a - b) > 1e-3 + 1e-2 * Math.abs(a)) return [`${reference.op}: digest[${i}] js ${a}, ${backend} ${b}`];
  }
  return [];
}
