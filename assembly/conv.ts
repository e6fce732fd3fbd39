/**
 * conv2d_{fwd,bwd_data,bwd_filter}_f32 over NCHW, weight [oc, c/groups, kh, kw], on gemm.ts's packed 4×8 tiles
 * (gemm_block, gemm_ukernel_4x8__wasmsimd) with the convolution's own drivers, so nothing is materialised that the
 * tiles can read from elsewhere. A tap of im2col is "flat" when the stride is 1 and output rows are as wide as input
 * rows ('same' padding): its row is the input plane read at one shift dy·w + dx, minus the |dx| positions per row
 * that wrap into the neighbouring row.
 * - Forward, per group: y_g = W_g·col_g + bias. W_g is packed once per task of SAMPLES_PER_TASK images (whole when
 *   it fits the workspace); each image's taps go straight into the NR-wide B panels (flat taps: two plain vector
 *   copies a panel from the image's planes placed between zero margins, then the wrapped positions zeroed; other
 *   taps row by row through tap_row); the bias is the first KC block's C (beta 1), so y = bias + Σ in one store.
 * - Input gradient, per group: col = W_gᵀ·dY_g (W_gᵀ packed once per task) into the thread's workspace, then a
 *   col2im that adds each flat tap row at its shift in one vector loop (row by row otherwise). When one image's col
 *   does not fit the workspace, the caller's `col` on the calling thread instead.
 * - Weight gradient, per group: dW_gᵀ = col_g·dY_gᵀ, image by image in image order: MR tap rows built by tap_row and
 *   packed as A, dY_gᵀ packed as B, each tile stored transposed into dW (the micro-kernel's `trans`), so col is never
 *   materialised or transposed. Tasks own fixed blocks of dW (about a quarter of the taps × 64 filters) and walk every
 *   image, so there are no partial sums and each element is summed in the same order whichever thread computes it;
 *   one more task sums the bias gradient. With at most 16 taps (CNN-S's first layer), dot products over the image's
 *   tap rows instead (filter_dots, blocks of 8 filters): tiles would fill 9 of 12 rows.
 * In the threaded modules the tasks (images, or dW blocks) run over the team (team.ts): task bounds depend only on
 * the sizes, so results are bit-identical for every thread count and equal to the single-threaded module's. Each
 * thread packs into its own workspace (the owner: gemm.ts's packing buffers; a worker: CONV_WORKSPACE_BYTES, 1.5 MiB,
 * allocated by team_init, where the worker's GEMM rectangles pack too), so no kernel call allocates. Coordinates are computed in
 * i64, so any sizes the adapter lets through only produce padding reads. Accuracy: float32 accumulation over
 * c/groups·kh·kw (forward, onto the bias), oc/groups then the taps (input gradient), or oh·ow per image then over
 * images (weight gradient).
 */
import { gemm, gemm_block, gemm_packing_buffers, gemm_ukernel_4x8__wasmsimd, GEMM_MR, GEMM_NR, pack_a, pack_b } from './gemm';
import { direct_fwd_image, direct_grad_image, DIRECT_MAX_CHANNELS, direct_pack, direct_pad, direct_plane_floats } from './direct';
import { copy_f32, hsum_f32x4, madd, zero_f32 } from './simd';
import { team_conv, team_size, team_splits_conv } from './team';
import { WINO_GRAD_MIN_CHANNELS, WINO_GRAD_OUTS, wino_block_rows, wino_grad_block_rows, wino_grad_image, wino_images, wino_weights, WINO_MIN_CHANNELS } from './winograd';

/** Images per forward / input-gradient task (the packed weight is reused across them). */
// @ts-ignore: decorator
@inline const SAMPLES_PER_TASK: i32 = 4;
/** Output channels per weight-gradient block (a multiple of NR). */
// @ts-ignore: decorator
@inline const GRAD_OUTS: i32 = 64;

/** The blocking of the packed products here (any kc and nc suit gemm.ts's packing and tiles). */
// @ts-ignore: decorator
@inline const CONV_KC: i32 = 256;
// @ts-ignore: decorator
@inline const CONV_NC: i32 = 512;
// @ts-ignore: decorator
@inline const CONV_MC: i32 = 128;

// A thread's workspace: packed A (pre-broadcast, 16 bytes a value: WS_A_VALUES), packed B (KC×NC floats), and the
// rest: the tap rows being built (NC floats plus a panel's padding, which also holds four tap rows of one KC block),
// a 4×8 edge tile, and one image's input planes of a group between zero margins (flat taps then read every panel
// with plain vector loads), one image's col of a group (input gradient) or its tap rows (filter_dots). The owner's workspace is gemm.ts's
// packing buffers (conv never runs inside a gemm call): packed A, and packed B (1 MiB) holding B then the rest, so
// the owner allocates nothing more; a worker's comes from team_init. Literal sizes: gemm.ts's constants are not yet
// declared where this file's globals are initialised (the modules import each other).
// @ts-ignore: decorator
@inline const WS_A_VALUES: i32 = 1 << 15; // = GEMM_MC·GEMM_KC: gemm.ts's packA
// @ts-ignore: decorator
@inline const WS_B_BYTES: usize = (256 * 512) << 2; // CONV_KC·CONV_NC floats = GEMM_KC·GEMM_TEAM_NC: a worker's packed B in a GEMM (team.ts)
// @ts-ignore: decorator
@inline const WS_ROWS: usize = 0;
// @ts-ignore: decorator
@inline const WS_TILE: usize = WS_ROWS + ((1024 + 8) << 2); // ≥ NC + NR and ≥ MR·KC floats
// @ts-ignore: decorator
@inline const WS_PLANES: usize = WS_TILE + (32 << 2);
// @ts-ignore: decorator
@inline const WS_PLANE_FLOATS: i64 = (1 << 17) - 2048;
// @ts-ignore: decorator
@inline const WS_REST_BYTES: usize = WS_PLANES + (<usize>WS_PLANE_FLOATS << 2); // with WS_B_BYTES ≤ 1 MiB: gemm.ts's packB
/** Bytes of a worker's convolution workspace (packed A, packed B, the rest). */
// @ts-ignore: decorator
@inline export const CONV_WORKSPACE_BYTES: usize = (<usize>WS_A_VALUES << 4) + WS_B_BYTES + WS_REST_BYTES;

/** This instance's packed A, packed B and the rest (0 on the owner until its first call: see run). */
let wsA: usize = 0, wsB: usize = 0, ws: usize = 0;

/** A worker's workspace of CONV_WORKSPACE_BYTES (handed over by team_init: the owner allocated or lent it). */
export function set_conv_workspace(p: usize): void {
  wsA = p;
  wsB = p + (<usize>WS_A_VALUES << 4);
  ws = wsB + WS_B_BYTES;
}


// The call's parameters, in static memory so every instance of a threaded module reads the same ones: the calling
// thread stores them (conv_store), a task loads them into this instance's globals (conv_load).
// @ts-ignore: decorator
@inline const ARG_COUNT: i32 = 34;
const ARGS = memory.data(ARG_COUNT * 4, 16);

// @ts-ignore: decorator
@inline const OP_FWD: i32 = 0;
// @ts-ignore: decorator
@inline const OP_DATA: i32 = 1;
// @ts-ignore: decorator
@inline const OP_FILTER: i32 = 2;
/** The forward followed by a 2×2 stride-2 max pool (and a ReLU), on the direct kernels (conv2d_direct_pool_fwd). */
// @ts-ignore: decorator
@inline const OP_FWD_POOL: i32 = 3;

