/**
 * gemm_f32: C[m,n] = alpha·op(A)·op(B) + beta·C, row-major, all four transpose combinations, BLIS-style: JC
 * (NC columns of B) → PC (KC deep: pack a KC×NC panel of op(B) into NR-wide micro-panels) → IC (MC rows: pack an
 * MC×KC block of op(A) into MR-tall micro-panels) → JR → IR → gemm_ukernel_4x8__wasmsimd. Packing absorbs the
 * transposes (4×4 register transposes where the source is strided), pre-broadcasts A and zero-pads the edges, so
 * one micro-kernel serves every case; edge tiles go through a 4×8 scratch tile (4×4 kernel when ≤ 4 columns
 * remain). Only the first KC block applies beta, later blocks accumulate; beta = 0 never reads C. Accumulation is
 * float32 in k order (error ≤ k·2⁻²⁴·Σ|a||b| per element). ~58–60 GFLOP/s on Zen 4 in V8 (bench/peers-tfjs.mjs):
 * the 4×8 tile with separate mul/add is at the core's 16 flop/cycle; 5×8 and 6×8 tiles and manual unrolling
 * measured slower (V8 spills or unrolls itself). The fused kernels (gemm_bias_act_f32, gemm_act_bwd_f32) pass an
 * epilogue (bias, ReLU, or a ReLU-derivative mask of C's shape) that runs on each packed block of C (up to MC rows)
 * right after its last KC block stored it, while the block is in cache, instead of a pass of its own over C. In the threaded modules a
 * product of at least TEAM_MIN_MNK multiply-adds runs as gemm_team (team.ts): one rectangle of C per thread, each
 * through this file's loop (gemm_rect) with the same blocking, so each tile's arithmetic, and the result, are those
 * of one thread.
 */
import { gemm_epilogue } from './bias';
import { gemm_nt_rows } from './dot';
import { madd } from './simd';
import { gemm_team, team_nt_rows, team_splits_gemm } from './team';

// @ts-ignore: decorator
@inline export const GEMM_MR: i32 = 4;
// @ts-ignore: decorator
@inline export const GEMM_NR: i32 = 8;
// @ts-ignore: decorator
@inline export const GEMM_KC: i32 = 256;
// @ts-ignore: decorator
@inline export const GEMM_MC: i32 = 128;
// @ts-ignore: decorator
@inline export const GEMM_NC: i32 = 1024;
/** Columns per NC block in a team's per-thread rectangles (a worker's packed-B buffer holds KC × this many). */
// @ts-ignore: decorator
@inline export const GEMM_TEAM_NC: i32 = 512;

/**
 * Rows of A up to which a forward-layout product (B stored [n, k]) takes gemm_nt_rows (dot.ts), which reads B once
 * per four rows: up to GEMM_ROWS_ANY_B_M rows always, up to GEMM_ROWS_MAX_M while B (GEMM_ROWS_MAX_B floats at
 * most) stays in cache between its passes. The MLP 784-256-128-10's forward in Node, one thread, dot products against the packed
 * GEMM (µs): batch 8 86 against 108, 16 170 against 192, 32 340 against 361; at 48 the same. On two threads
 * (column chunks, team.ts): 53 against 67 at batch 8, 202 against 222 at 32.
 */
// @ts-ignore: decorator
@inline const GEMM_ROWS_MAX_M: i32 = 32;
// @ts-ignore: decorator
@inline const GEMM_ROWS_MAX_B: i64 = 1 << 18;
// @ts-ignore: decorator
@inline const GEMM_ROWS_ANY_B_M: i32 = 8;
/** Columns per task when a team splits gemm_nt_rows (fixed, even: a task's outputs get one call's arithmetic). */
// @ts-ignore: decorator
@inline export const NT_ROWS_GRAIN: i32 = 64;

// Packing buffers are allocated when the module starts, not at the first call: a kernel call must never grow
// memory, because callers may hold `.data` views across kernel calls (only allocations detach them). In the
// threaded modules only the owning thread runs the start function; a worker instance gets its own edge tile from
// set_edge_tile (team.ts) and uses the team's own packing buffers.
let packA: usize = alloc_page_aligned(<usize>(GEMM_MC * GEMM_KC) << 4);
let packB: usize = alloc_page_aligned(<usize>(GEMM_KC * GEMM_NC) << 2);
let edgeTile: usize = heap.alloc(<usize>(GEMM_MR * GEMM_NR) << 2);

