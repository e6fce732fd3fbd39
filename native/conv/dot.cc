/* gemm_nt_dot, compiled once per ISA: C[i,j] = beta·C[i,j] + Σ_p A[i,p]·B[j,p] for row-major A (m×k) and B (n×k)
 * whose rows are long and contiguous: the weight gradient dY·colᵀ of a convolution with few filters or few taps
 * (16×9 outputs over 784 pixels in CNN-S's first layer), where a packed GEMM would pad the 9 columns to a full
 * register tile, and a dense layer's forward at batch ≤ 16 (gemm.cc). An 8×3 block of outputs (4×3 without
 * AVX-512) keeps 24 vector accumulators over k (11 loads per 24 multiply-adds), then sums their lanes and adds the
 * k tail; leftover rows go 4 at a time, then one at a time against six rows of B. Accuracy: float32 sums of
 * k/F32_EPR-long lane partials (≤ k·2⁻²⁴·Σ|a||b|). beta = 0 never reads C. Also row_sum (out[i] = beta·out[i] + Σⱼ A[i,j], a convolution's bias gradient per sample),
 * with four vector accumulators per row. */
#include "../kernels.h"
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

/* Lane sum by halving (16 → 8 → 4 → 2 → 1): a short dependency chain, since twelve of these end every block. */
typedef float f32x4v __attribute__((vector_size(16)));
typedef float f32x8v __attribute__((vector_size(32)));
static inline float sum4(f32x4v v) { return (v[0] + v[2]) + (v[1] + v[3]); }
static inline f32x4v halve8(f32x8v v) {
  f32x4v lo, hi;
  std::memcpy(&lo, &v, 16);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 16, 16);
  return lo + hi;
}
static inline float lanes_sum(f32v v) {
#if F32_EPR == 16
  f32x8v lo, hi;
  std::memcpy(&lo, &v, 32);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
  return sum4(halve8(lo + hi));
#elif F32_EPR == 8
  return sum4(halve8(v));
#else
  return sum4(v);
#endif
}

/* One row of A against six rows of B at a time: the rows left over by the 4×3 blocks (all of A at batch 1, a
 * dense layer's forward in inference), where aliased rows would spend four loads of A on one useful row. Each
 * output gets the 4×3 block's arithmetic exactly (lane partials in k order, the same lane sum, the same tail). */
static void dot_row(int64_t n, int64_t k, const float* a, const float* b, int64_t ldb, float beta, float* c) {
  constexpr int64_t E = F32_EPR;
  const int64_t kv = k / E * E;
  for (int64_t j0 = 0; j0 < n; j0 += 6) {
    const int64_t cols = n - j0 < 6 ? n - j0 : 6;
    const float* B[6];
    for (int q = 0; q < 6; q++) B[q] = b + (j0 + (q < cols ? q : cols - 1)) * ldb;
    f32v c0 = {}, c1 = {}, c2 = {}, c3 = {}, c4 = {}, c5 = {};
    for (int64_t p = 0; p < kv; p += E) {
      const f32v x = f32v_load(a + p);
      c0 += x * f32v_load(B[0] + p), c1 += x * f32v_load(B[1] + p), c2 += x * f32v_load(B[2] + p);
      c3 += x * f32v_load(B[3] + p), c4 += x * f32v_load(B[4] + p), c5 += x * f32v_load(B[5] + p);
    }
    const f32v acc[6] = {c0, c1, c2, c3, c4, c5};
    for (int64_t q = 0; q < cols; q++) {
      float s = lanes_sum(acc[q]);
      for (int64_t p = kv; p < k; p++) s += a[p] * B[q][p];
      float* out = c + j0 + q;
      *out = beta == 0.0f ? s : beta * *out + s;
    }
  }
}

/* Rows [i0, i0 + R) of A against all of B: R×3 blocks of outputs, R·3 vector accumulators over k (R + 3 loads per
 * 3R multiply-adds), then each output's lane sum and k tail. Every output gets the same arithmetic whatever R. */
