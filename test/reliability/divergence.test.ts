/**
 * Issue 12, defect 10 on every backend: fit stops at the first non-finite loss with ERR_NONFINITE naming the first
 * non-finite layer, keeps the weights from before the failing step, and can be told to train on; step() still
 * returns NaN like PyTorch.
 */
import { describe, expect, it } from 'vitest';
import { Linear, manualSeed, ReLU, Sequential, setBackend, SGD, Trainer } from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';
import { expectCodeAsync, weightBytes } from './helpers.js';

function setup(lr: number) {
  manualSeed(7);
  const model = new Sequential([new Linear(4, 16), new ReLU(), new Linear(16, 1)]);
  const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr }), loss: 'mse' });
  const r = rng(8);
  const data = { x: randn(r, 64 * 4, 3), y: randn(r, 64, 100) };
  return { model, trainer, data };
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('divergence on %s', (_name, backend) => {
  it('fit throws ERR_NONFINITE at the first non-finite loss, naming the layer, weights from before that step', async () => {
    setBackend(backend);
    const { model, trainer, data } = setup(1e9);
    let lastGood = '';
    const error = await expectCodeAsync(
      trainer.fit(data, { epochs: 50, batchSize: 8, progress: false, callbacks: { onBatchEnd: () => void (lastGood = weightBytes(model)) } }),
      'ERR_NONFINITE',
      /Trainer\.fit: the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+; first non-finite: (weight|activation|loss) \S+/,
    );
    const d = (error as unknown as { divergence: { epoch: number; where: { layer: number } | null } }).divergence;
    expect(d.where).not.toBeNull();
    expect(d.where!.layer).toBeGreaterThanOrEqual(0);
    // No optimizer step ran on the non-finite loss: the weights are those after the last good batch.
    expect(weightBytes(model)).toBe(lastGood);
    model.dispose();
  });

  it('stopOnNonFinite: false trains on through NaN (the old behaviour), and step() returns NaN', async () => {
    setBackend(backend);
    const { model, trainer, data } = setup(1e9);
    const history = await trainer.fit(data, { epochs: 3, batchSize: 8, progress: false, stopOnNonFinite: false });
    expect(history.loss).toHaveLength(3);
    expect(Number.isFinite(history.loss[2])).toBe(false);
    expect(Number.isNaN(trainer.step(data.x.subarray(0, 8), data.y.subarray(0, 2)))).toBe(true);
    model.dispose();
  });

  it('a healthy run is untouched by the check', async () => {
    setBackend(backend);
    const { model, trainer, data } = setup(1e-4);
    const history = await trainer.fit(data, { epochs: 2, batchSize: 8, progress: false });
    expect(history.loss.every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
