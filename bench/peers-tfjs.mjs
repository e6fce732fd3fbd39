/**
 * `npm run bench:peers:tfjs`: descent's wasm backend side by side with TensorFlow.js 4.22's wasm backend
 * (XNNPACK, SIMD, one thread in Node), in one process, trial by trial, with ratios. Workloads: the GEMMs of
 * bench/shapes.ts (nn, tfjs-wasm's fast layout, plus the dense-layer forward layout nt once), an Adam step over 2²⁰ parameters
 * (28 bytes per parameter), tanh forward over 2²⁰ values, and a training step of MLP 784-256-128-10 (ReLU,
 * batch 128, Adam, cross-entropy; tfjs through tfjs-layers' trainOnBatch), and (`cnn`) a training step of the two
 * CNNs of bench/shapes.ts (CNN-S and "2 Conv+pooling", batch 128, Adam) against tfjs's wasm and cpu backends. tfjs
 * trains its convolutions in NHWC, its own layout; where a backend cannot train a convolution at all (tfjs-wasm has no
 * Conv2DBackpropFilter kernel) the row says so with tfjs's error. Protocol: warm-up, then 7 repetitions of a loop
 * lasting ≥ 50 ms; median (min–max) of the rate; tfjs-cpu's CNN steps take tens of seconds to minutes, so CNN-S gets 1
 * warm-up step and 3 timed steps, the 2-conv net a single timed step (first-call setup included, which flatters it
 * least of all). Needs `npm run build` (imports dist/src/index.js).
 *
 *   npm run bench:peers:tfjs -- [--only gemm,adam,tanh,train,cnn] [--json]
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { only: { type: 'string', default: 'gemm,adam,tanh,train,cnn' }, json: { type: 'boolean', default: false } },
});
const only = new Set(args.only.split(','));

const dist = new URL('../dist/src/index.js', import.meta.url);
if (!existsSync(dist)) {
  console.error('bench:peers:tfjs needs the built package: run `npm run build:wasm && npm run build:ts` first');
  process.exit(1);
}
const d = await import(dist.href);
const tf = await import('@tensorflow/tfjs-core');
const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
const tfl = await import('@tensorflow/tfjs-layers');
await import('@tensorflow/tfjs-backend-cpu');

const require = createRequire(import.meta.url);
tfwasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]*$/, ''));
await tf.setBackend('wasm');
await tf.ready();
const ours = await d.loadBackend('wasm');
d.setBackend(ours);

/** Warm-up, then 7 repetitions of a loop lasting ≥ 50 ms; [median, min, max] of work per second. */
function measure(fn, work) {
  for (let i = 0; i < 3; i++) fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t0 >= 50) break;
    calls *= 2;
  }
  const rates = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    rates.push((work * calls) / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return [rates[3], rates[0], rates[6]];
}

/** The rate of an async step: `warm` warm-up steps, then `reps` timed loops of `calls` steps; [median, min, max]. */
async function measureAsync(step, work, { warm = 3, reps = 7, minMs = 50 } = {}) {
  for (let i = 0; i < warm; i++) await step();
  let calls = 1;
  while (minMs > 0) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await step();
    if (performance.now() - t0 >= minMs) break;
    calls *= 2;
  }
  const rates = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await step();
    rates.push((work * calls) / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return [rates[reps >> 1], rates[0], rates[reps - 1]];
}

function fill(a, seed, scale = 1) {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = scale * (s / 2 ** 32 - 0.5);
  }
  return a;
}

const rows = [];
/** One row; `tfjs` is [median, min, max], or the error message of a peer that cannot run the workload. */
function record(kind, shape, unit, target, descent, tfjs, peer = 'tfjs-wasm') {
  rows.push({ kind, shape, unit, target, descent, tfjs, peer });
  if (args.json) {
    for (const [backend, result] of [['descent-wasm', descent], [peer, tfjs]]) {
      if (typeof result === 'string') console.log(JSON.stringify({ kernel: kind, backend, shape, unit, error: result }));
      else console.log(JSON.stringify({ kernel: kind, backend, shape, unit, value: result[0], min: result[1], max: result[2] }));
    }
  }
}

