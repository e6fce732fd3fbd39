/* The first n lanes of an AVX2 vector (all 8 when n ≥ 8) stored without vmaskmovps: on AMD's cores (Zen 2 to 4) a
 * masked store is microcoded, many times slower than a plain one, and a kernel that ends each output row with one
 * pays it on every row (CNN-S conv1's AVX2 direct forward, with one masked store per output vector, ran at 12.5
 * GFLOP/s and spent most of it there). Halves, quarters and a last lane instead: at most three plain stores.
 * Included by sources compiled with AVX2 enabled or from functions with target("avx2"). */
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

namespace descent {

__attribute__((target("avx2"), always_inline)) inline void store_first8(float* p, __m256 v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, part);
    part = _mm256_extractf128_ps(v, 1);
    p += 4, n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
    part = _mm_movehl_ps(part, part);
    p += 2, n -= 2;
  }
  if (n >= 1) _mm_store_ss(p, part);
}

}  // namespace descent
#endif
