/**
 * Native-only checks the shared suite cannot make: every ISA this CPU supports (avx512f, avx2_fma, scalar) against
 * the js reference, the stated accuracy of the vector exp/tanh, bit-identical results for 1, 2 and 3 threads, and
 * concurrent calls from worker_threads (each worker loads the addon itself) giving the single-thread bits.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { heapF32, heapI32 } from '../../src/buffers.js';
import { jsKernels } from '../../src/backends/js.js';
import { loadAddon, type NativeAddon } from '../../src/backends/native.js';
import { loadBackend } from '../../src/index.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams } from '../../src/nn/activation-table.js';
import { denseGrid, SMOOTH_BOUNDS, smoothErrors } from '../accuracy.js';
import { expectSameBits, randn, rng, uniform } from '../helpers.js';

// The addon is built by `npm install`; if it cannot load, this file fails with the loader's explanation.
const addon: NativeAddon = loadAddon();
const nativeKernels = (await loadBackend('native')).k;
type Fn = (...args: unknown[]) => void;
const k = (name: string) => addon![name] as Fn;

/** A copy of `x` starting on a 64-byte boundary, as the native backend allocates (B is read in place only then). */
function aligned(x: Float32Array): Float32Array {
  const raw = new Float32Array(x.length + 16), offset = addon.alignOffset(raw);
  const out = raw.subarray(offset, offset + x.length);
  out.set(x);
  return out;
}

function gemmBound(ta: number, tb: number, m: number, n: number, k_: number, a: Float32Array, b: Float32Array, i: number, j: number) {
  let s = 0;
  for (let p = 0; p < k_; p++) s += Math.abs((ta ? a[p * m + i] : a[i * k_ + p]) * (tb ? b[j * k_ + p] : b[p * n + j]));
  return 2 * (k_ + 2) * 2 ** -24 * s + 1e-30;
}

