/* gemm_ukernel_8x32__avx512f: C[8×32] = alpha·Ã·B̃ + beta·C with 16 zmm accumulators (two 16-lane columns per row),
 * one broadcast of Ã and two aligned loads of the packed B̃ micro-panel per k step, FMA throughout. Ã is read
 * through (rs_a, cs_a), so the same kernel runs on packed A (1, MR) and in place on A or Aᵀ. Edge tiles use
 * AVX-512 masks for the columns and skip rows ≥ mr (their row pointers alias the last valid row, never read past
 * it); tiles at most 16 wide run a one-column loop. Compiled only with -mavx512f -mfma; chosen by cpu.cc when the
 * CPU and OS support AVX-512F. A C tile that is read (beta ≠ 0) is prefetched before the k loop (C larger than L2
 * otherwise costs its 16 lines as misses in the epilogue: 1024³ 0.9× → 1.0× OpenBLAS). Accuracy: float32 FMA accumulation in k order.
 * gemm_ukernel_ex_8x32__avx512f is the same kernel with two additions (kernels.h): B̃ rows ldb apart, so a
 * row-major op(B) is read in place (its columns past nr under masks), and the GEMM's epilogue (bias, ReLU/LeakyReLU,
 * derivative mask) applied to the tile in registers before the one store, with the unfused kernels' operations:
 * adds and multiplies by the slope through the _round_ intrinsics, which the compiler never contracts into FMAs. */
#include <immintrin.h>

#include "../kernels.h"
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

namespace {

constexpr int RN = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
// Every lane (the zero-masking forms: GCC 12 warns about the unmasked ones' undefined pass-through operand).
constexpr __mmask16 ALL = 0xFFFF;

/* The epilogue on one 16-lane column of row i: bias add (bias: the tile's 16 biases of that column, loaded once
 * per tile), then the activation, or the derivative mask. */
inline __m512 epilogue16(__m512 r, const gemm_tile_epilogue* e, __m512 bias, int64_t i, int64_t j, __mmask16 m) {
  const __m512 zero = _mm512_setzero_ps();
  if (e->bias) r = _mm512_maskz_add_round_ps(ALL, r, bias, RN);
  if (e->act) {
    // ReLU: r ≤ 0 → +0 (a NaN stays); LeakyReLU: r > 0 ? r : r·slope.
    if (e->slope == 0.0f) r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(r, zero, _CMP_LE_OQ), zero);
    else r = _mm512_mask_mov_ps(_mm512_maskz_mul_round_ps(ALL, r, _mm512_set1_ps(e->slope), RN), _mm512_cmp_ps_mask(r, zero, _CMP_GT_OQ), r);
  }
  if (e->mask) {
    const __mmask16 pos = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, e->mask + i * e->ldm + j), zero, _CMP_GT_OQ);
    if (e->slope == 0.0f) r = _mm512_maskz_mov_ps(pos, r);
    else r = _mm512_mask_mov_ps(_mm512_maskz_mul_round_ps(ALL, r, _mm512_set1_ps(e->slope), RN), pos, r);
  }
  return r;
}

