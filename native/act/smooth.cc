/* The smooth activations, whose backward reads the input x (GELU and SiLU are not monotonic, so y does not give x
 * back), compiled once per ISA: ELU, GELU (exact and tanh form), SiLU, Softplus, and row Softmax (inference).
 * Φ(x) = ½·erfc(|x|/√2) by sign; erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), P of degree 9: the Chebyshev fit of
 * Numerical Recipes in C (2nd ed., §6.2, erfcc; fractional error < 1.2e-7 in exact arithmetic). exp(−x²/2) is
 * taken as exp(−xh²/2 − xl·(x + xh)/2) with xh = x cut to 12 bits: xh²/2 is exact and enters exp's argument
 * reduction unrounded (exp_nonpos2), so the exponent's size costs no accuracy; one exp forward, two backward.
 * Measured against float64 per ISA on a dense ±20 grid (test/accuracy.ts): forward |rel err| ≤ 6e-7 for GELU,
 * SiLU, ELU, Softplus (tested ≤ 1e-6), ≤ 1.2e-5 for GELU-tanh (tested ≤ 2e-5: its exponent 2u reaches −65 at
 * x = −9 and is rounded in float32); backward |err| ≤ 2e-6·|dy| (GELU′, SiLU′ cross 0). NaN propagates. */
#include <cmath>

#include "../kernels.h"
#include "../simd.h"
#include "vmath.h"

