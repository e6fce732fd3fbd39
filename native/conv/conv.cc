/* conv2d_{fwd,bwd_data,bwd_filter}_f32: convolution lowered to the tuned GEMM's micro-kernel, NCHW, weight
 * [oc, c/groups, kh, kw]. One group (the common case) takes packed paths that never build a whole im2col matrix:
 * - forward: W packed once per call; per sample, the taps go straight into the GEMM's NR-wide B panels (stride-1
 *   'same' layers: masked copies from the sample's planes between zero margins, one panel at a time in L1; other
 *   geometries: im2col row by row), bias added per micro-tile;
 * - input gradient of stride-1 layers with at least MR input channels: the forward above over dY with the flipped,
 *   transposed filters;
 * - weight gradient with ≥ NR taps: dWᵀ = col·dYᵀ, MR tap rows at a time built in a small buffer and read in place
 *   (fused behind a pool whose windows tile the plane: dYᵀ packed straight from the pooled gradient);
 * - weight gradient of a one-channel 3×3 'same' layer with a multiple of 16 pixels (AVX-512): the dot path's sums
 *   straight from the zero-padded plane (c1k3_tap_sums3), same bits, no im2col; fused behind a 2×2 stride-2 pool,
 *   the same sums from the pooled gradient with the filters in the lanes (c1k3_pooled_block), no expansion.
 * Everything else (groups, strided input gradients, few-tap weight gradients, huge planes, no memory for the packed
 * buffers): per sample im2col builds col[c·kh·kw, oh·ow] (taps outside the image read zero), then per group
 * y_g = W_g·col_g, dW_g += dY_g·col_gᵀ (dot products when there are few taps), col_g = W_gᵀ·dY_g then col2im; 1×1
 * stride-1 unpadded convolutions use x (or dx) as col directly. Threads take whole samples (forward, input gradient)
 * or fixed chunks of CHUNK samples (weight gradient: one partial sum per chunk, added in chunk order), so every
 * result is bit-identical for any thread count. Accuracy: float32 FMA accumulation over c/groups·kh·kw (forward),
 * oc·kh·kw (flipped input gradient; col2im adds per-tap products instead) or oh·ow per sample (weight gradient).
 * conv2d_max_pool2d_{fwd,bwd}_f32 run the same per-sample work with a max pool (and a ReLU after it) folded in: the
 * forward writes each sample's output into a per-thread buffer and pools it there (a 2×2 stride-2 pool after
 * Winograd or the direct one-channel forward: in registers as the output is made, never stored); the backward expands each
 * sample's gradient from the pool's (Unpool) where the weight and input gradients read dY, so neither ever exists
 * for the whole batch, and the results are the unfused kernels' bits. */
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "../clones.h"
#include "../kernels.h"
#include "../pool.h"
#include "../store-first.h"
#include "winograd.h"
#include "window-max.h"

namespace descent {

namespace {

/* Samples per partial weight-gradient sum: fixed, so the summation order never depends on the thread count. */
constexpr int64_t CHUNK = 8;
/* Tasks per call stay below this (more samples per task for huge batches), so per-task flags fit on the stack. */
constexpr int64_t MAX_TASKS = 1024;
/* Calls with fewer multiply-adds than this stay on the calling thread. */
constexpr int64_t PARALLEL_MIN_MACS = 1 << 18;

/* A growable 64-byte aligned float block owned by one thread (worker im2col buffers, weight-gradient partials). */
struct Workspace {
  float* p = nullptr;
  size_t cap = 0;
  ~Workspace() { std::free(p); }
  float* get(size_t floats) {
    if (cap < floats) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
      cap = p ? floats : 0;
    }
    return p;
  }
};
thread_local Workspace worker_col, partials;

struct Conv {
  int64_t n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow;
  int64_t cg, ocg, kg, ohw;  // channels and GEMM depth per group, output pixels per plane
  bool pointwise;            // 1×1, stride 1, no padding, same size: x is its own im2col
};

Conv make_conv(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
               int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh, int64_t ow) {
  Conv P{n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, 0, 0, 0, 0, false};
  P.cg = c / groups, P.ocg = oc / groups, P.kg = P.cg * kh * kw, P.ohw = oh * ow;
  P.pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == h && ow == w;
  return P;
}

/* Output columns [lo, hi) of a row whose input column ox·sw + off lies in [0, w). */
inline void valid_cols(int64_t off, int64_t sw, int64_t w, int64_t ow, int64_t* lo, int64_t* hi) {
  int64_t l = off >= 0 ? 0 : (-off + sw - 1) / sw;
  int64_t r = off >= w ? 0 : (w - off + sw - 1) / sw;
  if (r > ow) r = ow;
  if (l > r) l = r;
  *lo = l, *hi = r;
}

/* Stride 1 with output rows as wide as input rows (ow = w: 'same' padding, k3p1, k5p2): a tap's col row is the
 * input plane shifted by dy·w + dx as one flat array, so im2col and col2im move it in one long vectorised loop
 * instead of a short loop per output row; only the positions that wrap into the neighbouring row (|dx| of them per
 * row) and the rows above or below the image are fixed up. */
inline bool flat_taps(const Conv& P) {
  return P.sh == 1 && P.sw == 1 && P.ow == P.w && P.pw < P.w && (P.kw - 1) * P.dilw - P.pw < P.w;
}

/* One tap of the flat layout: output rows [oy0, oy1) read input rows oy + dy; flat positions [jlo, jhi) are in
 * range for a shift of dy·w + dx. */
struct FlatTap {
  int64_t dy, dx, oy0, oy1, jlo, jhi;
};

inline FlatTap flat_tap(const Conv& P, int64_t ky, int64_t kx) {
  FlatTap t;
  t.dy = ky * P.dilh - P.ph, t.dx = kx * P.dilw - P.pw;
  t.oy0 = t.dy < 0 ? -t.dy : 0;
  t.oy1 = P.h - t.dy < P.oh ? P.h - t.dy : P.oh;
  if (t.oy0 > P.oh) t.oy0 = P.oh;
  if (t.oy1 < t.oy0) t.oy1 = t.oy0;
  t.jlo = t.oy0 * P.w + (t.dx < 0 ? -t.dx : 0);
  t.jhi = t.oy1 * P.w - (t.dx > 0 ? t.dx : 0);
  if (t.jhi < t.jlo) t.jhi = t.jlo;
  return t;
}

/* Zeroes the positions of rows [oy0, oy1) that a shift of dx wraps into the neighbouring input row. */
inline void zero_wrapped(const Conv& P, const FlatTap& t, float* row) {
  const int64_t from = t.dx > 0 ? P.w - t.dx : 0, to = t.dx > 0 ? P.w : -t.dx;
  for (int64_t oy = t.oy0; oy < t.oy1; oy++)
    for (int64_t ox = from; ox < to; ox++) row[oy * P.w + ox] = 0.0f;
}

/* One row of im2col: out[oy·ow + ox] = xp[oy·sh − ph + ky·dilh, ox·sw − pw + kx·dilw] (one channel plane xp),
 * zero outside the image. */
DESCENT_CLONES void im2col_row(const Conv& P, const float* xp, int64_t ky, int64_t kx, float* out) {
  if (flat_taps(P)) {
    const FlatTap t = flat_tap(P, ky, kx);
    float* __restrict o = out;
    const float* __restrict src = xp;
    const int64_t shift = t.dy * P.w + t.dx;  // j + shift stays in the plane for j in [jlo, jhi)
    std::memset(o, 0, t.jlo * sizeof(float));
    for (int64_t j = t.jlo; j < t.jhi; j++) o[j] = src[j + shift];
    std::memset(o + t.jhi, 0, (P.ohw - t.jhi) * sizeof(float));
    zero_wrapped(P, t, o);
    return;
  }
  const int64_t off = kx * P.dilw - P.pw;
  int64_t lo, hi;
  valid_cols(off, P.sw, P.w, P.ow, &lo, &hi);
  for (int64_t oy = 0; oy < P.oh; oy++, out += P.ow) {
    const int64_t iy = oy * P.sh - P.ph + ky * P.dilh;
    if (iy < 0 || iy >= P.h || lo == hi) {
      for (int64_t ox = 0; ox < P.ow; ox++) out[ox] = 0.0f;
      continue;
    }
    for (int64_t ox = 0; ox < lo; ox++) out[ox] = 0.0f;
    const float* src = xp + iy * P.w + off;
    // Plain loops, not memcpy: rows are short (14–28 floats in CNN-S) and a call per row costs more than it moves.
    if (P.sw == 1) for (int64_t ox = lo; ox < hi; ox++) out[ox] = src[ox];
    else for (int64_t ox = lo; ox < hi; ox++) out[ox] = src[ox * P.sw];
    for (int64_t ox = hi; ox < P.ow; ox++) out[ox] = 0.0f;
  }
}

/* col[(ci·kh + ky)·kw + kx, oy·ow + ox] = x[ci, oy·sh − ph + ky·dilh, ox·sw − pw + kx·dilw], zero outside. */
void im2col(const Conv& P, const float* x, float* col) {
  const int64_t rows = P.groups * P.cg;
  for (int64_t ci = 0; ci < rows; ci++)
    for (int64_t ky = 0; ky < P.kh; ky++)
      for (int64_t kx = 0; kx < P.kw; kx++)
        im2col_row(P, x + ci * P.h * P.w, ky, kx, col + ((ci * P.kh + ky) * P.kw + kx) * P.ohw);
}

/* dx = 0, then dx[ci, iy, ix] += col[(ci, ky, kx), (oy, ox)] over every tap inside the image (im2col's adjoint).
 * The flat layout first zeroes the wrapped positions of the (scratch) col row: adding +0 leaves every sum as it was,
 * since dx starts at +0 and so is never −0. */
DESCENT_CLONES void col2im(const Conv& P, float* col, float* dx) {
  std::memset(dx, 0, P.c * P.h * P.w * sizeof(float));
  const int64_t rows = P.groups * P.cg;
  const bool flat = flat_taps(P);
  for (int64_t ci = 0; ci < rows; ci++)
    for (int64_t ky = 0; ky < P.kh; ky++)
      for (int64_t kx = 0; kx < P.kw; kx++) {
        float* in = col + ((ci * P.kh + ky) * P.kw + kx) * P.ohw;
        float* xp = dx + ci * P.h * P.w;
        if (flat) {
          const FlatTap t = flat_tap(P, ky, kx);
          zero_wrapped(P, t, in);
          const float* __restrict i = in;
          float* __restrict dst = xp;
          const int64_t shift = t.dy * P.w + t.dx;
          for (int64_t j = t.jlo; j < t.jhi; j++) dst[j + shift] += i[j];
          continue;
        }
        const int64_t off = kx * P.dilw - P.pw;
        int64_t lo, hi;
        valid_cols(off, P.sw, P.w, P.ow, &lo, &hi);
        for (int64_t oy = 0; oy < P.oh; oy++, in += P.ow) {
          const int64_t iy = oy * P.sh - P.ph + ky * P.dilh;
          if (iy < 0 || iy >= P.h) continue;
          float* dst = xp + iy * P.w + off;
          if (P.sw == 1) for (int64_t ox = lo; ox < hi; ox++) dst[ox] += in[ox];
          else for (int64_t ox = lo; ox < hi; ox++) dst[ox * P.sw] += in[ox];
        }
      }
}

/* One parallel call: tasks over samples or chunks, each needing an im2col buffer. The caller's thread uses the
 * caller's `col`; workers use their own (grown once, kept). A worker that cannot allocate marks its task undone and
 * the caller runs it afterwards: the arithmetic of a task never depends on where it runs. */
/* The max pool conv2d_max_pool2d_fwd_f32 applies to each sample's output planes. */
struct FusedPool {
  int64_t kh, kw, sh, sw, ph, pw, qh, qw;
  float* y;
  int32_t* idx;
  bool relu;  // then ReLU on the pooled values
};

/* conv2d_max_pool2d_bwd: the convolution's output gradient comes from the pool's (dy, idx), expanded per sample. */
struct Unpool {
  const float* dy;     // the pool's output gradient, [n, planes, qhw]
  const int32_t* idx;  // its winners: positions in an hw plane
  const float* y;      // the pooled output a ReLU after the pool made (its backward masks dy), or nullptr
  int64_t planes, hw, qhw;
  int64_t w, qh, qw;   // plane width, pooled rows and columns
  bool tiled;          // the pooled windows' 2×2 blocks tile the plane and the ISA is AVX-512 (unpool_tiled)
};

struct Job {
  const Conv* P;
  std::thread::id caller;
  float* col;
  size_t col_floats;
  int64_t per_task, items;
  void (*item)(const Job&, int64_t, float*);
  const float* a;  // x (forward, weight gradient) or dy (input gradient)
  const float* b;  // weight, or dy (weight gradient)
  const float* bias;
  float* out;      // y, dx, or the weight-gradient partials
  const isa_table* T;
  bool dot;  // weight gradient through gemm_nt_dot rather than the packed GEMM
  const float* apack;       // packed forward: W in MR-tall panels, one block of m_pad × kc per k block
  int64_t m_pad, kc_step;   // packed forward: rows of W padded to MR, GEMM depth per k block
  const uint32_t* valid;    // packed forward, flat taps: per kx, the positions whose column stays in the image
  const int64_t* taps;      // packed forward, flat taps: per tap, its padded-plane offset and its mask's offset
  const FusedPool* pool;    // conv2d_max_pool2d_fwd: each sample's output is pooled at once (else nullptr)
  float* caller_out;        // fused: the calling thread's buffer for one sample's output (workers: fused_out)
  const Unpool* unpool;     // conv2d_max_pool2d_bwd: dY (or the flipped forward's input) is expanded per sample
  bool direct;              // forward through fwd_c1k3_into (b: the weight)
  bool direct_avx2;         // direct through the AVX2 form (fwd_c1k3_into_avx2), pooled by pool_sample when fused
  bool direct_pool;         // direct and fused with a 2×2 stride-2 pool: fwd_c1k3_pooled
  const WinogradPlan* wino; // forward through winograd_input/output (col: their scratch), items: groups of samples
  bool wino_pool;           // fused 2×2 stride-2 pool: winograd_output pools each output tile itself
  const uint16_t* lane_masks; // c1k3 weight gradient: per 16 pixels, the lanes kx = 0 reads inside the row, then kx = 2's
  const int32_t* pixels;      // pooled c1k3 weight gradient: its C1k3Pixel table
  bool pooled_dyt;            // transposed weight gradient: B packed from the pooled gradient (pack_pooled_dyt)
  unsigned char undone[MAX_TASKS];
};

thread_local Workspace fused_out, unpooled;

/* One plane when the pooled windows' 2×2 blocks tile it (h = 2·qh, w = 2·qw: a 2×2 stride-2 pool) and every index
 * lies in its window's block, which such a pool guarantees: each position then receives its block's gradient or
 * nothing, so the two image rows of each row of windows are written once, 16 windows a step (no zeroing pass, no
 * scatter). Each value is +0 plus the gradient or +0, as zeroing then adding gives, and the ReLU mask is relu_bwd's
 * `y > 0` (false for NaN). False at an index outside its block (another pooling with these sizes): the caller then
 * zeroes and scatters the plane. AVX-512 only (chosen when the active ISA is): GCC leaves the portable form of this
 * loop scalar, no faster than the scatter. */
#if defined(__x86_64__)
/* The windows of the lanes of m, their gradients at g (ReLU-masked by y > 0), indices at idx and blocks starting at
 * origin: q[0], q[1] (top row) and q[2], q[3] (bottom row) of each block hold the gradient where the index names
 * that position and +0 elsewhere (gradient + 0, as zeroing then adding gives). False when an index names none. */
template <bool Relu>
__attribute__((target("avx512f"), always_inline)) inline bool block_values(__mmask16 m, const float* g, const int32_t* idx,
                                                                         const float* y, __m512i origin, __m512i below,
                                                                         __m512 q[4]) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512i one = _mm512_set1_epi32(1);
  __m512 v = _mm512_maskz_loadu_ps(m, g);
  if (Relu) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, y), zero, _CMP_GT_OQ), v);
  const __m512i r = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, idx), origin);
  const __mmask16 k[4] = {_mm512_cmpeq_epi32_mask(r, _mm512_setzero_si512()), _mm512_cmpeq_epi32_mask(r, one),
                          _mm512_cmpeq_epi32_mask(r, below), _mm512_cmpeq_epi32_mask(r, _mm512_add_epi32(below, one))};
  if ((__mmask16)((k[0] | k[1] | k[2] | k[3]) & m) != m) return false;
  for (int i = 0; i < 4; i++) q[i] = _mm512_add_ps(_mm512_maskz_mov_ps(k[i], v), zero);
  return true;
}

