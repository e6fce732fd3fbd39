/* Vector maths shared by the activation files of one ISA (simd.h picks the namespace): exp for x ≤ 0, the
 * logistic function, and the padded-tail map that gives every element the same arithmetic whatever the chunking
 * (bit-identical results for any thread count). exp: Cody–Waite reduction by ln 2, Cephes degree-6 polynomial,
 * 2ⁿ built in the exponent bits; |rel err| ≤ 4e-7 on [−87.3, 0], exactly 0 below (no subnormals), NaN propagates.
 * sigmoid: (x ≥ 0 ? 1 : e)/(1 + e) with e = exp(−|x|), so exp never overflows; |rel err| ≤ 4e-7. */
#pragma once
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

static inline f32v f32v_min(f32v a, f32v b) { return f32v_select(a < b, a, b); }
static inline f32v f32v_max(f32v a, f32v b) { return f32v_select(a > b, a, b); }

/* e^r·2ⁿ for the reduced argument r (|r| ≤ ln2/2) and integer-valued n; lanes in `tiny` give 0. */
static inline f32v exp_finish(f32v r, f32v n, i32v tiny) {
  f32v p = f32v_splat(1.9875691500e-4f);
  p = p * r + f32v_splat(1.3981999507e-3f);
  p = p * r + f32v_splat(8.3334519073e-3f);
  p = p * r + f32v_splat(4.1665795894e-2f);
  p = p * r + f32v_splat(1.6666665459e-1f);
  p = p * r + f32v_splat(5.0000001201e-1f);
  p = p * (r * r) + r + f32v_splat(1.0f);
  const i32v ni = __builtin_convertvector(n, i32v);
  const f32v scale = f32v_from_bits((ni + 127) << 23);
  return f32v_select(tiny, f32v_splat(0.0f), p * scale);
}

static inline f32v exp_nonpos(f32v x) {
  const i32v tiny = x < f32v_splat(-87.3f);
  x = f32v_select(tiny, f32v_splat(0.0f), x);
  const f32v magic = f32v_splat(12582912.0f);  // 1.5·2²³: adding it rounds to an integer
  const f32v n = (x * f32v_splat(1.44269504088896341f) + magic) - magic;
  f32v r = x - n * f32v_splat(0.693359375f);
  r = r - n * f32v_splat(-2.12194440e-4f);
  return exp_finish(r, n, tiny);
}

/* e^(hi + lo) ≤ 1 for an exact `hi` of any size and a small `lo`, without rounding hi + lo: hi − n·ln2_hi is
 * exact (n·ln2_hi has few bits and lies within a factor 2 of hi), and lo joins the reduced argument. */
static inline f32v exp_nonpos2(f32v hi, f32v lo) {
  const f32v x = hi + lo;
  const i32v tiny = x < f32v_splat(-87.3f);
  hi = f32v_select(tiny, f32v_splat(0.0f), hi);
  lo = f32v_select(tiny, f32v_splat(0.0f), lo);
  const f32v magic = f32v_splat(12582912.0f);
  const f32v n = ((hi + lo) * f32v_splat(1.44269504088896341f) + magic) - magic;
  f32v r = hi - n * f32v_splat(0.693359375f);
  r = (r + lo) - n * f32v_splat(-2.12194440e-4f);
  return exp_finish(r, n, tiny);
}

static inline f32v sigmoid_v(f32v x) {
  const f32v e = exp_nonpos(-f32v_abs(x));
  const f32v num = f32v_select(x >= f32v_splat(0.0f), f32v_splat(1.0f), e);
  return num / (f32v_splat(1.0f) + e);
}

/* y[i] = f(x[i]) over whole vectors; the tail goes through f on a zero-padded stack copy. */
template <class F>
static inline void map_v(int64_t n, const float* x, float* y, F f) {
  int64_t i = 0;
  for (; i + F32_EPR <= n; i += F32_EPR) f32v_store(y + i, f(f32v_load(x + i)));
  if (i < n) {
    float t[F32_EPR] = {0};
    std::memcpy(t, x + i, sizeof(float) * (n - i));
    f32v_store(t, f(f32v_load(t)));
    std::memcpy(y + i, t, sizeof(float) * (n - i));
  }
}

/* dx[i] = f(x[i], dy[i]); dy === dx allowed (each vector is read before it is written). */
template <class F>
static inline void map2_v(int64_t n, const float* x, const float* dy, float* dx, F f) {
  int64_t i = 0;
  for (; i + F32_EPR <= n; i += F32_EPR) f32v_store(dx + i, f(f32v_load(x + i), f32v_load(dy + i)));
  if (i < n) {
    float a[F32_EPR] = {0}, b[F32_EPR] = {0};
    std::memcpy(a, x + i, sizeof(float) * (n - i));
    std::memcpy(b, dy + i, sizeof(float) * (n - i));
    f32v_store(a, f(f32v_load(a), f32v_load(b)));
    std::memcpy(dx + i, a, sizeof(float) * (n - i));
  }
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
