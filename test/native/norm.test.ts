/**
 * Native-only checks of the norm family: every ISA this CPU supports against the js reference (shapes above the
 * parallel threshold, channel counts around the vector width and the 64-channel column block), and bit-identical
 * batch norm, dropout and mul results for 1, 2 and 3 threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { heapF32 } from '../../src/buffers.js';
import { jsKernels } from '../../src/backends/js.js';
import { loadAddon, type NativeAddon } from '../../src/backends/native.js';
import { expectClose, expectSameBits, randn, rng, uniform } from '../helpers.js';

const addon: NativeAddon = loadAddon();
type Fn = (...args: unknown[]) => void;
const k = (name: string) => addon[name] as Fn;
const EPS = 1e-5;

/** Train forward then backward (batch statistics, accumulating into dgamma/dbeta) on the addon directly. */
function runNative(n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array) {
  const y = new Float32Array(x.length), sm = new Float32Array(c), si = new Float32Array(c);
  const rm = new Float32Array(c), rv = new Float32Array(c).fill(1);
  k('batch_norm_train_f32')(n, c, hw, EPS, 0.1, x, gamma, beta, rm, rv, y, sm, si);
  const dx = new Float32Array(x.length), dg = new Float32Array(c).fill(0.5), db = new Float32Array(c).fill(-0.5);
  k('batch_norm_bwd_f32')(n, c, hw, 1, 1, x, dy, gamma, sm, si, dx, dg, db);
  const ye = new Float32Array(x.length);
  k('batch_norm_eval_f32')(n, c, hw, EPS, x, gamma, beta, rm, rv, ye, sm, si);
  return [y, sm, si, rm, rv, dx, dg, db, ye];
}

function runJs(n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array) {
  const h = heapF32;
  const y = new Float32Array(x.length), sm = new Float32Array(c), si = new Float32Array(c);
  const rm = new Float32Array(c), rv = new Float32Array(c).fill(1);
  jsKernels.batch_norm_train_f32(n, c, hw, EPS, 0.1, h(x), h(gamma), h(beta), h(rm), h(rv), h(y), h(sm), h(si));
  const dx = new Float32Array(x.length), dg = new Float32Array(c).fill(0.5), db = new Float32Array(c).fill(-0.5);
  jsKernels.batch_norm_bwd_f32(n, c, hw, 1, 1, h(x), h(dy), h(gamma), h(sm), h(si), h(dx), h(dg), h(db));
  const ye = new Float32Array(x.length);
  jsKernels.batch_norm_eval_f32(n, c, hw, EPS, h(x), h(gamma), h(beta), h(rm), h(rv), h(ye), h(sm), h(si));
  return [y, sm, si, rm, rv, dx, dg, db, ye];
}

const OUTPUTS = ['y', 'save_mean', 'save_invstd', 'running_mean', 'running_var', 'dx', 'dgamma', 'dbeta', 'y (eval)'];

describe('native norm kernels: ISAs and threads', () => {
  const initial = addon.info();
  afterAll(() => {
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
  });

  for (const isa of initial.supported.split(',')) {
    it(`${isa}: batch norm train/eval/backward match the js reference`, () => {
      expect(addon.setIsa(isa)).toBe(true);
      const shapes: [number, number, number][] = [[3, 5, 1], [7, 15, 3], [2, 17, 31], [300, 129, 1], [32, 9, 256], [1, 2, 1025]];
      let seed = 1;
      for (const [n, c, hw] of shapes) {
        const r = rng(seed++);
        const x = randn(r, n * c * hw, 2), gamma = uniform(r, c, 0.5, 2), beta = uniform(r, c, -1, 1), dy = randn(r, n * c * hw);
        const got = runNative(n, c, hw, x, gamma, beta, dy), ref = runJs(n, c, hw, x, gamma, beta, dy);
        got.forEach((g, i) => expectClose(g, ref[i], (_j, rf) => 2e-6 + 2e-6 * Math.abs(rf), `${OUTPUTS[i]} on native/${isa} [${n}, ${c}, ${hw}]`));
      }
    });
  }

  it('gives bit-identical batch norm, dropout and mul results for 1, 2 and 3 threads', () => {
    addon.setIsa(initial.isa);
    const r = rng(21);
    // Above the parallel threshold: per-channel ([N, C, HW]) and column-block ([N, C], 200 channels = 4 blocks).
    const cases: [number, number, number][] = [[64, 12, 100], [700, 200, 1], [5, 3, 30000]];
    const data = cases.map(([n, c, hw]) => ({
      x: uniform(r, n * c * hw, -3, 5), gamma: uniform(r, c, 0.5, 2), beta: uniform(r, c, -1, 1), dy: randn(r, n * c * hw),
    }));
    const big = 200_003, xs = randn(r, big), ms = randn(r, big);
    const run = (threads: number) => {
      addon.setThreads(threads);
      const out: Float32Array[] = [];
      cases.forEach(([n, c, hw], i) => out.push(...runNative(n, c, hw, data[i].x, data[i].gamma, data[i].beta, data[i].dy)));
      const y = new Float32Array(big), mask = new Float32Array(big), prod = new Float32Array(big);
      k('dropout_fwd_f32')(big, 12345, Math.round(0.25 * 2 ** 24), 1 / 0.75, xs, y, mask);
      k('mul_f32')(big, xs, ms, prod);
      out.push(y, mask, prod);
      return out;
    };
    const one = run(1);
    for (const threads of [2, 3]) expectSameBits(one, run(threads), `norm family with ${threads} threads`);
  });
});
