#!/usr/bin/env node
/**
 * The main job (`npm start`): trains an MLP 64-128-64-10 (ReLU, Kaiming init, Adam) on the bundled 8×8 digits
 * with a seeded 80/20 split, on the fastest backend that loads, and reports test accuracy and samples/s.
 */
import { Adam, Linear, loadBackend, manualSeed, ReLU, Rng, Sequential, Trainer } from '../index.js';
import { loadDigits, splitRows } from '../data/digits.js';

const backend = await loadBackend();
console.log(`descent: backend ${backend.name} (${backend.detail})`);
manualSeed(0);
const data = loadDigits();
const { train, test } = splitRows(data, 0.2, (a) => new Rng(42).shuffle(a));
console.log(`digits: ${train.count} training and ${test.count} test images of 8×8 pixels, 10 classes`);

const model = new Sequential([new Linear(64, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10)]);
const optimizer = new Adam(model.parameters(), { lr: 2e-3 });
const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy' });
const started = performance.now();
let samples = 0;
await trainer.fit(
  { x: train.x, y: train.y },
  {
    epochs: 30,
    batchSize: 32,
    seed: 1,
    validationSplit: 0.1,
    progress: true,
    callbacks: { onEpochEnd: (_e, logs) => void (samples += Math.round(logs.samplesPerSecond * logs.seconds)) },
  },
);
const seconds = (performance.now() - started) / 1000;
const { loss, accuracy } = trainer.evaluate(test.x, test.y);
console.log(`test: loss ${loss.toFixed(4)}, accuracy ${(100 * accuracy!).toFixed(2)}% on ${test.count} held-out images`);
console.log(`training: ${samples} samples in ${seconds.toFixed(2)}s = ${Math.round(samples / seconds)} samples/s on ${backend.name}`);
if (accuracy! < 0.95) {
  console.error('test accuracy below 95%');
  process.exitCode = 1;
}
