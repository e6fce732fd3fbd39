/**
 * Training allocates nothing per step: after the first step sizes the buffers, further steps (including a
 * smaller last batch) make no backend allocation. And fit yields to the event loop while it trains.
 */
import { describe, expect, it } from 'vitest';
import { Adam, Linear, manualSeed, ReLU, Sequential, setBackend, Trainer, type Backend } from '../src/index.js';
import { ProgressBar } from '../src/progress.js';
import { BACKENDS, randn, rng } from './helpers.js';

function counting(backend: Backend) {
  let allocs = 0;
  const wrapped: Backend = {
    ...backend,
    alloc: (n) => (allocs++, backend.alloc(n)),
    allocI32: (n) => (allocs++, backend.allocI32(n)),
  };
  return { wrapped, count: () => allocs };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('steady-state training on %s', (_name, backend) => {
  it('makes no backend allocation after the first step', () => {
    const { wrapped, count } = counting(backend);
    setBackend(wrapped);
    manualSeed(1);
    const model = new Sequential([new Linear(20, 32), new ReLU(), new Linear(32, 5)]);
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { amsgrad: true }), loss: 'crossEntropy' });
    const r = rng(2);
    const x = randn(r, 64 * 20), y = Int32Array.from({ length: 64 }, () => r.int(5));
    trainer.step(x, y);
    trainer.evaluate(x, y);
    const after = count();
    for (let i = 0; i < 10; i++) trainer.step(x, y);
    trainer.step(x.subarray(0, 7 * 20), y.subarray(0, 7));
    trainer.evaluate(x, y);
    expect(count() - after).toBe(0);
    setBackend(backend);
  });

  it('fit yields to the event loop within long epochs and after every epoch', async () => {
    setBackend(backend);
    manualSeed(2);
    const model = new Sequential([new Linear(8, 16), new ReLU(), new Linear(16, 3)]);
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
    const r = rng(3);
    const x = randn(r, 64 * 8), y = Int32Array.from({ length: 64 }, () => r.int(3));
    let fired = 0;
    const seenAtEpochEnd: number[] = [];
    setImmediate(() => fired++);
    await trainer.fit({ x, y }, {
      epochs: 2, batchSize: 16, progress: false,
      callbacks: { onEpochEnd: () => { seenAtEpochEnd.push(fired); setImmediate(() => fired++); } },
    });
    expect(seenAtEpochEnd).toEqual([1, 2]);
  });
});

describe('progress bar', () => {
  it('redraws one line with ETA, loss, accuracy and samples/s on a TTY, and summaries elsewhere', () => {
    const out: string[] = [];
    const tty = { isTTY: true, columns: 120, write: (s: string) => void out.push(s) };
    const bar = new ProgressBar(tty, 5);
    bar.update(2, 10, 40, 2.0, 0.4567, 0.875, 1280, true);
    expect(out[0]).toMatch(/^\repoch 2\/5 █+░+ 10\/40 loss 0\.4567 acc 87\.5% 640 samples\/s ETA 6\.0s/);
    bar.epochEnd('epoch 2/5  loss 0.4000');
    expect(out[1]).toBe('\repoch 2/5  loss 0.4000\x1b[K\n');
    const plain: string[] = [];
    const pipe = new ProgressBar({ isTTY: false, write: (s: string) => void plain.push(s) }, 5);
    pipe.update(1, 1, 2, 1, 1, undefined, 10, true);
    pipe.epochEnd('summary');
    expect(plain).toEqual(['summary\n']);
  });
});
