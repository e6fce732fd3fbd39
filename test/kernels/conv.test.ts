/**
 * conv2d_fwd_f32, conv2d_bwd_data_f32 and conv2d_bwd_filter_f32 on every backend (the js reference included)
 * against a float64 direct convolution written here, at edge sizes: 1×1 images, kernel = image, stride > kernel,
 * odd sizes, padding ≥ kernel/2, dilation 2, groups 1/2/depthwise, channel counts 1, 3 and 17, batch 1 and above
 * the native weight-gradient chunk, an output size larger than the formula gives (padding reads only), and shapes a
 * backend may run through Winograd F(2×2, 3×3) (odd output sizes: partial tiles; 1×1 and 2×2 images; padding 0, 1,
 * 2 and mixed; channel counts off multiples of 16). Bound per element, GEMM style: 2·(K + 2)·2⁻²⁴·Σ|terms|
 * (+ |beta·old|), K the number of terms; for the forward, input gradient and weight gradient of Winograd-eligible
 * shapes the larger of that and the Winograd bound of test/winograd.ts (which holds whichever algorithm a backend
 * picks; wasm runs all three through Winograd).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/index.js';
import type { F32Buf } from '../../src/buffers.js';
import { BACKENDS, put, randn, rng } from '../helpers.js';
import { flippedGeometry, winogradAbs, winogradBound, winogradFilterAbs, winogradFilterBound, winogradShape } from '../winograd.js';

interface Shape {
  n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
  oh?: number; ow?: number; bias?: boolean;
}

type Full = Required<Shape>;

function full(s: Shape): Full {
  const oh = s.oh ?? Math.floor((s.h + 2 * s.ph - s.dh * (s.kh - 1) - 1) / s.sh) + 1;
  const ow = s.ow ?? Math.floor((s.w + 2 * s.pw - s.dw * (s.kw - 1) - 1) / s.sw) + 1;
  return { ...s, oh, ow, bias: s.bias ?? true };
}

const base = { n: 2, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
const SHAPES: Shape[] = [
  { ...base, c: 3, h: 1, w: 1, oc: 4, kh: 1, kw: 1 }, // 1×1 image, pointwise
  { ...base, c: 3, h: 1, w: 1, oc: 2, kh: 3, kw: 3, ph: 1, pw: 1 }, // 1×1 image, 3×3 kernel all padding but the centre
  { ...base, c: 1, h: 5, w: 5, oc: 3, kh: 5, kw: 5 }, // kernel = image
  { ...base, n: 1, c: 3, h: 11, w: 8, oc: 5, kh: 2, kw: 2, sh: 3, sw: 3 }, // stride > kernel, batch 1
  { ...base, n: 9, c: 3, h: 7, w: 9, oc: 4, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }, // odd sizes, stride 2
  { ...base, c: 2, h: 6, w: 5, oc: 3, kh: 3, kw: 3, ph: 2, pw: 2 }, // padding ≥ kernel/2
  { ...base, c: 3, h: 9, w: 10, oc: 4, kh: 3, kw: 3, ph: 2, pw: 2, dh: 2, dw: 2 }, // dilation 2
  { ...base, c: 4, h: 6, w: 7, oc: 6, kh: 3, kw: 3, ph: 1, pw: 1, groups: 2 }, // groups 2
  { ...base, c: 5, h: 8, w: 6, oc: 5, kh: 3, kw: 3, ph: 1, pw: 1, groups: 5 }, // depthwise
  { ...base, c: 3, h: 5, w: 5, oc: 6, kh: 3, kw: 3, groups: 3, bias: false }, // depthwise × 2, no bias
  { ...base, n: 19, c: 17, h: 6, w: 5, oc: 19, kh: 1, kw: 3, sh: 1, sw: 2, ph: 0, pw: 1 }, // asymmetric, 17 channels, batch > chunk
  { ...base, n: 3, c: 6, h: 4, w: 4, oc: 4, kh: 1, kw: 1, groups: 2 }, // pointwise grouped
  { ...base, n: 2, c: 16, h: 9, w: 9, oc: 32, kh: 3, kw: 3, ph: 1, pw: 1 }, // CNN-S second layer channels
  { ...base, c: 2, h: 3, w: 4, oc: 3, kh: 5, kw: 5, ph: 2, pw: 2 }, // 'same' 5×5 (native's flat im2col): taps wrap past both edges
  { ...base, c: 2, h: 2, w: 2, oc: 3, kh: 5, kw: 5, ph: 2, pw: 2 }, // 'same' 5×5 on an image narrower than the padding (row by row)
  { ...base, c: 1, h: 4, w: 6, oc: 2, kh: 3, kw: 5, ph: 3, pw: 2 }, // 'same' width, taller output than the image
  { ...base, c: 2, h: 4, w: 5, oc: 3, kh: 3, kw: 3, ph: 1, pw: 1, oh: 7, ow: 6 }, // output larger than the formula
  { ...base, n: 2, c: 37, h: 5, w: 6, oc: 11, kh: 3, kw: 3, ph: 1, pw: 1 }, // 333 taps: native's packed forward in two k blocks
  { ...base, n: 3, c: 2, h: 7, w: 9, oc: 9, kh: 3, kw: 3, ph: 1, pw: 1 }, // 63 pixels: whole and partial panels, 9 filters
  { ...base, c: 2, h: 3, w: 3, oc: 3, kh: 1, kw: 1, ph: 1, pw: 1 }, // padding > dilation·(k−1): native's input gradient via col2im
  { ...base, n: 9, c: 3, h: 7, w: 7, oc: 5, kh: 3, kw: 3, ph: 1, pw: 1 }, // 'same' 3×3 over several wasm tasks of 4 images
  { ...base, c: 2, h: 9, w: 9, oc: 3, kh: 3, kw: 3, ph: 2, pw: 2, dh: 2, dw: 2 }, // 'same' with dilation 2: flat taps 2 apart
  { ...base, c: 32, h: 6, w: 6, oc: 72, kh: 3, kw: 3, ph: 1, pw: 1 }, // 288 taps (two KC blocks), 72 filters (two dW blocks)
  { ...base, n: 1, c: 64, h: 4, w: 4, oc: 128, kh: 3, kw: 3, ph: 1, pw: 1 }, // weight too big to stay packed whole (wasm)
  { ...base, n: 1, c: 2, h: 33, w: 33, oc: 3, kh: 3, kw: 3, ph: 1, pw: 1 }, // 1089 pixels: two NC blocks, five KC blocks of dW
  { ...base, n: 3, c: 1, h: 66, w: 65, oc: 2, kh: 3, kw: 3, ph: 1, pw: 1 }, // 4290 pixels: beyond native's packed forward
  { ...base, n: 3, c: 1, h: 10, w: 17, oc: 5, kh: 3, kw: 3, ph: 1, pw: 1 }, // one channel, 'same' 3×3: native's direct forward, rows over 16
  // wasm's direct 3×3 kernels (at most 3 input channels): padding 0 and mixed, odd outputs, output channels off 4.
  { ...base, n: 5, c: 3, h: 9, w: 8, oc: 6, kh: 3, kw: 3 }, // padding 0: 7×6 output, odd rows
  { ...base, n: 2, c: 1, h: 12, w: 16, oc: 7, kh: 3, kw: 3, ph: 0, pw: 2 }, // padding 0 and 2: 10×18 output, width past 16
  { ...base, n: 3, c: 1, h: 28, w: 28, oc: 16, kh: 3, kw: 3, ph: 1, pw: 1 }, // CNN-S's first layer
  { ...base, n: 3, c: 1, h: 12, w: 12, oc: 20, kh: 3, kw: 3, ph: 1, pw: 1 }, // one channel, 144 pixels, 20 filters: native's pooled weight gradient in two blocks of filters, 36 windows
  { ...base, n: 3, c: 3, h: 10, w: 6, oc: 5, kh: 3, kw: 3, ph: 0, pw: 2 }, // 8×8 output, 5 filters: whole 2×2 pool windows on wasm's direct kernels
  // Winograd F(2×2, 3×3) candidates: 3×3, stride 1, one group, enough channels.
  { ...base, n: 3, c: 9, h: 7, w: 9, oc: 11, kh: 3, kw: 3, ph: 1, pw: 1 }, // 9→11, odd output (partial tiles), odd batch
  { ...base, n: 1, c: 8, h: 1, w: 1, oc: 8, kh: 3, kw: 3, ph: 1, pw: 1 }, // 8→8, 1×1 image (one partial tile), batch 1
  { ...base, c: 16, h: 2, w: 2, oc: 33, kh: 3, kw: 3, ph: 1, pw: 1, bias: false }, // 16→33, 2×2 image, no bias
  { ...base, n: 3, c: 17, h: 8, w: 7, oc: 16, kh: 3, kw: 3 }, // 17→16, padding 0: 6×5 output
  { ...base, n: 1, c: 16, h: 5, w: 6, oc: 17, kh: 3, kw: 3, ph: 2, pw: 2 }, // 16→17, padding 2: 7×8 output, input gradient unpadded
  { ...base, c: 18, h: 6, w: 5, oc: 16, kh: 3, kw: 3, ph: 0, pw: 2, bias: false }, // 18→16, padding 0 and 2: 4×7 output
  { ...base, n: 5, c: 16, h: 13, w: 13, oc: 33, kh: 3, kw: 3, ph: 1, pw: 1 }, // 16→33, 13×13: 49 tiles, partial last row and column
  { ...base, c: 16, h: 4, w: 5, oc: 16, kh: 3, kw: 3, ph: 1, pw: 1, oh: 7, ow: 6 }, // output larger than the formula
  { ...base, n: 1, c: 16, h: 2, w: 3, oc: 16, kh: 3, kw: 3, ph: 3, pw: 3 }, // padding 3: the input gradient has no flipped forward
];

/**
 * Max pools the fused kernel is checked with, and whether a ReLU follows: 2×2 (the fast paths, and the pools native
 * makes in registers) with and without, overlapping and padded, 1×1, and stride > window.
 */