let op: i32 = 0;
// The convolution: `inC` input planes of inH×inW → `outC` output planes of outH×outW, `groups` groups of `rows`
// output channels over `inCg` input channels each, taps kh×kw, strides, padding, dilation.
let n: i32 = 0, inC: i32 = 0, inH: i32 = 0, inW: i32 = 0, outC: i32 = 0, outH: i32 = 0, outW: i32 = 0;
let kh: i32 = 0, kw: i32 = 0, strH: i32 = 1, strW: i32 = 1, padH: i32 = 0, padW: i32 = 0, dilH: i32 = 1, dilW: i32 = 1;
let groups: i32 = 1, rows: i32 = 0, inCg: i32 = 0;
// Channels per group, output and input (rows = ocg and inCg = cg; both names read where each is meant).
let ocg: i32 = 0, cg: i32 = 0;
// dyIn is the weight gradient's dY; dst is y, dx or dW; gradB the bias gradient.
let src: usize = 0, weight: usize = 0, bias: usize = 0, dst: usize = 0, dyIn: usize = 0, gradB: usize = 0;
let beta: f32 = 0;
/** Rows of 2×2 output tiles per block when the call runs by Winograd (winograd.ts); 0: the products here. */
let winoRows: i32 = 0;
/** Output channels per weight-gradient task on the Winograd and dot-product paths (grad_group). */
let gradOuts: i32 = 0;
/** OP_FWD_POOL: the pool's window indices (dst holds its values) and whether a ReLU follows (1). */
let poolIdx: usize = 0, poolRelu: i32 = 0;
/** Counts the owner's calls (stored with them), so a thread transforms a call's weight once (winoWeightsFor). */
let callId: i32 = 0;
/** The call whose Winograd weight this instance holds in its packed-A space (−1: none). */
let winoWeightsFor: i32 = -1;
/** This thread's image planes between zero margins (product tasks): margin floats each side, planeStride apart; 0: none. */
let margin: i64 = 0, planeStride: i64 = 0;

/**
 * Copies image xs's input planes of group g between zero margins into the workspace when the taps are flat and they
 * fit; else sets margin = 0. The margin covers the largest tap shift |dy|·w + |dx| (|dx| < w) plus a panel.
 */
function pad_planes(xs: usize, g: i32): void {
  margin = 0;
  if (!(strH == 1 && strW == 1 && outW == inW)) return;
  const w = <i64>inW, hw = <i64>inH * w;
  const top = <i64>padH, bottom = <i64>(kh - 1) * <i64>dilH - <i64>padH;
  const m = ((top > bottom ? top : bottom) + 1) * w + GEMM_NR;
  if (<i64>inCg * (hw + 2 * m) > WS_PLANE_FLOATS) return;
  margin = m;
  planeStride = hw + 2 * m;
  let d = ws + WS_PLANES;
  for (let ci = 0; ci < inCg; ci++) {
    zero_f32(d, m);
    copy_f32(d + (<usize>m << 2), xs + ((<usize>(g * inCg + ci) * <usize>hw) << 2), hw);
    zero_f32(d + (<usize>(m + hw) << 2), m);
    d += <usize>planeStride << 2;
  }
}

function conv_store(): void {
  const a = ARGS;
  store<i32>(a, op); store<i32>(a, n, 4); store<i32>(a, inC, 8); store<i32>(a, inH, 12); store<i32>(a, inW, 16);
  store<i32>(a, outC, 20); store<i32>(a, outH, 24); store<i32>(a, outW, 28); store<i32>(a, kh, 32); store<i32>(a, kw, 36);
  store<i32>(a, strH, 40); store<i32>(a, strW, 44); store<i32>(a, padH, 48); store<i32>(a, padW, 52);
  store<i32>(a, dilH, 56); store<i32>(a, dilW, 60); store<i32>(a, groups, 64); store<i32>(a, rows, 68);
  store<i32>(a, inCg, 72); store<i32>(a, ocg, 76); store<i32>(a, cg, 80);
  store<usize>(a, src, 88); store<usize>(a, weight, 92); store<usize>(a, bias, 96); store<usize>(a, dst, 100);
  store<usize>(a, gradB, 104); store<f32>(a, beta, 108); store<usize>(a, dyIn, 112);
  store<i32>(a, winoRows, 116); store<i32>(a, callId, 120); store<i32>(a, gradOuts, 124);
  store<usize>(a, poolIdx, 128); store<i32>(a, poolRelu, 132);
}

/** A task's first step on any thread: this instance's globals from the stored parameters. */
function conv_load(): void {
  const a = ARGS;
  op = load<i32>(a); n = load<i32>(a, 4); inC = load<i32>(a, 8); inH = load<i32>(a, 12); inW = load<i32>(a, 16);
  outC = load<i32>(a, 20); outH = load<i32>(a, 24); outW = load<i32>(a, 28); kh = load<i32>(a, 32); kw = load<i32>(a, 36);
  strH = load<i32>(a, 40); strW = load<i32>(a, 44); padH = load<i32>(a, 48); padW = load<i32>(a, 52);
  dilH = load<i32>(a, 56); dilW = load<i32>(a, 60); groups = load<i32>(a, 64); rows = load<i32>(a, 68);
  inCg = load<i32>(a, 72); ocg = load<i32>(a, 76); cg = load<i32>(a, 80);
  src = load<usize>(a, 88); weight = load<usize>(a, 92); bias = load<usize>(a, 96); dst = load<usize>(a, 100);
  gradB = load<usize>(a, 104); beta = load<f32>(a, 108); dyIn = load<usize>(a, 112);
  winoRows = load<i32>(a, 116); callId = load<i32>(a, 120); gradOuts = load<i32>(a, 124);
  poolIdx = load<usize>(a, 128); poolRelu = load<i32>(a, 132);
}

/** Output columns [lo, hi) whose input column ox·sw + off lies in [0, w), packed as lo | hi << 32. */
// @ts-ignore: decorator
@inline function validCols(off: i64, sw: i64, w: i64, ow: i64): i64 {
  let lo: i64 = off >= 0 ? 0 : (-off + sw - 1) / sw;
  let hi: i64 = off >= w ? 0 : (w - off + sw - 1) / sw;
  if (hi > ow) hi = ow;
  if (lo > hi) lo = hi;
  return lo | (hi << 32);
}

// @ts-ignore: decorator
@inline function clamp64(v: i64, lo: i64, hi: i64): i64 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Row (ky, kx) of one input plane's im2col, output positions [j0, j1), into out[0, j1 − j0): the input value each
 * output position's tap reads, 0 outside the image. Stride 1 with output rows as wide as input rows reads the plane
 * as one flat array shifted by dy·w + dx, then zeroes the |dx| positions per row that wrapped into the neighbouring
 * row; otherwise output row by output row.
 */
