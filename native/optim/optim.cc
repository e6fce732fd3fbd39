/* Fused optimizer steps, compiled once per ISA: one pass over parameter, gradient and state, plain loops that the
 * compiler vectorises at this ISA's width (-O3, branch-free bodies, flags hoisted out of the loops). Formulas are
 * those of src/kernels.ts in float32; step-dependent scalars (bias corrections, dampening, decayed rate) come from
 * the caller. Accuracy: a few ulp per step against the float64 reference (tests allow 2e-6 + 2e-5·|ref|). */
#include <cmath>
#include <cfloat>

#include "../kernels.h"
#include "../simd.h"

#define R __restrict

namespace descent {
namespace DESCENT_ISA_NS {

/* Optimizer state that decays (momentum buffers, Adam's and RMSprop's averages) is stored with subnormals flushed
 * to zero. With a gradient that stays exactly 0 (a dead ReLU unit's weights) an average decays into the subnormals
 * and sticks at the smallest one (0.9 · 2⁻¹⁴⁹ rounds back to 2⁻¹⁴⁹), and every operation on it then takes a
 * microcode assist: CNN-S's Adam step went from 137 to 1,121 µs once 82,523 of its 413,844 state values had stuck
 * there (about 900 steps on one batch). Flushed when stored, such a value costs one slow step and is 0 from then
 * on; a subnormal state loaded from elsewhere is flushed by its first step the same way. Three vector operations,
 * no branch; the values it changes are below 2⁻¹²⁶ ≈ 1.2e-38. */
static inline float flush_subnormal(float x) { return std::fabs(x) < FLT_MIN ? 0.0f : x; }

/* Hyperparameters arrive in double: derived constants such as 1 − b2 are formed before rounding to float32
 * (1 − 0.999f would be off by 1.3e-5 relative). */

static void sgd_step(int64_t n, double lr_, double wd_, float* R w, const float* R g) {
  const float lr = (float)lr_, wd = (float)wd_;
  for (int64_t i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

static void momentum_step(int64_t n, double lr_, double mu_, double damp, double wd_, int nesterov, float* R w,
                          const float* R g, float* R buf) {
  const float lr = (float)lr_, mu = (float)mu_, wd = (float)wd_, keep = (float)(1.0 - damp);
  if (nesterov) {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float b = buf[i] = flush_subnormal(mu * buf[i] + keep * gi);
      w[i] -= lr * (gi + mu * b);
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float b = buf[i] = flush_subnormal(mu * buf[i] + keep * gi);
      w[i] -= lr * b;
    }
  }
}

static void adagrad_step(int64_t n, double clr_, double wd_, double eps_, float* R w, const float* R g,
                         float* R sum) {
  const float clr = (float)clr_, wd = (float)wd_, eps = (float)eps_;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] + wd * w[i];
    const float s = sum[i] += gi * gi;
    w[i] -= clr * gi / (std::sqrt(s) + eps);
  }
}

static void rmsprop_step(int64_t n, double lr_, double alpha_, double eps_, double wd_, double mu_, int centered,
                         float* R w, const float* R g, float* R sq, float* R buf, float* R gavg) {
  const float lr = (float)lr_, alpha = (float)alpha_, eps = (float)eps_, wd = (float)wd_, mu = (float)mu_;
  const float one_minus = (float)(1.0 - alpha_);
  const bool use_buf = mu_ > 0.0;  // the same predicate addon.cc uses to require buf
  if (centered && use_buf) {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float s = sq[i] = flush_subnormal(alpha * sq[i] + one_minus * gi * gi);
      const float ga = gavg[i] = flush_subnormal(gavg[i] + one_minus * (gi - gavg[i]));
      const float avg = std::sqrt(s - ga * ga) + eps;
      w[i] -= lr * (buf[i] = flush_subnormal(mu * buf[i] + gi / avg));
    }
  } else if (centered) {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float s = sq[i] = flush_subnormal(alpha * sq[i] + one_minus * gi * gi);
      const float ga = gavg[i] = flush_subnormal(gavg[i] + one_minus * (gi - gavg[i]));
      w[i] -= lr * gi / (std::sqrt(s - ga * ga) + eps);
    }
  } else if (use_buf) {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float s = sq[i] = flush_subnormal(alpha * sq[i] + one_minus * gi * gi);
      w[i] -= lr * (buf[i] = flush_subnormal(mu * buf[i] + gi / (std::sqrt(s) + eps)));
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] + wd * w[i];
      const float s = sq[i] = flush_subnormal(alpha * sq[i] + one_minus * gi * gi);
      w[i] -= lr * gi / (std::sqrt(s) + eps);
    }
  }
}

