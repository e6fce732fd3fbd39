/**
 * The wasm backend: the AssemblyScript kernels of assembly/ compiled to WebAssembly SIMD (dist/wasm/descent.wasm,
 * plus descent-relaxed.wasm with fused multiply-add where the engine validates relaxed SIMD). Buffers live in the
 * module's linear memory and kernels receive byte pointers, so no call copies an array. Memory growth detaches
 * every view, so handles rebuild theirs on each `.data` read when `memory.buffer` has changed. The adapter is
 * the module's public door: it checks every length against the sizes given (a few compares per call) so no call
 * reads or writes outside its buffers. No static import of Node modules: this file must bundle for browsers.
 */
import type { F32Buf, I32Buf } from '../buffers.js';
import { optionError } from '../errors.js';
import { KERNELS, type KernelName, type Kernels } from '../kernels.js';
import { maybeBuiltin } from '../node.js';
import type { BackendLoader } from './registry.js';
import type { Backend } from './types.js';

type Kernel = (...args: number[]) => void;
type WasmExports = { memory: WebAssembly.Memory; alloc(bytes: number): number; free(ptr: number): void } & Record<KernelName, Kernel>;

/** The wasm backend as loaded here: a Backend plus its memory (tests and diagnostics read its size). */
export interface WasmBackend extends Backend {
  readonly memory: WebAssembly.Memory;
  /** Whether this module uses relaxed SIMD (fused multiply-add). */
  readonly relaxed: boolean;
}

// (func (result v128) i32.const 0 i32x4.splat): valid exactly where SIMD128 is.
const SIMD_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b,
);
// The same function returning f32x4.relaxed_madd of three splats: valid exactly where relaxed SIMD is.
const RELAXED_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x13, 0x01, 0x11, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0xfd, 0x85,
  0x02, 0x0b,
);

const TILES = { mr: 4, nr: 8 } as const;
const MAX_BLOCK_BYTES = 2 ** 30 - 64;

/**
 * Where the module sits in the published package (dist/src/backends → dist/wasm), written as literal
 * `new URL(…, import.meta.url)` so bundlers that understand the pattern (Vite, webpack, Parcel) copy the file.
 * Tests that import the sources map this path to dist/wasm (test/vitest.config.ts).
 */
function defaultUrl(relaxed: boolean): URL {
  return relaxed ? new URL('../../wasm/descent-relaxed.wasm', import.meta.url) : new URL('../../wasm/descent.wasm', import.meta.url);
}

interface NodeFs {
  readFileSync(path: URL | string): Uint8Array<ArrayBuffer>;
}

function nodeFs(): NodeFs | null {
  return maybeBuiltin<NodeFs>('node:fs');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Throws unless the engine has WebAssembly with SIMD128; returns whether relaxed SIMD is available too. */
function probe(): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    throw new Error('WebAssembly is not available in this JavaScript engine');
  }
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('this engine lacks WebAssembly SIMD128 (WebAssembly.validate rejected a SIMD probe module)');
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  // DESCENT_WASM_RELAXED=0 pins the plain-SIMD module (benchmarks, bisecting rounding differences).
  return env?.DESCENT_WASM_RELAXED !== '0' && WebAssembly.validate(RELAXED_PROBE);
}

function imports(): WebAssembly.Imports {
  return {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`descent.wasm aborted at ${line}:${column}`);
      },
    },
  };
}

/** Views into linear memory that survive growth: the view is rebuilt when `memory.buffer` is a new buffer. */
class WasmBuf<T extends Float32Array | Int32Array> {
  #view: T;
  constructor(
    readonly owner: WasmModule,
    /** Byte offset in linear memory; −1 once freed. */
    public ptr: number,
    readonly length: number,
    /** False for views over caller memory and empty buffers: `free` leaves those alone. */
    readonly owned: boolean,
    private readonly Type: new (buffer: ArrayBuffer, offset: number, length: number) => T,
  ) {
    this.#view = new Type(owner.memory.buffer, ptr, length);
  }

