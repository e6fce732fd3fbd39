// A few training steps on made-up data (two interleaved spirals): enough to see the loss fall.
import { Adam, Linear, manualSeed, ReLU, Sequential, Trainer } from 'descent-nn';

export function demo(steps = 60) {
  manualSeed(1);
  const n = 256, x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = (i >> 1) / (n / 2), t = 3 * Math.PI * r + (i % 2) * Math.PI;
    x.set([r * Math.cos(t), r * Math.sin(t)], i * 2);
    y[i] = i % 2;
  }
  const model = new Sequential([new Linear(2, 64), new ReLU(), new Linear(64, 64), new ReLU(), new Linear(64, 2)]);
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
  const first = trainer.step(x, y);
  let last = first;
  for (let i = 1; i < steps; i++) last = trainer.step(x, y);
  return `loss ${first.toFixed(3)} → ${last.toFixed(3)}`;
}