/**
 * A never-freed block of `bytes` starting on a 4 KiB boundary (heap.alloc aligns to 16 bytes only). The packing
 * buffers are also the convolution workspace (conv.ts), whose padded rows and panels are read with unaligned
 * vectors: measured on CNN-S's conv2 (one thread, batch 128), the Winograd input gradient took 4.3–4.4 ms with the
 * workspace at offsets 0 or 32 mod 64 and 4.7–5.0 ms at 16 or 48, which a few bytes more static data anywhere in
 * the module decided. Page-aligned, the layout no longer moves with the module's data.
 */
export function alloc_page_aligned(bytes: usize): usize {
  return (heap.alloc(bytes + 4095) + 4095) & ~(<usize>4095);
}

/** The owner's packing buffers, 0: packed A (GEMM_MC·GEMM_KC values, 16 bytes each), 1: packed B (GEMM_KC·GEMM_NC floats); conv.ts packs into them too. */
export function gemm_packing_buffers(which: i32): usize {
  return which == 0 ? packA : packB;
}

/**
 * A worker instance's packing buffers for gemm_rect (team.ts: its convolution workspace, idle during a GEMM):
 * packed A of GEMM_MC·GEMM_KC values (16 bytes each), packed B of at least GEMM_KC·GEMM_TEAM_NC floats.
 */
export function set_packing_buffers(a: usize, b: usize): void {
  packA = a;
  packB = b;
}

/** This instance's 4×8 scratch tile for edge tiles (each thread of a team has its own). */
export function set_edge_tile(tile: usize): void {
  edgeTile = tile;
}

/** Stores the 4×4 transpose of rows r0..r3 at dst, dst+stride, dst+2·stride, dst+3·stride. */
// @ts-ignore: decorator
@inline export function store_transposed_4x4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Stores the four lanes of `v` as four splats: the micro-kernel then reads A with plain loads. */
// @ts-ignore: decorator
@inline function store_splats(d: usize, v: v128): void {
  v128.store(d, f32x4.shuffle(v, v, 0, 0, 0, 0));
  v128.store(d, f32x4.shuffle(v, v, 1, 1, 1, 1), 16);
  v128.store(d, f32x4.shuffle(v, v, 2, 2, 2, 2), 32);
  v128.store(d, f32x4.shuffle(v, v, 3, 3, 3, 3), 48);
}

/**
 * Packs rows i0..i0+mc, columns p0..p0+kc of op(A) into MR-tall micro-panels, each value already broadcast to a
 * v128: panel r holds, for each p, MR splats of op(A)[i0+r·MR .. +MR, p] (64 bytes). V8 does not fold the offset
 * of load32_splat into its address and spends an extra instruction per row on it; plain loads fold. Rows past m
 * are zeros.
 */
export function pack_a(ta: i32, m: i32, k: i32, a: usize, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += GEMM_MR) {
    const rows = min(GEMM_MR, mc - ir);
    const i = i0 + ir;
    let d = dst + (<usize>(ir * kc) << 4);
    if (ta == 0) {
      // op(A)[i,p] = A[i·k + p]: rows are contiguous in p, transpose 4×4 blocks.
      const lda = <usize>k << 2;
      if (rows == GEMM_MR) {
        let s = a + ((<usize>i * <usize>k + <usize>p0) << 2);
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const r0 = v128.load(s), r1 = v128.load(s + lda), r2 = v128.load(s + 2 * lda), r3 = v128.load(s + 3 * lda);
          const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
          const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
          store_splats(d, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
          store_splats(d + 64, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
          store_splats(d + 128, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
          store_splats(d + 192, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
          s += 16;
          d += 256;
        }
        for (; p < kc; p++) {
          v128.store(d, v128.load32_splat(s));
          v128.store(d, v128.load32_splat(s + lda), 16);
          v128.store(d, v128.load32_splat(s + 2 * lda), 32);
          v128.store(d, v128.load32_splat(s + 3 * lda), 48);
          s += 4;
          d += 64;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < GEMM_MR; r++) {
            const v: f32 = r < rows ? load<f32>(a + ((<usize>(i + r) * <usize>k + <usize>(p0 + p)) << 2)) : 0;
            v128.store(d + (<usize>r << 4), f32x4.splat(v));
          }
          d += 64;
        }
      }
    } else {
      // op(A)[i,p] = A[p·m + i]: the MR values of one p are contiguous.
      let s = a + ((<usize>p0 * <usize>m + <usize>i) << 2);
      const lda = <usize>m << 2;
      if (rows == GEMM_MR) {
        for (let p = 0; p < kc; p++) {
          store_splats(d, v128.load(s));
          s += lda;
          d += 64;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < GEMM_MR; r++) v128.store(d + (<usize>r << 4), f32x4.splat(r < rows ? load<f32>(s + (<usize>r << 2)) : 0));
          s += lda;
          d += 64;
        }
      }
    }
  }
}