template <bool Relu>
__attribute__((target("avx512f"))) bool unpool_tiled(int64_t w, int64_t qh, int64_t qw, const float* g,
                                                     const int32_t* idx, const float* y, float* out) {
  const __m512i twice = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // Interleaving a (left column of each block) and b (right column): a0 b0 a1 b1 … then a8 b8 a9 b9 ….
  const __m512i first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i second = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i below = _mm512_set1_epi32((int32_t)w);
  // Rows of at most 8 windows (CNN-S's second layer: 7) go two at a time: lane l is window l mod qw of row l / qw,
  // whose block starts 2·w·(l / qw) + 2·(l mod qw) after the pair's.
  alignas(64) int32_t pair_offsets[16] = {};
  // Row and column of lane l counted up, not l / qw and l % qw: this runs once per plane (32 planes a sample, twice,
  // in CNN-S's conv2 backward), where 14 divisions cost more than expanding the plane.
  for (int64_t l = 0, row = 0, col = 0; l < 2 * qw && l < 16; l++) {
    pair_offsets[l] = (int32_t)(row * 2 * w + 2 * col);
    if (++col == qw) col = 0, row++;
  }
  const __m512i pair = _mm512_load_si512(pair_offsets);
  const __m512i upper = _mm512_add_epi32(first, _mm512_set1_epi32((int32_t)qw));  // the second row's interleave
  const __mmask16 pair_lanes = qw <= 8 ? (__mmask16)((1u << (2 * qw)) - 1) : (__mmask16)0, row_floats = pair_lanes;
  for (int64_t oy = 0; oy < qh; oy++) {
    float* top = out + 2 * oy * w;
    float* bottom = top + w;
    if (qw <= 8 && oy + 1 < qh) {
      const int64_t at = oy * qw;
      __m512 q[4];
      if (!block_values<Relu>(pair_lanes, g + at, idx + at, y + at, _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w)), pair), below, q)) return false;
      // Image rows 2·oy … 2·oy + 3, 2·qw floats each.
      _mm512_mask_storeu_ps(top, row_floats, _mm512_permutex2var_ps(q[0], first, q[1]));
      _mm512_mask_storeu_ps(bottom, row_floats, _mm512_permutex2var_ps(q[2], first, q[3]));
      _mm512_mask_storeu_ps(bottom + w, row_floats, _mm512_permutex2var_ps(q[0], upper, q[1]));
      _mm512_mask_storeu_ps(bottom + 2 * w, row_floats, _mm512_permutex2var_ps(q[2], upper, q[3]));
      oy++;
      continue;
    }
    for (int64_t ox = 0; ox < qw; ox += 16) {
      const int64_t n = qw - ox < 16 ? qw - ox : 16;
      const __mmask16 m = (__mmask16)((1u << n) - 1);
      const int64_t at = oy * qw + ox;
      __m512 q[4];
      if (!block_values<Relu>(m, g + at, idx + at, y + at, _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w + 2 * ox)), twice), below, q)) return false;
      const __m512 t0 = q[0], t1 = q[1], b0 = q[2], b1 = q[3];
      // 2n floats of each image row: the first 16 of them, then the rest.
      const __mmask16 lo = n >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1);
      const __mmask16 hi = n > 8 ? (__mmask16)((1u << (2 * (n - 8))) - 1) : (__mmask16)0;
      _mm512_mask_storeu_ps(top + 2 * ox, lo, _mm512_permutex2var_ps(t0, first, t1));
      _mm512_mask_storeu_ps(top + 2 * ox + 16, hi, _mm512_permutex2var_ps(t0, second, t1));
      _mm512_mask_storeu_ps(bottom + 2 * ox, lo, _mm512_permutex2var_ps(b0, first, b1));
      _mm512_mask_storeu_ps(bottom + 2 * ox + 16, hi, _mm512_permutex2var_ps(b0, second, b1));
    }
  }
  return true;
}
#else
template <bool Relu>
bool unpool_tiled(int64_t, int64_t, int64_t, const float*, const int32_t*, const float*, float*) {
  return false;
}
#endif

/* Plane `plane` of sample s expanded at `out`, `zeros` floats from out on (the plane and any margin after it):
 * relu_bwd's `y > 0 ? dy : 0` when a ReLU followed the pool, then max_pool2d_bwd's zeroing and scatter, so the
 * values are those kernels' bit for bit. */
inline void unpool_plane(const Unpool& U, int64_t s, int64_t plane, float* out, int64_t zeros) {
  const int64_t at = (s * U.planes + plane) * U.qhw;
  const float* g = U.dy + at;
  const int32_t* idx = U.idx + at;
  if (U.tiled && (U.y ? unpool_tiled<true>(U.w, U.qh, U.qw, g, idx, U.y + at, out)
                      : unpool_tiled<false>(U.w, U.qh, U.qw, g, idx, nullptr, out))) {
    std::memset(out + U.hw, 0, (zeros - U.hw) * sizeof(float));
    return;
  }
  std::memset(out, 0, zeros * sizeof(float));
  if (U.y) {
    const float* y = U.y + at;
    for (int64_t o = 0; o < U.qhw; o++) out[idx[o]] += y[o] > 0.0f ? g[o] : 0.0f;
  } else {
    for (int64_t o = 0; o < U.qhw; o++) out[idx[o]] += g[o];
  }
}

/* Sample s's gradient planes expanded into `out` (planes × hw), one sample at a time where they are used. */
inline float* unpool_sample(const Unpool& U, int64_t s, float* out) {
  for (int64_t p = 0; p < U.planes; p++) unpool_plane(U, s, p, out + p * U.hw, U.hw);
  return out;
}

/* Sample s's output gradient: dy itself or, fused with a pool, expanded into this thread's buffer. */
inline const float* sample_grad(const Job& J, const float* dy, int64_t s) {
  return J.unpool ? unpool_sample(*J.unpool, s, unpooled.p) : dy + s * J.P->oc * J.P->ohw;
}

/* Where sample s's output goes: y itself, or (fused with a pool) this thread's one-sample buffer. */
inline float* sample_output(const Job& J, int64_t s) {
  if (!J.pool) return J.out + s * J.P->oc * J.P->ohw;
  return std::this_thread::get_id() == J.caller ? J.caller_out : fused_out.p;
}

/* Fused: max-pools sample s's oc output planes into the pool's y and idx, while they are in L1/L2. */
void pool_sample(const Job& J, int64_t s, const float* out) {
  const Conv& P = *J.P;
  const FusedPool& Q = *J.pool;
  const int64_t at = s * P.oc * Q.qh * Q.qw;
  max_pool2d_planes(0, P.oc, P.oh, P.ow, Q.kh, Q.kw, Q.sh, Q.sw, Q.ph, Q.pw, Q.qh, Q.qw, out, Q.y + at, Q.idx + at);
  if (Q.relu) J.T->relu_fwd(P.oc * Q.qh * Q.qw, Q.y + at, Q.y + at);
}

void run_task(const Job& J, int64_t t, float* col) {
  const int64_t lo = t * J.per_task, hi = lo + J.per_task < J.items ? lo + J.per_task : J.items;
  for (int64_t i = lo; i < hi; i++) J.item(J, i, col);
}

void task(void* ctx, int64_t t) {
  Job& J = *static_cast<Job*>(ctx);
  float* col = J.col;
  if (std::this_thread::get_id() != J.caller) {
    if (J.col_floats > 0) col = worker_col.get(J.col_floats);
    if ((J.col_floats > 0 && !col) || (J.pool && !fused_out.get((size_t)(J.P->oc * J.P->ohw))) ||
        (J.unpool && !unpooled.get((size_t)(J.unpool->planes * J.unpool->hw)))) {
      J.undone[t] = 1;
      return;
    }
  }
  run_task(J, t, col);
}

void run(Job& J, int64_t macs) {
  J.caller = std::this_thread::get_id();
  J.per_task = (J.items + MAX_TASKS - 1) / MAX_TASKS;
  if (J.per_task < 1) J.per_task = 1;
  const int64_t tasks = (J.items + J.per_task - 1) / J.per_task;
  std::memset(J.undone, 0, sizeof J.undone);
  {
    Team team(tasks > 1 && macs >= PARALLEL_MIN_MACS);
    team.run(tasks, task, &J);
  }
  for (int64_t t = 0; t < tasks; t++)
    if (J.undone[t]) run_task(J, t, J.col);
}

/* The packed forward (one group, a sample's output pixels in one NC block): W goes into the micro-kernel's MR-tall
 * panels once per call; each sample's im2col goes tap row by tap row through a small buffer straight into the
 * NR-wide B panels, and the bias is added to each micro-tile as the last k block stores it. That skips the col
 * buffer's round trip through L2, packing W again for every sample, and a separate pass for the bias; the arithmetic
 * (micro-kernel, k blocks, bias added after the sum) is the GEMM path's. */
constexpr int64_t PACKED_MAX_OHW = 4096;

inline bool packed_fwd(const Conv& P) { return P.groups == 1 && !P.pointwise && P.kg > 0 && P.ohw <= PACKED_MAX_OHW; }

/* gemm_f32_team's k blocking: equal blocks of at most 1.25·KC, a multiple of 8. */
inline int64_t kc_step_for(int64_t k, const gemm_blocking& blk) {
  const int64_t blocks = (k + blk.kc + blk.kc / 4 - 1) / (blk.kc + blk.kc / 4);
  return ((k + blocks - 1) / blocks + 7) / 8 * 8;
}

/* out[p·panel_stride + j] = row[p·nr + j]: one tap row into its k step of every NR-wide panel. */
DESCENT_CLONES void copy_panels(int64_t panels, int64_t nr, int64_t panel_stride, const float* row, float* out) {
  for (int64_t p = 0; p < panels; p++) {
    const float* __restrict src = row + p * nr;
    float* __restrict dst = out + p * panel_stride;
    for (int64_t j = 0; j < nr; j++) dst[j] = src[j];
  }
}

/* c[r·ldc + j] += bias[r]: the bias on one micro-tile, rows are output channels. */
DESCENT_CLONES void add_row_bias(int64_t mr, int64_t nr, const float* bias, float* c, int64_t ldc) {
  for (int64_t r = 0; r < mr; r++) {
    float* __restrict row = c + r * ldc;
    const float b = bias[r];
    for (int64_t j = 0; j < nr; j++) row[j] += b;
  }
}

/* A sample's channel planes with zeros before and after each (flat taps): every read of pack_panel stays inside
 * its padded plane, and reads above or below the image find zeros, so the tap copies need no range checks. */
struct PaddedPlanes {
  int64_t lead, len;  // zeros before the image, floats per padded plane
};

inline PaddedPlanes padded_planes(const Conv& P, int64_t padded) {
  const int64_t max_dy = (P.kh - 1) * P.dilh - P.ph, max_dx = (P.kw - 1) * P.dilw - P.pw;
  PaddedPlanes pp;
  pp.lead = P.ph * P.w + P.pw;
  const int64_t last = padded - 1 + max_dy * P.w + max_dx;  // the furthest read past the plane's start
  pp.len = pp.lead + (last + 1 > P.h * P.w ? last + 1 : P.h * P.w);
  return pp;
}

/* Floats of a packed-forward scratch per thread: flat taps, one kc×NR panel and the sample's padded planes (CNN-S's
 * conv2: 8.7 K floats); otherwise one tap row padded to whole panels and the B panels of one k block. */
inline size_t packed_scratch_floats(const Conv& P, const isa_table& T, int64_t kc_step) {
  const int64_t padded = (P.ohw + T.blk.nr - 1) / T.blk.nr * T.blk.nr, kc_max = P.kg < kc_step ? P.kg : kc_step;
  if (flat_taps(P)) return (size_t)(kc_max * T.blk.nr + P.c * padded_planes(P, padded).len);
  return (size_t)(padded * (1 + kc_max));
}

