/**
 * The thread team of the threaded modules (descent-threads.wasm, descent-relaxed-threads.wasm): the owning thread
 * (the one that loaded the module; it alone runs the start function and the allocator) plus workers, each its own
 * instance over the one shared memory, parked in worker_main. As in native/pool.cc, thread i of a team of T has a
 * home range of each job's tasks, [i·n/T, (i+1)·n/T), announced in a 64-bit word of its own (generation 16 bits |
 * end 24 | next 24): it claims the front of its range with a compare-and-swap, then the back of the others', so a
 * claim is valid only for the job it names, a job that numbers its tasks alike on every call finds the same thread
 * on the same data (it stays in that core's caches), and the owner finishes a job alone when a worker is slow to
 * wake (another process on its core). Partitions depend only on the problem's sizes, or (GEMM
 * rectangles) do not change any element's arithmetic, so results are bit-identical for every thread count and equal to
 * the single-threaded module's. Workers spin briefly after a job (back-to-back kernel calls find them awake), then
 * sleep in memory.atomic.wait64; the owner waits only while another thread finishes its last task. Only this
 * file uses atomics: the single-threaded modules never reach it (every call is behind ASC_FEATURE_THREADS).
 */
import { alloc_page_aligned, gemm_rect, GEMM_KC, GEMM_MC, GEMM_MR, GEMM_NR, GEMM_TEAM_NC, NT_ROWS_GRAIN, set_edge_tile, set_packing_buffers } from './gemm';
import { gemm_nt_rows } from './dot';
import { elu_bwd, elu_fwd, gelu_bwd, gelu_fwd, gelu_tanh_bwd, gelu_tanh_fwd, leaky_relu_bwd, leaky_relu_fwd, relu_bwd, relu_fwd, sigmoid_bwd, sigmoid_fwd, silu_bwd, silu_fwd, softplus_bwd, softplus_fwd, tanh_bwd, tanh_fwd } from './act';
import { mul } from './norm';
import { col_sum, gemm_epilogue } from './bias';
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
/**
 * GEMMs with m·n·k below this run on the caller: posting a job to the (spinning) workers costs more than it saves.
 * The MLP's 128×10×128 products (164 Ki multiply-adds, about 19 µs) split since each thread computes its own
 * rectangle: 19 → 12 µs on 2 threads (bench/shapes.ts).
 */
// @ts-ignore: decorator
@inline export const TEAM_MIN_MNK: i64 = 1 << 17;
/**
 * A dense layer's backward on a team of two runs its two products (equal in multiply-adds) side by side from this
 * many multiply-adds each, one thread each, instead of splitting each over both threads (linear_bwd_f32). Lower than
 * native's 2¹⁸: these kernels are slower, so even the MLP's last layer (128×10×128, 164 Ki) gains, 26–29 → 20 µs in
 * Chromium on 2 threads.
 */
// @ts-ignore: decorator
@inline const LINEAR_PAIR_MIN_MNK: i64 = 1 << 16;
/** Convolutions with fewer multiply-adds than this run on the caller. */
// @ts-ignore: decorator
@inline const TEAM_MIN_CONV_MACS: i64 = 1 << 19;
/** 50 µs waits without a finished task after which the owner gives a job up (10 s: a worker preempted for that long is gone). */
// @ts-ignore: decorator
@inline const TEAM_STALL_WAITS: i32 = 200_000;
// Worker spin before sleeping: about 0.1–0.3 ms of atomic loads.
// @ts-ignore: decorator
@inline const SPIN: i32 = 1 << 16;
/**
 * Owner spin, waiting for the other threads' last tasks, before it sleeps in 50 µs waits: as long as a worker's
 * (4096 before: a rectangle finishing 10–20 µs after the owner's then paid the sleep's wake-up, tens of µs).
 */
// @ts-ignore: decorator
@inline const OWNER_SPIN: i32 = 1 << 16;

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
@inline const CTL_EDGE: usize = 640; // usize × TEAM_MAX: each thread's edge tile
// @ts-ignore: decorator
@inline const CTL_CONV: usize = CTL_EDGE + (<usize>TEAM_MAX << 2); // usize × TEAM_MAX: each thread's workspace (conv.ts; GEMM rectangles pack into it too)
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

