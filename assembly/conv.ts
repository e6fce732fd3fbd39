/**
 * conv2d_{fwd,bwd_data,bwd_filter}_f32 over NCHW, weight [oc, c/groups, kh, kw]: per sample, im2col into the
 * caller's `col` ([c·kh·kw, oh·ow], taps outside the image read zero), then per group the packed 4×8 GEMM of
 * gemm.ts: y_g = W_g·col_g, dW_g += dY_g·col_gᵀ (beta on the first sample only), col_g = W_gᵀ·dY_g then col2im.
 * 1×1 stride-1 unpadded convolutions use x or dx as col. Single-threaded. Coordinates are computed in i64, so
 * any sizes the adapter lets through only produce padding reads. Accuracy: the GEMM's float32 accumulation.
 */
import { gemm } from './gemm';

/** Output columns [lo, hi) whose input column ox·sw + off lies in [0, w), packed as lo | hi << 32. */
// @ts-ignore: decorator
@inline function validCols(off: i64, sw: i64, w: i64, ow: i64): i64 {
  let lo: i64 = off >= 0 ? 0 : (-off + sw - 1) / sw;
  let hi: i64 = off >= w ? 0 : (w - off + sw - 1) / sw;
  if (hi > ow) hi = ow;
  if (lo > hi) lo = hi;
  return lo | (hi << 32);
}

function im2col(rows: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, oh: i32, ow: i32, x: usize, col: usize): void {
  let out = col;
  const owBytes = <usize>ow << 2;
  for (let ci = 0; ci < rows; ci++) {
    const xp = x + ((<usize>ci * <usize>h * <usize>w) << 2);
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const off = <i64>kx * <i64>dilw - <i64>pw;
        const r = validCols(off, sw, w, ow);
        const lo = <i32>(r & 0xffffffff), hi = <i32>(r >>> 32);
        for (let oy = 0; oy < oh; oy++) {
          const iy = <i64>oy * <i64>sh - <i64>ph + <i64>ky * <i64>dilh;
          if (iy < 0 || iy >= <i64>h || lo == hi) {
            memory.fill(out, 0, owBytes);
          } else {
            if (lo > 0) memory.fill(out, 0, <usize>lo << 2);
            // src points at input column `off` of row iy; only columns lo..hi (inside the image) are read.
            const row = xp + ((<usize>iy * <usize>w) << 2);
            if (sw == 1) memory.copy(out + (<usize>lo << 2), row + (<usize>(<i64>lo + off) << 2), <usize>(hi - lo) << 2);
            else
              for (let ox = lo; ox < hi; ox++)
                store<f32>(out + (<usize>ox << 2), load<f32>(row + (<usize>(<i64>ox * <i64>sw + off) << 2)));
            if (hi < ow) memory.fill(out + (<usize>hi << 2), 0, <usize>(ow - hi) << 2);
          }
          out += owBytes;
        }
      }
  }
}

function col2im(c: i32, rows: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, oh: i32, ow: i32, col: usize, dx: usize): void {
  memory.fill(dx, 0, (<usize>c * <usize>h * <usize>w) << 2);
  let inp = col;
  const owBytes = <usize>ow << 2;
  for (let ci = 0; ci < rows; ci++) {
    const xp = dx + ((<usize>ci * <usize>h * <usize>w) << 2);
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const off = <i64>kx * <i64>dilw - <i64>pw;
        const r = validCols(off, sw, w, ow);
        const lo = <i32>(r & 0xffffffff), hi = <i32>(r >>> 32);
        for (let oy = 0; oy < oh; oy++) {
          const iy = <i64>oy * <i64>sh - <i64>ph + <i64>ky * <i64>dilh;
          if (iy >= 0 && iy < <i64>h) {
            const row = xp + ((<usize>iy * <usize>w) << 2);
            for (let ox = lo; ox < hi; ox++) {
              const d = row + (<usize>(<i64>ox * <i64>sw + off) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(inp + (<usize>ox << 2)));
            }
          }
          inp += owBytes;
        }
      }
  }
}

// @ts-ignore: decorator
@inline function isPointwise(h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32): bool {
  return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == h && ow == w;
}

export function conv2d_fwd(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, x: usize, weight: usize, bias: usize, col: usize, y: usize): void {
  const cg = c / groups, ocg = oc / groups, ohw = oh * ow;
  if (n == 0 || ohw == 0 || ocg == 0) return;
  // Here y holds n·oc·oh·ow > 0 floats and col c·kh·kw·oh·ow, so these products fit the address space.
  const kg = cg * kh * kw;
  const pointwise = isPointwise(h, w, kh, kw, sh, sw, ph, pw, oh, ow);
  for (let s = 0; s < n; s++) {
    const xs = x + ((<usize>s * <usize>c * <usize>h * <usize>w) << 2);
    const ys = y + ((<usize>s * <usize>oc * <usize>ohw) << 2);
    let src = xs;
    if (!pointwise) {
      im2col(groups * cg, h, w, kh, kw, sh, sw, ph, pw, dilh, dilw, oh, ow, xs, col);
      src = col;
    }
    for (let g = 0; g < groups; g++)
      gemm(0, 0, ocg, ohw, kg, 1, weight + ((<usize>g * <usize>ocg * <usize>kg) << 2), src + ((<usize>g * <usize>kg * <usize>ohw) << 2), 0, ys + ((<usize>g * <usize>ocg * <usize>ohw) << 2));
    if (bias != 0)
      for (let o = 0; o < groups * ocg; o++) {
        const row = ys + ((<usize>o * <usize>ohw) << 2);
        const b = f32x4.splat(load<f32>(bias + (<usize>o << 2)));
        let i = 0;
        for (; i + 4 <= ohw; i += 4) {
          const p = row + (<usize>i << 2);
          v128.store(p, f32x4.add(v128.load(p), b));
        }
        for (; i < ohw; i++) {
          const p = row + (<usize>i << 2);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(b, 0));
        }
      }
  }
}

