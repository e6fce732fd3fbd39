/**
 * Shared test helpers: seeded inputs, the backends to run over, and a closeness check that prints the position,
 * both values and the context on failure.
 */
import { availableBackends, loadBackend, type Backend } from '../src/index.js';
import type { F32Buf } from '../src/buffers.js';
import { Rng } from '../src/rng.js';

export function rng(seed = 1): Rng {
  return new Rng(seed);
}

export function randn(r: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * r.normal();
  return a;
}

export function uniform(r: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniformRange(lo, hi);
  return a;
}

/**
 * Every backend that loads here. `DESCENT_REQUIRE_BACKENDS=native,wasm,js` (set by .ci/run) turns a backend that
 * fails to load into a test failure rather than a silently shorter matrix.
 */
export async function testBackends(): Promise<Backend[]> {
  const infos = await availableBackends();
  const required = (process.env.DESCENT_REQUIRE_BACKENDS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of required) {
    const info = infos.find((i) => i.name === name);
    if (!info?.available) throw new Error(`required backend ${name} is not available: ${info?.reason ?? 'not registered'}`);
  }
  const out: Backend[] = [];
  for (const info of infos) if (info.available) out.push(await loadBackend(info.name));
  return out;
}

export const BACKENDS: Backend[] = await testBackends();

/** A backend buffer filled with `values`. */
export function put(backend: Backend, values: Float32Array): F32Buf {
  const buf = backend.alloc(values.length);
  buf.data.set(values);
  return buf;
}

export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: (i: number, ref: number) => number, context: string): void {
  if (got.length < ref.length) throw new Error(`${context}: got ${got.length} values, expected ${ref.length}`);
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], r = ref[i];
    if (Number.isNaN(r) && Number.isNaN(g)) continue;
    const bound = tol(i, r);
    if (!(Math.abs(g - r) <= bound) && g !== r) {
      throw new Error(`${context}: at index ${i}: got ${g}, ref ${r}, |diff| ${Math.abs(g - r)} > tolerance ${bound}`);
    }
  }
}

/** The fixture bound for one tensor: 1e-5 relative plus an absolute floor of 1e-6 times the tensor's largest magnitude. */
export function tensorTol(ref: ArrayLike<number>) {
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i]));
  return (_i: number, r: number) => 1e-5 * Math.abs(r) + 1e-6 * max;
}

/** The elementwise bound of CONTRIBUTING.md §4: |got − ref| ≤ 1e-6 + 1e-5·|ref|. */
export const elementwise = (abs = 1e-6, rel = 1e-5) => (_i: number, r: number) => abs + rel * Math.abs(r);

/** Fails at the first output whose float32 bits differ between two runs (thread-count and ISA determinism). */
export function expectSameBits(one: Float32Array[], other: Float32Array[], context: string): void {
  one.forEach((a, i) => {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(other[i].buffer, other[i].byteOffset, other[i].length);
    const j = x.findIndex((v, idx) => v !== y[idx]);
    if (j !== -1 || x.length !== y.length) throw new Error(`${context}: output ${i} differs at ${j} (${a[j]} vs ${other[i][j]})`);
  });
}
