/**
 * `npm run bench`: every trial on every available backend, side by side in one run (tinybench). Protocol:
 * warm-up, then at least 5 timed repetitions; the median is reported with min and max. Units: GFLOP/s for GEMM
 * (2mnk/t), Gelem/s and GB/s for elementwise kernels, GB/s for the Adam step (28 bytes per parameter: read w, g,
 * m, v; write w, m, v; AMSGrad 36, with max_exp_avg_sq read and written), samples/s and steps/s for training. Batch norm and dropout count compulsory traffic in
 * GB/s: forward 8 bytes per element (x in, y out; dropout also writes its mask: 12), backward 12 (x, dy in, dx out). Prints one table, and with --json one JSON line per
 * result: {kernel, backend, shape, unit, value, min, max, reps}.
 *
 * Convolutions report GFLOP/s of the direct formula (2·n·oc·oh·ow·c·k², the same for all three passes).
 *
 *   npm run bench -- [--backends native,wasm,js] [--only gemm|conv|act|adam|norm|train] [--json] [--time ms]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { availableBackends, loadBackend, setBackend, type Backend } from '../src/index.js';
import { loadAddon } from '../src/backends/native.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams } from '../src/nn/activation-table.js';
import { CONV_TRIALS, ELEMENTWISE_N, fill, GEMM_TRIALS, NORM_TRIALS, TRAIN_TRIALS, trainTrial } from './shapes.js';

interface Result {
  kernel: string;
  backend: string;
  shape: string;
  unit: string;
  value: number;
  min: number;
  max: number;
  reps: number;
}

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    time: { type: 'string', default: '400' },
  },
});
const only = args.only?.split(',');
const want = (group: string) => !only || only.includes(group);
const timeMs = Number(args.time);

/** Runs `fn` under the protocol; `work` is the amount done per call in the reported unit (before division by time). */
async function measure(backend: Backend, kernel: string, shape: string, unit: string, work: number, fn: () => void): Promise<Result> {
  const bench = new Bench({ time: timeMs, iterations: 5, warmupTime: 100, warmupIterations: 2 });
  bench.add(kernel, fn);
  await bench.run();
  const result = bench.tasks[0].result as unknown as { latency: { p50: number; min: number; max: number; samplesCount: number }; state: string; error?: Error };
  if (result.state !== 'completed') throw result.error ?? new Error(`${kernel} on ${backend.name}: ${result.state}`);
  const { p50, min, max, samplesCount } = result.latency;
  // Rates: the fastest repetition gives the max rate, the slowest the min.
  const rate = (ms: number) => work / (ms / 1000);
  return { kernel, backend: backend.name, shape, unit, value: rate(p50), min: rate(max), max: rate(min), reps: samplesCount };
}

async function gemm(backend: Backend): Promise<Result[]> {
  const out: Result[] = [];
  for (const t of GEMM_TRIALS) {
    if (t.skip?.includes(backend.name)) continue;
    const a = backend.alloc(t.m * t.k), b = backend.alloc(t.n * t.k), c = backend.alloc(t.m * t.n);
    fill(a.data, 1);
    fill(b.data, 2);
    // The forward of a dense layer: C = A·Bᵀ with B stored [n, k] like a Linear weight.
    out.push(await measure(backend, 'gemm_f32', `${t.m}x${t.n}x${t.k} (nt)`, 'GFLOP/s', (2 * t.m * t.n * t.k) / 1e9, () => backend.k.gemm_f32(0, 1, t.m, t.n, t.k, 1, a, b, 0, c)));
    for (const buf of [a, b, c]) backend.free(buf);
  }
  return out;
}

