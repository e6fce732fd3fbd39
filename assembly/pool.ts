/**
 * max_pool2d / avg_pool2d forward and backward over nc independent h×w planes. Each output scans its window clipped
 * to the image (coordinates in i64, so any sizes only shrink windows); max keeps PyTorch's rule (replace only when
 * strictly greater or NaN: the first maximum wins, a NaN propagates) and records iy·w + ix; avg divides the float32
 * window sum by PyTorch's divisor (count_include_pad counts padded positions inside the padded image; a divisor
 * ≤ 0 gives 0). The 2×2 stride-2 unpadded max pool (CNN-S) does four outputs per v128 step (bench, 8×16 planes of
 * 28×28: 0.21 → 0.028 ms), and its backward writes whole planes from the window offsets when the windows tile the
 * image (max_pool_bwd_2x2); the rest are scalar loops.
 */
import { store_partial_f32x4, zero_f32 } from './simd';

// @ts-ignore: decorator
@inline function lo0(v: i64): i64 {
  return v < 0 ? 0 : v;
}

// @ts-ignore: decorator
@inline function hiClamp(v: i64, hi: i64): i64 {
  return v > hi ? hi : v;
}

/**
 * Four 2×2 windows (lanes), their values in window order (0,0) (0,1) (1,0) (1,1), pooled by PyTorch's rule (a later
 * value taken when greater or NaN); `first` their first positions' indices (w: the plane's width). The first
 * `count` maxima, ReLU'd with `relu` (act.ts's: x ≤ 0 → +0, NaN passes), go to y, their indices to idx. The one
 * window rule of max_pool_2x2 below and of the pools fused into Winograd's output transform and direct.ts.
 */
// @ts-ignore: decorator
@inline export function pool_window(v00: v128, v01: v128, v10: v128, v11: v128, first: v128, w: i32, y: usize, idx: usize, count: i32, relu: bool): void {
  let best = v00, at = first;
  let take = v128.or(f32x4.gt(v01, best), f32x4.ne(v01, v01));
  best = v128.bitselect(v01, best, take);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(1)), at, take);
  take = v128.or(f32x4.gt(v10, best), f32x4.ne(v10, v10));
  best = v128.bitselect(v10, best, take);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(w)), at, take);
  take = v128.or(f32x4.gt(v11, best), f32x4.ne(v11, v11));
  best = v128.bitselect(v11, best, take);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(w + 1)), at, take);
  if (relu) best = v128.andnot(best, f32x4.le(best, f32x4.splat(0)));
  if (count >= 4) {
    v128.store(y, best);
    v128.store(idx, at);
    return;
  }
  store_partial_f32x4(y, best, count);
  store<i32>(idx, i32x4.extract_lane(at, 0));
  if (count > 1) store<i32>(idx, i32x4.extract_lane(at, 1), 4);
  if (count > 2) store<i32>(idx, i32x4.extract_lane(at, 2), 8);
}

/**
 * kh = kw = sh = sw = 2 without padding, windows inside the image: four outputs per step from two rows of eight
 * inputs, split into even and odd columns, then PyTorch's rule lane by lane (replace when greater or NaN).
 */
