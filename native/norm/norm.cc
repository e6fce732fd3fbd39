/* Batch normalisation (train/eval forward, backward), dropout and elementwise multiply, compiled once per ISA
 * (simd.h). x is [n, c, hw]; each call handles channels [c0, c1). hw > 1: per channel, n rows of hw contiguous
 * floats widened to double half a vector at a time. hw = 1 ([N, C] input): blocks of BN_COL_BLOCK channels walk
 * down the rows together (contiguous, vectorised across channels). Statistics: one pass of float64 sums shifted by the
 * channel's first value K, Σ(x − K) and Σ(x − K)², var_sum = Σ(x − K)² − (Σ(x − K))²/N: relative error about
 * 2⁻⁵³·N·(1 + (mean − K)²/var), far below float32 resolution. Outputs in float32: y = (x − mean)·(invstd·γ) + β.
 * Dropout: the 32-bit multiply-xorshift hash of src/backends/js-norm.ts in u32 lanes; bit-identical everywhere. */
#include "../kernels.h"
#include "../simd.h"

#define R __restrict

namespace descent {
namespace DESCENT_ISA_NS {

/* Doubles in one register: H lanes, converted from H floats (half a float vector). */
constexpr int H = F32_EPR / 2;
typedef float f32h __attribute__((vector_size(H * 4)));
typedef double f64v __attribute__((vector_size(H * 8)));
typedef uint32_t u32v __attribute__((vector_size(F32_EPR * 4)));

static inline f64v f64v_load(const float* p) {
  f32h v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, f64v);
}
/* Lanes of four accumulators, summed in a fixed order. */
static inline double hsum4(const f64v* s) {
  const f64v t = (s[0] + s[1]) + (s[2] + s[3]);
  double r = 0.0;
  for (int l = 0; l < H; l++) r += t[l];
  return r;
}

/* Statistics of one channel from its shifted sums: writes save_mean, save_invstd and the running estimates. */
static void finish_stats(int64_t N, double K, double s1, double s2, double eps, double momentum, float* rm, float* rv,
                         float* sm, float* si, int64_t ch) {
  double mean = 0.0, var_sum = 0.0;
  if (N > 0) {
    mean = K + s1 / (double)N;
    var_sum = s2 - s1 * s1 / (double)N;
    if (var_sum < 0.0) var_sum = 0.0;  // rounding on constant channels
  }
  const double invstd = 1.0 / __builtin_sqrt(var_sum / (double)(N > 0 ? N : 1) + eps);
  sm[ch] = (float)mean;
  si[ch] = (float)invstd;
  if (N == 0) return;
  // PyTorch's order and its unbiased running variance var_sum/(N − 1) (NaN for N = 1, which layers reject).
  if (rm) rm[ch] = (float)(momentum * mean + (1.0 - momentum) * (double)rm[ch]);
  if (rv) rv[ch] = (float)(momentum * (var_sum / (double)(N - 1)) + (1.0 - momentum) * (double)rv[ch]);
}

/* y = (x − mean)·a + b over one row of len floats. */
static inline void affine_row(int64_t len, float mean, float a, float b, const float* x, float* y) {
  const f32v vm = f32v_splat(mean), va = f32v_splat(a), vb = f32v_splat(b);
  int64_t k = 0;
  for (; k + F32_EPR <= len; k += F32_EPR) f32v_store(y + k, (f32v_load(x + k) - vm) * va + vb);
  for (; k < len; k++) y[k] = (x[k] - mean) * a + b;
}

/* The output pass of channels [c0, c1) given their mean and invstd (forward, train and eval). */
static void normalise(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, const float* R gamma,
                      const float* R beta, const float* sm, const float* si, const float* x, float* y) {
  if (hw == 1) {
    float a[BN_COL_BLOCK], b[BN_COL_BLOCK];
    for (int64_t j0 = c0; j0 < c1; j0 += BN_COL_BLOCK) {
      const int64_t w = c1 - j0 < BN_COL_BLOCK ? c1 - j0 : BN_COL_BLOCK;
      for (int64_t j = 0; j < w; j++) {
        a[j] = si[j0 + j] * (gamma ? gamma[j0 + j] : 1.0f);
        b[j] = beta ? beta[j0 + j] : 0.0f;
      }
      for (int64_t i = 0; i < n; i++) {
        const float* xr = x + i * c + j0;
        float* yr = y + i * c + j0;
        for (int64_t j = 0; j < w; j++) yr[j] = (xr[j] - sm[j0 + j]) * a[j] + b[j];
      }
    }
    return;
  }
  for (int64_t ch = c0; ch < c1; ch++) {
    const float a = si[ch] * (gamma ? gamma[ch] : 1.0f), b = beta ? beta[ch] : 0.0f;
    for (int64_t i = 0; i < n; i++) affine_row(hw, sm[ch], a, b, x + (i * c + ch) * hw, y + (i * c + ch) * hw);
  }
}

static void bn_train(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, double eps, double momentum,
                     const float* x, const float* gamma, const float* beta, float* rm, float* rv, float* y, float* sm,
                     float* si) {
  const int64_t N = n * hw;
  if (hw == 1) {
    double K[BN_COL_BLOCK], s1[BN_COL_BLOCK], s2[BN_COL_BLOCK];
    for (int64_t j0 = c0; j0 < c1; j0 += BN_COL_BLOCK) {
      const int64_t w = c1 - j0 < BN_COL_BLOCK ? c1 - j0 : BN_COL_BLOCK;
      for (int64_t j = 0; j < w; j++) K[j] = n > 0 ? (double)x[j0 + j] : 0.0, s1[j] = 0.0, s2[j] = 0.0;
      for (int64_t i = 0; i < n; i++) {
        const float* R xr = x + i * c + j0;
        for (int64_t j = 0; j < w; j++) {
          const double d = (double)xr[j] - K[j];
          s1[j] += d;
          s2[j] += d * d;
        }
      }
      for (int64_t j = 0; j < w; j++) finish_stats(N, K[j], s1[j], s2[j], eps, momentum, rm, rv, sm, si, j0 + j);
    }
  } else {
    for (int64_t ch = c0; ch < c1; ch++) {
      const double K = N > 0 ? (double)x[ch * hw] : 0.0;
      const f64v vk = f64v{} + K;
      // Four accumulator pairs hide the add latency of the long channels of BatchNorm2d.
      f64v s1[4] = {}, s2[4] = {};
      double t1 = 0.0, t2 = 0.0;
      for (int64_t i = 0; i < n; i++) {
        const float* R row = x + (i * c + ch) * hw;
        int64_t k = 0;
        for (; k + 4 * H <= hw; k += 4 * H)
          for (int u = 0; u < 4; u++) {
            const f64v d = f64v_load(row + k + u * H) - vk;
            s1[u] += d, s2[u] += d * d;
          }
        for (; k + H <= hw; k += H) {
          const f64v d = f64v_load(row + k) - vk;
          s1[0] += d, s2[0] += d * d;
        }
        for (; k < hw; k++) {
          const double d = (double)row[k] - K;
          t1 += d, t2 += d * d;
        }
      }
      finish_stats(N, K, hsum4(s1) + t1, hsum4(s2) + t2, eps, momentum, rm, rv, sm, si, ch);
    }
  }
  normalise(n, c, hw, c0, c1, gamma, beta, sm, si, x, y);
}

static void bn_eval(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, double eps, const float* x,
                    const float* gamma, const float* beta, const float* rm, const float* rv, float* y, float* sm,
                    float* si) {
  for (int64_t ch = c0; ch < c1; ch++) {
    sm[ch] = rm[ch];
    si[ch] = (float)(1.0 / __builtin_sqrt((double)rv[ch] + eps));
  }
  normalise(n, c, hw, c0, c1, gamma, beta, sm, si, x, y);
}

/* dx of one row: batch statistics ((dy − mdy) − (x − mean)·kx)·a, else dy·a. dx may be dy. */
static inline void dx_row(int64_t len, bool batch, float mean, float mdy, float kx, float a, const float* x,
                          const float* dy, float* dx) {
  const f32v vm = f32v_splat(mean), vmdy = f32v_splat(mdy), vk = f32v_splat(kx), va = f32v_splat(a);
  int64_t k = 0;
  if (batch) {
    for (; k + F32_EPR <= len; k += F32_EPR)
      f32v_store(dx + k, ((f32v_load(dy + k) - vmdy) - (f32v_load(x + k) - vm) * vk) * va);
    for (; k < len; k++) dx[k] = ((dy[k] - mdy) - (x[k] - mean) * kx) * a;
  } else {
    for (; k + F32_EPR <= len; k += F32_EPR) f32v_store(dx + k, f32v_load(dy + k) * va);
    for (; k < len; k++) dx[k] = dy[k] * a;
  }
}

/* Per-channel sums Σdy and Σdy·(x − mean) → dgamma/dbeta and the dx coefficients. */
static inline void bwd_coeffs(int64_t N, int batch_stats, float beta_acc, double sdy, double sdyx, float invstd,
                              float g, float* dgamma, float* dbeta, int64_t ch, float* mdy, float* kx, float* a) {
  const double inv = invstd;
  if (dgamma) dgamma[ch] = beta_acc == 0.0f ? (float)(sdyx * inv) : (float)(beta_acc * (double)dgamma[ch] + sdyx * inv);
  if (dbeta) dbeta[ch] = beta_acc == 0.0f ? (float)sdy : (float)(beta_acc * (double)dbeta[ch] + sdy);
  const bool batch = batch_stats && N > 0;
  *mdy = batch ? (float)(sdy / (double)N) : 0.0f;
  *kx = batch ? (float)(sdyx * inv * inv / (double)N) : 0.0f;
  *a = (float)(inv * (double)g);
}

static void bn_bwd(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, int batch_stats, float beta_acc,
                   const float* x, const float* dy, const float* gamma, const float* sm, const float* si, float* dx,
                   float* dgamma, float* dbeta) {
  const int64_t N = n * hw;
  const bool batch = batch_stats && N > 0;
  const bool sums = batch || dgamma || dbeta;
  if (hw == 1) {
    double s1[BN_COL_BLOCK], s2[BN_COL_BLOCK];
    float mdy[BN_COL_BLOCK], kx[BN_COL_BLOCK], a[BN_COL_BLOCK];
    for (int64_t j0 = c0; j0 < c1; j0 += BN_COL_BLOCK) {
      const int64_t w = c1 - j0 < BN_COL_BLOCK ? c1 - j0 : BN_COL_BLOCK;
      const float* R mean = sm + j0;
      for (int64_t j = 0; j < w; j++) s1[j] = 0.0, s2[j] = 0.0;
      for (int64_t i = 0; sums && i < n; i++) {
        const float* R xr = x + i * c + j0;
        const float* R dyr = dy + i * c + j0;
        for (int64_t j = 0; j < w; j++) {
          const double g = dyr[j];
          s1[j] += g;
          s2[j] += g * ((double)xr[j] - (double)mean[j]);
        }
      }
      for (int64_t j = 0; j < w; j++)
        bwd_coeffs(N, batch_stats, beta_acc, s1[j], s2[j], si[j0 + j], gamma ? gamma[j0 + j] : 1.0f, dgamma, dbeta,
                   j0 + j, &mdy[j], &kx[j], &a[j]);
      for (int64_t i = 0; i < n; i++) {
        const float* xr = x + i * c + j0;
        const float* dyr = dy + i * c + j0;
        float* dxr = dx + i * c + j0;
        if (batch)
          for (int64_t j = 0; j < w; j++) dxr[j] = ((dyr[j] - mdy[j]) - (xr[j] - mean[j]) * kx[j]) * a[j];
        else
          for (int64_t j = 0; j < w; j++) dxr[j] = dyr[j] * a[j];
      }
    }
    return;
  }
  for (int64_t ch = c0; ch < c1; ch++) {
    const double mean = sm[ch];
    const f64v vmean = f64v{} + mean;
    f64v s1[4] = {}, s2[4] = {};
    double t1 = 0.0, t2 = 0.0;
    for (int64_t i = 0; sums && i < n; i++) {
      const float* R row = x + (i * c + ch) * hw;
      const float* R grow = dy + (i * c + ch) * hw;
      int64_t k = 0;
      for (; k + 4 * H <= hw; k += 4 * H)
        for (int u = 0; u < 4; u++) {
          const f64v g = f64v_load(grow + k + u * H);
          s1[u] += g, s2[u] += g * (f64v_load(row + k + u * H) - vmean);
        }
      for (; k + H <= hw; k += H) {
        const f64v g = f64v_load(grow + k);
        s1[0] += g, s2[0] += g * (f64v_load(row + k) - vmean);
      }
      for (; k < hw; k++) {
        const double g = grow[k];
        t1 += g, t2 += g * ((double)row[k] - mean);
      }
    }
    float mdy, kx, a;
    bwd_coeffs(N, batch_stats, beta_acc, hsum4(s1) + t1, hsum4(s2) + t2, si[ch], gamma ? gamma[ch] : 1.0f,
               dgamma, dbeta, ch, &mdy, &kx, &a);
    for (int64_t i = 0; i < n; i++) {
      const int64_t o = (i * c + ch) * hw;
      dx_row(hw, batch, sm[ch], mdy, kx, a, x + o, dy + o, dx + o);
    }
  }
}

static inline uint32_t dropout_hash(uint32_t i, uint32_t sk) {
  uint32_t h = (i * 0x9E3779B9u) ^ sk;
  h ^= h >> 16;
  h *= 0x7FEB352Du;
  h ^= h >> 15;
  h *= 0x846CA68Bu;
  return h ^ (h >> 16);
}

/* Elements [i0, i0 + n) of the whole array; x, y, mask point at element i0. y may be x. */
static void dropout_fwd(int64_t n, int64_t i0, uint32_t seed, uint32_t threshold, float scale, const float* x,
                        float* y, float* R mask) {
  const uint32_t sk = seed * 0x85EBCA6Bu;
  u32v lane;
  for (int l = 0; l < F32_EPR; l++) lane[l] = (uint32_t)l;
  const f32v vs = f32v_splat(scale), zero = f32v_splat(0.0f);
  int64_t k = 0;
  for (; k + F32_EPR <= n; k += F32_EPR) {
    u32v h = (lane + (uint32_t)(i0 + k)) * 0x9E3779B9u ^ sk;
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    const i32v keep = (i32v)((h >> 8) >= threshold);
    const f32v m = f32v_select(keep, vs, zero);
    f32v_store(mask + k, m);
    f32v_store(y + k, f32v_load(x + k) * m);
  }
  for (; k < n; k++) {
    const float m = (dropout_hash((uint32_t)(i0 + k), sk) >> 8) >= threshold ? scale : 0.0f;
    mask[k] = m;
    y[k] = x[k] * m;
  }
}

static void mul(int64_t n, const float* a, const float* b, float* out) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void fill_norm(isa_table* t) {
  t->bn_train = bn_train;
  t->bn_eval = bn_eval;
  t->bn_bwd = bn_bwd;
  t->dropout_fwd = dropout_fwd;
  t->mul = mul;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
