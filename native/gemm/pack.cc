/* Packing for the BLIS loops, compiled once per ISA (MR, NR from blocking.h). A block → MR-tall micro-panels laid
 * out p-major (MR values per k step); B block → NR-wide micro-panels (NR values per k step). Edges are zero
 * padded so the micro-kernel always runs full tiles. Transposed sources are read along their contiguous axis.
 * Also gemm_small, the unpacked path for tiny products (it lives here because it is the one per-ISA GEMM file
 * that every build lists, test/native/sanitize.sh included). */
#include "../kernels.h"
#include "../simd.h"
#include "../store-first.h"
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
  if (rs == 1 && mc >= GEMM_MR) {
    // op(A) = Aᵀ, every full panel: each k step's MR values per panel are contiguous, and the k step's rows are one
    // run of memory, read once for all the panels (panel by panel, each run was fetched once per panel, and runs a
    // power of two apart evict each other from L1). The MLP 784-256-128-10's first-layer weight gradient packs its
    // 256×128 dYᵀ (rows 1 KiB apart) in 10-11.5 µs at 2 threads against 13.5-16 panel by panel (bench:pool-trace
    // job times); on one thread it is bound by fetching the destination's lines, hence the whole-line stores below.
    const int64_t full = mc / GEMM_MR;
    int64_t p0 = 0;
#if defined(__AVX512F__)
    if (GEMM_MR == 8) {
      // Two k steps at a time, so each panel gets whole 64-byte lines in one store each: the destination is usually
      // out of cache (the optimizer's pass evicted it), and whole lines are cheaper to take in than halves (that
      // dYᵀ on one thread: 9.3 → 7.5 µs).
      for (; p0 + 2 <= kc; p0 += 2) {
        const float* s0 = a + p0 * cs;
        const float* s1 = s0 + cs;
        for (int64_t ip = 0; ip < full; ip++) {
          const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(s0 + ip * 8)));
          const __m512d both = _mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_loadu_ps(s1 + ip * 8)), 1);
          _mm512_storeu_ps(out + ip * 8 * kc + p0 * 8, _mm512_castpd_ps(both));
        }
      }
    }
#endif
    for (int64_t p = p0; p < kc; p++) {
      const float* src = a + p * cs;
      for (int64_t ip = 0; ip < full; ip++)
        for (int64_t i = 0; i < GEMM_MR; i++) out[ip * GEMM_MR * kc + p * GEMM_MR + i] = src[ip * GEMM_MR + i];
    }
    const int64_t done = full * GEMM_MR;
    if (done == mc) return;
    a += done, out += full * GEMM_MR * kc, mc -= done;
  }
  for (int64_t i0 = 0; i0 < mc; i0 += GEMM_MR, out += GEMM_MR * kc) {
    const int64_t rows = mc - i0 < GEMM_MR ? mc - i0 : GEMM_MR;
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

/* The first cnt lanes of a vector (0 < cnt < F32_EPR), through masks where the ISA has them (AVX2's masked store
 * only as a load: store_first8 explains), since a plain loop here would become a memcpy call per row. */
static inline f32v f32v_load_first(const float* p, int64_t cnt) {
#if defined(__AVX512F__)
  return (f32v)_mm512_maskz_loadu_ps((__mmask16)((1u << cnt) - 1), p);
#elif defined(__AVX2__)
  return (f32v)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cnt), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
#else
  f32v v = {};
  for (int64_t q = 0; q < cnt; q++) v[q] = p[q];
  return v;
#endif
}
static inline void f32v_store_first(float* p, f32v v, int64_t cnt) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << cnt) - 1), (__m512)v);
#elif defined(__AVX2__)
  store_first8(p, (__m256)v, cnt);
#else
  for (int64_t q = 0; q < cnt; q++) p[q] = v[q];
#endif
}