async function conv(backend: Backend): Promise<Result[]> {
  const out: Result[] = [];
  for (const t of CONV_TRIALS) {
    const { n, c, h, w, oc, k, p } = t;
    const oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
    const sizes = [n, c, h, w, oc, k, k, 1, 1, p, p, 1, 1, 1, oh, ow] as const;
    const x = backend.alloc(n * c * h * w), wt = backend.alloc(oc * c * k * k), bias = backend.alloc(oc);
    const col = backend.alloc(c * k * k * oh * ow), y = backend.alloc(n * oc * oh * ow), dx = backend.alloc(n * c * h * w);
    const gw = backend.alloc(oc * c * k * k), gb = backend.alloc(oc);
    fill(x.data, 8);
    fill(wt.data, 9);
    fill(y.data, 10);
    // Effective rates: the direct formula's FLOPs over the time, whatever the algorithm (wasm's Winograd does fewer).
    const flops = (2 * n * oc * oh * ow * c * k * k) / 1e9;
    out.push(await measure(backend, 'conv2d_fwd_f32', t.name, 'effective GFLOP/s', flops, () => backend.k.conv2d_fwd_f32(...sizes, x, wt, bias, col, y)));
    out.push(await measure(backend, 'conv2d_bwd_filter_f32', t.name, 'effective GFLOP/s', flops, () => backend.k.conv2d_bwd_filter_f32(...sizes, 0, x, y, col, gw, gb)));
    out.push(await measure(backend, 'conv2d_bwd_data_f32', t.name, 'effective GFLOP/s', flops, () => backend.k.conv2d_bwd_data_f32(...sizes, y, wt, col, dx)));
    // On native, the packed path's rates (Winograd off) for the layers Winograd may take, measured in the same run.
    if (k === 3 && c >= 8 && oc >= 8 && backend.name === 'native') {
      const addon = loadAddon();
      addon.setWinograd('never');
      try {
        out.push(await measure(backend, 'conv2d_fwd_f32', `${t.name} (no Winograd)`, 'GFLOP/s', flops, () => backend.k.conv2d_fwd_f32(...sizes, x, wt, bias, col, y)));
        out.push(await measure(backend, 'conv2d_bwd_data_f32', `${t.name} (no Winograd)`, 'GFLOP/s', flops, () => backend.k.conv2d_bwd_data_f32(...sizes, y, wt, col, dx)));
      } finally {
        addon.setWinograd('auto');
      }
    }
    // The same layer fused with the 2×2 max pool and ReLU that follow it in CNN-S (scratch as Conv2d sizes it):
    // GFLOP/s of the convolution alone, so the pool, ReLU and gradient expansion show as lost rate. The backward
    // row is both gradients (twice the FLOPs), as a layer that is not the first needs them.
    const qh = oh >> 1, qw = ow >> 1, perSample = oc * (oh * ow + qh * qw);
    const chunk = Math.max(1, Math.min(n, Math.floor((1 << 17) / perSample)));
    const scratch = backend.alloc(chunk * perSample), py = backend.alloc(n * oc * qh * qw), idx = backend.allocI32(n * oc * qh * qw);
    const pdy = backend.alloc(n * oc * qh * qw);
    fill(pdy.data, 11);
    const pool = [2, 2, 2, 2, 0, 0, qh, qw] as const;
    out.push(await measure(backend, 'conv2d_max_pool2d_fwd_f32', `${t.name} +pool2+relu`, 'effective GFLOP/s', flops, () => backend.k.conv2d_max_pool2d_fwd_f32(...sizes, ...pool, chunk, 1, x, wt, bias, col, scratch, py, idx)));
    out.push(await measure(backend, 'conv2d_max_pool2d_bwd_f32', `${t.name} +pool2+relu`, 'effective GFLOP/s', 2 * flops, () => backend.k.conv2d_max_pool2d_bwd_f32(...sizes, qh, qw, chunk, 1, 0, x, pdy, idx, py, wt, col, scratch, gw, gb, dx)));
    for (const buf of [x, wt, bias, col, y, dx, gw, gb, scratch, py, pdy]) backend.free(buf);
    backend.free(idx);
  }
  return out;
}

/** Every activation of the table, forward and backward (from the input or the output, as its record says), and the row softmax. */
async function activations(backend: Backend): Promise<Result[]> {
  const n = ELEMENTWISE_N, out: Result[] = [];
  const x = backend.alloc(n), y = backend.alloc(n), dy = backend.alloc(n), dx = backend.alloc(n);
  fill(x.data, 3);
  fill(dy.data, 4);
  x.data.forEach((v, i, a) => (a[i] = 8 * v));
  for (const name of ACTIVATION_NAMES) {
    const spec = ACTIVATION_TABLE[name], p = activationParams('bench', name);
    out.push(await measure(backend, `${name}_fwd_f32`, `${n}`, 'Gelem/s', n / 1e9, () => spec.fwd(backend.k, n, p, x, y)));
    const saved = spec.backwardFrom === 'y' ? y : x;
    out.push(await measure(backend, `${name}_bwd_f32`, `${n}`, 'Gelem/s', n / 1e9, () => spec.bwd(backend.k, n, p, saved, dy, dx)));
  }
  const cols = 1000, rows = Math.floor(n / cols);
  out.push(await measure(backend, 'softmax_fwd_f32', `${rows}x${cols}`, 'Gelem/s', (rows * cols) / 1e9, () => backend.k.softmax_fwd_f32(rows, cols, x, y)));
  for (const buf of [x, y, dy, dx]) backend.free(buf);
  return out;
}

/** Adam over ELEMENTWISE_N parameters, and AMSGrad (which also reads and writes max_exp_avg_sq: 36 bytes a parameter). */
async function adam(backend: Backend): Promise<Result[]> {
  const n = ELEMENTWISE_N, out: Result[] = [];
  for (const amsgrad of [false, true]) {
    const w = backend.alloc(n), g = backend.alloc(n), m = backend.alloc(n), v = backend.alloc(n);
    const vmax = backend.alloc(amsgrad ? n : 0);
    fill(w.data, 5);
    fill(g.data, 6);
    let t = 0;
    const bytes = amsgrad ? 36 : 28;
    const r = await measure(backend, 'adam_step_f32', amsgrad ? `${n} amsgrad` : `${n}`, 'GB/s', (bytes * n) / 1e9, () => {
      t++;
      backend.k.adam_step_f32(n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1 - 0.9 ** t, 1 - 0.999 ** t, w, g, m, v, vmax);
    });
    out.push(r, { ...r, unit: 'Gparam/s', value: r.value / bytes, min: r.min / bytes, max: r.max / bytes });
    for (const buf of [w, g, m, v, vmax]) backend.free(buf);
  }
  return out;
}

