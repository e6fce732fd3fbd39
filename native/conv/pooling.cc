/* max_pool2d / avg_pool2d forward and backward over nc independent h×w planes (NCHW with n·c planes). Each output
 * scans its window clipped to the image; max keeps PyTorch's rule (replace only when strictly greater or NaN, so
 * the first maximum wins and a NaN propagates) and records iy·w + ix; avg divides the float32 window sum by PyTorch's
 * divisor (count_include_pad counts padded positions inside the padded image). Planes are split over threads in
 * fixed chunks; a plane's arithmetic does not depend on the split, so results are bit-identical for any thread
 * count. The 2×2 stride-2 unpadded max pool (the common case) has its own branch-free loop (bench, 8×16 planes of
 * 28×28, one thread: 0.033 → 0.025 ms). */
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cmath>
#include <cstring>
#include <limits>

#include "../clones.h"
#include "../kernels.h"
#include "../pool.h"
#include "window-max.h"

namespace descent {

namespace {

/* Planes per task: about 64 Ki input elements, so small calls stay on the calling thread. */
inline int64_t plane_grain(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  const int64_t per = h * w + oh * ow + 1;
  const int64_t g = (1 << 16) / per;
  return g > 0 ? g : 1;
}

inline int64_t clamp_lo(int64_t v) { return v < 0 ? 0 : v; }
inline int64_t clamp_hi(int64_t v, int64_t hi) { return v > hi ? hi : v; }

void max_plane(int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
               int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) {
  for (int64_t oy = 0; oy < oh; oy++)
    for (int64_t ox = 0; ox < ow; ox++) {
      const int64_t y0 = clamp_lo(oy * sh - ph), y1 = clamp_hi(oy * sh - ph + kh, h);
      const int64_t x0 = clamp_lo(ox * sw - pw), x1 = clamp_hi(ox * sw - pw + kw, w);
      float best = -std::numeric_limits<float>::infinity();
      int64_t at = y0 < y1 && x0 < x1 ? y0 * w + x0 : 0;
      for (int64_t iy = y0; iy < y1; iy++)
        for (int64_t ix = x0; ix < x1; ix++) {
          const float v = x[iy * w + ix];
          if (v > best || v != v) best = v, at = iy * w + ix;
        }
      y[oy * ow + ox] = best;
      idx[oy * ow + ox] = (int32_t)at;
    }
}

/* kh = kw = sh = sw = 2, no padding: windows never leave the image when 2·oh ≤ h and 2·ow ≤ w. Branch-free
 * selects (window order, replace when greater or NaN) so the compiler vectorises across outputs. */
DESCENT_CLONES void max_plane_2x2(int64_t w, int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) {
  for (int64_t oy = 0; oy < oh; oy++) {
    const float* r0 = x + 2 * oy * w;
    const float* r1 = r0 + w;
    float* yo = y + oy * ow;
    int32_t* io = idx + oy * ow;
    const int32_t base = (int32_t)(2 * oy * w), wi = (int32_t)w;
    for (int64_t ox = 0; ox < ow; ox++) {
      // Starting from the first element gives what starting from −∞ at it would: it wins unless it is −∞, and
      // then it stays recorded anyway.
      const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
      const int32_t i = base + 2 * (int32_t)ox;
      float best = a;
      int32_t at = i;
      bool t = b > best || b != b;
      best = t ? b : best, at = t ? i + 1 : at;
      t = c > best || c != c;
      best = t ? c : best, at = t ? i + wi : at;
      t = d > best || d != d;
      best = t ? d : best, at = t ? i + wi + 1 : at;
      yo[ox] = best;
      io[ox] = at;
    }
  }
}

/* At most this many horizontal pairs (two rows of each window row) go through the even-width pass below: its
 * scratch lives on the stack (64 KiB). */
constexpr int64_t EVEN_PAIRS_MAX = 4096;

/* The 2×2 stride-2 pool when w = 2·ow: the horizontal pairs (x[2j], x[2j+1]) of the first 2·oh rows form one
 * contiguous sequence, so the horizontal half of every window is taken over the whole plane in one vectorised loop
 * (row by row, CNN-S's rows of 14 and 7 outputs are too short for the vector loop: the pass above runs scalar
 * there), then each output combines its top and bottom pair. Replacing when greater or NaN, horizontally and then
 * vertically, picks the element the window-order scan picks: the first maximum, or the last NaN. */
DESCENT_CLONES void max_plane_2x2_even(int64_t oh, int64_t ow, const float* __restrict x, float* __restrict y,
                                       int32_t* __restrict idx) {
  float hv[EVEN_PAIRS_MAX];
  int32_t hi[EVEN_PAIRS_MAX];
  const int64_t pairs = 2 * oh * ow;
  for (int64_t j = 0; j < pairs; j++) {
    const float a = x[2 * j], b = x[2 * j + 1];
    const bool t = b > a || b != b;
    hv[j] = t ? b : a;
    hi[j] = (int32_t)(2 * j) + (t ? 1 : 0);  // 2j = iy·w + ix, since w = 2·ow
  }
  // The vertical half over the same sequence: vv[j] combines pair j with pair j + ow below it. For j in a window's
  // top row that is the window's result; the other half (bottom rows against the next top row) is computed and
  // dropped, so this is one long vector loop rather than short rows of ow whose scalar remainders would branch on
  // the data (conv outputs, half negative, in no order: mispredicted half the time, 3× slower on random data).
  float vv[EVEN_PAIRS_MAX];
  int32_t vi[EVEN_PAIRS_MAX];
  for (int64_t j = 0; j + ow < pairs; j++) {
    const float tv = hv[j], bv = hv[j + ow];
    const bool t = (bv > tv) | (bv != bv);
    vv[j] = t ? bv : tv;
    vi[j] = t ? hi[j + ow] : hi[j];
  }
  for (int64_t oy = 0; oy < oh; oy++)
    for (int64_t ox = 0; ox < ow; ox++) {
      y[oy * ow + ox] = vv[2 * oy * ow + ox];
      idx[oy * ow + ox] = vi[2 * oy * ow + ox];
    }
}

#if defined(__x86_64__)
/* max_plane_2x2 with AVX-512, 16 windows a step: each window row's two image rows are loaded once and split into
 * their even and odd columns, then the four candidates are taken in window order with max_plane_2x2's rule (replace
 * when greater or NaN), so the results are its bits. The portable loops above stay mostly scalar at CNN-S's rows of
 * 14 and 7 windows (and the even-width pass copies its results out row by row). */
/* Each lane's window (window_max) stored for the lanes of m: the maximum and its position. */
__attribute__((target("avx512f"), always_inline)) inline void max_of_window(__m512 a, __m512 b, __m512 c, __m512 d,
                                                                         __m512i origin, __m512i below, __mmask16 m,
                                                                         float* y, int32_t* idx) {
  const WindowMax r = window_max(a, b, c, d, origin, below);
  _mm512_mask_storeu_ps(y, m, r.best);
  _mm512_mask_storeu_epi32(idx, m, r.at);
}

__attribute__((target("avx512f"))) void max_plane_2x2_avx512(int64_t w, int64_t oh, int64_t ow, const float* x,
                                                             float* y, int32_t* idx) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), below = _mm512_set1_epi32((int32_t)w);
  // Rows of at most 8 windows (CNN-S's second layer: 7) go two at a time: lane l is window l mod ow of window row
  // l / ow, whose top-left element is 2·w·(l / ow) + 2·(l mod ow) after the pair's; its columns come from the
  // first image row pair (lanes < ow) or the second (16 + …).
  alignas(64) int32_t pair_at[16] = {}, pair_col[16] = {};
  // l / ow and l mod ow counted up: this runs once per plane, where 32 divisions cost about as much as the pooling.
  for (int64_t l = 0, row = 0, col = 0; l < 2 * ow && l < 16; l++) {
    pair_at[l] = (int32_t)(row * 2 * w + 2 * col);
    pair_col[l] = (int32_t)(row * 16 + 2 * col);
    if (++col == ow) col = 0, row++;
  }
  const __m512i pair = _mm512_load_si512(pair_at), pair_even = _mm512_load_si512(pair_col);
  const __m512i pair_odd = _mm512_add_epi32(pair_even, one);
  const __mmask16 pair_lanes = ow <= 8 ? (__mmask16)((1u << (2 * ow)) - 1) : (__mmask16)0;
  for (int64_t oy = 0; oy < oh; oy++) {
    const float* r0 = x + 2 * oy * w;
    const float* r1 = r0 + w;
    if (ow <= 8 && oy + 1 < oh) {
      // Image rows 2·oy … 2·oy + 3, 2·ow floats each: windows of row oy from the first two, of row oy + 1 from the others.
      const __m512 t0 = _mm512_maskz_loadu_ps(pair_lanes, r0), u0 = _mm512_maskz_loadu_ps(pair_lanes, r1);
      const __m512 t1 = _mm512_maskz_loadu_ps(pair_lanes, r1 + w), u1 = _mm512_maskz_loadu_ps(pair_lanes, r1 + 2 * w);
      const __m512 a = _mm512_permutex2var_ps(t0, pair_even, t1), b = _mm512_permutex2var_ps(t0, pair_odd, t1);
      const __m512 c = _mm512_permutex2var_ps(u0, pair_even, u1), d = _mm512_permutex2var_ps(u0, pair_odd, u1);
      max_of_window(a, b, c, d, _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w)), pair), below, pair_lanes,
                    y + oy * ow, idx + oy * ow);
      oy++;
      continue;
    }
    for (int64_t ox = 0; ox < ow; ox += 16) {
      const int64_t n = ow - ox < 16 ? ow - ox : 16;
      const __mmask16 m = (__mmask16)((1u << n) - 1);
      // 2n floats of each row: the first 16 of them, then the rest.
      const __mmask16 lo = n >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1);
      const __mmask16 hi = n > 8 ? (__mmask16)((1u << (2 * (n - 8))) - 1) : (__mmask16)0;
      const __m512 t0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), t1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
      const __m512 u0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), u1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
      const __m512 a = _mm512_permutex2var_ps(t0, even, t1), b = _mm512_permutex2var_ps(t0, odd, t1);
      const __m512 c = _mm512_permutex2var_ps(u0, even, u1), d = _mm512_permutex2var_ps(u0, odd, u1);
      max_of_window(a, b, c, d, _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w + 2 * ox)), even), below, m,
                    y + oy * ow + ox, idx + oy * ow + ox);
    }
  }
}
#endif

