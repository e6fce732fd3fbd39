/**
 * Loading the wasm backend: an engine without WebAssembly SIMD gets a recorded reason and the next backend;
 * the SIMD and relaxed-SIMD probes agree with the engine; the module loads synchronously in Node too.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const realValidate = WebAssembly.validate;
afterEach(() => {
  WebAssembly.validate = realValidate;
  vi.resetModules();
});

describe('wasm loader', () => {
  it('reports a missing SIMD128 as the reason and falls back', async () => {
    vi.resetModules();
    WebAssembly.validate = () => false;
    const d = await import('../../src/index.js');
    const infos = await d.availableBackends();
    const wasm = infos.find((i) => i.name === 'wasm')!;
    expect(wasm.available).toBe(false);
    expect(wasm.reason).toMatch(/SIMD128/);
    expect((await d.loadBackend()).name).not.toBe('wasm');
    await expect(d.loadBackend('wasm')).rejects.toMatchObject({ code: 'ERR_BACKEND', message: expect.stringContaining('SIMD128') });
  });

  it('loads in this Node with SIMD, and relaxed SIMD only where the engine validates it', async () => {
    vi.resetModules();
    const { wasmLoader } = await import('../../src/backends/wasm.js');
    const backend = (await wasmLoader.load()) as import('../../src/backends/wasm.js').WasmBackend;
    expect(backend.name).toBe('wasm');
    expect(backend.tiles).toEqual({ mr: 4, nr: 8 });
    expect(backend.detail).toMatch(backend.relaxed ? /relaxed-simd/ : /simd128/);
    // Node 20 validates relaxed SIMD only behind --experimental-wasm-relaxed-simd.
    expect(backend.relaxed).toBe(process.execArgv.some((a) => a.includes('relaxed-simd')) || !process.versions.node.startsWith('20.'));
    expect(wasmLoader.loadSync!()).toBe(backend);
  });

  it('loads synchronously first in a fresh module', async () => {
    vi.resetModules();
    const { wasmLoader } = await import('../../src/backends/wasm.js');
    const backend = wasmLoader.loadSync!();
    const A = backend.alloc(4);
    A.data.set([-1, 1, -2, 2]);
    backend.k.relu_fwd_f32(4, A, A);
    expect(Array.from(A.data)).toEqual([0, 1, 0, 2]);
  });
});
