/* Winograd F(2×2, 3×3): each 2×2 output tile is Y = Aᵀ[Σ_c U_c ⊙ V_c]A with U = G g Gᵀ (the filter, once per
 * call) and V = Bᵀ d B (the 4×4 input patch d at rows 2·ty − ph …, columns 2·tx − pw …, zero outside the image):
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1].
 * 16 multiplies per tile and channel pair instead of the direct form's 36: the sum over channels becomes 16 GEMMs
 * (one per transform point ξ) of M[ξ] (oc × tiles) = U[ξ] (oc × c) · V[ξ] (c × tiles), run on the tuned micro-kernel
 * with U packed as its MR-tall A panels once per call and V written by the input transform straight into its
 * NR-wide B panels. Per sample: input transform (channel by channel, through one zero-padded plane, so no reads need
 * range checks), the GEMMs into M, then the output transform Aᵀ M A plus the bias into y. Rows of tiles are short
 * (7 for a 14×14 image): loops over them would run in the vector loops' scalar remainders, so every transform loop
 * runs over all tiles of a plane at once. That works because each row of tiles gets one spare tile (tw1 = tw + 1
 * per row, computed and never stored): with padded rows 2·tw1 wide, tile f = ty·tw1 + tx starts at float 2·f of its
 * parity's rows (the plane keeps its even rows, then its odd rows), so the row pass reads d[2f … 2f + 3], the column
 * pass rows f and f + tw1 of each parity, and the output transform writes floats 2f, 2f + 1 of two output buffers
 * (even and odd output rows), all linear in f. The transforms are adds and subtracts vectorised by the compiler
 * (DESCENT_CLONES: an AVX-512 and an AVX2 copy). With the AVX-512 transforms, a group of samples (fixed by the
 * sizes, never by the thread count) shares the GEMMs' columns, each sample's tiles after the previous one's, so the
 * last panel is not mostly padding (CNN-S's conv2: 4 samples' 224 tiles fill 7 panels of 32; one sample's 56 took
 * 64 columns); a tile's arithmetic does not depend on its column, so the bits are one sample's at a time.
 * Fused with a 2×2 stride-2 max pool (even output sizes, AVX-512),
 * each tile is one pool window: the output transform pools its four values in registers (window-max.h) and stores
 * only the pooled value and its position;
 * nothing depends on the thread count. Accuracy: see test/winograd.ts (N = c + 11 roundings per term on values
 * that can exceed the direct form's by a small factor; fine for float32 training). */
#include "winograd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstring>

#include "../clones.h"
#include "window-max.h"

