/**
 * Direct 3×3, stride-1, dilation-1 convolutions of few input channels (CNN-S's first layer: one), for conv.ts: with
 * K = 9·c the packed products' 4×8 tile spends as long packing im2col as multiplying, so the taps are read straight
 * from the image's planes, zero-padded once per image (wp floats a row: the output width rounded up to 8, plus the
 * two columns the taps reach past it; oh + 3 rows, since the weight gradient's second row may lie one past an odd
 * output).
 * - Forward: tiles of 4 output channels × 8 columns of one row (8 accumulators, the weight repacked into panels of 4
 *   filters; a row's last block of at most 4 columns, CNN-S's 24–27, as 4 × 4 with the same sums, not 8 with 4 of them
 *   dropped), each tap of each input channel two unaligned loads from the padded plane and four weight splats:
 *   y = Σ_k w[o, k]·x_k, then + bias, k = (ci, ky, kx) in order. With a following 2×2 stride-2 max pool, a row's tile
 *   waits in a stage for the next row's, and the pool (PyTorch's first-maximum rule and indices, as pool.ts) and an
 *   optional ReLU run on the pair: the convolution's output is never stored, with the same bits as the unfused kernels.
 * - Weight gradient: per output channel and input channel 9 accumulators (one per tap), dY read two rows × 4 columns
 *   at a time against the 12 shifted input vectors they meet; lanes past the output's width are masked to zero.
 *   dW[o, ci, ky, kx] = b·dW + the image's sum (lanes, then their horizontal sum), image by image in image order.
 * Accuracy: float32 sums over 9·c taps (forward) or oh·ow positions per image (weight gradient).
 */
import { pool_window } from './pool';
import { pad_rows, store_part } from './winograd';
import { hsum_f32x4, load_partial_f32x4, madd } from './simd';

/** Input channels up to which the direct kernels run (conv.ts; from 4 channels Winograd takes 3×3 layers). */
// @ts-ignore: decorator
@inline export const DIRECT_MAX_CHANNELS: i32 = 3;

/** Floats per padded row for an ow-wide output. */
// @ts-ignore: decorator
@inline export function direct_row(ow: i32): i32 {
  return ((ow + 7) & ~7) + 2;
}

/** Floats of one image's padded planes (c channels, oh×ow output). */
export function direct_plane_floats(c: i32, oh: i32, ow: i32): i64 {
  return <i64>c * <i64>(oh + 3) * <i64>direct_row(ow);
}

/** Image x's c planes (h×w) zero-padded by ph rows and pw columns (padding ≤ 2) into planes (direct_plane_floats). */
export function direct_pad(x: usize, c: i32, h: i32, w: i32, oh: i32, ow: i32, ph: i32, pw: i32, planes: usize): void {
  const wp = direct_row(ow), rows = oh + 3, planeBytes = (<usize>rows * <usize>wp) << 2;
  for (let ci = 0; ci < c; ci++) pad_rows(x + ((<usize>ci * <usize>h * <usize>w) << 2), h, w, -ph, rows, pw, wp, planes + <usize>ci * planeBytes);
}

/**
 * The weight [oc, c, 3, 3] as panels of 4 output channels (the last one repeated past oc): panel o/4 at float
 * (o/4)·36c, tap k's 4 values at 4k; what direct_fwd_image reads.
 */
export function direct_pack(c: i32, oc: i32, weight: usize, dst: usize): void {
  const taps = c * 9;
  for (let o = 0; o < oc; o += 4)
    for (let i = 0; i < 4; i++) {
      const from = weight + ((<usize>min(o + i, oc - 1) * <usize>taps) << 2);
      const to = dst + ((<usize>o * <usize>taps + <usize>i) << 2);
      for (let k = 0; k < taps; k++) store<f32>(to + (<usize>k << 4), load<f32>(from + (<usize>k << 2)));
    }
}

