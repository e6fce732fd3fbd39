/**
 * Native convolution and pooling beyond the shared suite: every ISA this CPU supports against the js reference
 * (bound 2·(K + 2)·2⁻²⁴·Σ|terms|, with Σ|terms| from the reference run on absolute values; the forward and input
 * gradient of 3×3 stride-1 layers, which may run through Winograd, get the larger of that and the Winograd bound of
 * test/winograd.ts plus the reference's own GEMM bound), and bit-identical results for 1, 2 and 3 threads at sizes
 * large enough to run in parallel (several weight-gradient chunks, a partial last one).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { heapF32 } from '../../src/buffers.js';
import { jsKernels } from '../../src/backends/js.js';
import { loadAddon, type NativeAddon } from '../../src/backends/native.js';
import { randn, rng } from '../helpers.js';
import { flippedGeometry, winogradAbs, winogradBound } from '../winograd.js';

const addon: NativeAddon = loadAddon();
type Fn = (...args: unknown[]) => void;
const k = (name: string) => addon[name] as Fn;

type Sizes = [n: number, c: number, h: number, w: number, oc: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, groups: number, oh: number, ow: number];

const SHAPES: Sizes[] = [
  [19, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 14, 14], // CNN-S second layer, batch 19 (three chunks, the last partial)
  [11, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 28, 28], // CNN-S first layer
  [9, 6, 13, 11, 9, 3, 3, 2, 1, 2, 2, 2, 2, 3, 7, 7], // grouped, dilated, strided, padded
  [10, 24, 9, 9, 16, 1, 1, 1, 1, 0, 0, 1, 1, 2, 9, 9], // pointwise, grouped
];

/**
 * Winograd edge shapes, run with setWinograd('always') (most are too small for it to pay, so 'auto' leaves them on
 * the packed path): odd sizes (partial tiles), a 2×2 image, padding 0, 2 and mixed, an output larger than the
 * formula, one input channel, channel counts off multiples of 16, rows of more than 16 tiles (the portable
 * transforms under AVX-512), and a batch large enough to run on several threads.
 */
const WINOGRAD_SHAPES: Sizes[] = [
  [3, 9, 7, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 9],
  [1, 8, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 2],
  [2, 3, 8, 7, 5, 3, 3, 1, 1, 0, 0, 1, 1, 1, 6, 5],
  [1, 16, 5, 6, 17, 3, 3, 1, 1, 2, 2, 1, 1, 1, 7, 8],
  [2, 18, 6, 5, 16, 3, 3, 1, 1, 0, 2, 1, 1, 1, 4, 7],
  [2, 9, 4, 5, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 6],
  [2, 1, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 6, 6],
  [2, 8, 3, 40, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 3, 40],
  [7, 24, 11, 9, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 11, 9],
];

const abs = (a: Float32Array) => a.map(Math.abs);