async function norm(backend: Backend): Promise<Result[]> {
  const out: Result[] = [];
  for (const t of NORM_TRIALS) {
    const len = t.n * t.c * t.hw, shape = `${t.name}`;
    const x = backend.alloc(len), y = backend.alloc(len), dy = backend.alloc(len), dx = backend.alloc(len);
    const gamma = backend.alloc(t.c), beta = backend.alloc(t.c), rm = backend.alloc(t.c), rv = backend.alloc(t.c);
    const sm = backend.alloc(t.c), si = backend.alloc(t.c), dg = backend.alloc(t.c), db = backend.alloc(t.c);
    fill(x.data, 8, 4);
    fill(dy.data, 9);
    gamma.data.fill(1);
    rv.data.fill(1);
    const k = backend.k;
    out.push(await measure(backend, 'batch_norm_train_f32', shape, 'GB/s', (8 * len) / 1e9, () => k.batch_norm_train_f32(t.n, t.c, t.hw, 1e-5, 0.1, x, gamma, beta, rm, rv, y, sm, si)));
    out.push(await measure(backend, 'batch_norm_bwd_f32', shape, 'GB/s', (12 * len) / 1e9, () => k.batch_norm_bwd_f32(t.n, t.c, t.hw, 1, 0, x, dy, gamma, sm, si, dx, dg, db)));
    for (const buf of [x, y, dy, dx, gamma, beta, rm, rv, sm, si, dg, db]) backend.free(buf);
  }
  const n = ELEMENTWISE_N;
  const x = backend.alloc(n), y = backend.alloc(n), mask = backend.alloc(n);
  fill(x.data, 10);
  let seed = 0;
  out.push(await measure(backend, 'dropout_fwd_f32', `${n} p=0.5`, 'GB/s', (12 * n) / 1e9, () => backend.k.dropout_fwd_f32(n, seed++, 1 << 23, 2, x, y, mask)));
  for (const buf of [x, y, mask]) backend.free(buf);
  return out;
}

async function train(backend: Backend): Promise<Result[]> {
  const out: Result[] = [];
  for (const t of TRAIN_TRIALS) {
    if (t.skip?.includes(backend.name)) continue;
    setBackend(backend);
    const { model, step } = trainTrial(t);
    out.push(await measure(backend, 'train_step', `${t.name} batch ${t.batch}`, 'samples/s', t.batch, step));
    out.push(await measure(backend, 'train_step', `${t.name} batch ${t.batch}`, 'steps/s', 1, step));
    model.dispose();
  }
  return out;
}

function formatValue(v: number): string {
  return v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
}

const infos = await availableBackends();
const chosen = args.backends?.split(',') ?? infos.filter((i) => i.available).map((i) => i.name);
for (const info of infos) if (!info.available) console.error(`# ${info.name}: unavailable (${info.reason})`);
const results: Result[] = [];
const backends: Backend[] = [];
for (const name of chosen) backends.push(await loadBackend(name as Backend['name']));
for (const backend of backends) {
  console.error(`# ${backend.name}: ${backend.detail}`);
  if (want('gemm')) results.push(...(await gemm(backend)));
  if (want('conv')) results.push(...(await conv(backend)));
  if (want('act')) results.push(...(await activations(backend)));
  if (want('adam')) results.push(...(await adam(backend)));
  if (want('norm')) results.push(...(await norm(backend)));
  if (want('train')) results.push(...(await train(backend)));
}

if (args.json) for (const r of results) console.log(JSON.stringify(r));
else {
  // One table: a row per trial, a column per backend (median; min–max in brackets), and the ratio to js.
  const rows = new Map<string, Map<string, Result>>();
  for (const r of results) {
    const key = `${r.kernel} ${r.shape} [${r.unit}]`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.backend, r);
  }
  const names = backends.map((b) => b.name);
  const header = ['trial', ...names.map((n) => `${n} median (min–max)`), ...names.filter((n) => n !== 'js').map((n) => `${n}/js`)];
  const lines = [...rows].map(([key, byBackend]) => [
    key,
    ...names.map((n) => {
      const r = byBackend.get(n);
      return r ? `${formatValue(r.value)} (${formatValue(r.min)}–${formatValue(r.max)})` : '—';
    }),
    ...names.filter((n) => n !== 'js').map((n) => {
      const r = byBackend.get(n), js = byBackend.get('js');
      return r && js ? `${(r.value / js.value).toFixed(1)}×` : '—';
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}
