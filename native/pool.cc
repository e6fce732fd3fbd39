/* The process-wide thread pool (see pool.h). One mutex admits one team at a time; a job word (generation, task
 * count, next task) announces each job; workers spin about 200 µs after a job, then sleep on a condition
 * variable. The pool object is created on first use and intentionally never destroyed (its threads end with the
 * process). */
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace descent {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

int cpus_available() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? (int)n : 1;
}

int default_threads() {
  if (const char* env = std::getenv("DESCENT_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 256) return (int)v;
  }
  const int n = cpus_available();
  return n < 256 ? n : 256;
}

/* A job is announced in one 64-bit word: generation (16 bits) | task count (24) | next task (24). Threads claim
 * tasks with a compare-and-swap on that word, so a claim is valid only for the job it names, and whoever runs
 * (the caller included) takes the next task. The caller waits for the tasks to be *done*, not for every worker to
 * check in: a worker that is descheduled (another process on its core) costs nothing, the caller does its share. */
constexpr int GEN_SHIFT = 48, COUNT_SHIFT = 24;
constexpr uint64_t FIELD = (1ull << 24) - 1;
inline uint64_t gen_of(uint64_t w) { return w >> GEN_SHIFT; }
inline int64_t count_of(uint64_t w) { return (int64_t)((w >> COUNT_SHIFT) & FIELD); }
inline int64_t next_of(uint64_t w) { return (int64_t)(w & FIELD); }

struct Pool {
  std::mutex team_mu;  // held by the team that owns the workers
  std::vector<std::thread> workers;
  std::atomic<int> threads{1};

  std::atomic<uint64_t> word{0};
  std::atomic<task_fn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};

  std::mutex sleep_mu;
  std::condition_variable wake;
  std::atomic<int> sleepers{0};

  Pool() { resize(default_threads()); }

  /* Claims and runs tasks of the job announced by `w` until none are left; returns the last word seen. */
  uint64_t drain(uint64_t w, uint64_t gen) {
    while (gen_of(w) == gen && next_of(w) < count_of(w)) {
      if (word.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        // The job cannot complete before this task does, so fn and ctx still belong to it.
        fn.load(std::memory_order_relaxed)(ctx.load(std::memory_order_relaxed), next_of(w));
        done.fetch_add(1, std::memory_order_release);
        w = word.load(std::memory_order_acquire);
      }
    }
    return w;
  }

  void work(uint64_t seen) {
    for (;;) {
      auto start = std::chrono::steady_clock::now();
      for (unsigned spins = 0; gen_of(word.load(std::memory_order_acquire)) == seen && !stop.load(); spins++) {
        cpu_relax();
        if ((spins & 255) == 255 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(200)) {
          std::unique_lock<std::mutex> lock(sleep_mu);
          sleepers.fetch_add(1);
          wake.wait(lock, [&] { return gen_of(word.load()) != seen || stop.load(); });
          sleepers.fetch_sub(1);
        }
      }
      if (stop.load()) return;
      const uint64_t w = word.load(std::memory_order_acquire);
      seen = gen_of(w);
      drain(w, seen);
    }
  }

  // Caller holds team_mu (or is the constructor).
  void resize(int n) {
    if (!workers.empty()) {
      {
        std::lock_guard<std::mutex> lock(sleep_mu);
        stop.store(true);
      }
      wake.notify_all();
      for (auto& w : workers) w.join();
      workers.clear();
      stop.store(false);
    }
    const uint64_t seen = gen_of(word.load());
    for (int i = 1; i < n; i++) workers.emplace_back([this, seen] { work(seen); });
    threads.store(n);
  }

  void run(int64_t n, task_fn f, void* c) {
    fn.store(f, std::memory_order_relaxed);
    ctx.store(c, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    const uint64_t gen = (gen_of(word.load(std::memory_order_relaxed)) + 1) & 0xFFFF;
    word.store(gen << GEN_SHIFT | (uint64_t)n << COUNT_SHIFT);  // seq_cst: publishes fn/ctx, pairs with sleepers
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lock(sleep_mu);
      wake.notify_all();
    }
    drain(word.load(std::memory_order_acquire), gen);
    // A task still running elsewhere: spin briefly, then yield, so a worker preempted by another process (more
    // runnable threads than cores) can get this core back sooner than the scheduler would give it otherwise.
    for (unsigned spins = 0; done.load(std::memory_order_acquire) < n; spins++) {
      if (spins < 4096) cpu_relax();
      else std::this_thread::yield();
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: see the file header
  return *p;
}

}  // namespace

int pool_threads() noexcept { return pool().threads.load(); }

int pool_set_threads(int n) noexcept {
  if (n < 1) n = 1;
  if (n > 256) n = 256;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.team_mu);
  if (n != p.threads.load()) p.resize(n);
  return n;
}

Team::Team(bool want_parallel) noexcept : owns_(false), size_(1) {
  if (!want_parallel) return;
  Pool& p = pool();
  if (p.threads.load(std::memory_order_relaxed) > 1 && p.team_mu.try_lock()) {
    owns_ = true;
    size_ = (int)p.workers.size() + 1;
    if (size_ == 1) {
      p.team_mu.unlock();
      owns_ = false;
    }
  }
}

Team::~Team() {
  if (owns_) pool().team_mu.unlock();
}

void Team::run(int64_t ntasks, task_fn fn, void* ctx) noexcept {
  if (ntasks <= 0) return;
  if (!owns_ || ntasks == 1 || ntasks > (int64_t)FIELD) {
    for (int64_t t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  pool().run(ntasks, fn, ctx);
}

}  // namespace descent
