/* Links native/cpu.cc against stand-in ISA tables (no real kernels) to test that a table with a null function
 * pointer is never selected: argv[1] names the ISA whose table gets a null entry at index argv[2]. Prints the
 * selected ISA (or "none"), whether setIsa's isa_select accepted it, and the refusal reasons. */
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../../native/kernels.h"

namespace descent {
namespace {

void stub() {}

isa_table make(const char* name, const char* broken, int hole) {
  isa_table t{};
  t.name = name;
  t.blk = {4, 8, 64, 64, 64};
  // Fill every function pointer with a stand-in, then punch the hole (same layout rule as cpu.cc's check).
  unsigned char* bytes = reinterpret_cast<unsigned char*>(&t);
  void (*fn)() = stub;
  for (size_t at = offsetof(isa_table, gemm_ukernel); at < sizeof t; at += sizeof fn) std::memcpy(bytes + at, &fn, sizeof fn);
  const size_t entries = (sizeof t - offsetof(isa_table, gemm_ukernel)) / sizeof fn;
  if (std::strcmp(name, broken) == 0 && hole >= 0 && (size_t)hole < entries) {
    fn = nullptr;
    std::memcpy(bytes + offsetof(isa_table, gemm_ukernel) + hole * sizeof fn, &fn, sizeof fn);
  }
  return t;
}

const char* g_broken = "";
int g_hole = 0;

}  // namespace

namespace isa_avx512f { const isa_table* table() noexcept { static isa_table t = make("avx512f", g_broken, g_hole); return &t; } }
namespace isa_avx2_fma { const isa_table* table() noexcept { static isa_table t = make("avx2_fma", g_broken, g_hole); return &t; } }
namespace isa_scalar { const isa_table* table() noexcept { static isa_table t = make("scalar", g_broken, g_hole); return &t; } }

}  // namespace descent

int main(int argc, char** argv) {
  using namespace descent;
  g_broken = argc > 1 ? argv[1] : "";
  g_hole = argc > 2 ? std::atoi(argv[2]) : 0;
  const isa_table* t = isa();
  std::printf("selected=%s\n", t ? t->name : "none");
  std::printf("select_broken=%d\n", (int)isa_select(g_broken));
  std::printf("refused=%s\n", isa_refused());
  std::printf("entries=%zu\n", (sizeof(isa_table) - offsetof(isa_table, gemm_ukernel)) / sizeof(void (*)()));
  return 0;
}
