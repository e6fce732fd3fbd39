/**
 * Bad input gets a clear error, never a crash or a silent wrong answer: every check runs in TypeScript before
 * the first kernel, so every backend throws the same class, code and message.
 */
import { describe, expect, it } from 'vitest';
import {
  Adagrad, Adam, AdamW, bceWithLogits, crossEntropy, init, LeakyReLU, Linear, loadBackend, mse, ReLU, RMSprop, Sequential, setBackend, SGD, StepLR, Trainer,
} from '../src/index.js';
import { BACKENDS } from './helpers.js';

function thrown(fn: () => unknown): { name: string; code: string; message: string } {
  try {
    fn();
  } catch (e) {
    const err = e as Error & { code: string };
    return { name: err.constructor.name, code: err.code, message: err.message };
  }
  throw new Error('expected a throw');
}

function cases() {
  const model = new Sequential([new Linear(4, 8), new ReLU(), new Linear(8, 3)]);
  const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
  const x = new Float32Array(8), y = new Int32Array(2);
  return {
    'x of the wrong width': () => trainer.step(new Float32Array(9), y),
    'x as Float64Array': () => trainer.step(new Float64Array(8) as unknown as Float32Array, y),
    'labels as Float32Array': () => trainer.step(x, new Float32Array(2)),
    'label out of range': () => trainer.step(x, new Int32Array([0, 3])),
    'negative label': () => trainer.step(x, new Int32Array([-1, 0])),
    'labels of the wrong count': () => trainer.step(x, new Int32Array(3)),
    'empty batch': () => trainer.step(new Float32Array(0), new Int32Array(0)),
    'forward with wrong batch': () => model.forward(x, 3),
    'forward with zero batch': () => model.forward(x, 0),
    'NaN learning rate': () => new SGD(model.parameters(), { lr: NaN }),
    'negative learning rate': () => new Adam(model.parameters(), { lr: -1 }),
    'beta of 1': () => new Adam(model.parameters(), { betas: [0.9, 1] }),
    'misspelled option': () => new Adam(model.parameters(), { learningRate: 0.1 } as never),
    'misspelled option close': () => new SGD(model.parameters(), { lr: 0.1, momentun: 0.9 } as never),
    'nesterov without momentum': () => new SGD(model.parameters(), { lr: 0.1, nesterov: true }),
    'negative weight decay': () => new AdamW(model.parameters(), { weightDecay: -0.1 }),
    'amsgrad not boolean': () => new Adam(model.parameters(), { amsgrad: 1 } as never),
    'centered not boolean': () => new RMSprop(model.parameters(), { centered: 'yes' } as never),
    'infinite eps': () => new Adagrad(model.parameters(), { eps: Infinity }),
    'negative LeakyReLU slope': () => new LeakyReLU(-0.1),
    'Linear with zero inputs': () => new Linear(0, 3),
    'Linear with fractional outputs': () => new Linear(3, 2.5),
    'unknown init name': () => new Linear(3, 2, { init: 'kaiming' as never }),
    'unknown loss': () => new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'hinge' as never }),
    'layer widths that do not chain': () => new Sequential([new Linear(4, 8), new Linear(7, 2)]),
    'fuse not boolean': () => new Sequential([new Linear(4, 8), new ReLU()], { fuse: 'yes' } as never),
    'state dict with wrong shape': () => model.loadStateDict({ ...model.stateDict(), '0.weight': { shape: [4, 8], data: new Float32Array(32) } }),
    'state dict with a missing key': () => { const sd = model.stateDict(); delete (sd as Record<string, unknown>)['2.bias']; model.loadStateDict(sd); },
    'state dict with Float64Array data': () => model.loadStateDict({ ...model.stateDict(), '2.bias': { shape: [3], data: new Float64Array(3) as never } }),
    'mse target of the wrong length': () => mse.value(new Float32Array(6), new Float32Array(5), 2),
    'bce target outside [0, 1]': () => bceWithLogits.value(new Float32Array(2), new Float32Array([0, 2]), 1),
    'crossEntropy label out of range': () => crossEntropy.value(new Float32Array(6), new Int32Array([0, 3]), 2),
    'kaiming with unknown mode': () => init.kaimingNormal({ mode: 'fan_avg' as never }),
    'StepLR without stepSize': () => new StepLR(new SGD(model.parameters(), { lr: 0.1 }), {} as never),
    'setting lr to NaN': () => { new SGD(model.parameters(), { lr: 0.1 }).lr = NaN; },
  };
}

