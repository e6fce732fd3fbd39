/**
 * The thread team of the threaded modules (descent-threads.wasm, descent-relaxed-threads.wasm): the owning thread
 * (the one that loaded the module; it alone runs the start function and the allocator) plus workers, each its own
 * instance over the one shared memory, parked in worker_main. As in native/pool.cc, thread i of a team of T has a
 * home range of each job's tasks, [i·n/T, (i+1)·n/T), announced in a 64-bit word of its own (generation 16 bits |
 * end 24 | next 24): it claims the front of its range with a compare-and-swap, then the back of the others', so a
 * claim is valid only for the job it names, a job that numbers its tasks alike on every call finds the same thread
 * on the same data (it stays in that core's caches), and the owner finishes a job alone when a worker is slow to
 * wake (another process on its core). Partitions depend only on the problem's sizes, or (GEMM
 * tiles) do not change any element's arithmetic, so results are bit-identical for every thread count and equal to
 * the single-threaded module's. Workers spin briefly after a job (back-to-back kernel calls find them awake), then
 * sleep in memory.atomic.wait64; the owner waits only while another thread finishes its last task. Only this
 * file uses atomics: the single-threaded modules never reach it (every call is behind ASC_FEATURE_THREADS).
 */
import { gemm_block, GEMM_KC, GEMM_MC, GEMM_MR, GEMM_NC, GEMM_NR, pack_a, pack_b, set_edge_tile } from './gemm';
import { elu_bwd, elu_fwd, gelu_bwd, gelu_fwd, gelu_tanh_bwd, gelu_tanh_fwd, leaky_relu_bwd, leaky_relu_fwd, relu_bwd, relu_fwd, sigmoid_bwd, sigmoid_fwd, silu_bwd, silu_fwd, softplus_bwd, softplus_fwd, tanh_bwd, tanh_fwd } from './act';
import { mul } from './norm';
import { conv_task, CONV_WORKSPACE_BYTES, set_conv_workspace } from './conv';
import { max_pool2d_bwd, max_pool2d_fwd } from './pool';
import { adagrad_step, adam_step, momentum_step, rmsprop_step, sgd_step } from './optim';

/** The most threads a team can have (the owner included). */
// @ts-ignore: decorator
@inline export const TEAM_MAX: i32 = 64;
/**
 * Elements per elementwise task: fixed (never derived from the thread count) and a multiple of 8, so every chunk
 * but the last runs only full vectors and each element gets the arithmetic it gets in one call over the array.
 */
// @ts-ignore: decorator
@inline export const TEAM_GRAIN: i32 = 1 << 15;
/**
 * Elements per optimizer-step task: an MLP's parameters (235k for 784-256-128-10) in TEAM_GRAIN chunks split 4 : 3.2
 * over 2 threads, in these 14 : 14.7; each thread updates the same parameters on every step (home ranges).
 */
// @ts-ignore: decorator
@inline const STEP_GRAIN: i32 = 1 << 13;
/** GEMMs with m·n·k below this run on the caller: waking workers costs more than it saves (bench/shapes.ts). */
// @ts-ignore: decorator
@inline export const TEAM_MIN_MNK: i64 = 1 << 19;
/**
 * The team's packing buffers, in floats: op(A) pre-broadcast (16 bytes a value: 4 MiB) and op(B) (2 MiB). One
 * pack job fills them with as many KC blocks as fit (all of k for the MLP's and 512³ GEMMs), so a GEMM takes two
 * jobs per span instead of two per KC block: fewer points where every thread waits for the slowest.
 */
// @ts-ignore: decorator
@inline const TEAM_PACK_A: i32 = 1 << 18;
// @ts-ignore: decorator
@inline const TEAM_PACK_B: i32 = 1 << 19;
/** Rows of op(A) per row chunk: one KC block of them fills the A buffer (1024 = TEAM_PACK_A / GEMM_KC). */
// @ts-ignore: decorator
@inline const TEAM_MA: i32 = 1024;
/** Micro-panels of B (NR columns each) and of A (MR rows each) one packing task writes. */
// @ts-ignore: decorator
@inline const PACK_B_PANELS: i32 = 8;
// @ts-ignore: decorator
@inline const PACK_A_PANELS: i32 = 8;
/** 50 µs waits without a finished task after which the owner gives a job up (10 s: a worker preempted for that long is gone). */
// @ts-ignore: decorator
@inline const TEAM_STALL_WAITS: i32 = 200_000;
// Worker spin before sleeping: about 0.1–0.3 ms of atomic loads.
// @ts-ignore: decorator
@inline const SPIN: i32 = 1 << 16;