/**
 * One image's forward from its padded planes: packed weight (direct_pack), bias (0: none). Unpooled, y gets oc
 * planes of oh×ow; pooled, y gets the 2×2 stride-2 max pool's oc planes of (oh/2)×(ow/2) and idx its window indices
 * (iy·ow + ix), then the ReLU with `relu`. Tiles of 4 output channels × 8 columns of one row (direct_tile) land in
 * `stage` (64 floats of the thread's workspace: pooled, a window's first row waits there for its second).
 */
export function direct_fwd_image(c: i32, oc: i32, oh: i32, ow: i32, planes: usize, packed: usize, bias: usize, y: usize, pool: bool, idx: usize, relu: bool, stage: usize): void {
  const wp = direct_row(ow), rowBytes = <usize>wp << 2, planeBytes = (<usize>(oh + 3) * <usize>wp) << 2;
  const qh = oh >> 1, qw = ow >> 1, ohw = <usize>oh * <usize>ow;
  // Pooled, the rows of whole windows only.
  const rowsUsed = pool ? oh & ~1 : oh;
  for (let o = 0; o < oc; o += 4) {
    const panel = packed + ((<usize>o * <usize>c * 9) << 2);
    const channels = min(4, oc - o);
    for (let ox = 0; ox < ow; ox += 8) {
      const cols = min(8, ow - ox);
      for (let oy = 0; oy < rowsUsed; oy++) {
        // Pooled, even rows go to the stage's second half, to be read with the next row.
        const tile = pool && (oy & 1) == 0 ? stage + 128 : stage;
        // A last block of at most 4 columns (CNN-S's 28: 24–27) computes only those (the tile's upper half is zeros).
        if (cols <= 4) direct_tile4(c, planes + <usize>oy * rowBytes + (<usize>ox << 2), rowBytes, planeBytes, panel, tile);
        else direct_tile(c, planes + <usize>oy * rowBytes + (<usize>ox << 2), rowBytes, planeBytes, panel, tile);
        if (pool && (oy & 1) == 0) continue;
        for (let i = 0; i < channels; i++) {
          const b = f32x4.splat(bias != 0 ? load<f32>(bias + (<usize>(o + i) << 2)) : 0);
          const t = tile + (<usize>i << 5);
          const lo = f32x4.add(v128.load(t), b), hi = f32x4.add(v128.load(t, 16), b);
          if (!pool) {
            store_part(y + ((<usize>(o + i) * ohw + <usize>oy * <usize>ow + <usize>ox) << 2), lo, hi, cols);
            continue;
          }
          const qx = ox >> 1, count = min(4, qw - qx);
          if (count <= 0) continue;
          const r0 = stage + 128 + (<usize>i << 5);
          const first = i32x4.add(i32x4.splat((oy - 1) * ow + ox), i32x4(0, 2, 4, 6));
          const at = (<usize>(o + i) * <usize>qh * <usize>qw + <usize>((oy >> 1) * qw + qx)) << 2;
          // The windows' rows (a0 a1: row oy − 1; lo hi: row oy), even and odd columns apart: window order.
          const a0 = f32x4.add(v128.load(r0), b), a1 = f32x4.add(v128.load(r0, 16), b);
          pool_window(f32x4.shuffle(a0, a1, 0, 2, 4, 6), f32x4.shuffle(a0, a1, 1, 3, 5, 7), f32x4.shuffle(lo, hi, 0, 2, 4, 6), f32x4.shuffle(lo, hi, 1, 3, 5, 7), first, ow, y + at, idx + at, count, relu);
        }
      }
    }
  }
}

/**
 * Σ_k w[o, k]·x_k for 4 output channels (panel: direct_pack's) × 8 columns of one output row (p: the padded planes
 * at that row and column), k = (ci, ky, kx) in order; the 4×8 sums (rows of 8 floats) to `out`. A function of its
 * own, with few live values, so V8 keeps the 8 accumulators in registers.
 */
