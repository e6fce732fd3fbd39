/* gemm_f32: C[m,n] = alpha·op(A)·op(B) + beta·C, BLIS's five loops around the active ISA's micro-kernel.
 * jc over n by NC, pc over k by KC: the team packs the KC×NC panel of B and every MC×KC block of A (A is read in
 * place when it is small), then runs tasks over output tiles (an MC block of rows × a run of NR panels), each
 * looping jr, ir over MR×NR micro-tiles. The first k block applies the caller's beta (beta = 0 never reads C), later
 * ones accumulate. Products of a dense layer's size (up to PANELS_MAX_M rows, one NC block) take the panel path
 * instead: A packed once for all of k, then one task per column panel of NR that packs its own B slice and runs
 * every KC block down all the rows. A fused epilogue (bias, ReLU, or a ReLU-derivative mask: gemm_bias_act_f32, gemm_act_bwd_f32)
 * runs on each micro-tile as the last k block stores it (gemm_ukernel_ex: in registers before the store on
 * AVX-512, on the stored tile elsewhere), so the activations never take a pass of their own over memory. Blocking is fixed per ISA and a tile's arithmetic never depends on the thread that runs it, so
 * results are bit-identical for any thread count. Accuracy: float32 FMA accumulation in k order (CONTRIBUTING.md §4). */
#include <cstdint>
#include <cstdlib>
#include <cstring>
#if defined(_WIN32)
#include <malloc.h>
#endif

#include "../kernels.h"
#include "../pool.h"

