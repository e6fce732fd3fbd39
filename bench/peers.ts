/**
 * `npm run bench:peers`: the native backend (or `--backend wasm`) side by side with numpy (OpenBLAS) and PyTorch on the same workloads,
 * in one run on one machine, with ratios. Workloads: the GEMMs of bench/shapes.ts in the dense-layer forward
 * layout (nt: B stored [n, k]) and plain nn, tanh forward and the Adam step over 2²⁰ values, and training steps
 * (MLP 784-256-128-10 ReLU batch 128 Adam; tiny 2-16-16-2 batch 32), at 1 and 2 threads. Also the fixed cost of
 * one N-API crossing. Peers run in bench/peers/peers.py under /usr/bin/python3 (or $PYTHON) with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OPENBLAS_NUM_THREADS = torch threads = the column's threads, and
 * glibc's malloc tuned so PyTorch's per-step tensors are not returned to the OS and faulted in again every step
 * (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296; set GLIBC_TUNABLES
 * yourself to override). The MLP also runs with `fuse: false` ("unfused"): the fused epilogues' gain in the same run.
 *
 *   npm run bench:peers -- [--threads 1,2] [--only gemm,act,adam,train,overhead] [--rounds 1] [--backend native] [--json]
 *
 * `--backend wasm` measures descent's wasm backend in the descent column instead (threads through setThreads: the
 * wasm team where the module is threaded); the overhead rows then time a wasm call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBackend, setBackend, setThreads, type BackendName } from '../src/index.js';
import { loadAddon } from '../src/backends/native.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams } from '../src/nn/activation-table.js';
import { fill, GEMM_TRIALS, TRAIN_TRIALS, trainTrial } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    only: { type: 'string', default: 'gemm,act,adam,train,overhead' },
    json: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'native' },
  },
});
const ROUNDS = Number(args.rounds);
const THREADS = args.threads!.split(',').map(Number);
const only = args.only!.split(',');

interface Row { peer: string; kind: string; shape: string; unit: string; value: number; min: number; max: number; threads: number }
const rows: Row[] = [];
/** The BLAS libraries the peers' process mapped (bench/peers/peers.py). */
let peerBlas: string[] | undefined;
/** Whether a BLAS library path is the netlib reference (Debian's libblas3: /usr/lib/<triplet>/blas/libblas.so.3). */
const referenceBlas = (path: string) => /\/blas\/libblas\.so/.test(path);

/** Warm-up, then 7 repetitions of a loop lasting ≥ 30 ms; median, min, max of the rate (work per second). */
function measure(fn: () => void, work: number): [number, number, number] {
  fn();
  fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t0 >= 30) break;
    calls *= 2;
  }
  const rates: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    rates.push((work * calls) / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return [rates[3], rates[0], rates[6]];
}

const loadBefore = loadavg()[0];
const addon = loadAddon();
const native = await loadBackend(args.backend as BackendName);
const initialThreads = addon.info().threads;
const push = (kind: string, shape: string, unit: string, r: [number, number, number], threads: number) =>
  rows.push({ peer: 'native', kind, shape, unit, value: r[0], min: r[1], max: r[2], threads });

const python = process.env.PYTHON ?? '/usr/bin/python3';
// Rounds alternate native and the peers (one python process per thread count and round), so a burst of load from
// another process hits both sides alike; the table shows each side's median over the rounds.
for (let round = 0; round < ROUNDS; round++) {
  for (const threads of THREADS) {
    setThreads(threads); // the native pool and, where the module is threaded, the wasm team
    if (only.includes('gemm'))
      for (const t of GEMM_TRIALS) {
        const a = native.alloc(t.m * t.k), b = native.alloc(t.n * t.k), c = native.alloc(t.m * t.n);
        fill(a.data, 1);
        fill(b.data, 2);
        const flop = (2 * t.m * t.n * t.k) / 1e9, shape = `${t.m}x${t.n}x${t.k}`;
        push('gemm nt', shape, 'GFLOP/s', measure(() => native.k.gemm_f32(0, 1, t.m, t.n, t.k, 1, a, b, 0, c), flop), threads);
        push('gemm nn', shape, 'GFLOP/s', measure(() => native.k.gemm_f32(0, 0, t.m, t.n, t.k, 1, a, b, 0, c), flop), threads);
      }
    if (only.includes('act')) {
      const n = 1 << 20, x = native.alloc(n), y = native.alloc(n);
      fill(x.data, 3, 16);
      push('tanh_fwd', `${n}`, 'Gelem/s', measure(() => native.k.tanh_fwd_f32(n, x, y), n / 1e9), threads);
      // The activations whose backward reads x, at their defaults, against torch's fwd and backward kernels.
      const dy = native.alloc(n), dx = native.alloc(n);
      fill(dy.data, 4);
      for (const name of ACTIVATION_NAMES) {
        const spec = ACTIVATION_TABLE[name], p = activationParams('bench', name);
        if (spec.backwardFrom !== 'x') continue;
        push(`${name}_fwd`, `${n}`, 'Gelem/s', measure(() => spec.fwd(native.k, n, p, x, y), n / 1e9), threads);
        push(`${name}_bwd`, `${n}`, 'Gelem/s', measure(() => spec.bwd(native.k, n, p, x, dy, dx), n / 1e9), threads);
      }
    }
    if (only.includes('adam')) {
      const n = 1 << 20, [w, g, m, v] = [0, 1, 2, 3].map(() => native.alloc(n)), none = native.alloc(0);
      fill(w.data, 5);
      fill(g.data, 6);
      let t = 0;
      push('adam_step', `${n}`, 'GB/s', measure(() => {
        t++;
        native.k.adam_step_f32(n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1 - 0.9 ** t, 1 - 0.999 ** t, w, g, m, v, none);
      }, (28 * n) / 1e9), threads);
      // Dead units: a gradient of exactly 0 and m at the smallest subnormal, where a long training leaves a dead
      // ReLU unit's state (0.9 · 2⁻¹⁴⁹ rounds back to 2⁻¹⁴⁹). descent flushes it to 0 on the first step.
      g.data.fill(0);
      m.data.fill(2 ** -149);
      v.data.fill(1e-8);
      push('adam_step', `${n} dead units`, 'GB/s', measure(() => {
        t++;
        native.k.adam_step_f32(n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1 - 0.9 ** t, 1 - 0.999 ** t, w, g, m, v, none);
      }, (28 * n) / 1e9), threads);
    }
    if (only.includes('train'))
      for (const t of TRAIN_TRIALS) {
        setBackend(native);
        const { model, step } = trainTrial(t);
        const label = `${t.name.replace(/ relu adam$/, '').replace(/^mlp /, 'mlp ').replace(/^tiny /, 'tiny ')} batch ${t.batch}`;
        push('train', label, 'samples/s', measure(step, t.batch), threads);
        model.dispose();
        if (t.cnn) continue;
        const unfused = trainTrial(t, false);
        push('train', `${label} unfused`, 'samples/s', measure(unfused.step, t.batch), threads);
        unfused.model.dispose();
      }
  }
  setThreads(initialThreads);

  // Peers: one python process per thread count.
  if (existsSync(python)) {
    for (const threads of THREADS) {
      const env: Record<string, string | undefined> = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
      env.GLIBC_TUNABLES ??= 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296';
      const peerOnly = only.filter((o) => o !== 'overhead').join(',');
      const res = spawnSync(python, ['bench/peers/peers.py', '--threads', String(threads), '--only', peerOnly], { env, encoding: 'utf8' });
      if (res.status !== 0) console.error(`# peers (${threads} threads) failed: ${res.stderr}`);
      for (const line of res.stdout.split('\n')) {
        if (!line.trim()) continue;
        const row = JSON.parse(line) as Row | { peer: 'meta'; libraries: string[] };
        if (row.peer === 'meta') peerBlas = (row as { libraries: string[] }).libraries;
        else rows.push(row as Row);
      }
    }
  } else if (round === 0) console.error(`# ${python} not found: peers skipped (set PYTHON)`);
}