namespace descent {

WinogradPlan winograd_plan(const isa_table& T, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t oh, int64_t ow,
                           int64_t ph, int64_t pw, int64_t kc_step, int64_t max_group) {
  WinogradPlan W{};
  W.T = &T;
  W.c = c, W.h = h, W.w = w, W.oc = oc, W.oh = oh, W.ow = ow, W.ph = ph, W.pw = pw;
  W.th = (oh + 1) / 2, W.tw = (ow + 1) / 2, W.tw1 = W.tw + 1;
  W.rows16 = W.tw1 <= 16 && isa_avx512_active();
  // The AVX-512 transforms let several samples share the columns, one after another, so the last NR-wide panel is
  // not mostly padding (CNN-S's conv2: 56 tiles with the spare ones, 64 columns for one sample; 4 samples fill 7
  // panels): the smallest group with the fewest columns per sample.
  W.stile = W.th * W.tw1, W.group = 1;
  const int64_t NR = T.blk.nr;
  if (W.rows16)
    for (int64_t g = 2; g <= max_group; g++)
      if ((g * W.stile + NR - 1) / NR * W.group < (W.group * W.stile + NR - 1) / NR * g) W.group = g;
  W.tiles = W.group * W.stile;
  W.panels = (W.tiles + NR - 1) / NR, W.tstride = W.panels * NR;
  // The 2 floats after each parity's rows: the row pass's spare tile of its last row reads them.
  W.pcols = 2 * W.tw1, W.block = (W.th + 1) * W.pcols + 2;
  // One ξ's block of V or M a cache line more than its tiles: the 16 blocks the transforms touch together would
  // otherwise lie a multiple of 4 KiB apart (CNN-S's conv2: V's 16·64 floats), all in one L1 set, and evict
  // each other (bench: the AVX-512 transforms ran 3× slower).
  W.vxi = c * W.tstride + 16, W.mxi = T.blk.mr * W.tstride + 16;
  W.kc_step = kc_step, W.m_pad = (oc + T.blk.mr - 1) / T.blk.mr * T.blk.mr;
  return W;
}

size_t winograd_u_floats(const WinogradPlan& W) { return (size_t)(16 * W.m_pad * W.c); }

size_t winograd_filter_tmp_floats(const WinogradPlan& W) { return (size_t)(16 * W.oc * W.c); }

/* V (16 blocks of c · tstride; first, so its panels are 64-byte aligned for the micro-kernel's loads), M (16 blocks
 * of MR · tstride: one block of output channels at a time), one padded plane, its row transform (4 values × 2 parities × (th + 1)·tw1 tiles), two output buffers
 * (even and odd output rows, 2·tiles floats each). */
size_t winograd_scratch_floats(const WinogradPlan& W) {
  return (size_t)(16 * W.vxi + 16 * W.mxi + 2 * W.block + 8 * (W.th + 1) * W.tw1 + 4 * W.tiles);
}

void winograd_filters(const WinogradPlan& W, const float* weight, float* tmp, float* u) {
  // tmp[ξ][o][ci] = (G g Gᵀ)[ξ]: G's ½ rows as 0.5·(a + b + c), exact scalings of rounded sums.
  const int64_t pairs = W.oc * W.c;
  for (int64_t p = 0; p < pairs; p++) {
    const float* g = weight + p * 9;
    float gg[4][3];  // G g
    for (int j = 0; j < 3; j++) {
      gg[0][j] = g[j];
      gg[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      gg[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      gg[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; i++) {
      const float v[4] = {gg[i][0], 0.5f * (gg[i][0] + gg[i][1] + gg[i][2]), 0.5f * (gg[i][0] - gg[i][1] + gg[i][2]),
                          gg[i][2]};
      for (int j = 0; j < 4; j++) tmp[(4 * i + j) * pairs + p] = v[j];
    }
  }
  const isa_table& T = *W.T;
  for (int64_t xi = 0; xi < 16; xi++)
    for (int64_t pc = 0; pc < W.c; pc += W.kc_step)
      T.gemm_pack_a(W.oc, W.c - pc < W.kc_step ? W.c - pc : W.kc_step, tmp + xi * pairs + pc, W.c, 1,
                    u + xi * W.m_pad * W.c + pc * W.m_pad);
}

namespace {

/* Bᵀ applied down rows 2·ty … 2·ty + 3 of one row-transformed plane: e and o hold its even and odd rows, so tile
 * f reads e[f], o[f], e[f + tw1], o[f + tw1]; the four values of len tiles. */
__attribute__((always_inline)) inline void column_pass(int64_t len, int64_t tw1, const float* __restrict e,
                                                       const float* __restrict o, float* __restrict v0,
                                                       float* __restrict v1, float* __restrict v2,
                                                       float* __restrict v3) {
  for (int64_t k = 0; k < len; k++) {
    const float s0 = e[k], s1 = o[k], s2 = e[k + tw1], s3 = o[k + tw1];
    v0[k] = s0 - s2;
    v1[k] = s1 + s2;
    v2[k] = s2 - s1;
    v3[k] = s1 - s3;
  }
}

/* d B along the rows of one parity's padded rows d: four values per tile (spare tiles included), n tiles. */
__attribute__((always_inline)) inline void row_pass(int64_t n, const float* __restrict d, float* __restrict r0,
                                                    float* __restrict r1, float* __restrict r2, float* __restrict r3) {
  for (int64_t f = 0; f < n; f++) {
    const float a = d[2 * f], b = d[2 * f + 1], c = d[2 * f + 2], e = d[2 * f + 3];
    r0[f] = a - c;
    r1[f] = b + c;
    r2[f] = c - b;
    r3[f] = b - e;
  }
}

/* Channel ci of V: the 4×4 input transform of every tile f, written at v[ξ·vxi + (f / NR)·c·NR + ci·NR + f mod NR]
 * (the B panels). plane: the channel zero padded (even rows, then odd rows); rt: its row transform. */
DESCENT_CLONES void input_transform(const WinogradPlan& W, const float* plane, float* rt, int64_t ci, float* v) {
  const int64_t NR = W.T->blk.nr, vxi = W.vxi, rows = (W.th + 1) * W.tw1;
  // rt[(2·j + parity)·rows + f]: value j of tile f's row of that parity.
  for (int64_t parity = 0; parity < 2; parity++)
    row_pass(rows, plane + parity * W.block, rt + parity * rows, rt + (2 + parity) * rows, rt + (4 + parity) * rows,
             rt + (6 + parity) * rows);
  // Down the columns, one panel of tiles at a time.
  for (int64_t f0 = 0; f0 < W.tiles; f0 += NR) {
    const int64_t len = W.tiles - f0 < NR ? W.tiles - f0 : NR;
    float* dst = v + f0 * W.c + ci * NR;  // f0 / NR · c · NR
    for (int64_t j = 0; j < 4; j++) {
      const float* e = rt + 2 * j * rows + f0;
      float* v0 = dst + j * vxi;
      column_pass(len, W.tw1, e, e + rows, v0, v0 + 4 * vxi, v0 + 8 * vxi, v0 + 12 * vxi);
    }
  }
}

/* Aᵀ M A for n tiles: m_i holds row i of M (ξ = 4·i + j at m_i + j·mxi); tile f's 2×2 outputs go to top[2f …] and
 * bottom[2f …]. Aᵀ M first, column by column, then its two rows times A. */
__attribute__((always_inline)) inline void output_pass(int64_t n, int64_t mxi, const float* __restrict m0,
                                                       const float* __restrict m1, const float* __restrict m2,
                                                       const float* __restrict m3, float* __restrict top,
                                                       float* __restrict bottom) {
  for (int64_t f = 0; f < n; f++) {
    const float a0 = m0[f] + m1[f] + m2[f], b0 = m1[f] - m2[f] - m3[f];
    const float a1 = m0[mxi + f] + m1[mxi + f] + m2[mxi + f], b1 = m1[mxi + f] - m2[mxi + f] - m3[mxi + f];
    const float a2 = m0[2 * mxi + f] + m1[2 * mxi + f] + m2[2 * mxi + f],
                b2 = m1[2 * mxi + f] - m2[2 * mxi + f] - m3[2 * mxi + f];
    const float a3 = m0[3 * mxi + f] + m1[3 * mxi + f] + m2[3 * mxi + f],
                b3 = m1[3 * mxi + f] - m2[3 * mxi + f] - m3[3 * mxi + f];
    top[2 * f] = a0 + a1 + a2;
    top[2 * f + 1] = a1 - a2 - a3;
    bottom[2 * f] = b0 + b1 + b2;
    bottom[2 * f + 1] = b1 - b2 - b3;
  }
}

/* Output channel o: y = Aᵀ M A (+ bias, after the sum) through out (even output rows, then odd ones, 2·tw1 floats
 * each), of which the first ow floats of each row go to y (partial tiles of odd sizes are computed whole). */
DESCENT_CLONES void output_transform(const WinogradPlan& W, const float* mo, const float* bias, int64_t o, float* out,
                                     float* y) {
  const int64_t mxi = W.mxi;
  const float* mt = mo;
  float* top = out;
  float* bottom = out + 2 * W.tiles;
  output_pass(W.tiles, mxi, mt, mt + 4 * mxi, mt + 8 * mxi, mt + 12 * mxi, top, bottom);
  if (bias) {
    const float b = bias[o];
    for (int64_t k = 0; k < 4 * W.tiles; k++) out[k] += b;
  }
  for (int64_t ty = 0; ty < W.th; ty++) {
    float* row = y + (o * W.oh + 2 * ty) * W.ow;
    std::memcpy(row, top + ty * W.pcols, W.ow * sizeof(float));
    if (2 * ty + 1 < W.oh) std::memcpy(row + W.ow, bottom + ty * W.pcols, W.ow * sizeof(float));
  }
}


#if defined(__x86_64__)
/* AVX-512 transforms for rows of at most 16 tiles (images up to 30 columns: one vector of tiles per row), which
 * write the same V and y as the portable ones: the same operations in the same order on each value, lanes in place
 * of loop steps. The input transform reads the image rows directly (masked loads: zeros outside the image, no
 * padded plane, no copies) and keeps the last two padded rows' row transform in registers; the output transform
 * interleaves each tile row's 2×2 outputs in registers and stores them into y with masks (no buffer, no copies). */

/* Lanes [lo, hi) of 16 set (clamped to 0…16). */
inline __mmask16 lanes(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : lo > 16 ? 16 : lo;
  hi = hi < lo ? lo : hi > 16 ? 16 : hi;
  return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* Where one row of tiles goes in the B panels: lanes [0, first) at dst + at, the rest (moved down by first lanes)
 * at the start of the next panel, next − at floats further on. */
struct TileRow {
  int64_t at, next;
  __mmask16 head, tail;
  __m512i shift;
};

__attribute__((target("avx512f"), always_inline)) inline void store_tiles(const TileRow& T, float* dst, __m512 x) {
  _mm512_mask_storeu_ps(dst + T.at, T.head, x);
  if (T.tail) _mm512_mask_storeu_ps(dst + T.next, T.tail, _mm512_maskz_permutexvar_ps(0xFFFF, T.shift, x));
}

/* One image plane as input_transform16 reads it: padded row r is image row r − ph, its lanes m0 (columns 0…15)
 * and m1 (16…31) inside the image. */
struct Row16 {
  const float* plane;
  int64_t h, w, ph, pw;
  __mmask16 m0, m1;
};

/* d B of padded row r: its four values for each of up to 16 tiles, lane tx reading columns 2·tx … 2·tx + 3. */
__attribute__((target("avx512f"), always_inline)) inline void row16(const Row16& R, int64_t r, __m512 out[4]) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i even2 = _mm512_add_epi32(even, _mm512_set1_epi32(2));  // lane 15 (a spare tile) wraps to 0
  const __m512i odd2 = _mm512_add_epi32(even, _mm512_set1_epi32(3));
  const int64_t iy = r - R.ph;
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  if (iy >= 0 && iy < R.h) {
    const float* src = R.plane + iy * R.w - R.pw;  // lanes outside [pw, pw + w) are masked off, never read
    lo = _mm512_maskz_loadu_ps(R.m0, src);
    hi = _mm512_maskz_loadu_ps(R.m1, src + 16);
  }
  const __m512 a = _mm512_permutex2var_ps(lo, even, hi), b = _mm512_permutex2var_ps(lo, odd, hi);
  const __m512 c = _mm512_permutex2var_ps(lo, even2, hi), e = _mm512_permutex2var_ps(lo, odd2, hi);
  out[0] = _mm512_sub_ps(a, c);
  out[1] = _mm512_add_ps(b, c);
  out[2] = _mm512_sub_ps(c, b);
  out[3] = _mm512_sub_ps(b, e);
}

/* All channels of V from the image x (c planes of h × w), sample g of the group: its tiles from g·stile on. */
__attribute__((target("avx512f"))) void input_transform16(const WinogradPlan& W, int64_t g, const float* x, float* v) {
  // Sizes in locals: the masked stores may alias anything, so fields read through W would be reloaded after each.
  const int64_t NR = W.T->blk.nr, vxi = W.vxi, tw1 = W.tw1, th = W.th, c = W.c, hw = W.h * W.w;
  // Padded row r holds image row r − ph at columns q − pw: lanes [pw, pw + w) of the row's 32 (clamped to pcols).
  const int64_t qhi = W.pw + W.w < W.pcols ? W.pw + W.w : W.pcols;
  const __mmask16 m0 = lanes(W.pw, qhi), m1 = lanes(W.pw - 16, qhi - 16);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t ci = 0; ci < c; ci++) {
    const Row16 rw{x + ci * hw, W.h, W.w, W.ph, W.pw, m0, m1};
    __m512 r0[4], r1[4], r2[4], r3[4];
    row16(rw, 0, r0);
    row16(rw, 1, r1);
    for (int64_t ty = 0, f0 = g * W.stile; ty < th; ty++, f0 += tw1) {
      row16(rw, 2 * ty + 2, r2);
      row16(rw, 2 * ty + 3, r3);
      // Tiles f0 … f0 + tw1 − 1: in panel f0 / NR from column at, and the next panel's first columns if they cross.
      const int64_t panel = f0 / NR, at = f0 - panel * NR, first = NR - at < tw1 ? NR - at : tw1;
      const TileRow tr{at, NR * c, lanes(0, first), lanes(0, tw1 - first),
                       _mm512_add_epi32(iota, _mm512_set1_epi32((int32_t)first))};
      float* dst = v + panel * c * NR + ci * NR;
      for (int j = 0; j < 4; j++) {
        store_tiles(tr, dst + j * vxi, _mm512_sub_ps(r0[j], r2[j]));
        store_tiles(tr, dst + (4 + j) * vxi, _mm512_add_ps(r1[j], r2[j]));
        store_tiles(tr, dst + (8 + j) * vxi, _mm512_sub_ps(r2[j], r1[j]));
        store_tiles(tr, dst + (12 + j) * vxi, _mm512_sub_ps(r1[j], r3[j]));
      }
      for (int j = 0; j < 4; j++) r0[j] = r2[j], r1[j] = r3[j];
    }
  }
}

/* Floats [0, tail) at t + ci·NR + ξ·vxi of every channel ci and point ξ: zeroed with masked stores (as many memset
 * calls cost more than CNN-S's whole conv2 input transform). */
__attribute__((target("avx512f"))) void zero_tail16(const WinogradPlan& W, float* t, int64_t tail) {
  const int64_t NR = W.T->blk.nr, vxi = W.vxi, c = W.c;
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t xi = 0; xi < 16; xi++)
    for (int64_t ci = 0; ci < c; ci++)
      for (int64_t k = 0; k < tail; k += 16) _mm512_mask_storeu_ps(t + xi * vxi + ci * NR + k, lanes(0, tail - k), zero);
}

/* Output channels ir … ir + mr − 1 (rows r of the M block at m + r·tstride) of the group's count samples; with
 * pool, each tile's four outputs are its window's candidates in window order (y00, y01 above y10, y11), pooled in
 * registers instead of stored. */
__attribute__((target("avx512f"))) void output_transform16(const WinogradPlan& W, int64_t count, const float* m,
                                                            const float* bias, int64_t ir, int64_t mr, float* y,
                                                            const WinogradPool* pool) {
  // Sizes in locals: the masked stores may alias anything, so fields read through W would be reloaded after each.
  const int64_t mxi = W.mxi, th = W.th, tw1 = W.tw1, stile = W.stile, oh = W.oh, ow = W.ow, tstride = W.tstride;
  const int64_t oc = W.oc;
  // Output columns 2·tx and 2·tx + 1 from lanes tx of the even and odd values.
  const __m512i first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i second = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __mmask16 load = lanes(0, W.tw), lo = lanes(0, ow), hi = lanes(0, ow - 16);
  const int64_t tw = W.tw;
  const __m512i twice = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i below = _mm512_set1_epi32((int32_t)ow);
  float* const py = pool ? pool->y : nullptr;
  int32_t* const pidx = pool ? pool->idx : nullptr;
  const bool relu = pool && pool->relu;
  for (int64_t g = 0; g < count; g++)
  for (int64_t r = 0; r < mr; r++) {
    const float* mo = m + r * tstride + g * stile;
    const int64_t o = g * oc + ir + r;  // the channel's plane among the count samples' planes
    const __m512 bv = _mm512_set1_ps(bias ? bias[ir + r] : 0.0f);
    for (int64_t ty = 0; ty < th; ty++) {
      const float* mt = mo + ty * tw1;
      __m512 a[4], b[4];
      for (int j = 0; j < 4; j++) {
        const __m512 m0 = _mm512_maskz_loadu_ps(load, mt + j * mxi), m1 = _mm512_maskz_loadu_ps(load, mt + (4 + j) * mxi);
        const __m512 m2 = _mm512_maskz_loadu_ps(load, mt + (8 + j) * mxi), m3 = _mm512_maskz_loadu_ps(load, mt + (12 + j) * mxi);
        a[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        b[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
      }
      __m512 y00 = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), y01 = _mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]);
      __m512 y10 = _mm512_add_ps(_mm512_add_ps(b[0], b[1]), b[2]), y11 = _mm512_sub_ps(_mm512_sub_ps(b[1], b[2]), b[3]);
      if (bias) {
        y00 = _mm512_add_ps(y00, bv), y01 = _mm512_add_ps(y01, bv), y10 = _mm512_add_ps(y10, bv), y11 = _mm512_add_ps(y11, bv);
      }
      if (py) {
        // Tile tx's window starts at output (2·ty, 2·tx); the pooled row ty holds tw windows.
        const __m512i origin = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * ty * ow)), twice);
        const WindowMax r = window_max(y00, y01, y10, y11, origin, below);
        const int64_t at = (o * th + ty) * tw;
        _mm512_mask_storeu_ps(py + at, load, relu ? relu16(r.best) : r.best);
        _mm512_mask_storeu_epi32(pidx + at, load, r.at);
        continue;
      }
      float* row = y + (o * oh + 2 * ty) * ow;
      const bool second_row = 2 * ty + 1 < oh;
      _mm512_mask_storeu_ps(row, lo, _mm512_permutex2var_ps(y00, first, y01));
      if (second_row) _mm512_mask_storeu_ps(row + ow, lo, _mm512_permutex2var_ps(y10, first, y11));
      if (ow > 16) {
        _mm512_mask_storeu_ps(row + 16, hi, _mm512_permutex2var_ps(y00, second, y01));
        if (second_row) _mm512_mask_storeu_ps(row + ow + 16, hi, _mm512_permutex2var_ps(y10, second, y11));
      }
    }
  }
}
#endif

}  // namespace