/**
 * Packs rows p0..p0+kc, columns j0..j0+nc of op(B) into NR-wide micro-panels: panel c holds, for each p, the NR
 * values op(B)[p, j0+c·NR .. +NR] contiguously. Columns past n are zeros.
 */
export function pack_b(tb: i32, n: i32, k: i32, b: usize, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += GEMM_NR) {
    const cols = min(GEMM_NR, nc - jr);
    const j = j0 + jr;
    let d = dst + (<usize>(jr * kc) << 2);
    if (tb == 0) {
      // op(B)[p,j] = B[p·n + j]: the NR values of one p are contiguous.
      let s = b + ((<usize>p0 * <usize>n + <usize>j) << 2);
      const ldb = <usize>n << 2;
      if (cols == GEMM_NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldb;
          d += 32;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let c = 0; c < GEMM_NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + (<usize>c << 2)) : 0);
          s += ldb;
          d += 32;
        }
      }
    } else {
      // op(B)[p,j] = B[j·k + p]: columns of op(B) are contiguous in p, transpose 4×4 blocks.
      const ldb = <usize>k << 2;
      if (cols == GEMM_NR) {
        let s = b + ((<usize>j * <usize>k + <usize>p0) << 2);
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          store_transposed_4x4(d, 32, v128.load(s), v128.load(s + ldb), v128.load(s + 2 * ldb), v128.load(s + 3 * ldb));
          const s4 = s + 4 * ldb;
          store_transposed_4x4(d + 16, 32, v128.load(s4), v128.load(s4 + ldb), v128.load(s4 + 2 * ldb), v128.load(s4 + 3 * ldb));
          s += 16;
          d += 128;
        }
        for (; p < kc; p++) {
          for (let c = 0; c < GEMM_NR; c++) store<f32>(d + (<usize>c << 2), load<f32>(s + <usize>c * ldb));
          s += 4;
          d += 32;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let c = 0; c < GEMM_NR; c++) {
            const v: f32 = c < cols ? load<f32>(b + ((<usize>(j + c) * <usize>k + <usize>(p0 + p)) << 2)) : 0;
            store<f32>(d + (<usize>c << 2), v);
          }
          d += 32;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function update_row(c: usize, acc0: v128, acc1: v128, alpha: v128, beta: v128, readC: bool): void {
  let r0 = f32x4.mul(acc0, alpha), r1 = f32x4.mul(acc1, alpha);
  if (readC) {
    r0 = madd(v128.load(c), beta, r0);
    r1 = madd(v128.load(c, 16), beta, r1);
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
}

/** C[j, 0..3] = alpha·(r0[j], r1[j], r2[j], r3[j]) + beta·C[j, 0..3] for j = 0..3 (rows ldc bytes apart): the block transposed. */
// @ts-ignore: decorator
@inline function update_transposed_4x4(c: usize, ldc: usize, r0: v128, r1: v128, r2: v128, r3: v128, alpha: v128, beta: v128, readC: bool): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  let v0 = f32x4.mul(f32x4.shuffle(t0, t2, 0, 1, 4, 5), alpha), v1 = f32x4.mul(f32x4.shuffle(t0, t2, 2, 3, 6, 7), alpha);
  let v2 = f32x4.mul(f32x4.shuffle(t1, t3, 0, 1, 4, 5), alpha), v3 = f32x4.mul(f32x4.shuffle(t1, t3, 2, 3, 6, 7), alpha);
  if (readC) {
    v0 = madd(v128.load(c), beta, v0);
    v1 = madd(v128.load(c + ldc), beta, v1);
    v2 = madd(v128.load(c + 2 * ldc), beta, v2);
    v3 = madd(v128.load(c + 3 * ldc), beta, v3);
  }
  v128.store(c, v0);
  v128.store(c + ldc, v1);
  v128.store(c + 2 * ldc, v2);
  v128.store(c + 3 * ldc, v3);
}

/**
 * The 4×8 register tile: 8 accumulators (4 rows × 2 vectors of 4), four pre-broadcast A vectors and two vectors of
 * B per k step, all plain loads whose offsets V8 folds into the addressing (12 of the 16 xmm registers on x64). C = alpha·acc + beta·C, C not read when readC is false.
 * With `trans` the tile is stored transposed (C is 8×4 at c: element (i, j) of the product goes to C[j, i]), so a
 * product computed as Bᵀ·Aᵀ lands in place (the convolution's weight gradient, conv.ts).
 */
export function gemm_ukernel_4x8__wasmsimd(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, alpha: f32, beta: f32, readC: bool, trans: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pa + (<usize>kc << 6);
  while (pa < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  if (trans) {
    update_transposed_4x4(c, ldc, c00, c10, c20, c30, va, vb, readC);
    update_transposed_4x4(c + 4 * ldc, ldc, c01, c11, c21, c31, va, vb, readC);
    return;
  }
  update_row(c, c00, c01, va, vb, readC);
  update_row(c + ldc, c10, c11, va, vb, readC);
  update_row(c + 2 * ldc, c20, c21, va, vb, readC);
  update_row(c + 3 * ldc, c30, c31, va, vb, readC);
}

/** The right edge when at most 4 columns remain: half the work of the 4×8 tile on the same packed panels. */
function gemm_ukernel_4x4__wasmsimd(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, alpha: f32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = pa + (<usize>kc << 6);
  while (pa < end) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load(pa), b0, c0);
    c1 = madd(v128.load(pa, 16), b0, c1);
    c2 = madd(v128.load(pa, 32), b0, c2);
    c3 = madd(v128.load(pa, 48), b0, c3);
    pa += 64;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  v128.store(c, f32x4.mul(c0, va));
  v128.store(c + ldc, f32x4.mul(c1, va));
  v128.store(c + 2 * ldc, f32x4.mul(c2, va));
  v128.store(c + 3 * ldc, f32x4.mul(c3, va));
}

/** C = beta·C over m×n (the k = 0 case); beta = 0 writes zeros without reading. */
function scale_c(m: i32, n: i32, beta: f32, c: usize): void {
  const total = <usize>m * <usize>n;
  if (beta == 0) {
    memory.fill(c, 0, total << 2);
    return;
  }
  for (let i: usize = 0; i < total; i++) store<f32>(c + (i << 2), beta * load<f32>(c + (i << 2)));
}

/**
 * The register tiles of one packed block: rows [0, mc) of the MR-tall micro-panels at pa0 against columns
 * [jr0, jr1) of the NR-wide micro-panels at pb0 (nc columns in all), into C at c = &C[ic, jc] (row stride ldc
 * bytes, n columns; jr1 ≤ nc). In the last KC block (lastBlock) the block's columns get the epilogue (bias,
 * activation or mask) right after their tiles are stored. Each tile's arithmetic depends only on kc and the packed values, so any split of a block's
 * columns or rows between threads gives the same bits.
 */
export function gemm_block(
  mc: i32, nc: i32, jr0: i32, jr1: i32, kc: i32, pa0: usize, pb0: usize, c: usize, ldc: usize, alpha: f32, betaBlock: f32,
  lastBlock: bool, ic: i32, jc: i32, n: i32, act: i32, slope: f32, bias: usize, mask: usize,
): void {
  const readC = betaBlock != 0;
  for (let jr = jr0; jr < jr1; jr += GEMM_NR) {
    const nr = min(GEMM_NR, nc - jr);
    const pb = pb0 + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += GEMM_MR) {
      const mr = min(GEMM_MR, mc - ir);
      const pa = pa0 + (<usize>(ir * kc) << 4);
      const cp = c + <usize>ir * ldc + (<usize>jr << 2);
      if (mr == GEMM_MR && nr == GEMM_NR) {
        gemm_ukernel_4x8__wasmsimd(kc, pa, pb, cp, ldc, alpha, betaBlock, readC, false);
      } else {
        // Edge tile: compute the full (zero-padded) tile aside, then update only the valid part of C.
        if (nr <= 4) gemm_ukernel_4x4__wasmsimd(kc, pa, pb, edgeTile, GEMM_NR << 2, alpha);
        else gemm_ukernel_4x8__wasmsimd(kc, pa, pb, edgeTile, GEMM_NR << 2, alpha, 0, false, false);
        for (let r = 0; r < mr; r++) {
          const crow = cp + <usize>r * ldc;
          const trow = edgeTile + (<usize>(r * GEMM_NR) << 2);
          for (let j = 0; j < nr; j++) {
            const v = load<f32>(trow + (<usize>j << 2));
            const o = crow + (<usize>j << 2);
            store<f32>(o, readC ? v + betaBlock * load<f32>(o) : v);
          }
        }
      }
    }
  }
  if (lastBlock) {
    // The block's columns [jr0, jr1) just finished and are still in cache: their epilogue now, whole rows at a time
    // (per micro-tile, its calls cost more than a k = 10 GEMM), by the thread that computed them.
    const j0 = <usize>(jc + jr0);
    gemm_epilogue(mc, jr1 - jr0, c + (<usize>jr0 << 2), ldc, bias != 0 ? bias + (j0 << 2) : 0, mask != 0 ? mask + ((<usize>ic * <usize>n + j0) << 2) : 0, ldc, act, slope);
  }
}

