/**
 * Issue 12, defects 1 and 3 on every backend: every use of a disposed model, trainer, optimizer or parameter throws
 * ERR_STATE naming the call (and never touches another model's memory), and a failed buffer growth is a coded
 * error that leaves the model usable, with the same 1 GiB buffer limit on every backend.
 */
import { describe, expect, it } from 'vitest';
import { Adam, clipGradNorm, Linear, manualSeed, ReLU, Sequential, setBackend, SGD, Trainer, type StateDict } from '../../src/index.js';
import { MAX_BUFFER_ELEMENTS } from '../../src/backends/memory.js';
import { BACKENDS, randn, rng } from '../helpers.js';
import { expectCode, weightBytes } from './helpers.js';

const mlp = () => new Sequential([new Linear(4, 8), new ReLU(), new Linear(8, 3)]);

function sevens(model: Sequential): StateDict {
  const sd = model.stateDict();
  for (const e of Object.values(sd)) e.data.fill(7);
  return sd;
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('use after dispose on %s', (_name, backend) => {
  it('a disposed model rejects every call with ERR_STATE and leaves a newer model alone', () => {
    setBackend(backend);
    manualSeed(3);
    const a = mlp();
    const params = a.parameters();
    const optimizer = new Adam(params, { lr: 0.1 });
    const trainer = new Trainer(a, { optimizer, loss: 'crossEntropy' });
    const loaded = sevens(a);
    a.dispose();
    const b = mlp();
    const before = weightBytes(b);
    expectCode(() => a.loadStateDict(loaded), 'ERR_STATE', 'Sequential.loadStateDict');
    expectCode(() => a.stateDict(), 'ERR_STATE', 'Sequential.stateDict');
    expectCode(() => a.zeroGrad(), 'ERR_STATE', 'Sequential.zeroGrad');
    expectCode(() => a.forward(new Float32Array(4)), 'ERR_STATE', 'Sequential.forward');
    expectCode(() => a.parameters(), 'ERR_STATE', 'Sequential.parameters');
    expectCode(() => params[0].data.fill(7), 'ERR_STATE', '0.weight');
    expectCode(() => params[1].grad, 'ERR_STATE', '0.bias');
    expectCode(() => clipGradNorm(params, 1), 'ERR_STATE');
    expectCode(() => optimizer.step(), 'ERR_STATE', 'Adam.step');
    expectCode(() => optimizer.zeroGrad(), 'ERR_STATE', 'Adam.zeroGrad');
    expectCode(() => new SGD(params).step(), 'ERR_STATE', 'SGD.step');
    expectCode(() => trainer.step(new Float32Array(4), Int32Array.of(1)), 'ERR_STATE', 'Trainer.step');
    expectCode(() => trainer.predict(new Float32Array(4)), 'ERR_STATE', 'Trainer.predict');
    expectCode(() => new Trainer(a, { optimizer: new SGD(b.parameters()), loss: 'mse' }), 'ERR_STATE', 'Trainer');
    expect(weightBytes(b)).toBe(before);
    // The allocator still works for everyone else.
    const c = mlp();
    expect(c.forward(randn(rng(1), 8), 2)).toHaveLength(6);
    b.dispose();
    c.dispose();
  });

  it('a disposed trainer or optimizer throws ERR_STATE naming the call', () => {
    setBackend(backend);
    const model = mlp();
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy' });
    const x = randn(rng(2), 8), y = Int32Array.of(0, 2);
    trainer.step(x, y);
    trainer.dispose();
    expectCode(() => trainer.step(x, y), 'ERR_STATE', 'Trainer.step');
    expectCode(() => trainer.evaluate(x, y), 'ERR_STATE', 'Trainer.evaluate');
    const t2 = new Trainer(model, { optimizer, loss: 'crossEntropy' });
    optimizer.dispose();
    expectCode(() => optimizer.step(), 'ERR_STATE', 'SGD.step');
    expectCode(() => optimizer.stateDict(), 'ERR_STATE', 'SGD.stateDict');
    expectCode(() => t2.step(x, y), 'ERR_STATE', 'Trainer.step');
    // The model itself is still fine.
    expect(model.forward(x)).toHaveLength(6);
    model.dispose();
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('failed buffer growth on %s', (_name, backend) => {
  it('an oversized batch is ERR_MEMORY and the model keeps working, with the same limit everywhere', () => {
    setBackend(backend);
    manualSeed(4);
    const model = new Sequential([new Linear(1, 2 ** 20)]);
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    const small = bytes(model.forward(Float32Array.of(0.5)));
    // 4096 rows × 2²⁰ outputs = 16 GiB: over the 1 GiB buffer limit on every backend, rejected before allocating.
    expectCode(() => model.forward(new Float32Array(4096), 4096), 'ERR_MEMORY', /exceed the largest block/);
    expect(bytes(model.forward(Float32Array.of(0.5)))).toBe(small);
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters()), loss: 'mse' });
    expectCode(() => trainer.predict(new Float32Array(4096)), 'ERR_MEMORY');
    expect(bytes(trainer.predict(Float32Array.of(0.5)))).toBe(small);
    expectCode(() => backend.alloc(MAX_BUFFER_ELEMENTS + 1), 'ERR_MEMORY');
    model.dispose();
  });
});
