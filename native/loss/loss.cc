/* Fused loss kernels, portable code: log-softmax + NLL (+ gradient), MSE, BCE on logits. Row sums accumulate in
 * double like the reference, exp/log are libm's (a loss touches m·n values once per step; exactness wins here),
 * one exp per logit for rows up to 256 wide.
 * softmax_xent re-checks each label it reads (addon.cc already rejected bad ones; a label changed concurrently in
 * shared memory gives loss NaN for its row instead of an out-of-range access). grad may alias logits. */
#include <cmath>

#include "../kernels.h"
#include "../pool.h"

namespace descent {

namespace {

/* Rows [i0, i1) of softmax_xent_f32. */
void softmax_xent_rows(int64_t i0, int64_t i1, int64_t n, float scale, const float* x, const int32_t* labels,
                       float* loss, float* grad) {
  // Rows up to ROW_CACHE wide keep their exps, so each logit costs one exp: g = scale·e/Σe equals
  // scale·exp(x − lse) to double rounding, far below the float result's ulp.
  constexpr int64_t ROW_CACHE = 256;
  double e[ROW_CACHE];
  const bool cache = n <= ROW_CACHE;
  for (int64_t i = i0; i < i1; i++) {
    const float* row = x + i * n;
    float max = -INFINITY;
    int64_t at = 0;
    for (int64_t j = 0; j < n; j++)
      if (row[j] > max) max = row[j], at = j;
    double sum = 0.0;
    if (cache) {
      // exp(row[at] − max) = exp(0) = 1 exactly for a finite max (an infinite max keeps the libm call and its NaN,
      // as before): one libm call fewer per row, half of them when n = 2.
      const bool one = std::isfinite(max);
      for (int64_t j = 0; j < n; j++) sum += e[j] = j == at && one ? 1.0 : std::exp((double)row[j] - max);
    } else {
      for (int64_t j = 0; j < n; j++) sum += std::exp((double)row[j] - max);
    }
    const double lse = max + std::log(sum);
    const int32_t label = labels[i];
    const bool valid = label >= 0 && label < n;
    loss[i] = valid ? (float)(lse - row[label]) : NAN;
    if (grad) {
      float* g = grad + i * n;
      if (cache) {
        const double s = scale / sum;
        for (int64_t j = 0; j < n; j++) g[j] = (float)(s * e[j]);
      } else {
        for (int64_t j = 0; j < n; j++) g[j] = (float)(scale * std::exp((double)row[j] - lse));
      }
      if (valid) g[label] -= scale;
    }
  }
}

}  // namespace

void softmax_xent_f32(int64_t m, int64_t n, float scale, const float* x, const int32_t* labels, float* loss,
                      float* grad) noexcept {
  // Rows are independent, so chunks of whole rows go over the team (chunk bounds depend on n only). Each logit
  // costs a libm exp (~10 ns): a chunk holds about XENT_CHUNK_LOGITS of them, a few µs, well above a team's
  // start-up; the MLP's 128×10 logits are 13 µs on one thread, a step's largest serial part after the GEMMs.
  constexpr int64_t XENT_CHUNK_LOGITS = 320;
  const int64_t rows = n > 0 && n < XENT_CHUNK_LOGITS ? (XENT_CHUNK_LOGITS + n - 1) / n : 1;
  parallel_chunks(m, rows, [&](int64_t i0, int64_t i1) { softmax_xent_rows(i0, i1, n, scale, x, labels, loss, grad); });
}

void mse_f32(int64_t m, int64_t n, float scale, const float* p, const float* t, float* loss, float* grad) noexcept {
  const float two_scale = 2.0f * scale;
  for (int64_t i = 0; i < m; i++) {
    double s = 0.0;
    for (int64_t j = i * n; j < (i + 1) * n; j++) {
      const float d = p[j] - t[j];
      s += (double)d * d;
      if (grad) grad[j] = two_scale * d;
    }
    loss[i] = (float)s;
  }
}

void bce_logits_f32(int64_t m, int64_t n, float scale, const float* p, const float* t, float* loss,
                    float* grad) noexcept {
  for (int64_t i = 0; i < m; i++) {
    double s = 0.0;
    for (int64_t j = i * n; j < (i + 1) * n; j++) {
      const double x = p[j], y = t[j];
      const double e = std::exp(-std::fabs(x));
      s += (x > 0 ? x : 0.0) - x * y + std::log1p(e);
      if (grad) grad[j] = (float)(scale * ((x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)) - y));
    }
    loss[i] = (float)s;
  }
}

}  // namespace descent
