/* The kernel contract of src/kernels.ts in C++: one declaration per kernel, same names and argument order.
 * Kernels are noexcept functions on raw pointers: they never allocate on the JS heap, never validate (addon.cc
 * checks every size against its buffer before calling) and never throw. Sizes are int64_t; arrays of optional
 * state (grad, buf, gavg, vmax) are nullptr when the caller passed length 0. */
#pragma once
#include <cstdint>

namespace descent {

void gemm_f32(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
              float beta, float* c) noexcept;
/* The same product on the calling thread only: for kernels that run it inside their own parallel tasks (a team
 * never nests: the pool belongs to the outer one). */
void gemm_f32_serial(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                     float beta, float* c) noexcept;
/* What a GEMM does to each output tile right after its last k block stored it (still in L1): add bias[j], then
 * ReLU/LeakyReLU (`act`), or multiply by the activation derivative read from `mask` (an m×n array laid out like C:
 * the activation's output). Every step is the unfused kernel's arithmetic, so fused and unfused results are equal
 * bit for bit. */
struct gemm_epilogue {
  const float* bias;  // [n] or nullptr
  const float* mask;  // [m, n] (row stride n) or nullptr
  int act;            // 1: ReLU (slope 0) / LeakyReLU forward on the tile
  float slope;
};
/* gemm_f32 with its options: parallel (false: the calling thread only), a fused epilogue, and split_rows, which
 * splits a dense-layer-sized product (the panel path) over the team by rows of C, not by column panels, so that each
 * thread writes one contiguous part of C (a weight gradient that the optimizer splits the same way). */
void gemm_f32_team(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                   float beta, float* c, bool parallel, const gemm_epilogue* epi = nullptr, bool split_rows = false) noexcept;
/* Linear forward act(A·Bᵀ + bias) and input gradient (A·B) ⊙ act′(y), fused (src/kernels.ts). */
void gemm_bias_act_f32(int64_t m, int64_t n, int64_t k, int act, float slope, const float* a, const float* b,
                       const float* bias, float* c) noexcept;
void gemm_act_bwd_f32(int64_t m, int64_t n, int64_t k, float slope, const float* a, const float* b, const float* y,
                      float* c) noexcept;
void bias_add_f32(int64_t m, int64_t n, const float* bias, float* c) noexcept;
void col_sum_f32(int64_t m, int64_t n, float beta, const float* a, float* out) noexcept;
/* A dense layer's backward (src/kernels.ts): dw, db (nullptr: none) and dx (nullptr: none; act: times the ReLU or
 * LeakyReLU derivative of y). */
void linear_bwd_f32(int64_t m, int64_t out_f, int64_t in_f, float beta, int act, float slope, const float* dy,
                    const float* x, const float* w, const float* y, float* dw, float* db, float* dx) noexcept;

void sigmoid_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void tanh_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void relu_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void leaky_relu_fwd_f32(int64_t n, float slope, const float* x, float* y) noexcept;
void sigmoid_bwd_f32(int64_t n, const float* y, const float* dy, float* dx) noexcept;
void tanh_bwd_f32(int64_t n, const float* y, const float* dy, float* dx) noexcept;
void relu_bwd_f32(int64_t n, const float* y, const float* dy, float* dx) noexcept;
void leaky_relu_bwd_f32(int64_t n, float slope, const float* y, const float* dy, float* dx) noexcept;
/* The activations whose backward reads the input x (x === y allowed in fwd, dy === dx in bwd). */
void elu_fwd_f32(int64_t n, float alpha, const float* x, float* y) noexcept;
void elu_bwd_f32(int64_t n, float alpha, const float* x, const float* dy, float* dx) noexcept;
void gelu_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void gelu_bwd_f32(int64_t n, const float* x, const float* dy, float* dx) noexcept;
void gelu_tanh_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void gelu_tanh_bwd_f32(int64_t n, const float* x, const float* dy, float* dx) noexcept;
void silu_fwd_f32(int64_t n, const float* x, float* y) noexcept;
void silu_bwd_f32(int64_t n, const float* x, const float* dy, float* dx) noexcept;
void softplus_fwd_f32(int64_t n, float beta, float threshold, const float* x, float* y) noexcept;
void softplus_bwd_f32(int64_t n, float beta, float threshold, const float* x, const float* dy, float* dx) noexcept;
/* Row softmax over m rows of n (inference output layers); x === y allowed. */
void softmax_fwd_f32(int64_t m, int64_t n, const float* x, float* y) noexcept;

void softmax_xent_f32(int64_t m, int64_t n, float scale, const float* logits, const int32_t* labels, float* loss,
                      float* grad) noexcept;
void mse_f32(int64_t m, int64_t n, float scale, const float* pred, const float* target, float* loss,
             float* grad) noexcept;
void bce_logits_f32(int64_t m, int64_t n, float scale, const float* pred, const float* target, float* loss,
                    float* grad) noexcept;

void sgd_step_f32(int64_t n, double lr, double wd, float* w, const float* g) noexcept;
void momentum_step_f32(int64_t n, double lr, double mu, double damp, double wd, int nesterov, float* w, const float* g,
                       float* buf) noexcept;
void adagrad_step_f32(int64_t n, double clr, double wd, double eps, float* w, const float* g, float* sum) noexcept;
void rmsprop_step_f32(int64_t n, double lr, double alpha, double eps, double wd, double mu, int centered, float* w,
                      const float* g, float* sq, float* buf, float* gavg) noexcept;
void adam_step_f32(int64_t n, double lr, double b1, double b2, double eps, double wd, int decoupled, double bc1, double bc2,
                   float* w, const float* g, float* m, float* v, float* vmax) noexcept;

void batch_norm_train_f32(int64_t n, int64_t c, int64_t hw, double eps, double momentum, const float* x,
                          const float* gamma, const float* beta, float* running_mean, float* running_var, float* y,
                          float* save_mean, float* save_invstd) noexcept;
void batch_norm_eval_f32(int64_t n, int64_t c, int64_t hw, double eps, const float* x, const float* gamma,
                         const float* beta, const float* running_mean, const float* running_var, float* y,
                         float* save_mean, float* save_invstd) noexcept;
void batch_norm_bwd_f32(int64_t n, int64_t c, int64_t hw, int batch_stats, float beta_acc, const float* x,
                        const float* dy, const float* gamma, const float* save_mean, const float* save_invstd,
                        float* dx, float* dgamma, float* dbeta) noexcept;
void dropout_fwd_f32(int64_t n, int64_t seed, int64_t threshold, float scale, const float* x, float* y,
                     float* mask) noexcept;
void mul_f32(int64_t n, const float* a, const float* b, float* out) noexcept;
/* Convolution (NCHW, weight [oc, c/groups, kh, kw]) and pooling; `bias`, `gb` nullptr when absent. */
void conv2d_fwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                    int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                    int64_t ow, const float* x, const float* weight, const float* bias, float* col, float* y) noexcept;
void conv2d_bwd_data_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                         int64_t ow, const float* dy, const float* weight, float* col, float* dx) noexcept;
void conv2d_bwd_filter_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw, int64_t sh,
                           int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw, int64_t groups, int64_t oh,
                           int64_t ow, float beta, const float* x, const float* dy, float* col, float* gw,
                           float* gb) noexcept;
