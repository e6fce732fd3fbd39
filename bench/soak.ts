/**
 * `npm run soak` (not in CI): trains a small MLP for many steps on each backend and reports the process RSS and the
 * wasm heap at intervals, to show that steady-state training neither leaks nor grows. Each step is a full
 * Trainer.step (forward, fused loss, backward, Adam); every 1,000 steps a model, optimizer and trainer are also
 * created and dropped without dispose() (their wasm memory must come back through the FinalizationRegistry).
 *
 *   npm run soak -- [--steps 100000] [--backends native,wasm,js] [--json]
 */
import { parseArgs } from 'node:util';
import { Adam, availableBackends, Linear, loadBackend, manualSeed, ReLU, Rng, Sequential, setBackend, Trainer, type Backend } from '../src/index.js';
import type { WasmBackend } from '../src/backends/wasm.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '100000' },
    backends: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
if (!Number.isInteger(steps) || steps < 1000) throw new Error(`--steps expects an integer ≥ 1000, received ${args.steps}`);

const MB = 2 ** 20;
const heap = (b: Backend) => (b.name === 'wasm' ? (b as WasmBackend).memory.buffer.byteLength : 0);

function build(): { model: Sequential; trainer: Trainer } {
  const model = new Sequential([new Linear(64, 128), new ReLU(), new Linear(128, 10)]);
  return { model, trainer: new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' }) };
}

async function soak(backend: Backend): Promise<Record<string, number | string>> {
  setBackend(backend);
  manualSeed(1);
  const r = new Rng(2);
  const batch = 32;
  const x = Float32Array.from({ length: batch * 64 }, () => r.normal());
  const y = Int32Array.from({ length: batch }, () => r.int(10));
  const { model, trainer } = build();
  const samples: { step: number; rss: number; heap: number }[] = [];
  const started = performance.now();
  let loss = 0;
  for (let step = 1; step <= steps; step++) {
    loss = trainer.step(x, y);
    if (step % 1000 === 0) {
      build().trainer.step(x, y); // dropped without dispose()
      // V8 does not count wasm memory as heap pressure; with --expose-gc (npm run soak) collect explicitly.
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setImmediate(resolve)); // let finalizers run
    }
    if (step === 1000 || step % (steps / 10) === 0) samples.push({ step, rss: process.memoryUsage().rss, heap: heap(backend) });
  }
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  const first = samples[0], last = samples[samples.length - 1];
  const result = {
    backend: backend.name,
    steps,
    seconds: Number(seconds.toFixed(1)),
    finalLoss: Number(loss.toFixed(6)),
    rssAfter1kMB: Number((first.rss / MB).toFixed(1)),
    rssEndMB: Number((last.rss / MB).toFixed(1)),
    rssMaxMB: Number((Math.max(...samples.map((s) => s.rss)) / MB).toFixed(1)),
    wasmHeapAfter1kMB: Number((first.heap / MB).toFixed(2)),
    wasmHeapEndMB: Number((last.heap / MB).toFixed(2)),
  };
  if (args.json) console.log(JSON.stringify(result));
  else {
    console.log(`${backend.name}: ${steps} steps in ${result.seconds}s, loss ${result.finalLoss}; RSS ${result.rssAfter1kMB} MB after 1k steps → ${result.rssEndMB} MB at the end (max ${result.rssMaxMB})${backend.name === 'wasm' ? `; wasm heap ${result.wasmHeapAfter1kMB} → ${result.wasmHeapEndMB} MB` : ''}`);
    for (const s of samples) console.log(`  step ${String(s.step).padStart(7)}  RSS ${(s.rss / MB).toFixed(1).padStart(7)} MB${backend.name === 'wasm' ? `  wasm heap ${(s.heap / MB).toFixed(2)} MB` : ''}`);
  }
  return result;
}

const wanted = args.backends?.split(',');
for (const info of await availableBackends()) {
  if (!info.available || (wanted && !wanted.includes(info.name))) continue;
  await soak(await loadBackend(info.name));
}