function direct_tile(c: i32, p: usize, rowBytes: usize, planeBytes: usize, panel: usize, out: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let k = panel;
  for (let ci = 0; ci < c; ci++) {
    let q = p;
    for (let ky = 0; ky < 3; ky++) {
      // One tap per iteration: unrolled, binaryen gathers the taps' loads ahead of their sums and V8 spills.
      for (let e = q + 12; q < e; q += 4) {
        const x0 = v128.load(q), x1 = v128.load(q, 16);
        let u = v128.load32_splat(k);
        c00 = madd(u, x0, c00);
        c01 = madd(u, x1, c01);
        u = v128.load32_splat(k, 4);
        c10 = madd(u, x0, c10);
        c11 = madd(u, x1, c11);
        u = v128.load32_splat(k, 8);
        c20 = madd(u, x0, c20);
        c21 = madd(u, x1, c21);
        u = v128.load32_splat(k, 12);
        c30 = madd(u, x0, c30);
        c31 = madd(u, x1, c31);
        k += 16;
      }
      q += rowBytes - 12;
    }
    p += planeBytes;
  }
  v128.store(out, c00); v128.store(out, c01, 16); v128.store(out, c10, 32); v128.store(out, c11, 48);
  v128.store(out, c20, 64); v128.store(out, c21, 80); v128.store(out, c30, 96); v128.store(out, c31, 112);
}

/** direct_tile's sums for 4 columns: the same arithmetic per output (k in order), the tile's columns 4–7 set to 0. */
function direct_tile4(c: i32, p: usize, rowBytes: usize, planeBytes: usize, panel: usize, out: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let k = panel;
  for (let ci = 0; ci < c; ci++) {
    let q = p;
    for (let ky = 0; ky < 3; ky++) {
      for (let e = q + 12; q < e; q += 4) {
        const x = v128.load(q);
        c0 = madd(v128.load32_splat(k), x, c0);
        c1 = madd(v128.load32_splat(k, 4), x, c1);
        c2 = madd(v128.load32_splat(k, 8), x, c2);
        c3 = madd(v128.load32_splat(k, 12), x, c3);
        k += 16;
      }
      q += rowBytes - 12;
    }
    p += planeBytes;
  }
  const zero = f32x4.splat(0);
  v128.store(out, c0); v128.store(out, zero, 16); v128.store(out, c1, 32); v128.store(out, zero, 48);
  v128.store(out, c2, 64); v128.store(out, zero, 80); v128.store(out, c3, 96); v128.store(out, zero, 112);
}

/**
 * dW rows [o0, o1) (layout [oc, c, 3, 3]) = b·dW + one image's weight gradient: dy its oc planes of oh×ow, planes its
 * padded input planes (direct_pad); b = 0 never reads dW.
 */
export function direct_grad_image(c: i32, oh: i32, ow: i32, planes: usize, dy: usize, o0: i32, o1: i32, gw: usize, b: f32): void {
  const planeBytes = (<usize>(oh + 3) * <usize>direct_row(ow)) << 2, ohw = <usize>oh * <usize>ow;
  for (let o = o0; o < o1; o++)
    for (let ci = 0; ci < c; ci++) {
      const dyo = dy + ((<usize>o * ohw) << 2), plane = planes + <usize>ci * planeBytes, at = gw + ((<usize>(o * c + ci) * 9) << 2);
      // Widths that are not a multiple of 4 mask every vector (each function holds its own copy of grad_sums).
      if (ow & 3) grad_sums_masked(oh, ow, plane, dyo, at, b);
      else grad_sums_full(oh, ow, plane, dyo, at, b);
    }
}

function grad_sums_full(oh: i32, ow: i32, plane: usize, dy: usize, at: usize, b: f32): void {
  grad_sums(oh, ow, plane, dy, at, b, false);
}

function grad_sums_masked(oh: i32, ow: i32, plane: usize, dy: usize, at: usize, b: f32): void {
  grad_sums(oh, ow, plane, dy, at, b, true);
}

/**
 * The 9 taps' sums of one output channel (dY plane dy) and one input channel (padded plane), into dW at `at`. Per
 * two output rows × 4 columns, each of the 12 input vectors they meet is loaded once and taken by row oy's tap and
 * row oy + 1's (a last odd row has none), so each sum gets row oy's term, then row oy + 1's. With `masked` (ow not a
 * multiple of 4) the last vector of each row reads only the output's lanes of dY and zeroes the same lanes of the
 * input, so a value past the output never meets a gradient (0·∞ would be NaN where the direct sum has no term).
 */