void max_pool2d_fwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) noexcept;
void conv2d_max_pool2d_fwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw,
                               int64_t groups, int64_t oh, int64_t ow, int64_t pkh, int64_t pkw, int64_t psh,
                               int64_t psw, int64_t pph, int64_t ppw, int64_t qh, int64_t qw, int64_t chunk, int relu,
                               const float* x, const float* weight, const float* bias, float* col, float* scratch,
                               float* y, int32_t* idx) noexcept;
void conv2d_max_pool2d_bwd_f32(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dilh, int64_t dilw,
                               int64_t groups, int64_t oh, int64_t ow, int64_t qh, int64_t qw, int64_t chunk, int relu,
                               float beta, const float* x, const float* dy, const int32_t* idx, const float* y,
                               const float* weight, float* col, float* scratch, float* gw, float* gb,
                               float* dx) noexcept;
/* max_pool2d_fwd_f32 over planes [lo, hi) on the calling thread (for kernels that pool inside their own tasks). */
void max_pool2d_planes(int64_t lo, int64_t hi, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       int64_t ph, int64_t pw, int64_t oh, int64_t ow, const float* x, float* y, int32_t* idx) noexcept;
/* max_pool2d_bwd_f32 over planes [lo, hi) of hw elements (ohw pooled) on the calling thread. */
void max_pool2d_bwd_planes(int64_t lo, int64_t hi, int64_t hw, int64_t ohw, const float* dy, const int32_t* idx,
                           float* dx) noexcept;
void max_pool2d_bwd_f32(int64_t nc, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* dy, const int32_t* idx,
                        float* dx) noexcept;
void avg_pool2d_fwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, int include_pad, const float* x, float* y) noexcept;
void avg_pool2d_bwd_f32(int64_t nc, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                        int64_t pw, int64_t oh, int64_t ow, int include_pad, const float* dy, float* dx) noexcept;