function max_pool_2x2(nc: i32, h: i32, w: i32, oh: i32, ow: i32, x: usize, y: usize, idx: usize): void {
  const steps = i32x4(0, 2, 4, 6);
  let o: usize = 0;
  for (let p = 0; p < nc; p++) {
    const xp = x + ((<usize>p * <usize>h * <usize>w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const row = 2 * oy * w;
      const r0 = xp + (<usize>row << 2), r1 = r0 + (<usize>w << 2);
      // Four outputs a step; a row of at least 4 ends with a step that overlaps the previous one (it rewrites the same
      // values) instead of a scalar tail: CNN-S's rows are 14 and 7 outputs wide.
      let ox = 0;
      for (let step = 0; ow >= 4 && step < ow; step += 4) {
        ox = min(step, ow - 4);
        const q = <usize>(2 * ox) << 2;
        const a0 = v128.load(r0 + q), a1 = v128.load(r0 + q, 16), b0 = v128.load(r1 + q), b1 = v128.load(r1 + q, 16);
        const first = i32x4.add(i32x4.splat(row + 2 * ox), steps);
        pool_window(
          f32x4.shuffle(a0, a1, 0, 2, 4, 6), f32x4.shuffle(a0, a1, 1, 3, 5, 7), f32x4.shuffle(b0, b1, 0, 2, 4, 6), f32x4.shuffle(b0, b1, 1, 3, 5, 7),
          first, w, y + ((o + <usize>ox) << 2), idx + ((o + <usize>ox) << 2), 4, false,
        );
        ox += 4;
      }
      for (; ox < ow; ox++) {
        const i = row + 2 * ox;
        let best = load<f32>(r0 + (<usize>(2 * ox) << 2)), at = i;
        let v = load<f32>(r0 + (<usize>(2 * ox + 1) << 2));
        if (v > best || v != v) (best = v), (at = i + 1);
        v = load<f32>(r1 + (<usize>(2 * ox) << 2));
        if (v > best || v != v) (best = v), (at = i + w);
        v = load<f32>(r1 + (<usize>(2 * ox + 1) << 2));
        if (v > best || v != v) (best = v), (at = i + w + 1);
        store<f32>(y + ((o + <usize>ox) << 2), best);
        store<i32>(idx + ((o + <usize>ox) << 2), at);
      }
      o += <usize>ow;
    }
  }
}

export function max_pool2d_fwd(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, x: usize, y: usize, idx: usize): void {
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && <i64>oh * 2 <= <i64>h && <i64>ow * 2 <= <i64>w) {
    max_pool_2x2(nc, h, w, oh, ow, x, y, idx);
    return;
  }
  let o: usize = 0;
  for (let p = 0; p < nc; p++) {
    const xp = x + ((<usize>p * <usize>h * <usize>w) << 2);
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const y0 = lo0(<i64>oy * sh - ph), y1 = hiClamp(<i64>oy * sh - ph + kh, h);
        const x0 = lo0(<i64>ox * sw - pw), x1 = hiClamp(<i64>ox * sw - pw + kw, w);
        let best: f32 = -Infinity;
        let at: i64 = y0 < y1 && x0 < x1 ? y0 * w + x0 : 0;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const v = load<f32>(xp + (<usize>(iy * w + ix) << 2));
            if (v > best || v != v) {
              best = v;
              at = iy * w + ix;
            }
          }
        store<f32>(y + (o << 2), best);
        store<i32>(idx + (o << 2), <i32>at);
        o++;
      }
  }
}

/**
 * One plane's backward when the image is tiled exactly by 2×2 windows (h = 2·oh, w = 2·ow, ow ≥ 4) and every index
 * lies in its own window, which a 2×2 stride-2 pool guarantees: each input position then receives its window's
 * gradient or 0, so the plane is written, four windows a step, with no zeroing pass and no scatter. Returns false
 * at the first index outside its window (another pooling with the same sizes): the caller then redoes the plane.
 * Gradients are added to +0 as the scatter does, so −0 becomes +0 alike.
 */
function max_pool_bwd_2x2(w: i32, oh: i32, ow: i32, dy: usize, idx: usize, d: usize, y: usize): bool {
  const steps = i32x4(0, 2, 4, 6), zero = f32x4.splat(0);
  const right = i32x4.splat(1), below = i32x4.splat(w), diagonal = i32x4.splat(w + 1);
  for (let oy = 0; oy < oh; oy++) {
    const row = 2 * oy * w;
    const r0 = d + (<usize>row << 2), r1 = r0 + (<usize>w << 2);
    const o = <usize>(oy * ow);
    for (let step = 0; step < ow; step += 4) {
      // The last step overlaps the previous one when ow is not a multiple of 4 (it rewrites the same values).
      const ox = min(step, ow - 4);
      let g = v128.load(dy + ((o + <usize>ox) << 2));
      if (y != 0) g = v128.and(g, f32x4.gt(v128.load(y + ((o + <usize>ox) << 2)), zero));
      const rel = i32x4.sub(v128.load(idx + ((o + <usize>ox) << 2)), i32x4.add(i32x4.splat(row + 2 * ox), steps));
      const m00 = i32x4.eq(rel, i32x4.splat(0)), m01 = i32x4.eq(rel, right), m10 = i32x4.eq(rel, below), m11 = i32x4.eq(rel, diagonal);
      if (!i32x4.all_true(v128.or(v128.or(m00, m01), v128.or(m10, m11)))) return false;
      const g00 = f32x4.add(v128.and(g, m00), zero), g01 = f32x4.add(v128.and(g, m01), zero);
      const g10 = f32x4.add(v128.and(g, m10), zero), g11 = f32x4.add(v128.and(g, m11), zero);
      const q = <usize>(2 * ox) << 2;
      v128.store(r0 + q, f32x4.shuffle(g00, g01, 0, 4, 1, 5));
      v128.store(r0 + q, f32x4.shuffle(g00, g01, 2, 6, 3, 7), 16);
      v128.store(r1 + q, f32x4.shuffle(g10, g11, 0, 4, 1, 5));
      v128.store(r1 + q, f32x4.shuffle(g10, g11, 2, 6, 3, 7), 16);
    }
  }
  return true;
}

