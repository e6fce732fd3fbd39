/**
 * The threaded wasm module (Node always has threads): bit-identical results for 1, 2 and 3 threads — GEMMs above
 * the split threshold in all four transpose cases, split into row blocks and into column groups across several
 * NC/KC/MC blocks, the fused
 * dense-layer GEMMs (epilogues on the workers' tiles), the convolution kernels (images and weight-gradient blocks
 * over the team), max pooling (planes), every activation,
 * mul and every optimizer step over arrays long enough to split, and whole MLP training trajectories — and the
 * same bits as the single-threaded module. Also: setThreads and DESCENT_THREADS size the wasm team, and workers do
 * not keep the process alive, and a worker that traps inside a task fails that kernel call instead of hanging it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { wasmBackendFromInstance, type WasmBackend } from '../../src/backends/wasm.js';
import { copyStaticData, sharedMemory, WasmTeam } from '../../src/backends/wasm-threads.js';
import { Adam, getThreads, Linear, loadBackend, manualSeed, ReLU, Sequential, setBackend, setThreads, Tanh, Trainer } from '../../src/index.js';
import type { Backend } from '../../src/backends/types.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, activationParams } from '../../src/nn/activation-table.js';
import { expectSameBits, put, randn, rng, uniform } from '../helpers.js';

const wasm = (await loadBackend('wasm')) as WasmBackend;
const initialThreads = getThreads();

/** The single-threaded module of the same SIMD flavour, as a second backend. */
function singleThreaded(): Backend {
  const file = new URL(`../../dist/wasm/${wasm.relaxed ? 'descent-relaxed.wasm' : 'descent.wasm'}`, import.meta.url);
  const abort = () => {
    throw new Error('abort');
  };
  return wasmBackendFromInstance(new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { abort } }), wasm.relaxed);
}