function tap_row(plane: usize, ky: i32, kx: i32, j0: i32, j1: i32, out: usize): void {
  const dy = <i64>ky * <i64>dilH - <i64>padH, dx = <i64>kx * <i64>dilW - <i64>padW;
  const h = <i64>inH, w = <i64>inW;
  if (strH == 1 && strW == 1 && outW == inW && dx > -w && dx < w) {
    const oy0 = clamp64(-dy, 0, outH), oy1 = clamp64(h - dy, oy0, outH);
    const jlo = oy0 * w + (dx < 0 ? -dx : 0);
    let jhi = oy1 * w - (dx > 0 ? dx : 0);
    if (jhi < jlo) jhi = jlo;
    const a = clamp64(jlo, j0, j1), b = clamp64(jhi, a, j1);
    // Here j + dy·w + dx lies in [0, h·w) for every j in [jlo, jhi).
    zero_f32(out, a - j0);
    copy_f32(out + (<usize>(a - j0) << 2), plane + (<usize>(a + dy * w + dx) << 2), b - a);
    zero_f32(out + (<usize>(b - j0) << 2), j1 - b);
    if (dx != 0 && b > a) {
      const from = dx > 0 ? w - dx : 0, to = dx > 0 ? w : -dx;
      for (let oy = a / w; oy * w < b; oy++)
        for (let ox = from; ox < to; ox++) {
          const j = oy * w + ox;
          if (j >= a && j < b) store<f32>(out + (<usize>(j - j0) << 2), 0);
        }
    }
    return;
  }
  const r = validCols(dx, strW, w, outW);
  const lo = r & 0xffffffff, hi = r >>> 32;
  const ow = <i64>outW;
  for (let oy = <i64>j0 / ow; oy * ow < <i64>j1; oy++) {
    const rowStart = oy * ow;
    const a = clamp64(<i64>j0 - rowStart, 0, ow), b = clamp64(<i64>j1 - rowStart, a, ow);
    const o = out + (<usize>(rowStart + a - <i64>j0) << 2);
    const iy = oy * <i64>strH + dy;
    if (iy < 0 || iy >= h || lo >= hi) {
      zero_f32(o, b - a);
      continue;
    }
    const l = clamp64(lo, a, b), e = clamp64(hi, l, b);
    zero_f32(o, l - a);
    // Input column ox·sw + dx of row iy, read only for ox in [l, e) (inside the image).
    const row = plane + (<usize>(iy * w) << 2);
    const ol = o + (<usize>(l - a) << 2);
    if (strW == 1) copy_f32(ol, row + (<usize>(l + dx) << 2), e - l);
    else for (let ox = l; ox < e; ox++) store<f32>(ol + (<usize>(ox - l) << 2), load<f32>(row + (<usize>(ox * <i64>strW + dx) << 2)));
    zero_f32(o + (<usize>(e - a) << 2), b - e);
  }
}

/** The input plane and tap of im2col row `p` of group g (p = (ci·kh + ky)·kw + kx) in the image at xs. */
// @ts-ignore: decorator
@inline function tap_plane(xs: usize, g: i32, p: i32): usize {
  return xs + ((<usize>(g * inCg + p / (kh * kw)) * <usize>inH * <usize>inW) << 2);
}

/**
 * Packs rows [pc, pc + kc) × columns [jc, jc + nc) of image xs's im2col (group g) into NR-wide B panels at d, as
 * gemm's pack_b would from a materialised col; columns past nc are zeros. A flat tap (stride 1, output rows as wide
 * as input rows) copies each panel's 8 floats straight from the shifted plane, then zeroes the positions that wrapped
 * into the neighbouring row; other taps build their row in the workspace first (tap_row).
 */
function pack_taps_b(xs: usize, g: i32, pc: i32, kc: i32, jc: i32, nc: i32, d: usize): void {
  const row = ws + WS_ROWS;
  const panels = (nc + GEMM_NR - 1) / GEMM_NR;
  zero_f32(row + (<usize>nc << 2), panels * GEMM_NR - nc);
  const panelBytes = <usize>kc << 5;
  const h = <i64>inH, w = <i64>inW, end = <i64>jc + <i64>nc;
  for (let p = 0; p < kc; p++) {
    const tap = (pc + p) % (kh * kw), ky = tap / kw, kx = tap % kw;
    const plane = tap_plane(xs, g, pc + p);
    const dy = <i64>ky * <i64>dilH - <i64>padH, dx = <i64>kx * <i64>dilW - <i64>padW;
    let o = d + (<usize>p << 5);
    if (!(strH == 1 && strW == 1 && outW == inW && dx > -w && dx < w)) {
      tap_row(plane, ky, kx, jc, jc + nc, row);
      let i = row;
      for (let r = 0; r < panels; r++) {
        v128.store(o, v128.load(i));
        v128.store(o, v128.load(i, 16), 16);
        o += panelBytes;
        i += 32;
      }
      continue;
    }
    const shift = dy * w + dx;
    if (margin > 0 && <i64>jc + shift >= -margin && end + <i64>(panels * GEMM_NR - nc) + shift <= h * w + margin) {
      // The plane between zero margins: every panel is two plain loads (rows above or below the image read the
      // margins), then the positions that wrapped into the neighbouring row, and the columns past nc, are zeroed.
      const q0 = ws + WS_PLANES + (<usize>(<i64>((pc + p) / (kh * kw)) * planeStride + margin + <i64>jc + shift) << 2);
      let q = q0;
      for (let r = 0; r < panels; r++) {
        v128.store(o, v128.load(q));
        v128.store(o, v128.load(q, 16), 16);
        o += panelBytes;
        q += 32;
      }
      const first = d + (<usize>p << 5);
      if (dx != 0) {
        const from = dx > 0 ? w - dx : 0, to = dx > 0 ? w : -dx;
        for (let oy = <i64>jc / w; oy * w < end; oy++)
          for (let ox = from; ox < to; ox++) {
            const at = oy * w + ox - <i64>jc;
            if (at >= 0 && at < <i64>nc) store<f32>(first + ((<usize>((at >> 3) * <i64>kc) << 5) + (<usize>(at & 7) << 2)), 0);
          }
      }
      for (let at = nc; at < panels * GEMM_NR; at++) store<f32>(first + ((<usize>((at >> 3) * kc) << 5) + (<usize>(at & 7) << 2)), 0);
      continue;
    }
    // Positions [lo, hi) read plane[j + shift] (in the plane, see tap_row); the rest of the panels are zeros.
    const oy0 = clamp64(-dy, 0, outH), oy1 = clamp64(h - dy, oy0, outH);
    const lo = clamp64(oy0 * w + (dx < 0 ? -dx : 0), jc, end);
    const hi = clamp64(oy1 * w - (dx > 0 ? dx : 0), lo, end);
    for (let j = <i64>jc; j < end; j += GEMM_NR) {
      if (j >= lo && j + GEMM_NR <= hi) {
        const q = plane + (<usize>(j + shift) << 2);
        v128.store(o, v128.load(q));
        v128.store(o, v128.load(q, 16), 16);
      } else {
        for (let e = 0; e < GEMM_NR; e++) {
          const jj = j + e;
          store<f32>(o + (<usize>e << 2), jj >= lo && jj < hi ? load<f32>(plane + (<usize>(jj + shift) << 2)) : 0);
        }
      }
      o += panelBytes;
    }
    if (dx != 0 && hi > lo) {
      const from = dx > 0 ? w - dx : 0, to = dx > 0 ? w : -dx;
      for (let oy = lo / w; oy * w < hi; oy++)
        for (let ox = from; ox < to; ox++) {
          const j = oy * w + ox;
          if (j >= lo && j < hi) {
            const at = j - <i64>jc;
            store<f32>(d + ((<usize>((at >> 3) * <i64>kc + <i64>p) << 5) + (<usize>(at & 7) << 2)), 0);
          }
        }
    }
  }
}

// @ts-ignore: decorator
@inline function roundMR(m: i32): i32 {
  return (m + GEMM_MR - 1) / GEMM_MR * GEMM_MR;
}

/**
 * The weight as the products' op(A), group by group (W_g at weight + g·m·k, op as pack_a's `trans`: the forward's
 * W_g [m, k], or the input gradient's W_gᵀ read from [k, m]). When every group's blocks fit the workspace they are
 * all packed here, block (g, pc, ic) at value offset g·MR⌈m⌉·k + pc·MR⌈m⌉ + ic·kc, and true is returned;
 * weight_block then only addresses them.
 */
function pack_whole_weight(trans: i32, m: i32, k: i32): bool {
  const mPad = roundMR(m);
  if (<i64>groups * <i64>mPad * <i64>k > <i64>WS_A_VALUES) return false;
  for (let g = 0; g < groups; g++)
    for (let pc = 0; pc < k; pc += CONV_KC) {
      const kc = min(CONV_KC, k - pc);
      for (let ic = 0; ic < m; ic += CONV_MC)
        pack_a(trans, m, k, weight + ((<usize>g * <usize>m * <usize>k) << 2), ic, min(CONV_MC, m - ic), pc, kc, wsA + weight_offset(g, ic, pc, kc, m, k));
    }
  return true;
}

