/* Packing for the BLIS loops, compiled once per ISA (MR, NR from blocking.h). A block → MR-tall micro-panels laid
 * out p-major (MR values per k step); B block → NR-wide micro-panels (NR values per k step). Edges are zero
 * padded so the micro-kernel always runs full tiles. Transposed sources are read along their contiguous axis. */
#include "../kernels.h"
#include "../simd.h"
#include "blocking.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace descent {
namespace DESCENT_ISA_NS {

#if defined(__AVX__)
/* dst[q·dst_stride + i] = src[i·src_stride + q] for an 8×8 block: the transposing copy of both packers. */
static inline void transpose_8x8(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + src_stride);
  const __m256 r2 = _mm256_loadu_ps(src + 2 * src_stride), r3 = _mm256_loadu_ps(src + 3 * src_stride);
  const __m256 r4 = _mm256_loadu_ps(src + 4 * src_stride), r5 = _mm256_loadu_ps(src + 5 * src_stride);
  const __m256 r6 = _mm256_loadu_ps(src + 6 * src_stride), r7 = _mm256_loadu_ps(src + 7 * src_stride);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(dst + dst_stride, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(dst + 2 * dst_stride, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(dst + 3 * dst_stride, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(dst + 4 * dst_stride, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(dst + 5 * dst_stride, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(dst + 6 * dst_stride, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(dst + 7 * dst_stride, _mm256_permute2f128_ps(s3, s7, 0x31));
}
#endif

void gemm_pack_a(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out) {
  for (int64_t i0 = 0; i0 < mc; i0 += GEMM_MR, out += GEMM_MR * kc) {
    const int64_t rows = mc - i0 < GEMM_MR ? mc - i0 : GEMM_MR;
    if (rs == 1 && rows == GEMM_MR) {
      // op(A) = Aᵀ: the MR values of one k step are contiguous in memory.
      for (int64_t p = 0; p < kc; p++)
        for (int64_t i = 0; i < GEMM_MR; i++) out[p * GEMM_MR + i] = a[i0 + i + p * cs];
      continue;
    }
#if defined(__AVX__)
    if (cs == 1 && rows == GEMM_MR && GEMM_MR == 8) {
      // op(A) = A row-major: transpose 8×8 blocks (8 rows × 8 k steps) into the panel.
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) transpose_8x8(a + i0 * rs + p, rs, out + p * GEMM_MR, GEMM_MR);
      for (; p < kc; p++)
        for (int64_t i = 0; i < GEMM_MR; i++) out[p * GEMM_MR + i] = a[(i0 + i) * rs + p];
      continue;
    }
#endif
    for (int64_t i = 0; i < GEMM_MR; i++) {
      float* dst = out + i;
      if (i < rows) {
        const float* src = a + (i0 + i) * rs;
        for (int64_t p = 0; p < kc; p++) dst[p * GEMM_MR] = src[p * cs];
      } else {
        for (int64_t p = 0; p < kc; p++) dst[p * GEMM_MR] = 0.0f;
      }
    }
  }
}

void gemm_pack_b(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out) {
  for (int64_t j0 = 0; j0 < nc; j0 += GEMM_NR, out += GEMM_NR * kc) {
    const int64_t cols = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
    if (cs == 1) {
      // op(B) = B: each k step copies one contiguous run of a row.
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + p * rs + j0;
        float* dst = out + p * GEMM_NR;
        if (cols == GEMM_NR) {
          std::memcpy(dst, src, sizeof(float) * GEMM_NR);
        } else {
          for (int64_t j = 0; j < cols; j++) dst[j] = src[j];
          for (int64_t j = cols; j < GEMM_NR; j++) dst[j] = 0.0f;
        }
      }
    } else {
#if defined(__AVX__)
      if (rs == 1 && cols == GEMM_NR && GEMM_NR % 8 == 0) {
        // op(B) = Bᵀ, full panel: transpose 8×8 blocks (8 source rows × 8 k steps).
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8)
          for (int64_t jj = 0; jj < GEMM_NR; jj += 8) transpose_8x8(b + (j0 + jj) * cs + p, cs, out + p * GEMM_NR + jj, GEMM_NR);
        for (; p < kc; p++)
          for (int64_t j = 0; j < GEMM_NR; j++) out[p * GEMM_NR + j] = b[(j0 + j) * cs + p];
        continue;
      }
#endif
      // op(B) = Bᵀ: walk each source row contiguously, write a strided column of the panel (it stays in L1).
      for (int64_t j = 0; j < GEMM_NR; j++) {
        float* dst = out + j;
        if (j < cols) {
          const float* src = b + (j0 + j) * cs;
          for (int64_t p = 0; p < kc; p++) dst[p * GEMM_NR] = src[p * rs];
        } else {
          for (int64_t p = 0; p < kc; p++) dst[p * GEMM_NR] = 0.0f;
        }
      }
    }
  }
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