if (only.has('gemm')) {
  // nn (both operands row-major, B stored [k, n]) is tfjs-wasm's fast path; its transposeB path is ~10× slower
  // here, so the forward layout (nt) is compared once, for the record.
  const trials = [[128, 256, 784, 0], [128, 128, 256, 0], [128, 10, 128, 0], [256, 256, 256, 0], [512, 512, 512, 0], [1024, 1024, 1024, 0], [128, 256, 784, 1]];
  for (const [m, n, k, tb] of trials) {
    const a = fill(new Float32Array(m * k), 1), b = fill(new Float32Array(n * k), 2);
    const A = ours.alloc(m * k), B = ours.alloc(n * k), C = ours.alloc(m * n);
    A.data.set(a);
    B.data.set(b);
    const gflop = (2 * m * n * k) / 1e9;
    const mine = measure(() => ours.k.gemm_f32(0, tb, m, n, k, 1, A, B, 0, C), gflop);
    const ta = tf.tensor2d(a, [m, k]), tbt = tf.tensor2d(b, tb ? [n, k] : [k, n]);
    const theirs = measure(() => tf.matMul(ta, tbt, false, tb === 1).dispose(), gflop);
    record('gemm_f32', `${m}x${n}x${k} (${tb ? 'nt' : 'nn'})`, 'GFLOP/s', m === 512 ? '≥ 1.3×, ≥ 45' : '≥ 1.3×', mine, theirs);
    ta.dispose();
    tbt.dispose();
    for (const buf of [A, B, C]) ours.free(buf);
  }
}

if (only.has('adam')) {
  const n = 1 << 20;
  const [W, G, M, V] = [1, 2, 3, 4].map((seed) => {
    const buf = ours.alloc(n);
    fill(buf.data, seed, seed === 4 ? 0 : 1);
    return buf;
  });
  const none = ours.alloc(0);
  let t = 0;
  const mine = measure(() => {
    t++;
    ours.k.adam_step_f32(n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1 - 0.9 ** t, 1 - 0.999 ** t, W, G, M, V, none);
  }, (28 * n) / 1e9);
  const w = tf.variable(tf.tensor1d(fill(new Float32Array(n), 1)));
  const g = tf.tensor1d(fill(new Float32Array(n), 2));
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const theirs = measure(() => opt.applyGradients([{ name: w.name, tensor: g }]), (28 * n) / 1e9);
  record('adam_step_f32', `${n} params`, 'GB/s', '≥ 4×, ≥ 20', mine, theirs);
  opt.dispose();
  w.dispose();
  g.dispose();
  for (const buf of [W, G, M, V]) ours.free(buf);
}

if (only.has('tanh')) {
  const n = 1 << 20;
  const x = fill(new Float32Array(n), 5, 8);
  const X = ours.alloc(n), Y = ours.alloc(n);
  X.data.set(x);
  const mine = measure(() => ours.k.tanh_fwd_f32(n, X, Y), n / 1e9);
  const tx = tf.tensor1d(x);
  const theirs = measure(() => tf.tanh(tx).dispose(), n / 1e9);
  record('tanh_fwd_f32', `${n}`, 'Gelem/s', '≥ 1', mine, theirs);
  tx.dispose();
  ours.free(X);
  ours.free(Y);
}