// @ts-ignore: decorator
@inline function weight_offset(g: i32, ic: i32, pc: i32, kc: i32, m: i32, k: i32): usize {
  const mPad = roundMR(m);
  return (<usize>g * <usize>mPad * <usize>k + <usize>pc * <usize>mPad + <usize>(ic * kc)) << 4;
}

/** Block (g; rows [ic, ic + mc); k [pc, pc + kc)) of op(A): where pack_whole_weight put it, or packed now into the workspace. */
function weight_block(whole: bool, trans: i32, m: i32, k: i32, g: i32, ic: i32, mc: i32, pc: i32, kc: i32): usize {
  if (whole) return wsA + weight_offset(g, ic, pc, kc, m, k);
  pack_a(trans, m, k, weight + ((<usize>g * <usize>m * <usize>k) << 2), ic, mc, pc, kc, wsA);
  return wsA;
}

/** Samples [task·SAMPLES_PER_TASK, …) of the forward-style product: y_s,g = A_g·col_g(x_s) (+ bias). */
function product_task(task: i32): void {
  if (winoRows > 0) return wino_task(task);
  // OP_FWD_POOL runs here only on the direct kernels (conv2d_pool_fwd).
  if (direct_fits()) return direct_task(task);
  const s0 = task * SAMPLES_PER_TASK, s1 = min(n, s0 + SAMPLES_PER_TASK);
  const depth = inCg * kh * kw, ohw = outH * outW;
  const ldc = <usize>ohw << 2;
  const packB = wsB;
  const whole = pack_whole_weight(0, rows, depth);
  for (let s = s0; s < s1; s++) {
    const xs = src + ((<usize>s * <usize>inC * <usize>inH * <usize>inW) << 2);
    const ys = dst + ((<usize>s * <usize>outC * <usize>ohw) << 2);
    for (let g = 0; g < groups; g++) {
      const yg = ys + ((<usize>g * <usize>rows * <usize>ohw) << 2);
      if (depth == 0) {
        // No taps (no input channels in the group): the output is the bias alone.
        for (let o = 0; o < rows; o++) fill_row(yg + <usize>o * ldc, ohw, bias != 0 ? load<f32>(bias + (<usize>(g * rows + o) << 2)) : 0);
        continue;
      }
      pad_planes(xs, g);
      for (let jc = 0; jc < ohw; jc += CONV_NC) {
        const nc = min(CONV_NC, ohw - jc);
        for (let pc = 0; pc < depth; pc += CONV_KC) {
          const kc = min(CONV_KC, depth - pc);
          pack_taps_b(xs, g, pc, kc, jc, nc, packB);
          for (let ic = 0; ic < rows; ic += CONV_MC) {
            const mc = min(CONV_MC, rows - ic);
            const pa = weight_block(whole, 0, rows, depth, g, ic, mc, pc, kc);
            const c = yg + <usize>ic * ldc + (<usize>jc << 2);
            let betaBlock: f32 = 1;
            if (pc == 0) {
              // The first KC block adds its sum onto the bias (beta 1), or overwrites (beta 0).
              if (bias != 0) for (let o = 0; o < mc; o++) fill_row(c + <usize>o * ldc, nc, load<f32>(bias + (<usize>(g * rows + ic + o) << 2)));
              else betaBlock = 0;
            }
            gemm_block(mc, nc, 0, nc, kc, pa, packB, c, ldc, 1, betaBlock, false, 0, 0, 0, 0, 0, 0, 0);
          }
        }
      }
    }
    // Output planes no group covers (oc not a multiple of groups) are zero.
    if (groups * rows < outC) memory.fill(ys + ((<usize>(groups * rows) * <usize>ohw) << 2), 0, (<usize>(outC - groups * rows) * <usize>ohw) << 2);
  }
}

/**
 * Rows of Winograd tiles per block for the stored geometry as a convolution of cin channels into cout channels of
 * oh×ow, 0 when it does not qualify (groups 1, 3×3, stride 1, dilation 1, at least WINO_MIN_CHANNELS channels
 * either side) or its blocks do not fit this thread's workspace.
 */
function wino_rows(cin: i32, cout: i32, oh: i32, ow: i32): i32 {
  if (!wino_qualifies(cin, cout)) return 0;
  return wino_block_rows(cin, cout, oh, ow, SAMPLES_PER_TASK, WS_A_VALUES, <i64>(WS_B_BYTES >> 2), <i64>(WS_REST_BYTES >> 2));
}

/** Rows of tiles per block of a Winograd weight gradient from cin channels into tasks of taskOuts (0: does not fit). */
function wino_grad_rows(cin: i32, taskOuts: i32): i32 {
  return wino_grad_block_rows(cin, taskOuts, outH, outW, WS_A_VALUES, <i64>(WS_B_BYTES >> 2), <i64>(WS_REST_BYTES >> 2));
}

/**
 * Whether the stored geometry takes direct.ts's kernels (forward and weight gradient): groups 1, 3×3, stride 1,
 * dilation 1, padding ≤ 2, at most DIRECT_MAX_CHANNELS input channels, one image's padded planes in the workspace.
 */
function direct_fits(): bool {
  return groups == 1 && kh == 3 && kw == 3 && strH == 1 && strW == 1 && dilH == 1 && dilW == 1 && inC <= DIRECT_MAX_CHANNELS &&
    padH >= 0 && padH <= 2 && padW >= 0 && padW <= 2 && direct_plane_floats(inC, outH, outW) <= WS_PLANE_FLOATS &&
    <i64>roundMR(outC) * <i64>inC * 9 <= <i64>WS_A_VALUES * 4;
}

/**
 * Images [task·SAMPLES_PER_TASK, …) of the forward on direct.ts's kernels, each image's planes padded into the
 * workspace; OP_FWD_POOL writes the pooled values, their indices and the ReLU instead of the convolution's output.
 */
function direct_task(task: i32): void {
  const s0 = task * SAMPLES_PER_TASK, s1 = min(n, s0 + SAMPLES_PER_TASK);
  const pool = op == OP_FWD_POOL;
  const inBytes = (<usize>inC * <usize>inH * <usize>inW) << 2;
  const outBytes = (pool ? <usize>outC * <usize>(outH >> 1) * <usize>(outW >> 1) : <usize>outC * <usize>outH * <usize>outW) << 2;
  const planes = ws + WS_PLANES;
  // The weight in panels of 4 channels (a few hundred floats: packed per task) in packed A's space.
  direct_pack(inC, outC, weight, wsA);
  for (let s = s0; s < s1; s++) {
    direct_pad(src + <usize>s * inBytes, inC, inH, inW, outH, outW, padH, padW, planes);
    direct_fwd_image(inC, outC, outH, outW, planes, wsA, bias, dst + <usize>s * outBytes, pool, poolIdx + <usize>s * outBytes, poolRelu != 0, ws + WS_ROWS);
  }
}

/**
 * Weight-gradient task on direct.ts's kernels: rows [task·gradOuts, …) of dW over every image in image order (the
 * last task: the bias gradient).
 */
function direct_grad_task(task: i32): void {
  const blocks = (outC + gradOuts - 1) / gradOuts;
  if (task == blocks) return bias_grad();
  const o0 = task * gradOuts, o1 = min(outC, o0 + gradOuts);
  const inBytes = (<usize>inC * <usize>inH * <usize>inW) << 2, outBytes = (<usize>outC * <usize>outH * <usize>outW) << 2;
  const planes = ws + WS_PLANES;
  for (let s = 0; s < n; s++) {
    direct_pad(src + <usize>s * inBytes, inC, inH, inW, outH, outW, padH, padW, planes);
    direct_grad_image(inC, outH, outW, planes, dyIn + <usize>s * outBytes, o0, o1, dst, s == 0 ? beta : 1);
  }
}