void pad_planes(const Conv& P, const PaddedPlanes& pp, const float* x, float* out) {
  for (int64_t ci = 0; ci < P.c; ci++, out += pp.len, x += P.h * P.w) {
    std::memset(out, 0, pp.lead * sizeof(float));
    std::memcpy(out + pp.lead, x, P.h * P.w * sizeof(float));
    std::memset(out + pp.lead + P.h * P.w, 0, (pp.len - pp.lead - P.h * P.w) * sizeof(float));
  }
}

/* pad_planes of sample s's expanded gradient, expanded in place: the same arithmetic as unpool_sample. */
void unpool_padded(const Unpool& U, int64_t s, const PaddedPlanes& pp, float* out) {
  for (int64_t ch = 0; ch < U.planes; ch++, out += pp.len) {
    std::memset(out, 0, pp.lead * sizeof(float));
    unpool_plane(U, s, ch, out + pp.lead, pp.len - pp.lead);
  }
}

/* One NR-wide panel of flat taps: out[k·NR + j] = planes[taps[2k] + j0 + j] & valid[taps[2k+1] + j0 + j] for the kc
 * taps of a k block, so the panel (kc·NR floats) is packed and then multiplied while it sits in L1. A plain load
 * ANDed with the all-ones/zero mask: the padded planes keep every load in bounds, and a masked load costs more. */
template <int64_t NR>
__attribute__((always_inline)) inline void pack_panel_n(const float* planes, const int64_t* taps, const uint32_t* valid,
                                                        int64_t kc, int64_t j0, int64_t nr, float* out) {
  const int64_t width = NR > 0 ? NR : nr;
  for (int64_t k = 0; k < kc; k++) {
    const float* __restrict from = planes + taps[2 * k] + j0;
    float* __restrict dst = out + k * width;
    if (taps[2 * k + 1] < 0) {
      // A tap of the centre column never wraps into a neighbouring row: a plain copy.
      for (int64_t j = 0; j < width; j++) dst[j] = from[j];
      continue;
    }
    const uint32_t* __restrict m = valid + taps[2 * k + 1] + j0;
    for (int64_t j = 0; j < width; j++) {
      uint32_t v;
      std::memcpy(&v, from + j, sizeof v);
      v &= m[j];
      std::memcpy(dst + j, &v, sizeof v);
    }
  }
}

DESCENT_CLONES void pack_panel(const float* planes, const int64_t* taps, const uint32_t* valid, int64_t kc, int64_t j0,
                               int64_t nr, float* out) {
  if (nr == 32) pack_panel_n<32>(planes, taps, valid, kc, j0, nr, out);
  else if (nr == 16) pack_panel_n<16>(planes, taps, valid, kc, j0, nr, out);
  else pack_panel_n<0>(planes, taps, valid, kc, j0, nr, out);
}

void fwd_packed_into(const Job& J, int64_t s, float* scratch, float* y) {
  const Conv& P = *J.P;
  const isa_table& T = *J.T;
  const int64_t MR = T.blk.mr, NR = T.blk.nr, panels = (P.ohw + NR - 1) / NR, khw = P.kh * P.kw;
  // The input (fused input gradient: dY expanded from the pool's gradient, straight into the padded planes).
  const float* x = !J.unpool ? J.a + s * P.c * P.h * P.w : J.taps ? nullptr : unpool_sample(*J.unpool, s, unpooled.p);
  const int64_t kc_max = P.kg < J.kc_step ? P.kg : J.kc_step;
  if (J.taps) {
    // Flat taps: panel by panel, each packed into L1 (bp: one kc×NR panel) and multiplied at once.
    float* bp = scratch;
    float* planes = scratch + kc_max * NR;
    if (x) pad_planes(P, padded_planes(P, panels * NR), x, planes);
    else unpool_padded(*J.unpool, s, padded_planes(P, panels * NR), planes);
    for (int64_t pc = 0; pc < P.kg; pc += J.kc_step) {
      const int64_t kc = P.kg - pc < J.kc_step ? P.kg - pc : J.kc_step;
      const float* ap = J.apack + pc * J.m_pad;
      const bool last = pc + kc == P.kg;
      for (int64_t jp = 0; jp < panels; jp++) {
        const int64_t j = jp * NR, nr = P.ohw - j < NR ? P.ohw - j : NR;
        pack_panel(planes, J.taps + 2 * pc, J.valid, kc, j, NR, bp);
        for (int64_t ir = 0; ir < P.oc; ir += MR) {
          const int64_t mr = P.oc - ir < MR ? P.oc - ir : MR;
          float* c = y + ir * P.ohw + j;
          T.gemm_ukernel(kc, ap + ir * kc, 1, MR, bp, c, P.ohw, mr, nr, 1.0f, pc == 0 ? 0.0f : 1.0f);
          if (last && J.bias) add_row_bias(mr, nr, J.bias + ir, c, P.ohw);
        }
      }
    }
    return;
  }
  float* row = scratch;  // one tap row, zero padded to whole panels
  float* bp = scratch + panels * NR;
  std::memset(row + P.ohw, 0, (panels * NR - P.ohw) * sizeof(float));  // im2col_row writes ohw floats
  for (int64_t pc = 0; pc < P.kg; pc += J.kc_step) {
    const int64_t kc = P.kg - pc < J.kc_step ? P.kg - pc : J.kc_step;
    // The tap (ci, ky, kx) of row pc + k, advanced without a division per row.
    int64_t ci = pc / khw, ky = pc / P.kw % P.kh, kx = pc % P.kw;
    for (int64_t k = 0; k < kc; k++, kx = kx + 1 < P.kw ? kx + 1 : (ky = ky + 1 < P.kh ? ky + 1 : (ci++, 0), 0)) {
      im2col_row(P, x + ci * P.h * P.w, ky, kx, row);
      copy_panels(panels, NR, kc * NR, row, bp + k * NR);
    }
    const float* ap = J.apack + pc * J.m_pad;
    const bool last = pc + kc == P.kg;
    for (int64_t jp = 0; jp < panels; jp++) {
      const int64_t j = jp * NR, nr = P.ohw - j < NR ? P.ohw - j : NR;
      for (int64_t ir = 0; ir < P.oc; ir += MR) {
        const int64_t mr = P.oc - ir < MR ? P.oc - ir : MR;
        float* c = y + ir * P.ohw + j;
        T.gemm_ukernel(kc, ap + ir * kc, 1, MR, bp + jp * kc * NR, c, P.ohw, mr, nr, 1.0f, pc == 0 ? 0.0f : 1.0f);
        if (last && J.bias) add_row_bias(mr, nr, J.bias + ir, c, P.ohw);
      }
    }
  }
}

#if defined(__x86_64__)
/* Input row iy of a one-channel plane h×w (w ≤ 32) as seen by tap column kx: v[0] and v[1] hold columns
 * j + kx − 1 for output columns j = 0…15 and 16…31. Lanes whose column leaves the row, and a row outside the image,
 * load zero, as the packed path's masked taps do; lo and hi mask the row's w columns. */
__attribute__((target("avx512f"), always_inline)) inline void load_shifted_row(const float* x, int64_t h, int64_t w,
                                                                              int64_t iy, int64_t kx, __mmask16 lo,
                                                                              __mmask16 hi, __m512 v[2]) {
  __mmask16 m0 = lo, m1 = hi;
  if (kx == 0) m0 &= (__mmask16)0xFFFE;
  if (kx == 2) {
    if (w <= 16) m0 &= (__mmask16)((1u << (w - 1)) - 1);
    else m1 &= (__mmask16)((1u << (w - 17)) - 1);
  }
  if (iy < 0 || iy >= h) m0 = m1 = 0;
  const float* row = x + iy * w + kx - 1;
  v[0] = _mm512_maskz_loadu_ps(m0, row);
  v[1] = _mm512_maskz_loadu_ps(m1, row + 16);
}

/* The forward of a one-channel 3×3 'same' convolution (a grayscale network's first layer) on rows of at most 32
 * pixels, computed directly: per output row, the nine shifted input rows are loaded once (masked loads read zero
 * past the image) and each filter takes nine FMAs on them in tap order from zero, then adds its bias, all in
 * registers. That is the packed path's arithmetic exactly (its 9-deep micro-tiles, k in tap order, zeros where taps
 * leave the image, bias added after the sum), without packing panels or storing tiles and re-reading them for the
 * bias: the GEMM path's 9-step tiles spend most of their time on loads and stores. */
__attribute__((target("avx512f"))) void fwd_c1k3_into(const Conv& P, const float* x, const float* weight,
                                                       const float* bias, float* y) {
  const int64_t h = P.h, w = P.w;
  const __mmask16 lo = w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
  const __mmask16 hi = w > 16 ? (__mmask16)((1u << (w - 16)) - 1) : (__mmask16)0;
  for (int64_t oy = 0; oy < h; oy++) {
    __m512 in[9][2];
    for (int64_t ky = 0; ky < 3; ky++)
      for (int64_t kx = 0; kx < 3; kx++) load_shifted_row(x, h, w, oy + ky - 1, kx, lo, hi, in[ky * 3 + kx]);
    for (int64_t o = 0; o < P.oc; o++) {
      const float* wo = weight + o * 9;
      __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
      for (int t = 0; t < 9; t++) {
        const __m512 wt = _mm512_set1_ps(wo[t]);
        a0 = _mm512_fmadd_ps(wt, in[t][0], a0);
        a1 = _mm512_fmadd_ps(wt, in[t][1], a1);
      }
      if (bias) {
        const __m512 b = _mm512_set1_ps(bias[o]);
        // An add after an FMA: nothing to contract, so the plain intrinsic rounds as add_row_bias does.
        a0 = _mm512_add_ps(a0, b);
        a1 = _mm512_add_ps(a1, b);
      }
      float* out = y + (o * h + oy) * w;
      _mm512_mask_storeu_ps(out, lo, a0);
      _mm512_mask_storeu_ps(out + 16, hi, a1);
    }
  }
}

/* fwd_c1k3_into's rows (the same loads, FMAs and bias add, so the same values) two at a time, each pair pooled in
 * registers by a 2×2 stride-2 max pool (then, with relu, a ReLU) as it is made: window_max over the two rows' even
 * and odd columns, the pooled row and its winners stored, the convolution's output never. Pooled rows qh ≤ h/2 and
 * windows qw ≤ w/2 (rows and columns past the windows are not needed). */
__attribute__((target("avx512f"))) void fwd_c1k3_pooled(const Conv& P, const float* x, const float* weight,
                                                        const float* bias, int64_t qh, int64_t qw, bool relu,
                                                        float* py, int32_t* pidx) {
  const int64_t h = P.h, w = P.w, oc = P.oc;
  const __mmask16 lo = w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
  const __mmask16 hi = w > 16 ? (__mmask16)((1u << (w - 16)) - 1) : (__mmask16)0;
  const __mmask16 windows = (__mmask16)((1u << qw) - 1);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i below = _mm512_set1_epi32((int32_t)w);
  for (int64_t r = 0; r < qh; r++) {
    // Input rows 2r − 1 … 2r + 2, each shifted by kx − 1 (lanes outside the image zero, as fwd_c1k3_into loads
    // them): output row 2r reads rows 0…2 of these, row 2r + 1 rows 1…3.
    __m512 in[4][3][2];
    for (int64_t k = 0; k < 4; k++)
      for (int64_t kx = 0; kx < 3; kx++) load_shifted_row(x, h, w, 2 * r + k - 1, kx, lo, hi, in[k][kx]);
    const __m512i origin = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * r * w)), even);
    for (int64_t o = 0; o < oc; o++) {
      const float* wo = weight + o * 9;
      __m512 t0 = _mm512_setzero_ps(), t1 = t0, b0 = t0, b1 = t0;  // output rows 2r (top) and 2r + 1 (bottom)
      for (int t = 0; t < 9; t++) {
        const __m512 wt = _mm512_set1_ps(wo[t]);
        t0 = _mm512_fmadd_ps(wt, in[t / 3][t % 3][0], t0);
        t1 = _mm512_fmadd_ps(wt, in[t / 3][t % 3][1], t1);
        b0 = _mm512_fmadd_ps(wt, in[t / 3 + 1][t % 3][0], b0);
        b1 = _mm512_fmadd_ps(wt, in[t / 3 + 1][t % 3][1], b1);
      }
      if (bias) {
        const __m512 b = _mm512_set1_ps(bias[o]);
        t0 = _mm512_add_ps(t0, b), t1 = _mm512_add_ps(t1, b), b0 = _mm512_add_ps(b0, b), b1 = _mm512_add_ps(b1, b);
      }
      const WindowMax m = window_max(_mm512_permutex2var_ps(t0, even, t1), _mm512_permutex2var_ps(t0, odd, t1),
                                     _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1), origin,
                                     below);
      const int64_t at = (o * qh + r) * qw;
      _mm512_mask_storeu_ps(py + at, windows, relu ? relu16(m.best) : m.best);
      _mm512_mask_storeu_epi32(pidx + at, windows, m.at);
    }
  }
}

/* fwd_c1k3_into on AVX2 + FMA (CPUs without AVX-512: most laptops, many cloud VMs), where the packed path ran
 * CNN-S's conv1 at 16 GFLOP/s: 9-deep tiles of a 6×16 micro-kernel spend their time on packing, loads and stores.
 * Each output again takes nine FMAs in tap order from zero, then its bias add, so the bits are the packed path's.
 * With 16 ymm registers the nine shifted rows do not fit; instead a pair of output rows reads a zero-padded copy of
 * its four input rows (C1K3_ROW floats each: a zero column, the row, zeros after it, room for every 8-lane load at
 * column j0 + kx with j0 ≤ 16), two filters × two rows × two 8-pixel chunks at a time (8 accumulators; per tap four
 * loads and two broadcasts feed eight FMAs). Fused with a pool, its output goes through the one-sample buffer and
 * pool_sample, as the packed path's does. */
constexpr int64_t C1K3_ROW = 40;

