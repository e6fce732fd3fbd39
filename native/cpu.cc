/* CPU feature detection, once at load: picks the best ISA table this CPU and OS support (AVX-512F, then AVX2+FMA,
 * then scalar). DESCENT_ISA=avx2_fma|scalar caps the choice (CI uses it to run the lower kernels on big machines);
 * isa_select lets tests switch among supported tables. The active table is an atomic pointer to immutable data. */
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace descent {

namespace {

struct Candidate {
  const char* name;
  const isa_table* (*table)() noexcept;
  bool (*supported)();
};

#if defined(__x86_64__) || defined(_M_X64)
// libgcc's __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV).
bool has_avx512f() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }
bool has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif
bool always() { return true; }

const Candidate CANDIDATES[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"avx512f", isa_avx512f::table, has_avx512f},
    {"avx2_fma", isa_avx2_fma::table, has_avx2_fma},
#endif
    {"scalar", isa_scalar::table, always},
};
const int NCANDIDATES = sizeof CANDIDATES / sizeof CANDIDATES[0];

const isa_table* detect() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
#endif
  const char* cap = std::getenv("DESCENT_ISA");
  bool allowed = cap == nullptr || *cap == '\0';
  for (const Candidate& c : CANDIDATES) {
    if (!allowed && std::strcmp(cap, c.name) == 0) allowed = true;
    if (allowed && c.supported()) return c.table();
  }
  return isa_scalar::table();
}

std::atomic<const isa_table*>& active() {
  static std::atomic<const isa_table*> a{detect()};
  return a;
}

}  // namespace

const isa_table* isa() noexcept { return active().load(std::memory_order_relaxed); }

bool isa_select(const char* name) noexcept {
  for (const Candidate& c : CANDIDATES)
    if (std::strcmp(name, c.name) == 0 && c.supported()) {
      active().store(c.table());
      return true;
    }
  return false;
}

const char* isa_supported() noexcept {
  static const char* list = [] {
    static char buf[64] = {0};
    for (const Candidate& c : CANDIDATES)
      if (c.supported()) {
        if (buf[0]) std::strcat(buf, ",");
        std::strcat(buf, c.name);
      }
    return buf;
  }();
  return list;
}

}  // namespace descent
