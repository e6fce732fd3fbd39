/* The process-wide thread pool (see pool.h). One mutex admits one team at a time; one word per thread
 * (generation, end and next task of its home range) announces each job; workers spin about 200 µs after a job,
 * then sleep on a condition variable. The pool object is created on first use and intentionally never destroyed (its threads end with the
 * process). */
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <new>
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

/* DESCENT_POOL_TRACE=<file> (read once, when the pool starts): every job, team, task and each thread's share of a
 * job is timed into per-thread buffers written to <file> at exit, one event a line: start and end (ns, steady clock),
 * thread (0 = the caller), kind, task index or count, and CPU time (ns; −1 where not measured or the platform has no
 * per-thread clock). The CPU time, which a thread descheduled by another process does not accrue, is taken once per
 * thread and job (a drain: the thread's run through the job's tasks) and for serial jobs, never per task: the
 * thread clock is a system call (about 0.2 µs here) and per task it made the MLP's 50-task weight gradient 10 µs
 * slower per thread on two threads than on one, a slowdown the trace itself created. Each thread writes its own
 * buffer (a shared counter and adjacent events moved a cache line between the cores per task). `npm run
 * bench:pool-trace` runs training steps with it and splits each kernel call into work and waiting per thread. Off
 * (the default), a task costs one predictable branch more. */
enum TraceKind { TRACE_TASK = 1, TRACE_JOB = 2, TRACE_TEAM = 3, TRACE_DRAIN = 4 };
struct TraceEvent {
  int64_t t0, t1, index, cpu;
  int32_t thread, kind;
};
struct TraceBuffer {
  static constexpr size_t CAPACITY = 1 << 19;  // 24 MiB of events per thread at most; later ones are dropped
  // Zeroed when made (at the thread's first event), so no traced call takes the page faults of fresh memory (which
  // in a VM cost about as much as the thread clock did).
  TraceEvent* events = new (std::nothrow) TraceEvent[CAPACITY]();
  size_t count = 0;
};
struct Trace {
  const char* path = std::getenv("DESCENT_POOL_TRACE");
  bool on = path && *path;
  std::mutex mu;
  std::vector<TraceBuffer*> buffers;  // one per thread that traced, written at exit
  TraceBuffer* add() {
    std::lock_guard<std::mutex> lock(mu);
    buffers.push_back(new TraceBuffer);
    return buffers.back();
  }
  ~Trace() {
    if (!on) return;
    std::lock_guard<std::mutex> lock(mu);
    if (FILE* f = std::fopen(path, "w")) {
      for (const TraceBuffer* b : buffers)
        for (size_t i = 0; b->events && i < b->count; i++) {
          const TraceEvent& e = b->events[i];
          std::fprintf(f, "%lld %lld %d %d %lld %lld\n", (long long)e.t0, (long long)e.t1, e.thread, e.kind,
                       (long long)e.index, (long long)e.cpu);
        }
      std::fclose(f);
    }
  }
};
Trace trace;  // a static object: its destructor writes the file when the process exits
thread_local int trace_thread = 0;
thread_local TraceBuffer* trace_buffer = nullptr;

