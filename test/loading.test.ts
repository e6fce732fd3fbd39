/**
 * Backend choice: explicit name, then DESCENT_BACKEND, then the highest priority that loads; failures are
 * recorded with their reason, and an explicitly requested backend that fails throws ERR_BACKEND.
 * Each test gets a fresh registry module with stand-in loaders, so it does not depend on what is built here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../src/index.js';

async function freshRegistry() {
  vi.resetModules();
  const registry = await import('../src/backends/registry.js');
  const { jsBackend } = await import('../src/backends/js.js');
  return { ...registry, jsBackend };
}

const fake = (name: 'native' | 'wasm', base: Backend): Backend => ({ ...base, name, detail: `fake ${name}` });

afterEach(() => {
  delete process.env.DESCENT_BACKEND;
});

describe('loading backends', () => {
  it('falls back quietly from a missing addon to wasm and records why', async () => {
    const r = await freshRegistry();
    r.registerBackend('native', { load: () => { throw new Error('addon not found (tried prebuilds/linux-x64, build/Release)'); } }, 3);
    r.registerBackend('wasm', { load: async () => fake('wasm', r.jsBackend) }, 2);
    const chosen = await r.loadBackend();
    expect(chosen.name).toBe('wasm');
    expect(r.getBackend()).toBe(chosen);
    expect(await r.availableBackends()).toEqual([
      { name: 'native', available: false, reason: 'addon not found (tried prebuilds/linux-x64, build/Release)' },
      { name: 'wasm', available: true, detail: 'fake wasm' },
      { name: 'js', available: true, detail: r.jsBackend.detail },
    ]);
  });

  it('throws ERR_BACKEND with the reason when an explicitly requested backend cannot load', async () => {
    const r = await freshRegistry();
    r.registerBackend('wasm', { load: async () => { throw new Error('WebAssembly SIMD is not supported by this engine'); } }, 2);
    await expect(r.loadBackend('wasm')).rejects.toMatchObject({
      code: 'ERR_BACKEND',
      message: "loadBackend: backend 'wasm' is not available: WebAssembly SIMD is not supported by this engine",
      reasons: [{ name: 'wasm', reason: 'WebAssembly SIMD is not supported by this engine' }],
    });
    await expect(r.loadBackend('native')).rejects.toMatchObject({ code: 'ERR_BACKEND' });
    expect((await r.loadBackend('auto')).name).toBe('js');
  });

  it('lets DESCENT_BACKEND override auto, and an explicit name override the environment', async () => {
    const r = await freshRegistry();
    r.registerBackend('native', { load: () => fake('native', r.jsBackend), loadSync: () => fake('native', r.jsBackend) }, 3);
    process.env.DESCENT_BACKEND = 'js';
    expect((await r.loadBackend()).name).toBe('js');
    expect((await r.loadBackend('native')).name).toBe('native');
    process.env.DESCENT_BACKEND = 'gpu';
    await expect(r.loadBackend()).rejects.toMatchObject({ code: 'ERR_OPTION', message: expect.stringContaining('DESCENT_BACKEND') });
  });

  it('getBackend() before loadBackend() takes the best synchronous backend', async () => {
    const r = await freshRegistry();
    r.registerBackend('native', { load: () => fake('native', r.jsBackend), loadSync: () => fake('native', r.jsBackend) }, 3);
    r.registerBackend('wasm', { load: async () => fake('wasm', r.jsBackend) }, 2);
    expect(r.getBackend().name).toBe('native');
  });

  it('models use the backend that was active when they were created', async () => {
    const { Linear, Sequential, setBackend, jsBackend } = await import('../src/index.js');
    const other = { ...jsBackend, name: 'wasm' as const };
    setBackend(jsBackend);
    const a = new Sequential([new Linear(2, 2)]);
    setBackend(other);
    const b = new Sequential([new Linear(2, 2)]);
    expect(a.backend).toBe(jsBackend);
    expect(b.backend).toBe(other);
    setBackend(other);
    expect(() => new Sequential([a.layers[0], new Linear(2, 2)])).toThrow(/backend/);
    setBackend(jsBackend);
  });
});