export function conv2d_bwd_data(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, dy: usize, weight: usize, col: usize, dx: usize): void {
  const cg = c / groups, ocg = oc / groups, ohw = oh * ow;
  if (n == 0 || <i64>c * <i64>h * <i64>w == 0) return;
  const chw = <usize>c * <usize>h * <usize>w;
  if (ohw == 0 || ocg == 0 || cg == 0) {
    memory.fill(dx, 0, (<usize>n * chw) << 2);
    return;
  }
  const kg = cg * kh * kw;
  const pointwise = isPointwise(h, w, kh, kw, sh, sw, ph, pw, oh, ow);
  for (let s = 0; s < n; s++) {
    const dys = dy + ((<usize>s * <usize>oc * <usize>ohw) << 2);
    const dxs = dx + ((<usize>s * chw) << 2);
    const dst = pointwise ? dxs : col;
    for (let g = 0; g < groups; g++)
      gemm(1, 0, kg, ohw, ocg, 1, weight + ((<usize>g * <usize>ocg * <usize>kg) << 2), dys + ((<usize>g * <usize>ocg * <usize>ohw) << 2), 0, dst + ((<usize>g * <usize>kg * <usize>ohw) << 2));
    if (!pointwise) col2im(c, groups * cg, h, w, kh, kw, sh, sw, ph, pw, dilh, dilw, oh, ow, col, dxs);
    else if (groups * cg < c) memory.fill(dxs + ((<usize>(groups * cg) * <usize>ohw) << 2), 0, (<usize>(c - groups * cg) * <usize>ohw) << 2);
  }
}

export function conv2d_bwd_filter(n: i32, c: i32, h: i32, w: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups: i32, oh: i32, ow: i32, beta: f32, x: usize, dy: usize, col: usize, gw: usize, gb: usize): void {
  const cg = c / groups, ocg = oc / groups;
  if (ocg == 0) return;
  const outs = groups * ocg;
  const ohw = n == 0 ? 0 : oh * ow;
  // gw holds oc·(c/groups)·kh·kw floats, so kg fits whenever it is read.
  const kg = cg * kh * kw;
  if (ohw == 0) {
    // No samples or no outputs: the sums are empty, gw = beta·gw (beta = 0 never reads).
    const total = <usize>outs * <usize>kg;
    for (let i: usize = 0; i < total; i++) store<f32>(gw + (i << 2), beta == 0 ? 0 : beta * load<f32>(gw + (i << 2)));
    if (gb != 0) for (let o = 0; o < outs; o++) store<f32>(gb + (<usize>o << 2), beta == 0 ? 0 : beta * load<f32>(gb + (<usize>o << 2)));
    return;
  }
  const pointwise = isPointwise(h, w, kh, kw, sh, sw, ph, pw, oh, ow);
  for (let s = 0; s < n; s++) {
    const xs = x + ((<usize>s * <usize>c * <usize>h * <usize>w) << 2);
    const dys = dy + ((<usize>s * <usize>oc * <usize>ohw) << 2);
    let src = xs;
    if (!pointwise) {
      im2col(groups * cg, h, w, kh, kw, sh, sw, ph, pw, dilh, dilw, oh, ow, xs, col);
      src = col;
    }
    const b: f32 = s == 0 ? beta : 1;
    for (let g = 0; g < groups; g++)
      gemm(0, 1, ocg, kg, ohw, 1, dys + ((<usize>g * <usize>ocg * <usize>ohw) << 2), src + ((<usize>g * <usize>kg * <usize>ohw) << 2), b, gw + ((<usize>g * <usize>ocg * <usize>kg) << 2));
  }
  if (gb != 0)
    for (let o = 0; o < outs; o++) {
      let acc = f32x4.splat(0);
      let tail: f32 = 0;
      for (let s = 0; s < n; s++) {
        const row = dy + ((<usize>(s * oc + o) * <usize>ohw) << 2);
        let i = 0;
        for (; i + 4 <= ohw; i += 4) acc = f32x4.add(acc, v128.load(row + (<usize>i << 2)));
        for (; i < ohw; i++) tail += load<f32>(row + (<usize>i << 2));
      }
      const sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
      const p = gb + (<usize>o << 2);
      store<f32>(p, beta == 0 ? sum : beta * load<f32>(p) + sum);
    }
}