  get data(): T {
    if (this.ptr < 0) throw new Error('wasm: buffer used after free');
    const buffer = this.owner.memory.buffer;
    if (this.#view.buffer !== buffer) this.#view = new this.Type(buffer, this.ptr, this.length);
    return this.#view;
  }
}

type F32Handle = WasmBuf<Float32Array>;
type I32Handle = WasmBuf<Int32Array>;

function checkSize(call: string, name: string, value: number): void {
  if ((value | 0) !== value || value < 0) throw new RangeError(`${call}: expected ${name} to be a non-negative int32, received ${value}`);
}

function checkFlag(call: string, name: string, value: number): void {
  if (value !== 0 && value !== 1) throw new RangeError(`${call}: expected ${name} to be 0 or 1, received ${value}`);
}

class WasmModule {
  readonly memory: WebAssembly.Memory;
  readonly ex: WasmExports;
  /** Handles from elsewhere (js heap arrays) copied in for one call, copied back after it. */
  private staged: { buf: F32Buf | I32Buf; ptr: number; i32: boolean }[] | null = null;

  constructor(instance: WebAssembly.Instance) {
    this.ex = instance.exports as unknown as WasmExports;
    this.memory = this.ex.memory;
  }

  alloc(call: string, n: number): number {
    checkSize(call, 'n', n);
    // The module's allocator (TLSF) serves blocks below 1 GiB; checking here also keeps n·4 inside an i32.
    if (n * 4 > MAX_BLOCK_BYTES) throw new RangeError(`${call}: ${n} elements (${n * 4} bytes) exceed the wasm allocator's largest block (${MAX_BLOCK_BYTES} bytes)`);
    try {
      return this.ex.alloc(n * 4) >>> 0;
    } catch (error) {
      throw new RangeError(`${call}: cannot allocate ${n} elements (${n * 4} bytes) in wasm memory: ${messageOf(error)}`);
    }
  }

  /**
   * The pointer for argument `name` of `call`, after checking it holds at least `need` elements (`expr` names the
   * product in the message). Handles of this module pass their pointer; others are staged for the call.
   */
  ptr(call: string, name: string, buf: F32Buf | I32Buf, need: number, expr: string): number {
    if (buf.length < need) throw new RangeError(`${call}: ${expr} = ${need} exceeds ${name}.length ${buf.length}`);
    if (buf instanceof WasmBuf && buf.owner === this) {
      if (buf.ptr < 0) throw new RangeError(`${call}: ${name} was freed`);
      return buf.ptr;
    }
    if (buf.length === 0) return 0;
    return this.stage(buf);
  }

  /** Pointer for an optional array: 0 (absent) when its length is 0, else it must hold `need` elements. */
  optional(call: string, name: string, buf: F32Buf, need: number, expr: string): number {
    return buf.length === 0 ? 0 : this.ptr(call, name, buf, need, expr);
  }

  private stage(buf: F32Buf | I32Buf): number {
    this.staged ??= [];
    for (const s of this.staged) if (s.buf === buf) return s.ptr;
    const i32 = buf.data instanceof Int32Array;
    const ptr = this.alloc('wasm (staging a buffer of another backend)', buf.length);
    const view = i32 ? new Int32Array(this.memory.buffer, ptr, buf.length) : new Float32Array(this.memory.buffer, ptr, buf.length);
    view.set(buf.data);
    this.staged.push({ buf, ptr, i32 });
    return ptr;
  }

  /** After a call: copies staged arrays back (arguments in order, so written ones land last) and frees them. */
  unstage(): void {
    const staged = this.staged;
    if (staged === null) return;
    this.staged = null;
    for (const { buf, ptr, i32 } of staged) {
      buf.data.set(i32 ? new Int32Array(this.memory.buffer, ptr, buf.length) : new Float32Array(this.memory.buffer, ptr, buf.length));
      this.ex.free(ptr);
    }
  }
}

/** Evaluates a length expression of the kernel table (`*`, `/` integer division, `+`, parentheses) over sizes. */
function evalLen(expr: string, sizes: Record<string, number>): number {
  const tokens = expr.match(/[a-z_][a-z0-9_]*|\d+|[*/+()]/g) ?? [];
  let at = 0;
  const atom = (): number => {
    const t = tokens[at++];
    if (t === '(') {
      const v = sum();
      at++;
      return v;
    }
    return /^\d/.test(t) ? Number(t) : sizes[t];
  };
  const product = (): number => {
    let v = atom();
    while (tokens[at] === '*' || tokens[at] === '/') v = tokens[at++] === '*' ? v * atom() : Math.floor(v / atom());
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[at] === '+') (at++, (v += product()));
    return v;
  };
  return sum();
}