export function gemm(
  ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize,
  act: i32 = 0, slope: f32 = 0, bias: usize = 0, mask: usize = 0,
): void {
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>n << 2;
  const epilogue = act != 0 || bias != 0 || mask != 0;
  if (k <= 0) {
    scale_c(m, n, beta, c);
    if (epilogue) gemm_epilogue(m, n, c, ldc, bias, mask, ldc, act, slope);
    return;
  }
  if (ta == 0 && tb == 1 && (m <= GEMM_ROWS_ANY_B_M || (m <= GEMM_ROWS_MAX_M && <i64>n * <i64>k <= GEMM_ROWS_MAX_B)) && k >= 16 && alpha == 1) {
    // A few rows against a weight stored [n, k]: dot products read it once per four rows instead of packing it whole.
    if (ASC_FEATURE_THREADS) {
      if (team_splits_gemm(m, n, k) && n >= 2 * NT_ROWS_GRAIN) {
        team_nt_rows(m, n, k, a, b, beta, c, act, slope, bias, mask);
        return;
      }
    }
    gemm_nt_rows(m, n, k, a, b, beta, c, ldc);
    if (epilogue) gemm_epilogue(m, n, c, ldc, bias, mask, ldc, act, slope);
    return;
  }
  if (ASC_FEATURE_THREADS) {
    if (team_splits_gemm(m, n, k)) {
      gemm_team(ta, tb, m, n, k, alpha, a, b, beta, c, act, slope, bias, mask);
      return;
    }
  }
  gemm_rect(ta, tb, m, n, k, alpha, a, b, beta, c, 0, m, 0, n, GEMM_NC, act, slope, bias, mask);
}