/* Per-ISA building blocks. Each ISA library (compiled with its own -m flags) fills one table; cpu.cc picks one at
 * load. Elementwise entries work on any sub-range, so kernels.cc can split them over threads. */
struct gemm_blocking {
  int64_t mr, nr, mc, kc, nc;
  /* 1 when gemm_ukernel_ex reads B̃ rows at any stride at full speed (masked edge columns); 0: ldb must be NR. */
  int64_t strided_b;
};

/* C[0:mr,0:nr] = alpha·Ã·B̃ + beta·C (beta = 0: C is not read). Ã(i,p) = a[i·rs_a + p·cs_a] for i < mr (rows ≥ mr
 * are never read); B̃ is a packed kc×NR micro-panel (zero padded). mr ≤ MR, nr ≤ NR. */
typedef void (*gemm_ukernel_fn)(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta);
/* The epilogue of a GEMM (gemm_epilogue below) for one micro-tile: bias and mask already offset to its first
 * column and row (mask rows ldm apart); act and slope as in gemm_epilogue. */
struct gemm_tile_epilogue {
  const float* bias;
  const float* mask;
  int64_t ldm;
  int act;
  float slope;
};
/* gemm_ukernel with B̃ rows ldb floats apart (ldb = NR: a packed micro-panel; with blk.strided_b, a row-major op(B)
 * read in place, only its first nr columns read) and, when epi is not nullptr, the epilogue applied to the tile
 * before it is stored, with the unfused arithmetic (the result equals gemm_ukernel followed by gemm_epilogue). */
typedef void (*gemm_ukernel_ex_fn)(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t ldb,
                                   float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                   const gemm_tile_epilogue* epi);
/* Packs op(B)[p0:p0+kc, j0:j0+nc] (op(B)(p,j) = b[p·rs + j·cs]) into NR-wide micro-panels, zero padded. */
typedef void (*gemm_pack_b_fn)(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out);
/* The whole product without packing (tiny problems): op(B) must fit GEMM_SMALL_B floats once its rows are padded
 * to 16 (k·⌈n/16⌉·16 ≤ GEMM_SMALL_B); beta = 0: C is not read. */
constexpr int64_t GEMM_SMALL_B = 4096;
typedef void (*gemm_small_fn)(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                              const float* b, float beta, float* c);
/* Packs op(A)[mc rows, kc] (A(i,p) = a[i·rs + p·cs]) into MR-tall micro-panels, zero padded. */
typedef void (*gemm_pack_a_fn)(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out);

/* Batch norm on [N, C] input (hw = 1) walks down the rows with this many channels side by side; multithreaded
 * calls split channels at multiples of it, so each channel gets the same arithmetic for any thread count. */
constexpr int64_t BN_COL_BLOCK = 64;