/** Job kinds: GEMM rectangles, convolutions, pooling, then one per elementwise kernel. */
// @ts-ignore: decorator
@inline const K_GEMM_RECT = 1;
// @ts-ignore: decorator
@inline const K_LINEAR_BWD = 2;
// @ts-ignore: decorator
@inline const K_CONV = 3;
// @ts-ignore: decorator
@inline const K_MAX_POOL_FWD = 4;
// @ts-ignore: decorator
@inline const K_MAX_POOL_BWD = 5;
// @ts-ignore: decorator
@inline const K_NT_ROWS = 6;
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
 * Owner only (it allocates): sizes the team to `threads` (1..TEAM_MAX), allocating the control block, and an edge
 * tile and a workspace per worker on first need; workers with an index ≥ threads park until the team
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
  for (let t = 1; t < n; t++) {
    const slot = ctl + CTL_EDGE + (<usize>t << 2);
    if (load<usize>(slot) == 0) store<usize>(slot, heap.alloc(<usize>(GEMM_MR * GEMM_NR) << 2));
    // A worker's workspace: its convolution scratch, and its packed A and B in a GEMM (the owner's are gemm.ts's
    // packing buffers).
    const workspace = ctl + CTL_CONV + (<usize>t << 2);
    if (load<usize>(workspace) == 0) store<usize>(workspace, alloc_page_aligned(CONV_WORKSPACE_BYTES));
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
  const workspace = load<usize>(ctl + CTL_CONV + (<usize>t << 2));
  set_conv_workspace(workspace);
  // A GEMM rectangle packs into the same workspace (a conv job and a GEMM job never run at once): conv.ts's
  // workspace starts with packed A of GEMM_MC·GEMM_KC values (WS_A_VALUES) and then packed B of
  // GEMM_KC·GEMM_TEAM_NC floats (WS_B_BYTES).
  set_packing_buffers(workspace, workspace + (<usize>(GEMM_MC * GEMM_KC) << 4));
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
    if (++spins > OWNER_SPIN && memory.atomic.wait32(ctl + CTL_DONE, d, 50_000) == 2 && ++stalled >= TEAM_STALL_WAITS) {
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

/** Threads in the team (the owner included); 1 when it is not started. */
export function team_size(): i32 {
  return teamSize;
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
  return teamSize > 1 && tasks > 1 && macs >= TEAM_MIN_CONV_MACS;
}

/** Runs the convolution call stored by conv.ts (its `tasks` tasks) over the team. */
export function team_conv(tasks: i32): void {
  run_job(K_CONV, tasks);
}

/**
 * Splits max_pool2d_fwd (x → y, idx) or max_pool2d_bwd (dy, idx → dx) over the team in tasks of whole planes,
 * about TEAM_GRAIN input elements each: planes are independent, so a task's results are those of one call.
 * Slots: 0 nc, 1 h, 2 w, 3–8 kh kw sh sw ph pw, 9 oh, 10 ow, 11–13 arrays, 14 planes per task, 15 (backward) the
 * pooled y whose ReLU masks the gradient (0: none).
 */
export function team_max_pool(kind: i32, nc: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, p0: usize, p1: usize, p2: usize, mask: usize = 0): void {
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
  setArg(15, <f64>mask);
  run_job(kind == 0 ? K_MAX_POOL_FWD : K_MAX_POOL_BWD, (nc + planes - 1) / planes);
}

function pool_task(kind: i32, task: i32): void {
  const planes = argInt(14), nc = argInt(0), h = argInt(1), w = argInt(2), oh = argInt(9), ow = argInt(10);
  const p0 = task * planes, count = min(planes, nc - p0);
  const inAt = (<usize>p0 * <usize>h * <usize>w) << 2, outAt = (<usize>p0 * <usize>oh * <usize>ow) << 2;
  if (kind == K_MAX_POOL_FWD)
    max_pool2d_fwd(count, h, w, argInt(3), argInt(4), argInt(5), argInt(6), argInt(7), argInt(8), oh, ow, argPtr(11) + inAt, argPtr(12) + outAt, argPtr(13) + outAt);
  else {
    const mask = argPtr(15);
    max_pool2d_bwd(count, h, w, oh, ow, argPtr(11) + outAt, argPtr(12) + outAt, argPtr(13) + inAt, mask != 0 ? mask + outAt : 0);
  }
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
  if (kind == K_GEMM_RECT) return gemm_rect_task(task);
  if (kind == K_LINEAR_BWD) return linear_bwd_task(task);
  if (kind == K_CONV) return conv_task(task);
  if (kind == K_MAX_POOL_FWD || kind == K_MAX_POOL_BWD) return pool_task(kind, task);
  if (kind == K_NT_ROWS) return nt_rows_task(task);
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

// GEMM over the team. Argument slots: 0 ta, 1 tb, 2 m, 3 n, 4 k, 5 alpha, 6 a, 7 b, 8 c, 9 beta, 10 act, 11 slope,
// 12 bias, 13 mask, 14 rows and 15 columns per rectangle, 16 column groups.

/**
 * gemm() split over the team: C in one rectangle per thread, r row blocks × g column groups (r·g = team size; rows
 * a multiple of MR, columns of NR), each packed and computed by one thread alone through gemm_rect, gemm()'s own
 * blocked loop, so every tile gets the arithmetic it gets in one thread. The split is the one whose duplicated
 * packing costs least (op(A) packed once per column group, at 16 bytes a value; op(B) once per row block). A thread
 * then reads only data it packed itself, from its own cache, and there is one job per call with no wait between
 * packing and tiles; a forward's rows of C and a weight gradient's rows of dW stay with the thread that computes
 * them on every call (home ranges), as do the weight rows each thread's optimizer range updates. Caller: m, n, k > 0.
 */
export function gemm_team(ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, act: i32, slope: f32, bias: usize, mask: usize): void {
  const team = teamSize;
  let blocks = 1, least: i64 = -1;
  for (let r = 1; r <= team; r++) {
    if (team % r != 0) continue;
    const cost = <i64>(team / r) * 4 * <i64>m * <i64>k + <i64>r * <i64>n * <i64>k;
    if (least < 0 || cost < least) (least = cost), (blocks = r);
  }
  const groups = team / blocks;
  const rows = ((m + GEMM_MR - 1) / GEMM_MR + blocks - 1) / blocks * GEMM_MR;
  const cols = ((n + GEMM_NR - 1) / GEMM_NR + groups - 1) / groups * GEMM_NR;
  setArg(0, ta);
  setArg(1, tb);
  setArg(2, m);
  setArg(3, n);
  setArg(4, k);
  setArg(5, alpha);
  setArg(6, <f64>a);
  setArg(7, <f64>b);
  setArg(8, <f64>c);
  setArg(9, beta);
  setArg(10, act);
  setArg(11, slope);
  setArg(12, <f64>bias);
  setArg(13, <f64>mask);
  setArg(14, rows);
  setArg(15, cols);
  setArg(16, (n + cols - 1) / cols);
  run_job(K_GEMM_RECT, (m + rows - 1) / rows * ((n + cols - 1) / cols));
}

/** Task `task` of a K_GEMM_RECT job: its rectangle of C, packed and computed by this thread alone. */
function gemm_rect_task(task: i32): void {
  const m = argInt(2), n = argInt(3), rows = argInt(14), cols = argInt(15), groups = argInt(16);
  const i0 = (task / groups) * rows, j0 = (task % groups) * cols;
  gemm_rect(
    argInt(0), argInt(1), m, n, argInt(4), <f32>arg(5), argPtr(6), argPtr(7), <f32>arg(9), argPtr(8),
    i0, min(m, i0 + rows), j0, min(n, j0 + cols), GEMM_TEAM_NC, argInt(10), <f32>arg(11), argPtr(12), argPtr(13),
  );
}

/**
 * gemm_nt_rows (a few rows against a weight stored [n, k]) split over the team in chunks of NT_ROWS_GRAIN columns,
 * each with its epilogue: a chunk's outputs get the arithmetic of one call over all columns, and a thread computes
 * the same columns (the same weight rows) on every call. Slots as gemm_team's: 2 m, 3 n, 4 k, 6 a, 7 b, 8 c, 9 beta,
 * 10 act, 11 slope, 12 bias, 13 mask.
 */
export function team_nt_rows(m: i32, n: i32, k: i32, a: usize, b: usize, beta: f32, c: usize, act: i32, slope: f32, bias: usize, mask: usize): void {
  setArg(2, m);
  setArg(3, n);
  setArg(4, k);
  setArg(6, <f64>a);
  setArg(7, <f64>b);
  setArg(8, <f64>c);
  setArg(9, beta);
  setArg(10, act);
  setArg(11, slope);
  setArg(12, <f64>bias);
  setArg(13, <f64>mask);
  run_job(K_NT_ROWS, (n + NT_ROWS_GRAIN - 1) / NT_ROWS_GRAIN);
}

/** Task `task` of a K_NT_ROWS job: columns [task·NT_ROWS_GRAIN, …) of C. */
function nt_rows_task(task: i32): void {
  const m = argInt(2), n = argInt(3), k = argInt(4), act = argInt(10), bias = argPtr(12), mask = argPtr(13);
  const j0 = task * NT_ROWS_GRAIN, cols = min(NT_ROWS_GRAIN, n - j0), ldc = <usize>n << 2, o = <usize>j0 << 2;
  const c = argPtr(8) + o;
  gemm_nt_rows(m, cols, k, argPtr(6), argPtr(7) + <usize>j0 * (<usize>k << 2), <f32>arg(9), c, ldc);
  if (act != 0 || bias != 0 || mask != 0) gemm_epilogue(m, cols, c, ldc, bias != 0 ? bias + o : 0, mask != 0 ? mask + o : 0, ldc, act, <f32>arg(11));
}

/** Whether linear_bwd_f32 runs its two products side by side (a team of two; both products wanted and non-empty). */
export function team_pairs_linear(m: i32, out_f: i32, in_f: i32, dx: usize): bool {
  return teamSize == 2 && dx != 0 && m > 0 && out_f > 0 && in_f > 0 && <i64>m * <i64>out_f * <i64>in_f >= LINEAR_PAIR_MIN_MNK;
}

// A dense layer's backward over a team of two. Argument slots: 0 m, 1 out_f, 2 in_f, 3 beta, 4 act, 5 slope, 6 dy,
// 7 x, 8 w, 9 y, 10 dw, 11 db, 12 dx.

/**
 * linear_bwd_f32 on a team of two: task 0 (the owner's) the input gradient, task 1 the weight and bias gradients,
 * each whole product through gemm_rect on one thread, so each gets one thread's bits (gemm()'s own path for these
 * shapes: neither takes gemm_nt_rows, and the NC blocking only partitions columns).
 */
export function team_linear_bwd(m: i32, out_f: i32, in_f: i32, beta: f32, act: i32, slope: f32, dy: usize, x: usize, w: usize, y: usize, dw: usize, db: usize, dx: usize): void {
  setArg(0, m);
  setArg(1, out_f);
  setArg(2, in_f);
  setArg(3, beta);
  setArg(4, act);
  setArg(5, slope);
  setArg(6, <f64>dy);
  setArg(7, <f64>x);
  setArg(8, <f64>w);
  setArg(9, <f64>y);
  setArg(10, <f64>dw);
  setArg(11, <f64>db);
  setArg(12, <f64>dx);
  run_job(K_LINEAR_BWD, 2);
}

function linear_bwd_task(task: i32): void {
  const m = argInt(0), outF = argInt(1), inF = argInt(2), beta = <f32>arg(3), dy = argPtr(6);
  if (task == 0) {
    gemm_rect(0, 0, m, inF, outF, 1, dy, argPtr(8), 0, argPtr(12), 0, m, 0, inF, GEMM_TEAM_NC, 0, <f32>arg(5), 0, argInt(4) != 0 ? argPtr(9) : 0);
  } else {
    gemm_rect(1, 0, outF, inF, m, 1, dy, argPtr(7), beta, argPtr(10), 0, outF, 0, inF, GEMM_TEAM_NC, 0, 0, 0, 0);
    const db = argPtr(11);
    if (db != 0) col_sum(m, outF, beta, dy, db);
  }
}