/** Runs every kernel the team splits on backend `b`; returns the outputs as plain arrays. */
function runAll(b: Backend): Float32Array[] {
  const r = rng(77);
  const out: Float32Array[] = [];
  // 301×263×517: row blocks with edge rows and three KC blocks (beta on the first only); 1100×37×300: row blocks of
  // several MC blocks; 40×1100×70: split into column groups (cheaper to pack A twice than B), each over two NC blocks;
  // 130×10×129: just above the split threshold, an edge column tile in every rectangle; 13×301×97: few rows against
  // a weight stored [n, k] (nt), dot products split in column chunks (a short last chunk, an odd last column, a k tail).
  for (const [m, n, k] of [[301, 263, 517], [1100, 37, 300], [40, 1100, 70], [130, 10, 129], [13, 301, 97]]) {
    const a = put(b, randn(r, m * k)), bb = put(b, randn(r, k * n)), c0 = randn(r, m * n);
    for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const c = put(b, c0);
      b.k.gemm_f32(ta, tb, m, n, k, 0.75, a, bb, ta === tb ? 0 : 0.5, c);
      out.push(c.data.slice());
    }
  }
  // The fused dense-layer kernels: bias + LeakyReLU in the forward GEMM's epilogue, the ReLU mask in dX's.
  {
    const [m, n, k] = [130, 301, 517];
    const x = put(b, randn(r, m * k)), w = put(b, randn(r, n * k)), bias = put(b, randn(r, n)), y = b.alloc(m * n), dx = b.alloc(m * k);
    b.k.gemm_bias_act_f32(m, n, k, 1, 0.01, x, w, bias, y);
    b.k.gemm_act_bwd_f32(m, k, n, 0, y, w, x, dx);
    out.push(y.data.slice(), dx.data.slice());
    // The small-batch forward: 9 rows, the epilogue applied per column chunk.
    const y9 = b.alloc(9 * n);
    b.k.gemm_bias_act_f32(9, n, k, 1, 0.01, x, w, bias, y9);
    out.push(y9.data.slice());
    // A dense layer's whole backward: two threads run its two products side by side, one thread each.
    for (const [mm, of, inf] of [[128, 128, 256], [130, 10, 129]]) {
      const dy = put(b, randn(r, mm * of)), xin = put(b, randn(r, mm * inf)), wt = put(b, randn(r, of * inf));
      const dw = put(b, randn(r, of * inf)), db = put(b, randn(r, of)), dxl = b.alloc(mm * inf);
      b.k.linear_bwd_f32(mm, of, inf, 1, 1, 0.01, dy, xin, wt, xin, dw, db, dxl);
      out.push(dw.data.slice(), db.data.slice(), dxl.data.slice());
    }
  }
  // Convolutions: forward, both gradients (stride 1 as a transposed convolution, stride 2 through col2im), grouped,
  // several tasks of images and of weight-gradient blocks, taps over two KC blocks, a weight too big to stay packed,
  // Winograd F(2×2, 3×3) (the first, and the last: odd channels, padding 2 and 0, an image in two blocks of tiles).
  type ConvSizes = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const convs: ConvSizes[] = [
    [9, 16, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 10, 10],
    [8, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 28, 28],
    [7, 3, 9, 13, 7, 3, 3, 1, 1, 0, 2, 1, 1, 1, 7, 15],
    [6, 2, 10, 6, 9, 3, 3, 1, 1, 0, 2, 1, 1, 1, 8, 8],
    [5, 32, 7, 7, 72, 3, 3, 1, 1, 1, 1, 1, 1, 2, 7, 7],
    [2, 64, 6, 6, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 6, 6],
    [6, 8, 11, 11, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 6, 6],
    [5, 32, 40, 30, 9, 3, 3, 1, 1, 2, 0, 1, 1, 1, 42, 28],
  ];
  for (const sizes of convs) {
    const [n, c, h, w, oc, kh, kw, , , , , , , groups, oh, ow] = sizes;
    const x = put(b, randn(r, n * c * h * w)), wt = put(b, randn(r, (oc * c * kh * kw) / groups)), bias = put(b, randn(r, oc));
    const dy = put(b, randn(r, n * oc * oh * ow)), col = b.alloc(c * kh * kw * oh * ow);
    const y = b.alloc(n * oc * oh * ow), dx = b.alloc(n * c * h * w), gw = put(b, randn(r, wt.length)), gb = put(b, randn(r, oc));
    b.k.conv2d_fwd_f32(...sizes, x, wt, bias, col, y);
    b.k.conv2d_bwd_data_f32(...sizes, dy, wt, col, dx);
    b.k.conv2d_bwd_filter_f32(...sizes, 0.5, x, dy, col, gw, gb);
    out.push(y.data.slice(), dx.data.slice(), gw.data.slice(), gb.data.slice());
    // The same layer fused with a 2×2 max pool and a ReLU, three images of scratch at a time.
    const qh = oh >> 1, qw = ow >> 1, scratch = b.alloc(3 * oc * (oh * ow + qh * qw));
    const py = b.alloc(n * oc * qh * qw), pidx = b.allocI32(py.length), pdy = put(b, randn(r, py.length));
    b.k.conv2d_max_pool2d_fwd_f32(...sizes, 2, 2, 2, 2, 0, 0, qh, qw, 3, 1, x, wt, bias, col, scratch, py, pidx);
    b.k.conv2d_max_pool2d_bwd_f32(...sizes, qh, qw, 3, 1, 0.5, x, pdy, pidx, py, wt, col, scratch, gw, gb, dx);
    out.push(py.data.slice(), new Float32Array(pidx.data), dx.data.slice(), gw.data.slice(), gb.data.slice());
  }
  // Max pooling over planes split between threads: CNN-S's 2×2 and an overlapping 3×3 stride 2 (sums in backward).
  for (const [nc, h, w, k, st, p, oh, ow] of [[203, 28, 28, 2, 2, 0, 14, 14], [130, 27, 30, 3, 2, 1, 14, 15]]) {
    const x = put(b, randn(r, nc * h * w)), y = b.alloc(nc * oh * ow), idx = b.allocI32(nc * oh * ow), dx = b.alloc(nc * h * w);
    b.k.max_pool2d_fwd_f32(nc, h, w, k, k, st, st, p, p, oh, ow, x, y, idx);
    b.k.max_pool2d_bwd_f32(nc, h, w, oh, ow, y, idx, dx);
    out.push(y.data.slice(), new Float32Array(idx.data), dx.data.slice());
  }
  const big = 3 * 32768 + 13;
  const x = put(b, uniform(r, big, -5, 5)), g = put(b, randn(r, big));
  for (const name of ACTIVATION_NAMES) {
    const spec = ACTIVATION_TABLE[name], p = activationParams('test', name);
    const y = b.alloc(big), dx = b.alloc(big);
    spec.fwd(b.k, big, p, x, y);
    spec.bwd(b.k, big, p, spec.backwardFrom === 'y' ? y : x, g, dx);
    out.push(y.data.slice(), dx.data.slice());
  }
  const prod = b.alloc(big);
  b.k.mul_f32(big, x, g, prod);
  out.push(prod.data.slice());
  const state = () => Array.from({ length: 4 }, () => b.alloc(big));
  const [w1, m1, v1, vmax] = state();
  w1.data.set(x.data);
  for (let t = 1; t <= 3; t++) b.k.adam_step_f32(big, 1e-3, 0.9, 0.999, 1e-8, 0.01, t % 2, 1 - 0.9 ** t, 1 - 0.999 ** t, w1, g, m1, v1, vmax);
  const [w2, sq, buf, gavg] = state();
  w2.data.set(x.data);
  b.k.rmsprop_step_f32(big, 1e-2, 0.99, 1e-8, 0.01, 0.9, 1, w2, g, sq, buf, gavg);
  const [w3, mom, w4, sum] = state();
  w3.data.set(x.data);
  w4.data.set(x.data);
  b.k.momentum_step_f32(big, 0.1, 0.9, 0, 0.01, 1, w3, g, mom);
  b.k.adagrad_step_f32(big, 0.1, 0.01, 1e-10, w4, g, sum);
  b.k.sgd_step_f32(big, 0.1, 0.01, w4, g);
  for (const s of [w1, m1, v1, vmax, w2, sq, buf, gavg, w3, mom, w4, sum]) out.push(s.data.slice());
  return out;
}

