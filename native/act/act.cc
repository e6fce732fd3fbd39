/* Activations forward/backward, compiled once per ISA (simd.h): y = act(x), dx = dy·act′ from the output y.
 * sigmoid: y = (x ≥ 0 ? 1 : e)/(1 + e) with e = exp(−|x|), so exp never overflows. tanh: odd Taylor polynomial to
 * x¹¹ for |x| < 0.25, else sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|). exp: Cody–Waite reduction by ln 2, Cephes
 * degree-6 polynomial, 2ⁿ built in the exponent bits; arguments below −87.3 give 0 (no subnormals).
 * Accuracy, measured against float64 over ±20 and the 0.25 seam (test/native/isa-threads.test.ts checks it per ISA):
 * |rel err| ≤ 4e-7 for sigmoid and tanh (relative 1e-5 allowed by test/kernels/act.test.ts), NaN propagates.
 * Tails run through the same vector code on a padded stack copy, so every element gets identical arithmetic
 * whatever the chunking (bit-identical results for any thread count). relu/leaky_relu are plain loops. */
#include "../kernels.h"
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

static inline f32v exp_nonpos(f32v x) {
  const i32v tiny = x < f32v_splat(-87.3f);
  x = f32v_select(tiny, f32v_splat(0.0f), x);
  const f32v magic = f32v_splat(12582912.0f);  // 1.5·2²³: adding it rounds to an integer
  const f32v n = (x * f32v_splat(1.44269504088896341f) + magic) - magic;
  f32v r = x - n * f32v_splat(0.693359375f);
  r = r - n * f32v_splat(-2.12194440e-4f);
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

static inline f32v sigmoid_v(f32v x) {
  const f32v e = exp_nonpos(-f32v_abs(x));
  const f32v num = f32v_select(x >= f32v_splat(0.0f), f32v_splat(1.0f), e);
  return num / (f32v_splat(1.0f) + e);
}

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

template <f32v (*F)(f32v)>
static void map_v(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + F32_EPR <= n; i += F32_EPR) f32v_store(y + i, F(f32v_load(x + i)));
  if (i < n) {
    float t[F32_EPR] = {0};
    std::memcpy(t, x + i, sizeof(float) * (n - i));
    f32v_store(t, F(f32v_load(t)));
    std::memcpy(y + i, t, sizeof(float) * (n - i));
  }
}

static void sigmoid_fwd(int64_t n, const float* x, float* y) { map_v<sigmoid_v>(n, x, y); }
static void tanh_fwd(int64_t n, const float* x, float* y) { map_v<tanh_v>(n, x, y); }

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