inline bool tracing() { return trace.on; }
inline int64_t trace_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
inline int64_t trace_cpu() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#endif
  return -1;
}
inline void trace_event(int64_t t0, int kind, int64_t index, int64_t cpu0 = -1) {
  const int64_t cpu = cpu0 >= 0 ? trace_cpu() - cpu0 : -1;
  TraceBuffer*& b = trace_buffer;
  if (!b) b = trace.add();
  if (b->events && b->count < TraceBuffer::CAPACITY) b->events[b->count++] = TraceEvent{t0, trace_now(), index, cpu, trace_thread, kind};
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

/* Each thread of a team has a home range of a job's tasks: thread i of T gets tasks [i·n/T, (i+1)·n/T), so a job
 * that numbers its tasks the same way on every call (a GEMM's column panels, an optimizer's chunks) finds the
 * same thread on the same data every time, and the data stays in that core's caches between calls. A range is one
 * 64-bit word on its own cache line: generation (16 bits) | end (24) | next (24). A thread claims the front of
 * its own range (CAS next+1), then takes tasks from the back of the others' ranges (CAS end−1), so a claim is
 * valid only for the job it names, and a thread that is descheduled (another process on its core) costs nothing:
 * the others, the caller included, finish its range. The caller waits for the tasks to be *done*, not for every
 * worker to check in. Which thread runs a task never changes its arithmetic. */
constexpr int GEN_SHIFT = 48, END_SHIFT = 24;
constexpr uint64_t FIELD = (1ull << 24) - 1;
inline uint64_t gen_of(uint64_t w) { return w >> GEN_SHIFT; }
inline int64_t end_of(uint64_t w) { return (int64_t)((w >> END_SHIFT) & FIELD); }
inline int64_t next_of(uint64_t w) { return (int64_t)(w & FIELD); }
constexpr int MAX_THREADS = 256;

struct alignas(64) Range {
  std::atomic<uint64_t> word{0};
};

struct Pool {
  std::mutex team_mu;  // held by the team that owns the workers
  std::vector<std::thread> workers;
  std::atomic<int> threads{1};

  Range ranges[MAX_THREADS];  // ranges[0] is the caller's
  uint64_t gen = 0;           // the current job's generation (written by the team's owner only)
  std::atomic<task_fn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  alignas(64) std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};

  std::mutex sleep_mu;
  std::condition_variable wake;
  std::atomic<int> sleepers{0};

  Pool() { resize(default_threads()); }

  void execute(int64_t task) {
    // The job cannot complete before this task does, so fn and ctx still belong to it.
    const int64_t t0 = tracing() ? trace_now() : 0;
    fn.load(std::memory_order_relaxed)(ctx.load(std::memory_order_relaxed), task);
    if (t0) trace_event(t0, TRACE_TASK, task);
    done.fetch_add(1, std::memory_order_release);
  }

  /* This thread's share of job `g` (claim_all), one trace event with its CPU time when tracing. */
  void drain(int self, int team, uint64_t g) {
    const int64_t t0 = tracing() ? trace_now() : 0, cpu0 = t0 ? trace_cpu() : -1;
    claim_all(self, team, g);
    if (t0) trace_event(t0, TRACE_DRAIN, (int64_t)g, cpu0);
  }

  /* Runs the tasks of job `g` left in thread `self`'s range (front first), then those left in the others' (from
   * the back, where their owners reach last). */
  void claim_all(int self, int team, uint64_t g) {
    for (int d = 0; d < team; d++) {
      std::atomic<uint64_t>& word = ranges[(self + d) % team].word;
      uint64_t w = word.load(std::memory_order_acquire);
      while (gen_of(w) == g && next_of(w) < end_of(w)) {
        const bool own = d == 0;
        const uint64_t claimed = own ? w + 1 : w - (1ull << END_SHIFT);
        if (word.compare_exchange_weak(w, claimed, std::memory_order_acq_rel, std::memory_order_acquire)) {
          execute(own ? next_of(w) : end_of(w) - 1);
          w = word.load(std::memory_order_acquire);
        }
      }
    }
  }

  void work(int self, int team, uint64_t seen) {
    std::atomic<uint64_t>& word = ranges[self].word;
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
      seen = gen_of(word.load(std::memory_order_acquire));
      drain(self, team, seen);
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
    for (int i = 1; i < n; i++) workers.emplace_back([this, i, n, g = gen] {
        trace_thread = i;
        work(i, n, g);
      });
    threads.store(n);
  }

  void run(int64_t n, task_fn f, void* c) {
    const int64_t t0 = tracing() ? trace_now() : 0;
    const int team = (int)workers.size() + 1;
    fn.store(f, std::memory_order_relaxed);
    ctx.store(c, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    gen = (gen + 1) & 0xFFFF;
    // Workers' ranges first (seq_cst: publishes fn/ctx, pairs with sleepers), the caller's last.
    for (int i = team - 1; i >= 0; i--) {
      const uint64_t lo = (uint64_t)(n * i / team), hi = (uint64_t)(n * (i + 1) / team);
      ranges[i].word.store(gen << GEN_SHIFT | hi << END_SHIFT | lo);
    }
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lock(sleep_mu);
      wake.notify_all();
    }
    drain(0, team, gen);
    // A task still running elsewhere: spin briefly, then yield, so a worker preempted by another process (more
    // runnable threads than cores) can get this core back sooner than the scheduler would give it otherwise.
    for (unsigned spins = 0; done.load(std::memory_order_acquire) < n; spins++) {
      if (spins < 4096) cpu_relax();
      else std::this_thread::yield();
    }
    if (t0) trace_event(t0, TRACE_JOB, n);
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

Team::Team(bool want_parallel) noexcept : owns_(false), size_(1), t0_(tracing() ? trace_now() : 0) {
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
  if (t0_) trace_event(t0_, TRACE_TEAM, size_);
  if (owns_) pool().team_mu.unlock();
}

void Team::run(int64_t ntasks, task_fn fn, void* ctx) noexcept {
  if (ntasks <= 0) return;
  if (!owns_ || ntasks == 1 || ntasks > (int64_t)FIELD) {
    const int64_t t0 = tracing() ? trace_now() : 0, cpu0 = t0 ? trace_cpu() : -1;
    for (int64_t t = 0; t < ntasks; t++) fn(ctx, t);
    if (t0) trace_event(t0, TRACE_JOB, ntasks, cpu0);
    return;
  }
  pool().run(ntasks, fn, ctx);
}

}  // namespace descent
