/**
 * wasm's Winograd F(2×2, 3×3) (assembly/winograd.ts) at sizes only its fixed workspace makes special: images whose
 * tiles take several blocks of tile rows (one block's transformed inputs fill packed B's 512 KiB, or its products the
 * rest), forward, input gradient and weight gradient, with odd channel counts and padding 2 on one axis and 0 on
 * the other. Checked against float64 direct sums under test/winograd.ts's bounds (the input gradient as the forward
 * of dY with the flipped, transposed filters, which is what it equals exactly); outputs start as NaN, so every
 * element must be written. The shared kernel suite (test/kernels/conv.test.ts) covers the edge shapes on every backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, type Backend } from '../../src/index.js';
import { put, randn, rng } from '../helpers.js';
import { flippedGeometry, winogradAbs, winogradBound, winogradFilterAbs, winogradFilterBound, type WinogradGeometry } from '../winograd.js';

let wasm: Backend;
beforeAll(async () => {
  wasm = await loadBackend('wasm');
});

/** The 3×3 stride-1 convolution of x [n, c, h, w] by wt [oc, c, 3, 3] (+ bias) in float64, [n, oc, oh, ow]. */
function direct(g: WinogradGeometry, x: Float32Array, wt: Float32Array, bias: Float32Array): Float64Array {
  const y = new Float64Array(g.n * g.oc * g.oh * g.ow);
  for (let s = 0; s < g.n; s++)
    for (let o = 0; o < g.oc; o++)
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          let sum = bias.length > 0 ? bias[o] : 0;
          for (let i = 0; i < g.c; i++)
            for (let ky = 0; ky < 3; ky++) {
              const iy = oy - g.ph + ky;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < 3; kx++) {
                const ix = ox - g.pw + kx;
                if (ix >= 0 && ix < g.w) sum += wt[((o * g.c + i) * 3 + ky) * 3 + kx] * x[((s * g.c + i) * g.h + iy) * g.w + ix];
              }
            }
          y[((s * g.oc + o) * g.oh + oy) * g.ow + ox] = sum;
        }
  return y;
}

/** dW [oc, c, 3, 3] = Σ_s Σ_p dY[s, o, p]·x[s, i, p + tap] in float64. */
function directFilter(g: WinogradGeometry, x: Float32Array, dy: Float32Array): Float64Array {
  const gw = new Float64Array(g.oc * g.c * 9);
  for (let s = 0; s < g.n; s++)
    for (let o = 0; o < g.oc; o++)
      for (let i = 0; i < g.c; i++)
        for (let tap = 0; tap < 9; tap++) {
          const ky = Math.floor(tap / 3), kx = tap % 3;
          let sum = 0;
          for (let oy = 0; oy < g.oh; oy++) {
            const iy = oy - g.ph + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let ox = 0; ox < g.ow; ox++) {
              const ix = ox - g.pw + kx;
              if (ix >= 0 && ix < g.w) sum += dy[((s * g.oc + o) * g.oh + oy) * g.ow + ox] * x[((s * g.c + i) * g.h + iy) * g.w + ix];
            }
          }
          gw[(o * g.c + i) * 9 + tap] += sum;
        }
  return gw;
}

function expectWithin(got: Float32Array, want: Float64Array, bound: (i: number) => number, what: string) {
  for (let i = 0; i < want.length; i++) {
    const b = bound(i) + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= b)) expect.fail(`${what}: at ${i}: got ${got[i]}, ref ${want[i]}, bound ${b}`);
  }
}

describe('wasm Winograd F(2×2, 3×3)', () => {
  const shapes: WinogradGeometry[] = [
    // 42×28 output: 21 rows of 16 tiles, 32 input channels: the forward's transformed inputs and the weight
    // gradient's take two blocks each; the input gradient (9 → 32 channels) is two blocks by its products.
    { n: 2, c: 32, h: 40, w: 30, oc: 9, oh: 42, ow: 28, ph: 2, pw: 0 },
    // 4 → 5 channels (4: the threshold; the weight gradient's is 8, so it takes the products) on a 101×67 image:
    // two blocks, odd edges on both axes.
    { n: 1, c: 4, h: 101, w: 67, oc: 5, oh: 101, ow: 67, ph: 1, pw: 1 },
  ];
  for (const g of shapes) {
    it(`c${g.c} ${g.h}x${g.w} → oc${g.oc} ${g.oh}x${g.ow} p${g.ph},${g.pw}: forward and both gradients within the Winograd bounds`, () => {
      const r = rng(g.c * 1000 + g.h);
      const x = randn(r, g.n * g.c * g.h * g.w), wt = randn(r, g.oc * g.c * 9), bias = randn(r, g.oc), dy = randn(r, g.n * g.oc * g.oh * g.ow);
      const sizes = [g.n, g.c, g.h, g.w, g.oc, 3, 3, 1, 1, g.ph, g.pw, 1, 1, 1, g.oh, g.ow] as const;
      const nan = (len: number) => put(wasm, new Float32Array(len).fill(NaN));
      const col = nan(g.c * 9 * g.oh * g.ow), Y = nan(dy.length), DX = nan(x.length);
      wasm.k.conv2d_fwd_f32(...sizes, put(wasm, x), put(wasm, wt), put(wasm, bias), col, Y);
      const yAbs = winogradAbs(g, x, wt, bias);
      expectWithin(Y.data, direct(g, x, wt, bias), (i) => winogradBound(g.c, yAbs[i]), 'conv2d_fwd_f32');
      wasm.k.conv2d_bwd_data_f32(...sizes, put(wasm, dy), put(wasm, wt), col, DX);
      const f = flippedGeometry(g, wt)!;
      const none = new Float32Array(0);
      const dxAbs = winogradAbs(f.geometry, dy, f.wt, none);
      expectWithin(DX.data, direct(f.geometry, dy, f.wt, none), (i) => winogradBound(g.oc, dxAbs[i]), 'conv2d_bwd_data_f32');
      const GW = nan(wt.length), GB = nan(g.oc);
      wasm.k.conv2d_bwd_filter_f32(...sizes, 0, put(wasm, x), put(wasm, dy), col, GW, GB);
      const gwAbs = winogradFilterAbs(g, x, dy);
      expectWithin(GW.data, directFilter(g, x, dy), (i) => winogradFilterBound(g, gwAbs[i]), 'conv2d_bwd_filter_f32');
    });
  }
});
