/**
 * max_pool2d and avg_pool2d, forward and backward, on every backend against float64 oracles written here:
 * PyTorch's max rule (the first maximum in window order wins, a NaN wins, −∞ everywhere keeps the first in-bounds
 * index), PyTorch's average divisor with and without count_include_pad, overlapping windows (gradients add up),
 * stride > kernel, padding, odd sizes, 1×1 planes and an output larger than the formula gives.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/index.js';
import { BACKENDS, elementwise, expectClose, put, rng } from '../helpers.js';

interface Pool { nc: number; h: number; w: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; oh?: number; ow?: number }
type Full = Required<Pool>;

function full(p: Pool): Full {
  return { ...p, oh: p.oh ?? Math.floor((p.h + 2 * p.ph - p.kh) / p.sh) + 1, ow: p.ow ?? Math.floor((p.w + 2 * p.pw - p.kw) / p.sw) + 1 };
}

const SHAPES: Pool[] = [
  { nc: 3, h: 28, w: 28, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // CNN-S
  { nc: 5, h: 14, w: 14, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // CNN-S's second pool: 7 outputs a row
  { nc: 2, h: 7, w: 9, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // odd sizes drop the last row/column
  { nc: 3, h: 7, w: 8, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // even width, odd height (native's whole-plane pass)
  { nc: 1, h: 3, w: 8194, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // more pairs than that pass's scratch (row by row)
  { nc: 2, h: 7, w: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }, // overlapping, padded
  { nc: 1, h: 9, w: 8, kh: 3, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1 }, // stride 1, asymmetric window
  { nc: 4, h: 10, w: 11, kh: 2, kw: 3, sh: 4, sw: 5, ph: 0, pw: 1 }, // stride > kernel
  { nc: 2, h: 1, w: 1, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 }, // 1×1 planes
  { nc: 2, h: 5, w: 5, kh: 5, kw: 5, sh: 5, sw: 5, ph: 2, pw: 2 }, // kernel = image, padded (global-ish)
  { nc: 2, h: 4, w: 4, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, oh: 4, ow: 3 }, // larger output: empty windows
];

const tag = (p: Full) => `nc${p.nc} ${p.h}x${p.w} k${p.kh}x${p.kw} s${p.sh},${p.sw} p${p.ph},${p.pw} out ${p.oh}x${p.ow}`;

/** Inputs on a coarse grid (ties are common) with a few NaN and −∞ planted. */
function input(p: Full, seed: number): Float32Array {
  const r = rng(seed), x = new Float32Array(p.nc * p.h * p.w);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(r.uniformRange(-3, 3));
  for (let i = 0; i < x.length; i += 13) x[i] = -Infinity;
  for (let i = 5; i < x.length; i += 29) x[i] = NaN;
  return x;
}

function windows(p: Full, f: (plane: number, o: number, cells: number[], div: number) => void) {
  for (let plane = 0; plane < p.nc; plane++)
    for (let oy = 0; oy < p.oh; oy++)
      for (let ox = 0; ox < p.ow; ox++) {
        const cells: number[] = [];
        const ys = oy * p.sh - p.ph, xs = ox * p.sw - p.pw;
        for (let iy = ys; iy < ys + p.kh; iy++) for (let ix = xs; ix < xs + p.kw; ix++) if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) cells.push(iy * p.w + ix);
        // count_include_pad: the window clipped to the padded image (PyTorch's pool_size).
        const padded = (Math.min(ys + p.kh, p.h + p.ph) - ys) * (Math.min(xs + p.kw, p.w + p.pw) - xs);
        f(plane, (plane * p.oh + oy) * p.ow + ox, cells, padded);
      }
}

function maxOracle(p: Full, x: Float32Array) {
  const y = new Float64Array(p.nc * p.oh * p.ow), idx = new Int32Array(y.length);
  windows(p, (plane, o, cells) => {
    let best = -Infinity, at = cells.length > 0 ? cells[0] : 0;
    for (const c of cells) {
      const v = x[plane * p.h * p.w + c];
      if (v > best || Number.isNaN(v)) (best = v), (at = c); // PyTorch: strictly greater, or NaN
    }
    y[o] = best;
    idx[o] = at;
  });
  return { y, idx };
}