describe('bad input', () => {
  it('gives the same error class, code and message on every backend', async () => {
    const results = new Map<string, Record<string, ReturnType<typeof thrown>>>();
    for (const backend of BACKENDS) {
      setBackend(backend);
      const out: Record<string, ReturnType<typeof thrown>> = {};
      for (const [name, fn] of Object.entries(cases())) {
        try {
          out[name] = thrown(() => {
            const r = fn();
            if (r instanceof Promise) throw new Error('async case must be checked separately');
          });
        } catch (e) {
          throw new Error(`${name} on ${backend.name}: ${(e as Error).message}`);
        }
      }
      results.set(backend.name, out);
    }
    const reference = results.get('js')!;
    for (const [name, r] of Object.entries(reference)) {
      expect(['ERR_SHAPE', 'ERR_DTYPE', 'ERR_OPTION', 'ERR_STATE'], `${name}: ${r.message}`).toContain(r.code);
      expect(r.message.length, name).toBeGreaterThan(20);
    }
    for (const [backend, out] of results) expect(out, `errors on ${backend}`).toEqual(reference);
  });

  it('names the call, the argument, what was expected and what was received', () => {
    setBackend(BACKENDS[0]);
    const c = cases();
    expect(thrown(c['x of the wrong width'])).toEqual({ name: 'RangeError', code: 'ERR_SHAPE', message: 'Trainer.step: expected x of shape [*, 4], received length 9' });
    expect(thrown(c['x as Float64Array'])).toMatchObject({ name: 'TypeError', code: 'ERR_DTYPE', message: 'Trainer.step: expected x to be a Float32Array, received Float64Array(8)' });
    expect(thrown(c['label out of range']).message).toBe('Trainer.step: expected y[1] to be a class index in [0, 3), received 3');
    expect(thrown(c['NaN learning rate'])).toMatchObject({ name: 'RangeError', code: 'ERR_OPTION' });
    expect(thrown(c['NaN learning rate']).message).toMatch(/^SGD: expected lr to be a finite number ≥ 0, received NaN/);
    expect(thrown(c['misspelled option close']).message).toMatch(/unknown option 'momentun'; did you mean 'momentum'\?/);
    expect(thrown(c['empty batch']).message).toMatch(/empty batch/);
  });

  it('rejects bad fit options before training starts', async () => {
    for (const backend of BACKENDS) {
      setBackend(backend);
      const model = new Sequential([new Linear(4, 3)]);
      const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
      const before = model.stateDict();
      const data = { x: new Float32Array(8), y: new Int32Array(2) };
      await expect(trainer.fit(data, { validationSplit: 1.5 })).rejects.toMatchObject({ code: 'ERR_OPTION' });
      await expect(trainer.fit(data, { epoch: 3 } as never)).rejects.toThrow(/unknown option 'epoch'; did you mean 'epochs'/);
      await expect(trainer.fit(data, { batchSize: 0 })).rejects.toMatchObject({ code: 'ERR_OPTION' });
      await expect(trainer.fit({ x: data.x, y: new Int32Array([0, 5]) })).rejects.toMatchObject({ code: 'ERR_SHAPE' });
      expect(model.stateDict()).toEqual(before);
    }
  });

  it('rejects an explicit backend name that does not exist', async () => {
    await expect(loadBackend('cuda' as never)).rejects.toMatchObject({ code: 'ERR_OPTION' });
  });
});
