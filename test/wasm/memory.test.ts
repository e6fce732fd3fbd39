/**
 * wasm backend memory: views survive memory growth, freed memory is reused (creating and disposing models in a
 * loop keeps linear memory bounded), view() is zero-copy only over the module's memory, and handles of other
 * backends are staged through the module for one call.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Linear, ReLU, Sequential, Trainer, loadBackend, setBackend, jsBackend } from '../../src/index.js';
import { heapF32 } from '../../src/buffers.js';
import type { WasmBackend } from '../../src/backends/wasm.js';
import { put, randn, rng } from '../helpers.js';

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = (await loadBackend('wasm')) as WasmBackend;
  setBackend(jsBackend);
});

describe('wasm memory', () => {
  it('rebuilds views after memory growth and keeps the values', () => {
    const values = randn(rng(1), 1000);
    const A = put(wasm, values);
    const labels = wasm.allocI32(5);
    labels.data.set([4, 3, 2, 1, 0]);
    const before = A.data;
    const size = wasm.memory.buffer.byteLength;
    // 64 MiB more than the memory holds now forces memory.grow, which detaches every existing view of an
    // ArrayBuffer; a SharedArrayBuffer (the threaded module) cannot detach: old views keep their old length.
    const big = wasm.alloc(16 << 20);
    expect(wasm.memory.buffer.byteLength).toBeGreaterThan(size);
    expect(before.byteLength).toBe(wasm.threaded ? 4000 : 0);
    expect(A.data).not.toBe(before);
    expect(A.data.byteLength).toBe(4000);
    expect(Array.from(A.data)).toEqual(Array.from(values));
    expect(Array.from(labels.data)).toEqual([4, 3, 2, 1, 0]);
    expect(big.data[(16 << 20) - 1]).toBe(0);
    // Kernels keep working on the old handles.
    const Y = wasm.alloc(1000);
    wasm.k.relu_fwd_f32(1000, A, Y);
    expect(Array.from(Y.data)).toEqual(Array.from(values, (v) => (v <= 0 ? 0 : v)));
    for (const b of [A, labels, big, Y]) wasm.free(b);
  });

  it('reuses freed memory: buffers and models created and disposed in a loop keep memory bounded', () => {
    const churn = () => {
      const bufs = [1 << 20, 12345, 7, 1 << 18].map((n) => wasm.alloc(n));
      for (const b of bufs) wasm.free(b);
    };
    const r = rng(2);
    const x = randn(r, 32 * 64), y = Int32Array.from({ length: 32 }, () => r.int(10));
    const train = () => {
      setBackend(wasm);
      const model = new Sequential([new Linear(64, 128), new ReLU(), new Linear(128, 10)]);
      const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
      const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy' });
      trainer.step(x, y);
      trainer.dispose();
      model.dispose();
      optimizer.dispose();
      setBackend(jsBackend);
    };
    churn();
    train();
    const settled = wasm.memory.buffer.byteLength;
    for (let i = 0; i < 100; i++) {
      churn();
      train();
    }
    // Without reuse this loop would need > 100 × (4 MiB + 150 KiB); allow one 1 MiB of slack.
    expect(wasm.memory.buffer.byteLength - settled).toBeLessThanOrEqual(1 << 20);
  });

  it('free is idempotent and ignores views and handles of other backends', () => {
    const A = wasm.alloc(16);
    wasm.free(A);
    wasm.free(A);
    expect(() => wasm.k.relu_fwd_f32(16, A, wasm.alloc(16))).toThrow(/x was freed/);
    expect(() => A.data).toThrow(/used after free/);
    const B = wasm.alloc(8);
    const view = wasm.view(B.data)!;
    wasm.free(view);
    wasm.free(heapF32(new Float32Array(4)));
    B.data[3] = 5;
    expect(view.data[3]).toBe(5);
    wasm.free(B);
  });

  it('view() is zero-copy over module memory and null elsewhere', () => {
    const A = put(wasm, Float32Array.of(1, 2, 3, 4, 5, 6));
    const sub = A.data.subarray(2, 5);
    const v = wasm.view(sub)!;
    expect(v.ptr).toBe(A.ptr! + 8);
    expect(v.length).toBe(3);
    wasm.k.relu_fwd_f32(3, v, v);
    v.data[0] = -1;
    expect(A.data[2]).toBe(-1);
    expect(wasm.view(new Float32Array(3))).toBeNull();
    expect(wasm.viewI32(new Int32Array(3))).toBeNull();
    wasm.free(A);
  });

  it('stages handles of other backends through module memory for one call, in place included', () => {
    const r = rng(3);
    const a = randn(r, 6 * 5), b = randn(r, 5 * 7);
    const cWasm = new Float32Array(6 * 7), cJs = new Float32Array(6 * 7);
    wasm.k.gemm_f32(0, 0, 6, 7, 5, 1, heapF32(a), heapF32(b), 0, heapF32(cWasm));
    jsBackend.k.gemm_f32(0, 0, 6, 7, 5, 1, heapF32(a), heapF32(b), 0, heapF32(cJs));
    for (let i = 0; i < cJs.length; i++) expect(Math.abs(cWasm[i] - cJs[i])).toBeLessThan(1e-5);
    const x = Float32Array.of(-1, 2, -3, 4, 5);
    const X = heapF32(x);
    wasm.k.relu_fwd_f32(5, X, X);
    expect(Array.from(x)).toEqual([0, 2, 0, 4, 5]);
  });
});