function runMax(backend: Backend, p: Full, seed: number) {
  const x = input(p, seed), { y: yRef, idx: idxRef } = maxOracle(p, x);
  const sizes = [p.nc, p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.oh, p.ow] as const;
  const Y = put(backend, new Float32Array(yRef.length).fill(7)), I = backend.allocI32(yRef.length);
  backend.k.max_pool2d_fwd_f32(...sizes, put(backend, x), Y, I);
  const ctx = `max_pool2d_fwd_f32 on ${backend.name}: ${tag(p)}`;
  for (let o = 0; o < yRef.length; o++) {
    if (I.data[o] !== idxRef[o]) expect.fail(`${ctx}: idx[${o}] = ${I.data[o]}, PyTorch's rule gives ${idxRef[o]}`);
    if (!Object.is(Y.data[o], Math.fround(yRef[o])) && !(Number.isNaN(Y.data[o]) && Number.isNaN(yRef[o]))) expect.fail(`${ctx}: y[${o}] = ${Y.data[o]}, ref ${yRef[o]}`);
  }
  // Backward: dx zeroed, then dy added at each recorded index (overlapping windows add up).
  const r = rng(seed + 1), dy = new Float32Array(yRef.length).map(() => r.normal());
  const dxRef = new Float64Array(p.nc * p.h * p.w);
  for (let o = 0; o < dy.length; o++) dxRef[Math.floor(o / (p.oh * p.ow)) * p.h * p.w + idxRef[o]] += dy[o];
  const DX = put(backend, new Float32Array(dxRef.length).fill(NaN));
  backend.k.max_pool2d_bwd_f32(p.nc, p.h, p.w, p.oh, p.ow, put(backend, dy), I, DX);
  expectClose(DX.data, dxRef, elementwise(), `max_pool2d_bwd_f32 on ${backend.name}: ${tag(p)}`);
}

function runAvg(backend: Backend, p: Full, includePad: number, seed: number) {
  const r = rng(seed), x = new Float32Array(p.nc * p.h * p.w).map(() => r.normal());
  const dy = new Float32Array(p.nc * p.oh * p.ow).map(() => r.normal());
  const yRef = new Float64Array(dy.length), dxRef = new Float64Array(x.length);
  windows(p, (plane, o, cells, padded) => {
    const div = includePad ? padded : cells.length;
    if (div <= 0) return;
    for (const c of cells) {
      yRef[o] += x[plane * p.h * p.w + c] / div;
      dxRef[plane * p.h * p.w + c] += dy[o] / div;
    }
  });
  const sizes = [p.nc, p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.oh, p.ow, includePad] as const;
  const Y = put(backend, new Float32Array(dy.length).fill(NaN)), DX = put(backend, new Float32Array(x.length).fill(NaN));
  backend.k.avg_pool2d_fwd_f32(...sizes, put(backend, x), Y);
  backend.k.avg_pool2d_bwd_f32(...sizes, put(backend, dy), DX);
  const ctx = `avg_pool2d (include_pad ${includePad}) on ${backend.name}: ${tag(p)}`;
  expectClose(Y.data, yRef, elementwise(1e-6, 1e-5), `${ctx}: y`);
  expectClose(DX.data, dxRef, elementwise(1e-6, 1e-5), `${ctx}: dx`);
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('pooling kernels on %s', (_name, backend) => {
  SHAPES.forEach((shape, i) => {
    const p = full(shape);
    it(`max ${tag(p)}`, () => runMax(backend, p, 200 + i));
    it(`avg ${tag(p)}`, () => {
      runAvg(backend, p, 1, 300 + i);
      runAvg(backend, p, 0, 400 + i);
    });
  });

  it('max pooling of an all −∞ window keeps its first in-bounds index; a NaN after the maximum wins', () => {
    const x = Float32Array.of(-Infinity, -Infinity, -Infinity, -Infinity, 1, NaN, 5, 2);
    const Y = backend.alloc(2), I = backend.allocI32(2);
    backend.k.max_pool2d_fwd_f32(2, 2, 2, 2, 2, 2, 2, 0, 0, 1, 1, put(backend, x), Y, I);
    expect(Array.from(Y.data)).toEqual([-Infinity, NaN]);
    expect(Array.from(I.data)).toEqual([0, 1]);
  });
});
