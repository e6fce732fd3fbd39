/* CPU feature detection, once at load: picks the best ISA table this CPU and OS support (AVX-512F, then AVX2+FMA,
 * then scalar). DESCENT_ISA=avx2_fma|scalar caps the choice (CI uses it to run the lower kernels on big machines);
 * isa_select lets tests switch among supported tables. The active table is an atomic pointer to immutable data.
 * A table with a null function pointer (a kernel an ISA library forgot to fill) is refused, never selected, and
 * the reason shows in info().refused, so a missing entry fails at load rather than crashing in a call. */
#include <atomic>
#include <cstddef>
#include <cstdio>
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

/* Every member after `blk` is a function pointer (kernels.h says so; the static_assert keeps it plausible). */
constexpr size_t FIRST_FN = offsetof(isa_table, gemm_ukernel);
static_assert((sizeof(isa_table) - FIRST_FN) % sizeof(void (*)()) == 0, "isa_table: members after blk must be function pointers");

char refused_list[256] = {0};

}  // namespace

int isa_table_null_entry(const isa_table* t) noexcept {
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(t);
  for (size_t at = FIRST_FN, i = 0; at < sizeof(isa_table); at += sizeof(void (*)()), i++) {
    void (*fn)() = nullptr;
    std::memcpy(&fn, bytes + at, sizeof fn);
    if (fn == nullptr) return (int)i;
  }
  return -1;
}

namespace {

/* The table if complete; otherwise records why it was refused and returns nullptr. */
const isa_table* checked(const Candidate& c) {
  const isa_table* t = c.table();
  const int missing = isa_table_null_entry(t);
  if (missing < 0) return t;
  if (std::strstr(refused_list, c.name) == nullptr) {
    char entry[96];
    std::snprintf(entry, sizeof entry, "%s%s: function pointer %d of isa_table is null", refused_list[0] ? "; " : "", c.name,
                  missing);
    std::strncat(refused_list, entry, sizeof refused_list - std::strlen(refused_list) - 1);
  }
  return nullptr;
}

const isa_table* detect() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
#endif
  const char* cap = std::getenv("DESCENT_ISA");
  bool allowed = cap == nullptr || *cap == '\0';
  for (const Candidate& c : CANDIDATES) {
    if (!allowed && std::strcmp(cap, c.name) == 0) allowed = true;
    if (allowed && c.supported())
      if (const isa_table* t = checked(c)) return t;
  }
  // The scalar table is the last resort; when even it is incomplete there is no table (the addon refuses to load).
  return checked(CANDIDATES[NCANDIDATES - 1]);
}

std::atomic<const isa_table*>& active() {
  static std::atomic<const isa_table*> a{detect()};
  return a;
}

}  // namespace

/* nullptr only when no supported table is complete: Init then throws, so no kernel ever runs without a table. */
const isa_table* isa() noexcept { return active().load(std::memory_order_relaxed); }

#if defined(__x86_64__) || defined(_M_X64)
namespace {
/* Whether the active table is Table's. A table is built on first use by code compiled for its ISA (the AVX-512
 * one's stores use zmm registers), so on a CPU without that ISA it must never be asked for, not even to compare
 * pointers: that was a SIGILL in every CNN on AVX2-only CPUs. isa() comes first so that detection
 * (__builtin_cpu_init) has run before Has reads the CPU's features. */
template <bool (*Has)(), const isa_table* (*Table)() noexcept>
bool table_active() {
  const isa_table* active_table = isa();
  return Has() && active_table == Table();
}
}  // namespace
#endif

bool isa_avx512_active() noexcept {
#if defined(__x86_64__) || defined(_M_X64)
  return table_active<has_avx512f, isa_avx512f::table>();
#else
  return false;
#endif
}

bool isa_avx2_fma_active() noexcept {
#if defined(__x86_64__) || defined(_M_X64)
  return table_active<has_avx2_fma, isa_avx2_fma::table>();
#else
  return false;
#endif
}

bool isa_select(const char* name) noexcept {
  for (const Candidate& c : CANDIDATES)
    if (std::strcmp(name, c.name) == 0 && c.supported()) {
      const isa_table* t = checked(c);
      if (t == nullptr) return false;
      active().store(t);
      return true;
    }
  return false;
}

const char* isa_refused() noexcept {
  active();  // detection fills the list
  return refused_list;
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
