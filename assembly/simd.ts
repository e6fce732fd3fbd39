/**
 * SIMD helpers shared by every kernel family: the multiply-add that becomes a fused `relaxed_madd` in the
 * relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so the untaken branch is not emitted),
 * horizontal reductions, and the vector exp used by sigmoid, tanh and softmax.
 * exp_neg_f32x4: x ≤ 0 only; Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, degree-6 Taylor polynomial
 * (truncation ≤ 1.2e-7 relative) and 2ⁿ built in the exponent bits; relative error ≤ 4e-7 over [−87.3, 0],
 * exactly 0 below −87.34 (where the result would be subnormal), NaN in → NaN out.
 */

// @ts-ignore: decorator
@inline export const F32_EPR: i32 = 4; // float32 lanes per v128

/** `a·b + c`; fused (one rounding) where the engine implements relaxed_madd with FMA. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function hsum_f32x4(v: v128): f32 {
  const s = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// @ts-ignore: decorator
@inline export function hmax_f32x4(v: v128): f32 {
  const s = f32x4.pmax(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

/**
 * Constants of the vector maths live in a static table and are broadcast from memory at each use
 * (v128.load32_splat: one load). Written as v128.const, binaryen keeps them inside loops and V8 rebuilds each one
 * through a general-purpose register every iteration, which halved tanh's throughput.
 */
const K_TABLE = memory.data<f32>([
  0.0, // K_ZERO
  1.0, // K_ONE
  -1.0, // K_NEG_ONE
  -0.0, // K_SIGN
  -87.33654, // K_EXP_LO
  1.4426950408889634, // K_LOG2E
  12582912.0, // K_ROUND
  -0.693359375, // K_LN2_HI
  2.12194440e-4, // K_LN2_LO
  1.0 / 720.0, // K_EXP_C6
  1.0 / 120.0, // K_EXP_C5
  1.0 / 24.0, // K_EXP_C4
  1.0 / 6.0, // K_EXP_C3
  0.5, // K_HALF
  9.0, // K_TANH_MAX
  -9.0, // K_TANH_MIN
  1.82588597019695e-11, // K_TANH_P5
  -1.2781923963700592e-8, // K_TANH_P4
  9.267938366974704e-6, // K_TANH_P3
  0.002920820377767086, // K_TANH_P2
  0.12919284403324127, // K_TANH_P1
  0.9999999403953552, // K_TANH_P0
  0.00022810818336438388, // K_TANH_Q3
  0.02376341074705124, // K_TANH_Q2
  0.4625256657600403, // K_TANH_Q1
  -2.0, // K_NEG_TWO
]);
// @ts-ignore: decorator
@inline export const K_ZERO: i32 = 0;
// @ts-ignore: decorator
@inline export const K_ONE: i32 = 1;
// @ts-ignore: decorator
@inline export const K_NEG_ONE: i32 = 2;
// @ts-ignore: decorator
@inline export const K_SIGN: i32 = 3;
// @ts-ignore: decorator
@inline export const K_EXP_LO: i32 = 4;
// @ts-ignore: decorator
@inline export const K_LOG2E: i32 = 5;
// @ts-ignore: decorator
@inline export const K_ROUND: i32 = 6;
// @ts-ignore: decorator
@inline export const K_LN2_HI: i32 = 7;
// @ts-ignore: decorator
@inline export const K_LN2_LO: i32 = 8;
// @ts-ignore: decorator
@inline export const K_EXP_C6: i32 = 9;
// @ts-ignore: decorator
@inline export const K_EXP_C5: i32 = 10;
// @ts-ignore: decorator
@inline export const K_EXP_C4: i32 = 11;
// @ts-ignore: decorator
@inline export const K_EXP_C3: i32 = 12;
// @ts-ignore: decorator
@inline export const K_HALF: i32 = 13;
// @ts-ignore: decorator
@inline export const K_TANH_MAX: i32 = 14;
// @ts-ignore: decorator
@inline export const K_TANH_MIN: i32 = 15;
// @ts-ignore: decorator
@inline export const K_TANH_P5: i32 = 16;
// @ts-ignore: decorator
@inline export const K_TANH_P4: i32 = 17;
// @ts-ignore: decorator
@inline export const K_TANH_P3: i32 = 18;
// @ts-ignore: decorator
@inline export const K_TANH_P2: i32 = 19;
// @ts-ignore: decorator
@inline export const K_TANH_P1: i32 = 20;
// @ts-ignore: decorator
@inline export const K_TANH_P0: i32 = 21;
// @ts-ignore: decorator
@inline export const K_TANH_Q3: i32 = 22;
// @ts-ignore: decorator
@inline export const K_TANH_Q2: i32 = 23;
// @ts-ignore: decorator
@inline export const K_TANH_Q1: i32 = 24;
// @ts-ignore: decorator
@inline export const K_NEG_TWO: i32 = 25;