/* The padded rows of c1k3_block_avx2, a window of four moving down the plane two rows a step: row[k] is input row
 * top + k, its column c at row[k][c + 1]; rows outside the image and columns outside the row are zero, as the packed
 * path's masked taps read them. Each step copies only the two rows it has not seen (the other two move up). */
struct C1k3Rows {
  alignas(32) float buf[4][C1K3_ROW];
  float* row[4];
};

inline void c1k3_fill_row(const float* x, int64_t h, int64_t w, int64_t iy, float* out) {
  out[0] = 0.0f;
  if (iy >= 0 && iy < h) std::memcpy(out + 1, x + iy * w, (size_t)w * sizeof(float));
  else std::memset(out + 1, 0, (size_t)w * sizeof(float));
  std::memset(out + 1 + w, 0, (size_t)(C1K3_ROW - 1 - w) * sizeof(float));
}

/* Rows top … top + 3 from scratch. */
inline void c1k3_rows_start(C1k3Rows& R, const float* x, int64_t h, int64_t w, int64_t top) {
  for (int k = 0; k < 4; k++) c1k3_fill_row(x, h, w, top + k, R.buf[k]), R.row[k] = R.buf[k];
}

/* From rows top … top + 3 to top + 2 … top + 5: the last two move up, the first two's buffers take the new ones. */
inline void c1k3_rows_advance(C1k3Rows& R, const float* x, int64_t h, int64_t w, int64_t top) {
  float* a = R.row[0];
  float* b = R.row[1];
  R.row[0] = R.row[2], R.row[1] = R.row[3];
  c1k3_fill_row(x, h, w, top + 4, a), c1k3_fill_row(x, h, w, top + 5, b);
  R.row[2] = a, R.row[3] = b;
}

/* Output rows top + 1 and top + 2, columns j0 … j0 + 15, of filters w0 and w1 (nine weights each) into
 * acc[filter][row][chunk]. */
__attribute__((target("avx2,fma"), always_inline)) inline void c1k3_block_avx2(const float* const* rows, int64_t j0,
                                                                            const float* w0, const float* w1,
                                                                            __m256 acc[2][2][2]) {
  for (int f = 0; f < 2; f++)
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 2; c++) acc[f][r][c] = _mm256_setzero_ps();
#pragma GCC unroll 9
  for (int t = 0; t < 9; t++) {
    const int ky = t / 3, kx = t % 3;
    __m256 in[2][2];
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 2; c++) in[r][c] = _mm256_loadu_ps(rows[ky + r] + j0 + 8 * c + kx);
    const __m256 a = _mm256_broadcast_ss(w0 + t), b = _mm256_broadcast_ss(w1 + t);
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 2; c++) {
        acc[0][r][c] = _mm256_fmadd_ps(a, in[r][c], acc[0][r][c]);
        acc[1][r][c] = _mm256_fmadd_ps(b, in[r][c], acc[1][r][c]);
      }
  }
}

__attribute__((target("avx2,fma"))) void fwd_c1k3_into_avx2(const Conv& P, const float* x, const float* weight,
                                                            const float* bias, float* y) {
  const int64_t h = P.h, w = P.w, oc = P.oc;
  C1k3Rows R;
  for (int64_t oy = 0; oy < h; oy += 2) {
    if (oy == 0) c1k3_rows_start(R, x, h, w, -1);
    else c1k3_rows_advance(R, x, h, w, oy - 3);
    const float* const* rows = R.row;
    for (int64_t o = 0; o < oc; o += 2) {
      const bool pair = o + 1 < oc;  // an odd last filter runs as its own pair, the second result unused
      const float* w0 = weight + o * 9;
      const float* w1 = pair ? w0 + 9 : w0;
      for (int64_t j0 = 0; j0 < w; j0 += 16) {
        __m256 acc[2][2][2];
        c1k3_block_avx2(rows, j0, w0, w1, acc);
        // Fixed trip counts with the conditions inside, so the accumulators stay in registers.
#pragma GCC unroll 2
        for (int f = 0; f < 2; f++) {
          if (f == 1 && !pair) break;
          // An add after an FMA: nothing to contract, so the plain intrinsic rounds as add_row_bias does.
          const __m256 b = _mm256_set1_ps(bias ? bias[o + f] : 0.0f);
#pragma GCC unroll 2
          for (int r = 0; r < 2; r++) {
            if (oy + r >= h) break;
            float* out = y + ((o + f) * h + oy + r) * w + j0;
            const __m256 v0 = bias ? _mm256_add_ps(acc[f][r][0], b) : acc[f][r][0];
            const __m256 v1 = bias ? _mm256_add_ps(acc[f][r][1], b) : acc[f][r][1];
            if (j0 + 16 <= w) {
              _mm256_storeu_ps(out, v0);
              _mm256_storeu_ps(out + 8, v1);
            } else {
              store_first8(out, v0, w - j0);
              if (j0 + 8 < w) store_first8(out + 8, v1, w - j0 - 8);
            }
          }
        }
      }
    }
  }
}

#endif

/* A one-channel 3×3 'same' layer with rows of 2 to 32 pixels: one input channel, stride 1, no dilation. */
inline bool c1k3_same(const Conv& P) {
  return P.c == 1 && P.groups == 1 && P.kh == 3 && P.kw == 3 && P.sh == 1 && P.sw == 1 && P.dilh == 1 && P.dilw == 1 &&
         P.ph == 1 && P.pw == 1 && P.oh == P.h && P.ow == P.w && P.w >= 2 && P.w <= 32;
}

/* Whether such a layer's forward runs directly: fwd_c1k3_into (AVX-512) or fwd_c1k3_into_avx2. */
enum class C1k3Forward { none, avx512, avx2 };
inline C1k3Forward direct_c1k3_forward(const Conv& P) {
#if defined(__x86_64__)
  if (!c1k3_same(P)) return C1k3Forward::none;
  if (isa_avx512_active()) return C1k3Forward::avx512;
  if (isa_avx2_fma_active()) return C1k3Forward::avx2;
#else
  (void)P;
#endif
  return C1k3Forward::none;
}

/* Whether its weight gradient sums taps straight from the padded plane (c1k3_tap_sums3): AVX-512 only. */
inline bool direct_c1k3(const Conv& P) {
#if defined(__x86_64__)
  return c1k3_same(P) && isa_avx512_active();
#else
  (void)P;
  return false;
#endif
}

void fwd_packed_sample(const Job& J, int64_t s, float* scratch) {
#if defined(__x86_64__)
  const float* plane = J.a + s * J.P->h * J.P->w;
  if (J.direct_pool) {
    const FusedPool& Q = *J.pool;
    const int64_t at = s * J.P->oc * Q.qh * Q.qw;
    fwd_c1k3_pooled(*J.P, plane, J.b, J.bias, Q.qh, Q.qw, Q.relu, Q.y + at, Q.idx + at);
    return;
  }
#endif
  float* y = sample_output(J, s);
#if defined(__x86_64__)
  if (J.direct && J.direct_avx2) fwd_c1k3_into_avx2(*J.P, plane, J.b, J.bias, y);
  else if (J.direct) fwd_c1k3_into(*J.P, plane, J.b, J.bias, y);
  else
#endif
    fwd_packed_into(J, s, scratch, y);
  if (J.pool) pool_sample(J, s, y);
}

thread_local Workspace packed_w, valid_cols_w, taps_w, lane_masks_w, c1k3_pixels_w;

/* The flat taps' table: for tap (ci, ky, kx), its first read in the padded planes and its kx mask's offset. */
void fill_taps(const Conv& P, const PaddedPlanes& pp, int64_t padded, int64_t* taps) {
  for (int64_t ci = 0, k = 0; ci < P.c; ci++)
    for (int64_t ky = 0; ky < P.kh; ky++)
      for (int64_t kx = 0; kx < P.kw; kx++, k++) {
        taps[2 * k] = ci * pp.len + pp.lead + (ky * P.dilh - P.ph) * P.w + kx * P.dilw - P.pw;
        // −1: no mask. The taps that do not shift columns read inside each row; the positions past oh·ow they then
        // read (zero margins, finite) fill panel columns no output is stored from and k steps no sum reaches.
        taps[2 * k + 1] = kx * P.dilw == P.pw ? -1 : kx * padded;
      }
}

/* For each kx, valid[kx·padded + j] = all ones where output position j's input column j mod w + kx·dilw − pw is inside
 * the row (0 past ohw): the flat taps' mask. */
void fill_valid(const Conv& P, int64_t padded, uint32_t* valid) {
  for (int64_t kx = 0; kx < P.kw; kx++)
    for (int64_t j = 0; j < padded; j++) {
      const int64_t ix = j % P.w + kx * P.dilw - P.pw;
      valid[kx * padded + j] = j < P.ohw && ix >= 0 && ix < P.w ? ~0u : 0u;
    }
}

void fwd_sample(const Job& J, int64_t s, float* col) {
  const Conv& P = *J.P;
  const float* x = J.a + s * P.c * P.h * P.w;
  float* y = sample_output(J, s);
  const float* src = x;
  if (!P.pointwise) im2col(P, x, col), src = col;
  for (int64_t g = 0; g < P.groups; g++)
    gemm_f32_serial(0, 0, P.ocg, P.ohw, P.kg, 1.0f, J.b + g * P.ocg * P.kg, src + g * P.kg * P.ohw, 0.0f,
                    y + g * P.ocg * P.ohw);
  if (J.bias)
    for (int64_t o = 0; o < P.groups * P.ocg; o++) {
      float* row = y + o * P.ohw;
      const float b = J.bias[o];
      for (int64_t i = 0; i < P.ohw; i++) row[i] += b;
    }
  if (J.pool) pool_sample(J, s, y);
}

void bwd_data_sample(const Job& J, int64_t s, float* col) {
  const Conv& P = *J.P;
  const float* dy = sample_grad(J, J.a, s);
  float* dx = J.out + s * P.c * P.h * P.w;
  float* dst = P.pointwise ? dx : col;
  for (int64_t g = 0; g < P.groups; g++)
    gemm_f32_serial(1, 0, P.kg, P.ohw, P.ocg, 1.0f, J.b + g * P.ocg * P.kg, dy + g * P.ocg * P.ohw, 0.0f,
                    dst + g * P.kg * P.ohw);
  if (!P.pointwise) col2im(P, col, dx);
  else if (P.groups * P.cg < P.c)  // channels no group covers (c not divisible by groups) get zero
    std::memset(dx + P.groups * P.cg * P.ohw, 0, (P.c - P.groups * P.cg) * P.ohw * sizeof(float));
}

/* One chunk of samples: partial[chunk] = Σ dY·colᵀ (then the bias sums) over the chunk, in sample order. */
void bwd_filter_chunk(const Job& J, int64_t q, float* col) {
  const Conv& P = *J.P;
  const int64_t wsize = P.groups * P.ocg * P.kg, osize = P.groups * P.ocg;
  float* part = J.out + q * (wsize + osize);
  const int64_t s0 = q * CHUNK, s1 = s0 + CHUNK < P.n ? s0 + CHUNK : P.n;
  for (int64_t s = s0; s < s1; s++) {
    const float* x = J.a + s * P.c * P.h * P.w;
    const float* dy = sample_grad(J, J.b, s);
    const float* src = x;
    if (!P.pointwise) im2col(P, x, col), src = col;
    for (int64_t g = 0; g < P.groups; g++) {
      const float* dyg = dy + g * P.ocg * P.ohw;
      const float* colg = src + g * P.kg * P.ohw;
      float* pg = part + g * P.ocg * P.kg;
      if (J.dot) J.T->gemm_nt_dot(P.ocg, P.kg, P.ohw, dyg, P.ohw, colg, P.ohw, s == s0 ? 0.0f : 1.0f, pg, P.kg);
      else gemm_f32_serial(0, 1, P.ocg, P.kg, P.ohw, 1.0f, dyg, colg, s == s0 ? 0.0f : 1.0f, pg);
    }
    J.T->row_sum(osize, P.ohw, dy, s == s0 ? 0.0f : 1.0f, part + wsize);
  }
}

/* The weight gradient transposed (one group, at least NR taps): partial[chunk] = dWᵀ [kg, oc] = Σ col·dYᵀ. The
 * taps are the GEMM's rows: MR of them at a time are built in a small row buffer (flat taps: masked copies from the
 * zero-padded planes, as the packed forward; others: im2col rows) and read in place as A; only dYᵀ (oc × ohw, a
 * fraction of col) is packed, and oc fills the NR-wide panels (CNN-S's conv2: 32 = NR). Each element's sum over
 * the pixels is the same FMA chain in the same k blocks as the GEMM path's. */
inline bool transposed_wgrad(const Conv& P, const isa_table& T) { return P.groups == 1 && !P.pointwise && P.kg >= T.blk.nr; }

/* Floats of a transposed weight-gradient scratch: the packed dYᵀ, MR tap rows, the padded planes (flat taps). */
inline size_t wgrad_scratch_floats(const Conv& P, const isa_table& T) {
  const int64_t stride = (P.ohw + 15) / 16 * 16, oc_pad = (P.oc + T.blk.nr - 1) / T.blk.nr * T.blk.nr;
  return (size_t)((flat_taps(P) ? P.c * padded_planes(P, stride).len : 0) + T.blk.mr * stride + oc_pad * P.ohw);
}

/* Fused behind a pool whose windows tile the plane (AVX-512, one k block of pixels, whole 16-lane groups in a
 * panel): B is packed straight from the pooled gradient (pack_pooled_dyt), through this many more floats after
 * wgrad_scratch_floats' (the transposed gradients and winners, 16 lanes of bias partials, the bias sums). */
inline bool pooled_dyt(const Conv& P, const isa_table& T, const Unpool* U) {
  return U && U->tiled && T.blk.nr % 16 == 0 && kc_step_for(P.ohw, T.blk) >= P.ohw;
}
inline size_t pooled_dyt_floats(const Conv& P, const isa_table& T, const Unpool& U) {
  const int64_t oc_pad = (P.oc + T.blk.nr - 1) / T.blk.nr * T.blk.nr;
  return (size_t)(15 + 2 * ((U.qhw + 15) / 16 * 16) * 16 + 16 * 16 + oc_pad);  // 15: gt starts on 64 bytes
}