/* gemm_small: C = alpha·op(A)·op(B) + beta·C for products gemm.cc deems tiny (k·⌈n/16⌉·16 ≤ GEMM_SMALL_B). op(B) is
 * copied into a zero-padded stack panel of F32_EPR-aligned rows; A is read in place; 8 rows × one vector of C
 * accumulate in registers in k order (rows past m alias the last valid row, as in the micro-kernels). No team, no
 * heap scratch, no NR-wide padding: per call this costs a few hundred cycles less than the packed path. Accuracy:
 * float32 FMA accumulation in k order, like the micro-kernels. */
void gemm_small(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                float beta, float* c) {
  constexpr int64_t E = F32_EPR;
  const int64_t ldb = (n + E - 1) / E * E;
  alignas(64) float bp[GEMM_SMALL_B];
  // Rows of op(B) are a few floats: whole vectors where B is row-major, then column by column (strided both ways,
  // so the compiler emits no memcpy/memset call per row) over zeroed padding lanes.
  const int64_t rs_b = tb ? 1 : n, cs_b = tb ? k : 1;
  const int64_t full = tb ? 0 : n / E * E;
  for (int64_t p = 0; p < k; p++) {
    float* d = bp + p * ldb;
    for (int64_t j = 0; j < full; j += E) f32v_store(d + j, f32v_load(b + p * n + j));
    if (ldb != n) f32v_store(d + ldb - E, f32v{});
  }
  int64_t col = full;
#if defined(__AVX__)
  if (tb) {
    // op(B) = Bᵀ: 8×8 transposes, then the leftover columns and rows one by one.
    const int64_t k8 = k / 8 * 8;
    for (; col + 8 <= n; col += 8) {
      for (int64_t p = 0; p < k8; p += 8) transpose_8x8(b + col * k + p, k, bp + p * ldb + col, ldb);
      for (int64_t p = k8; p < k; p++)
        for (int64_t q = col; q < col + 8; q++) bp[p * ldb + q] = b[q * k + p];
    }
  }
#endif
  for (; col < n; col++)
    for (int64_t p = 0; p < k; p++) bp[p * ldb + col] = b[p * rs_b + col * cs_b];
  const int64_t rs = ta ? 1 : k, cs = ta ? m : 1;
  const f32v va = f32v_splat(alpha), vb = f32v_splat(beta);
  for (int64_t i0 = 0; i0 < m; i0 += 8) {
    const int64_t rows = m - i0 < 8 ? m - i0 : 8;
#define ROW_PTR(i) const float* a##i = a + (i0 + (i < rows ? i : rows - 1)) * rs;
    ROW_PTR(0) ROW_PTR(1) ROW_PTR(2) ROW_PTR(3) ROW_PTR(4) ROW_PTR(5) ROW_PTR(6) ROW_PTR(7)
#undef ROW_PTR
    for (int64_t j = 0; j < n; j += E) {
      f32v c0 = {}, c1 = {}, c2 = {}, c3 = {}, c4 = {}, c5 = {}, c6 = {}, c7 = {};
      const float* bj = bp + j;
      for (int64_t p = 0, o = 0; p < k; p++, o += cs) {
        const f32v bv = f32v_load(bj + p * ldb);
        c0 += a0[o] * bv;
        c1 += a1[o] * bv;
        c2 += a2[o] * bv;
        c3 += a3[o] * bv;
        c4 += a4[o] * bv;
        c5 += a5[o] * bv;
        c6 += a6[o] * bv;
        c7 += a7[o] * bv;
      }
      const int64_t cnt = n - j < E ? n - j : E;
      // beta = 0 never reads C (it may hold NaN).
#define STORE(r)                                                                             \
  if (r < rows) {                                                                            \
    float* cr = c + (i0 + r) * n + j;                                                        \
    const f32v t = va * c##r;                                                                \
    if (cnt == E) f32v_store(cr, beta == 0.0f ? t : vb * f32v_load(cr) + t);                 \
    else f32v_store_first(cr, beta == 0.0f ? t : vb * f32v_load_first(cr, cnt) + t, cnt);     \
  }
      STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
    }
  }
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