// @ts-ignore: decorator
@inline function grad_sums(oh: i32, ow: i32, plane: usize, dy: usize, at: usize, b: f32, masked: bool): void {
  const rowBytes = <usize>direct_row(ow) << 2, dyRow = <usize>ow << 2;
  const body = ow & ~3, tail = ow - body;
  const edgeMask = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(tail)), all = i32x4.splat(-1);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0);
  let s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0), s8 = f32x4.splat(0);
  for (let oy = 0; oy < oh; oy += 2) {
    const two = oy + 1 < oh;
    const d = dy + <usize>oy * dyRow;
    for (let ox = 0; ox < ow; ox += 4) {
      const q = <usize>ox << 2, r = plane + <usize>oy * rowBytes + q;
      let d0: v128, d1: v128, m = all;
      if (masked && ox == body) {
        d0 = load_partial_f32x4(d + q, tail);
        d1 = two ? load_partial_f32x4(d + dyRow + q, tail) : d0;
        m = edgeMask;
      } else {
        d0 = v128.load(d + q);
        d1 = two ? v128.load(d + dyRow + q) : d0;
      }
      let p: usize, x0: v128, x1: v128, x2: v128;
      p = r;
      x0 = v128.load(p); x1 = v128.load(p, 4); x2 = v128.load(p, 8);
      if (masked) { x0 = v128.and(x0, m); x1 = v128.and(x1, m); x2 = v128.and(x2, m); }
      s0 = madd(d0, x0, s0); s1 = madd(d0, x1, s1); s2 = madd(d0, x2, s2);
      p = r + 1 * rowBytes;
      x0 = v128.load(p); x1 = v128.load(p, 4); x2 = v128.load(p, 8);
      if (masked) { x0 = v128.and(x0, m); x1 = v128.and(x1, m); x2 = v128.and(x2, m); }
      if (two) { s0 = madd(d1, x0, s0); s1 = madd(d1, x1, s1); s2 = madd(d1, x2, s2); }
      s3 = madd(d0, x0, s3); s4 = madd(d0, x1, s4); s5 = madd(d0, x2, s5);
      p = r + 2 * rowBytes;
      x0 = v128.load(p); x1 = v128.load(p, 4); x2 = v128.load(p, 8);
      if (masked) { x0 = v128.and(x0, m); x1 = v128.and(x1, m); x2 = v128.and(x2, m); }
      if (two) { s3 = madd(d1, x0, s3); s4 = madd(d1, x1, s4); s5 = madd(d1, x2, s5); }
      s6 = madd(d0, x0, s6); s7 = madd(d0, x1, s7); s8 = madd(d0, x2, s8);
      if (!two) continue;
      p = r + 3 * rowBytes;
      x0 = v128.load(p); x1 = v128.load(p, 4); x2 = v128.load(p, 8);
      if (masked) { x0 = v128.and(x0, m); x1 = v128.and(x1, m); x2 = v128.and(x2, m); }
      if (two) { s6 = madd(d1, x0, s6); s7 = madd(d1, x1, s7); s8 = madd(d1, x2, s8); }
    }
  }
  grad_store(at, 0, hsum_f32x4(s0), b); grad_store(at, 1, hsum_f32x4(s1), b); grad_store(at, 2, hsum_f32x4(s2), b);
  grad_store(at, 3, hsum_f32x4(s3), b); grad_store(at, 4, hsum_f32x4(s4), b); grad_store(at, 5, hsum_f32x4(s5), b);
  grad_store(at, 6, hsum_f32x4(s6), b); grad_store(at, 7, hsum_f32x4(s7), b); grad_store(at, 8, hsum_f32x4(s8), b);
}

/** dW tap t at `at` = b·dW + sum (b = 0 never reads it). */
// @ts-ignore: decorator
@inline function grad_store(at: usize, t: i32, sum: f32, b: f32): void {
  const p = at + (<usize>t << 2);
  store<f32>(p, b == 0 ? sum : b * load<f32>(p) + sum);
}