#if defined(__x86_64__)
bool pack_pooled_dyt(const Conv& P, const Unpool& U, int64_t s, int64_t nr, float* gt, int32_t* it, float* lanes,
                     float* bp, float* sums);
#endif

void bwd_filter_transposed_chunk(const Job& J, int64_t q, float* scratch) {
  const Conv& P = *J.P;
  const isa_table& T = *J.T;
  const int64_t MR = T.blk.mr, NR = T.blk.nr, khw = P.kh * P.kw;
  const int64_t stride = (P.ohw + 15) / 16 * 16, oc_pad = (P.oc + NR - 1) / NR * NR, panels = oc_pad / NR;
  const int64_t wsize = P.oc * P.kg, kc_step = kc_step_for(P.ohw, T.blk);
  float* part = J.out + q * (wsize + P.oc);
  const PaddedPlanes pp = padded_planes(P, stride);
  float* bp = scratch;  // first: the micro-kernel loads B panels with aligned loads (scratch is 64-byte aligned)
  float* rows = bp + oc_pad * P.ohw;
  float* planes = rows + MR * stride;
  // Pooled (pack_pooled_dyt): the transposed gradients and winners, the bias partials, the bias sums.
  float* gt = scratch + (wgrad_scratch_floats(P, T) + 15) / 16 * 16;
  const int64_t windows = J.pooled_dyt ? (J.unpool->qhw + 15) / 16 * 16 * 16 : 0;
  int32_t* it = reinterpret_cast<int32_t*>(gt + windows);
  float* lanes = gt + 2 * windows;
  float* sums = lanes + 16 * 16;
  const int64_t s0 = q * CHUNK, s1 = s0 + CHUNK < P.n ? s0 + CHUNK : P.n;
  for (int64_t s = s0; s < s1; s++) {
    const float* x = J.a + s * P.c * P.h * P.w;
    if (J.valid) pad_planes(P, pp, x, planes);
    const float* dy = nullptr;  // the expanded gradient, when B is packed from it
#if defined(__x86_64__)
    if (!J.pooled_dyt || !pack_pooled_dyt(P, *J.unpool, s, NR, gt, it, lanes, bp, sums))
#endif
    {
      dy = sample_grad(J, J.b, s);
      for (int64_t pc = 0; pc < P.ohw; pc += kc_step)
        T.gemm_pack_b(P.ohw - pc < kc_step ? P.ohw - pc : kc_step, P.oc, dy + pc, 1, P.ohw, bp + pc * oc_pad);
    }
    for (int64_t ir = 0; ir < P.kg; ir += MR) {
      const int64_t mr = P.kg - ir < MR ? P.kg - ir : MR;
      // Flat taps: the forward's panel packer with the mr taps as its k steps and one panel as wide as a row.
      if (J.taps) pack_panel(planes, J.taps + 2 * ir, J.valid, mr, 0, stride, rows);
      else
        for (int64_t r = 0, tap = ir; r < mr; r++, tap++)
          im2col_row(P, x + tap / khw * P.h * P.w, tap / P.kw % P.kh, tap % P.kw, rows + r * stride);
      for (int64_t pc = 0; pc < P.ohw; pc += kc_step) {
        const int64_t kc = P.ohw - pc < kc_step ? P.ohw - pc : kc_step;
        const float beta = s == s0 && pc == 0 ? 0.0f : 1.0f;
        for (int64_t jp = 0; jp < panels; jp++) {
          const int64_t nr = P.oc - jp * NR < NR ? P.oc - jp * NR : NR;
          T.gemm_ukernel(kc, rows + pc, stride, 1, bp + pc * oc_pad + jp * NR * kc, part + ir * P.oc + jp * NR, P.oc, mr,
                         nr, 1.0f, beta);
        }
      }
    }
    if (dy) T.row_sum(P.oc, P.ohw, dy, s == s0 ? 0.0f : 1.0f, part + wsize);
    else
      for (int64_t o = 0; o < P.oc; o++) part[wsize + o] = s == s0 ? sums[o] : part[wsize + o] + sums[o];
  }
}


#if defined(__x86_64__)
/* gemm_nt_dot's lane sum, with its order: halves 16 → 8 → 4, then (v0 + v2) + (v1 + v3). */
typedef float f32x8 __attribute__((vector_size(32)));
typedef float f32x4 __attribute__((vector_size(16)));
__attribute__((target("avx512f"), always_inline)) inline float lanes_sum16(__m512 v) {
  // Halves by vector shuffles: extract intrinsics make GCC 12 warn about their undefined upper lanes at -O3, and
  // a memcpy would take the accumulators' addresses and keep them in memory through c1k3_tap_sums' loop.
  const f32x8 v8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const f32x4 v4 = __builtin_shufflevector(v8, v8, 0, 1, 2, 3) + __builtin_shufflevector(v8, v8, 4, 5, 6, 7);
  return (v4[0] + v4[2]) + (v4[1] + v4[3]);
}

/* Three filters' 9 tap sums over one sample: out[f·9 + t] (+)= Σ_j dy[f][j]·col[t, j] for f < filters (the others
 * alias a real filter: computed, never stored), where col[t, j] is the padded plane at taps[2t] + j, zero where the
 * tap leaves its row; ohw a multiple of 16 (gemm_nt_dot's scalar tail is not reproduced). The arithmetic of
 * gemm_nt_dot over im2col's rows exactly (lane partials in pixel order, the same lane sum, then + old for beta = 1),
 * without building col: per 16 pixels the 9 shifted vectors are loaded once and feed 27 multiply-adds. The 27
 * accumulators are named variables: as an array GCC keeps them in memory and stores all of them every step. */
__attribute__((target("avx512f"))) void c1k3_tap_sums3(int64_t ohw, const float* planes, const int64_t* taps,
                                                       const __mmask16* left, const __mmask16* right,
                                                       const float* const dy[3], int filters, bool accumulate,
                                                       float* out) {
#define DESCENT_C1K3_ACC(f) \
  __m512 a##f##0 = _mm512_setzero_ps(), a##f##1 = a##f##0, a##f##2 = a##f##0, a##f##3 = a##f##0, a##f##4 = a##f##0, \
         a##f##5 = a##f##0, a##f##6 = a##f##0, a##f##7 = a##f##0, a##f##8 = a##f##0;
  DESCENT_C1K3_ACC(0)
  DESCENT_C1K3_ACC(1)
  DESCENT_C1K3_ACC(2)
#undef DESCENT_C1K3_ACC
  const float* d0 = dy[0];
  const float* d1 = dy[1];
  const float* d2 = dy[2];
  for (int64_t j = 0; j < ohw; j += 16) {
    const __m512 g0 = _mm512_loadu_ps(d0 + j), g1 = _mm512_loadu_ps(d1 + j), g2 = _mm512_loadu_ps(d2 + j);
    const __mmask16 l = left[j / 16], r = right[j / 16];
    const float* at = planes + j;
    // kx = 0 reads column j − 1, kx = 2 column j + 1: their lanes at a row's first or last column read zero.
#define DESCENT_C1K3_TAP(t, x)                    \
  {                                               \
    const __m512 v = x;                           \
    a0##t = _mm512_fmadd_ps(g0, v, a0##t);        \
    a1##t = _mm512_fmadd_ps(g1, v, a1##t);        \
    a2##t = _mm512_fmadd_ps(g2, v, a2##t);        \
  }
    DESCENT_C1K3_TAP(0, _mm512_maskz_loadu_ps(l, at + taps[0]))
    DESCENT_C1K3_TAP(1, _mm512_loadu_ps(at + taps[2]))
    DESCENT_C1K3_TAP(2, _mm512_maskz_loadu_ps(r, at + taps[4]))
    DESCENT_C1K3_TAP(3, _mm512_maskz_loadu_ps(l, at + taps[6]))
    DESCENT_C1K3_TAP(4, _mm512_loadu_ps(at + taps[8]))
    DESCENT_C1K3_TAP(5, _mm512_maskz_loadu_ps(r, at + taps[10]))
    DESCENT_C1K3_TAP(6, _mm512_maskz_loadu_ps(l, at + taps[12]))
    DESCENT_C1K3_TAP(7, _mm512_loadu_ps(at + taps[14]))
    DESCENT_C1K3_TAP(8, _mm512_maskz_loadu_ps(r, at + taps[16]))
#undef DESCENT_C1K3_TAP
  }
  const __m512 sums[3][9] = {{a00, a01, a02, a03, a04, a05, a06, a07, a08},
                             {a10, a11, a12, a13, a14, a15, a16, a17, a18},
                             {a20, a21, a22, a23, a24, a25, a26, a27, a28}};
  for (int f = 0; f < filters; f++)
    for (int t = 0; t < 9; t++) {
      const float s = lanes_sum16(sums[f][t]);
      float* o = out + f * 9 + t;
      *o = accumulate ? *o + s : s;
    }
}

/* One sample of bwd_filter_c1k3_chunk: its tap sums (three filters at a time) and bias sums from dy (oc planes). */
void c1k3_sample(const Job& J, const float* dy, const float* x, float* planes, bool accumulate, float* part) {
  const Conv& P = *J.P;
  const int64_t nv = P.ohw / 16;
  pad_planes(P, padded_planes(P, P.ohw), x, planes);
  for (int64_t o = 0; o < P.oc; o += 3) {
    const int filters = P.oc - o < 3 ? (int)(P.oc - o) : 3;
    const float* rows[3];
    for (int f = 0; f < 3; f++) rows[f] = dy + (o + (f < filters ? f : filters - 1)) * P.ohw;
    c1k3_tap_sums3(P.ohw, planes, J.taps, J.lane_masks, J.lane_masks + nv, rows, filters, accumulate, part + o * 9);
  }
  J.T->row_sum(P.oc, P.ohw, dy, accumulate ? 1.0f : 0.0f, part + P.oc * 9);
}

/* One chunk of a one-channel 3×3 'same' layer's weight gradient (direct_c1k3's geometry, few taps: the dot path's
 * case) with c1k3_tap_sums3, three filters at a time: partial[chunk] = Σ dY·colᵀ, then the bias sums, as
 * bwd_filter_chunk computes them (same bits) but with no im2col pass. */
void bwd_filter_c1k3_chunk(const Job& J, int64_t q, float* planes) {
  const Conv& P = *J.P;
  float* part = J.out + q * (P.oc * 9 + P.oc);
  const int64_t s0 = q * CHUNK, s1 = s0 + CHUNK < P.n ? s0 + CHUNK : P.n;
  for (int64_t s = s0; s < s1; s++) c1k3_sample(J, sample_grad(J, J.b, s), J.a + s * P.h * P.w, planes, s != s0, part);
}

/* r[i] ← column i of the 16×16 block whose row i was r[i]: unpacks of pairs, then of pairs of pairs, then two
 * rounds of 128-bit lane shuffles (as vector shuffles: the intrinsics' undefined pass-through operands make GCC 12
 * warn at -O3). */