// The control block (team_init allocates it on the owner's heap; workers get its address in worker_main).
// Fields sit on separate 64-byte lines: the job word and the done count are written by every thread.
// @ts-ignore: decorator
@inline const CTL_COUNT: usize = 0; // i32 tasks in the current job
// @ts-ignore: decorator
@inline const CTL_DONE: usize = 64; // i32 tasks finished in the current job
// @ts-ignore: decorator
@inline const CTL_SLEEPERS: usize = 128; // i32 workers in wait64
// @ts-ignore: decorator
@inline const CTL_LIMIT: usize = 192; // i32 team size: workers with an index ≥ it park (0: they return)
// @ts-ignore: decorator
@inline const CTL_STARTED: usize = 224; // i32 workers that have entered worker_main
// @ts-ignore: decorator
@inline const CTL_FAILED: usize = 228; // i32 t + 1 of a worker whose instance trapped (0: none)
// @ts-ignore: decorator
@inline const CTL_KIND: usize = 256; // i32 job kind
// @ts-ignore: decorator
@inline const CTL_GEN: usize = 260; // i32 the current job's generation (owner only)
// @ts-ignore: decorator
@inline const CTL_ARGS: usize = 320; // f64 × 32 job arguments (sizes, scalars and byte pointers are exact in f64)
// @ts-ignore: decorator
@inline const CTL_PACK_A: usize = 576; // usize: the team's packed-A buffer
// @ts-ignore: decorator
@inline const CTL_PACK_B: usize = 580; // usize: the team's packed-B buffer
// @ts-ignore: decorator
@inline const CTL_EDGE: usize = 640; // usize × TEAM_MAX: each thread's edge tile
// @ts-ignore: decorator
@inline const CTL_CONV: usize = CTL_EDGE + (<usize>TEAM_MAX << 2); // usize × TEAM_MAX: each thread's conv workspace
// @ts-ignore: decorator
@inline const CTL_RANGES: usize = CTL_CONV + (<usize>TEAM_MAX << 2); // i64 × TEAM_MAX, 64 bytes apart (1152: on a line of its own): each thread's range of the current job
// @ts-ignore: decorator
@inline const CTL_BYTES: usize = CTL_RANGES + (<usize>TEAM_MAX << 6);

// @ts-ignore: decorator
@inline const END_SHIFT: i64 = 24;
// @ts-ignore: decorator
@inline const GEN_SHIFT: i64 = 48;
// @ts-ignore: decorator
@inline const FIELD: i64 = (1 << 24) - 1;

/** Job kinds: GEMM packing and tiles, then one per elementwise kernel. */
// @ts-ignore: decorator
@inline const K_GEMM_PACK = 1;
// @ts-ignore: decorator
@inline const K_GEMM_TILES = 2;
// @ts-ignore: decorator
@inline const K_CONV = 3;
// @ts-ignore: decorator
@inline const K_MAX_POOL_FWD = 4;
// @ts-ignore: decorator
@inline const K_MAX_POOL_BWD = 5;
export const enum Unary { SIGMOID_FWD = 10, TANH_FWD, RELU_FWD, GELU_FWD, GELU_TANH_FWD, SILU_FWD, SIGMOID_BWD, TANH_BWD, RELU_BWD, GELU_BWD, GELU_TANH_BWD, SILU_BWD, MUL }
export const enum Scaled { LEAKY_RELU_FWD = 30, ELU_FWD, LEAKY_RELU_BWD, ELU_BWD, SOFTPLUS_FWD, SOFTPLUS_BWD }
export const enum Step { SGD = 40, MOMENTUM, ADAGRAD, RMSPROP, ADAM }

/** This instance's control block (0 until team_init or worker_main). */
let ctl: usize = 0;
/** Threads the owner splits work over (1: every kernel runs on the caller, as in the single-threaded module). */
let teamSize: i32 = 1;

