/* Persistent thread pool shared by the whole process. A kernel call takes a Team: the calling thread plus the
 * pool's workers when the pool is free, or the caller alone when another thread (another worker_thread) holds it,
 * so concurrent calls are safe and never wait for each other. Work is a list of tasks; thread i of a team of T
 * first runs its home range [i·n/T, (i+1)·n/T) (the same data on every call with the same numbering, so it stays
 * in that core's caches), then takes what is left of the others'. A task's result never depends on which thread
 * runs it, so results are bit-identical for any thread count. Workers spin briefly after a job (back-to-back
 * kernel calls find them awake), then sleep. */
#pragma once
#include <cstdint>

namespace descent {

typedef void (*task_fn)(void* ctx, int64_t task);

/* Threads a team uses (caller included); default: DESCENT_THREADS, else the CPUs this process may run on. */
int pool_threads() noexcept;
/* Sets the thread count (1..256); waits for a running team to finish. Returns the new count. */
int pool_set_threads(int n) noexcept;

class Team {
 public:
  explicit Team(bool want_parallel) noexcept;
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;
  int size() const noexcept { return size_; }
  /* Runs fn(ctx, 0..ntasks-1) over the team; returns when all are done. */
  void run(int64_t ntasks, task_fn fn, void* ctx) noexcept;

 private:
  bool owns_;
  int size_;
  int64_t t0_;  // when the team started (DESCENT_POOL_TRACE only)
};

/* Splits [0, n) into chunks of `grain` elements (the last one shorter) and runs f(lo, hi) over a team. */
template <class F>
void parallel_chunks(int64_t n, int64_t grain, F&& f) {
  if (n < 2 * grain) {
    f((int64_t)0, n);
    return;
  }
  Team team(true);
  struct Ctx { F* f; int64_t n, grain; } ctx{&f, n, grain};
  team.run((n + grain - 1) / grain, [](void* p, int64_t t) {
    Ctx* c = static_cast<Ctx*>(p);
    const int64_t lo = t * c->grain, hi = lo + c->grain < c->n ? lo + c->grain : c->n;
    (*c->f)(lo, hi);
  }, &ctx);
}

}  // namespace descent
