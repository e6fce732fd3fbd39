/* Contract entry points of the norm family: batch norm splits its channels over the thread team (each channel's
 * statistics and outputs are computed by one task, in a fixed order; on [N, C] input the split falls on
 * multiples of BN_COL_BLOCK), dropout and mul split into fixed 32 Ki-element chunks. Chunk and channel bounds do
 * not depend on the thread count, so results are bit-identical for any count. Small calls stay on the caller. */
#include "../kernels.h"
#include "../pool.h"

namespace descent {

namespace {

constexpr int64_t GRAIN = 1 << 15;

/* Runs f(c0, c1) over channel ranges; alone when the call is small. */
template <class F>
void over_channels(int64_t n, int64_t c, int64_t hw, F&& f) {
  const int64_t unit = hw == 1 ? BN_COL_BLOCK : 1;  // channels that must stay together
  const int64_t units = (c + unit - 1) / unit;
  if (n * c * hw < 2 * GRAIN || units < 2) {
    f((int64_t)0, c);
    return;
  }
  Team team(true);
  // A few tasks per thread balance uneven progress; how units are grouped does not change any result.
  const int64_t tasks = units < 4 * (int64_t)team.size() ? units : 4 * (int64_t)team.size();
  struct Ctx { F* f; int64_t c, unit, units, tasks; } ctx{&f, c, unit, units, tasks};
  team.run(tasks, [](void* p, int64_t t) {
    const Ctx* k = static_cast<Ctx*>(p);
    const int64_t u0 = t * k->units / k->tasks, u1 = (t + 1) * k->units / k->tasks;
    const int64_t c1 = u1 * k->unit < k->c ? u1 * k->unit : k->c;
    if (u0 < u1) (*k->f)(u0 * k->unit, c1);
  }, &ctx);
}

}  // namespace

void batch_norm_train_f32(int64_t n, int64_t c, int64_t hw, double eps, double momentum, const float* x,
                          const float* gamma, const float* beta, float* running_mean, float* running_var, float* y,
                          float* save_mean, float* save_invstd) noexcept {
  const isa_table* T = isa();
  over_channels(n, c, hw, [&](int64_t c0, int64_t c1) {
    T->bn_train(n, c, hw, c0, c1, eps, momentum, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
  });
}

void batch_norm_eval_f32(int64_t n, int64_t c, int64_t hw, double eps, const float* x, const float* gamma,
                         const float* beta, const float* running_mean, const float* running_var, float* y,
                         float* save_mean, float* save_invstd) noexcept {
  const isa_table* T = isa();
  over_channels(n, c, hw, [&](int64_t c0, int64_t c1) {
    T->bn_eval(n, c, hw, c0, c1, eps, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
  });
}

void batch_norm_bwd_f32(int64_t n, int64_t c, int64_t hw, int batch_stats, float beta_acc, const float* x,
                        const float* dy, const float* gamma, const float* save_mean, const float* save_invstd,
                        float* dx, float* dgamma, float* dbeta) noexcept {
  const isa_table* T = isa();
  over_channels(n, c, hw, [&](int64_t c0, int64_t c1) {
    T->bn_bwd(n, c, hw, c0, c1, batch_stats, beta_acc, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
  });
}

void dropout_fwd_f32(int64_t n, int64_t seed, int64_t threshold, float scale, const float* x, float* y,
                     float* mask) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) {
    T->dropout_fwd(hi - lo, lo, (uint32_t)seed, (uint32_t)threshold, scale, x + lo, y + lo, mask + lo);
  });
}

void mul_f32(int64_t n, const float* a, const float* b, float* out) noexcept {
  const isa_table* T = isa();
  parallel_chunks(n, GRAIN, [&](int64_t lo, int64_t hi) { T->mul(hi - lo, a + lo, b + lo, out + lo); });
}

}  // namespace descent
