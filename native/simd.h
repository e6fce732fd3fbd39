/* One set of SIMD mappings per ISA (ggml style), written once over GCC/Clang vector extensions: F32_EPR lanes per
 * register on this ISA, the namespace the ISA's symbols live in, and the few helpers the vector routines need.
 * Each ISA library defines exactly one of DESCENT_ISA_AVX512F, DESCENT_ISA_AVX2_FMA, DESCENT_ISA_SCALAR and is
 * compiled with matching -m flags; the scalar build uses the baseline (SSE2 on x86-64, NEON on arm64). */
#pragma once
#include <cstdint>
#include <cstring>

#if defined(DESCENT_ISA_AVX512F)
#define F32_EPR 16
#define DESCENT_ISA_NS isa_avx512f
#define DESCENT_ISA_NAME "avx512f"
#elif defined(DESCENT_ISA_AVX2_FMA)
#define F32_EPR 8
#define DESCENT_ISA_NS isa_avx2_fma
#define DESCENT_ISA_NAME "avx2_fma"
#elif defined(DESCENT_ISA_SCALAR)
#define F32_EPR 4
#define DESCENT_ISA_NS isa_scalar
#define DESCENT_ISA_NAME "scalar"
#else
#error "define one of DESCENT_ISA_AVX512F, DESCENT_ISA_AVX2_FMA, DESCENT_ISA_SCALAR"
#endif

namespace descent {
namespace DESCENT_ISA_NS {

typedef float f32v __attribute__((vector_size(F32_EPR * 4)));
typedef int32_t i32v __attribute__((vector_size(F32_EPR * 4)));

static inline f32v f32v_load(const float* p) { f32v v; std::memcpy(&v, p, sizeof v); return v; }
static inline void f32v_store(float* p, f32v v) { std::memcpy(p, &v, sizeof v); }
static inline f32v f32v_splat(float s) { return f32v{} + s; }
static inline i32v i32v_splat(int32_t s) { return i32v{} + s; }
static inline i32v f32v_bits(f32v v) { return (i32v)v; }
static inline f32v f32v_from_bits(i32v v) { return (f32v)v; }
/* mask lanes are all ones or all zeros (the result of a vector comparison) */
static inline f32v f32v_select(i32v mask, f32v yes, f32v no) {
  return f32v_from_bits((f32v_bits(yes) & mask) | (f32v_bits(no) & ~mask));
}
static inline f32v f32v_abs(f32v v) { return f32v_from_bits(f32v_bits(v) & i32v_splat(0x7fffffff)); }

}  // namespace DESCENT_ISA_NS
}  // namespace descent
