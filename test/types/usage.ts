// Compile-only: the published .d.ts must type real usage through the package's own name.
import * as d from 'descent-nn';
import { Adam, init, Linear, loadBackend, ReLU, Sequential, Trainer, type Backend, type History } from 'descent-nn';

async function main(): Promise<History> {
  const backend: Backend = await loadBackend('auto');
  const name: 'native' | 'wasm' | 'js' = backend.name;
  void name;
  const model = new Sequential([new Linear(4, 8, { init: init.kaimingNormal({ a: 0.1 }) }), new ReLU(), new Linear(8, 3, { init: 'xavier' })]);
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.99] }), loss: 'crossEntropy' });
  const loss: number = trainer.step(new Float32Array(8), new Int32Array(2));
  // A classification trainer's evaluate() always has accuracy (the README's code compiles under --strict).
  const { accuracy } = trainer.evaluate(new Float32Array(8), new Int32Array(2));
  accuracy.toFixed(2);
  const regression = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'mse' });
  // @ts-expect-error: mse reports no accuracy
  regression.evaluate(new Float32Array(8), new Float32Array(6)).accuracy;
  void loss;
  await loadBackend('wasm', { wasm: new URL('./descent.wasm', import.meta.url) });
  const source: d.WasmSource = new Uint8Array(8);
  await loadBackend('auto', { wasm: source });
  const infos: d.BackendInfo[] = await d.availableBackends();
  void infos;
  // @ts-expect-error: unknown loss names are a type error too
  new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'hinge' });
  // @ts-expect-error: betas is a pair
  new Adam(model.parameters(), { betas: 0.9 });
  const bn = new d.BatchNorm1d(8, { momentum: null, trackRunningStats: true });
  const regularised = new Sequential([new Linear(4, 8), bn, new ReLU(), new d.Dropout(0.3, { rng: new d.Rng(1) }), new Linear(8, 3)]).eval();
  const tracked: number = bn.numBatchesTracked;
  void regularised, tracked;
  // @ts-expect-error: momentum is a number or null
  new d.BatchNorm2d(3, { momentum: 'fast' });
  return trainer.fit({ x: new Float32Array(8), y: new Int32Array(2) }, { epochs: 1 });
}
void main;
