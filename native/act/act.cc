/* Activations forward/backward, compiled once per ISA (simd.h): y = act(x), dx = dy·act′ from the output y.
 * sigmoid: y = (x ≥ 0 ? 1 : e)/(1 + e) with e = exp(−|x|), so exp never overflows. tanh: odd Taylor polynomial to
 * x¹¹ for |x| < 0.25, else sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|); exp and the padded-tail map are in vmath.h.
 * Accuracy, measured against float64 over ±20 and the 0.25 seam (test/native/isa-threads.test.ts checks it per ISA):
 * |rel err| ≤ 4e-7 for sigmoid and tanh (relative 1e-5 allowed by test/kernels/act.test.ts), NaN propagates.
 * Tails run through the same vector code on a padded stack copy, so every element gets identical arithmetic
 * whatever the chunking (bit-identical results for any thread count). relu/leaky_relu are plain loops. */
#include "../kernels.h"
#include "../simd.h"
#include "vmath.h"

namespace descent {
namespace DESCENT_ISA_NS {

static inline f32v tanh_v(f32v x) {
  const f32v a = f32v_abs(x);
  const f32v x2 = x * x;
  f32v p = f32v_splat(-1382.0f / 155925.0f);
  p = p * x2 + f32v_splat(62.0f / 2835.0f);
  p = p * x2 + f32v_splat(-17.0f / 315.0f);
  p = p * x2 + f32v_splat(2.0f / 15.0f);
  p = p * x2 + f32v_splat(-1.0f / 3.0f);
  const f32v small = x + x * x2 * p;
  const f32v e = exp_nonpos(f32v_splat(-2.0f) * a);
  const f32v t = (f32v_splat(1.0f) - e) / (f32v_splat(1.0f) + e);
  const f32v big = f32v_from_bits(f32v_bits(t) | (f32v_bits(x) & i32v_splat(INT32_MIN)));
  return f32v_select(a < f32v_splat(0.25f), small, big);
}

static void sigmoid_fwd(int64_t n, const float* x, float* y) { map_v(n, x, y, sigmoid_v); }
static void tanh_fwd(int64_t n, const float* x, float* y) { map_v(n, x, y, tanh_v); }

static void relu_fwd(int64_t n, const float* x, float* y) {
  // `v <= 0 ? 0 : v` keeps NaN (PyTorch propagates it); a max() would not.
  for (int64_t i = 0; i < n; i++) { const float v = x[i]; y[i] = v <= 0.0f ? 0.0f : v; }
}
static void leaky_relu_fwd(int64_t n, float slope, const float* x, float* y) {
  for (int64_t i = 0; i < n; i++) { const float v = x[i]; y[i] = v > 0.0f ? v : v * slope; }
}
static void sigmoid_bwd(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
static void tanh_bwd(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
static void relu_bwd(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
static void leaky_relu_bwd(int64_t n, float slope, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : dy[i] * slope;
}

void fill_act(isa_table* t) {
  t->sigmoid_fwd = sigmoid_fwd;
  t->tanh_fwd = tanh_fwd;
  t->relu_fwd = relu_fwd;
  t->leaky_relu_fwd = leaky_relu_fwd;
  t->sigmoid_bwd = sigmoid_bwd;
  t->tanh_bwd = tanh_bwd;
  t->relu_bwd = relu_bwd;
  t->leaky_relu_bwd = leaky_relu_bwd;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