namespace descent {
namespace DESCENT_ISA_NS {

/* ½·erfc(|x|/√2) (the lower tail Φ(−|x|)) and, through `phi`, exp(−x²/2) (the Gaussian density's shape). */
static inline f32v half_erfc_v(f32v x, f32v* phi) {
  // Past 13.2 the result is 0 in float32; the clamp keeps a − ah finite for |x| = ∞ (NaN still reaches the caller's x·).
  const f32v a = f32v_min(f32v_abs(x), f32v_splat(20.0f));
  const f32v t = f32v_splat(1.0f) / (f32v_splat(1.0f) + a * f32v_splat(0.35355339059327373f));  // 1/(1 + z/2)
  f32v p = f32v_splat(0.17087277f);
  p = p * t + f32v_splat(-0.82215223f);
  p = p * t + f32v_splat(1.48851587f);
  p = p * t + f32v_splat(-1.13520398f);
  p = p * t + f32v_splat(0.27886807f);
  p = p * t + f32v_splat(-0.18628806f);
  p = p * t + f32v_splat(0.09678418f);
  p = p * t + f32v_splat(0.37409196f);
  p = p * t + f32v_splat(1.00002368f);
  p = p * t + f32v_splat(-1.26551223f);
  const f32v ah = f32v_from_bits(f32v_bits(a) & i32v_splat((int32_t)0xfffff000));  // ah² is exact
  const f32v hi = f32v_splat(-0.5f) * ah * ah;
  const f32v lo = f32v_splat(-0.5f) * (a - ah) * (a + ah);
  // P(0 < t ≤ 1) ≤ 3e-8: the clamp keeps exp's argument non-positive at a cost below its own error.
  if (phi) {
    *phi = exp_nonpos2(hi, lo);
    return f32v_splat(0.5f) * t * *phi * exp_nonpos(f32v_min(p, f32v_splat(0.0f)));
  }
  return f32v_splat(0.5f) * t * exp_nonpos2(hi, f32v_min(p + lo, f32v_splat(0.0f)));
}

static inline f32v gelu_v(f32v x) {
  const f32v e = half_erfc_v(x, nullptr);
  return x * f32v_select(x >= f32v_splat(0.0f), f32v_splat(1.0f) - e, e);
}

/* d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π). */
static inline f32v gelu_grad_v(f32v x) {
  f32v g;
  const f32v e = half_erfc_v(x, &g);
  const f32v cdf = f32v_select(x >= f32v_splat(0.0f), f32v_splat(1.0f) - e, e);
  return cdf + x * g * f32v_splat(0.3989422804014327f);
}

/* PyTorch's tanh form ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), written as x·σ(2u): no cancellation for x < 0. */
static inline f32v gelu_tanh_s(f32v x) {
  return sigmoid_v(x * (f32v_splat(1.5957691216057308f) + f32v_splat(0.071354816272287f) * x * x));
}

static inline f32v gelu_tanh_grad_v(f32v x) {
  const f32v s = gelu_tanh_s(x);
  // Beyond |x| = 10, s(1 − s) underflows; clamping keeps x³ finite there so 0·∞ cannot make a NaN.
  const f32v c = f32v_max(f32v_min(x, f32v_splat(10.0f)), f32v_splat(-10.0f));
  const f32v du = f32v_splat(1.5957691216057308f) + f32v_splat(0.214064448816861f) * c * c;  // d(2u)/dx
  return s + c * s * (f32v_splat(1.0f) - s) * du;
}

static inline f32v silu_grad_v(f32v x) {
  const f32v s = sigmoid_v(x);
  return s * (f32v_splat(1.0f) + x * (f32v_splat(1.0f) - s));
}

/* expm1(x) for x ≤ 0: Taylor to x⁸ above −0.5 (|rel err| < 2e-8), exp(x) − 1 below (no cancellation there). */
static inline f32v expm1_nonpos(f32v x) {
  f32v p = f32v_splat(1.0f / 40320.0f);
  p = p * x + f32v_splat(1.0f / 5040.0f);
  p = p * x + f32v_splat(1.0f / 720.0f);
  p = p * x + f32v_splat(1.0f / 120.0f);
  p = p * x + f32v_splat(1.0f / 24.0f);
  p = p * x + f32v_splat(1.0f / 6.0f);
  p = p * x + f32v_splat(0.5f);
  const f32v small = x + x * x * p;
  return f32v_select(x > f32v_splat(-0.5f), small, exp_nonpos(x) - f32v_splat(1.0f));
}

/* log1p(u) for 0 ≤ u ≤ 1: 2·atanh(s), s = u/(2 + u) ≤ 1/3, odd series to s¹³ (truncation < 1.5e-8 relative). */
static inline f32v log1p_unit(f32v u) {
  const f32v s = u / (f32v_splat(2.0f) + u);
  const f32v s2 = s * s;
  f32v p = f32v_splat(1.0f / 13.0f);
  p = p * s2 + f32v_splat(1.0f / 11.0f);
  p = p * s2 + f32v_splat(1.0f / 9.0f);
  p = p * s2 + f32v_splat(1.0f / 7.0f);
  p = p * s2 + f32v_splat(1.0f / 5.0f);
  p = p * s2 + f32v_splat(1.0f / 3.0f);
  return f32v_splat(2.0f) * s + f32v_splat(2.0f) * s * s2 * p;
}

static void elu_fwd(int64_t n, float alpha, const float* x, float* y) {
  const f32v al = f32v_splat(alpha), zero = f32v_splat(0.0f);
  // x ≤ 0 selects the exponential branch like PyTorch; NaN fails the test and passes through.
  map_v(n, x, y, [=](f32v v) { return f32v_select(v <= zero, al * expm1_nonpos(f32v_min(v, zero)), v); });
}
static void elu_bwd(int64_t n, float alpha, const float* x, const float* dy, float* dx) {
  const f32v al = f32v_splat(alpha), zero = f32v_splat(0.0f);
  map2_v(n, x, dy, dx, [=](f32v v, f32v g) { return f32v_select(v <= zero, g * al * exp_nonpos(f32v_min(v, zero)), g); });
}

static void gelu_fwd(int64_t n, const float* x, float* y) { map_v(n, x, y, gelu_v); }
static void gelu_bwd(int64_t n, const float* x, const float* dy, float* dx) {
  map2_v(n, x, dy, dx, [](f32v v, f32v g) { return g * gelu_grad_v(v); });
}
static void gelu_tanh_fwd(int64_t n, const float* x, float* y) {
  map_v(n, x, y, [](f32v v) { return v * gelu_tanh_s(v); });
}
static void gelu_tanh_bwd(int64_t n, const float* x, const float* dy, float* dx) {
  map2_v(n, x, dy, dx, [](f32v v, f32v g) { return g * gelu_tanh_grad_v(v); });
}
static void silu_fwd(int64_t n, const float* x, float* y) {
  map_v(n, x, y, [](f32v v) { return v * sigmoid_v(v); });
}
static void silu_bwd(int64_t n, const float* x, const float* dy, float* dx) {
  map2_v(n, x, dy, dx, [](f32v v, f32v g) { return g * silu_grad_v(v); });
}

/* softplus(x) = log1p(exp(βx))/β = (max(βx, 0) + log1p(exp(−|βx|)))/β, and x itself where βx > threshold. */
static void softplus_fwd(int64_t n, float beta, float threshold, const float* x, float* y) {
  const f32v b = f32v_splat(beta), th = f32v_splat(threshold), zero = f32v_splat(0.0f);
  map_v(n, x, y, [=](f32v v) {
    const f32v t = v * b;
    const f32v sp = (f32v_select(t > zero, t, zero) + log1p_unit(exp_nonpos(-f32v_abs(t)))) / b;
    return f32v_select(t > th, v, sp);
  });
}
static void softplus_bwd(int64_t n, float beta, float threshold, const float* x, const float* dy, float* dx) {
  const f32v b = f32v_splat(beta), th = f32v_splat(threshold);
  map2_v(n, x, dy, dx, [=](f32v v, f32v g) {
    const f32v t = v * b;
    return f32v_select(t > th, g, g * sigmoid_v(t));
  });
}

/* Rows of n: y = exp(x − max)/Σ exp(x − max); the sum runs in double over the stored exps, so its order is fixed. */
static void softmax_fwd(int64_t m, int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < m; i++) {
    const float* xr = x + i * n;
    float* yr = y + i * n;
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; j++) mx = xr[j] > mx ? xr[j] : mx;
    // A NaN in the row (skipped by the max) gives a NaN exp, a NaN sum and so a NaN row, like PyTorch.
    const f32v vm = f32v_splat(mx);
    map_v(n, xr, yr, [=](f32v v) { return exp_nonpos(v - vm); });
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) sum += yr[j];
    const float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < n; j++) yr[j] *= inv;
  }
}

