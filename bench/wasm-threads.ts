/**
 * `npm run bench:wasm-threads`: the threaded wasm module against itself at 1 thread and against the
 * single-threaded module, side by side in one run: GEMM 512³ (nn), the first dense layer's forward GEMM
 * (128×256×784, nt) and training MLP 784-256-128-10 (ReLU, Adam, batch 128). The variants are measured in
 * interleaved rounds (single, 1 thread, 2 threads, single, …) so load that comes and goes on a shared machine
 * hits them alike; each result is the median over rounds of each round's median. Prints the load average at the
 * start and the end.
 *
 *   npm run bench:wasm-threads -- [--rounds 5] [--time ms]
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadBackend, setBackend, setThreads } from '../src/index.js';
import { wasmBackendFromInstance, type WasmBackend } from '../src/backends/wasm.js';
import type { Backend } from '../src/backends/types.js';
import { fill, TRAIN_TRIALS, trainTrial } from './shapes.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, time: { type: 'string', default: '300' } },
});
const ROUNDS = Number(args.rounds), TIME_MS = Number(args.time);

/** Median time per call (ms) of `fn` over about TIME_MS, after a short warm-up. */
function medianMs(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const end = performance.now() + TIME_MS;
  while (times.length < 5 || performance.now() < end) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

interface Variant {
  name: string;
  backend: Backend;
  threads: number;
}

interface Trial {
  name: string;
  unit: string;
  /** Work per call in the unit's numerator. */
  work: number;
  make(backend: Backend): { run: () => void; dispose: () => void };
}

const MLP = TRAIN_TRIALS.find((t) => t.name.startsWith('mlp 784-256-128-10'))!;

const TRIALS: Trial[] = [
  {
    name: 'gemm 512x512x512 (nn)', unit: 'GFLOP/s', work: (2 * 512 ** 3) / 1e9,
    make: (b) => {
      const a = b.alloc(512 * 512), bb = b.alloc(512 * 512), c = b.alloc(512 * 512);
      fill(a.data, 1);
      fill(bb.data, 2);
      return { run: () => b.k.gemm_f32(0, 0, 512, 512, 512, 1, a, bb, 0, c), dispose: () => [a, bb, c].forEach((x) => b.free(x)) };
    },
  },
  {
    name: 'gemm 128x256x784 (nt)', unit: 'GFLOP/s', work: (2 * 128 * 256 * 784) / 1e9,
    make: (b) => {
      const a = b.alloc(128 * 784), bb = b.alloc(256 * 784), c = b.alloc(128 * 256);
      fill(a.data, 1);
      fill(bb.data, 2);
      return { run: () => b.k.gemm_f32(0, 1, 128, 256, 784, 1, a, bb, 0, c), dispose: () => [a, bb, c].forEach((x) => b.free(x)) };
    },
  },
  {
    name: `train ${MLP.name} batch ${MLP.batch}`, unit: 'samples/s', work: MLP.batch,
    make: (b) => {
      setBackend(b);
      const { model, step } = trainTrial(MLP);
      return { run: step, dispose: () => model.dispose() };
    },
  },
];

/** The single-threaded module of the same SIMD flavour as `threaded`, as its own backend. */
function singleModule(threaded: WasmBackend): Backend {
  const file = fileURLToPath(new URL(`../wasm/${threaded.relaxed ? 'descent-relaxed.wasm' : 'descent.wasm'}`, import.meta.url));
  const abort = () => {
    throw new Error('descent.wasm aborted');
  };
  return wasmBackendFromInstance(new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { abort } }), threaded.relaxed);
}

const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');
const threaded = (await loadBackend('wasm')) as WasmBackend;
if (!threaded.threaded) throw new Error(`the threaded wasm module did not load: ${threaded.detail}`);
const variants: Variant[] = [
  { name: 'single-threaded module', backend: singleModule(threaded), threads: 1 },
  { name: 'threaded module, 1 thread', backend: threaded, threads: 1 },
  { name: 'threaded module, 2 threads', backend: threaded, threads: 2 },
];
console.log(`# Node ${process.version}, ${threaded.relaxed ? 'relaxed-simd' : 'simd128'}; load average at start: ${load()}; ${ROUNDS} interleaved rounds`);
const rows: string[][] = [];
for (const trial of TRIALS) {
  const perVariant = variants.map((v) => ({ v, made: trial.make(v.backend), rates: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const entry of perVariant) {
      setThreads(entry.v.threads);
      entry.rates.push(trial.work / (medianMs(entry.made.run) / 1000));
    }
  }
  for (const entry of perVariant) entry.made.dispose();
  const med = perVariant.map((e) => e.rates.sort((a, b) => a - b)[e.rates.length >> 1]);
  rows.push([trial.name, trial.unit, ...med.map((m) => m.toFixed(trial.unit === 'samples/s' ? 0 : 1)), `${(med[1] / med[0]).toFixed(2)}×`, `${(med[2] / med[1]).toFixed(2)}×`]);
}
setThreads(2);
console.log(`# load average at end: ${load()}`);
console.log(`| trial | unit | ${variants.map((v) => v.name).join(' | ')} | 1 thread / single | 2 threads / 1 thread |`);
console.log(`|---|---|${variants.map(() => '---').join('|')}|---|---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
