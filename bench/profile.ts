/**
 * `npm run bench:profile`: where one training step of the MLP 784-256-128-10 (ReLU, Adam, batch 128) spends its
 * time on a backend, per step: GEMMs (fused epilogues and the bias gradient included), elementwise kernels (loss), the
 * optimizer step, the fixed cost of the JS→kernel crossings, and the rest (JavaScript in the trainer, layers and
 * adapters). Kernel times come from wrapping every kernel of `backend.k` with a timer; the crossing cost is an
 * empty kernel call (relu_fwd_f32 with n = 0) timed on its own, times the calls per step, and is taken out of the
 * kernel rows. Unwrapped and wrapped runs alternate over 7 rounds (medians), so both see the same machine load. Also prints the FLOP limit at a measured GEMM peak.
 *
 * `--model cnn-s` (or `2conv`) profiles a CNN of bench/shapes.ts instead, one row per kernel (conv, pooling and
 * activation kernels each have their own row), without the FLOP-limit line; `--per-kernel` gives the MLP one row per
 * kernel too.
 *
 *   npm run bench:profile -- [--backend native] [--threads 1] [--batch 128] [--steps 300] [--fuse true] [--model mlp] [--per-kernel]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBackend, setBackend, setThreads, type BackendName } from '../src/index.js';
import { fill, trainTrial, TRAIN_TRIALS } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '300' },
    fuse: { type: 'string', default: 'true' },
    model: { type: 'string', default: 'mlp' },
    'per-kernel': { type: 'boolean', default: false },
  },
});
const loadBefore = loadavg();
const backend = await loadBackend(args.backend as BackendName);
setBackend(backend);
setThreads(Number(args.threads)); // native's pool, and the wasm team where the module is threaded
const found = TRAIN_TRIALS.find((t) => t.name.startsWith(args.model === 'mlp' ? 'mlp 784' : `${args.model} `));
if (!found) throw new Error(`--model: one of mlp, ${TRAIN_TRIALS.filter((t) => t.cnn).map((t) => t.name.split(' ')[0]).join(', ')}`);
const trial = { ...found, batch: Number(args.batch) };
const perKernel = trial.cnn !== undefined || args['per-kernel'];
const steps = Number(args.steps);
const { model, step } = trainTrial(trial, args.fuse !== 'false');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// Per-kernel times: every kernel wrapped with a timer. Rounds alternate unwrapped and wrapped runs (the machine
// is shared: both see the same load), and each figure is the median over the rounds.
const k = backend.k as unknown as Record<string, (...a: unknown[]) => void>;
const originals = Object.fromEntries(Object.keys(k).map((name) => [name, k[name]]));
let timerUs = 0;
{
  // The wrapper's own cost (two clock reads), taken out of each timed call.
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) performance.now();
  timerUs = ((performance.now() - t0) * 1000) / 100_000;
}
const wrapped: Record<string, (...a: unknown[]) => void> = {};
let total: Record<string, number> = {};
const calls: Record<string, number> = {};
for (const name of Object.keys(originals)) {
  const fn = originals[name];
  wrapped[name] = (...a: unknown[]) => {
    const t0 = performance.now();
    fn(...a);
    total[name] = (total[name] ?? 0) + (performance.now() - t0) * 1000 - timerUs;
    calls[name] = (calls[name] ?? 0) + 1;
  };
}
for (let i = 0; i < 20; i++) step();
const stepRounds: number[] = [], kernelRounds: Record<string, number>[] = [];
for (let r = 0; r < 7; r++) {
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  stepRounds.push(((performance.now() - t0) * 1000) / steps);
  Object.assign(k, wrapped);
  total = {};
  for (const name of Object.keys(calls)) calls[name] = 0;
  t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  Object.assign(k, originals);
  kernelRounds.push(total);
}
const stepUs = median(stepRounds);
for (const name of Object.keys(calls)) total[name] = median(kernelRounds.map((t) => t[name] ?? 0));

// The crossing: an empty kernel call through the adapter (argument checks and the N-API or wasm call).
const x = backend.alloc(16), y = backend.alloc(16);
const crossRounds: number[] = [];
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) backend.k.relu_fwd_f32(0, x, y);
  crossRounds.push(((performance.now() - t0) * 1000) / 100_000);
}
const crossingUs = median(crossRounds);

const category = (name: string) =>
  perKernel
    ? name
    : name.startsWith('gemm') || name === 'linear_bwd_f32'
      ? 'GEMM (fused epilogues and the bias gradient included)'
      : name.endsWith('_step_f32')
        ? 'optimizer (one fused Adam call)'
        : 'elementwise (loss, activations)';
const rows = new Map<string, { us: number; calls: number; kernels: Set<string> }>();
let kernelCalls = 0;
for (const name of Object.keys(total)) {
  if (!calls[name]) continue;
  const c = category(name), row = rows.get(c) ?? { us: 0, calls: 0, kernels: new Set() };
  row.us += (total[name] - calls[name] * crossingUs) / steps;
  row.calls += calls[name] / steps;
  row.kernels.add(`${name}×${calls[name] / steps}`);
  rows.set(c, row);
  kernelCalls += calls[name] / steps;
}
const crossings = kernelCalls * crossingUs;
const accounted = [...rows.values()].reduce((s, r) => s + r.us, 0) + crossings;

// The FLOP limit: 6 FLOP per weight per sample (forward, weight gradient, input gradient; the first layer skips
// its input gradient) at the GEMM rate of the dense layer's largest product measured right here.
const sizes = trial.layers;
let flop = 0;
for (let i = 0; i + 1 < sizes.length; i++) flop += (i === 0 ? 4 : 6) * sizes[i] * sizes[i + 1];
const [m, n, kk] = [trial.batch, sizes[1], sizes[0]];
const A = backend.alloc(m * kk), B = backend.alloc(n * kk), C = backend.alloc(m * n);
fill(A.data, 1);
fill(B.data, 2);
const gemmRounds: number[] = [];
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) backend.k.gemm_f32(0, 1, m, n, kk, 1, A, B, 0, C);
  gemmRounds.push((2 * m * n * kk * 200) / ((performance.now() - t0) / 1000) / 1e9);
}
const peak = median(gemmRounds);

const pct = (us: number) => `${((100 * us) / stepUs).toFixed(1)} %`;
const what = perKernel ? trial.name : `MLP ${sizes.join('-')}`;
console.log(`# ${backend.name} (${backend.detail}), ${args.threads} thread(s), ${what} batch ${trial.batch}, Adam, fuse ${args.fuse}; ${new Date().toISOString()}`);
console.log(`# load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`| part of a step | µs/step | share | calls/step |`);
console.log(`|---|---|---|---|`);
for (const [c, r] of [...rows].sort((a, b) => (perKernel ? b[1].us - a[1].us : 0))) console.log(`| ${c}: ${[...r.kernels].join(', ')} | ${r.us.toFixed(1)} | ${pct(r.us)} | ${r.calls} |`);
console.log(`| JS→kernel crossings (${crossingUs.toFixed(3)} µs each) | ${crossings.toFixed(1)} | ${pct(crossings)} | ${kernelCalls} |`);
// The rest is the step minus everything timed: under load the timed rounds can exceed the untimed ones.
const rest = stepUs - accounted;
console.log(`| JavaScript around the kernels (trainer, layers, adapters; the step minus the rows above) | ${rest < 0 ? `≈ 0 (${rest.toFixed(1)}: noise)` : rest.toFixed(1)} | ${rest < 0 ? '—' : pct(rest)} | |`);
console.log(`| **step** | ${stepUs.toFixed(1)} | ${(trial.batch / (stepUs / 1e6)).toFixed(0)} samples/s | |`);
const limit = peak * 1e9 / flop;
if (!perKernel) console.log(`# FLOP limit: ${(flop / 1e6).toFixed(2)} MFLOP/sample at ${peak.toFixed(0)} GFLOP/s (gemm nt ${m}x${n}x${kk} here) = ${limit.toFixed(0)} samples/s; this step reaches ${((100 * trial.batch) / (stepUs / 1e6) / limit).toFixed(0)} %`);
model.dispose();