template <int R>
static void dot_rows(int64_t i0, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     float beta, float* c, int64_t ldc) {
  constexpr int64_t E = F32_EPR;
  const int64_t kv = k / E * E;
  const float* A[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) A[r] = a + (i0 + r) * lda;
  for (int64_t j0 = 0; j0 < n; j0 += 3) {
    // Columns past the edge alias the last valid one (computed, never stored).
    const int64_t cols = n - j0 < 3 ? n - j0 : 3;
    const float* Bq[3] = {b + j0 * ldb, b + (j0 + (cols > 1 ? 1 : 0)) * ldb, b + (j0 + (cols > 2 ? 2 : cols - 1)) * ldb};
    f32v acc[R][3];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = acc[r][2] = f32v{};
    for (int64_t p = 0; p < kv; p += E) {
      const f32v b0 = f32v_load(Bq[0] + p), b1 = f32v_load(Bq[1] + p), b2 = f32v_load(Bq[2] + p);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        f32v x = f32v_load(A[r] + p);
        // One load of each row's vector: left free, GCC folds it into all three FMAs (three loads, indexed forms
        // that split in two, and the loop became load-bound).
#if defined(__x86_64__)
        asm("" : "+v"(x));
#endif
        acc[r][0] += x * b0, acc[r][1] += x * b1, acc[r][2] += x * b2;
      }
    }
    for (int64_t r = 0; r < R; r++)
      for (int64_t q = 0; q < cols; q++) {
        float s = lanes_sum(acc[r][q]);
        for (int64_t p = kv; p < k; p++) s += A[r][p] * Bq[q][p];
        float* out = c + (i0 + r) * ldc + j0 + q;
        *out = beta == 0.0f ? s : beta * *out + s;
      }
  }
}

/* Rows per block: 8 on AVX-512 (24 accumulators of its 32 registers), so a dense layer's forward at batch 8 reads
 * its weight once rather than twice (MLP 784-256-128-10 forward at batch 8, one thread: 38.8 → 29.6 µs,
 * bench:inference, onnxruntime-node's 31.2 in the same run); 4 on the 16-register ISAs. Rows left over go 4 at a
 * time, then one at a time. */
#if defined(DESCENT_ISA_AVX512F)
constexpr int DOT_ROWS = 8;
#else
constexpr int DOT_ROWS = 4;
#endif

void gemm_nt_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                 float* c, int64_t ldc) {
  int64_t i0 = 0;
  for (; i0 + DOT_ROWS <= m; i0 += DOT_ROWS) dot_rows<DOT_ROWS>(i0, n, k, a, lda, b, ldb, beta, c, ldc);
  for (; i0 + 4 <= m; i0 += 4) dot_rows<4>(i0, n, k, a, lda, b, ldb, beta, c, ldc);
  for (; i0 < m; i0++) dot_row(n, k, a + i0 * lda, b, ldb, beta, c + i0 * ldc);
}

void row_sum(int64_t m, int64_t n, const float* a, float beta, float* out) {
  constexpr int64_t E = F32_EPR;
  for (int64_t i = 0; i < m; i++) {
    const float* r = a + i * n;
    f32v s0 = {}, s1 = {}, s2 = {}, s3 = {};
    int64_t j = 0;
    for (; j + 4 * E <= n; j += 4 * E) {
      s0 += f32v_load(r + j), s1 += f32v_load(r + j + E);
      s2 += f32v_load(r + j + 2 * E), s3 += f32v_load(r + j + 3 * E);
    }
    for (; j + E <= n; j += E) s0 += f32v_load(r + j);
    float s = lanes_sum((s0 + s1) + (s2 + s3));
    for (; j < n; j++) s += r[j];
    out[i] = beta == 0.0f ? s : beta * out[i] + s;
  }
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
