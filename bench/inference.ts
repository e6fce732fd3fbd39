/**
 * `npm run bench:inference`: forward latency of the MLP 784-256-128-10 (ReLU, eval mode) at batch 1, 8 and 64, one
 * thread, side by side in one run: descent native (`model.forward`, fused Linear+ReLU, and the same with
 * `fuse: false`), descent wasm, onnxruntime-node (CPU execution provider, the model exported by `toOnnx`,
 * intra- and inter-op threads 1, `session.run` awaited) and PyTorch 1.13 (bench/peers/inference.py under
 * /usr/bin/python3 or $PYTHON, `torch.inference_mode()`, 1 thread, glibc malloc tuned as in bench:peers). Every
 * peer runs the same weights on the same inputs (outputs are checked against native). The machine is shared, so
 * the peers alternate: `--rounds` rounds, each measuring every peer at every batch (starting with another peer each round) (warm-up, then 7 repetitions of
 * a loop ≥ 30 ms, median), and the table shows each peer's median over the rounds and the ratio to native.
 *
 *   npm run bench:inference -- [--batches 1,8,64] [--rounds 3] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Linear, loadBackend, manualSeed, ReLU, Sequential, setBackend, setThreads, type Layer } from '../src/index.js';
import { toOnnx } from '../src/io/onnx.js';
import { fill } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,8,64' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const BATCHES = args.batches!.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const SIZES = [784, 256, 128, 10];
const load0 = loadavg();

/** Warm-up, then 7 repetitions of a loop lasting ≥ 30 ms: the median µs per call. */
async function latency(fn: () => unknown): Promise<number> {
  await fn();
  await fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    if (performance.now() - t0 >= 30) break;
    calls *= 2;
  }
  const us: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    us.push(((performance.now() - t0) * 1000) / calls);
  }
  return us.sort((a, b) => a - b)[3];
}

function mlp(fuse: boolean): Sequential {
  manualSeed(1);
  const layers: Layer[] = [];
  SIZES.slice(1).forEach((w, i) => {
    layers.push(new Linear(SIZES[i], w));
    if (i < SIZES.length - 2) layers.push(new ReLU());
  });
  return new Sequential(layers, { fuse }).eval();
}

const native = await loadBackend('native');
setThreads(1);
setBackend(native);
const model = mlp(true), unfused = mlp(false);
const wasm = await loadBackend('wasm');
setBackend(wasm);
const wasmModel = mlp(true);
const state = model.stateDict();
wasmModel.loadStateDict(state);
const session = await ort.InferenceSession.create(toOnnx(model), {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
});
const inputs = Object.fromEntries(BATCHES.map((b) => [b, fill(new Float32Array(b * SIZES[0]), 11 + b)]));

type Peer = { name: string; run: (b: number) => () => unknown; out: (b: number) => Promise<Float32Array> };
const PEERS: Peer[] = [
  { name: 'native', run: (b) => () => model.forward(inputs[b], b), out: async (b) => model.forward(inputs[b], b) },
  { name: 'native unfused', run: (b) => () => unfused.forward(inputs[b], b), out: async (b) => unfused.forward(inputs[b], b) },
  { name: 'wasm', run: (b) => () => wasmModel.forward(inputs[b], b), out: async (b) => wasmModel.forward(inputs[b], b) },
  {
    name: 'onnxruntime-node',
    run: (b) => {
      const feeds = { input: new ort.Tensor('float32', inputs[b], [b, SIZES[0]]) };
      return () => session.run(feeds);
    },
    out: async (b) => (await session.run({ input: new ort.Tensor('float32', inputs[b], [b, SIZES[0]]) })).output.data as Float32Array,
  },
];

// Same weights, same inputs: every peer's outputs must match native's (a wrong model would make the timing moot).
const checks: string[] = [];
for (const b of BATCHES) {
  const ref = await PEERS[0].out(b);
  for (const p of PEERS.slice(1)) {
    const got = await p.out(b);
    const diff = Math.max(...Array.from(ref, (v, i) => Math.abs(v - got[i])));
    if (!(diff <= 1e-4)) throw new Error(`${p.name} batch ${b}: outputs differ from native by ${diff}`);
    checks.push(`${p.name}@${b} ${diff.toExponential(1)}`);
  }
}

const python = process.env.PYTHON ?? '/usr/bin/python3';
const torchSpec = JSON.stringify({
  sizes: SIZES,
  state: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }])),
  inputs: Object.fromEntries(BATCHES.map((b) => [b, Array.from(inputs[b])])),
});
function torchRound(): Map<number, number> | null {
  if (!existsSync(python)) return null;
  const env: Record<string, string | undefined> = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.GLIBC_TUNABLES ??= 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296';
  const res = spawnSync(python, ['bench/peers/inference.py', '--batches', BATCHES.join(',')], { env, input: torchSpec, encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(`# torch failed: ${res.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  const out = new Map<number, number>();
  for (const line of res.stdout.split('\n')) if (line.trim()) {
    const r = JSON.parse(line) as { batch: number; us: number };
    out.set(r.batch, r.us);
  }
  return out;
}

// Alternating rounds: every peer at every batch, then PyTorch, ROUNDS times.
const samples = new Map<string, number[]>();
const add = (peer: string, b: number, us: number) => {
  const key = `${peer}|${b}`;
  samples.set(key, [...(samples.get(key) ?? []), us]);
};
for (let r = 0; r < ROUNDS; r++) {
  // Each round starts with another peer, so none always runs right after the same neighbour.
  const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length]);
  for (const b of BATCHES) for (const p of order) add(p.name, b, await latency(p.run(b)));
  const t = torchRound();
  if (t) for (const [b, us] of t) add('torch', b, us);
}

const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[xs.length >> 1];
const names = [...PEERS.map((p) => p.name), 'torch'];
const rows = BATCHES.map((b) => ({ batch: b, us: Object.fromEntries(names.map((n) => [n, samples.has(`${n}|${b}`) ? median(samples.get(`${n}|${b}`)!) : undefined])) }));
if (args.json) for (const r of rows) console.log(JSON.stringify(r));
else {
  console.log(`# forward latency, MLP ${SIZES.join('-')} ReLU, eval, 1 thread, µs per call (median of ${ROUNDS} alternating rounds); native ${native.detail}; wasm ${wasm.detail}; ${new Date().toISOString()}`);
  console.log(`# load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}; outputs vs native: ${checks.join(', ')}`);
  const peersShown = names.filter((n) => n !== 'native');
  console.log(`| batch | native µs | ${peersShown.map((n) => `${n} µs`).join(' | ')} | ${peersShown.map((n) => `${n} / native`).join(' | ')} |`);
  console.log(`|---|---|${peersShown.map(() => '---').join('|')}|${peersShown.map(() => '---').join('|')}|`);
  const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(v < 10 ? 2 : 1));
  for (const r of rows) {
    const nat = r.us.native!;
    console.log(`| ${r.batch} | ${f(nat)} | ${peersShown.map((n) => f(r.us[n])).join(' | ')} | ${peersShown.map((n) => (r.us[n] ? `${(r.us[n]! / nat).toFixed(2)}×` : '—')).join(' | ')} |`);
  }
  console.log('# ratio > 1: the peer takes longer than descent native');
}
model.dispose();
unfused.dispose();
wasmModel.dispose();
await session.release();