const POOLS = [
  [[2, 2, 2, 2, 0, 0], 0],
  [[2, 2, 2, 2, 0, 0], 1],
  [[3, 3, 2, 2, 1, 1], 1],
  [[1, 1, 1, 1, 0, 0], 0],
  [[2, 1, 3, 2, 1, 0], 1],
] as const;

function tag(s: Full): string {
  return `n${s.n} c${s.c} ${s.h}x${s.w} oc${s.oc} k${s.kh}x${s.kw} s${s.sh},${s.sw} p${s.ph},${s.pw} d${s.dh},${s.dw} g${s.groups} out ${s.oh}x${s.ow}${s.bias ? '' : ' nobias'}`;
}

/** Calls f(o, i, ky, kx, s, oy, ox, iy, ix) for every product term of the convolution (taps inside the image). */
function forEachTerm(s: Full, f: (o: number, i: number, ky: number, kx: number, n: number, oy: number, ox: number, iy: number, ix: number) => void) {
  const cg = s.c / s.groups, ocg = s.oc / s.groups;
  for (let n = 0; n < s.n; n++)
    for (let o = 0; o < s.oc; o++) {
      const g = Math.floor(o / ocg);
      for (let oy = 0; oy < s.oh; oy++)
        for (let ox = 0; ox < s.ow; ox++)
          for (let i = 0; i < cg; i++)
            for (let ky = 0; ky < s.kh; ky++)
              for (let kx = 0; kx < s.kw; kx++) {
                const iy = oy * s.sh - s.ph + ky * s.dh, ix = ox * s.sw - s.pw + kx * s.dw;
                if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) f(o, g * cg + i, ky, kx, n, oy, ox, iy, ix);
              }
    }
}