/* dx = 0, then each output's gradient added at its recorded position (windows may overlap, so +=, in output order). */
DESCENT_CLONES void max_bwd_plane(int64_t hw, int64_t ohw, const float* g, const int32_t* at, float* d) {
  std::memset(d, 0, hw * sizeof(float));
  for (int64_t o = 0; o < ohw; o++) d[at[o]] += g[o];
}

/* PyTorch's divisor for the window starting at padded coordinates (ys, xs); ≤ 0 means the output is 0. */
inline int64_t avg_divisor(int64_t ys, int64_t xs, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t ph, int64_t pw,
                           int include_pad) {
  if (include_pad) return (clamp_hi(ys + kh, h + ph) - ys) * (clamp_hi(xs + kw, w + pw) - xs);
  const int64_t dy = clamp_hi(ys + kh, h) - clamp_lo(ys), dx = clamp_hi(xs + kw, w) - clamp_lo(xs);
  return (dy > 0 ? dy : 0) * (dx > 0 ? dx : 0);
}

}  // namespace

void max_pool2d_planes(int64_t lo, int64_t hi, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       int64_t ph, int64_t pw, int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) noexcept {
  const bool fast = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && 2 * oh <= h && 2 * ow <= w;
#if defined(__x86_64__)
  if (fast && isa_avx512_active()) {
    for (int64_t p = lo; p < hi; p++) max_plane_2x2_avx512(w, oh, ow, x + p * h * w, y + p * oh * ow, idx + p * oh * ow);
    return;
  }
#endif
  for (int64_t p = lo; p < hi; p++) {
    if (fast && w == 2 * ow && 2 * oh * ow <= EVEN_PAIRS_MAX) max_plane_2x2_even(oh, ow, x + p * h * w, y + p * oh * ow, idx + p * oh * ow);
    else if (fast) max_plane_2x2(w, oh, ow, x + p * h * w, y + p * oh * ow, idx + p * oh * ow);
    else max_plane(h, w, kh, kw, sh, sw, ph, pw, oh, ow, x + p * h * w, y + p * oh * ow, idx + p * oh * ow);
  }
}