/**
 * gemm()'s blocked loop over the rectangle rows [i0, i1) × columns [j0, j1) of C, in NC blocks of `ncMax` columns
 * (at most GEMM_NC), packing into this instance's buffers. With i0 a multiple of MR and j0 of NR every tile, edge
 * tiles included, sits where it sits in one call over all of C and gets the same arithmetic (the KC blocking is
 * the same), so any partition of C into such rectangles gives one call's bits: gemm_team's per-thread tasks.
 */
export function gemm_rect(
  ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize,
  i0: i32, i1: i32, j0: i32, j1: i32, ncMax: i32, act: i32, slope: f32, bias: usize, mask: usize,
): void {
  const ldc = <usize>n << 2;
  const epilogue = act != 0 || bias != 0 || mask != 0;
  for (let jc = j0; jc < j1; jc += ncMax) {
    const nc = min(ncMax, j1 - jc);
    for (let pc = 0; pc < k; pc += GEMM_KC) {
      const kc = min(GEMM_KC, k - pc);
      // Later KC blocks add onto what the first one stored.
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const lastBlock = epilogue && pc + kc == k;
      pack_b(tb, n, k, b, pc, kc, jc, nc, packB);
      for (let ic = i0; ic < i1; ic += GEMM_MC) {
        const mc = min(GEMM_MC, i1 - ic);
        pack_a(ta, m, k, a, ic, mc, pc, kc, packA);
        gemm_block(mc, nc, 0, nc, kc, packA, packB, c + ((<usize>ic * <usize>n + <usize>jc) << 2), ldc, alpha, betaBlock, lastBlock, ic, jc, n, act, slope, bias, mask);
      }
    }
  }
}