interface Ref { val: Float64Array; abs: Float64Array; terms: Float64Array }

function oracle(s: Full, x: Float32Array, wt: Float32Array, bias: Float32Array, dy: Float32Array) {
  const cg = s.c / s.groups, ohw = s.oh * s.ow;
  const mk = (len: number): Ref => ({ val: new Float64Array(len), abs: new Float64Array(len), terms: new Float64Array(len) });
  const y = mk(s.n * s.oc * ohw), dx = mk(s.n * s.c * s.h * s.w), gw = mk(wt.length), gb = mk(s.oc);
  const add = (r: Ref, at: number, v: number) => ((r.val[at] += v), (r.abs[at] += Math.abs(v)), r.terms[at]++);
  for (let n = 0; n < s.n; n++)
    for (let o = 0; o < s.oc; o++)
      for (let p = 0; p < ohw; p++) {
        const at = (n * s.oc + o) * ohw + p;
        if (s.bias) add(y, at, bias[o]);
        add(gb, o, dy[at]);
      }
  forEachTerm(s, (o, ci, ky, kx, n, oy, ox, iy, ix) => {
    const wAt = ((o * cg + (ci % cg)) * s.kh + ky) * s.kw + kx;
    const xAt = ((n * s.c + ci) * s.h + iy) * s.w + ix, yAt = ((n * s.oc + o) * s.oh + oy) * s.ow + ox;
    add(y, yAt, wt[wAt] * x[xAt]);
    add(dx, xAt, wt[wAt] * dy[yAt]);
    add(gw, wAt, dy[yAt] * x[xAt]);
  });
  return { y, dx, gw, gb };
}

