/**
 * `loadBackend('wasm', { wasm })`: the module can come from a URL, a file path (Node), a Response, a promise of
 * one, bytes (ArrayBuffer or Uint8Array) or a compiled WebAssembly.Module; a bad option or a foreign module is
 * rejected with a coded error; a source given after a failed default load is tried. Each case gets fresh modules,
 * so every load really instantiates.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const FILE = new URL('../../dist/wasm/descent.wasm', import.meta.url);
const bytes = () => new Uint8Array(readFileSync(FILE));

async function fresh() {
  vi.resetModules();
  return import('../../src/index.js');
}

/** Trains nothing; one kernel call proves the instance works through the adapter. */
function relu(backend: { alloc(n: number): { data: Float32Array }; k: { relu_fwd_f32(n: number, x: never, y: never): void } }) {
  const a = backend.alloc(4);
  a.data.set([-1, 2, -3, 4]);
  backend.k.relu_fwd_f32(4, a as never, a as never);
  return Array.from(a.data);
}

afterEach(() => vi.resetModules());

describe('loadBackend with options.wasm', () => {
  const sources: [string, () => unknown][] = [
    ['a file: URL', () => FILE],
    ['a file path (Node)', () => fileURLToPath(FILE)],
    ['a Response', () => new Response(bytes(), { headers: { 'content-type': 'application/wasm' } })],
    ['a promise of a Response without the wasm content type', () => Promise.resolve(new Response(bytes()))],
    ['an ArrayBuffer', () => bytes().buffer],
    ['a Uint8Array view at an offset', () => { const b = bytes(); const big = new Uint8Array(b.length + 8); big.set(b, 8); return big.subarray(8); }],
    ['a WebAssembly.Module', () => new WebAssembly.Module(bytes())],
  ];
  for (const [what, source] of sources) {
    it(`loads from ${what}`, async () => {
      const d = await fresh();
      const backend = await d.loadBackend('wasm', { wasm: source() as never });
      expect(backend.name).toBe('wasm');
      expect(backend.detail).toMatch(/^simd128/);
      expect(relu(backend as never)).toEqual([0, 2, 0, 4]);
      expect(d.getBackend()).toBe(backend);
    });
  }

  it('rejects a bad source, a misspelt option and a foreign module with coded errors', async () => {
    const d = await fresh();
    await expect(d.loadBackend('wasm', { wasm: 42 as never })).rejects.toMatchObject({
      code: 'ERR_OPTION', name: 'RangeError', message: expect.stringMatching(/^loadBackend: expected options.wasm to be a URL, .*received 42 of type number$/),
    });
    await expect(d.loadBackend('wasm', { wasam: FILE } as never)).rejects.toMatchObject({ code: 'ERR_OPTION', message: expect.stringContaining("did you mean 'wasm'?") });
    await expect(d.loadBackend('wasm', 'x' as never)).rejects.toMatchObject({ code: 'ERR_OPTION' });
    // A valid but empty module (magic + version only): not descent's.
    const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    await expect(d.loadBackend('wasm', { wasm: empty })).rejects.toMatchObject({
      code: 'ERR_BACKEND', message: expect.stringContaining("is not this version of descent-nn's descent.wasm: it lacks memory, alloc, free"),
    });
    await expect(d.loadBackend('wasm', { wasm: Uint8Array.of(1, 2, 3) })).rejects.toMatchObject({ code: 'ERR_BACKEND', message: expect.stringContaining('could not be instantiated') });
    await expect(d.loadBackend('wasm', { wasm: new Response('missing', { status: 404 }) })).rejects.toMatchObject({ code: 'ERR_BACKEND', message: expect.stringContaining('HTTP 404') });
  });

  it('tries a given source after the default location failed, and keeps the first module loaded', async () => {
    const d = await fresh();
    await expect(d.loadBackend('wasm', { wasm: new URL('file:///nonexistent/descent.wasm') })).rejects.toMatchObject({ code: 'ERR_BACKEND' });
    const backend = await d.loadBackend('wasm', { wasm: bytes() });
    expect(backend.name).toBe('wasm');
    // Once loaded, the module stays: a later source is not instantiated (one module per realm).
    expect(await d.loadBackend('wasm', { wasm: Uint8Array.of(1, 2, 3) })).toBe(backend);
  });
});
