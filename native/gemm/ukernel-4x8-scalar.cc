/* gemm_ukernel_4x8__scalar: the portable micro-kernel, C[4×8] = alpha·Ã·B̃ + beta·C with 8 accumulators of the
 * target's baseline vectors (simd.h: 4 lanes, SSE2 on x86-64, NEON on arm64; plain scalar code elsewhere).
 * Same contract as the tuned kernels: Ã through (rs_a, cs_a) with rows ≥ mr aliasing the last valid row, packed
 * B̃, edge tiles through a stack tile. Accuracy: float32 multiply-add in k order. */
#include "../kernels.h"
#include "../simd.h"

namespace descent {
namespace DESCENT_ISA_NS {

void gemm_ukernel_4x8__scalar(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, float* c,
                              int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta) {
  const float* a0 = a;
  const float* a1 = a + (mr > 1 ? 1 : 0) * rs_a;
  const float* a2 = a + (mr > 2 ? 2 : mr - 1) * rs_a;
  const float* a3 = a + (mr > 3 ? 3 : mr - 1) * rs_a;
  f32v c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
  for (int64_t p = 0, o = 0; p < kc; p++, o += cs_a, b += 8) {
    const f32v b0 = f32v_load(b), b1 = f32v_load(b + 4);
    f32v av = f32v_splat(a0[o]);
    c00 += av * b0, c01 += av * b1;
    av = f32v_splat(a1[o]);
    c10 += av * b0, c11 += av * b1;
    av = f32v_splat(a2[o]);
    c20 += av * b0, c21 += av * b1;
    av = f32v_splat(a3[o]);
    c30 += av * b0, c31 += av * b1;
  }
  float t[4][8];
  f32v_store(t[0], c00 * alpha), f32v_store(t[0] + 4, c01 * alpha);
  f32v_store(t[1], c10 * alpha), f32v_store(t[1] + 4, c11 * alpha);
  f32v_store(t[2], c20 * alpha), f32v_store(t[2] + 4, c21 * alpha);
  f32v_store(t[3], c30 * alpha), f32v_store(t[3] + 4, c31 * alpha);
  for (int64_t i = 0; i < mr; i++)
    for (int64_t j = 0; j < nr; j++) c[i * ldc + j] = beta == 0.0f ? t[i][j] : beta * c[i * ldc + j] + t[i][j];
}

}  // namespace DESCENT_ISA_NS
}  // namespace descent