bool winograd_pools(const WinogradPlan& W) { return W.rows16 && W.oh % 2 == 0 && W.ow % 2 == 0; }

void winograd_input(const WinogradPlan& W, int64_t g, const float* x, float* scratch) {
  float* v = scratch;
#if defined(__x86_64__)
  if (W.rows16) {
    input_transform16(W, g, x, v);
    return;
  }
#endif
  (void)g;  // group 1 off rows16
  float* plane = v + 16 * W.vxi + 16 * W.mxi;
  float* rt = plane + 2 * W.block;
  // Padded row r (input row r − ph) is row r / 2 of parity r mod 2; columns q hold input columns q − pw.
  const int64_t q0 = W.pw < W.pcols ? W.pw : W.pcols, cols = W.w < W.pcols - q0 ? W.w : W.pcols - q0;
  const int64_t rows = 2 * W.th + 2 - W.ph < W.h ? 2 * W.th + 2 - W.ph : W.h;  // input rows inside the plane
  std::memset(plane, 0, 2 * W.block * sizeof(float));
  for (int64_t ci = 0; ci < W.c; ci++) {
    // Every channel fills the same positions: the zeros around them stay from the memset above.
    for (int64_t iy = 0; iy < rows; iy++) {
      const int64_t r = iy + W.ph;
      std::memcpy(plane + (r & 1) * W.block + (r >> 1) * W.pcols + q0, x + (ci * W.h + iy) * W.w,
                  cols * sizeof(float));
    }
    input_transform(W, plane, rt, ci, v);
  }
}