/* Every member after `blk` must be a function pointer: cpu.cc checks each is non-null before it selects a table. */
struct isa_table {
  const char* name;
  gemm_blocking blk;
  gemm_ukernel_fn gemm_ukernel;
  gemm_ukernel_ex_fn gemm_ukernel_ex;
  gemm_pack_a_fn gemm_pack_a;
  gemm_pack_b_fn gemm_pack_b;
  gemm_small_fn gemm_small;
  /* C[i,j] = beta·C[i,j] + Σ_p A[i·lda + p]·B[j·ldb + p] (dot products of long rows; beta = 0: C not read). */
  void (*gemm_nt_dot)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                      float beta, float* c, int64_t ldc);
  /* out[i] = beta·out[i] + Σ_j A[i·n + j] (beta = 0: out not read). */
  void (*row_sum)(int64_t m, int64_t n, const float* a, float beta, float* out);
  void (*bias_add)(int64_t m, int64_t n, const float* bias, float* c);
  /* The gemm_epilogue on the m×n tile at c (row stride ldc); bias and mask already offset to the tile (mask row
   * stride ldm). */
  void (*gemm_epilogue)(int64_t m, int64_t n, float* c, int64_t ldc, const float* bias, const float* mask, int64_t ldm,
                        int act, float slope);
  void (*col_sum)(int64_t m, int64_t n, float beta, const float* a, float* out);
  void (*sigmoid_fwd)(int64_t n, const float* x, float* y);
  void (*tanh_fwd)(int64_t n, const float* x, float* y);
  void (*relu_fwd)(int64_t n, const float* x, float* y);
  void (*leaky_relu_fwd)(int64_t n, float slope, const float* x, float* y);
  void (*sigmoid_bwd)(int64_t n, const float* y, const float* dy, float* dx);
  void (*tanh_bwd)(int64_t n, const float* y, const float* dy, float* dx);
  void (*relu_bwd)(int64_t n, const float* y, const float* dy, float* dx);
  void (*leaky_relu_bwd)(int64_t n, float slope, const float* y, const float* dy, float* dx);
  void (*elu_fwd)(int64_t n, float alpha, const float* x, float* y);
  void (*elu_bwd)(int64_t n, float alpha, const float* x, const float* dy, float* dx);
  void (*gelu_fwd)(int64_t n, const float* x, float* y);
  void (*gelu_bwd)(int64_t n, const float* x, const float* dy, float* dx);
  void (*gelu_tanh_fwd)(int64_t n, const float* x, float* y);
  void (*gelu_tanh_bwd)(int64_t n, const float* x, const float* dy, float* dx);
  void (*silu_fwd)(int64_t n, const float* x, float* y);
  void (*silu_bwd)(int64_t n, const float* x, const float* dy, float* dx);
  void (*softplus_fwd)(int64_t n, float beta, float threshold, const float* x, float* y);
  void (*softplus_bwd)(int64_t n, float beta, float threshold, const float* x, const float* dy, float* dx);
  void (*softmax_fwd)(int64_t m, int64_t n, const float* x, float* y);
  /* softmax_xent_f32 on m rows (loss, labels, grad already offset to the first row; grad nullptr when absent). */
  void (*softmax_xent)(int64_t m, int64_t n, float scale, const float* x, const int32_t* labels, float* loss,
                       float* grad);
  void (*sgd_step)(int64_t n, double lr, double wd, float* w, const float* g);
  void (*momentum_step)(int64_t n, double lr, double mu, double damp, double wd, int nesterov, float* w, const float* g,
                        float* buf);
  void (*adagrad_step)(int64_t n, double clr, double wd, double eps, float* w, const float* g, float* sum);
  void (*rmsprop_step)(int64_t n, double lr, double alpha, double eps, double wd, double mu, int centered, float* w,
                       const float* g, float* sq, float* buf, float* gavg);
  void (*adam_step)(int64_t n, double lr, double b1, double b2, double eps, double wd, int decoupled, double bc1, double bc2,
                    float* w, const float* g, float* m, float* v, float* vmax);
  /* Batch norm over channels [c0, c1) of x [n, c, hw]; optional arrays are nullptr when absent. */
  void (*bn_train)(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, double eps, double momentum,
                   const float* x, const float* gamma, const float* beta, float* rm, float* rv, float* y, float* sm,
                   float* si);
  void (*bn_eval)(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, double eps, const float* x,
                  const float* gamma, const float* beta, const float* rm, const float* rv, float* y, float* sm,
                  float* si);
  void (*bn_bwd)(int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1, int batch_stats, float beta_acc,
                 const float* x, const float* dy, const float* gamma, const float* sm, const float* si, float* dx,
                 float* dgamma, float* dbeta);
  /* Elements [i0, i0 + n) of a dropout call (x, y, mask already offset by i0). */
  void (*dropout_fwd)(int64_t n, int64_t i0, uint32_t seed, uint32_t threshold, float scale, const float* x, float* y,
                      float* mask);
  void (*mul)(int64_t n, const float* a, const float* b, float* out);
};

namespace isa_avx512f { const isa_table* table() noexcept; }
namespace isa_avx2_fma { const isa_table* table() noexcept; }
namespace isa_scalar { const isa_table* table() noexcept; }

/* cpu.cc: the ISA in use (chosen once at load; tests may switch to another supported one). */
const isa_table* isa() noexcept;
/* Whether the active table is AVX-512's: sources compiled without ISA flags (native/conv/) call their
 * target("avx512f") functions only then. */
bool isa_avx512_active() noexcept;
/* Whether the active table is AVX2+FMA's (conv.cc's target("avx2,fma") direct forwards run only then). */
bool isa_avx2_fma_active() noexcept;
/* conv.cc: when 3×3 stride-1 convolutions take Winograd F(2×2, 3×3): 0 when it pays (the default), 1 always (tests:
 * every edge shape through it), 2 never (benches: the packed path beside it in one process). */
void conv_set_winograd(int mode) noexcept;
/* Selects an ISA by name if this CPU supports it; returns false otherwise. */
bool isa_select(const char* name) noexcept;
/* Comma-separated ISAs this CPU supports, best first. */
const char* isa_supported() noexcept;
/* Why supported ISAs were refused (a null function pointer in their table); empty when none was. */
const char* isa_refused() noexcept;
/* Index of the first null function pointer after `blk` in a table, or −1 when the table is complete. */
int isa_table_null_entry(const isa_table* t) noexcept;

}  // namespace descent
