/* GEMM epilogue helpers, compiled once per ISA: bias_add (C[i,j] += bias[j]) and col_sum (out[j] = beta·out[j] +
 * Σᵢ A[i,j], the bias gradient). Row-order loops the compiler vectorises along j; col_sum accumulates in float32
 * in row order (error ≤ m·2⁻²⁴·Σ|a|), into `out` directly so no scratch memory is needed. */
#include "../kernels.h"
#include "../simd.h"

#define R __restrict

namespace descent {
namespace DESCENT_ISA_NS {

static void bias_add(int64_t m, int64_t n, const float* R bias, float* R c) {
  for (int64_t i = 0; i < m; i++) {
    float* R row = c + i * n;
    for (int64_t j = 0; j < n; j++) row[j] += bias[j];
  }
}

static void col_sum(int64_t m, int64_t n, float beta, const float* R a, float* R out) {
  // beta = 0 never reads out (it may hold NaN).
  if (m == 0) {
    for (int64_t j = 0; j < n; j++) out[j] = beta == 0.0f ? 0.0f : beta * out[j];
    return;
  }
  if (beta == 0.0f) for (int64_t j = 0; j < n; j++) out[j] = a[j];
  else for (int64_t j = 0; j < n; j++) out[j] = beta * out[j] + a[j];
  for (int64_t i = 1; i < m; i++) {
    const float* R row = a + i * n;
    for (int64_t j = 0; j < n; j++) out[j] += row[j];
  }
}

void fill_bias(isa_table* t) {
  t->bias_add = bias_add;
  t->col_sum = col_sum;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