namespace descent {

namespace {

#if defined(_WIN32)
inline void* alloc64(size_t bytes) { return _aligned_malloc(bytes, 64); }
inline void free64(void* p) { _aligned_free(p); }
#else
inline void* alloc64(size_t bytes) { return std::aligned_alloc(64, bytes); }
inline void free64(void* p) { std::free(p); }
#endif

/* Per-thread packing buffers, 64-byte aligned, grown on demand and freed when the thread ends. */
struct Scratch {
  float* p[2] = {nullptr, nullptr};
  size_t cap[2] = {0, 0};
  ~Scratch() { for (float* q : p) free64(q); }
  float* get(int slot, size_t floats) {
    if (cap[slot] < floats) {
      free64(p[slot]);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      p[slot] = static_cast<float*>(alloc64(bytes));
      cap[slot] = p[slot] ? floats : 0;
    }
    return p[slot];
  }
};
thread_local Scratch scratch;

/* Products m·n·k below this run on the calling thread only: team start-up is cheap (the workers spin between a
 * step's calls), but a split product reads operands the other cores wrote, and below this that costs more than it
 * saves (bench:pool-trace, MLP at 2 threads: the 10×128×128 and 128×128×10 gradients took 9.6 and 10.0 µs split,
 * 8.5 and 7.6 µs on one thread; that trace inflated split calls, but with the corrected one, 66a9bd3, the last
 * layer's whole backward split still took 12.6 against 10.3 µs, 10th percentiles, its forward and loss split too). */
constexpr int64_t PARALLEL_MIN_MNK = 1 << 19;
/* A dense layer's backward runs its two products side by side on two threads from this many multiply-adds each
 * (linear_bwd_f32). Below, on the caller: the MLP's last layer (128×10×128 products, 164 Ki, about 6 µs each) took
 * 15.1 µs side by side against 13.4 for both on one thread (bench:pool-trace before its correction, 66a9bd3; after
 * it, 10.6 against 10.3, 10th percentiles, the layer's forward and loss split too: still no gain), its operands
 * being on the other core. */
constexpr int64_t LINEAR_PAIR_MIN_MNK = 1 << 18;
/* Products m·n·k up to SMALL_MAX_MNK, or up to SMALL_NARROW_MAX_MNK when n ≤ 16 (the packed path would pad every
 * B row to NR), take the ISA's unpacked gemm_small path when op(B) fits its stack panel (kernels.h). Both limits
 * are below PARALLEL_MIN_MNK, so the choice never depends on the thread count. Measured through the addon, one
 * thread: 32×16×16 nt 370 → 260 ns per call (N-API included), 128×10×128 nt 3.6 → 2.8 µs (bench:peers 93 → 118
 * GFLOP/s); 128×128×10 nn stays packed (1.7 µs packed, 2.3 µs small). */
constexpr int64_t SMALL_MAX_MNK = 1 << 15, SMALL_NARROW_MAX_MNK = 1 << 18;
static_assert(SMALL_MAX_MNK < PARALLEL_MIN_MNK && SMALL_NARROW_MAX_MNK < PARALLEL_MIN_MNK, "small path is single-threaded");
/* A few rows of A against B stored [n, k] (a dense layer's forward at batch ≤ DOT_MAX_M: inference and small
 * batches) take the ISA's gemm_nt_dot: dot products of contiguous rows read B once per 8 rows of A (4 without
 * AVX-512), where the packed path would first copy all of B (the whole weight) into panels. Up to 16 rows: the MLP
 * 784-256-128-10's forward on one thread took 37.5–42.5 against 62.2 µs at batch 12 and 54.7 against 64.0 at 16
 * this way, but 83.7 against 76.1 at 24 and 110 against 93–103 at 32 (each row block reads the whole weight). Above
 * DOT_ANY_B_M rows only while the weight (DOT_MAX_B floats at most) stays in cache between those passes. Columns
 * split in fixed chunks of DOT_GRAIN_N over the team, so results do not depend on the thread count. */
constexpr int64_t DOT_MAX_M = 16, DOT_ANY_B_M = 8, DOT_MAX_B = 1 << 18, DOT_MIN_K = 64, DOT_GRAIN_N = 48;
/* A is packed when its block does not comfortably stay in cache in place. */
constexpr int64_t PACK_A_MIN_MK = 1 << 16;
/* Products with at most PANELS_MAX_M rows (a dense layer's at training batch sizes), one NC block of columns, and
 * op(A) packed whole in at most PANELS_MAX_A floats take the panel path: A is packed once for all of k (one team
 * job, skipped when A is read in place), then one job runs a task per NR-wide column panel that, for each KC block
 * in order, packs that panel of B and runs it down all the rows. Two jobs per call instead of two per KC block,
 * and the thread that packs a panel of B is the one that reads it, and the same thread on every call (pool.h's
 * home ranges): the per-KC-block split moved packed B, C tiles and the packed weights between the cores' caches
 * (2 threads spent 20 % more time in tasks than 1, instrumented, MLP 784-256-128-10). Same KC blocks, beta and
 * epilogue order as the blocked path, so results are identical either way. */
constexpr int64_t PANELS_MAX_M = 384, PANELS_MAX_A = 1 << 20;
/* On ISAs whose micro-kernel reads B̃ at any row stride (blk.strided_b), the panel path reads a row-major op(B) in
 * place instead of copying each kc×NR panel first when every row starts on a cache line (B 64-byte aligned, rows a
 * multiple of 16 floats apart: otherwise each 16-lane load of B splits across two lines) and rows are not a
 * multiple of B_POW2_ROW floats (1 KiB) apart (such rows share few L1 sets). One thread, C++ harness, in place
 * against packed: 256×784×128 (tA) 324 → 313 µs, 64×2000×300 621 → 530 µs, the MLP's 10×128×128 (tA) and
 * 128×128×10 5.1 → 3.3 and 6.1 → 5.3 µs; slower: unaligned rows (200×3000×100 6 %, 384×300×64 4 %; the MLP's
 * 256×784×128 from a JavaScript-heap input 353 → 370 µs), rows 1 KiB apart (the MLP's 128×256×128, 54 → 56 µs
 * through the addon). */
constexpr int64_t B_LINE = 16, B_POW2_ROW = 256;
/* The panel path packs each kc×NR slice of op(B) into a buffer on the stack of the thread that runs the task: the
 * same few KiB on every block and call, so the pack writes lines already in L1 instead of fetching a heap panel
 * (one slice per column panel, 268 KiB for the MLP's first layer) back from memory after the optimizer's pass has
 * evicted it. MLP 784-256-128-10, one thread: first-layer forward 336 → 325 µs with its inputs in cache (C++
 * addon timed from JavaScript), training step 1.015× (10 alternating pairs, CPU time). Large enough for NR ≤ 32
 * and the k blocks of at most 1.25·KC (KC = 256) that gemm_f32_team forms. */
constexpr int64_t PANEL_STACK_FLOATS = 32 * 320;

struct Job {
  const isa_table* T;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t rs_a, cs_a;
  const float* b;
  int64_t rs_b, cs_b;
  float* c;
  const gemm_epilogue* epi;  // applied per micro-tile after the last k block; nullptr for none
  bool pack_a;
  bool b_in_place;  // panel path: op(B) row-major, read by the micro-kernel where it lies (blk.strided_b)
  // current (jc, pc) block
  int64_t jc, nc, pc, kc;
  float beta;
  float* bpack;  // blocked path: KC×NC panel of B, NR-wide micro-panels
  float* apack;  // all of op(A)[:, pc:pc+kc] in MR-tall micro-panels (when pack_a)
  int64_t panels, pack_group, pack_b_tasks, n_ic, group, n_group;
  // panel path: KC step, MR-panels of A per packing task, tasks per KC block, and row groups (rows per group)
  int64_t kc_step, a_group, a_tasks, row_groups, group_rows;
};

/* The epilogue of the tile whose top-left element is C[i0, j0] (C and the mask have row stride n). */
inline gemm_tile_epilogue tile_epilogue(const gemm_epilogue& e, int64_t i0, int64_t j0, int64_t n) {
  return {e.bias ? e.bias + j0 : nullptr, e.mask ? e.mask + i0 * n + j0 : nullptr, n, e.act, e.slope};
}

/* The epilogue on rows [i0, i0+mr) × columns [j0, j0+nr) of C (at c, row stride n). */
inline void apply_epilogue(const isa_table& T, const gemm_epilogue& e, int64_t i0, int64_t j0, int64_t mr, int64_t nr,
                           int64_t n, float* c) {
  const gemm_tile_epilogue t = tile_epilogue(e, i0, j0, n);
  T.gemm_epilogue(mr, nr, c, n, t.bias, t.mask, n, t.act, t.slope);
}

/* Phase 1 of a (jc, pc) block: pack B (groups of NR panels), then A (one MC block per task). */
void pack_task(void* p, int64_t t) {
  Job& J = *static_cast<Job*>(p);
  const isa_table& T = *J.T;
  if (t < J.pack_b_tasks) {
    const int64_t NR = T.blk.nr;
    const int64_t first = t * J.pack_group, last = first + J.pack_group < J.panels ? first + J.pack_group : J.panels;
    const int64_t j0 = first * NR, j1 = last * NR < J.nc ? last * NR : J.nc;
    T.gemm_pack_b(J.kc, j1 - j0, J.b + J.pc * J.rs_b + (J.jc + j0) * J.cs_b, J.rs_b, J.cs_b, J.bpack + j0 * J.kc);
    return;
  }
  const int64_t ic = (t - J.pack_b_tasks) * T.blk.mc, mc = J.m - ic < T.blk.mc ? J.m - ic : T.blk.mc;
  T.gemm_pack_a(mc, J.kc, J.a + ic * J.rs_a + J.pc * J.cs_a, J.rs_a, J.cs_a, J.apack + ic * J.kc);
}

/* Phase 2: one MC block of rows × a group of NR panels; jr outer so a B micro-panel stays in L1 across ir. */
void tile_task(void* p, int64_t t) {
  Job& J = *static_cast<Job*>(p);
  const isa_table& T = *J.T;
  const int64_t MR = T.blk.mr, NR = T.blk.nr, MC = T.blk.mc;
  const int64_t ic = (t / J.n_group) * MC, mc = J.m - ic < MC ? J.m - ic : MC;
  const int64_t jp0 = (t % J.n_group) * J.group, jp1 = jp0 + J.group < J.panels ? jp0 + J.group : J.panels;
  const float* a;
  int64_t rs, cs, panel_stride;
  if (J.pack_a) a = J.apack + ic * J.kc, rs = 1, cs = MR, panel_stride = MR * J.kc;
  else a = J.a + ic * J.rs_a + J.pc * J.cs_a, rs = J.rs_a, cs = J.cs_a, panel_stride = MR * J.rs_a;
  // The epilogue runs on each micro-tile as its last k block stores it.
  const gemm_epilogue* epi = J.pc + J.kc == J.k ? J.epi : nullptr;
  for (int64_t jp = jp0; jp < jp1; jp++) {
    const int64_t j = jp * NR, nr = J.nc - j < NR ? J.nc - j : NR;
    const float* bp = J.bpack + j * J.kc;
    float* c = J.c + ic * J.n + J.jc + j;
    for (int64_t ir = 0, ip = 0; ir < mc; ir += MR, ip++) {
      const int64_t mr = mc - ir < MR ? mc - ir : MR;
      const gemm_tile_epilogue te = epi ? tile_epilogue(*epi, ic + ir, J.jc + j, J.n) : gemm_tile_epilogue{};
      T.gemm_ukernel_ex(J.kc, a + ip * panel_stride, rs, cs, bp, NR, c + ir * J.n, J.n, mr, nr, J.alpha, J.beta,
                        epi ? &te : nullptr);
    }
  }
}

/* Panel path, job 1: MR-panels of op(A), one (KC block, group of a_group MR-panels) per task; KC block pc
 * sits at apack + pc·m_pad, so a later task finds every block at a fixed place. */
void panels_pack_a_task(void* p, int64_t t) {
  Job& J = *static_cast<Job*>(p);
  const isa_table& T = *J.T;
  const int64_t MR = T.blk.mr, m_pad = (J.m + MR - 1) / MR * MR;
  const int64_t pc = (t / J.a_tasks) * J.kc_step, kc = J.k - pc < J.kc_step ? J.k - pc : J.kc_step;
  const int64_t i0 = (t % J.a_tasks) * J.a_group * MR, rows = J.m - i0 < J.a_group * MR ? J.m - i0 : J.a_group * MR;
  T.gemm_pack_a(rows, kc, J.a + i0 * J.rs_a + pc * J.cs_a, J.rs_a, J.cs_a, J.apack + pc * m_pad + i0 * kc);
}

/* Panel path, job 2: column panel t through every KC block: pack its kc×NR slice of op(B) (into this thread's
 * stack panel), or read it in place (J.b_in_place), and run it down all the rows, the epilogue on each tile of the
 * last block. */
void panels_task(void* p, int64_t t) {
  Job& J = *static_cast<Job*>(p);
  const isa_table& T = *J.T;
  const int64_t MR = T.blk.mr, NR = T.blk.nr, m_pad = (J.m + MR - 1) / MR * MR;
  const int64_t panels = (J.n + NR - 1) / NR, group = t / panels;
  const int64_t j = (t % panels) * NR, nr = J.n - j < NR ? J.n - j : NR;
  const int64_t row0 = group * J.group_rows, row1 = row0 + J.group_rows < J.m ? row0 + J.group_rows : J.m;
  alignas(64) float stack_panel[PANEL_STACK_FLOATS];
  for (int64_t pc = 0; pc < J.k; pc += J.kc_step) {
    const int64_t kc = J.k - pc < J.kc_step ? J.k - pc : J.kc_step;
    const float* bp;
    int64_t ldb;
    if (J.b_in_place) {
      bp = J.b + pc * J.rs_b + j, ldb = J.rs_b;
    } else {
      T.gemm_pack_b(kc, nr, J.b + pc * J.rs_b + j * J.cs_b, J.rs_b, J.cs_b, stack_panel);
      bp = stack_panel, ldb = NR;
    }
    const float beta = pc == 0 ? J.beta : 1.0f;
    const gemm_epilogue* epi = pc + kc == J.k ? J.epi : nullptr;
    const float* a;
    int64_t rs, cs, panel_stride;
    if (J.pack_a) a = J.apack + pc * m_pad, rs = 1, cs = MR, panel_stride = MR * kc;
    else a = J.a + pc * J.cs_a, rs = J.rs_a, cs = J.cs_a, panel_stride = MR * J.rs_a;
    for (int64_t ir = row0, ip = row0 / MR; ir < row1; ir += MR, ip++) {
      const int64_t mr = J.m - ir < MR ? J.m - ir : MR;
      float* c = J.c + ir * J.n + j;
      const gemm_tile_epilogue te = epi ? tile_epilogue(*epi, ir, j, J.n) : gemm_tile_epilogue{};
      T.gemm_ukernel_ex(kc, a + ip * panel_stride, rs, cs, bp, ldb, c, J.n, mr, nr, J.alpha, beta, epi ? &te : nullptr);
    }
  }
}

}  // namespace

void gemm_f32(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
              float beta, float* c) noexcept {
  gemm_f32_team(ta, tb, m, n, k, alpha, a, b, beta, c, true);
}

void gemm_f32_serial(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                     float beta, float* c) noexcept {
  gemm_f32_team(ta, tb, m, n, k, alpha, a, b, beta, c, false);
}

void gemm_bias_act_f32(int64_t m, int64_t n, int64_t k, int act, float slope, const float* a, const float* b,
                       const float* bias, float* c) noexcept {
  const gemm_epilogue e{bias, nullptr, act, slope};
  gemm_f32_team(0, 1, m, n, k, 1.0f, a, b, 0.0f, c, true, bias || act ? &e : nullptr);
}

void gemm_act_bwd_f32(int64_t m, int64_t n, int64_t k, float slope, const float* a, const float* b, const float* y,
                      float* c) noexcept {
  const gemm_epilogue e{nullptr, y, 0, slope};
  gemm_f32_team(0, 0, m, n, k, 1.0f, a, b, 0.0f, c, true, &e);
}

void linear_bwd_f32(int64_t m, int64_t out_f, int64_t in_f, float beta, int act, float slope, const float* dy,
                    const float* x, const float* w, const float* y, float* dw, float* db, float* dx) noexcept {
  const gemm_epilogue e{nullptr, y, 0, slope};
  const gemm_epilogue* epi = act ? &e : nullptr;
  struct Ctx {
    int64_t m, out_f, in_f;
    float beta;
    const float *dy, *x, *w;
    float *dw, *db, *dx;
    const gemm_epilogue* epi;
    bool parallel;  // each product over the whole team (one after the other), else one thread each
  } ctx{m, out_f, in_f, beta, dy, x, w, dw, db, dx, epi, true};
  // Task 0 the input gradient, task 1 the weight and bias gradients (the same calls in either mode).
  auto task = [](void* p, int64_t t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    if (t == 0) {
      if (c.dx) gemm_f32_team(0, 0, c.m, c.in_f, c.out_f, 1.0f, c.dy, c.w, 0.0f, c.dx, c.parallel, c.epi);
    } else {
      // Split by rows of dW: each thread writes whole rows, the contiguous halves (thirds, ...) of the flat gradient
      // that the optimizer's home ranges then read on the same core. Split by column panels, half of every row came
      // from the other core (MLP 784-256-128-10 at 2 threads: Adam 80.3 → 74.4 µs per call, bench:pool-trace).
      gemm_f32_team(1, 0, c.out_f, c.in_f, c.m, 1.0f, c.dy, c.x, c.beta, c.dw, c.parallel, nullptr, true);
      if (c.db) col_sum_f32(c.m, c.out_f, c.beta, c.dy, c.db);
    }
  };
  /* On a team of two, the two products (equal in multiply-adds) run side by side, one thread each, rather than each
   * split over both: a split product reads the operands the other core wrote and adds a join per call (MLP
   * 784-256-128-10: the second layer's weight and input gradients took 43 and 38 µs split against 57 and 56 on one
   * thread alone). Larger teams split each product as before. Either way every element gets the same arithmetic. */
  if (dx && m * out_f * in_f >= LINEAR_PAIR_MIN_MNK && pool_threads() == 2) {
    Team team(true);
    if (team.size() == 2) {
      ctx.parallel = false;
      team.run(2, task, &ctx);
      return;
    }
  }
  task(&ctx, 1);
  task(&ctx, 0);
}

void gemm_f32_team(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                   float beta, float* c, bool parallel, const gemm_epilogue* epi, bool split_rows) noexcept {
  if (m == 0 || n == 0) return;
  const isa_table* T = isa();
  if (k == 0) {
    // C = beta·C; beta = 0 writes zeros without reading C.
    for (int64_t i = 0; i < m * n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    if (epi) apply_epilogue(*T, *epi, 0, 0, m, n, n, c);
    return;
  }
  const int64_t mnk = m * n * k;
  if (ta == 0 && tb == 1 && (m <= DOT_ANY_B_M || (m <= DOT_MAX_M && n * k <= DOT_MAX_B)) && k >= DOT_MIN_K &&
      alpha == 1.0f) {
    auto cols = [&](int64_t j0, int64_t j1) {
      T->gemm_nt_dot(m, j1 - j0, k, a, k, b + j0 * k, k, beta, c + j0, n);
      if (epi) apply_epilogue(*T, *epi, 0, j0, m, j1 - j0, n, c + j0);
    };
    if (parallel && mnk >= PARALLEL_MIN_MNK) parallel_chunks(n, DOT_GRAIN_N, [&](int64_t j0, int64_t j1) { cols(j0, j1); });
    else cols(0, n);
    return;
  }
  if ((mnk <= SMALL_MAX_MNK || (n <= 16 && mnk <= SMALL_NARROW_MAX_MNK)) && k * ((n + 15) / 16 * 16) <= GEMM_SMALL_B) {
    // Small products: C is at most a few KiB (or a few rows of ≤ 16), still in L1 for the epilogue pass.
    T->gemm_small(ta, tb, m, n, k, alpha, a, b, beta, c);
    if (epi) apply_epilogue(*T, *epi, 0, 0, m, n, n, c);
    return;
  }
  Job J;
  J.T = T;
  const gemm_blocking& blk = J.T->blk;
  J.m = m, J.n = n, J.k = k, J.alpha = alpha, J.a = a, J.b = b, J.c = c, J.epi = epi;
  // op(A)(i,p) = a[i·rs_a + p·cs_a]; op(B)(p,j) = b[p·rs_b + j·cs_b]
  J.rs_a = ta ? 1 : k, J.cs_a = ta ? m : 1;
  J.rs_b = tb ? 1 : n, J.cs_b = tb ? k : 1;
  // k blocks of equal size, each at most 1.25·KC (784 = 3 × 262, not 3 × 256 + 16): fewer, fuller passes.
  const int64_t kc_blocks = (k + blk.kc + blk.kc / 4 - 1) / (blk.kc + blk.kc / 4);
  const int64_t kc_step = ((k + kc_blocks - 1) / kc_blocks + 7) / 8 * 8;
  const int64_t m_pad = (m + blk.mr - 1) / blk.mr * blk.mr;
  // More rows than MC are packed in both paths: read in place, a weight gradient's 256×128 dYᵀ took 8 % longer.
  J.pack_a = m * (k < kc_step ? k : kc_step) >= PACK_A_MIN_MK || m > blk.mc;
  if (m <= PANELS_MAX_M && n <= blk.nc && (!J.pack_a || m_pad * k <= PANELS_MAX_A)) {
    Team team(parallel && mnk >= PARALLEL_MIN_MNK);
    const int64_t panels = (n + blk.nr - 1) / blk.nr;
    J.b_in_place = blk.strided_b && J.cs_b == 1 && (reinterpret_cast<uintptr_t>(b) & 63) == 0 && J.rs_b % B_LINE == 0 &&
                   J.rs_b % B_POW2_ROW != 0;
    J.apack = J.pack_a ? scratch.get(0, (size_t)(m_pad * k)) : nullptr;
    if ((J.b_in_place || blk.nr * kc_step <= PANEL_STACK_FLOATS) && (!J.pack_a || J.apack)) {
      J.kc_step = kc_step, J.beta = beta;
      if (J.pack_a) {
        // Groups of 4 MR-panels (32 rows on AVX-512): a few tasks per thread for any team.
        J.a_group = 4;
        J.a_tasks = (m_pad / blk.mr + J.a_group - 1) / J.a_group;
        team.run(J.a_tasks * ((k + kc_step - 1) / kc_step), panels_pack_a_task, &J);
      }
      // Row groups (split_rows): one per thread, MR-aligned, each with every column panel; thread i's home range
      // is then group i. Tiles are the same either way, so the split never changes a result.
      J.row_groups = 1, J.group_rows = m_pad;
      if (split_rows && team.size() > 1) {
        const int64_t mr_panels = m_pad / blk.mr;
        J.row_groups = team.size() < mr_panels ? team.size() : mr_panels;
        J.group_rows = (mr_panels + J.row_groups - 1) / J.row_groups * blk.mr;
        J.row_groups = (m_pad + J.group_rows - 1) / J.group_rows;
      }
      team.run(J.row_groups * panels, panels_task, &J);
      return;
    }
  }
  J.b_in_place = false;
  Team team(parallel && mnk >= PARALLEL_MIN_MNK);
  const int64_t nc_max = n < blk.nc ? n : blk.nc, kc_max = k < kc_step ? k : kc_step;
  J.bpack = scratch.get(1, (size_t)(((nc_max + blk.nr - 1) / blk.nr) * blk.nr * kc_max));
  J.apack = J.pack_a ? scratch.get(0, (size_t)(m_pad * kc_max)) : nullptr;
  if (!J.bpack || (J.pack_a && !J.apack)) {
    // Out of memory for packing: fall back to the unblocked reference loop (slow but correct, no allocation).
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        float s = 0.0f;
        for (int64_t p = 0; p < k; p++) s += a[i * J.rs_a + p * J.cs_a] * b[p * J.rs_b + j * J.cs_b];
        c[i * n + j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[i * n + j];
      }
    if (epi) apply_epilogue(*T, *epi, 0, 0, m, n, n, c);
    return;
  }
  const int64_t threads = team.size();
  J.n_ic = (m + blk.mc - 1) / blk.mc;
  for (int64_t jc = 0; jc < n; jc += blk.nc) {
    J.jc = jc, J.nc = n - jc < blk.nc ? n - jc : blk.nc;
    J.panels = (J.nc + blk.nr - 1) / blk.nr;
    // Alone: one task per row block. In a team: about 8 tasks per thread, so a preempted thread (another
    // process on its core) holds back little work; which thread runs a task never changes its arithmetic.
    J.group = threads == 1 ? J.panels : (J.panels * J.n_ic + 8 * threads - 1) / (8 * threads);
    if (J.group > J.panels) J.group = J.panels;
    J.n_group = (J.panels + J.group - 1) / J.group;
    J.pack_group = threads == 1 ? J.panels : (J.panels + 4 * threads - 1) / (4 * threads);
    J.pack_b_tasks = (J.panels + J.pack_group - 1) / J.pack_group;
    for (int64_t pc = 0; pc < k; pc += kc_step) {
      J.pc = pc, J.kc = k - pc < kc_step ? k - pc : kc_step;
      J.beta = pc == 0 ? beta : 1.0f;
      team.run(J.pack_b_tasks + (J.pack_a ? J.n_ic : 0), pack_task, &J);
      team.run(J.n_ic * J.n_group, tile_task, &J);
    }
  }
}

}  // namespace descent