void winograd_output(const WinogradPlan& W, int64_t count, const float* bias, float* scratch, float* y,
                     const WinogradPool* pool) {
  const isa_table& T = *W.T;
  const int64_t MR = T.blk.mr, NR = T.blk.nr, vxi = W.vxi, mxi = W.mxi;
  float* v = scratch;
  float* m = v + 16 * vxi;
  float* out = m + 16 * mxi + 2 * W.block + 8 * (W.th + 1) * W.tw1;
  // Only the panels the count samples' tiles reach; the last one's columns past them zero, so the micro-kernel
  // multiplies defined values (their results land in M's columns no output transform reads).
  const int64_t tiles = count * W.stile, panels = (tiles + NR - 1) / NR;
  const int64_t tail = panels * NR - tiles, last = (panels - 1) * W.c * NR;
#if defined(__x86_64__)
  if (tail > 0 && W.rows16)
    zero_tail16(W, v + last + NR - tail, tail);
  else
#endif
  if (tail > 0)
    for (int64_t xi = 0; xi < 16; xi++)
      for (int64_t ci = 0; ci < W.c; ci++) std::memset(v + xi * vxi + last + ci * NR + NR - tail, 0, tail * sizeof(float));
  // MR output channels at a time: their 16 GEMMs into M (16 × MR rows of tiles), then their output transforms while
  // M is still in cache.
  for (int64_t ir = 0; ir < W.oc; ir += MR) {
    const int64_t mr = W.oc - ir < MR ? W.oc - ir : MR;
    for (int64_t xi = 0; xi < 16; xi++)
      for (int64_t pc = 0; pc < W.c; pc += W.kc_step) {
        const int64_t kc = W.c - pc < W.kc_step ? W.c - pc : W.kc_step;
        const float* ap = W.u + xi * W.m_pad * W.c + pc * W.m_pad + ir * kc;
        for (int64_t jp = 0; jp < panels; jp++) {
          const int64_t j = jp * NR, nr = tiles - j < NR ? tiles - j : NR;
          T.gemm_ukernel(kc, ap, 1, MR, v + xi * vxi + jp * W.c * NR + pc * NR, m + xi * mxi + j, W.tstride, mr, nr,
                         1.0f, pc == 0 ? 0.0f : 1.0f);
        }
      }
#if defined(__x86_64__)
    if (W.rows16) {
      output_transform16(W, count, m, bias, ir, mr, y, pool);
      continue;
    }
#endif
    (void)pool;  // winograd_pools: rows16 only
    for (int64_t r = 0; r < mr; r++) output_transform(W, m + r * W.tstride, bias, ir + r, out, y);
  }
}

}  // namespace descent