function runAll(s: Sizes, seed: number) {
  const [n, c, h, w, oc, kh, kw, , , , , , , groups, oh, ow] = s;
  const r = rng(seed);
  const x = randn(r, n * c * h * w), wt = randn(r, oc * (c / groups) * kh * kw), bias = randn(r, oc), dy = randn(r, n * oc * oh * ow);
  const gw0 = randn(r, wt.length), gb0 = randn(r, oc);
  const col = new Float32Array(c * kh * kw * oh * ow);
  const y = new Float32Array(dy.length), dx = new Float32Array(x.length), gw = gw0.slice(), gb = gb0.slice();
  k('conv2d_fwd_f32')(...s, x, wt, bias, col, y);
  k('conv2d_bwd_data_f32')(...s, dy, wt, col, dx);
  k('conv2d_bwd_filter_f32')(...s, 0.5, x, dy, col, gw, gb);
  // The fused conv + 2×2 max pool (+ ReLU on odd seeds), three samples of scratch at a time, and the unfused kernels
  // over y.
  const relu = seed % 2;
  const qh = oh >> 1, qw = ow >> 1, py = new Float32Array(n * oc * qh * qw), pidx = new Int32Array(py.length);
  const scratch = new Float32Array(3 * oc * (oh * ow + qh * qw));
  k('conv2d_max_pool2d_fwd_f32')(...s, 2, 2, 2, 2, 0, 0, qh, qw, 3, relu, x, wt, bias, col, scratch, py, pidx);
  const uy = new Float32Array(py.length), uidx = new Int32Array(py.length);
  k('max_pool2d_fwd_f32')(n * oc, oh, ow, 2, 2, 2, 2, 0, 0, qh, qw, y, uy, uidx);
  if (relu) k('relu_fwd_f32')(uy.length, uy, uy);
  // Its backward from a gradient of its output, and the unfused kernels over the expanded gradient.
  const pdy = randn(r, py.length), pgw = gw0.slice(), pgb = gb0.slice(), pdx = new Float32Array(x.length);
  k('conv2d_max_pool2d_bwd_f32')(...s, qh, qw, 3, relu, 0.5, x, pdy, pidx, relu ? py : new Float32Array(0), wt, col, scratch, pgw, pgb, pdx);
  const mdy = new Float32Array(pdy.length), udy = new Float32Array(n * oc * oh * ow), ugw = gw0.slice(), ugb = gb0.slice(), udx = new Float32Array(x.length);
  if (relu) k('relu_bwd_f32')(pdy.length, uy, pdy, mdy);
  k('max_pool2d_bwd_f32')(n * oc, oh, ow, qh, qw, relu ? mdy : pdy, pidx, udy);
  k('conv2d_bwd_filter_f32')(...s, 0.5, x, udy, col, ugw, ugb);
  k('conv2d_bwd_data_f32')(...s, udy, wt, col, udx);
  return {
    inputs: { x, wt, bias, dy, gw0, gb0 },
    out: { y, dx, gw, gb, py, pidx, pgw, pgb, pdx },
    unfused: { py: uy, pidx: uidx, pgw: ugw, pgb: ugb, pdx: udx },
  };
}

/** The js reference's outputs and the Σ|terms| bounds (the reference on absolute values). */
function reference(s: Sizes, i: ReturnType<typeof runAll>['inputs']) {
  const [n, c, h, w, oc, kh, kw, , , , , , , groups, oh, ow] = s;
  const col = heapF32(new Float32Array(0));
  const run = (x: Float32Array, wt: Float32Array, bias: Float32Array, dy: Float32Array, gw0: Float32Array, gb0: Float32Array) => {
    const y = new Float32Array(n * oc * oh * ow), dx = new Float32Array(n * c * h * w), gw = gw0.slice(), gb = gb0.slice();
    jsKernels.conv2d_fwd_f32(...s, heapF32(x), heapF32(wt), heapF32(bias), col, heapF32(y));
    jsKernels.conv2d_bwd_data_f32(...s, heapF32(dy), heapF32(wt), col, heapF32(dx));
    jsKernels.conv2d_bwd_filter_f32(...s, 0.5, heapF32(x), heapF32(dy), col, heapF32(gw), heapF32(gb));
    return { y, dx, gw, gb };
  };
  const ref = run(i.x, i.wt, i.bias, i.dy, i.gw0, i.gb0);
  const bound = run(abs(i.x), abs(i.wt), abs(i.bias), abs(i.dy), abs(i.gw0), abs(i.gb0));
  const terms = { y: (c / groups) * kh * kw + 1, dx: (oc / groups) * kh * kw, gw: n * oh * ow + 1, gb: n * oh * ow + 1 };
  // Winograd bounds where the layer qualifies (3×3, stride 1, no dilation, one group), else none.
  const [, , , , , , , sh, sw, ph, pw, dh, dw] = s;
  let wino: { y: Float64Array; dx: Float64Array | null } | null = null;
  if (groups === 1 && kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1) {
    const g = { n, c, h, w, oc, oh, ow, ph, pw }, f = flippedGeometry(g, i.wt);
    wino = {
      y: winogradAbs(g, i.x, i.wt, i.bias).map((a) => winogradBound(c, a)),
      dx: f ? winogradAbs(f.geometry, i.dy, f.wt, new Float32Array(0)).map((a) => winogradBound(oc, a)) : null,
    };
  }
  return { ref, bound, terms, wino };
}

