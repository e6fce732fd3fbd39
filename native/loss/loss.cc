/* Fused loss kernels: log-softmax + NLL (+ gradient), MSE, BCE on logits. Row sums accumulate in double like the
 * reference. MSE and BCE are portable code with libm's exp/log; softmax_xent splits rows over the team and runs
 * the active ISA's row kernel (native/act/smooth.cc: vector exps, its error bounds there).
 * softmax_xent re-checks each label it reads (addon.cc already rejected bad ones; a label changed concurrently in
 * shared memory gives loss NaN for its row instead of an out-of-range access). grad may alias logits. */
#include <cmath>

#include "../kernels.h"
#include "../pool.h"

namespace descent {

void softmax_xent_f32(int64_t m, int64_t n, float scale, const float* x, const int32_t* labels, float* loss,
                      float* grad) noexcept {
  // Rows are independent, so chunks of whole rows go over the team (chunk bounds depend on n only). With vector
  // exps a logit costs about a nanosecond, so a chunk holds XENT_CHUNK_LOGITS of them (a few µs, well above a
  // team's start-up); the MLP's 128×10 logits stay on the caller.
  const isa_table* T = isa();
  constexpr int64_t XENT_CHUNK_LOGITS = 4096;
  const int64_t rows = n > 0 && n < XENT_CHUNK_LOGITS ? (XENT_CHUNK_LOGITS + n - 1) / n : 1;
  parallel_chunks(m, rows, [&](int64_t i0, int64_t i1) {
    T->softmax_xent(i1 - i0, n, scale, x + i0 * n, labels + i0, loss + i0, grad ? grad + i0 * n : nullptr);
  });
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