/**
 * The max pool's input gradient; with y ≠ 0 (the pool's ReLU'd output) of relu_bwd's gradient instead: each window's
 * gradient kept where y > 0, else +0, as relu_bwd_f32 then max_pool2d_bwd_f32 would give, without the pass between.
 */
export function max_pool2d_bwd(nc: i32, h: i32, w: i32, oh: i32, ow: i32, dy: usize, idx: usize, dx: usize, y: usize = 0): void {
  const hw = <usize>h * <usize>w, ohw = <usize>oh * <usize>ow;
  const tiled = <i64>h == 2 * <i64>oh && <i64>w == 2 * <i64>ow && ow >= 4;
  for (let p = 0; p < nc; p++) {
    const d = dx + ((<usize>p * hw) << 2);
    const base = <usize>p * ohw;
    if (tiled && max_pool_bwd_2x2(w, oh, ow, dy + (base << 2), idx + (base << 2), d, y != 0 ? y + (base << 2) : 0)) continue;
    // Each plane zeroed right before its scatter, while it is in cache (a v128 loop: memory.fill is a call into the
    // engine's runtime, too dear per small plane).
    zero_f32(d, <i64>hw);
    for (let o: usize = 0; o < ohw; o++) {
      const at = d + (<usize>load<i32>(idx + ((base + o) << 2)) << 2);
      const g: f32 = y != 0 && !(load<f32>(y + ((base + o) << 2)) > 0) ? 0 : load<f32>(dy + ((base + o) << 2));
      store<f32>(at, load<f32>(at) + g);
    }
  }
}

// @ts-ignore: decorator
@inline function divisor(ys: i64, xs: i64, h: i64, w: i64, kh: i64, kw: i64, ph: i64, pw: i64, includePad: i32): i64 {
  if (includePad != 0) return (hiClamp(ys + kh, h + ph) - ys) * (hiClamp(xs + kw, w + pw) - xs);
  const dy = hiClamp(ys + kh, h) - lo0(ys), dx = hiClamp(xs + kw, w) - lo0(xs);
  return (dy > 0 ? dy : 0) * (dx > 0 ? dx : 0);
}

export function avg_pool2d_fwd(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, includePad: i32, x: usize, y: usize): void {
  let o: usize = 0;
  for (let p = 0; p < nc; p++) {
    const xp = x + ((<usize>p * <usize>h * <usize>w) << 2);
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const ys = <i64>oy * sh - ph, xs = <i64>ox * sw - pw;
        const div = divisor(ys, xs, h, w, kh, kw, ph, pw, includePad);
        const y1 = hiClamp(ys + kh, h), x1 = hiClamp(xs + kw, w);
        let sum: f32 = 0;
        for (let iy = lo0(ys); iy < y1; iy++)
          for (let ix = lo0(xs); ix < x1; ix++) sum += load<f32>(xp + (<usize>(iy * w + ix) << 2));
        store<f32>(y + (o << 2), div > 0 ? sum / <f32>div : 0);
        o++;
      }
  }
}

export function avg_pool2d_bwd(nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, includePad: i32, dy: usize, dx: usize): void {
  const hw = <usize>h * <usize>w;
  let o: usize = 0;
  for (let p = 0; p < nc; p++) {
    const d = dx + ((<usize>p * hw) << 2);
    memory.fill(d, 0, hw << 2);
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const ys = <i64>oy * sh - ph, xs = <i64>ox * sw - pw;
        const div = divisor(ys, xs, h, w, kh, kw, ph, pw, includePad);
        const g: f32 = load<f32>(dy + (o << 2)) / <f32>div;
        o++;
        if (div <= 0) continue;
        const y1 = hiClamp(ys + kh, h), x1 = hiClamp(xs + kw, w);
        for (let iy = lo0(ys); iy < y1; iy++)
          for (let ix = lo0(xs); ix < x1; ix++) {
            const at = d + (<usize>(iy * w + ix) << 2);
            store<f32>(at, load<f32>(at) + g);
          }
      }
  }
}
