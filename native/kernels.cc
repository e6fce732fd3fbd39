/* The contract entry points for the elementwise families: each forwards to the active ISA table, split into
 * fixed 32 Ki-element chunks over the thread team when the array is large (chunk bounds do not depend on the
 * thread count, and every element gets the same arithmetic whichever chunk holds it, so results are bit-identical
 * for any thread count). bias_add and col_sum are short (one layer's outputs) and run on the caller. */
#include "kernels.h"
#include "pool.h"

namespace descent {

namespace {
constexpr int64_t GRAIN = 1 << 15;
/* Optimizer steps take finer chunks: an MLP's parameters (235k for 784-256-128-10) in 32 Ki chunks split 4 : 3.2
 * over 2 threads; in 8 Ki chunks 14 : 14.7. With the pool's home ranges a thread updates the same parameters (and
 * their state) on every step, so they stay in its core's cache. */
constexpr int64_t OPT_GRAIN = 1 << 13;
}

void bias_add_f32(int64_t m, int64_t n, const float* bias, float* c) noexcept { isa()->bias_add(m, n, bias, c); }

void col_sum_f32(int64_t m, int64_t n, float beta, const float* a, float* out) noexcept {
  isa()->col_sum(m, n, beta, a, out);
}

#define UNARY(name, field)                                                                         \
  void name(int64_t n, const float* x, float* y) noexcept {                                        \
    const isa_table* T = isa();                                                                    \
    parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->field(hi - lo, x + lo, y + lo); }); \
  }
UNARY(sigmoid_fwd_f32, sigmoid_fwd)
UNARY(tanh_fwd_f32, tanh_fwd)
UNARY(relu_fwd_f32, relu_fwd)
UNARY(gelu_fwd_f32, gelu_fwd)
UNARY(gelu_tanh_fwd_f32, gelu_tanh_fwd)
UNARY(silu_fwd_f32, silu_fwd)
#undef UNARY

void leaky_relu_fwd_f32(int64_t n, float slope, const float* x, float* y) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->leaky_relu_fwd(hi - lo, slope, x + lo, y + lo); });
}

#define BINARY(name, field)                                                                                   \
  void name(int64_t n, const float* y, const float* dy, float* dx) noexcept {                                 \
    const isa_table* T = isa();                                                                               \
    parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->field(hi - lo, y + lo, dy + lo, dx + lo); }); \
  }
BINARY(sigmoid_bwd_f32, sigmoid_bwd)
BINARY(tanh_bwd_f32, tanh_bwd)
BINARY(relu_bwd_f32, relu_bwd)
BINARY(gelu_bwd_f32, gelu_bwd)
BINARY(gelu_tanh_bwd_f32, gelu_tanh_bwd)
BINARY(silu_bwd_f32, silu_bwd)
#undef BINARY

void leaky_relu_bwd_f32(int64_t n, float slope, const float* y, const float* dy, float* dx) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN,
                  [&](int64_t lo, int64_t hi) { T->leaky_relu_bwd(hi - lo, slope, y + lo, dy + lo, dx + lo); });
}

void elu_fwd_f32(int64_t n, float alpha, const float* x, float* y) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->elu_fwd(hi - lo, alpha, x + lo, y + lo); });
}

void elu_bwd_f32(int64_t n, float alpha, const float* x, const float* dy, float* dx) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->elu_bwd(hi - lo, alpha, x + lo, dy + lo, dx + lo); });
}

void softplus_fwd_f32(int64_t n, float beta, float threshold, const float* x, float* y) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->softplus_fwd(hi - lo, beta, threshold, x + lo, y + lo); });
}

void softplus_bwd_f32(int64_t n, float beta, float threshold, const float* x, const float* dy, float* dx) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) {
    T->softplus_bwd(hi - lo, beta, threshold, x + lo, dy + lo, dx + lo);
  });
}

/* Whole rows per chunk (about GRAIN elements each): a row's arithmetic never depends on the partition. */
void softmax_fwd_f32(int64_t m, int64_t n, const float* x, float* y) noexcept {
  const isa_table* T = isa();
  const int64_t rows = n > 0 && n < GRAIN ? GRAIN / n : 1;
  parallel_chunks(m, rows, [&](int64_t lo, int64_t hi) { T->softmax_fwd(hi - lo, n, x + lo * n, y + lo * n); });
}

static inline float* opt(float* p, int64_t lo) { return p ? p + lo : nullptr; }

/* An optimizer step's chunks (those of parallel_chunks). A team of one runs them from the last to the first, so the
 * step ends on the first parameters, the first layer's, which the next forward reads first: they are then still
 * in L2 (MLP 784-256-128-10, one thread: the first layer's forward 340 → 335 µs in a C++ harness step). A larger
 * team keeps the ascending order of its home ranges, which match the GEMMs' column panels. Elementwise, so the
 * order never changes a result. */
template <class F>
static void optimizer_chunks(int64_t n, F f) {
  if (n < 2 * OPT_GRAIN) return f((int64_t)0, n);
  Team team(true);
  struct Ctx { F* f; int64_t n, chunks; bool reverse; } ctx{&f, n, (n + OPT_GRAIN - 1) / OPT_GRAIN, team.size() == 1};
  team.run(ctx.chunks, [](void* p, int64_t t) {
    const Ctx* c = static_cast<const Ctx*>(p);
    const int64_t lo = (c->reverse ? c->chunks - 1 - t : t) * OPT_GRAIN;
    (*c->f)(lo, lo + OPT_GRAIN < c->n ? lo + OPT_GRAIN : c->n);
  }, &ctx);
}

void sgd_step_f32(int64_t n, double lr, double wd, float* w, const float* g) noexcept {
  const isa_table* T = isa();
  optimizer_chunks(n, [&](int64_t lo, int64_t hi) { T->sgd_step(hi - lo, lr, wd, w + lo, g + lo); });
}

void momentum_step_f32(int64_t n, double lr, double mu, double damp, double wd, int nesterov, float* w, const float* g,
                       float* buf) noexcept {
  const isa_table* T = isa();
  optimizer_chunks(n, [&](int64_t lo, int64_t hi) {
    T->momentum_step(hi - lo, lr, mu, damp, wd, nesterov, w + lo, g + lo, buf + lo);
  });
}

void adagrad_step_f32(int64_t n, double clr, double wd, double eps, float* w, const float* g, float* sum) noexcept {
  const isa_table* T = isa();
  optimizer_chunks(n,
                  [&](int64_t lo, int64_t hi) { T->adagrad_step(hi - lo, clr, wd, eps, w + lo, g + lo, sum + lo); });
}

void rmsprop_step_f32(int64_t n, double lr, double alpha, double eps, double wd, double mu, int centered, float* w,
                      const float* g, float* sq, float* buf, float* gavg) noexcept {
  const isa_table* T = isa();
  optimizer_chunks(n, [&](int64_t lo, int64_t hi) {
    T->rmsprop_step(hi - lo, lr, alpha, eps, wd, mu, centered, w + lo, g + lo, sq + lo, opt(buf, lo), opt(gavg, lo));
  });
}

void adam_step_f32(int64_t n, double lr, double b1, double b2, double eps, double wd, int decoupled, double bc1, double bc2,
                   float* w, const float* g, float* m, float* v, float* vmax) noexcept {
  const isa_table* T = isa();
  optimizer_chunks(n, [&](int64_t lo, int64_t hi) {
    T->adam_step(hi - lo, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w + lo, g + lo, m + lo, v + lo, opt(vmax, lo));
  });
}

}  // namespace descent