void max_pool2d_fwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) noexcept {
  parallel_chunks(nc, plane_grain(h, w, oh, ow), [&](int64_t lo, int64_t hi) {
    max_pool2d_planes(lo, hi, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx);
  });
}

void max_pool2d_bwd_planes(int64_t lo, int64_t hi, int64_t hw, int64_t ohw, const float* dy, const int32_t* idx,
                           float* dx) noexcept {
  for (int64_t p = lo; p < hi; p++) max_bwd_plane(hw, ohw, dy + p * ohw, idx + p * ohw, dx + p * hw);
}

void max_pool2d_bwd_f32(int64_t nc, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* dy, const int32_t* idx,
                        float* dx) noexcept {
  parallel_chunks(nc, plane_grain(h, w, oh, ow), [&](int64_t lo, int64_t hi) {
    max_pool2d_bwd_planes(lo, hi, h * w, oh * ow, dy, idx, dx);
  });
}

void avg_pool2d_fwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, int include_pad, const float* x, float* y) noexcept {
  parallel_chunks(nc, plane_grain(h, w, oh, ow), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++) {
      const float* xp = x + p * h * w;
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          const int64_t ys = oy * sh - ph, xs = ox * sw - pw;
          const int64_t div = avg_divisor(ys, xs, h, w, kh, kw, ph, pw, include_pad);
          const int64_t y1 = clamp_hi(ys + kh, h), x1 = clamp_hi(xs + kw, w);
          float sum = 0.0f;
          for (int64_t iy = clamp_lo(ys); iy < y1; iy++)
            for (int64_t ix = clamp_lo(xs); ix < x1; ix++) sum += xp[iy * w + ix];
          y[(p * oh + oy) * ow + ox] = div > 0 ? sum / (float)div : 0.0f;
        }
    }
  });
}

void avg_pool2d_bwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, int include_pad, const float* dy, float* dx) noexcept {
  parallel_chunks(nc, plane_grain(h, w, oh, ow), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++) {
      float* d = dx + p * h * w;
      std::memset(d, 0, h * w * sizeof(float));
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          const int64_t ys = oy * sh - ph, xs = ox * sw - pw;
          const int64_t div = avg_divisor(ys, xs, h, w, kh, kw, ph, pw, include_pad);
          if (div <= 0) continue;
          const float g = dy[(p * oh + oy) * ow + ox] / (float)div;
          const int64_t y1 = clamp_hi(ys + kh, h), x1 = clamp_hi(xs + kw, w);
          for (int64_t iy = clamp_lo(ys); iy < y1; iy++)
            for (int64_t ix = clamp_lo(xs); ix < x1; ix++) d[iy * w + ix] += g;
        }
    }
  });
}

}  // namespace descent