describe('native ISAs, threads and workers', () => {
  const initial = addon ? addon.info() : null;
  afterAll(() => {
    if (!addon || !initial) return;
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
  });
  const isas = addon ? addon.info().supported.split(',') : [];

  for (const isa of isas) {
    it(`${isa}: gemm (4 transposes, edges, beyond KC/MC, B read in place) and adam match the js reference`, () => {
      expect(addon!.setIsa(isa)).toBe(true);
      const { mr, nr } = addon!.info();
      // n a multiple of 16 but not of 256, B aligned: the panel path reads B in place on avx512f.
      const shapes: [number, number, number][] = [[1, 1, 1], [mr + 1, nr - 1, 3], [2 * mr + 1, 2 * nr + 1, 263], [67, 131, 300], [203, 45, 17], [3, 40, 300], [8, 37, 100], [20, 48, 70], [41, 112, 300]];
      let seed = 1;
      for (const [m, n, kk] of shapes)
        for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const r = rng(seed++);
          const a = randn(r, m * kk), b = aligned(randn(r, kk * n)), c0 = randn(r, m * n);
          const beta = seed % 2 ? 0 : 0.5;
          const got = c0.slice(), ref = c0.slice();
          k('gemm_f32')(ta, tb, m, n, kk, 0.75, a, b, beta, got);
          jsKernels.gemm_f32(ta, tb, m, n, kk, 0.75, heapF32(a), heapF32(b), beta, heapF32(ref));
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              const bound = 2 * gemmBound(ta, tb, m, n, kk, a, b, i, j) + 1e-6 * Math.abs(beta * c0[i * n + j]);
              if (!(Math.abs(got[i * n + j] - ref[i * n + j]) <= bound))
                expect.fail(`gemm_f32 on native/${isa} ta=${ta} tb=${tb} ${m}x${n}x${kk} at (${i},${j}): got ${got[i * n + j]}, ref ${ref[i * n + j]}, tile ${mr}x${nr}`);
            }
        }
      const n = 1031, r = rng(9);
      const w = randn(r, n), g = randn(r, n);
      const W = [w.slice(), w.slice()], M = [new Float32Array(n), new Float32Array(n)], V = [new Float32Array(n), new Float32Array(n)];
      k('adam_step_f32')(n, 1e-2, 0.9, 0.999, 1e-8, 0.01, 1, 0.1, 0.001, W[0], g, M[0], V[0], new Float32Array(0));
      jsKernels.adam_step_f32(n, 1e-2, 0.9, 0.999, 1e-8, 0.01, 1, 0.1, 0.001, heapF32(W[1]), heapF32(g), heapF32(M[1]), heapF32(V[1]), heapF32(new Float32Array(0)));
      for (let i = 0; i < n; i++) expect(Math.abs(W[0][i] - W[1][i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(W[1][i]));
    });

    it(`${isa}: softmax_xent (blocks of rows, rows wider than its buffer, in place, no gradient) matches the js reference`, () => {
      expect(addon!.setIsa(isa)).toBe(true);
      let seed = 40;
      for (const [m, n] of [[1, 1], [128, 10], [300, 7], [3, 2500], [2, 4096 + 5]] as [number, number][]) {
        const r = rng(seed++);
        const x = uniform(r, m * n, -20, 20), labels = Int32Array.from({ length: m }, () => r.int(n));
        const lossRef = new Float32Array(m), gradRef = new Float32Array(m * n);
        jsKernels.softmax_xent_f32(m, n, 1 / m, heapF32(x), heapI32(labels), heapF32(lossRef), heapF32(gradRef));
        const loss = new Float32Array(m), grad = new Float32Array(m * n), inPlace = x.slice();
        k('softmax_xent_f32')(m, n, 1 / m, x, labels, loss, grad);
        const ctx = `softmax_xent_f32 on native/${isa} ${m}x${n}`;
        for (let i = 0; i < m * n; i++)
          if (!(Math.abs(grad[i] - gradRef[i]) <= 1e-7 + 1e-5 * Math.abs(gradRef[i]))) expect.fail(`${ctx} grad[${i}] = ${grad[i]}, ref ${gradRef[i]}`);
        k('softmax_xent_f32')(m, n, 1 / m, inPlace, labels, loss, inPlace);
        expectSameBits([inPlace], [grad], `${ctx} in place`);
        k('softmax_xent_f32')(m, n, 1 / m, x, labels, loss, new Float32Array(0));
        for (let i = 0; i < m; i++)
          if (!(Math.abs(loss[i] - lossRef[i]) <= 2e-6 + 2e-6 * Math.abs(lossRef[i]))) expect.fail(`${ctx} loss[${i}] = ${loss[i]}, ref ${lossRef[i]}`);
      }
    });

    it(`${isa}: sigmoid and tanh stay within the stated bound (|rel err| ≤ 4e-7) on a dense grid`, () => {
      expect(addon!.setIsa(isa)).toBe(true);
      const n = 200_003;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = -20 + (40 * i) / (n - 1);
      x.set([0.25, -0.25, Math.fround(0.25 - 2 ** -26), 1e-30, -1e-8, 87, -87.5, 88.8], 0);
      const y = new Float32Array(n);
      for (const [name, f] of [['sigmoid_fwd_f32', (v: number) => 1 / (1 + Math.exp(-v))], ['tanh_fwd_f32', Math.tanh]] as const) {
        k(name)(n, x, y);
        let worst = 0, at = 0;
        for (let i = 0; i < n; i++) {
          const ref = f(x[i]);
          if (Math.abs(ref) < 1e-37) continue; // flushed subnormal range, allowed by the header
          const err = Math.abs(y[i] - ref) / Math.abs(ref);
          if (err > worst) (worst = err), (at = x[i]);
        }
        expect(worst, `${name} on ${isa}: worst relative error ${worst} at x=${at}`).toBeLessThanOrEqual(4e-7);
      }
    });
  }

  for (const isa of isas) {
    it(`${isa}: the activations whose backward reads x stay within their stated bounds on a dense grid`, () => {
      expect(addon!.setIsa(isa)).toBe(true);
      const native = { k: nativeKernels };
      for (const name of ACTIVATION_NAMES) {
        if (ACTIVATION_TABLE[name].backwardFrom !== 'x') continue;
        const { fwd, at, bwd, bwdAt } = smoothErrors(native, name, denseGrid());
        expect(fwd, `${name}_fwd_f32 on ${isa}: worst relative error ${fwd} at x=${at}`).toBeLessThanOrEqual(SMOOTH_BOUNDS[name]?.fwd ?? SMOOTH_BOUNDS.default.fwd);
        expect(bwd, `${name}_bwd_f32 on ${isa}: worst absolute error ${bwd} at x=${bwdAt}`).toBeLessThanOrEqual(SMOOTH_BOUNDS.default.bwd);
      }
    });
  }

  it('gives bit-identical results for 1, 2 and 3 threads (gemm above the parallel threshold, activations, optimizers)', () => {
    addon!.setIsa(initial!.isa);
    const r = rng(77);
    const m = 301, n = 263, kk = 517;
    const a = randn(r, m * kk), b = randn(r, kk * n);
    const big = 300_001, x = uniform(r, big, -5, 5), g = randn(r, big);
    const run = (threads: number) => {
      addon!.setThreads(threads);
      const out: Float32Array[] = [];
      for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const c = new Float32Array(m * n);
        k('gemm_f32')(ta, tb, m, n, kk, 1, a, b, 0, c);
        out.push(c);
      }
      // Both GEMM paths over the team: column panels (up to 384 rows; the shape above, a dense layer's small
      // gradients) and the MC×NC blocked loops (more rows), each with A packed and read in place.
      for (const [mm_, nn_, kk_, ta, tb] of [[10, 128, 128, 1, 0], [128, 128, 10, 0, 0], [128, 256, 300, 0, 1], [401, 263, 300, 0, 0], [401, 97, 380, 1, 1]]) {
        const c = new Float32Array(mm_ * nn_);
        k('gemm_f32')(ta, tb, mm_, nn_, kk_, 1, a, b, 0, c);
        out.push(c);
      }
      // The fused dense-layer kernels, and the few-rows forward path split over column chunks.
      const bias = randn(rng(78), n), fused = new Float32Array(m * n), masked = new Float32Array(m * kk), narrow = new Float32Array(7 * n);
      k('gemm_bias_act_f32')(m, n, kk, 1, 0, a, b, bias, fused);
      k('gemm_act_bwd_f32')(m, kk, n, 0.1, fused, b, a, masked);
      k('gemm_bias_act_f32')(7, n, kk, 1, 0.1, a, b, bias, narrow);
      out.push(fused, masked, narrow);
      // A dense layer's whole backward: on 2 threads its two products side by side, on 1 and 3 each over the team;
      // without an input gradient (a first layer), the weight gradient split over the team by rows (257 and 250:
      // row groups that end inside a register tile).
      for (const [mm_, of, inf, withDx] of [[128, 128, 256, 1], [130, 10, 129, 1], [128, 257, 300, 0], [64, 250, 200, 0]]) {
        const dw = b.slice(0, of * inf), db = bias.slice(0, of), dx = new Float32Array(withDx ? mm_ * inf : 0);
        k('linear_bwd_f32')(mm_, of, inf, 1, 1, 0.1, a.subarray(0, mm_ * of), fused.subarray(0, mm_ * inf), b.subarray(0, of * inf), fused.subarray(0, mm_ * inf), dw, db, dx);
        out.push(dw, db, dx);
      }
      const y = new Float32Array(big);
      k('tanh_fwd_f32')(big, x, y);
      out.push(y.slice());
      k('sigmoid_fwd_f32')(big, x, y);
      out.push(y);
      // Every activation of the table, forward and backward, through its record (params at their defaults).
      for (const name of ACTIVATION_NAMES) {
        const spec = ACTIVATION_TABLE[name], p = activationParams('test', name);
        const fy = new Float32Array(big), dx = new Float32Array(big);
        spec.fwd(nativeKernels, big, p, heapF32(x), heapF32(fy));
        spec.bwd(nativeKernels, big, p, heapF32(spec.backwardFrom === 'y' ? fy : x), heapF32(g), heapF32(dx));
        out.push(fy, dx);
      }
      const sm = new Float32Array(big);
      k('softmax_fwd_f32')(Math.floor(big / 1000), 1000, x, sm);
      out.push(sm);
      // Softmax cross-entropy in row chunks: 10 classes (32-row chunks) and 1000.
      for (const [rows, classes] of [[300, 10], [30, 1000]]) {
        const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % classes);
        const loss = new Float32Array(rows), grad = new Float32Array(rows * classes);
        k('softmax_xent_f32')(rows, classes, 1 / rows, x.subarray(0, rows * classes), labels, loss, grad);
        out.push(loss, grad);
      }
      const w = x.slice(), mm = new Float32Array(big), v = new Float32Array(big), vmax = new Float32Array(big);
      for (let t = 1; t <= 3; t++) k('adam_step_f32')(big, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0, 1 - 0.9 ** t, 1 - 0.999 ** t, w, g, mm, v, vmax);
      const sq = new Float32Array(big), buf = new Float32Array(big), gavg = new Float32Array(big), w2 = x.slice();
      k('rmsprop_step_f32')(big, 1e-2, 0.99, 1e-8, 0.01, 0.9, 1, w2, g, sq, buf, gavg);
      out.push(w, mm, v, w2, buf);
      return out;
    };
    const one = run(1);
    for (const threads of [2, 3]) expectSameBits(one, run(threads), `gemm, activations and optimizers with ${threads} threads`);
    addon!.setThreads(initial!.threads);
  });

  it('takes its defaults from DESCENT_THREADS and DESCENT_ISA, and rejects bad setThreads values', () => {
    const root = new URL('../..', import.meta.url).pathname;
    const path = process.env.DESCENT_NATIVE_PATH ?? '';
    const script = `const a = ${path ? `require(${JSON.stringify(path)})` : `require('node-gyp-build')(${JSON.stringify(root)})`}; const i = a.info(); console.log(i.threads + ' ' + i.isa)`;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
    expect(run({ DESCENT_THREADS: '3', DESCENT_ISA: 'scalar' })).toBe('3 scalar');
    expect(run({ DESCENT_THREADS: '1', DESCENT_ISA: '' }).split(' ')[0]).toBe('1');
    expect(() => addon!.setThreads(0)).toThrow(RangeError);
    expect(() => addon!.setThreads(1.5)).toThrow(/setThreads: expected n to be an integer in \[1, 256\]/);
    expect(addon!.setIsa('no-such-isa')).toBe(false);
  });

  it('is safe to call from several worker_threads at once, with the single-thread bits', async () => {
    addon!.setIsa(initial!.isa);
    const m = 160, n = 200, kk = 300;
    const r = rng(3);
    const a = randn(r, m * kk), b = randn(r, kk * n);
    addon!.setThreads(1);
    const expected = new Float32Array(m * n);
    k('gemm_f32')(0, 1, m, n, kk, 1, a, b, 0, expected);
    addon!.setThreads(initial!.threads);
    const root = new URL('../..', import.meta.url).pathname;
    const path = process.env.DESCENT_NATIVE_PATH ?? '';
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { createRequire } = require('node:module');
      const req = createRequire(workerData.root + '/package.json');
      const addon = workerData.path ? req(workerData.path) : req('node-gyp-build')(workerData.root);
      const { m, n, k, a, b } = workerData;
      let mismatches = 0;
      for (let it = 0; it < 40; it++) {
        const c = new Float32Array(m * n);
        addon.gemm_f32(0, 1, m, n, k, 1, a, b, 0, c);
        const y = new Float32Array(5000);
        addon.tanh_fwd_f32(5000, a, y);
        for (let i = 0; i < c.length; i++) if (c[i] !== workerData.expected[i]) { mismatches++; break; }
      }
      parentPort.postMessage(mismatches);
    `;
    const workers = [0, 1, 2].map(() => new Worker(code, { eval: true, workerData: { root, path, m, n, k: kk, a, b, expected } }));
    const results = workers.map((w) => new Promise<number>((resolve, reject) => (w.once('message', resolve), w.once('error', reject))));
    let mainMismatches = 0;
    for (let it = 0; it < 40; it++) {
      const c = new Float32Array(m * n);
      k('gemm_f32')(0, 1, m, n, kk, 1, a, b, 0, c);
      if (c.some((v, i) => v !== expected[i])) mainMismatches++;
    }
    expect(await Promise.all(results)).toEqual([0, 0, 0]);
    expect(mainMismatches).toBe(0);
    await Promise.all(workers.map((w) => w.terminate()));
  });
});
