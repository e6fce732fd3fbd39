/* The 2×2 max pool's window rule on 16 windows at once (AVX-512), shared by the pool's own loop (pooling.cc) and
 * the kernels that pool a convolution's output while it is still in registers (winograd.cc's output transform):
 * the four candidates a, b (top row), c, d (bottom row) taken in window order, each replacing the best so far when
 * greater or NaN (PyTorch's rule: the first maximum wins, a NaN propagates), so every caller gives the portable
 * loops' bits. Also the ReLU on pooled values with relu_fwd's rule (`v <= 0 ? 0 : v`: NaN kept, −0 → +0). */
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace descent {

struct WindowMax {
  __m512 best;
  __m512i at;  // the winner's position: origin + 0, 1, below or below + 1
};

__attribute__((target("avx512f"), always_inline)) inline WindowMax window_max(__m512 a, __m512 b, __m512 c, __m512 d,
                                                                            __m512i origin, __m512i below) {
  const __m512i one = _mm512_set1_epi32(1), diagonal = _mm512_add_epi32(below, one);
  WindowMax r{a, origin};
  __mmask16 t = _mm512_cmp_ps_mask(b, r.best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
  r.best = _mm512_mask_mov_ps(r.best, t, b), r.at = _mm512_mask_add_epi32(r.at, t, origin, one);
  t = _mm512_cmp_ps_mask(c, r.best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q);
  r.best = _mm512_mask_mov_ps(r.best, t, c), r.at = _mm512_mask_add_epi32(r.at, t, origin, below);
  t = _mm512_cmp_ps_mask(d, r.best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
  r.best = _mm512_mask_mov_ps(r.best, t, d), r.at = _mm512_mask_add_epi32(r.at, t, origin, diagonal);
  return r;
}

__attribute__((target("avx512f"), always_inline)) inline __m512 relu16(__m512 v) {
  const __m512 zero = _mm512_setzero_ps();
  return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ), zero);
}

}  // namespace descent
#endif