typedef float f32x16 __attribute__((vector_size(64)));
__attribute__((target("avx512f"), always_inline)) inline void transpose16(__m512 m[16]) {
  f32x16 r[16], t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++) r[i] = (f32x16)m[i];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    const f32x16 a = r[2 * i], b = r[2 * i + 1];
    t[2 * i] = __builtin_shufflevector(a, b, 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29);
    t[2 * i + 1] = __builtin_shufflevector(a, b, 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
  }
  // Then 128-bit lane L of r[4i + j] holds element 4L + j of rows 4i … 4i + 3.
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    const f32x16 a = t[4 * i], b = t[4 * i + 1], c = t[4 * i + 2], d = t[4 * i + 3];
    r[4 * i] = __builtin_shufflevector(a, c, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    r[4 * i + 1] = __builtin_shufflevector(a, c, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    r[4 * i + 2] = __builtin_shufflevector(b, d, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    r[4 * i + 3] = __builtin_shufflevector(b, d, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    const f32x16 lo01 = __builtin_shufflevector(r[j], r[4 + j], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const f32x16 hi01 = __builtin_shufflevector(r[j], r[4 + j], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    const f32x16 lo23 = __builtin_shufflevector(r[8 + j], r[12 + j], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const f32x16 hi23 = __builtin_shufflevector(r[8 + j], r[12 + j], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    m[j] = (__m512)__builtin_shufflevector(lo01, lo23, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    m[4 + j] = (__m512)__builtin_shufflevector(lo01, lo23, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    m[8 + j] = (__m512)__builtin_shufflevector(hi01, hi23, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    m[12 + j] = (__m512)__builtin_shufflevector(hi01, hi23, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  }
}

/* The pooled gradients (ReLU mask applied, + 0 as the expansion's zeroing then adding gives) and winners of
 * sample s's filters f0 … f0 + 15, transposed: gt[o·16 + f] and it[o·16 + f] for each window o, in whole blocks of
 * 16 windows (lanes past oc: gradient 0 and a winner that names no pixel). */
__attribute__((target("avx512f"))) void transpose_pooled(const Unpool& U, int64_t s, int64_t f0, float* gt,
                                                         int32_t* it) {
  const int64_t qhw = U.qhw, filters = U.planes - f0 < 16 ? U.planes - f0 : 16;
  const __m512 zero = _mm512_setzero_ps();
  // In locals: the stores below may alias anything, so fields read through U would be reloaded after each.
  const float* const dy = U.dy;
  const float* const y = U.y;
  const int32_t* const idx = U.idx;
  for (int64_t o0 = 0; o0 < qhw; o0 += 16) {
    const __mmask16 m = (__mmask16)(qhw - o0 >= 16 ? 0xFFFF : (1u << (qhw - o0)) - 1);
    __m512 g[16], w[16];
#pragma GCC unroll 16
    for (int64_t f = 0; f < 16; f++) {
      const __mmask16 mf = f < filters ? m : (__mmask16)0;
      const int64_t at = (s * U.planes + f0 + (f < filters ? f : 0)) * qhw + o0;
      __m512 v = _mm512_maskz_loadu_ps(mf, dy + at);
      if (y) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(mf, y + at), zero, _CMP_GT_OQ), v);
      g[f] = _mm512_add_ps(v, zero);
      w[f] = _mm512_castsi512_ps(_mm512_mask_loadu_epi32(_mm512_set1_epi32(-1), mf, idx + at));
    }
    transpose16(g);
    transpose16(w);
    // All 16 rows (gt and it hold whole blocks of 16 windows): a store loop of fewer became a memcpy from the stack.
#pragma GCC unroll 16
    for (int64_t r = 0; r < 16; r++) {
      _mm512_store_ps(gt + (o0 + r) * 16, g[r]);
      _mm512_store_ps(reinterpret_cast<float*>(it) + (o0 + r) * 16, w[r]);
    }
  }
}

/* Prefetches into L2 the pooled gradients, winners and (relu) outputs of sample s's filters f0 … f0 + count − 1,
 * lines [lo, hi) of them: read 16 planes at a time, they are too many streams for the hardware prefetchers. */
inline void prefetch_pooled(const Unpool& U, int64_t s, int64_t f0, int64_t lo, int64_t hi) {
  const int64_t ahead = (s * U.planes + f0) * U.qhw;
  for (int64_t i = lo; i < hi; i++) {
    _mm_prefetch((const char*)(U.dy + ahead + 16 * i), _MM_HINT_T1);
    _mm_prefetch((const char*)(U.idx + ahead + 16 * i), _MM_HINT_T1);
    if (U.y) _mm_prefetch((const char*)(U.y + ahead + 16 * i), _MM_HINT_T1);
  }
}

/* Sample s's dYᵀ as bwd_filter_transposed_chunk's B panels, as gemm_pack_b packs the expanded gradient (one k block
 * of all ohw pixels: bp[panel·nr·ohw + j·nr + lane] for filter panel·nr + lane, zero past oc), straight from the
 * pooled gradient: per pixel j, each group of 16 filters' window gradients (transpose_pooled) where their winner is
 * j, +0 elsewhere (the expanded values exactly); and the bias sums (sums[o]) as row_sum sums the expanded planes:
 * its four accumulators' lane partials (vectors k mod 4 of its 64-pixel blocks, the rest into the first), in pixel
 * order, then (s0 + s1) + (s2 + s3), its lane sum and its tail pixels one by one, here with the filters in the
 * lanes. False when a winner lies outside its window's 2×2 block (bp is then partly written): the caller expands. */
__attribute__((target("avx512f"))) bool pack_pooled_dyt(const Conv& P, const Unpool& U, int64_t s, int64_t nr, float* gt,
                                                        int32_t* it, float* lanes, float* bp, float* sums) {
  const int64_t ohw = P.ohw, oc_pad = (P.oc + nr - 1) / nr * nr, nv = ohw / 16, blocks = nv / 4 * 4;
  const __m512 zero = _mm512_setzero_ps();
  const __m512i one = _mm512_set1_epi32(1);
  for (int64_t f0 = 0; f0 < oc_pad; f0 += 16) {
    float* panel = bp + f0 / nr * nr * ohw + f0 % nr;
    if (f0 >= P.oc) {
      for (int64_t j = 0; j < ohw; j++) _mm512_store_ps(panel + j * nr, zero);
      continue;
    }
    transpose_pooled(U, s, f0, gt, it);
    __m512i found = _mm512_setzero_si512();
    for (int64_t r = 0, j = 0; r < P.oh; r++)
      for (int64_t c = 0; c < P.ow; c++, j++) {
        const int64_t o = (r >> 1) * U.qw + (c >> 1);
        const __mmask16 m = _mm512_cmpeq_epi32_mask(_mm512_load_si512(it + o * 16), _mm512_set1_epi32((int32_t)j));
        found = _mm512_mask_add_epi32(found, m, found, one);
        _mm512_store_ps(panel + j * nr, _mm512_maskz_mov_ps(m, _mm512_load_ps(gt + o * 16)));
      }
    const int64_t filters = P.oc - f0 < 16 ? P.oc - f0 : 16;
    if (_mm512_mask_cmpneq_epi32_mask((__mmask16)((1u << filters) - 1), found, _mm512_set1_epi32((int32_t)U.qhw)))
      return false;
    for (int64_t l = 0; l < 16; l++) {
      __m512 b0 = zero, b1 = zero, b2 = zero, b3 = zero;
      const float* v = panel + l * nr;
      int64_t k = 0;
      for (; k < blocks; k += 4) {
        b0 = _mm512_add_ps(b0, _mm512_load_ps(v + k * 16 * nr));
        b1 = _mm512_add_ps(b1, _mm512_load_ps(v + (k + 1) * 16 * nr));
        b2 = _mm512_add_ps(b2, _mm512_load_ps(v + (k + 2) * 16 * nr));
        b3 = _mm512_add_ps(b3, _mm512_load_ps(v + (k + 3) * 16 * nr));
      }
      for (; k < nv; k++) b0 = _mm512_add_ps(b0, _mm512_load_ps(v + k * 16 * nr));
      _mm512_store_ps(lanes + l * 16, _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3)));
    }
    __m512 v[16];
    for (int64_t l = 0; l < 16; l++) v[l] = _mm512_load_ps(lanes + l * 16);
    for (int64_t i = 0; i < 8; i++) v[i] = _mm512_add_ps(v[i], v[i + 8]);
    for (int64_t i = 0; i < 4; i++) v[i] = _mm512_add_ps(v[i], v[i + 4]);
    __m512 sum = _mm512_add_ps(_mm512_add_ps(v[0], v[2]), _mm512_add_ps(v[1], v[3]));
    for (int64_t j = nv * 16; j < ohw; j++) sum = _mm512_add_ps(sum, _mm512_load_ps(panel + j * nr));
    _mm512_storeu_ps(sums + f0, sum);
  }
  return true;
}

/* A pixel of the pooled c1k3 weight gradient (c1k3_pooled_block), in lane-major order: pixel l + 16k of lane l. */
struct C1k3Pixel {
  int32_t window;  // its pool window (its row of the transposed gradients and winners)
  int32_t at;      // its top-left tap's offset in the padded plane
  int32_t pixel;   // its position in the plane, as a winner's index names it
  int32_t unused;
};

/* Offsets (floats) into one thread's scratch of bwd_filter_c1k3_pooled_chunk: the expanded path's planes (its
 * fallback), the transposed gradients and winners (16 per window), the padded plane (rows of w + 2), the lanes'
 * sums (10 per lane: 9 taps and the bias) and every block's results. */
struct C1k3PooledScratch {
  int64_t gt, it, xp, lanes, out, total;
};

inline C1k3PooledScratch c1k3_pooled_scratch(const Conv& P, int64_t qhw) {
  const auto up = [](int64_t v) { return (v + 15) / 16 * 16; };
  C1k3PooledScratch S;
  S.gt = up(padded_planes(P, P.ohw).len);
  S.it = S.gt + up(qhw) * 16;
  S.xp = S.it + up(qhw) * 16;
  S.lanes = S.xp + up((P.h + 2) * (P.w + 2));
  S.out = S.lanes + 16 * 10 * 16;
  S.total = S.out + (P.oc + 15) / 16 * 10 * 16;
  return S;
}

/* One pixel of c1k3_pooled_block: its 9 taps (broadcasts from rows r0, r1 = r0 + w2, r2 = r1 + w2 of the padded
 * plane) times the window's gradients in the lanes whose winner it is, into a0 … a8, and the gradient into the bias
 * partial b; found counts the winners met. */
#define DESCENT_C1K3_PIXEL(e, b)                                                                              \
  {                                                                                                           \
    const __m512 g = _mm512_load_ps(gt + (e).window * 16);                                                    \
    const __mmask16 m = _mm512_cmpeq_epi32_mask(_mm512_load_si512(it + (e).window * 16), _mm512_set1_epi32((e).pixel)); \
    found = _mm512_mask_add_epi32(found, m, found, one);                                                      \
    const float* r0 = xp + (e).at;                                                                            \
    const float* r1 = r0 + w2;                                                                                \
    const float* r2 = r1 + w2;                                                                                \
    a0 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r0[0]), g, a0, m);                                              \
    a1 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r0[1]), g, a1, m);                                              \
    a2 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r0[2]), g, a2, m);                                              \
    a3 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r1[0]), g, a3, m);                                              \
    a4 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r1[1]), g, a4, m);                                              \
    a5 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r1[2]), g, a5, m);                                              \
    a6 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r2[0]), g, a6, m);                                              \
    a7 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r2[1]), g, a7, m);                                              \
    a8 = _mm512_mask3_fmadd_ps(_mm512_set1_ps(r2[2]), g, a8, m);                                              \
    b = _mm512_mask_add_ps(b, m, b, g);                                                                       \
  }

/* Sample s's tap and bias sums of filters f0 … f0 + 15 (out: 9 taps then the bias, 16 lanes each; lanes past oc
 * zero) from the pooled gradient, for a one-channel 3×3 'same' layer behind a 2×2 stride-2 pool: the FMAs and adds
 * of c1k3_tap_sums3 and row_sum over the expanded gradient, in the same order, so the same bits, with filters in the
 * lanes. The expanded gradient is never built: each window's 16 gradients (transposed from the pool's planes, the
 * ReLU's mask applied, + 0 as zeroing then adding gives) count at a pixel in the lanes whose winner it is, and the
 * pixel's 9 taps come as broadcasts from the zero-padded plane xp. Pixels run lane by lane (pixel l + 16k, k up),
 * so each lane's sums are c1k3_tap_sums3's lane partials in pixel order, and row_sum's four accumulators (vectors k
 * mod 4 of its 64-pixel blocks, the rest into the first); the other lanes' gradient there is +0 in the expanded
 * plane, whose product leaves a partial (never −0) as it was when x is finite (the caller checks), so merge-masked
 * FMAs skip it. The lane sums then take lanes_sum16's tree. False when a winner lies outside its window's 2×2
 * block (another pooling with these sizes; out is then partly written): fewer winners are found than windows. */
__attribute__((target("avx512f"))) bool c1k3_pooled_block(const Unpool& U, int64_t s, int64_t f0, int64_t nv,
                                                          const C1k3Pixel* pixels, const float* xp, float* gt,
                                                          int32_t* it, float* lanes, float* out, int64_t next) {
  const int64_t qhw = U.qhw, filters = U.planes - f0 < 16 ? U.planes - f0 : 16, w2 = U.w + 2;
  // The same filters' pooled data of sample `next` (if any) is prefetched while this one's pixels run (without, the
  // transposition waited for memory a quarter of its time in CNN-S's conv1).
  const int64_t lines = next >= 0 ? (filters * qhw + 15) / 16 : 0;
  const __m512 zero = _mm512_setzero_ps();
  transpose_pooled(U, s, f0, gt, it);
  __m512i found = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1);
  const int64_t blocks = nv / 4 * 4;  // row_sum's 64-pixel blocks, in vectors
  for (int64_t l = 0; l < 16; l++) {
    __m512 a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero, a8 = zero;
    __m512 b0 = zero, b1 = zero, b2 = zero, b3 = zero;
    const C1k3Pixel* px = pixels + l * nv;
    int64_t k = 0;
    for (; k < blocks; k += 4) {
      DESCENT_C1K3_PIXEL(px[k], b0)
      DESCENT_C1K3_PIXEL(px[k + 1], b1)
      DESCENT_C1K3_PIXEL(px[k + 2], b2)
      DESCENT_C1K3_PIXEL(px[k + 3], b3)
    }
    for (; k < nv; k++) DESCENT_C1K3_PIXEL(px[k], b0)
    if (lines) prefetch_pooled(U, next, f0, lines * l / 16, lines * (l + 1) / 16);
    float* lane = lanes + l * 160;
    _mm512_store_ps(lane, a0), _mm512_store_ps(lane + 16, a1), _mm512_store_ps(lane + 32, a2);
    _mm512_store_ps(lane + 48, a3), _mm512_store_ps(lane + 64, a4), _mm512_store_ps(lane + 80, a5);
    _mm512_store_ps(lane + 96, a6), _mm512_store_ps(lane + 112, a7), _mm512_store_ps(lane + 128, a8);
    _mm512_store_ps(lane + 144, _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3)));  // row_sum's
  }
  const __mmask16 real = (__mmask16)((1u << filters) - 1);
  if (_mm512_mask_cmpneq_epi32_mask(real, found, _mm512_set1_epi32((int32_t)qhw))) return false;
  // lanes_sum16's tree (v[i] + v[i + 8], then + v[i + 4], then (v0 + v2) + (v1 + v3)) for each of the 10 sums.
  for (int64_t t = 0; t < 10; t++) {
    __m512 v[16];
    for (int64_t l = 0; l < 16; l++) v[l] = _mm512_load_ps(lanes + l * 160 + t * 16);
    for (int64_t i = 0; i < 8; i++) v[i] = _mm512_add_ps(v[i], v[i + 8]);
    for (int64_t i = 0; i < 4; i++) v[i] = _mm512_add_ps(v[i], v[i + 4]);
    _mm512_store_ps(out + t * 16, _mm512_add_ps(_mm512_add_ps(v[0], v[2]), _mm512_add_ps(v[1], v[3])));
  }
  return true;
}
#undef DESCENT_C1K3_PIXEL

/* Whether x[0, n) is all finite. */
__attribute__((target("avx512f"))) bool all_finite(const float* x, int64_t n) {
  const __m512i exponent = _mm512_set1_epi32(0x7f800000);
  __mmask16 bad = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    bad |= _mm512_mask_cmpeq_epi32_mask(m, _mm512_and_si512(_mm512_maskz_loadu_epi32(m, x + i), exponent), exponent);
  }
  return bad == 0;
}

/* One chunk of the fused backward's weight gradient of a one-channel 3×3 'same' layer behind a 2×2 stride-2 pool:
 * bwd_filter_c1k3_chunk's sums and bits, through c1k3_pooled_block. A sample with a non-finite input or a winner
 * outside its block takes bwd_filter_c1k3_chunk's expanded path instead. */
