/**
 * `npm run bench:wasm-threads`: the threaded wasm module against itself at 1 thread and against the
 * single-threaded module, side by side in one run: GEMM 512³ (nn), the first dense layer's forward GEMM
 * (128×256×784, nt), training MLP 784-256-128-10 (ReLU, Adam, batch 128) and CNN-S (batch 128). The variants are measured in
 * interleaved rounds (single, 1 thread, 2 threads, single, …) so load that comes and goes on a shared machine
 * hits them alike; each result is the median over rounds of each round's median. Prints the load average at the
 * start and the end. `--chromium` then runs the threaded module's trials on 1 and 2 threads in a Web Worker of a
 * cross-origin-isolated page in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH), the same way.
 *
 *   npm run bench:wasm-threads -- [--rounds 5] [--time ms] [--chromium]
 */
import { loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadBackend, setBackend, setThreads } from '../src/index.js';
import { wasmBackendFromInstance, type WasmBackend } from '../src/backends/wasm.js';
import type { Backend } from '../src/backends/types.js';
import { fill, TRAIN_TRIALS, trainTrial } from './shapes.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, time: { type: 'string', default: '300' }, chromium: { type: 'boolean', default: false } },
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
const CNN_S = TRAIN_TRIALS.find((t) => t.name.startsWith('cnn-s '))!;

/** Training steps of a bench/shapes.ts network on the trial's backend. */
function training(t: (typeof TRAIN_TRIALS)[number]): Trial {
  return {
    name: `train ${t.name} batch ${t.batch}`, unit: 'samples/s', work: t.batch,
    make: (b) => {
      setBackend(b);
      const { model, step } = trainTrial(t);
      return { run: step, dispose: () => model.dispose() };
    },
  };
}

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
  training(MLP),
  training(CNN_S),
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

/**
 * The Chromium half: dist/ served with COOP/COEP (so the page is cross-origin isolated), a module Web Worker that
 * loads the package and runs the trials (threaded module, 1 and 2 threads, interleaved rounds), the table printed.
 */
async function chromiumTrials(): Promise<void> {
  const { chromium } = await import('playwright-core');
  const dist = fileURLToPath(new URL('../', import.meta.url));
  const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const path = normalize(join(dist, new URL(req.url ?? '/', 'http://x').pathname));
    const page = path === normalize(join(dist, 'bench.html'));
    if (!page && (!path.startsWith(dist) || !existsSync(path))) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.end(page ? '<!doctype html><meta charset="utf-8">' : readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bench.html`);
    const result = (await page.evaluate(`new Promise((resolve) => {
      const worker = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(CHROMIUM_WORKER)}], { type: 'text/javascript' })), { type: 'module' });
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => resolve({ error: event.message });
      worker.postMessage({ origin: location.origin, rounds: ${ROUNDS}, time: ${TIME_MS} });
    })`)) as { error?: string; version: string; detail: string; rows: [string, string, number, number][] };
    if (result.error) throw new Error(`in Chromium: ${result.error}`);
    console.log(`\n# Chromium ${browser.version()} (Web Worker, cross-origin isolated): ${result.detail}; load average now: ${load()}`);
    console.log('| trial | unit | threaded module, 1 thread | threaded module, 2 threads | 2 threads / 1 thread |');
    console.log('|---|---|---|---|---|');
    for (const [name, unit, one, two] of result.rows) console.log(`| ${name} | ${unit} | ${one.toFixed(unit === 'samples/s' ? 0 : 1)} | ${two.toFixed(unit === 'samples/s' ? 0 : 1)} | ${(two / one).toFixed(2)}× |`);
  } finally {
    await browser.close();
    server.close();
  }
}

/** The worker's script: the same trials and protocol as in Node, through the built package. */
const CHROMIUM_WORKER = `
self.onmessage = async ({ data: { origin, rounds, time } }) => {
  try {
    const d = await import(origin + '/src/index.js');
    const { fill, TRAIN_TRIALS, trainTrial } = await import(origin + '/bench/shapes.js');
    const b = await d.loadBackend('wasm');
    d.setThreads(2);
    for (let i = 0; i < 250 && b.workersRunning < 1; i++) await new Promise((r) => setTimeout(r, 20));
    const medianMs = (fn) => {
      for (let i = 0; i < 3; i++) fn();
      const ts = [], end = performance.now() + time;
      while (ts.length < 5 || performance.now() < end) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
      return ts.sort((x, y) => x - y)[ts.length >> 1];
    };
    const gemm = (ta, tb, m, n, k) => {
      const a = b.alloc(m * k), bb = b.alloc(n * k), c = b.alloc(m * n);
      fill(a.data, 1); fill(bb.data, 2);
      return { run: () => b.k.gemm_f32(ta, tb, m, n, k, 1, a, bb, 0, c), dispose: () => [a, bb, c].forEach((x) => b.free(x)) };
    };
    const training = (prefix) => {
      const t = TRAIN_TRIALS.find((x) => x.name.startsWith(prefix));
      return ['train ' + t.name + ' batch ' + t.batch, 'samples/s', t.batch, () => { d.setBackend(b); const { model, step } = trainTrial(t); return { run: step, dispose: () => model.dispose() }; }];
    };
    const trials = [
      ['gemm 512x512x512 (nn)', 'GFLOP/s', 2 * 512 ** 3 / 1e9, () => gemm(0, 0, 512, 512, 512)],
      ['gemm 128x256x784 (nt)', 'GFLOP/s', 2 * 128 * 256 * 784 / 1e9, () => gemm(0, 1, 128, 256, 784)],
      training('mlp 784-256-128-10'),
      training('cnn-s '),
    ];
    const rows = [];
    for (const [name, unit, work, make] of trials) {
      const made = make(), rates = [[], []];
      for (let r = 0; r < rounds; r++) for (const t of [1, 2]) { d.setThreads(t); rates[t - 1].push(work / (medianMs(made.run) / 1000)); }
      made.dispose();
      const med = rates.map((x) => x.sort((p, q) => p - q)[x.length >> 1]);
      rows.push([name, unit, med[0], med[1]]);
    }
    d.setThreads(2);
    self.postMessage({ detail: b.detail, rows });
  } catch (error) {
    self.postMessage({ error: String((error && error.stack) || error) });
  }
};`;

if (args.chromium) await chromiumTrials();