__attribute__((always_inline)) inline void ukernel(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a,
                                                   const float* b, int64_t ldb, float* c, int64_t ldc, int64_t mr,
                                                   int64_t nr, float alpha, float beta, const gemm_tile_epilogue* epi) {
#define ROW_PTR(i) const float* a##i = a + (i < mr ? i : mr - 1) * rs_a;
  ROW_PTR(0) ROW_PTR(1) ROW_PTR(2) ROW_PTR(3) ROW_PTR(4) ROW_PTR(5) ROW_PTR(6) ROW_PTR(7)
#undef ROW_PTR
  // Fetch the C tile while the k loop runs: for large C (not in L2) its 16 lines would otherwise be 16 misses in
  // the epilogue. Prefetches never fault; the first and last element of each row cover its (up to 3) lines. Only
  // when C is read (beta ≠ 0): stores alone wait in the store buffer, and the prefetches then only compete with the
  // A and B streams (MLP weight gradient 256×784×128 into a C in L3, k = 128: 349 → 338 µs; 1024³ within 1 %).
  if (beta != 0.0f)
    for (int64_t i = 0; i < mr; i++) {
      _mm_prefetch((const char*)(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch((const char*)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1);
  // A packed micro-panel is zero padded to 32 columns; B read in place holds only nr valid ones.
  const bool padded = ldb == 32 || nr == 32;
  if (nr <= 16) {
    // Narrow tile (n ≤ 16, or the last 16 columns): half the FMAs, 8 accumulators still cover FMA latency.
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
    __m512 c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps(), c6 = _mm512_setzero_ps(), c7 = _mm512_setzero_ps();
#define STEP(i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(a##i[o]), b0, c##i);
    int64_t o = 0;
    if (padded || nr == 16) {
#pragma GCC unroll 4
      for (int64_t p = 0; p < kc; p++, o += cs_a, b += ldb) {
        const __m512 b0 = _mm512_loadu_ps(b);
        STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
      }
    } else {
#pragma GCC unroll 4
      for (int64_t p = 0; p < kc; p++, o += cs_a, b += ldb) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
        STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
      }
    }
#undef STEP
    const __m512 bias0 = epi && epi->bias ? _mm512_maskz_loadu_ps(m0, epi->bias) : _mm512_setzero_ps();
#define STORE(i)                                                                                                  \
  if (i < mr) {                                                                                                   \
    float* ci = c + i * ldc;                                                                                      \
    __m512 r = _mm512_mul_ps(va, c##i);                                                                           \
    if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r);                                   \
    if (epi) r = epilogue16(r, epi, bias0, i, 0, m0);                                                             \
    _mm512_mask_storeu_ps(ci, m0, r);                                                                             \
  }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
    return;
  }
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
#define STEP(i) av = _mm512_set1_ps(a##i[o]); c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0); c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);
  int64_t o = 0;
  if (padded) {
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; p++, o += cs_a, b += ldb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
      __m512 av;
      STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
    }
  } else {
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; p++, o += cs_a, b += ldb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
      __m512 av;
      STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
    }
  }
#undef STEP
  const __m512 bias0 = epi && epi->bias ? _mm512_maskz_loadu_ps(m0, epi->bias) : _mm512_setzero_ps();
  const __m512 bias1 = epi && epi->bias ? _mm512_maskz_loadu_ps(m1, epi->bias + 16) : _mm512_setzero_ps();
  // beta = 0 must not read C (it may hold NaN).
#define STORE(i)                                                                                     \
  if (i < mr) {                                                                                      \
    float* ci = c + i * ldc;                                                                         \
    __m512 r0 = _mm512_mul_ps(va, c##i##0), r1 = _mm512_mul_ps(va, c##i##1);                         \
    if (beta != 0.0f) {                                                                              \
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);                                   \
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);                              \
    }                                                                                                \
    if (epi) r0 = epilogue16(r0, epi, bias0, i, 0, m0), r1 = epilogue16(r1, epi, bias1, i, 16, m1);  \
    _mm512_mask_storeu_ps(ci, m0, r0);                                                               \
    _mm512_mask_storeu_ps(ci + 16, m1, r1);                                                          \
  }
  STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
}

}  // namespace

void gemm_ukernel_8x32__avx512f(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta) {
  ukernel(kc, a, rs_a, cs_a, b, 32, c, ldc, mr, nr, alpha, beta, nullptr);
}

void gemm_ukernel_ex_8x32__avx512f(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b,
                                   int64_t ldb, float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                   const gemm_tile_epilogue* epi) {
  ukernel(kc, a, rs_a, cs_a, b, ldb, c, ldc, mr, nr, alpha, beta, epi);
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