/* softmax_xent_f32 on m rows of n: e = exp(x − max) through exp_nonpos, Σe in double in column order,
 * loss = max + log Σe − x[label] in double, grad = e·(scale/Σe) − scale·[j = label]. Blocks of rows go through
 * one stack buffer of x − max, so exp runs over whole vectors of the block rather than row by row with a padded
 * tail each (the MLP's 128×10 logits: one libm exp per logit took 12 µs, row-wise vector exps 9 µs, store
 * forwarding of each row's tail stalling). Errors (exp_nonpos ≤ 4e-7, x − max rounded in float32: ≤
 * 6e-8·|x − max| relative on e, at most 87 before e is 0): each probability within 6e-6 relative, the loss within
 * 6e-7 absolute plus its float32 rounding (test/kernels/loss.test.ts allows 1e-7 + 1e-5·|ref| on the gradient,
 * 2e-6 + 2e-6·|ref| on the loss). A label out of range (changed in shared memory after the door checked it) gives
 * loss NaN for its row and no label term, never an access out of the row. grad may alias x: a block of x is read
 * whole before its rows are written. */
static void softmax_xent(int64_t m, int64_t n, float scale, const float* x, const int32_t* labels, float* loss,
                         float* grad) {
  constexpr int64_t BUF = 2048;
  float t[BUF], mx[BUF], at_label[BUF];
  for (int64_t i0 = 0; i0 < m;) {
    // Rows of at most BUF logits go BUF / n at a time through t; a longer row goes alone, in pieces of BUF.
    const int64_t rows = n <= BUF ? (m - i0 < BUF / n ? m - i0 : BUF / n) : 1;
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + (i0 + r) * n;
      float v = -INFINITY;
      for (int64_t j = 0; j < n; j++) v = xr[j] > v ? xr[j] : v;
      mx[r] = v;
      const int32_t label = labels[i0 + r];
      at_label[r] = label >= 0 && label < n ? xr[label] : NAN;
    }
    // A NaN in a row (skipped by the max) gives a NaN exp, so a NaN sum, loss and gradient row.
    double sum[BUF];
    if (n <= BUF) {
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++) t[r * n + j] = x[(i0 + r) * n + j] - mx[r];
      float* e = grad ? grad + i0 * n : t;
      map_v(rows * n, t, e, [](f32v v) { return exp_nonpos(v); });
      for (int64_t r = 0; r < rows; r++) {
        double s = 0.0;
        for (int64_t j = 0; j < n; j++) s += e[r * n + j];
        sum[r] = s;
      }
    } else {
      const float* xr = x + i0 * n;
      float* gr = grad ? grad + i0 * n : nullptr;
      double s = 0.0;
      for (int64_t j0 = 0; j0 < n; j0 += BUF) {
        const int64_t len = n - j0 < BUF ? n - j0 : BUF;
        for (int64_t j = 0; j < len; j++) t[j] = xr[j0 + j] - mx[0];
        float* e = gr ? gr + j0 : t;
        map_v(len, t, e, [](f32v v) { return exp_nonpos(v); });
        for (int64_t j = 0; j < len; j++) s += e[j];
      }
      sum[0] = s;
    }
    for (int64_t r = 0; r < rows; r++) {
      const int32_t label = labels[i0 + r];
      const bool valid = label >= 0 && label < n;
      loss[i0 + r] = valid ? (float)((double)mx[r] + std::log(sum[r]) - (double)at_label[r]) : NAN;
      if (grad) {
        float* gr = grad + (i0 + r) * n;
        const float k = (float)(scale / sum[r]);
        for (int64_t j = 0; j < n; j++) gr[j] *= k;
        if (valid) gr[label] -= scale;
      }
    }
    i0 += rows;
  }
}

void fill_act_smooth(isa_table* t) {
  t->elu_fwd = elu_fwd;
  t->elu_bwd = elu_bwd;
  t->gelu_fwd = gelu_fwd;
  t->gelu_bwd = gelu_bwd;
  t->gelu_tanh_fwd = gelu_tanh_fwd;
  t->gelu_tanh_bwd = gelu_tanh_bwd;
  t->silu_fwd = silu_fwd;
  t->silu_bwd = silu_bwd;
  t->softplus_fwd = softplus_fwd;
  t->softplus_bwd = softplus_bwd;
  t->softmax_fwd = softmax_fwd;
  t->softmax_xent = softmax_xent;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