describe('native convolution: ISAs and thread counts', () => {
  const initial = addon.info();
  afterAll(() => {
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
  });

  /** Every output against the js reference within its bound, and the fused kernels' bits equal the unfused ones'. */
  const check = (shapes: Sizes[], seed: number, what: string) =>
    shapes.forEach((s, si) => {
      const { inputs, out, unfused } = runAll(s, seed + si);
      for (const key of ['py', 'pidx', 'pgw', 'pgb', 'pdx'] as const)
        expect(Buffer.from(out[key].buffer).equals(Buffer.from(unfused[key].buffer)), `${what} fused conv + pool ${s.join(',')}: ${key}`).toBe(true);
      const { ref, bound, terms, wino } = reference(s, inputs);
      for (const key of ['y', 'dx', 'gw', 'gb'] as const)
        for (let j = 0; j < ref[key].length; j++) {
          // The reference's own error plus the native result's (GEMM or, where it may apply, Winograd).
          const gemm = 2 * (terms[key] + 2) * 2 ** -24 * bound[key][j] * 1.01;
          const alt = key === 'y' || key === 'dx' ? wino?.[key]?.[j] : undefined;
          const tol = (alt === undefined ? gemm : gemm + Math.max(gemm, alt)) + 1e-30;
          if (!(Math.abs(out[key][j] - ref[key][j]) <= tol))
            expect.fail(`${what} conv ${s.join(',')}: ${key}[${j}] = ${out[key][j]}, ref ${ref[key][j]}, bound ${tol}`);
        }
    });

  for (const isa of initial.supported.split(','))
    it(`${isa}: conv2d forward, input and weight gradients match the js reference; conv + max pool fused (forward and backward) equals the pair`, () => {
      expect(addon.setIsa(isa)).toBe(true);
      check(SHAPES, 10, `native/${isa}`);
    });

  for (const isa of initial.supported.split(','))
    it(`${isa}: Winograd forced on edge shapes matches the js reference within its bound; fused equals unfused`, () => {
      expect(addon.setIsa(isa)).toBe(true);
      expect(addon.setWinograd('always')).toBe(true);
      try {
        check(WINOGRAD_SHAPES, 40, `native/${isa} Winograd`);
      } finally {
        addon.setWinograd('auto');
      }
    });

  it('Winograd forced: the same bits on 1, 2 and 3 threads', () => {
    addon.setIsa(initial.isa);
    addon.setWinograd('always');
    try {
      for (const [si, s] of WINOGRAD_SHAPES.entries()) {
        const runs = [1, 2, 3].map((t) => {
          addon.setThreads(t);
          return runAll(s, 60 + si).out;
        });
        for (const key of ['y', 'dx', 'py', 'pidx', 'pdx'] as const)
          for (const t of [1, 2]) expect(Buffer.from(runs[t][key].buffer).equals(Buffer.from(runs[0][key].buffer)), `Winograd ${key} on ${t + 1} threads, shape ${s.join(',')}`).toBe(true);
      }
    } finally {
      addon.setWinograd('auto');
    }
  });

  it('Winograd: a sample gets the same bits alone as in a batch (samples share the GEMMs\' columns in groups)', () => {
    // AVX-512 puts a group of samples' tiles one after another (CNN-S's conv2 at batch 19: groups of 4, the last of
    // 3; the odd shape, forced: groups of 4, the last of 2); every other ISA runs one sample at a time.
    addon.setIsa(initial.isa);
    const cases: [Sizes, 'auto' | 'always'][] = [
      [[19, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 14, 14], 'auto'],
      [[18, 9, 7, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 9], 'always'],
    ];
    try {
      for (const [s, winograd] of cases) {
        addon.setWinograd(winograd);
        const [n, c, h, w, oc, , , , , , , , , , oh, ow] = s, r = rng(3);
        const x = randn(r, n * c * h * w), wt = randn(r, oc * c * 9), bias = randn(r, oc), dy = randn(r, n * oc * oh * ow);
        const pooled = oh % 2 === 0 && ow % 2 === 0, qh = oh >> 1, qw = ow >> 1;
        const outputs = (m: number, xs: Float32Array, dys: Float32Array) => {
          const t: Sizes = [m, ...s.slice(1)] as Sizes;
          const col = new Float32Array(c * 9 * oh * ow), y = new Float32Array(m * oc * oh * ow), dx = new Float32Array(xs.length);
          k('conv2d_fwd_f32')(...t, xs, wt, bias, col, y);
          k('conv2d_bwd_data_f32')(...t, dys, wt, col, dx);
          const py = new Float32Array(m * oc * qh * qw), pidx = new Int32Array(py.length);
          if (pooled) k('conv2d_max_pool2d_fwd_f32')(...t, 2, 2, 2, 2, 0, 0, qh, qw, 2, 1, xs, wt, bias, col, new Float32Array(2 * oc * (oh * ow + qh * qw)), py, pidx);
          return { y, dx, py, pidx };
        };
        const all = outputs(n, x, dy);
        for (let i = 0; i < n; i++) {
          const one = outputs(1, x.slice(i * c * h * w, (i + 1) * c * h * w), dy.slice(i * oc * oh * ow, (i + 1) * oc * oh * ow));
          for (const key of ['y', 'dx', 'py', 'pidx'] as const) {
            const size = one[key].length;
            const part = Buffer.from(all[key].buffer, i * size * 4, size * 4);
            expect(part.equals(Buffer.from(one[key].buffer)), `${s.join(',')}: sample ${i}'s ${key}`).toBe(true);
          }
        }
      }
    } finally {
      addon.setWinograd('auto');
    }
  });

  it('the fused backward behind a 2×2 pool equals the unfused kernels with a non-finite input or a winner outside its window', () => {
    // AVX-512 reads the pooled gradient directly (conv1's weight gradient, the transposed weight gradient's dYᵀ,
    // Winograd's input transform for the input gradient) unless a sample has a winner outside its 2×2 block (another
    // pooling's indices) or, for conv1's weight gradient, a non-finite input: those take the expanded path. One call
    // with each (sample 1 or 2), every other sample from the pooled gradient; a NaN input makes every gw NaN, hence
    // two calls. A one-channel layer (20 filters: two blocks of 16), and an 8-channel one on Winograd.
    const cases: [Sizes, 'auto' | 'always'][] = [
      [[4, 1, 12, 12, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 12, 12], 'auto'],
      [[4, 8, 8, 8, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 8, 8], 'always'],
    ];
    for (const [s, winograd] of cases) {
      const [n, c, h, w, oc] = s, qh = h / 2, qw = w / 2, pooled = n * oc * qh * qw, r = rng(7);
      const finite = randn(r, n * c * h * w), wt = randn(r, oc * c * 9), bias = randn(r, oc), pdy = randn(r, pooled), gw0 = randn(r, oc * c * 9), gb0 = randn(r, oc);
      const nonFinite = finite.slice();
      nonFinite[c * h * w + 5] = Infinity;
      nonFinite[c * h * w + 40] = NaN;
      addon.setWinograd(winograd);
      try {
        for (const isa of initial.supported.split(','))
          for (const relu of [0, 1])
            for (const moved of [false, true]) {
              expect(addon.setIsa(isa)).toBe(true);
              const x = moved ? finite : nonFinite;
              const col = new Float32Array(c * 9 * h * w), scratch = new Float32Array(2 * oc * (h * w + qh * qw));
              const py = new Float32Array(pooled), pidx = new Int32Array(pooled);
              k('conv2d_max_pool2d_fwd_f32')(...s, 2, 2, 2, 2, 0, 0, qh, qw, 2, relu, x, wt, bias, col, scratch, py, pidx);
              // Sample 2, filter 17 (the second block of 16), window 8: the winner of window 9 (its right neighbour).
              const at = (2 * oc + 17) * qh * qw + 8;
              if (moved) pidx[at] = pidx[at + 1];
              const gw = gw0.slice(), gb = gb0.slice(), dx = new Float32Array(c > 1 ? x.length : 0);
              k('conv2d_max_pool2d_bwd_f32')(...s, qh, qw, 2, relu, 1, x, pdy, pidx, relu ? py : new Float32Array(0), wt, col, scratch, gw, gb, dx);
              const mdy = new Float32Array(pooled), udy = new Float32Array(n * oc * h * w), ugw = gw0.slice(), ugb = gb0.slice(), udx = new Float32Array(x.length);
              if (relu) k('relu_bwd_f32')(pooled, py, pdy, mdy);
              k('max_pool2d_bwd_f32')(n * oc, h, w, qh, qw, relu ? mdy : pdy, pidx, udy);
              k('conv2d_bwd_filter_f32')(...s, 1, x, udy, col, ugw, ugb);
              k('conv2d_bwd_data_f32')(...s, udy, wt, col, udx);
              const what = `${s.join(',')} on ${isa}, relu ${relu}, ${moved ? 'a winner outside its window' : 'a non-finite input'}`;
              expect(Buffer.from(gw.buffer).equals(Buffer.from(ugw.buffer)), `${what}: gw`).toBe(true);
              expect(Buffer.from(gb.buffer).equals(Buffer.from(ugb.buffer)), `${what}: gb`).toBe(true);
              if (c > 1) expect(Buffer.from(dx.buffer).equals(Buffer.from(udx.buffer)), `${what}: dx`).toBe(true);
              expect(ugw.some((v) => Number.isNaN(v)), `${what}: gw NaN exactly when an input is`).toBe(!moved);
            }
      } finally {
        addon.setWinograd('auto');
        addon.setIsa(initial.isa);
      }
    }
  });

  it('one-channel 3×3 same layers (the direct forwards) give the packed path\'s bits, fused with a 2×2 pool or not', () => {
    // The direct forwards (fwd_c1k3_into, fwd_c1k3_pooled and their AVX2 forms) promise the packed path's arithmetic:
    // nine FMAs in tap order from zero, then the bias. The same layer without padding over an explicitly zero-padded
    // input takes the packed path (its padding is not 'same') and reads the same zeros in the same order.
    const shapes: [n: number, h: number, w: number, oc: number][] = [
      [2, 1, 2, 3], [1, 2, 7, 5], [2, 5, 8, 16], [1, 4, 9, 1], [2, 3, 15, 17], [1, 6, 16, 2], [2, 7, 17, 9], [3, 28, 28, 16], [1, 9, 31, 4], [2, 10, 32, 7],
    ];
    addon.setWinograd('never');
    try {
      for (const isa of initial.supported.split(','))
        for (const [si, [n, h, w, oc]] of shapes.entries()) {
          expect(addon.setIsa(isa)).toBe(true);
          const r = rng(300 + si), x = randn(r, n * h * w), wt = randn(r, oc * 9), bias = randn(r, oc);
          const hp = h + 2, wp = w + 2, xp = new Float32Array(n * hp * wp);
          for (let s = 0; s < n; s++) for (let i = 0; i < h; i++) xp.set(x.subarray((s * h + i) * w, (s * h + i + 1) * w), (s * hp + i + 1) * wp + 1);
          const same: Sizes = [n, 1, h, w, oc, 3, 3, 1, 1, 1, 1, 1, 1, 1, h, w], valid: Sizes = [n, 1, hp, wp, oc, 3, 3, 1, 1, 0, 0, 1, 1, 1, h, w];
          const y = new Float32Array(n * oc * h * w), yp = new Float32Array(y.length);
          k('conv2d_fwd_f32')(...same, x, wt, bias, new Float32Array(9 * h * w), y);
          k('conv2d_fwd_f32')(...valid, xp, wt, bias, new Float32Array(9 * h * w), yp);
          const what = `${isa}, n ${n}, ${h}×${w}, ${oc} filters`;
          expect(Buffer.from(y.buffer).equals(Buffer.from(yp.buffer)), `${what}: forward`).toBe(true);
          if (h < 2) continue;
          const qh = h >> 1, qw = w >> 1, relu = si % 2;
          const py = new Float32Array(n * oc * qh * qw), pidx = new Int32Array(py.length), uy = new Float32Array(py.length), uidx = new Int32Array(py.length);
          k('conv2d_max_pool2d_fwd_f32')(...same, 2, 2, 2, 2, 0, 0, qh, qw, 2, relu, x, wt, bias, new Float32Array(9 * h * w), new Float32Array(2 * oc * (h * w + qh * qw)), py, pidx);
          k('max_pool2d_fwd_f32')(n * oc, h, w, 2, 2, 2, 2, 0, 0, qh, qw, yp, uy, uidx);
          if (relu) k('relu_fwd_f32')(uy.length, uy, uy);
          expect(Buffer.from(py.buffer).equals(Buffer.from(uy.buffer)), `${what}: fused pool (relu ${relu})`).toBe(true);
          expect(Buffer.from(pidx.buffer).equals(Buffer.from(uidx.buffer)), `${what}: fused pool's indices`).toBe(true);
        }
    } finally {
      addon.setWinograd('auto');
      addon.setIsa(initial.isa);
    }
  });

  it("setWinograd takes 'auto', 'always' and 'never' only", () => {
    expect(addon.setWinograd('never')).toBe(true);
    expect(addon.setWinograd('sometimes' as 'auto')).toBe(false);
    expect(addon.setWinograd('auto')).toBe(true);
  });

  it('conv2d and pooling give the same bits on 1, 2 and 3 threads', () => {
    addon.setIsa(initial.isa);
    for (const [si, s] of SHAPES.entries()) {
      const runs = [1, 2, 3].map((t) => {
        addon.setThreads(t);
        return runAll(s, 20 + si).out;
      });
      for (const key of ['y', 'dx', 'gw', 'gb', 'py', 'pidx', 'pgw', 'pgb', 'pdx'] as const)
        for (const t of [1, 2]) expect(Buffer.from(runs[t][key].buffer).equals(Buffer.from(runs[0][key].buffer)), `${key} on ${t + 1} threads, shape ${s.join(',')}`).toBe(true);
    }
    const nc = 64 * 16, r = rng(5), x = randn(r, nc * 28 * 28), dy = randn(r, nc * 14 * 14);
    const pools = [1, 2, 3].map((t) => {
      addon.setThreads(t);
      const y = new Float32Array(nc * 196), idx = new Int32Array(nc * 196), dx = new Float32Array(x.length), ya = new Float32Array(nc * 196), dxa = new Float32Array(x.length);
      k('max_pool2d_fwd_f32')(nc, 28, 28, 2, 2, 2, 2, 0, 0, 14, 14, x, y, idx);
      k('max_pool2d_bwd_f32')(nc, 28, 28, 14, 14, dy, idx, dx);
      k('avg_pool2d_fwd_f32')(nc, 28, 28, 3, 3, 2, 2, 1, 1, 14, 14, 0, x, ya);
      k('avg_pool2d_bwd_f32')(nc, 28, 28, 3, 3, 2, 2, 1, 1, 14, 14, 0, dy, dxa);
      return [y, idx, dx, ya, dxa].map((a) => Buffer.from(a.buffer));
    });
    for (const t of [1, 2]) pools[t].forEach((b, j) => expect(b.equals(pools[0][j]), `pooling output ${j} on ${t + 1} threads`).toBe(true));
  });
});
