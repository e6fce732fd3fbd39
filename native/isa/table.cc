/* The table of one ISA: compiled once per ISA library (simd.h picks the namespace), it binds that ISA's
 * micro-kernel, packing routines, block sizes and elementwise kernels. cpu.cc chooses among the tables. */
#include "../kernels.h"
#include "../simd.h"
#include "../gemm/blocking.h"

namespace descent {
namespace DESCENT_ISA_NS {

void fill_act(isa_table* t);
void fill_act_smooth(isa_table* t);
void fill_optim(isa_table* t);
void fill_bias(isa_table* t);
void fill_norm(isa_table* t);
void gemm_pack_a(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out);
void gemm_pack_b(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out);
void gemm_nt_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                 float* c, int64_t ldc);
void row_sum(int64_t m, int64_t n, const float* a, float beta, float* out);
void gemm_small(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                float beta, float* c);
void gemm_epilogue_tile(int64_t m, int64_t n, float* c, int64_t ldc, const float* bias, const float* mask, int64_t ldm,
                        int act, float slope);
#if defined(DESCENT_ISA_AVX512F)
void gemm_ukernel_8x32__avx512f(int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t, int64_t,
                                int64_t, float, float);
void gemm_ukernel_ex_8x32__avx512f(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                                   int64_t, int64_t, float, float, const gemm_tile_epilogue*);
#define GEMM_UKERNEL gemm_ukernel_8x32__avx512f
#define GEMM_UKERNEL_EX gemm_ukernel_ex_8x32__avx512f
#define GEMM_STRIDED_B 1
#elif defined(DESCENT_ISA_AVX2_FMA)
void gemm_ukernel_6x16__avx2_fma(int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t, int64_t,
                                 int64_t, float, float);
#define GEMM_UKERNEL gemm_ukernel_6x16__avx2_fma
#else
void gemm_ukernel_4x8__scalar(int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t, int64_t,
                              int64_t, float, float);
#define GEMM_UKERNEL gemm_ukernel_4x8__scalar
#endif

#if !defined(GEMM_UKERNEL_EX)
/* gemm_ukernel_ex where the ISA has no fused micro-kernel: the micro-kernel on a packed panel (blk.strided_b = 0,
 * so ldb is NR), then the epilogue on the stored tile. */
static void gemm_ukernel_ex_unfused(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t,
                                    float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                    const gemm_tile_epilogue* e) {
  GEMM_UKERNEL(kc, a, rs_a, cs_a, b, c, ldc, mr, nr, alpha, beta);
  if (e) gemm_epilogue_tile(mr, nr, c, ldc, e->bias, e->mask, e->ldm, e->act, e->slope);
}
#define GEMM_UKERNEL_EX gemm_ukernel_ex_unfused
#define GEMM_STRIDED_B 0
#endif

static isa_table make() {
  isa_table t{};
  t.name = DESCENT_ISA_NAME;
  t.blk = {GEMM_MR, GEMM_NR, GEMM_MC, GEMM_KC, GEMM_NC, GEMM_STRIDED_B};
  t.gemm_ukernel = GEMM_UKERNEL;
  t.gemm_ukernel_ex = GEMM_UKERNEL_EX;
  t.gemm_pack_a = gemm_pack_a;
  t.gemm_pack_b = gemm_pack_b;
  t.gemm_small = gemm_small;
  t.gemm_nt_dot = gemm_nt_dot;
  t.row_sum = row_sum;
  fill_act(&t);
  fill_act_smooth(&t);
  fill_optim(&t);
  fill_bias(&t);
  fill_norm(&t);
  return t;
}

const isa_table* table() noexcept {
  static const isa_table t = make();  // thread-safe one-time initialisation, read-only afterwards
  return &t;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