void bwd_filter_c1k3_pooled_chunk(const Job& J, int64_t q, float* scratch) {
  const Conv& P = *J.P;
  const Unpool& U = *J.unpool;
  const int64_t wsize = P.oc * 9, nv = P.ohw / 16, w2 = P.w + 2;
  const C1k3PooledScratch S = c1k3_pooled_scratch(P, U.qhw);
  float* part = J.out + q * (wsize + P.oc);
  float* xp = scratch + S.xp;
  float* out = scratch + S.out;
  const C1k3Pixel* pixels = reinterpret_cast<const C1k3Pixel*>(J.pixels);
  // The padded plane's border stays zero: every sample writes the same interior.
  std::memset(xp, 0, (size_t)((P.h + 2) * w2) * sizeof(float));
  const int64_t s0 = q * CHUNK, s1 = s0 + CHUNK < P.n ? s0 + CHUNK : P.n;
  for (int64_t s = s0; s < s1; s++) {
    const float* x = J.a + s * P.h * P.w;
    const bool accumulate = s != s0;
    bool pooled = all_finite(x, P.h * P.w);
    if (pooled) {
      for (int64_t r = 0; r < P.h; r++) std::memcpy(xp + (r + 1) * w2 + 1, x + r * P.w, P.w * sizeof(float));
      for (int64_t f0 = 0; f0 < P.oc && pooled; f0 += 16)
        pooled = c1k3_pooled_block(U, s, f0, nv, pixels, xp, scratch + S.gt, reinterpret_cast<int32_t*>(scratch + S.it),
                                   scratch + S.lanes, out + f0 * 10, s + 1 < P.n ? s + 1 : -1);
    }
    if (!pooled) {
      c1k3_sample(J, unpool_sample(U, s, unpooled.p), x, scratch, accumulate, part);
      continue;
    }
    // Every block done: its results into the partials as c1k3_tap_sums3 and row_sum store theirs.
    for (int64_t f = 0; f < P.oc; f++) {
      const float* r = out + f / 16 * 160 + f % 16;
      for (int64_t t = 0; t < 9; t++) part[f * 9 + t] = accumulate ? part[f * 9 + t] + r[t * 16] : r[t * 16];
      part[wsize + f] = accumulate ? part[wsize + f] + r[144] : r[144];
    }
  }
}
#endif

/* Winograd F(2×2, 3×3) (winograd.cc) for 3×3 stride-1 layers when it pays. Its GEMMs run over whole NR-wide panels
 * of tiles (one spare tile per row of tiles, partial tiles at odd edges): 16·tstride multiplies per channel pair
 * against the direct form's 9·oh·ow. Bench (AVX-512, one thread, batch 128, A/B against the packed path in one
 * process): 16→32 at 14×14 (ratio 0.58) 1.17× forward, 1.36× input gradient; 32→64 at 14×14 1.44×; 16→16 at 28×28
 * (0.51) 1.3×; 8→8 at 28×28 1.1×; but 8→16 at 14×14 0.94× forward (K = 8 is short for the micro-kernel), 16→16
 * and 64→64 at 7×7 (ratio 1.16: one panel of 32 for 16 real tiles) 0.5× and 0.8×. So: at least 8 output channels
 * (the micro-kernel's MR rows), and a ratio of at most 0.7 with 16 or more input channels, at most 0.55 with 8 to
 * 15. Its per-thread scratch (V and M) is capped so it stays in L2. */
constexpr int64_t WINOGRAD_MAX_SCRATCH = 1 << 20;

/* At most this many samples share the GEMMs' columns (winograd_plan; at least 4 groups a call, so small batches
 * still spread over threads). CNN-S's conv2 (56 tiles a sample with the spare ones): groups of 4 fill 7 panels;
 * CNN-S training step, one thread, 1.028× CPU time against one sample in 64 columns. Numbering the tiles densely
 * (49 a sample, groups of 8 in 400 columns) cut the micro-kernel's time by 20 % but made the input transform's
 * stores unaligned and straddle panels (+43 %): 1.013×. */
constexpr int64_t WINOGRAD_MAX_GROUP = 8;

/* conv_set_winograd's mode: 0 auto (winograd_pays), 1 always where it applies, 2 never. */
std::atomic<int> winograd_mode{0};

inline bool winograd_pays(const Conv& P, const WinogradPlan& W) {
  if (P.oc < 8 || P.c < 8) return false;
  // Over the columns of one sample with a spare tile per row, the layout the benches above measured, whichever
  // layout runs: the shapes that take Winograd (and so their bits) do not move with it.
  const int64_t NR = W.T->blk.nr, columns = (W.th * W.tw1 + NR - 1) / NR * NR;
  const double ratio = 16.0 * (double)columns / (9.0 * (double)P.ohw);
  return ratio <= (P.c >= 16 ? 0.7 : 0.55);
}

thread_local Workspace wino_u, wino_tmp;

/* Item i: the group of samples i·group … (fixed by the plan, never by the thread count), each transformed into the
 * group's columns in turn (an expanded gradient one sample at a time, in this thread's one-sample buffer). */
void winograd_item(const Job& J, int64_t i, float* scratch) {
  const Conv& P = *J.P;
  const WinogradPlan& W = *J.wino;
  const int64_t s0 = i * W.group, count = P.n - s0 < W.group ? P.n - s0 : W.group;
  for (int64_t g = 0; g < count; g++) {
    const int64_t s = s0 + g;
    winograd_input(W, g, J.unpool ? unpool_sample(*J.unpool, s, unpooled.p) : J.a + s * P.c * P.h * P.w, scratch);
  }
  if (J.wino_pool) {
    // Each output tile is a pool window: pooled as the output transform makes it, the output never stored.
    const FusedPool& Q = *J.pool;
    const int64_t at = s0 * P.oc * Q.qh * Q.qw;
    const WinogradPool pool{Q.y + at, Q.idx + at, Q.relu};
    winograd_output(W, count, J.bias, scratch, nullptr, &pool);
    return;
  }
  // Groups of one where the output goes through the one-sample buffer (a pool taken after the output).
  float* y = sample_output(J, s0);
  winograd_output(W, count, J.bias, scratch, y);
  if (J.pool) pool_sample(J, s0, y);
}

/* The forward (fused: then pooled; unpool: over the expanded gradient) through Winograd; false (nothing written)
 * when it does not apply or memory is short. */
bool winograd_forward(const Conv& P, const float* x, const float* weight, const float* bias, float* y,
                      const FusedPool* pool, float* caller_out, const Unpool* unpool) {
  if (P.groups != 1 || P.kh != 3 || P.kw != 3 || P.sh != 1 || P.sw != 1 || P.dilh != 1 || P.dilw != 1) return false;
  const isa_table& T = *isa();
  const int64_t kc_step = kc_step_for(P.c, T.blk);
  const bool wino_pool = pool && pool->kh == 2 && pool->kw == 2 && pool->sh == 2 && pool->sw == 2 && pool->ph == 0 &&
                         pool->pw == 0 && 2 * pool->qh == P.oh && 2 * pool->qw == P.ow;
  WinogradPlan W = winograd_plan(T, P.c, P.h, P.w, P.oc, P.oh, P.ow, P.ph, P.pw, kc_step, 1);
  // Groups of samples unless a pool is taken after the output, which goes through a one-sample buffer.
  if (!pool || (wino_pool && winograd_pools(W))) {
    // At least 4 groups when the batch allows, so small batches still spread over threads.
    const int64_t max_group = P.n / 4 < 1 ? 1 : P.n / 4 < WINOGRAD_MAX_GROUP ? P.n / 4 : WINOGRAD_MAX_GROUP;
    const WinogradPlan G = winograd_plan(T, P.c, P.h, P.w, P.oc, P.oh, P.ow, P.ph, P.pw, kc_step, max_group);
    if (winograd_scratch_floats(G) <= (size_t)WINOGRAD_MAX_SCRATCH) W = G;
  }
  const size_t floats = winograd_scratch_floats(W);
  const int mode = winograd_mode.load(std::memory_order_relaxed);
  if (mode == 2 || (mode == 0 && !winograd_pays(P, W)) || floats > (size_t)WINOGRAD_MAX_SCRATCH) return false;
  float* u = wino_u.get(winograd_u_floats(W));
  float* tmp = wino_tmp.get(winograd_filter_tmp_floats(W));
  float* scratch = worker_col.get(floats);
  if (!u || !tmp || !scratch) return false;
  winograd_filters(W, weight, tmp, u);
  W.u = u;
  Job J{};
  J.P = &P, J.items = (P.n + W.group - 1) / W.group, J.item = winograd_item, J.T = &T, J.wino = &W, J.col = scratch;
  J.col_floats = floats;
  J.a = x, J.bias = bias, J.out = y, J.pool = pool, J.caller_out = caller_out, J.unpool = unpool;
  J.wino_pool = wino_pool && winograd_pools(W);
  run(J, P.n * P.oc * P.ohw * P.kg);
  return true;
}

/* The packed forward over all samples; false (nothing written) when it does not apply or memory is short. */
bool packed_forward(const Conv& P, const float* x, const float* weight, const float* bias, float* y,
                    const FusedPool* pool = nullptr, float* caller_out = nullptr, const Unpool* unpool = nullptr) {
  if (!packed_fwd(P)) return false;
  if (winograd_forward(P, x, weight, bias, y, pool, caller_out, unpool)) return true;
  const isa_table& T = *isa();
  Job J{};
  J.P = &P, J.items = P.n, J.item = fwd_packed_sample, J.T = &T;
  J.a = x, J.b = weight, J.bias = bias, J.out = y, J.pool = pool, J.caller_out = caller_out, J.unpool = unpool;
  // The direct one-channel forward reads the weight and the planes as they are: nothing to pack or tabulate.
  const C1k3Forward direct = unpool ? C1k3Forward::none : direct_c1k3_forward(P);
  J.direct = direct != C1k3Forward::none;
  J.direct_avx2 = direct == C1k3Forward::avx2;
  // A 2×2 stride-2 pool after it: pooled pair of rows by pair of rows in registers (fwd_c1k3_pooled).
  // AVX2 pools the direct output from the one-sample buffer instead: pooled in registers, its compares and blends
  // cost what the pass saves (CNN-S conv1, both builds alternating in one process: no faster than packed + pool).
  J.direct_pool = J.direct && !J.direct_avx2 && pool && pool->kh == 2 && pool->kw == 2 && pool->sh == 2 && pool->sw == 2 &&
                  pool->ph == 0 && pool->pw == 0 && 2 * pool->qh <= P.oh && 2 * pool->qw <= P.ow;
  if (!J.direct) {
    const int64_t kc_step = kc_step_for(P.kg, T.blk), m_pad = (P.oc + T.blk.mr - 1) / T.blk.mr * T.blk.mr;
    const int64_t padded = (P.ohw + T.blk.nr - 1) / T.blk.nr * T.blk.nr;
    const size_t floats = packed_scratch_floats(P, T, kc_step);
    float* apack = packed_w.get((size_t)(m_pad * P.kg));
    float* scratch = worker_col.get(floats);
    // uint32 masks in a float workspace: same size, and the workspace is only ever read through this pointer.
    uint32_t* valid = flat_taps(P) ? reinterpret_cast<uint32_t*>(valid_cols_w.get((size_t)(P.kw * padded))) : nullptr;
    // int64 pairs in a float workspace: 64-byte aligned, and only ever read through this pointer.
    int64_t* taps = flat_taps(P) ? reinterpret_cast<int64_t*>(taps_w.get((size_t)(4 * P.kg))) : nullptr;
    if (!apack || !scratch || (flat_taps(P) && (!valid || !taps))) return false;
    if (valid) fill_valid(P, padded, valid), fill_taps(P, padded_planes(P, padded), padded, taps);
    for (int64_t pc = 0; pc < P.kg; pc += kc_step)
      T.gemm_pack_a(P.oc, P.kg - pc < kc_step ? P.kg - pc : kc_step, weight + pc, P.kg, 1, apack + pc * m_pad);
    J.col = scratch, J.col_floats = floats;
    J.apack = apack, J.m_pad = m_pad, J.kc_step = kc_step, J.valid = valid, J.taps = taps;
  }
  run(J, P.n * P.oc * P.ohw * P.kg);
  return true;
}

thread_local Workspace flipped_w;

/* The input gradient of a stride-1 convolution (one group) as a forward convolution over dY: dx = dY ⋆ W̃ with
 * W̃[ci, o, ky, kx] = W[o, ci, kh−1−ky, kw−1−kx] and padding dil·(k−1) − p, so it runs on the packed forward:
 * one GEMM of depth oc·kh·kw per sample writes dx directly, with no col buffer of c·kh·kw rows and no col2im
 * pass. Each dx element is then one FMA chain over (o, ky, kx) instead of col2im's sum of per-tap products.
 * False when it does not apply (then the col path runs). */
bool flipped_bwd_data(const Conv& P, const float* dy, const Unpool* unpool, const float* weight, float* dx) {
  // Fewer input channels than the micro-kernel's MR rows would leave most of each tile empty (bench: CNN-S's
  // conv1, one channel, 10.6 GFLOP/s this way against 36 through col2im).
  if (P.groups != 1 || P.sh != 1 || P.sw != 1 || P.pointwise || P.c < isa()->blk.mr) return false;
  const int64_t ph = (P.kh - 1) * P.dilh - P.ph, pw = (P.kw - 1) * P.dilw - P.pw;
  if (ph < 0 || pw < 0) return false;
  const Conv T = make_conv(P.n, P.oc, P.oh, P.ow, P.c, P.kh, P.kw, 1, 1, ph, pw, P.dilh, P.dilw, 1, P.h, P.w);
  if (!packed_fwd(T)) return false;
  float* flipped = flipped_w.get((size_t)(P.c * T.kg));
  if (!flipped) return false;
  const int64_t khw = P.kh * P.kw;
  for (int64_t ci = 0; ci < P.c; ci++)
    for (int64_t o = 0; o < P.oc; o++)
      for (int64_t t = 0; t < khw; t++) flipped[(ci * P.oc + o) * khw + t] = weight[(o * P.c + ci) * khw + khw - 1 - t];
  return packed_forward(T, dy, flipped, nullptr, dx, nullptr, nullptr, unpool);
}

}  // namespace

void conv_set_winograd(int mode) noexcept { winograd_mode.store(mode, std::memory_order_relaxed); }