if (only.includes('overhead')) {
  // The fixed cost of one crossing: an empty relu (n = 0) and a 3-array gemm with m = 0, through the adapter.
  const x = native.alloc(16), y = native.alloc(16), z = native.alloc(16), none = native.alloc(0);
  const calls = 1e6;
  for (const [name, fn] of [
    ['relu_fwd_f32 n=0', () => native.k.relu_fwd_f32(0, x, y)],
    ['gemm_f32 m=0 (10 args)', () => native.k.gemm_f32(0, 0, 0, 4, 4, 1, x, y, 0, z)],
    ['adam_step_f32 n=16 (14 args)', () => native.k.adam_step_f32(16, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001, x, y, z, x, none)],
  ] as const) {
    const r = measure(() => { for (let i = 0; i < 1000; i++) fn(); }, 1000);
    rows.push({ peer: 'native', kind: 'N-API call', shape: name, unit: 'ns/call', value: 1e9 / r[0], min: 1e9 / r[2], max: 1e9 / r[1], threads: 1 });
  }
  void calls;
}


if (peerBlas?.some(referenceBlas)) {
  console.error(
    `# WARNING: numpy and PyTorch ran on the netlib reference BLAS (${peerBlas.filter(referenceBlas).join(', ')}), 20-40× slower than ` +
      'OpenBLAS: their rows and every ratio to them are not a fair comparison. Install OpenBLAS (Debian: apt-get install libopenblas0-pthread) and run again.',
  );
}

if (args.json) for (const r of rows) console.log(JSON.stringify(r));
else {
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const keys = [...new Set(rows.map((r) => `${r.kind}|${r.shape}|${r.unit}|${r.threads}`))];
  const get = (peer: string, key: string) => {
    const values = rows.filter((r) => r.peer === peer && `${r.kind}|${r.shape}|${r.unit}|${r.threads}` === key).map((r) => r.value).sort((a, b) => a - b);
    return values.length ? values[values.length >> 1] : undefined;
  };
  const d = args.backend!;
  const header = ['workload', 'unit', 'thr', d, 'numpy', 'torch', `${d}/numpy`, `${d}/torch`, `${d}/${d}@1t`];
  const lines = keys.filter((k) => get('native', k) !== undefined).map((key) => {
    const [kind, shape, unit, threads] = key.split('|');
    const nat = get('native', key)!, np = get('numpy', key), th = get('torch', key);
    const one = get('native', `${kind}|${shape}|${unit}|1`);
    const ratio = (x: number | undefined) => (x ? `${(unit === 'ns/call' ? x / nat : nat / x).toFixed(2)}×` : '—');
    return [`${kind} ${shape}`, unit, threads, fmt(nat), fmt(np), fmt(th), ratio(np), ratio(th), threads !== '1' && one ? `${(nat / one).toFixed(2)}×` : ''];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`# peers: ${python}, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296'}`);
  if (peerBlas) console.log(`# the peers' BLAS: ${peerBlas.join(', ') || 'none mapped'}`);
  if (ROUNDS > 1) console.log(`# medians of ${ROUNDS} alternating rounds`);
  console.log(`# ${d}: ${native.detail} (its default; each row ran on the threads of its thr column); ${new Date().toISOString()}; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after (above ~0.5 another process shares the cores: 2-thread rows are then unreliable)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(line(l));
}