/**
 * An adapter derived from the kernel's KERNEL_SIGNATURES record: checks sizes (int32, minimums), flags, every
 * array's length rule and int32 value ranges, then passes pointers (0 for an absent optional array).
 */
function fromSignature(mod: WasmModule, call: KernelName): (...args: unknown[]) => void {
  const spec = KERNELS[call];
  const fn = mod.ex[call];
  return (...args: unknown[]) => {
    const sizes: Record<string, number> = {};
    const out: number[] = [];
    spec.args.forEach((a, i) => {
      const v = args[i];
      if (a.kind === 'size') {
        checkSize(call, a.name, v as number);
        if (a.min !== undefined && (v as number) < a.min) throw new RangeError(`${call}: expected ${a.name} to be at least ${a.min}, received ${v}`);
        sizes[a.name] = v as number;
        out.push(v as number);
      } else if (a.kind === 'flag') {
        checkFlag(call, a.name, v as number);
        sizes[a.name] = v as number;
        out.push(v as number);
      } else if (a.kind === 'scalar') out.push(v as number);
    });
    try {
      spec.args.forEach((a, i) => {
        if (a.kind !== 'f32' && a.kind !== 'i32') return;
        const buf = args[i] as F32Buf | I32Buf;
        const need = evalLen(a.len!, sizes);
        const expr = a.len!.replace(/\*/g, '·');
        if (a.optional && buf.length === 0) return void out.push(0);
        if (a.values !== undefined) {
          const limit = evalLen(a.values, sizes), data = buf.data;
          if (buf.length < need) throw new RangeError(`${call}: ${expr} = ${need} exceeds ${a.name}.length ${buf.length}`);
          for (let j = 0; j < need; j++)
            if (!(data[j] >= 0 && data[j] < limit)) throw new RangeError(`${call}: expected ${a.name}[${j}] in [0, ${limit}), received ${data[j]}`);
        }
        out.push(mod.ptr(call, a.name, buf, need, expr));
      });
      fn(...out);
    } finally {
      mod.unstage();
    }
  };
}