if (only.has('train')) {
  const batch = 128, sizes = [784, 256, 128, 10];
  const x = fill(new Float32Array(batch * sizes[0]), 7);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10);

  d.manualSeed(1);
  const model = new d.Sequential([new d.Linear(784, 256), new d.ReLU(), new d.Linear(256, 128), new d.ReLU(), new d.Linear(128, 10)]);
  const trainer = new d.Trainer(model, { optimizer: new d.Adam(model.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' });
  const mine = measure(() => trainer.step(x, labels), batch);

  const net = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  net.compile({ optimizer: tf.train.adam(1e-3), loss: (y, logits) => tf.losses.softmaxCrossEntropy(y, logits) });
  const tx = tf.tensor2d(x, [batch, 784]);
  const ty = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  // trainOnBatch is async only because it reads the loss back; the wasm backend computes synchronously.
  const theirs = await measureAsync(() => net.trainOnBatch(tx, ty), batch);
  record('train_step', 'mlp 784-256-128-10 relu adam, batch 128', 'samples/s', '≥ 10×, ≥ 35k', mine, theirs);
  model.dispose();
}

if (only.has('cnn')) {
  const batch = 128;
  const nets = [
    { name: 'cnn-s', label: 'CNN-S (conv16k3p1,pool,conv32k3p1,pool,fc128), batch 128', convs: [[16, 3], [32, 3]], hidden: 128 },
    { name: '2conv', label: '2 Conv+pooling (conv32k5p2,pool,conv64k5p2,pool,fc1024), batch 128', convs: [[32, 5], [64, 5]], hidden: 1024 },
  ];
  const x = fill(new Float32Array(batch * 784), 9);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  for (const net of nets) {
    d.manualSeed(1);
    const model = d.buildModel(net.name, { inputShape: [1, 28, 28], classes: 10 });
    const trainer = new d.Trainer(model, { optimizer: new d.Adam(model.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' });
    process.stderr.write(`${net.name}: descent wasm…\n`);
    const mine = measure(() => trainer.step(x, labels), batch);
    model.dispose();
    const theirs = {};
    for (const backend of ['wasm', 'cpu']) {
      process.stderr.write(`${net.name}: tfjs-${backend}…\n`);
      await tf.setBackend(backend);
      const layers = [];
      for (const [filters, k] of net.convs) {
        layers.push(tfl.layers.conv2d({ ...(layers.length ? {} : { inputShape: [28, 28, 1] }), filters, kernelSize: k, padding: 'same', activation: 'relu' }));
        layers.push(tfl.layers.maxPooling2d({ poolSize: 2 }));
      }
      layers.push(tfl.layers.flatten(), tfl.layers.dense({ units: net.hidden, activation: 'relu' }), tfl.layers.dense({ units: 10 }));
      const cnn = tfl.sequential({ layers });
      cnn.compile({ optimizer: tf.train.adam(1e-3), loss: (y, logits) => tf.losses.softmaxCrossEntropy(y, logits) });
      const tx = tf.tensor4d(x, [batch, 28, 28, 1]);
      const ty = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      try {
        // tfjs-cpu's convolutions are plain loops: a CNN-S step takes tens of seconds, a 2-conv step minutes.
        const cpu = net.name === 'cnn-s' ? { warm: 1, reps: 3, minMs: 0 } : { warm: 0, reps: 1, minMs: 0 };
        theirs[backend] = await measureAsync(() => cnn.trainOnBatch(tx, ty), batch, backend === 'cpu' ? cpu : {});
      } catch (error) {
        theirs[backend] = String(error?.message ?? error).split('\n')[0];
      }
      cnn.dispose();
      tf.dispose([tx, ty]);
    }
    await tf.setBackend('wasm');
    for (const backend of ['wasm', 'cpu']) {
      record('train_step', `${net.label}, vs tfjs-${backend}`, 'samples/s', backend === 'wasm' ? 'trains' : '≥ 10×', mine, theirs[backend], `tfjs-${backend}`);
    }
  }
}

if (!args.json) {
  const fmt = (v) => (v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  console.log(`descent wasm: ${ours.detail}; tfjs ${tf.version_core} wasm: simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}; node ${process.versions.node}`);
  console.log('median (min–max) over 7 repetitions\n');
  const header = ['kernel', 'shape', 'unit', 'descent wasm', 'peer', 'peer result', 'ratio', 'target'];
  const failed = (r) => typeof r.tfjs === 'string';
  const table = rows.map((r) => [
    r.kind, r.shape, r.unit,
    `${fmt(r.descent[0])} (${fmt(r.descent[1])}–${fmt(r.descent[2])})`,
    r.peer,
    failed(r) ? `cannot: ${r.tfjs}` : `${fmt(r.tfjs[0])} (${fmt(r.tfjs[1])}–${fmt(r.tfjs[2])})`,
    failed(r) ? '—' : `${(r.descent[0] / r.tfjs[0]).toFixed(2)}×`, r.target,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  for (const line of [header, ...table]) console.log(line.map((c, i) => c.padEnd(widths[i])).join('  '));
}