/* Adam streams w, g, m and v (28 bytes a parameter) and is bound by memory, not by its square root and division:
 * in the MLP 784-256-128-10's training step (one thread, 235,152 parameters, mostly from L3) the call took 136.6 µs
 * with 512-bit vectors, 129.4 µs with 256-bit ones (the AVX2 build's loop: 128.9 µs), 130.8 µs with the square
 * root and division replaced by a multiply and 129.6 µs for a copy of the same bytes, while a 512-bit version with
 * rsqrt14/rcp14 estimates and a Newton step took 141.1 µs (A/B builds alternating in one process, 12-20 rounds,
 * medians). So the AVX-512 build compiles Adam with 256-bit vectors (GCC's target attribute; the same bits as the
 * AVX2 build, whose loop is the same) and keeps the exact arithmetic.
 * Neither the memory nor the arithmetic hides elsewhere (measured 2026-12-03, same MLP, one thread). From L2 the
 * loop still takes 0.46 ns a parameter (108 µs for the MLP, against 135 µs from L3): the ymm square root and division
 * (about 11 cycles a vector) plus a dozen vector operations. Taken inside the weight gradient's GEMM, each output
 * tile updated as it was stored (so g is never read back from memory), the step ran 0.961× as fast (10 alternating
 * pairs, CPU time): the tiles' updates cost 212 µs, 166 µs of them with w, m and v held in L1. Interleaved into the
 * 8×32 micro-kernel's k loop (one vector every 4 k steps, a C++ micro-benchmark), the update added its whole
 * standalone time, since its operations take the same two vector ports as the FMAs. And cldemote on m, v and g after
 * the pass (to leave the weights in L2 for the next forward) made the call 3× slower. */
#if defined(DESCENT_ISA_AVX512F) && defined(__GNUC__) && !defined(__clang__)
#define OPTIM_YMM __attribute__((target("prefer-vector-width=256")))
#else
#define OPTIM_YMM
#endif

/* Two loops: with weight decay, the formulas as written (w·decay and g + l2·w, decay = 1 or l2 = 0 as the variant
 * asks); without it (plain Adam, the common case), neither term: w·1 and g + 0·w are w and g for every finite w,
 * and torch adds no 0·w either (which would turn an infinite weight's gradient into NaN). Skipping the two terms
 * pays for the two subnormal flushes. Each variant keeps its own products single uses, so -ffp-contract fuses the
 * same operations in the vector body and the scalar tail (w·decay fused into the final subtraction would not be). */
template <bool kWeightDecay, bool kAmsgrad>
OPTIM_YMM static void adam_loop(int64_t n, float step, float inv_bc2_sqrt, float decay, float l2, float c1,
                                float c2, float beta2, float eps, float* R w, const float* R g, float* R m,
                                float* R v, float* R vmax) {
  for (int64_t i = 0; i < n; i++) {
    const float wi = kWeightDecay ? w[i] * decay : w[i];
    const float gi = kWeightDecay ? g[i] + l2 * wi : g[i];
    const float mi = m[i] = flush_subnormal(m[i] + c1 * (gi - m[i]));
    const float vi = v[i] = flush_subnormal(beta2 * v[i] + c2 * gi * gi);
    float vh = vi;
    if (kAmsgrad) {
      // std::fmax(vm, vi) written as a select, which GCC vectorises; the call kept this loop scalar, 5× slower
      // than plain Adam (MLP 784-256-128-10: 644 against 129 µs a step). Same value in every case: a NaN vi
      // keeps vm, a NaN vm takes vi.
      const float vm = vmax[i];
      vh = vmax[i] = flush_subnormal(vi > vm || vm != vm ? vi : vm);
    }
    w[i] = wi - step * mi / (std::sqrt(vh) * inv_bc2_sqrt + eps);
  }
}

OPTIM_YMM static void adam_step(int64_t n, double lr, double b1, double b2, double eps_, double wd, int decoupled,
                                double bc1, double bc2, float* R w, const float* R g, float* R m, float* R v,
                                float* R vmax) {
  const float step = (float)(lr / bc1);
  const float inv_bc2_sqrt = (float)(1.0 / std::sqrt(bc2));
  const float decay = (float)(decoupled ? 1.0 - lr * wd : 1.0);
  const float l2 = (float)(decoupled ? 0.0 : wd);
  const float c1 = (float)(1.0 - b1), c2 = (float)(1.0 - b2), beta2 = (float)b2, eps = (float)eps_;
  const bool weight_decay = decay != 1.0f || l2 != 0.0f;
#define ADAM_LOOP(D, A) adam_loop<D, A>(n, step, inv_bc2_sqrt, decay, l2, c1, c2, beta2, eps, w, g, m, v, vmax)
  if (vmax) {
    if (weight_decay) ADAM_LOOP(true, true);
    else ADAM_LOOP(false, true);
  } else {
    if (weight_decay) ADAM_LOOP(true, false);
    else ADAM_LOOP(false, false);
  }
#undef ADAM_LOOP
}

void fill_optim(isa_table* t) {
  t->sgd_step = sgd_step;
  t->momentum_step = momentum_step;
  t->adagrad_step = adagrad_step;
  t->rmsprop_step = rmsprop_step;
  t->adam_step = adam_step;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