// @ts-ignore: decorator
@inline function arg(i: i32): f64 {
  return load<f64>(ctl + CTL_ARGS + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function argPtr(i: i32): usize {
  return <usize>load<f64>(ctl + CTL_ARGS + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function argInt(i: i32): i32 {
  return <i32>load<f64>(ctl + CTL_ARGS + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function setArg(i: i32, v: f64): void {
  store<f64>(ctl + CTL_ARGS + (<usize>i << 3), v);
}

/**
 * Owner only (it allocates): sizes the team to `threads` (1..TEAM_MAX), allocating the control block, the shared
 * packed-A buffer and an edge tile per thread on first need; workers with an index ≥ threads park until the team
 * grows again. `threads` = 0 lets every worker return (the owner then runs alone).
 * Returns the control block's address, which each worker passes to worker_main.
 */
export function team_init(threads: i32): usize {
  if (ctl == 0) {
    ctl = heap.alloc(CTL_BYTES + 64);
    ctl = (ctl + 63) & ~(<usize>63);
    memory.fill(ctl, 0, CTL_BYTES);
  }
  const n = min(max(threads, 1), TEAM_MAX);
  // The packing buffers only once a GEMM can be split (a single-threaded team never packs for the team).
  if (n > 1 && load<usize>(ctl + CTL_PACK_A) == 0) {
    store<usize>(ctl + CTL_PACK_A, heap.alloc(<usize>TEAM_PACK_A << 4));
    store<usize>(ctl + CTL_PACK_B, heap.alloc(<usize>TEAM_PACK_B << 2));
  }
  for (let t = 1; t < n; t++) {
    const slot = ctl + CTL_EDGE + (<usize>t << 2);
    if (load<usize>(slot) == 0) store<usize>(slot, heap.alloc(<usize>(GEMM_MR * GEMM_NR) << 2));
    // A worker's convolution workspace: threads 1 and 2 take slices of the team's packed-A buffer and thread 3 the
    // packed-B one (idle while a conv job runs: conv tasks never call gemm), larger teams allocate the rest.
    const conv = ctl + CTL_CONV + (<usize>t << 2);
    if (load<usize>(conv) == 0) {
      let at: usize = 0;
      if (<usize>t * CONV_WORKSPACE_BYTES <= (<usize>TEAM_PACK_A << 4)) at = load<usize>(ctl + CTL_PACK_A) + <usize>(t - 1) * CONV_WORKSPACE_BYTES;
      else if (t == 3 && CONV_WORKSPACE_BYTES <= (<usize>TEAM_PACK_B << 2)) at = load<usize>(ctl + CTL_PACK_B);
      else at = heap.alloc(CONV_WORKSPACE_BYTES);
      store<usize>(conv, at);
    }
  }
  teamSize = threads <= 0 ? 1 : n;
  // A resize starts over after a failed worker (its index is then a range the others finish).
  atomic.store<i32>(ctl + CTL_FAILED, 0);
  // Parked workers sleep on the size word, working ones on their range word: wake both kinds.
  atomic.store<i32>(ctl + CTL_LIMIT, threads <= 0 ? 0 : n);
  atomic.notify(ctl + CTL_LIMIT, TEAM_MAX);
  for (let t = 1; t < TEAM_MAX; t++) atomic.notify(range(t), 1);
  return ctl;
}

/**
 * A worker's whole life: attach to the team as thread `t` (1..), then run tasks of each job announced. While the
 * team is smaller than t + 1 the worker sleeps on the size word; a size of 0 lets it return. Never allocates and
 * never runs the start function (the owner did both).
 */
export function worker_main(t: i32, control: usize): void {
  ctl = control;
  set_edge_tile(load<usize>(ctl + CTL_EDGE + (<usize>t << 2)));
  set_conv_workspace(load<usize>(ctl + CTL_CONV + (<usize>t << 2)));
  atomic.add<i32>(ctl + CTL_STARTED, 1);
  // A worker that starts while a job runs joins it: the first word it sees counts as new.
  let seen: i64 = -1;
  let spins = 0;
  for (;;) {
    const limit = atomic.load<i32>(ctl + CTL_LIMIT);
    if (limit == 0) return;
    if (t >= limit) {
      memory.atomic.wait32(ctl + CTL_LIMIT, limit, -1);
      continue;
    }
    const w = atomic.load<i64>(range(t));
    const gen = w >>> GEN_SHIFT;
    if (gen != seen) {
      seen = gen;
      drain(t, limit, gen);
      spins = 0;
    } else if (++spins > SPIN) {
      atomic.add<i32>(ctl + CTL_SLEEPERS, 1);
      memory.atomic.wait64(range(t), w, -1);
      atomic.sub<i32>(ctl + CTL_SLEEPERS, 1);
      spins = 0;
    }
  }
}

/** Thread t's range word. */
// @ts-ignore: decorator
@inline function range(t: i32): usize {
  return ctl + CTL_RANGES + (<usize>t << 6);
}

/**
 * Runs the tasks of job `gen` left in thread `self`'s range (front first), then those left in the other ranges
 * of the team of `team` threads (from the back, where their owners reach last).
 */
function drain(self: i32, team: i32, gen: i64): void {
  for (let d = 0; d < team; d++) {
    const word = range((self + d) % team);
    let w = atomic.load<i64>(word);
    while ((w >>> GEN_SHIFT) == gen && (w & FIELD) < ((w >>> END_SHIFT) & FIELD)) {
      const claimed = d == 0 ? w + 1 : w - (<i64>1 << END_SHIFT);
      const old = atomic.cmpxchg<i64>(word, w, claimed);
      if (old == w) {
        // The job cannot complete before this task does, so its kind and arguments are still in place.
        run_task(atomic.load<i32>(ctl + CTL_KIND), <i32>(d == 0 ? w & FIELD : ((w >>> END_SHIFT) & FIELD) - 1));
        if (atomic.add<i32>(ctl + CTL_DONE, 1) + 1 == atomic.load<i32>(ctl + CTL_COUNT)) atomic.notify(ctl + CTL_DONE, 1);
        w = atomic.load<i64>(word);
      } else w = old;
    }
  }
}

/** Owner: runs tasks 0..ntasks−1 of job `kind` (arguments already stored) over the team; returns when all are done. */
function run_job(kind: i32, ntasks: i32): void {
  if (ntasks <= 0) return;
  if (ntasks == 1) {
    run_task(kind, 0);
    return;
  }
  atomic.store<i32>(ctl + CTL_KIND, kind);
  atomic.store<i32>(ctl + CTL_COUNT, ntasks);
  atomic.store<i32>(ctl + CTL_DONE, 0);
  const gen: i64 = (<i64>load<i32>(ctl + CTL_GEN) + 1) & 0xffff;
  store<i32>(ctl + CTL_GEN, <i32>gen);
  const team = teamSize;
  // Workers' ranges first, the owner's last (the owner starts on its own range right after).
  for (let t = team - 1; t >= 0; t--) {
    const lo = <i64>ntasks * t / team, hi = <i64>ntasks * (t + 1) / team;
    atomic.store<i64>(range(t), (gen << GEN_SHIFT) | (hi << END_SHIFT) | lo);
  }
  if (atomic.load<i32>(ctl + CTL_SLEEPERS) > 0) for (let t = 1; t < team; t++) atomic.notify(range(t), 1);
  drain(0, team, gen);
  // Another thread still runs a task: spin briefly, then sleep until the last one notifies (or 50 µs pass). A
  // task a worker claimed and never finished (its instance trapped, or its thread was terminated) would make this
  // wait forever: the call fails instead, and the team shrinks to the owner alone.
  let spins = 0, stalled = 0, last = -1;
  for (let d = atomic.load<i32>(ctl + CTL_DONE); d < ntasks; d = atomic.load<i32>(ctl + CTL_DONE)) {
    if (atomic.load<i32>(ctl + CTL_FAILED) != 0) {
      team_shrink();
      abort('a worker of the wasm team trapped during this kernel call; the team now runs on the calling thread alone (setThreads() resizes it)');
    }
    if (d != last) (last = d), (stalled = 0);
    if (++spins > 4096 && memory.atomic.wait32(ctl + CTL_DONE, d, 50_000) == 2 && ++stalled >= TEAM_STALL_WAITS) {
      team_shrink();
      abort('a worker of the wasm team stopped for 10 s without finishing its task; the team now runs on the calling thread alone (setThreads() resizes it)');
    }
  }
}

/** A job that cannot complete: later calls run on the owner alone (the other workers park). */
function team_shrink(): void {
  teamSize = 1;
  atomic.store<i32>(ctl + CTL_LIMIT, 1);
}

/** Worker side, after its instance trapped in thread_main: marks the team failed and wakes the owner. */
export function worker_failed(t: i32): void {
  if (ctl == 0) return;
  atomic.store<i32>(ctl + CTL_FAILED, t + 1);
  atomic.notify(ctl + CTL_DONE, 1);
}

/** Workers that have started (diagnostics: workers start asynchronously, and a job never waits for them). */
export function team_started(): i32 {
  return ctl == 0 ? 0 : atomic.load<i32>(ctl + CTL_STARTED);
}

/** Whether an elementwise call over n elements is split (fixed threshold: never depends on the thread count). */
export function team_splits(n: i32): bool {
  return teamSize > 1 && n >= 2 * TEAM_GRAIN;
}

/** Whether a GEMM is split. */
export function team_splits_gemm(m: i32, n: i32, k: i32): bool {
  return teamSize > 1 && <i64>m * <i64>n * <i64>k >= TEAM_MIN_MNK;
}

/**
 * Whether a convolution call of `tasks` tasks and `macs` multiply-adds is split (fixed thresholds: never depend on
 * the thread count; a split changes no result anyway, conv.ts).
 */
export function team_splits_conv(tasks: i32, macs: i64): bool {
  return teamSize > 1 && tasks > 1 && macs >= TEAM_MIN_MNK;
}

/** Runs the convolution call stored by conv.ts (its `tasks` tasks) over the team. */
export function team_conv(tasks: i32): void {
  run_job(K_CONV, tasks);
}

/**
 * Splits max_pool2d_fwd (x → y, idx) or max_pool2d_bwd (dy, idx → dx) over the team in tasks of whole planes,
 * about TEAM_GRAIN input elements each: planes are independent, so a task's results are those of one call.
 * Slots: 0 nc, 1 h, 2 w, 3–8 kh kw sh sw ph pw, 9 oh, 10 ow, 11–13 arrays, 14 planes per task.
 */
export function team_max_pool(kind: i32, nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, p0: usize, p1: usize, p2: usize): void {
  const planes = max(1, TEAM_GRAIN / max(1, h * w));
  setArg(0, nc);
  setArg(1, h);
  setArg(2, w);
  setArg(3, kh);
  setArg(4, kw);
  setArg(5, sh);
  setArg(6, sw);
  setArg(7, ph);
  setArg(8, pw);
  setArg(9, oh);
  setArg(10, ow);
  setArg(11, <f64>p0);
  setArg(12, <f64>p1);
  setArg(13, <f64>p2);
  setArg(14, planes);
  run_job(kind == 0 ? K_MAX_POOL_FWD : K_MAX_POOL_BWD, (nc + planes - 1) / planes);
}

function pool_task(kind: i32, task: i32): void {
  const planes = argInt(14), nc = argInt(0), h = argInt(1), w = argInt(2), oh = argInt(9), ow = argInt(10);
  const p0 = task * planes, count = min(planes, nc - p0);
  const inAt = (<usize>p0 * <usize>h * <usize>w) << 2, outAt = (<usize>p0 * <usize>oh * <usize>ow) << 2;
  if (kind == K_MAX_POOL_FWD)
    max_pool2d_fwd(count, h, w, argInt(3), argInt(4), argInt(5), argInt(6), argInt(7), argInt(8), oh, ow, argPtr(11) + inAt, argPtr(12) + outAt, argPtr(13) + outAt);
  else max_pool2d_bwd(count, h, w, oh, ow, argPtr(11) + outAt, argPtr(12) + outAt, argPtr(13) + inAt);
}

/** Splits a two-array elementwise kernel (x → y, or a·b → out with a third pointer) over the team, `grain` elements a task. */
export function team_unary(kind: Unary, n: i32, p0: usize, p1: usize, p2: usize, grain: i32 = TEAM_GRAIN): void {
  setArg(0, n);
  setArg(1, <f64>p0);
  setArg(2, <f64>p1);
  setArg(3, <f64>p2);
  setArg(16, grain);
  run_job(kind, (n + grain - 1) / grain);
}

/** Splits an elementwise kernel with float32 scalars s0, s1 over the team. */
export function team_scaled(kind: Scaled, n: i32, s0: f32, s1: f32, p0: usize, p1: usize, p2: usize): void {
  setArg(4, s0);
  setArg(5, s1);
  team_unary(<Unary>kind, n, p0, p1, p2);
}

/** Splits an optimizer step over the team: scalars s[0..7] (float32 values), flag, and up to five arrays (0 = absent). */
export function team_step(kind: Step, n: i32, s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, flag: i32, w: usize, g: usize, b0: usize, b1: usize, b2: usize): void {
  setArg(4, s0);
  setArg(5, s1);
  setArg(6, s2);
  setArg(7, s3);
  setArg(8, s4);
  setArg(9, s5);
  setArg(10, s6);
  setArg(11, s7);
  setArg(12, flag);
  setArg(13, <f64>b0);
  setArg(14, <f64>b1);
  setArg(15, <f64>b2);
  team_unary(<Unary>kind, n, w, g, 0, STEP_GRAIN);
}

/** A pointer argument advanced to element `lo`; 0 (an absent optional array) stays 0. */
// @ts-ignore: decorator
@inline function at(i: i32, lo: usize): usize {
  const p = argPtr(i);
  return p == 0 ? 0 : p + (lo << 2);
}

function run_task(kind: i32, task: i32): void {
  if (kind == K_GEMM_PACK) return gemm_pack_task(task);
  if (kind == K_GEMM_TILES) return gemm_tiles_task(task);
  if (kind == K_CONV) return conv_task(task);
  if (kind == K_MAX_POOL_FWD || kind == K_MAX_POOL_BWD) return pool_task(kind, task);
  const grain = argInt(16);
  const lo = task * grain;
  const len = min(grain, argInt(0) - lo);
  const o = <usize>lo;
  const s0 = <f32>arg(4), s1 = <f32>arg(5);
  switch (kind) {
    case Unary.SIGMOID_FWD: sigmoid_fwd(len, at(1, o), at(2, o)); break;
    case Unary.TANH_FWD: tanh_fwd(len, at(1, o), at(2, o)); break;
    case Unary.RELU_FWD: relu_fwd(len, at(1, o), at(2, o)); break;
    case Unary.GELU_FWD: gelu_fwd(len, at(1, o), at(2, o)); break;
    case Unary.GELU_TANH_FWD: gelu_tanh_fwd(len, at(1, o), at(2, o)); break;
    case Unary.SILU_FWD: silu_fwd(len, at(1, o), at(2, o)); break;
    case Unary.SIGMOID_BWD: sigmoid_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.TANH_BWD: tanh_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.RELU_BWD: relu_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.GELU_BWD: gelu_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.GELU_TANH_BWD: gelu_tanh_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.SILU_BWD: silu_bwd(len, at(1, o), at(2, o), at(3, o)); break;
    case Unary.MUL: mul(len, at(1, o), at(2, o), at(3, o)); break;
    case Scaled.LEAKY_RELU_FWD: leaky_relu_fwd(len, s0, at(1, o), at(2, o)); break;
    case Scaled.ELU_FWD: elu_fwd(len, s0, at(1, o), at(2, o)); break;
    case Scaled.LEAKY_RELU_BWD: leaky_relu_bwd(len, s0, at(1, o), at(2, o), at(3, o)); break;
    case Scaled.ELU_BWD: elu_bwd(len, s0, at(1, o), at(2, o), at(3, o)); break;
    case Scaled.SOFTPLUS_FWD: softplus_fwd(len, s0, s1, at(1, o), at(2, o)); break;
    case Scaled.SOFTPLUS_BWD: softplus_bwd(len, s0, s1, at(1, o), at(2, o), at(3, o)); break;
    case Step.SGD: sgd_step(len, s0, s1, at(1, o), at(2, o)); break;
    case Step.MOMENTUM: momentum_step(len, s0, s1, <f32>arg(6), <f32>arg(7), argInt(12), at(1, o), at(2, o), at(13, o)); break;
    case Step.ADAGRAD: adagrad_step(len, s0, s1, <f32>arg(6), at(1, o), at(2, o), at(13, o)); break;
    case Step.RMSPROP: rmsprop_step(len, s0, s1, <f32>arg(6), <f32>arg(7), <f32>arg(8), <f32>arg(9), argInt(12), at(1, o), at(2, o), at(13, o), at(14, o), at(15, o)); break;
    case Step.ADAM: adam_step(len, s0, s1, <f32>arg(6), <f32>arg(7), <f32>arg(8), <f32>arg(9), <f32>arg(10), <f32>arg(11), at(1, o), at(2, o), at(13, o), at(14, o), at(15, o)); break;
    default: unreachable();
  }
}

// GEMM over the team. Argument slots: 0 ta, 1 tb, 2 m, 3 n, 4 k, 5 alpha, 6 a, 7 b, 8 c, 15 beta, 19 act,
// 20 slope, 21 bias, 22 mask, 23 whether there is an epilogue; per job 9 jc, 10 nc, 11 first and 12 end of the span
// of KC blocks (k offsets), 13 ia, 14 ma (the row chunk), 16 B packing tasks per KC block (0 after the first row
// chunk), 24 A packing tasks per KC block, 17 panel groups, 18 group size, 25 rows per row block, 26 and 27 whether
// tile tasks pack their own rows of A / columns of B.

/**
 * gemm() split over the team with gemm()'s blocking (the same NC and KC blocks, beta on the first KC block, the
 * epilogue after the last), so every C tile gets the same arithmetic, in the same order, as in one thread. Per NC
 * block, span of KC blocks and TEAM_MA rows of op(A): one job packs B (first row chunk only) and A for the whole
 * span into the team's buffers, a second runs (row block × group of B micro-panels) tile tasks, each through every
 * KC block of the span in order. Caller: m, n, k > 0.
 */
export function gemm_team(ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, act: i32, slope: f32, bias: usize, mask: usize): void {
  setArg(0, ta);
  setArg(1, tb);
  setArg(2, m);
  setArg(3, n);
  setArg(4, k);
  setArg(5, alpha);
  setArg(6, <f64>a);
  setArg(7, <f64>b);
  setArg(8, <f64>c);
  setArg(15, beta);
  setArg(19, act);
  setArg(20, slope);
  setArg(21, <f64>bias);
  setArg(22, <f64>mask);
  setArg(23, act != 0 || bias != 0 || mask != 0 ? 1 : 0);
  const chunkRows = min(m, TEAM_MA), chunkPad = (chunkRows + GEMM_MR - 1) / GEMM_MR * GEMM_MR;
  for (let jc = 0; jc < n; jc += GEMM_NC) {
    const nc = min(GEMM_NC, n - jc);
    const panels = (nc + GEMM_NR - 1) / GEMM_NR;
    // KC blocks per span: as many as both buffers hold (at least one: TEAM_MA and GEMM_NC are sized for it).
    const span = max(1, min(TEAM_PACK_A / (chunkPad * GEMM_KC), TEAM_PACK_B / (panels * GEMM_NR * GEMM_KC))) * GEMM_KC;
    for (let p0 = 0; p0 < k; p0 += span) {
      const p1 = min(k, p0 + span);
      for (let ia = 0; ia < m; ia += TEAM_MA) {
        const ma = min(TEAM_MA, m - ia);
        const rowPanels = (ma + GEMM_MR - 1) / GEMM_MR;
        // Tile tasks: a grid of row blocks × column groups, about 2 per thread (home ranges; a thread that finishes early takes what is left). A
        // task reads its rows of packed A (16 bytes a value) and its columns of packed B (4 bytes) from a shared
        // cache, so over the grid A is read once per column group and B once per row block: pick the grid with the
        // least of that traffic (row blocks at most MC rows, so a task's A block stays in L2).
        const tasks = 2 * teamSize;
        let blocks = (ma + GEMM_MC - 1) / GEMM_MC, groups = min(panels, (tasks + blocks - 1) / blocks);
        let best = <i64>groups * 4 * ma + <i64>blocks * nc;
        for (let r = blocks + 1; r <= min(tasks, rowPanels); r++) {
          const g = min(panels, (tasks + r - 1) / r);
          const cost = <i64>g * 4 * ma + <i64>r * nc;
          if (cost <= best) {
            best = cost;
            blocks = r;
            groups = g;
          }
        }
        const blockRows = (rowPanels + blocks - 1) / blocks * GEMM_MR;
        blocks = (ma + blockRows - 1) / blockRows;
        const group = (panels + groups - 1) / groups;
        groups = (panels + group - 1) / group;
        // A tile task that alone reads its rows of A (one column group) packs them itself, and one that alone
        // reads its columns of B (one row block, one row chunk) packs those: packed data then stays in the cache
        // of the core that reads it, the same core on every call (home ranges), instead of crossing to the
        // other cores as when any thread packed any block.
        const selfA = groups == 1, selfB = !selfA && blocks == 1 && ma == m;
        const packTasksB = ia == 0 && !selfB ? (panels + PACK_B_PANELS - 1) / PACK_B_PANELS : 0;
        const packTasksA = selfA ? 0 : (ma + PACK_A_PANELS * GEMM_MR - 1) / (PACK_A_PANELS * GEMM_MR);
        const kBlocks = (p1 - p0 + GEMM_KC - 1) / GEMM_KC;
        setArg(9, jc);
        setArg(10, nc);
        setArg(11, p0);
        setArg(12, p1);
        setArg(13, ia);
        setArg(14, ma);
        setArg(16, packTasksB);
        setArg(24, packTasksA);
        setArg(17, groups);
        setArg(18, group);
        setArg(25, blockRows);
        setArg(26, selfA ? 1 : 0);
        setArg(27, selfB ? 1 : 0);
        run_job(K_GEMM_PACK, kBlocks * (packTasksB + packTasksA));
        run_job(K_GEMM_TILES, blocks * groups);
      }
    }
  }
}

/** Where KC block `pc` of the span starting at p0 sits in the team's buffers (A rows padded to MR, B to NR). */
// @ts-ignore: decorator
@inline function spanA(pc: i32, p0: i32, ma: i32): usize {
  return load<usize>(ctl + CTL_PACK_A) + (<usize>(pc - p0) * <usize>((ma + GEMM_MR - 1) / GEMM_MR * GEMM_MR) << 4);
}
// @ts-ignore: decorator
@inline function spanB(pc: i32, p0: i32, nc: i32): usize {
  return load<usize>(ctl + CTL_PACK_B) + (<usize>(pc - p0) * <usize>((nc + GEMM_NR - 1) / GEMM_NR * GEMM_NR) << 2);
}

function gemm_pack_task(task: i32): void {
  const m = argInt(2), n = argInt(3), k = argInt(4);
  const jc = argInt(9), nc = argInt(10), p0 = argInt(11), ia = argInt(13), ma = argInt(14);
  const tasksB = argInt(16), perBlock = tasksB + argInt(24);
  const pc = p0 + (task / perBlock) * GEMM_KC, kc = min(GEMM_KC, k - pc);
  const t = task % perBlock;
  if (t < tasksB) {
    const j0 = t * PACK_B_PANELS * GEMM_NR;
    pack_b(argInt(1), n, k, argPtr(7), pc, kc, jc + j0, min(PACK_B_PANELS * GEMM_NR, nc - j0), spanB(pc, p0, nc) + (<usize>(j0 * kc) << 2));
  } else {
    const r0 = (t - tasksB) * PACK_A_PANELS * GEMM_MR;
    pack_a(argInt(0), m, k, argPtr(6), ia + r0, min(PACK_A_PANELS * GEMM_MR, ma - r0), pc, kc, spanA(pc, p0, ma) + (<usize>(r0 * kc) << 4));
  }
}

function gemm_tiles_task(task: i32): void {
  const n = argInt(3), k = argInt(4);
  const jc = argInt(9), nc = argInt(10), p0 = argInt(11), p1 = argInt(12), ia = argInt(13), ma = argInt(14);
  const groups = argInt(17), group = argInt(18);
  const blockRows = argInt(25);
  const r0 = (task / groups) * blockRows, mc = min(blockRows, ma - r0);
  const jr0 = (task % groups) * group * GEMM_NR, jr1 = min(nc, jr0 + group * GEMM_NR);
  const c = argPtr(8) + ((<usize>(ia + r0) * <usize>n + <usize>jc) << 2);
  const epilogue = argInt(23) != 0;
  const selfA = argInt(26) != 0, selfB = argInt(27) != 0;
  for (let pc = p0; pc < p1; pc += GEMM_KC) {
    const kc = min(GEMM_KC, k - pc);
    if (selfA) pack_a(argInt(0), argInt(2), k, argPtr(6), ia + r0, mc, pc, kc, spanA(pc, p0, ma) + (<usize>(r0 * kc) << 4));
    if (selfB) pack_b(argInt(1), n, k, argPtr(7), pc, kc, jc + jr0, jr1 - jr0, spanB(pc, p0, nc) + (<usize>(jr0 * kc) << 2));
    // Later KC blocks add onto what the first one stored.
    const betaBlock: f32 = pc == 0 ? <f32>arg(15) : 1;
    gemm_block(
      mc, nc, jr0, jr1, kc, spanA(pc, p0, ma) + (<usize>(r0 * kc) << 4), spanB(pc, p0, nc), c, <usize>n << 2, <f32>arg(5), betaBlock,
      epilogue && pc + kc == k, ia + r0, jc, n, argInt(19), <f32>arg(20), argPtr(21), argPtr(22),
    );
  }
}