/** Whether the stored geometry, as cin → cout channels, is one for Winograd (see wino_rows). */
function wino_qualifies(cin: i32, cout: i32): bool {
  return groups == 1 && kh == 3 && kw == 3 && strH == 1 && strW == 1 && dilH == 1 && dilW == 1 && cin >= WINO_MIN_CHANNELS && cout >= WINO_MIN_CHANNELS;
}

/**
 * Weight-gradient task by Winograd: rows [task·gradOuts, …) of dW over every image in image order (the last task:
 * the bias gradient), so each element is summed in the same order whichever thread owns it.
 */
function wino_grad_task(task: i32): void {
  const blocks = (outC + gradOuts - 1) / gradOuts;
  if (task == blocks) return bias_grad();
  const o0 = task * gradOuts, o1 = min(outC, o0 + gradOuts);
  const inBytes = (<usize>inC * <usize>inH * <usize>inW) << 2, outBytes = (<usize>outC * <usize>outH * <usize>outW) << 2;
  for (let s = 0; s < n; s++)
    wino_grad_image(inC, inH, inW, outC, outH, outW, padH, padW, src + <usize>s * inBytes, dyIn + <usize>s * outBytes, o0, o1, dst, s == 0 ? beta : 1, winoRows, wsA, wsB, ws);
}

/**
 * Images [task·SAMPLES_PER_TASK, …) by Winograd: U written into packed A's space by the thread's first task of the
 * call (nothing else packs there during a call; any other call has another callId), each image's V
 * panels in packed B's, its products M and padded rows in the rest. The forward convolves x with the weight; the
 * input gradient convolves dY with the flipped, transposed weight at padding 2 − p (dx[iy] reads dY[iy + p − ky]).
 */
function wino_task(task: i32): void {
  const s0 = task * SAMPLES_PER_TASK, s1 = min(n, s0 + SAMPLES_PER_TASK);
  const inBytes = (<usize>inC * <usize>inH * <usize>inW) << 2, outBytes = (<usize>outC * <usize>outH * <usize>outW) << 2;
  const fresh = winoWeightsFor != callId;
  winoWeightsFor = callId;
  if (op != OP_DATA) {
    if (fresh) wino_weights(weight, outC, inC, false, wsA);
    const pool = op == OP_FWD_POOL;
    // Pooled: each image's (oh/2)×(ow/2) planes of values and indices.
    const yBytes = pool ? (<usize>outC * <usize>(outH >> 1) * <usize>(outW >> 1)) << 2 : outBytes;
    wino_images(s1 - s0, inC, inH, inW, outC, outH, outW, padH, padW, src + <usize>s0 * inBytes, inBytes, wsA, bias, dst + <usize>s0 * yBytes, yBytes, winoRows, wsB, ws, pool, poolIdx + <usize>s0 * yBytes, poolRelu != 0);
    return;
  }
  if (fresh) wino_weights(weight, inC, outC, true, wsA);
  wino_images(s1 - s0, outC, outH, outW, inC, inH, inW, 2 - padH, 2 - padW, dyIn + <usize>s0 * outBytes, outBytes, wsA, 0, dst + <usize>s0 * inBytes, inBytes, winoRows, wsB, ws);
}

function fill_row(p: usize, len: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(p + (<usize>i << 2), vv);
  for (; i < len; i++) store<f32>(p + (<usize>i << 2), v);
}

// Weight-gradient tasks: group × block of tapBlock() taps (rows of dWᵀ) × block of outBlock() output channels, then
// one task for the bias gradient. Both sizes depend only on the convolution.
/** Taps up to which one block takes every tap and the blocks split the output channels instead. */
// @ts-ignore: decorator
@inline const FEW_TAPS: i32 = 16;

// @ts-ignore: decorator
@inline function tapBlock(): i32 {
  // About four blocks of taps, at least 8 (each block repacks dY for every image); few taps stay in one block.
  const depth = cg * kh * kw;
  return depth <= FEW_TAPS ? max(depth, 1) : max(8, roundMR((depth + 3) / 4));
}

// @ts-ignore: decorator
@inline function outBlock(): i32 {
  // Few taps: gradOuts filters per block (grad_group), each block building the image's tap rows once.
  return few_taps() ? gradOuts : GRAD_OUTS;
}

/** Whether the weight gradient takes filter_dots: few taps, whose rows for one image fit the workspace. */
// @ts-ignore: decorator
@inline function few_taps(): bool {
  const depth = cg * kh * kw;
  return depth <= FEW_TAPS && <i64>depth * <i64>outH * <i64>outW <= WS_PLANE_FLOATS;
}

/**
 * Output channels per weight-gradient task on the dot-product and Winograd paths: blocks of `block` rows of dW,
 * grouped so that each thread of the team gets one group (alone: all rows in one task), because a task builds each
 * image's tap rows (dots) or input transform (Winograd) once for all its rows. A row's arithmetic does not depend
 * on the rows beside it in a task, so, as with gemm's rectangles, only the speed depends on the thread count.
 */
function grad_group(block: i32, outs: i32): i32 {
  const threads = ASC_FEATURE_THREADS ? team_size() : 1;
  const blocks = (outs + block - 1) / block;
  return (blocks + threads - 1) / threads * block;
}

function filter_tasks(): i32 {
  if (winoRows > 0 || direct_fits()) return (outC + gradOuts - 1) / gradOuts + (gradB != 0 ? 1 : 0);
  const depth = cg * kh * kw;
  const tb = tapBlock(), ob = outBlock();
  return groups * ((depth + tb - 1) / tb) * ((ocg + ob - 1) / ob) + (gradB != 0 ? 1 : 0);
}

/**
 * One block of dW: taps [t0, t1) × output channels [o0, o1) of group g, over every sample in order:
 * dWᵀ[t, o] = beta·dWᵀ[t, o] + Σ_s Σ_p col_s[t, p]·dY_s[o, p], per sample in KC blocks of pixels.
 */
function filter_block(g: i32, t0: i32, t1: i32, o0: i32, o1: i32): void {
  const depth = cg * kh * kw, ohw = outH * outW, nb = o1 - o0;
  const packA = wsA, packB = wsB, row = ws + WS_ROWS, tile = ws + WS_TILE;
  const gw = dst + ((<usize>g * <usize>ocg * <usize>depth) << 2);
  const ldc = <usize>depth << 2;
  for (let s = 0; s < n; s++) {
    const xs = src + ((<usize>s * <usize>inC * <usize>inH * <usize>inW) << 2);
    const dyg = dyIn + ((<usize>s * <usize>outC * <usize>ohw + <usize>g * <usize>ocg * <usize>ohw) << 2);
    for (let pc = 0; pc < ohw; pc += CONV_KC) {
      const kc = min(CONV_KC, ohw - pc);
      const first = s == 0 && pc == 0;
      const b: f32 = first ? beta : 1;
      const readC = b != 0;
      pack_b(1, ocg, ohw, dyg, pc, kc, o0, nb, packB);
      for (let t = t0; t < t1; t += GEMM_MR) {
        const mr = min(GEMM_MR, t1 - t);
        for (let r = 0; r < mr; r++) {
          const tap = (t + r) % (kh * kw);
          tap_row(tap_plane(xs, g, t + r), tap / kw, tap % kw, pc, pc + kc, row + (<usize>(r * kc) << 2));
        }
        pack_a(0, mr, kc, row, 0, mr, 0, kc, packA);
        for (let jr = 0; jr < nb; jr += GEMM_NR) {
          const nr = min(GEMM_NR, nb - jr);
          const pb = packB + (<usize>(jr * kc) << 2);
          const c = gw + <usize>(o0 + jr) * ldc + (<usize>t << 2);
          if (mr == GEMM_MR && nr == GEMM_NR) {
            gemm_ukernel_4x8__wasmsimd(kc, packA, pb, c, ldc, 1, b, readC, true);
            continue;
          }
          gemm_ukernel_4x8__wasmsimd(kc, packA, pb, tile, GEMM_NR << 2, 1, 0, false, false);
          for (let i = 0; i < mr; i++)
            for (let j = 0; j < nr; j++) {
              const v = load<f32>(tile + (<usize>(i * GEMM_NR + j) << 2));
              const at = c + <usize>j * ldc + (<usize>i << 2);
              store<f32>(at, readC ? v + b * load<f32>(at) : v);
            }
        }
      }
    }
  }
}