// @ts-ignore: decorator
@inline export function kc(index: i32): v128 {
  return v128.load32_splat(K_TABLE + (<usize>index << 2));
}

/** e^x for x ≤ 0 (see the header for the error bound). */
// @ts-ignore: decorator
@inline export function exp_neg_f32x4(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x keeps NaN (and is one instruction, where max is several).
  const xc = f32x4.pmax(x, kc(K_EXP_LO));
  // Adding 1.5·2²³ rounds to an integer n held in the low mantissa bits; subtracting it back gives n as a float.
  const j = madd(xc, kc(K_LOG2E), kc(K_ROUND));
  const n = f32x4.sub(j, kc(K_ROUND));
  // r = x − n·ln2 in two steps: ln2_hi has few mantissa bits, so n·ln2_hi is exact for |n| ≤ 128.
  let r = madd(n, kc(K_LN2_HI), xc);
  r = madd(n, kc(K_LN2_LO), r);
  return exp_tail_f32x4(r, j, x);
}

/**
 * e^(hi + lo) ≤ 1 for an exact `hi` of any size and a small `lo`, without rounding hi + lo: hi − n·ln2_hi is
 * exact (n·ln2_hi has few bits and lies within a factor 2 of hi) and lo joins the reduced argument.
 */
// @ts-ignore: decorator
@inline export function exp_neg2_f32x4(hi: v128, lo: v128): v128 {
  const x = f32x4.add(hi, lo);
  const j = madd(f32x4.pmax(x, kc(K_EXP_LO)), kc(K_LOG2E), kc(K_ROUND));
  const n = f32x4.sub(j, kc(K_ROUND));
  let r = f32x4.add(madd(n, kc(K_LN2_HI), hi), lo);
  r = madd(n, kc(K_LN2_LO), r);
  return exp_tail_f32x4(r, j, x);
}

/** e^r·2ⁿ from the reduced argument r and j = n + 1.5·2²³; 0 where x is below the float32 range, NaN kept. */
// @ts-ignore: decorator
@inline function exp_tail_f32x4(r: v128, j: v128, x: v128): v128 {
  let p = madd(kc(K_EXP_C6), r, kc(K_EXP_C5));
  p = madd(p, r, kc(K_EXP_C4));
  p = madd(p, r, kc(K_EXP_C3));
  p = madd(p, r, kc(K_HALF));
  p = madd(p, r, kc(K_ONE));
  p = madd(p, r, kc(K_ONE));
  // 2ⁿ: the low bits of j are n (n ∈ [−126, 0]); shifting n + 127 into the exponent field drops the rest of j.
  const scale = i32x4.shl(i32x4.add(j, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, kc(K_EXP_LO)));
}

/** Loads `count` (< 4) floats into the low lanes of a vector; the other lanes are 0. */
// @ts-ignore: decorator
@inline export function load_partial_f32x4(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low `count` (< 4) lanes of a vector. */
// @ts-ignore: decorator
@inline export function store_partial_f32x4(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * Copies n floats (n ≥ 0): a v128 loop, then single floats. For the short runs here (image rows and planes of 14–784 floats) this
 * beats memory.copy / memory.fill, which V8 runs as a call into the runtime (tens of ns each, measured).
 */
export function copy_f32(dst: usize, from: usize, n: i64): void {
  let i: i64 = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(from + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(from + (<usize>i << 2)));
}

/** Zeroes n floats (n ≥ 0), as copy_f32. */
export function zero_f32(dst: usize, n: i64): void {
  const z = f32x4.splat(0);
  let i: i64 = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}