/** Five Adam steps of a 100-300-64-10 MLP (batch 64): its parameters after each step. */
function trajectory(): Float32Array[] {
  setBackend(wasm);
  manualSeed(3);
  const model = new Sequential([new Linear(100, 300), new ReLU(), new Linear(300, 64), new Tanh(), new Linear(64, 10)]);
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' });
  const r = rng(5);
  const x = randn(r, 64 * 100), labels = new Int32Array(64).map((_, i) => (i * 7) % 10);
  const out: Float32Array[] = [];
  for (let step = 0; step < 5; step++) {
    trainer.step(x, labels);
    for (const p of model.parameters()) out.push(p.value.data.slice());
  }
  model.dispose();
  return out;
}

/** Waits until `n` workers run, so the comparisons below really split work (workers start asynchronously). */
async function workersUp(n: number): Promise<void> {
  for (let i = 0; i < 500 && wasm.workersRunning < n; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(wasm.workersRunning).toBeGreaterThanOrEqual(n);
}

describe('threaded wasm', () => {
  afterAll(() => setThreads(initialThreads));

  it('loads the threaded module in Node and follows setThreads', () => {
    expect(wasm.threaded).toBe(true);
    expect(setThreads(3)).toBe(3);
    expect(wasm.threads).toBe(3);
    expect(wasm.detail).toMatch(/, 3 threads \(shared memory\)$/);
    setThreads(1);
    expect(wasm.detail).toMatch(/, 1 thread \(shared memory\)$/);
  });

  it('gives the same bits for 1, 2 and 3 threads as the single-threaded module (gemm, conv, activations, mul, optimizers)', async () => {
    setThreads(3);
    await workersUp(2);
    const single = runAll(singleThreaded());
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      expectSameBits(single, runAll(wasm), `wasm with ${threads} thread(s) vs the single-threaded module`);
    }
  });

  it('trains an MLP along the same trajectory, bit for bit, on 1, 2 and 3 threads', () => {
    setThreads(1);
    const one = trajectory();
    for (const threads of [2, 3]) {
      setThreads(threads);
      expectSameBits(one, trajectory(), `MLP trajectory with ${threads} threads`);
    }
  });

  it('takes its size from DESCENT_THREADS and lets the process exit while workers are parked', () => {
    const entry = new URL('../../dist/src/index.js', import.meta.url).href;
    const script = `const d = await import(${JSON.stringify(entry)}); const b = await d.loadBackend('wasm');
      const a = b.alloc(600 * 600), c = b.alloc(600 * 600); b.k.gemm_f32(0, 0, 600, 600, 600, 1, a, a, 0, c); console.log(b.detail);`;
    const env = { ...process.env, DESCENT_THREADS: '3', DESCENT_BACKEND: 'wasm' };
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/, 3 threads \(shared memory\)/); // not the CPU count
  });

  it('fails a kernel call whose worker trapped instead of waiting for it, then runs on the calling thread', async () => {
    // A team of its own: an instance of the threaded module over a new shared memory, owner plus one worker.
    const file = new URL(`../../dist/wasm/${wasm.relaxed ? 'descent-relaxed-threads.wasm' : 'descent-threads.wasm'}`, import.meta.url);
    const module = new WebAssembly.Module(readFileSync(file));
    const memory = sharedMemory();
    const text = (ptr: number) => String.fromCharCode(...new Uint16Array(memory.buffer.slice(ptr, ptr + new Uint32Array(memory.buffer)[(ptr - 4) >> 2])));
    const abort = (msg: number) => {
      throw new Error(text(msg));
    };
    const instance = new WebAssembly.Instance(module, { env: { memory, abort } });
    copyStaticData(module, memory);
    const ex = instance.exports as unknown as Record<string, (...a: number[]) => number> & { _initialize(): void };
    ex._initialize();
    const team = new WasmTeam(module, memory, ex as never);
    team.resize(2);
    for (let i = 0; i < 500 && team.running < 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(team.running).toBe(1);
    // tanh over two 32 Ki chunks: the owner's home range (the first) is in bounds, the worker's reaches past the
    // end of memory, so a worker that claims its task traps inside it; before, the owner then waited for that
    // task forever. When the worker is slow to wake, the owner takes the task itself and traps: the call fails
    // either way, and the attempt is repeated a few times to reach the worker's trap on a loaded machine.
    const chunk = 32768, x = ex.alloc(8 * chunk), ok = ex.alloc(8 * chunk);
    const y = memory.buffer.byteLength - 4 * chunk;
    const errors: string[] = [];
    for (let attempt = 0; attempt < 20 && !errors.some((e) => e.includes('worker')); attempt++) {
      for (let i = 0; i < 5; i++) ex.tanh_fwd_f32(2 * chunk, x, ok); // jobs both run: the worker is awake and spinning
      try {
        ex.tanh_fwd_f32(2 * chunk, x, y);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/a worker of the wasm team trapped during this kernel call|out of bounds/);
    // The next calls run (on the owner alone once the worker failed), with the usual results.
    const input = new Float32Array(memory.buffer, x, 2 * chunk);
    input.set(randn(rng(9), 2 * chunk));
    ex.relu_fwd_f32(2 * chunk, x, ok);
    const out = new Float32Array(memory.buffer, ok, 2 * chunk);
    expect(out.every((v, i) => v === Math.max(0, input[i]))).toBe(true);
    team.resize(0);
  });
});