/**
 * gb[o] = beta·gb[o] + Σ_s Σ_p dY[s, o, p]: each image's float32 sum (four lanes, then the tail) added in image
 * order, as dW's blocks are, so a batch split into calls (beta 1 after the first: the fused conv + pool backward)
 * gives the bits of one call.
 */
function bias_grad(): void {
  const ohw = outH * outW, outs = groups * ocg;
  let o = 0;
  // Four channels at a time: four independent chains of adds (one alone waits on each add's latency), each
  // channel's sums in the same order as alone.
  for (; o + 4 <= outs; o += 4) {
    const p = gradB + (<usize>o << 2);
    let t0: f32 = beta == 0 ? 0 : beta * load<f32>(p), t1: f32 = beta == 0 ? 0 : beta * load<f32>(p, 4);
    let t2: f32 = beta == 0 ? 0 : beta * load<f32>(p, 8), t3: f32 = beta == 0 ? 0 : beta * load<f32>(p, 12);
    for (let s = 0; s < n; s++) {
      const r0 = dyIn + ((<usize>(s * outC + o) * <usize>ohw) << 2), plane = <usize>ohw << 2;
      const r1 = r0 + plane, r2 = r1 + plane, r3 = r2 + plane;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= ohw; i += 4) {
        const q = <usize>i << 2;
        a0 = f32x4.add(a0, v128.load(r0 + q));
        a1 = f32x4.add(a1, v128.load(r1 + q));
        a2 = f32x4.add(a2, v128.load(r2 + q));
        a3 = f32x4.add(a3, v128.load(r3 + q));
      }
      t0 += bias_lanes(a0, r0, i, ohw);
      t1 += bias_lanes(a1, r1, i, ohw);
      t2 += bias_lanes(a2, r2, i, ohw);
      t3 += bias_lanes(a3, r3, i, ohw);
    }
    store<f32>(p, t0); store<f32>(p, t1, 4); store<f32>(p, t2, 8); store<f32>(p, t3, 12);
  }
  for (; o < outs; o++) {
    const p = gradB + (<usize>o << 2);
    let total: f32 = beta == 0 ? 0 : beta * load<f32>(p);
    for (let s = 0; s < n; s++) {
      const row = dyIn + ((<usize>(s * outC + o) * <usize>ohw) << 2);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= ohw; i += 4) acc = f32x4.add(acc, v128.load(row + (<usize>i << 2)));
      total += bias_lanes(acc, row, i, ohw);
    }
    store<f32>(p, total);
  }
}

/** One image's sum of a plane: the lanes of acc (its vectors up to float `from`) in order, plus the tail [from, ohw). */
// @ts-ignore: decorator
@inline function bias_lanes(acc: v128, row: usize, from: i32, ohw: i32): f32 {
  let tail: f32 = 0;
  for (let i = from; i < ohw; i++) tail += load<f32>(row + (<usize>i << 2));
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
}

function filter_task(task: i32): void {
  if (winoRows > 0) return wino_grad_task(task);
  if (direct_fits()) return direct_grad_task(task);
  const depth = cg * kh * kw;
  const tb = tapBlock(), ob = outBlock();
  const tapBlocks = (depth + tb - 1) / tb, outBlocks = (ocg + ob - 1) / ob;
  const perGroup = tapBlocks * outBlocks;
  if (task == groups * perGroup) return bias_grad();
  const g = task / perGroup, r = task % perGroup;
  const t0 = (r / outBlocks) * tb, o0 = (r % outBlocks) * ob;
  if (few_taps()) filter_dots(g, o0, min(ocg, o0 + ob));
  else filter_block(g, t0, min(depth, t0 + tb), o0, min(ocg, o0 + ob));
}

/**
 * The weight gradient of filters [o0, o1) of group g when the taps are few (CNN-S's first layer: 9): a tile would
 * fill a fraction of its rows, so dot products instead, dW[o, t] += Σ_p dY[o, p]·col[t, p], image by image in image
 * order, over the image's tap rows built once in the workspace; two filters × four taps per pass (a missing one
 * repeats the last and its sums are dropped). Each sum: four lanes in p order, their horizontal sum, then the tail.
 */
function filter_dots(g: i32, o0: i32, o1: i32): void {
  const depth = cg * kh * kw, taps = kh * kw, ohw = outH * outW;
  const rowsAt = ws + WS_PLANES, rowBytes = <usize>ohw << 2, body = ohw & ~3;
  const gw = dst + ((<usize>g * <usize>ocg * <usize>depth) << 2);
  for (let s = 0; s < n; s++) {
    const xs = src + ((<usize>s * <usize>inC * <usize>inH * <usize>inW) << 2);
    const dyg = dyIn + ((<usize>s * <usize>outC * <usize>ohw + <usize>g * <usize>ocg * <usize>ohw) << 2);
    for (let t = 0; t < depth; t++) {
      const tap = t % taps;
      tap_row(tap_plane(xs, g, t), tap / kw, tap % kw, 0, ohw, rowsAt + <usize>t * rowBytes);
    }
    const b: f32 = s == 0 ? beta : 1;
    for (let o = o0; o < o1; o += 2) {
      const d0 = dyg + <usize>o * rowBytes, d1 = dyg + <usize>min(o + 1, o1 - 1) * rowBytes;
      for (let t = 0; t < depth; t += 4) {
        const x0 = rowsAt + <usize>t * rowBytes, x1 = rowsAt + <usize>min(t + 1, depth - 1) * rowBytes;
        const x2 = rowsAt + <usize>min(t + 2, depth - 1) * rowBytes, x3 = rowsAt + <usize>min(t + 3, depth - 1) * rowBytes;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
        for (let p = 0; p < body; p += 4) {
          const q = <usize>p << 2;
          const u = v128.load(d0 + q), v = v128.load(d1 + q);
          let x = v128.load(x0 + q);
          a0 = madd(u, x, a0);
          b0 = madd(v, x, b0);
          x = v128.load(x1 + q);
          a1 = madd(u, x, a1);
          b1 = madd(v, x, b1);
          x = v128.load(x2 + q);
          a2 = madd(u, x, a2);
          b2 = madd(v, x, b2);
          x = v128.load(x3 + q);
          a3 = madd(u, x, a3);
          b3 = madd(v, x, b3);
        }
        dot_store(gw, depth, o, t, hsum_f32x4(a0), d0, x0, body, ohw, b);
        if (t + 1 < depth) dot_store(gw, depth, o, t + 1, hsum_f32x4(a1), d0, x1, body, ohw, b);
        if (t + 2 < depth) dot_store(gw, depth, o, t + 2, hsum_f32x4(a2), d0, x2, body, ohw, b);
        if (t + 3 < depth) dot_store(gw, depth, o, t + 3, hsum_f32x4(a3), d0, x3, body, ohw, b);
        if (o + 1 < o1) {
          dot_store(gw, depth, o + 1, t, hsum_f32x4(b0), d1, x0, body, ohw, b);
          if (t + 1 < depth) dot_store(gw, depth, o + 1, t + 1, hsum_f32x4(b1), d1, x1, body, ohw, b);
          if (t + 2 < depth) dot_store(gw, depth, o + 1, t + 2, hsum_f32x4(b2), d1, x2, body, ohw, b);
          if (t + 3 < depth) dot_store(gw, depth, o + 1, t + 3, hsum_f32x4(b3), d1, x3, body, ohw, b);
        }
      }
    }
  }
}

