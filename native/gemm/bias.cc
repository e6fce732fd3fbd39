/* GEMM epilogue helpers, compiled once per ISA: bias_add (C[i,j] += bias[j]), the fused epilogue of a GEMM tile
 * (bias, then ReLU/LeakyReLU forward or the derivative mask of backward, each with the unfused kernel's exact
 * arithmetic: act/act.cc) and col_sum (out[j] = beta·out[j] + Σᵢ A[i,j], the bias gradient). Row-order loops the compiler vectorises along j (col_sum keeps the column
 * sums of narrow outputs in registers); col_sum accumulates in float32 in row order (error ≤ m·2⁻²⁴·Σ|a|). */
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

void gemm_epilogue_tile(int64_t m, int64_t n, float* R c, int64_t ldc, const float* R bias, const float* R mask,
                        int64_t ldm, int act, float slope) {
  // One row at a time, each step its own loop over the row (vectorised along j); slope = 0 is ReLU exactly.
  for (int64_t i = 0; i < m; i++) {
    float* R row = c + i * ldc;
    if (bias) for (int64_t j = 0; j < n; j++) row[j] += bias[j];
    if (act) {
      if (slope == 0.0f) for (int64_t j = 0; j < n; j++) row[j] = row[j] <= 0.0f ? 0.0f : row[j];
      else for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.0f ? row[j] : row[j] * slope;
    }
    if (mask) {
      const float* R y = mask + i * ldm;
      if (slope == 0.0f) for (int64_t j = 0; j < n; j++) row[j] = y[j] > 0.0f ? row[j] : 0.0f;
      else for (int64_t j = 0; j < n; j++) row[j] = y[j] > 0.0f ? row[j] : row[j] * slope;
    }
  }
}

static void col_sum(int64_t m, int64_t n, float beta, const float* R a, float* R out) {
  // beta = 0 never reads out (it may hold NaN).
  if (m == 0) {
    for (int64_t j = 0; j < n; j++) out[j] = beta == 0.0f ? 0.0f : beta * out[j];
    return;
  }
  // Narrow outputs (under four vectors) keep each F32_EPR-wide column sum in a register down all rows; otherwise
  // the row loop below updates `out` in L1 and its many independent columns hide the add latency. Either way each
  // column sums in row order.
  constexpr int64_t E = F32_EPR;
  int64_t j0 = 0;
  if (n < 4 * E) {
    const f32v vb = f32v_splat(beta);
    for (; j0 + E <= n; j0 += E) {
      f32v s = f32v_load(a + j0);
      if (beta != 0.0f) s = vb * f32v_load(out + j0) + s;
      for (int64_t i = 1; i < m; i++) s += f32v_load(a + i * n + j0);
      f32v_store(out + j0, s);
    }
  }
  if (beta == 0.0f) for (int64_t j = j0; j < n; j++) out[j] = a[j];
  else for (int64_t j = j0; j < n; j++) out[j] = beta * out[j] + a[j];
  for (int64_t i = 1; i < m; i++) {
    const float* R row = a + i * n;
    for (int64_t j = j0; j < n; j++) out[j] += row[j];
  }
}

void fill_bias(isa_table* t) {
  t->bias_add = bias_add;
  t->gemm_epilogue = gemm_epilogue_tile;
  t->col_sum = col_sum;
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