/** `wino`: per element, the Winograd bound, when the result may come from Winograd (else null). */
function expectNear(got: Float32Array, ref: Ref, prior: Float32Array | null, beta: number, what: string, wino: Float64Array | null = null) {
  for (let i = 0; i < ref.val.length; i++) {
    const old = prior && beta !== 0 ? beta * prior[i] : 0;
    const want = ref.val[i] + old;
    const gemm = 2 * (ref.terms[i] + 2) * 2 ** -24 * (ref.abs[i] + Math.abs(old));
    const bound = (wino ? Math.max(gemm, wino[i]) : gemm) + 1e-30;
    if (!(Math.abs(got[i] - want) <= bound)) expect.fail(`${what}: at ${i}: got ${got[i]}, ref ${want}, bound ${bound}`);
  }
}

function run(backend: Backend, s: Full, seed: number) {
  const r = rng(seed);
  const cg = s.c / s.groups, ohw = s.oh * s.ow;
  const x = randn(r, s.n * s.c * s.h * s.w), wt = randn(r, s.oc * cg * s.kh * s.kw), bias = s.bias ? randn(r, s.oc) : new Float32Array(0);
  const dy = randn(r, s.n * s.oc * ohw), gw0 = randn(r, wt.length), gb0 = randn(r, s.oc);
  const ref = oracle(s, x, wt, bias, dy);
  // Winograd bounds for the forward (K = c) and the input gradient (the flipped forward over dY, K = oc).
  // The weight gradient's (wasm: dU summed over tiles, transformed per image): Ŷ, with |beta·old| added per beta.
  let winoY: Float64Array | null = null, winoDx: Float64Array | null = null, winoGw: Float64Array | null = null;
  const g = { n: s.n, c: s.c, h: s.h, w: s.w, oc: s.oc, oh: s.oh, ow: s.ow, ph: s.ph, pw: s.pw };
  if (winogradShape(s)) {
    winoGw = winogradFilterAbs(g, x, dy);
    winoY = winogradAbs(g, x, wt, bias).map((a) => winogradBound(s.c, a));
    const f = flippedGeometry(g, wt);
    if (f) winoDx = winogradAbs(f.geometry, dy, f.wt, new Float32Array(0)).map((a) => winogradBound(s.oc, a));
  }
  const sizes = [s.n, s.c, s.h, s.w, s.oc, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.groups, s.oh, s.ow] as const;
  const what = (k: string) => `${k} on ${backend.name}: ${tag(s)}`;
  const X = put(backend, x), W = put(backend, wt), B = put(backend, bias), DY = put(backend, dy);
  // Outputs and scratch start as NaN: every output element must be written, and scratch contents must not leak.
  const nan = (len: number): F32Buf => put(backend, new Float32Array(len).fill(NaN));
  const col = nan(s.c * s.kh * s.kw * ohw), Y = nan(dy.length), DX = nan(x.length);
  backend.k.conv2d_fwd_f32(...sizes, X, W, B, col, Y);
  expectNear(Y.data, ref.y, null, 0, what('conv2d_fwd_f32'), winoY);
  backend.k.conv2d_bwd_data_f32(...sizes, DY, W, nan(col.length), DX);
  expectNear(DX.data, ref.dx, null, 0, what('conv2d_bwd_data_f32'), winoDx);
  for (const beta of [0, 0.5]) {
    const GW = beta === 0 ? nan(wt.length) : put(backend, gw0), GB = s.bias ? (beta === 0 ? nan(s.oc) : put(backend, gb0)) : backend.alloc(0);
    backend.k.conv2d_bwd_filter_f32(...sizes, beta, X, DY, nan(col.length), GW, GB);
    const gwBound = winoGw && winoGw.map((a, i) => winogradFilterBound(g, a + Math.abs(beta * gw0[i])));
    expectNear(GW.data, ref.gw, gw0, beta, what(`conv2d_bwd_filter_f32 (gw, beta ${beta})`), gwBound);
    if (s.bias) expectNear(GB.data, ref.gb, gb0, beta, what(`conv2d_bwd_filter_f32 (gb, beta ${beta})`));
  }
  // conv2d_max_pool2d_fwd_f32 equals this backend's conv2d_fwd_f32, max_pool2d_fwd_f32 and (relu) relu_fwd_f32, bit
  // for bit, whatever the chunk of samples its scratch holds (1, 2, all, more than all).
  for (const [[pkh, pkw, psh, psw, pph, ppw], relu] of POOLS) {
    const qh = Math.floor((s.oh + 2 * pph - pkh) / psh) + 1, qw = Math.floor((s.ow + 2 * ppw - pkw) / psw) + 1;
    if (qh < 1 || qw < 1) continue;
    const window = [pkh, pkw, psh, psw, pph, ppw, qh, qw] as const, outs = s.n * s.oc * qh * qw;
    const scratch = (chunk: number) => nan(chunk * s.oc * (ohw + qh * qw));
    const PY = nan(outs), PIDX = backend.allocI32(outs);
    backend.k.max_pool2d_fwd_f32(s.n * s.oc, s.oh, s.ow, ...window, Y, PY, PIDX);
    if (relu) backend.k.relu_fwd_f32(outs, PY, PY);
    for (const chunk of [1, 2, s.n, s.n + 3]) {
      const FY = nan(outs), FIDX = backend.allocI32(outs);
      FIDX.data.fill(-1);
      backend.k.conv2d_max_pool2d_fwd_f32(...sizes, ...window, chunk, relu, X, W, B, nan(col.length), scratch(chunk), FY, FIDX);
      const fused = `conv2d_max_pool2d_fwd_f32 (pool ${window.join(',')}, relu ${relu}, chunk ${chunk})`;
      expect(Buffer.from(FY.data.slice().buffer).equals(Buffer.from(PY.data.slice().buffer)), what(`${fused}: y`)).toBe(true);
      expect(Array.from(FIDX.data), what(`${fused}: idx`)).toEqual(Array.from(PIDX.data));
    }
    // conv2d_max_pool2d_bwd_f32 equals (relu) relu_bwd_f32, max_pool2d_bwd_f32, then conv2d_bwd_filter_f32 and
    // conv2d_bwd_data_f32 of this backend, bit for bit, for any chunk, with and without the input gradient, beta 0
    // and 0.5.
    const pdy = randn(r, outs), PDY = put(backend, pdy), MDY = nan(outs), UDY = nan(s.n * s.oc * ohw);
    if (relu) backend.k.relu_bwd_f32(outs, PY, PDY, MDY);
    backend.k.max_pool2d_bwd_f32(s.n * s.oc, s.oh, s.ow, qh, qw, relu ? MDY : PDY, PIDX, UDY);
    for (const beta of [0, 0.5]) {
      const UGW = put(backend, gw0), UGB = s.bias ? put(backend, gb0) : backend.alloc(0), UDX = nan(x.length);
      backend.k.conv2d_bwd_filter_f32(...sizes, beta, X, UDY, nan(col.length), UGW, UGB);
      backend.k.conv2d_bwd_data_f32(...sizes, UDY, W, nan(col.length), UDX);
      for (const chunk of [1, 3, s.n + 1])
        for (const inputGrad of [true, false]) {
          const FGW = put(backend, gw0), FGB = s.bias ? put(backend, gb0) : backend.alloc(0), FDX = inputGrad ? nan(x.length) : backend.alloc(0);
          backend.k.conv2d_max_pool2d_bwd_f32(...sizes, qh, qw, chunk, relu, beta, X, PDY, PIDX, relu ? PY : backend.alloc(0), W, nan(col.length), scratch(chunk), FGW, FGB, FDX);
          const fused = `conv2d_max_pool2d_bwd_f32 (pool ${window.join(',')}, relu ${relu}, chunk ${chunk}, beta ${beta}, dx ${inputGrad})`;
          const same = (a: F32Buf, b: F32Buf) => Buffer.from(a.data.slice().buffer).equals(Buffer.from(b.data.slice().buffer));
          expect(same(FGW, UGW), what(`${fused}: gw`)).toBe(true);
          if (s.bias) expect(same(FGB, UGB), what(`${fused}: gb`)).toBe(true);
          if (inputGrad) expect(same(FDX, UDX), what(`${fused}: dx`)).toBe(true);
        }
    }
  }
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('conv2d kernels on %s', (_name, backend) => {
  SHAPES.forEach((shape, i) => {
    const s = full(shape);
    it(tag(s), () => run(backend, s, 100 + i));
  });

  it('an empty batch writes nothing and scales the gradient by beta', () => {
    const s = full({ ...base, n: 0, c: 2, h: 3, w: 3, oc: 2, kh: 3, kw: 3 });
    const sizes = [s.n, s.c, s.h, s.w, s.oc, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.groups, s.oh, s.ow] as const;
    const gw = put(backend, new Float32Array(36).fill(2)), gb = put(backend, new Float32Array([4, 6]));
    backend.k.conv2d_bwd_filter_f32(...sizes, 0.5, backend.alloc(0), backend.alloc(0), backend.alloc(18), gw, gb);
    expect(Array.from(gw.data)).toEqual(new Array(36).fill(1));
    expect(Array.from(gb.data)).toEqual([2, 3]);
  });
});