/** dW[o, t] = b·dW[o, t] + (sum + the tail p ∈ [body, ohw) of the dot product); b = 0 never reads dW. */
function dot_store(gw: usize, depth: i32, o: i32, t: i32, sum: f32, d: usize, x: usize, body: i32, ohw: i32, b: f32): void {
  for (let p = body; p < ohw; p++) sum += load<f32>(d + (<usize>p << 2)) * load<f32>(x + (<usize>p << 2));
  const at = gw + ((<usize>o * <usize>depth + <usize>t) << 2);
  store<f32>(at, b == 0 ? sum : b * load<f32>(at) + sum);
}

/** Runs task `task` of the stored call (team.ts calls this on every thread). */
export function conv_task(task: i32): void {
  conv_load();
  if (op == OP_FILTER) filter_task(task);
  else if (op == OP_DATA) data_task(task);
  else product_task(task);
}

/** Stores the call and runs its `tasks` tasks: over the team when it splits the call, else in order here. */
function run(tasks: i32, macs: i64): void {
  if (wsA == 0) {
    // The owner's first call: gemm.ts's packing buffers (allocated at start) become its workspace.
    wsA = gemm_packing_buffers(0);
    wsB = gemm_packing_buffers(1);
    ws = wsB + WS_B_BYTES;
  }
  callId++;
  conv_store();
  if (ASC_FEATURE_THREADS) {
    if (team_splits_conv(tasks, macs)) {
      team_conv(tasks);
      return;
    }
  }
  for (let t = 0; t < tasks; t++) conv_task(t);
}

function set_geometry(n_: i32, c: i32, h: i32, w: i32, oc: i32, kh_: i32, kw_: i32, dilh: i32, dilw: i32, groups_: i32): void {
  n = n_;
  kh = kh_;
  kw = kw_;
  dilH = dilh;
  dilW = dilw;
  groups = groups_;
  cg = c / groups_;
  ocg = oc / groups_;
}

/**
 * dx planes of group g's channels in image dxs = col2im(col), col = W_gᵀ·dY_g [cg·kh·kw, oh·ow] (scratch: flat taps
 * zero their wrapped positions in it first, then add the whole row at a shift in one vector loop; adding those +0
 * changes no sum, as dx starts at +0). Each dx element sums its taps in tap order.
 */
function col2im_group(col: usize, dxs: usize, g: i32): void {
  const h = <i64>inH, w = <i64>inW, hw = h * w, ohw = <i64>outH * <i64>outW;
  zero_f32(dxs + ((<usize>(g * cg) * <usize>hw) << 2), <i64>cg * hw);
  const taps = kh * kw, kg = cg * taps;
  for (let t = 0; t < kg; t++) {
    const tap = t % taps, ky = tap / kw, kx = tap % kw;
    const plane = dxs + ((<usize>(g * cg + t / taps) * <usize>hw) << 2);
    const row = col + ((<usize>t * <usize>ohw) << 2);
    const dy = <i64>ky * <i64>dilH - <i64>padH, dx = <i64>kx * <i64>dilW - <i64>padW;
    if (strH == 1 && strW == 1 && outW == inW && dx > -w && dx < w) {
      const oy0 = clamp64(-dy, 0, outH), oy1 = clamp64(h - dy, oy0, outH);
      const lo = oy0 * w + (dx < 0 ? -dx : 0);
      let hi = oy1 * w - (dx > 0 ? dx : 0);
      if (hi <= lo) continue;
      if (dx != 0) {
        const from = dx > 0 ? w - dx : 0, to = dx > 0 ? w : -dx;
        for (let oy = oy0; oy < oy1; oy++)
          for (let ox = from; ox < to; ox++) store<f32>(row + (<usize>(oy * w + ox) << 2), 0);
      }
      // j + shift lies in [0, h·w) for j in [lo, hi) (see tap_row).
      const d = plane + (<usize>(lo + dy * w + dx) << 2), r = row + (<usize>lo << 2), len = hi - lo;
      let j: i64 = 0;
      for (; j + 4 <= len; j += 4) {
        const o = <usize>j << 2;
        v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(r + o)));
      }
      for (; j < len; j++) {
        const o = <usize>j << 2;
        store<f32>(d + o, load<f32>(d + o) + load<f32>(r + o));
      }
      continue;
    }
    const cols = validCols(dx, strW, w, outW);
    const lo = cols & 0xffffffff, hi = cols >>> 32;
    for (let oy: i64 = 0; oy < <i64>outH; oy++) {
      const iy = oy * <i64>strH + dy;
      if (iy < 0 || iy >= h) continue;
      const d = plane + (<usize>(iy * w) << 2), r = row + (<usize>(oy * <i64>outW) << 2);
      for (let ox = lo; ox < hi; ox++) {
        const at = d + (<usize>(ox * <i64>strW + dx) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(r + (<usize>ox << 2)));
      }
    }
  }
}

/** Zeroes the dx planes of image dxs that no group covers (c not a multiple of groups). */
function zero_uncovered(dxs: usize): void {
  const hw = <i64>inH * <i64>inW;
  if (groups * cg < inC) zero_f32(dxs + ((<usize>(groups * cg) * <usize>hw) << 2), <i64>(inC - groups * cg) * hw);
}

/**
 * Images [task·SAMPLES_PER_TASK, …) of the input gradient: per group col = W_gᵀ·dY_g into the workspace (W_gᵀ packed
 * once per task when it fits), then col2im_group.
 */
function data_task(task: i32): void {
  if (winoRows > 0) return wino_task(task);
  const s0 = task * SAMPLES_PER_TASK, s1 = min(n, s0 + SAMPLES_PER_TASK);
  const kg = cg * kh * kw, ohw = outH * outW, hw = inH * inW;
  const ldc = <usize>ohw << 2;
  const packB = wsB, col = ws + WS_PLANES;
  const whole = pack_whole_weight(1, kg, ocg);
  for (let s = s0; s < s1; s++) {
    const dys = dyIn + ((<usize>s * <usize>outC * <usize>ohw) << 2), dxs = dst + ((<usize>s * <usize>inC * <usize>hw) << 2);
    for (let g = 0; g < groups; g++) {
      const dyg = dys + ((<usize>g * <usize>ocg * <usize>ohw) << 2);
      for (let jc = 0; jc < ohw; jc += CONV_NC) {
        const nc = min(CONV_NC, ohw - jc);
        for (let pc = 0; pc < ocg; pc += CONV_KC) {
          const kc = min(CONV_KC, ocg - pc);
          pack_b(0, ohw, ocg, dyg, pc, kc, jc, nc, packB);
          for (let ic = 0; ic < kg; ic += CONV_MC) {
            const mc = min(CONV_MC, kg - ic);
            const pa = weight_block(whole, 1, kg, ocg, g, ic, mc, pc, kc);
            gemm_block(mc, nc, 0, nc, kc, pa, packB, col + <usize>ic * ldc + (<usize>jc << 2), ldc, 1, pc == 0 ? 0 : 1, false, 0, 0, 0, 0, 0, 0, 0);
          }
        }
      }
      col2im_group(col, dxs, g);
    }
    zero_uncovered(dxs);
  }
}

