/* gemm_ukernel_6x16__avx2_fma: C[6×16] = alpha·Ã·B̃ + beta·C with 12 ymm accumulators, one broadcast of Ã and two
 * aligned loads of the packed B̃ micro-panel per k step. Ã is read through (rs_a, cs_a) (packed or in place); rows
 * ≥ mr alias the last valid row. Edge tiles go through a stack tile and a scalar store loop. Compiled only with
 * -mavx2 -mfma; chosen by cpu.cc when AVX-512F is missing. */
#include <immintrin.h>

#include "../kernels.h"
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

void gemm_ukernel_6x16__avx2_fma(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, float* c,
                                 int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta) {
#define ROW_PTR(i) const float* a##i = a + (i < mr ? i : mr - 1) * rs_a;
  ROW_PTR(0) ROW_PTR(1) ROW_PTR(2) ROW_PTR(3) ROW_PTR(4) ROW_PTR(5)
#undef ROW_PTR
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  int64_t o = 0;
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++, o += cs_a, b += 16) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 av;
#define STEP(i) av = _mm256_broadcast_ss(a##i + o); c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0); c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);
    STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5)
#undef STEP
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (mr == 6 && nr == 16) {
    if (beta == 0.0f) {
#define STORE(i) _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, c##i##0)); _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, c##i##1));
      STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
    } else {
#define STORE(i)                                                                                                   \
  _mm256_storeu_ps(c + i * ldc, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + i * ldc), _mm256_mul_ps(va, c##i##0)));         \
  _mm256_storeu_ps(c + i * ldc + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + i * ldc + 8), _mm256_mul_ps(va, c##i##1)));
      STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
    }
    return;
  }
  alignas(32) float t[6][16];
#define SPILL(i) _mm256_store_ps(t[i], _mm256_mul_ps(va, c##i##0)); _mm256_store_ps(t[i] + 8, _mm256_mul_ps(va, c##i##1));
  SPILL(0) SPILL(1) SPILL(2) SPILL(3) SPILL(4) SPILL(5)
#undef SPILL
  for (int64_t i = 0; i < mr; i++)
    for (int64_t j = 0; j < nr; j++) c[i * ldc + j] = beta == 0.0f ? t[i][j] : beta * c[i * ldc + j] + t[i][j];
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