function makeKernels(mod: WasmModule): Kernels {
  const ex = mod.ex;
  const fwd = (call: KernelName) => (n: number, x: F32Buf, y: F32Buf) => {
    checkSize(call, 'n', n);
    try {
      ex[call](n, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'y', y, n, 'n'));
    } finally {
      mod.unstage();
    }
  };
  const bwd = (call: KernelName) => (n: number, y: F32Buf, dy: F32Buf, dx: F32Buf) => {
    checkSize(call, 'n', n);
    try {
      ex[call](n, mod.ptr(call, 'y', y, n, 'n'), mod.ptr(call, 'dy', dy, n, 'n'), mod.ptr(call, 'dx', dx, n, 'n'));
    } finally {
      mod.unstage();
    }
  };
  const bwdX = (call: KernelName) => (n: number, x: F32Buf, dy: F32Buf, dx: F32Buf) => {
    checkSize(call, 'n', n);
    try {
      ex[call](n, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'dy', dy, n, 'n'), mod.ptr(call, 'dx', dx, n, 'n'));
    } finally {
      mod.unstage();
    }
  };
  const rowLoss = (call: 'mse_f32' | 'bce_logits_f32') => (m: number, n: number, scale: number, pred: F32Buf, target: F32Buf, loss: F32Buf, grad: F32Buf) => {
    checkSize(call, 'm', m);
    checkSize(call, 'n', n);
    try {
      ex[call](m, n, scale, mod.ptr(call, 'pred', pred, m * n, 'm·n'), mod.ptr(call, 'target', target, m * n, 'm·n'), mod.ptr(call, 'loss', loss, m, 'm'), mod.optional(call, 'grad', grad, m * n, 'm·n'));
    } finally {
      mod.unstage();
    }
  };

  return {
    gemm_f32(ta, tb, m, n, k, alpha, a, b, beta, c) {
      const call = 'gemm_f32';
      checkFlag(call, 'ta', ta);
      checkFlag(call, 'tb', tb);
      checkSize(call, 'm', m);
      checkSize(call, 'n', n);
      checkSize(call, 'k', k);
      try {
        ex.gemm_f32(ta, tb, m, n, k, alpha, mod.ptr(call, 'a', a, m * k, 'm·k'), mod.ptr(call, 'b', b, k * n, 'k·n'), beta, mod.ptr(call, 'c', c, m * n, 'm·n'));
      } finally {
        mod.unstage();
      }
    },
    bias_add_f32(m, n, bias, c) {
      const call = 'bias_add_f32';
      checkSize(call, 'm', m);
      checkSize(call, 'n', n);
      try {
        ex.bias_add_f32(m, n, mod.ptr(call, 'bias', bias, m > 0 ? n : 0, 'n'), mod.ptr(call, 'c', c, m * n, 'm·n'));
      } finally {
        mod.unstage();
      }
    },
    col_sum_f32(m, n, beta, a, out) {
      const call = 'col_sum_f32';
      checkSize(call, 'm', m);
      checkSize(call, 'n', n);
      try {
        ex.col_sum_f32(m, n, beta, mod.ptr(call, 'a', a, m * n, 'm·n'), mod.ptr(call, 'out', out, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    sigmoid_fwd_f32: fwd('sigmoid_fwd_f32'),
    tanh_fwd_f32: fwd('tanh_fwd_f32'),
    relu_fwd_f32: fwd('relu_fwd_f32'),
    leaky_relu_fwd_f32(n, slope, x, y) {
      const call = 'leaky_relu_fwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.leaky_relu_fwd_f32(n, slope, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'y', y, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    sigmoid_bwd_f32: bwd('sigmoid_bwd_f32'),
    tanh_bwd_f32: bwd('tanh_bwd_f32'),
    relu_bwd_f32: bwd('relu_bwd_f32'),
    leaky_relu_bwd_f32(n, slope, y, dy, dx) {
      const call = 'leaky_relu_bwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.leaky_relu_bwd_f32(n, slope, mod.ptr(call, 'y', y, n, 'n'), mod.ptr(call, 'dy', dy, n, 'n'), mod.ptr(call, 'dx', dx, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    elu_fwd_f32(n, alpha, x, y) {
      const call = 'elu_fwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.elu_fwd_f32(n, alpha, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'y', y, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    elu_bwd_f32(n, alpha, x, dy, dx) {
      const call = 'elu_bwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.elu_bwd_f32(n, alpha, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'dy', dy, n, 'n'), mod.ptr(call, 'dx', dx, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    gelu_fwd_f32: fwd('gelu_fwd_f32'),
    gelu_bwd_f32: bwdX('gelu_bwd_f32'),
    gelu_tanh_fwd_f32: fwd('gelu_tanh_fwd_f32'),
    gelu_tanh_bwd_f32: bwdX('gelu_tanh_bwd_f32'),
    silu_fwd_f32: fwd('silu_fwd_f32'),
    silu_bwd_f32: bwdX('silu_bwd_f32'),
    softplus_fwd_f32(n, beta, threshold, x, y) {
      const call = 'softplus_fwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.softplus_fwd_f32(n, beta, threshold, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'y', y, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    softplus_bwd_f32(n, beta, threshold, x, dy, dx) {
      const call = 'softplus_bwd_f32';
      checkSize(call, 'n', n);
      try {
        ex.softplus_bwd_f32(n, beta, threshold, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'dy', dy, n, 'n'), mod.ptr(call, 'dx', dx, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    softmax_fwd_f32(m, n, x, y) {
      const call = 'softmax_fwd_f32';
      checkSize(call, 'm', m);
      checkSize(call, 'n', n);
      try {
        ex.softmax_fwd_f32(m, n, mod.ptr(call, 'x', x, m * n, 'm·n'), mod.ptr(call, 'y', y, m * n, 'm·n'));
      } finally {
        mod.unstage();
      }
    },
    softmax_xent_f32(m, n, scale, logits, labels, loss, grad) {
      const call = 'softmax_xent_f32';
      checkSize(call, 'm', m);
      checkSize(call, 'n', n);
      // n = 0 with m > 0 has no valid label; the kernel would read a label and find it out of range.
      try {
        ex.softmax_xent_f32(m, n, scale, mod.ptr(call, 'logits', logits, m * n, 'm·n'), mod.ptr(call, 'labels', labels, m, 'm'), mod.ptr(call, 'loss', loss, m, 'm'), mod.optional(call, 'grad', grad, m * n, 'm·n'));
      } finally {
        mod.unstage();
      }
    },
    mse_f32: rowLoss('mse_f32'),
    bce_logits_f32: rowLoss('bce_logits_f32'),
    sgd_step_f32(n, lr, wd, w, g) {
      const call = 'sgd_step_f32';
      checkSize(call, 'n', n);
      try {
        ex.sgd_step_f32(n, lr, wd, mod.ptr(call, 'w', w, n, 'n'), mod.ptr(call, 'g', g, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    momentum_step_f32(n, lr, mu, damp, wd, nesterov, w, g, buf) {
      const call = 'momentum_step_f32';
      checkSize(call, 'n', n);
      checkFlag(call, 'nesterov', nesterov);
      try {
        ex.momentum_step_f32(n, lr, mu, damp, wd, nesterov, mod.ptr(call, 'w', w, n, 'n'), mod.ptr(call, 'g', g, n, 'n'), mod.ptr(call, 'buf', buf, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    adagrad_step_f32(n, clr, wd, eps, w, g, sum) {
      const call = 'adagrad_step_f32';
      checkSize(call, 'n', n);
      try {
        ex.adagrad_step_f32(n, clr, wd, eps, mod.ptr(call, 'w', w, n, 'n'), mod.ptr(call, 'g', g, n, 'n'), mod.ptr(call, 'sum', sum, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, w, g, sq, buf, gavg) {
      const call = 'rmsprop_step_f32';
      checkSize(call, 'n', n);
      checkFlag(call, 'centered', centered);
      try {
        ex.rmsprop_step_f32(
          n, lr, alpha, eps, wd, mu, centered,
          mod.ptr(call, 'w', w, n, 'n'), mod.ptr(call, 'g', g, n, 'n'), mod.ptr(call, 'sq', sq, n, 'n'),
          mu > 0 ? mod.ptr(call, 'buf', buf, n, 'n') : 0,
          centered ? mod.ptr(call, 'gavg', gavg, n, 'n') : 0,
        );
      } finally {
        mod.unstage();
      }
    },
    adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w, g, m, v, vmax) {
      const call = 'adam_step_f32';
      checkSize(call, 'n', n);
      checkFlag(call, 'decoupled', decoupled);
      try {
        ex.adam_step_f32(
          n, lr, b1, b2, eps, wd, decoupled, bc1, bc2,
          mod.ptr(call, 'w', w, n, 'n'), mod.ptr(call, 'g', g, n, 'n'), mod.ptr(call, 'm', m, n, 'n'), mod.ptr(call, 'v', v, n, 'n'),
          // vmax of length 0 means no AMSGrad; with n = 0 nothing is touched either way.
          vmax.length === 0 ? 0 : mod.ptr(call, 'vmax', vmax, n, 'n'),
        );
      } finally {
        mod.unstage();
      }
    },
    batch_norm_train_f32(n, c, hw, eps, momentum, x, gamma, beta, rm, rv, y, sm, si) {
      const call = 'batch_norm_train_f32';
      checkSize(call, 'n', n);
      checkSize(call, 'c', c);
      checkSize(call, 'hw', hw);
      const len = n * c * hw;
      try {
        ex.batch_norm_train_f32(
          n, c, hw, eps, momentum, mod.ptr(call, 'x', x, len, 'n·c·hw'),
          mod.optional(call, 'gamma', gamma, c, 'c'), mod.optional(call, 'beta', beta, c, 'c'),
          mod.optional(call, 'running_mean', rm, c, 'c'), mod.optional(call, 'running_var', rv, c, 'c'),
          mod.ptr(call, 'y', y, len, 'n·c·hw'), mod.ptr(call, 'save_mean', sm, c, 'c'), mod.ptr(call, 'save_invstd', si, c, 'c'),
        );
      } finally {
        mod.unstage();
      }
    },
    batch_norm_eval_f32(n, c, hw, eps, x, gamma, beta, rm, rv, y, sm, si) {
      const call = 'batch_norm_eval_f32';
      checkSize(call, 'n', n);
      checkSize(call, 'c', c);
      checkSize(call, 'hw', hw);
      const len = n * c * hw;
      try {
        ex.batch_norm_eval_f32(
          n, c, hw, eps, mod.ptr(call, 'x', x, len, 'n·c·hw'),
          mod.optional(call, 'gamma', gamma, c, 'c'), mod.optional(call, 'beta', beta, c, 'c'),
          mod.ptr(call, 'running_mean', rm, c, 'c'), mod.ptr(call, 'running_var', rv, c, 'c'),
          mod.ptr(call, 'y', y, len, 'n·c·hw'), mod.ptr(call, 'save_mean', sm, c, 'c'), mod.ptr(call, 'save_invstd', si, c, 'c'),
        );
      } finally {
        mod.unstage();
      }
    },
    batch_norm_bwd_f32(n, c, hw, batchStats, betaAcc, x, dy, gamma, sm, si, dx, dgamma, dbeta) {
      const call = 'batch_norm_bwd_f32';
      checkSize(call, 'n', n);
      checkSize(call, 'c', c);
      checkSize(call, 'hw', hw);
      checkFlag(call, 'batch_stats', batchStats);
      const len = n * c * hw;
      try {
        ex.batch_norm_bwd_f32(
          n, c, hw, batchStats, betaAcc, mod.ptr(call, 'x', x, len, 'n·c·hw'), mod.ptr(call, 'dy', dy, len, 'n·c·hw'),
          mod.optional(call, 'gamma', gamma, c, 'c'), mod.ptr(call, 'save_mean', sm, c, 'c'), mod.ptr(call, 'save_invstd', si, c, 'c'),
          mod.ptr(call, 'dx', dx, len, 'n·c·hw'), mod.optional(call, 'dgamma', dgamma, c, 'c'), mod.optional(call, 'dbeta', dbeta, c, 'c'),
        );
      } finally {
        mod.unstage();
      }
    },
    dropout_fwd_f32(n, seed, threshold, scale, x, y, mask) {
      const call = 'dropout_fwd_f32';
      checkSize(call, 'n', n);
      checkSize(call, 'seed', seed);
      checkSize(call, 'threshold', threshold);
      try {
        ex.dropout_fwd_f32(n, seed, threshold, scale, mod.ptr(call, 'x', x, n, 'n'), mod.ptr(call, 'y', y, n, 'n'), mod.ptr(call, 'mask', mask, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    mul_f32(n, a, b, out) {
      const call = 'mul_f32';
      checkSize(call, 'n', n);
      try {
        ex.mul_f32(n, mod.ptr(call, 'a', a, n, 'n'), mod.ptr(call, 'b', b, n, 'n'), mod.ptr(call, 'out', out, n, 'n'));
      } finally {
        mod.unstage();
      }
    },
    conv2d_fwd_f32: fromSignature(mod, 'conv2d_fwd_f32'),
    conv2d_bwd_data_f32: fromSignature(mod, 'conv2d_bwd_data_f32'),
    conv2d_bwd_filter_f32: fromSignature(mod, 'conv2d_bwd_filter_f32'),
    max_pool2d_fwd_f32: fromSignature(mod, 'max_pool2d_fwd_f32'),
    max_pool2d_bwd_f32: fromSignature(mod, 'max_pool2d_bwd_f32'),
    avg_pool2d_fwd_f32: fromSignature(mod, 'avg_pool2d_fwd_f32'),
    avg_pool2d_bwd_f32: fromSignature(mod, 'avg_pool2d_bwd_f32'),
  };
}

/** Wraps an instantiated descent.wasm as a Backend. */
export function wasmBackendFromInstance(instance: WebAssembly.Instance, relaxed: boolean): WasmBackend {
  const mod = new WasmModule(instance);
  const f32 = (ptr: number, n: number, owned: boolean): F32Handle => new WasmBuf(mod, ptr, n, owned, Float32Array);
  const i32 = (ptr: number, n: number, owned: boolean): I32Handle => new WasmBuf(mod, ptr, n, owned, Int32Array);
  return {
    name: 'wasm',
    detail: relaxed ? 'relaxed-simd (fused multiply-add), 1 thread' : 'simd128, 1 thread',
    tiles: TILES,
    memory: mod.memory,
    relaxed,
    alloc: (n: number): F32Buf => (n === 0 ? f32(0, 0, false) : f32(mod.alloc('alloc', n), n, true)),
    allocI32: (n: number): I32Buf => (n === 0 ? i32(0, 0, false) : i32(mod.alloc('allocI32', n), n, true)),
    free(buf: F32Buf | I32Buf) {
      if (!(buf instanceof WasmBuf) || buf.owner !== mod || !buf.owned || buf.ptr < 0) return;
      mod.ex.free(buf.ptr);
      buf.ptr = -1;
    },
    view: (data: Float32Array): F32Buf | null => (data.buffer === mod.memory.buffer ? f32(data.byteOffset, data.length, false) : null),
    viewI32: (data: Int32Array): I32Buf | null => (data.buffer === mod.memory.buffer ? i32(data.byteOffset, data.length, false) : null),
    k: makeKernels(mod),
  };
}

let loaded: WasmBackend | null = null;

/**
 * Where to get descent's wasm module when its default location (next to the package's JavaScript) does not work,
 * e.g. after bundling with esbuild: a URL (or a URL string, resolved against the page like `fetch`; in Node also
 * a file path), a `Response` or a promise of one (`fetch(url)`), the module's bytes, or a compiled
 * `WebAssembly.Module`. The package exports the files as `descent-nn/descent.wasm` (SIMD128) and
 * `descent-nn/descent-relaxed.wasm` (relaxed SIMD: fused multiply-add, for engines that have it).
 */
export type WasmSource = URL | string | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/** Options of `loadBackend()`. */
export interface LoadBackendOptions {
  /** The wasm module to use instead of the default location (see {@link WasmSource}); ignored once wasm is loaded. */
  wasm?: WasmSource;
}

function isWasmSource(value: unknown): value is WasmSource {
  return (
    typeof value === 'string' || value instanceof URL || value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
    (typeof WebAssembly === 'object' && value instanceof WebAssembly.Module) ||
    (typeof Response === 'function' && value instanceof Response) ||
    (typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function')
  );
}

/** Throws ERR_OPTION unless `value` is a usable {@link WasmSource}. */
export function checkWasmSource(call: string, value: unknown): WasmSource {
  if (!isWasmSource(value)) {
    throw optionError(call, 'options.wasm', 'a URL, a URL string, a Response (or a promise of one), an ArrayBuffer, a Uint8Array or a WebAssembly.Module', value);
  }
  return value;
}

function notFound(tried: string[]): Error {
  const fix = 'if a bundler moved the package, pass the module: loadBackend(\'wasm\', { wasm: new URL(\'…/descent.wasm\', import.meta.url) }) (README: "Bundlers and browsers")';
  return new Error(`descent.wasm could not be loaded (tried: ${tried.join('; ')}); ${fix}`);
}

async function instantiateResponse(response: Response): Promise<WebAssembly.Instance> {
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${response.url || 'the given Response'}`);
  if (typeof WebAssembly.instantiateStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return (await WebAssembly.instantiateStreaming(response, imports())).instance;
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports())).instance;
}

async function instantiateFrom(url: URL): Promise<WebAssembly.Instance> {
  const fs = url.protocol === 'file:' ? nodeFs() : null;
  if (fs) return (await WebAssembly.instantiate(fs.readFileSync(url), imports())).instance;
  return instantiateResponse(await fetch(url));
}

/** The page (or worker) address relative URL strings resolve against, like `fetch`; undefined in Node. */
function baseUrl(): string | undefined {
  return (globalThis as { location?: { href?: string } }).location?.href;
}

async function instantiateSource(source: WasmSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, imports());
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
    return (await WebAssembly.instantiate(bytes, imports())).instance;
  }
  if (source instanceof URL) return instantiateFrom(source);
  if (typeof source === 'string') {
    const fs = nodeFs();
    // In Node a string without a scheme is a file path; elsewhere it is a URL relative to the page, as for fetch.
    if (fs && baseUrl() === undefined && !/^[a-z][a-z\d+.-]*:/i.test(source)) return (await WebAssembly.instantiate(fs.readFileSync(source), imports())).instance;
    return instantiateFrom(new URL(source, baseUrl()));
  }
  return instantiateResponse(await source);
}

/** The module given to `loadBackend('wasm', { wasm })`: checked to be descent's, and of this version. */
async function loadFrom(source: WasmSource): Promise<WasmBackend> {
  const relaxedEngine = probe();
  let instance: WebAssembly.Instance;
  try {
    instance = await instantiateSource(source);
  } catch (error) {
    const hint = relaxedEngine ? '' : ' (this engine lacks relaxed SIMD: pass descent.wasm, not descent-relaxed.wasm)';
    throw new Error(`the wasm module given in options.wasm could not be instantiated: ${messageOf(error)}${hint}`);
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing = ['memory', 'alloc', 'free', ...Object.keys(KERNELS)].filter((name) => exports[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`the wasm module given in options.wasm is not this version of descent-nn's descent.wasm: it lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
  }
  const relaxed = (exports.RELAXED_SIMD as WebAssembly.Global | undefined)?.value === 1;
  return (loaded = wasmBackendFromInstance(instance, relaxed));
}

let pending: Promise<WasmBackend> | null = null;

/**
 * One module per JavaScript realm: concurrent calls share the instantiation in flight, and once a module is
 * loaded later sources are ignored.
 */
function load(options?: LoadBackendOptions): Promise<WasmBackend> {
  if (loaded) return Promise.resolve(loaded);
  const source = options?.wasm;
  pending ??= (source === undefined ? loadAsync() : loadFrom(source)).finally(() => (pending = null));
  return pending;
}

async function loadAsync(): Promise<WasmBackend> {
  const relaxed = probe();
  const tried: string[] = [];
  for (const variant of relaxed ? [true, false] : [false]) {
    const url = defaultUrl(variant);
    try {
      return (loaded = wasmBackendFromInstance(await instantiateFrom(url), variant));
    } catch (error) {
      tried.push(`${url.href}: ${messageOf(error)}`);
    }
  }
  throw notFound(tried);
}

function loadSync(): WasmBackend {
  if (loaded) return loaded;
  const relaxed = probe();
  const fs = nodeFs();
  if (!fs) throw new Error('synchronous loading needs node:fs; call await loadBackend() instead');
  const tried: string[] = [];
  for (const variant of relaxed ? [true, false] : [false]) {
    const url = defaultUrl(variant);
    if (url.protocol !== 'file:') continue;
    try {
      const module = new WebAssembly.Module(fs.readFileSync(url));
      return (loaded = wasmBackendFromInstance(new WebAssembly.Instance(module, imports()), variant));
    } catch (error) {
      tried.push(`${url.href}: ${messageOf(error)}`);
    }
  }
  throw notFound(tried);
}

/**
 * Registered with priority 2 (src/backends/index.ts). `load()` works everywhere; `loadSync()` exists only where
 * node:fs does, so `getBackend()` in a browser never records a spurious failure for wasm.
 */
export const wasmLoader: BackendLoader = nodeFs() ? { load, loadSync } : { load };