export function conv2d_fwd(n_: i32, c: i32, h: i32, w: i32, oc: i32, kh_: i32, kw_: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups_: i32, oh: i32, ow: i32, x: usize, weight_: usize, bias_: usize, col: usize, y: usize): void {
  if (n_ == 0 || <i64>oh * <i64>ow == 0 || oc / groups_ == 0) return;
  set_geometry(n_, c, h, w, oc, kh_, kw_, dilh, dilw, groups_);
  op = OP_FWD;
  inC = c; inH = h; inW = w; outC = oc; outH = oh; outW = ow;
  strH = sh; strW = sw; padH = ph; padW = pw;
  rows = ocg; inCg = cg;
  src = x; weight = weight_; bias = bias_; dst = y; dyIn = 0; gradB = 0; beta = 0;
  winoRows = wino_rows(c, oc, oh, ow);
  run((n_ + SAMPLES_PER_TASK - 1) / SAMPLES_PER_TASK, <i64>n_ * <i64>oc * <i64>oh * <i64>ow * <i64>(cg * kh_ * kw_));
}

/**
 * conv2d_fwd of a 3×3 stride-1 layer, then a 2×2 stride-2 unpadded max pool of its oh×ow planes into y (values) and
 * idx (window indices), then a ReLU with `relu`, in one pass when Winograd (each output tile is one window, pooled
 * in the output transform) or the direct kernels (each tile pair of rows) take the convolution, so its output is
 * never stored; returns false, doing nothing, otherwise. The pooled bits are those of the unfused kernels.
 */
export function conv2d_pool_fwd(n_: i32, c: i32, h: i32, w: i32, oc: i32, ph: i32, pw: i32, oh: i32, ow: i32, relu: i32, x: usize, weight_: usize, bias_: usize, y: usize, idx: usize): bool {
  set_geometry(n_, c, h, w, oc, 3, 3, 1, 1, 1);
  inC = c; inH = h; inW = w; outC = oc; outH = oh; outW = ow;
  strH = 1; strW = 1; padH = ph; padW = pw;
  rows = ocg; inCg = cg;
  winoRows = wino_rows(c, oc, oh, ow);
  if (winoRows == 0 && !direct_fits()) return false;
  if (n_ == 0 || oh < 2 || ow < 2 || oc == 0) return true;
  op = OP_FWD_POOL;
  src = x; weight = weight_; bias = bias_; dst = y; dyIn = 0; gradB = 0; beta = 0;
  poolIdx = idx; poolRelu = relu;
  run((n_ + SAMPLES_PER_TASK - 1) / SAMPLES_PER_TASK, <i64>n_ * <i64>oc * <i64>oh * <i64>ow * <i64>(c * 9));
  return true;
}

export function conv2d_bwd_data(n_: i32, c: i32, h: i32, w: i32, oc: i32, kh_: i32, kw_: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups_: i32, oh: i32, ow: i32, dy: usize, weight_: usize, col: usize, dx: usize): void {
  if (n_ == 0 || <i64>c * <i64>h * <i64>w == 0) return;
  const chw = <usize>c * <usize>h * <usize>w;
  const ohw = oh * ow;
  if (ohw == 0 || oc / groups_ == 0 || c / groups_ == 0) {
    memory.fill(dx, 0, (<usize>n_ * chw) << 2);
    return;
  }
  set_geometry(n_, c, h, w, oc, kh_, kw_, dilh, dilw, groups_);
  op = OP_DATA;
  inC = c; inH = h; inW = w; outC = oc; outH = oh; outW = ow;
  strH = sh; strW = sw; padH = ph; padW = pw;
  rows = ocg; inCg = cg;
  src = 0; weight = weight_; bias = 0; dst = dx; dyIn = dy; gradB = 0; beta = 0;
  const kg = cg * kh_ * kw_;
  // The input gradient is the convolution of dY (oc channels) into c channels of h×w at padding 2 − p; padding
  // above 2 (a crop) stays on the products, whose error bound the tests hold it to.
  winoRows = ph <= 2 && pw <= 2 ? wino_rows(oc, c, h, w) : 0;
  if (winoRows > 0 || <i64>kg * <i64>ohw <= WS_PLANE_FLOATS) {
    run((n_ + SAMPLES_PER_TASK - 1) / SAMPLES_PER_TASK, <i64>n_ * <i64>oc * <i64>ohw * <i64>kg);
    return;
  }
  // One image's col does not fit the workspace: the caller's col, on this thread (gemm may still split each product).
  for (let s = 0; s < n_; s++) {
    const dys = dy + ((<usize>s * <usize>oc * <usize>ohw) << 2), dxs = dx + ((<usize>s * chw) << 2);
    for (let g = 0; g < groups_; g++) {
      gemm(1, 0, kg, ohw, ocg, 1, weight_ + ((<usize>g * <usize>ocg * <usize>kg) << 2), dys + ((<usize>g * <usize>ocg * <usize>ohw) << 2), 0, col);
      col2im_group(col, dxs, g);
    }
    zero_uncovered(dxs);
  }
}

export function conv2d_bwd_filter(n_: i32, c: i32, h: i32, w: i32, oc: i32, kh_: i32, kw_: i32, sh: i32, sw: i32, ph: i32, pw: i32, dilh: i32, dilw: i32, groups_: i32, oh: i32, ow: i32, beta_: f32, x: usize, dy: usize, col: usize, gw: usize, gb: usize): void {
  const cg_ = c / groups_, ocg_ = oc / groups_;
  if (ocg_ == 0) return;
  const outs = groups_ * ocg_;
  const ohw = n_ == 0 ? 0 : oh * ow;
  // gw holds oc·(c/groups)·kh·kw floats, so kg fits whenever it is read.
  const kg = cg_ * kh_ * kw_;
  if (ohw == 0) {
    // No samples or no outputs: the sums are empty, gw = beta·gw (beta = 0 never reads).
    const total = <usize>outs * <usize>kg;
    for (let i: usize = 0; i < total; i++) store<f32>(gw + (i << 2), beta_ == 0 ? 0 : beta_ * load<f32>(gw + (i << 2)));
    if (gb != 0) for (let o = 0; o < outs; o++) store<f32>(gb + (<usize>o << 2), beta_ == 0 ? 0 : beta_ * load<f32>(gb + (<usize>o << 2)));
    return;
  }
  set_geometry(n_, c, h, w, oc, kh_, kw_, dilh, dilw, groups_);
  op = OP_FILTER;
  inC = c; inH = h; inW = w; outC = oc; outH = oh; outW = ow;
  strH = sh; strW = sw; padH = ph; padW = pw;
  rows = ocg; inCg = cg;
  src = x; weight = 0; bias = 0; dst = gw; dyIn = dy; gradB = gb; beta = beta_;
  winoRows = wino_qualifies(c, oc) && c >= WINO_GRAD_MIN_CHANNELS && oc >= WINO_GRAD_MIN_CHANNELS ? wino_grad_rows(c, min(oc, WINO_GRAD_OUTS)) : 0;
  if (winoRows > 0) {
    // Grouped rows must keep one block's tile rows (which split each row's sums), so each row's bits stay the same.
    gradOuts = grad_group(WINO_GRAD_OUTS, oc);
    while (gradOuts > WINO_GRAD_OUTS && wino_grad_rows(c, min(oc, gradOuts)) != winoRows) gradOuts -= WINO_GRAD_OUTS;
  } else if (direct_fits()) gradOuts = grad_group(GEMM_NR, oc);
  else gradOuts = few_taps() ? grad_group(GEMM_NR, ocg) : 0;
  run(filter_tasks(), <i64>n_ * <i64>oc * <i64>ohw * <i64>kg);
}