void conv2d_fwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                    int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                    int64_t ow, const float* x, const float* weight, const float* bias, float* col, float* y) noexcept {
  const Conv P = make_conv(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow);
  if (n == 0 || P.ohw == 0 || P.ocg == 0) return;
  // Without memory for the packed buffers the col path runs instead (same results).
  if (packed_forward(P, x, weight, bias, y)) return;
  Job J{};
  J.P = &P, J.col = col, J.col_floats = P.pointwise ? 0 : (size_t)(P.groups * P.kg * P.ohw);
  J.items = n, J.item = fwd_sample, J.a = x, J.b = weight, J.bias = bias, J.out = y;
  run(J, n * P.oc * P.ohw * P.kg);
}

void conv2d_max_pool2d_fwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw,
                               int64_t groups, int64_t oh, int64_t ow, int64_t pkh, int64_t pkw, int64_t psh,
                               int64_t psw, int64_t pph, int64_t ppw, int64_t qh, int64_t qw, int64_t, int relu,
                               const float* x, const float* weight, const float* bias, float* col, float* scratch,
                               float* y, int32_t* idx) noexcept {
  const Conv P = make_conv(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow);
  if (n == 0 || oc == 0) return;
  FusedPool Q{pkh, pkw, psh, psw, pph, ppw, qh, qw, y, idx, relu != 0};
  if (P.ohw == 0 || P.ocg == 0) {
    // Nothing to convolve: what the unfused pair does (the conv writes nothing, the pool scans scratch's planes).
    const int64_t pooled = oc * qh * qw;
    for (int64_t s = 0; s < n; s++) {
      max_pool2d_planes(0, oc, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, scratch, y + s * pooled, idx + s * pooled);
      if (relu) isa()->relu_fwd(pooled, y + s * pooled, y + s * pooled);
    }
    return;
  }
  // One sample at a time per thread: its output (CNN-S's conv1: 16 planes of 28×28, 50 KB) is pooled while it is
  // still in cache instead of going to memory as a whole batch's y and coming back for the pool.
  if (packed_forward(P, x, weight, bias, nullptr, &Q, scratch)) return;
  Job J{};
  J.P = &P, J.col = col, J.col_floats = P.pointwise ? 0 : (size_t)(P.groups * P.kg * P.ohw);
  J.items = n, J.item = fwd_sample, J.a = x, J.b = weight, J.bias = bias, J.pool = &Q, J.caller_out = scratch;
  J.T = isa();
  run(J, n * P.oc * P.ohw * P.kg);
}

namespace {

/* The input gradient from dy, or (unpool) from the pool's gradient expanded per sample; the caller's thread must
 * hold its `unpooled` buffer. */
void bwd_data(const Conv& P, const float* dy, const Unpool* unpool, const float* weight, float* col, float* dx) {
  if (P.n == 0 || P.c * P.h * P.w == 0) return;
  if (P.ohw == 0 || P.ocg == 0 || P.cg == 0) {
    std::memset(dx, 0, P.n * P.c * P.h * P.w * sizeof(float));
    return;
  }
  if (flipped_bwd_data(P, dy, unpool, weight, dx)) return;
  Job J{};
  J.P = &P, J.col = col, J.col_floats = P.pointwise ? 0 : (size_t)(P.groups * P.kg * P.ohw);
  J.items = P.n, J.item = bwd_data_sample, J.a = dy, J.b = weight, J.out = dx, J.unpool = unpool;
  run(J, P.n * P.oc * P.ohw * P.kg);
}

/* The weight and bias gradients from dy or (unpool) the pool's gradient. False, with nothing written, when there is
 * no memory for the chunk partials and the gradient is unpooled (the unpooled direct loop would need it whole). */
bool bwd_filter(const Conv& P, float beta, const float* x, const float* dy, const Unpool* unpool, float* col,
                float* gw, float* gb) {
  const int64_t n = P.n, c = P.c, h = P.h, w = P.w, oc = P.oc, kh = P.kh, kw = P.kw, sh = P.sh, sw = P.sw;
  const int64_t ph = P.ph, pw = P.pw, dilh = P.dilh, dilw = P.dilw, oh = P.oh, ow = P.ow;
  const int64_t wsize = P.groups * P.ocg * P.kg, osize = P.groups * P.ocg;
  // No filters (more groups than output channels): nothing to compute, and the group loops below would otherwise
  // spin through every one of up to 2³¹ empty groups.
  if (osize == 0) return true;
  const int64_t chunks = (n + CHUNK - 1) / CHUNK;
  float* part = chunks > 0 ? partials.get((size_t)(chunks * (wsize + osize))) : nullptr;
  if (chunks > 0 && !part && unpool) return false;
  if (chunks > 0 && !part) {
    // No memory for the partial sums: a direct loop, slower and rounded differently, but correct.
    for (int64_t o = 0; o < osize; o++) {
      const int64_t g = o / P.ocg;
      for (int64_t k = 0; k < P.kg; k++) {
        const int64_t i = k / (kh * kw), ky = k / kw % kh, kx = k % kw;
        double acc = 0;
        for (int64_t s = 0; s < n; s++)
          for (int64_t oy = 0; oy < oh; oy++) {
            const int64_t iy = oy * sh - ph + ky * dilh;
            if (iy < 0 || iy >= h) continue;
            for (int64_t ox = 0; ox < ow; ox++) {
              const int64_t ix = ox * sw - pw + kx * dilw;
              if (ix >= 0 && ix < w)
                acc += (double)dy[(s * oc + o) * P.ohw + oy * ow + ox] * x[((s * c + g * P.cg + i) * h + iy) * w + ix];
            }
          }
        float* at = gw + o * P.kg + k;
        *at = beta == 0.0f ? (float)acc : beta * *at + (float)acc;
      }
      if (gb) {
        double acc = 0;
        for (int64_t s = 0; s < n; s++)
          for (int64_t i = 0; i < P.ohw; i++) acc += dy[(s * oc + o) * P.ohw + i];
        gb[o] = beta == 0.0f ? (float)acc : beta * gb[o] + (float)acc;
      }
    }
    return true;
  }
  bool transposed = false;  // partials hold dWᵀ [kg, oc] (bwd_filter_transposed_chunk)
  if (chunks > 0 && P.ohw > 0) {
    Job J{};
    J.P = &P, J.col = col, J.col_floats = P.pointwise ? 0 : (size_t)(P.groups * P.kg * P.ohw);
    J.items = chunks, J.item = bwd_filter_chunk, J.a = x, J.b = dy, J.out = part, J.unpool = unpool;
    J.T = isa();
    // Few taps per filter (CNN-S's first layer: 9) would fill a fraction of the packed GEMM's NR-wide tile; dot
    // products over the pixels do better there (bench, one thread: 16×9×784 per sample 1.74 → 0.53 ms per batch
    // of 128), and worse at 32×144×196 (3.1 → 18 ms), so only narrow outputs take them.
    J.dot = P.kg < J.T->blk.nr;
#if defined(__x86_64__)
    // A one-channel 3×3 'same' layer (CNN-S's conv1): the dot path's sums straight from the padded plane.
    if (J.dot && direct_c1k3(P) && P.ohw % 16 == 0) {
      const int64_t nv = P.ohw / 16;
      const size_t floats = (size_t)padded_planes(P, P.ohw).len;
      // uint16 lane masks and int64 tap pairs in float workspaces: aligned, and only ever read through these pointers.
      uint16_t* masks = reinterpret_cast<uint16_t*>(lane_masks_w.get((size_t)(nv + 1)));
      int64_t* taps = reinterpret_cast<int64_t*>(taps_w.get((size_t)(4 * P.kg)));
      float* planes = worker_col.get(floats);
      // Without memory for these buffers the dot path runs instead (same bits).
      if (masks && taps && planes) {
        for (int64_t v = 0; v < nv; v++) {
          uint16_t l = 0, r = 0;
          for (int64_t lane = 0; lane < 16; lane++) {
            const int64_t col = (16 * v + lane) % P.w;
            if (col > 0) l |= (uint16_t)(1u << lane);
            if (col + 1 < P.w) r |= (uint16_t)(1u << lane);
          }
          masks[v] = l, masks[nv + v] = r;
        }
        fill_taps(P, padded_planes(P, P.ohw), P.ohw, taps);
        J.lane_masks = masks, J.taps = taps, J.col = planes, J.col_floats = floats;
        J.item = bwd_filter_c1k3_chunk;
        // Fused with a 2×2 stride-2 pool that tiles the plane: the same sums from the pooled gradient.
        const size_t pooled_floats = unpool && unpool->tiled ? (size_t)c1k3_pooled_scratch(P, unpool->qhw).total : 0;
        C1k3Pixel* pixels = pooled_floats ? reinterpret_cast<C1k3Pixel*>(c1k3_pixels_w.get((size_t)(4 * P.ohw))) : nullptr;
        float* scratch = pixels ? worker_col.get(pooled_floats) : nullptr;
        if (scratch) {
          for (int64_t l = 0, e = 0; l < 16; l++)
            for (int64_t k = 0; k < nv; k++, e++) {
              const int64_t p = l + 16 * k, r = p / P.w, c = p % P.w;
              pixels[e] = C1k3Pixel{(int32_t)(r / 2 * unpool->qw + c / 2), (int32_t)(r * (P.w + 2) + c), (int32_t)p, 0};
            }
          J.pixels = reinterpret_cast<const int32_t*>(pixels), J.col = scratch, J.col_floats = pooled_floats;
          J.item = bwd_filter_c1k3_pooled_chunk;
        }
      }
    }
#endif
    if (transposed_wgrad(P, *J.T)) {
      const int64_t stride = (P.ohw + 15) / 16 * 16;
      uint32_t* valid = flat_taps(P) ? reinterpret_cast<uint32_t*>(valid_cols_w.get((size_t)(P.kw * stride))) : nullptr;
      int64_t* taps = flat_taps(P) ? reinterpret_cast<int64_t*>(taps_w.get((size_t)(4 * P.kg))) : nullptr;
      J.pooled_dyt = pooled_dyt(P, *J.T, unpool);
      const size_t floats = wgrad_scratch_floats(P, *J.T) + (J.pooled_dyt ? pooled_dyt_floats(P, *J.T, *unpool) : 0);
      float* scratch = worker_col.get(floats);
      // Without memory for these buffers the GEMM path runs instead, its partials in the same [oc, kg] layout.
      if (scratch && (flat_taps(P) ? valid && taps : true)) {
        if (valid) fill_valid(P, stride, valid), fill_taps(P, padded_planes(P, stride), stride, taps);
        J.valid = valid, J.taps = taps, J.col = scratch, J.col_floats = floats;
        J.item = bwd_filter_transposed_chunk;
        transposed = true;
      }
    }
    run(J, n * P.oc * P.ohw * P.kg);
  } else if (chunks > 0) {
    std::memset(part, 0, chunks * (wsize + osize) * sizeof(float));
  }
  // Chunk partials in chunk order; beta = 0 never reads the old gradient. Transposed partials hold dWᵀ: walked in
  // their own order (k, then o) so each chunk's partials are read contiguously, with no division per element.
  const int64_t rows = transposed ? P.kg : 1, cols = transposed ? osize : wsize;
  for (int64_t k = 0; k < rows; k++)
    for (int64_t j = 0; j < cols; j++) {
      const int64_t at = k * cols + j, i = transposed ? j * P.kg + k : j;
      float acc = beta == 0.0f ? 0.0f : beta * gw[i];
      for (int64_t q = 0; q < chunks; q++) acc += part[q * (wsize + osize) + at];
      gw[i] = acc;
    }
  if (gb)
    for (int64_t o = 0; o < osize; o++) {
      float acc = beta == 0.0f ? 0.0f : beta * gb[o];
      for (int64_t q = 0; q < chunks; q++) acc += part[q * (wsize + osize) + wsize + o];
      gb[o] = acc;
    }
  return true;
}

}  // namespace

void conv2d_bwd_data_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                         int64_t ow, const float* dy, const float* weight, float* col, float* dx) noexcept {
  bwd_data(make_conv(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow), dy, nullptr, weight, col, dx);
}

void conv2d_bwd_filter_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                           int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                           int64_t ow, float beta, const float* x, const float* dy, float* col, float* gw,
                           float* gb) noexcept {
  bwd_filter(make_conv(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow), beta, x, dy, nullptr, col,
             gw, gb);
}

void conv2d_max_pool2d_bwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw,
                               int64_t groups, int64_t oh, int64_t ow, int64_t qh, int64_t qw, int64_t chunk, int relu,
                               float beta, const float* x, const float* dy, const int32_t* idx, const float* y,
                               const float* weight, float* col, float* scratch, float* gw, float* gb,
                               float* dx) noexcept {
  const Conv P = make_conv(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow);
  const Unpool U{dy, idx, relu ? y : nullptr, oc, P.ohw, qh * qw, ow, qh, qw,
                   oh == 2 * qh && ow == 2 * qw && qw > 0 && isa_avx512_active()};
  // Each thread expands one sample's gradient at a time where the weight and input gradients read it (CNN-S's conv1:
  // 50 KB in cache) instead of the pool writing the whole batch's to memory for them to read back.
  if (unpooled.get((size_t)(oc * P.ohw > 0 ? oc * P.ohw : 1)) && bwd_filter(P, beta, x, nullptr, &U, col, gw, gb)) {
    if (dx) bwd_data(P, nullptr, &U, weight, col, dx);
    return;
  }
  // No memory for the per-thread buffers: the unfused kernels, `chunk` samples at a time through scratch (the
  // expanded gradient, then the ReLU's masked one).
  const int64_t in = c * h * w, pooled = oc * qh * qw;
  float* masked = scratch + chunk * oc * P.ohw;
  for (int64_t s0 = 0; s0 < n; s0 += chunk) {
    const int64_t count = n - s0 < chunk ? n - s0 : chunk;
    const float* g = dy + s0 * pooled;
    if (relu) isa()->relu_bwd(count * pooled, y + s0 * pooled, g, masked), g = masked;
    max_pool2d_bwd_planes(0, count * oc, P.ohw, qh * qw, g, idx + s0 * pooled, scratch);
    conv2d_bwd_filter_f32(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, s0 == 0 ? beta : 1.0f,
                          x + s0 * in, scratch, col, gw, gb);
    if (dx)
      conv2d_bwd_data_f32(count, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, scratch, weight, col,
                          dx + s0 * in);
  }
}

}  // namespace descent
