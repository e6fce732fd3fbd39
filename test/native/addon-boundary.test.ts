/**
 * The addon is a public door: anyone can require the .node file and call it. These tests call it directly (not
 * through the backend adapter) with wrong arity, wrong types, sizes that do not fit their buffers, bad flags and
 * labels, and a seeded fuzz of random arguments. Every call must either run in bounds or throw TypeError /
 * RangeError; guard zones around every buffer must stay untouched. Out-of-range *reads* are caught by the
 * ASan build (`npm run test:sanitize` runs this file too).
 */
import { describe, expect, it } from 'vitest';
import { KERNELS, type ArgKind, type KernelName } from '../../src/kernels.js';
import { loadAddon, type NativeAddon } from '../../src/backends/native.js';
import { rng } from '../helpers.js';

// The addon is built by `npm install`; if it cannot load, this file fails with the loader's explanation.
const addon: NativeAddon = loadAddon();
const names = Object.keys(KERNELS) as KernelName[];
const GUARD = 16, SENTINEL = -12345.5;

/** Buffers carved out of one guarded arena, so any write outside a view lands in a guard zone. */
class Arena {
  f32 = new Float32Array(1 << 16).fill(SENTINEL);
  i32 = new Int32Array(1 << 12).fill(-7);
  private f = GUARD;
  private i = GUARD;
  views: [number, number][] = [];
  f32View(n: number, fill: (j: number) => number = () => 0.5): Float32Array {
    const v = this.f32.subarray(this.f, this.f + n);
    for (let j = 0; j < n; j++) v[j] = fill(j);
    this.views.push([this.f, this.f + n]);
    this.f += n + GUARD;
    return v;
  }
  i32View(n: number, value = 0): Int32Array {
    const v = this.i32.subarray(this.i, this.i + n).fill(value);
    this.i += n + GUARD;
    return v;
  }
  /** Guard zones still hold the sentinel. */
  check(context: string) {
    let lo = 0;
    for (const [a, b] of [...this.views, [this.f, this.f32.length] as [number, number]]) {
      for (let j = lo; j < a; j++) if (this.f32[j] !== SENTINEL) throw new Error(`${context}: guard at ${j} overwritten with ${this.f32[j]}`);
      lo = b;
    }
  }
}

// n c h w oc kh kw sh sw ph pw dilh dilw groups oh ow: two 2-channel 5×5 images, 3×3 kernel, padding 1.
const CONV = [2, 2, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 5];
// nc h w kh kw sh sw ph pw oh ow: two 5×5 planes, 2×2 windows, stride 2.
const POOL = [2, 5, 5, 2, 2, 2, 2, 0, 0, 2, 2];

/** Whether growing size `size` grows some array's length rule (strides, padding and dilations only move reads). */
function grows(name: KernelName, size: string): boolean {
  const term = new RegExp(`(^|[*(+])${size}(?=$|[*)+/])`);
  return KERNELS[name].args.some((a) => a.len !== undefined && term.test(a.len));
}

/** A valid call with every size ≥ 1 and every buffer exactly as long as the sizes require. */
function validArgs(name: KernelName, arena: Arena, dims = { m: 3, n: 5, k: 4 }): unknown[] {
  const { m, n, k } = dims;
  const f = (len: number) => arena.f32View(len);
  switch (name) {
    case 'gemm_f32': return [0, 1, m, n, k, 1, f(m * k), f(k * n), 0, f(m * n)];
    case 'bias_add_f32': return [m, n, f(n), f(m * n)];
    case 'col_sum_f32': return [m, n, 0, f(m * n), f(n)];
    case 'softmax_fwd_f32': return [m, n, f(m * n), f(m * n)];
    case 'softmax_xent_f32': return [m, n, 1, f(m * n), arena.i32View(m, n - 1), f(m), f(m * n)];
    case 'mse_f32': case 'bce_logits_f32': return [m, n, 1, f(m * n), f(m * n), f(m), f(m * n)];
    case 'rmsprop_step_f32': return [n, 0.01, 0.99, 1e-8, 0, 0.9, 1, f(n), f(n), f(n), f(n), f(n)];
    case 'adam_step_f32': return [n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001, f(n), f(n), f(n), f(n), f(n)];
    case 'batch_norm_train_f32': return [m, n, k, 1e-5, 0.1, f(m * n * k), f(n), f(n), f(n), f(n), f(m * n * k), f(n), f(n)];
    case 'batch_norm_eval_f32': return [m, n, k, 1e-5, f(m * n * k), f(n), f(n), f(n), f(n), f(m * n * k), f(n), f(n)];
    case 'batch_norm_bwd_f32': return [m, n, k, 1, 1, f(m * n * k), f(m * n * k), f(n), f(n), f(n), f(m * n * k), f(n), f(n)];
    case 'dropout_fwd_f32': return [n, 7, 1 << 23, 2, f(n), f(n), f(n)];
    case 'conv2d_fwd_f32': return [...CONV, f(100), f(36), f(2), f(450), f(100)];
    case 'conv2d_bwd_data_f32': return [...CONV, f(100), f(36), f(450), f(100)];
    case 'conv2d_bwd_filter_f32': return [...CONV, 0, f(100), f(100), f(450), f(36), f(2)];
    case 'max_pool2d_fwd_f32': return [...POOL, f(50), f(8), arena.i32View(8)];
    case 'max_pool2d_bwd_f32': return [2, 5, 5, 2, 2, f(8), arena.i32View(8, 24), f(50)];
    case 'avg_pool2d_fwd_f32': case 'avg_pool2d_bwd_f32': return [...POOL, 1, f(name === 'avg_pool2d_fwd_f32' ? 50 : 8), f(name === 'avg_pool2d_fwd_f32' ? 8 : 50)];
    default: {
      // elementwise kernels and sgd/momentum/adagrad: one size, scalars, flags, then n-long arrays
      return KERNELS[name].kinds.map((kind) => (kind === 'size' ? n : kind === 'scalar' ? 0.5 : kind === 'flag' ? 1 : f(n)));
    }
  }
}

function expectThrows(fn: () => unknown, type: typeof TypeError | typeof RangeError, pattern: RegExp, context: string) {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type) || !pattern.test((error as Error).message)) {
      throw new Error(`${context}: expected ${type.name} matching ${pattern}, got ${error}`);
    }
    return;
  }
  throw new Error(`${context}: expected ${type.name}, but the call returned`);
}

describe('native addon boundary', () => {
  const call = (name: string, args: unknown[]) => (addon![name] as (...a: unknown[]) => unknown)(...args);

  it('accepts the valid calls used below and keeps guard zones intact', () => {
    for (const name of names) {
      const arena = new Arena();
      call(name, validArgs(name, arena));
      arena.check(name);
    }
  });

  it('rejects a wrong argument count with a TypeError', () => {
    for (const name of names) {
      const args = validArgs(name, new Arena());
      expectThrows(() => call(name, args.slice(0, -1)), TypeError, new RegExp(`^${name}: expected ${args.length} arguments, received ${args.length - 1}$`), name);
      expectThrows(() => call(name, [...args, 0]), TypeError, /arguments/, name);
    }
  });

  it('rejects wrong types for every argument with a TypeError naming it', () => {
    const wrong: unknown[] = ['3', undefined, null, {}, [1, 2], 1n, true];
    for (const name of names) {
      const kinds = KERNELS[name].kinds;
      kinds.forEach((kind: ArgKind, i) => {
        const bad: unknown[] = kind === 'f32' ? [new Float64Array(64), new Int32Array(64), 1, undefined, [0.5]] : kind === 'i32' ? [new Float32Array(8), new Uint32Array(8), 0] : wrong;
        for (const value of bad) {
          const args = validArgs(name, new Arena());
          args[i] = value;
          expectThrows(() => call(name, args), TypeError, new RegExp(`^${name}: expected \\w+ to be`), `${name} argument ${i} = ${String(value)}`);
        }
      });
    }
  });

  it('rejects sizes that are negative, fractional, NaN or too large, and flags other than 0 and 1', () => {
    for (const name of names) {
      KERNELS[name].kinds.forEach((kind, i) => {
        if (kind !== 'size' && kind !== 'flag') return;
        const values = kind === 'size' ? [-1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53] : [2, -1, 0.5, NaN];
        for (const value of values) {
          const args = validArgs(name, new Arena());
          args[i] = value;
          expectThrows(() => call(name, args), RangeError, kind === 'size' ? /expected \w+ to be an integer in \[0, 2147483647\]/ : /to be 0 or 1/, `${name} argument ${i} = ${value}`);
        }
      });
    }
  });

  it('rejects every size that no longer fits its buffers, with the product in the message', () => {
    for (const name of names) {
      // Sizes that grow no length rule (strides, padding, dilations, dropout's seed) have nothing to exceed.
      KERNELS[name].kinds.forEach((kind, i) => {
        if (kind !== 'size' || !grows(name, KERNELS[name].args[i].name)) return;
        for (const grow of [1, 1000, 2 ** 31 - 1]) {
          const arena = new Arena();
          const args = validArgs(name, arena);
          args[i] = grow === 2 ** 31 - 1 ? grow : (args[i] as number) + grow;
          expectThrows(() => call(name, args), RangeError, /= \d+ exceeds \w+\.length \d+/, `${name} size ${i} + ${grow}`);
          arena.check(`${name} size ${i}`);
        }
      });
    }
    // the exact message of CONTRIBUTING.md §3
    const a = new Float32Array(1000), b = new Float32Array(1024), c = new Float32Array(1024);
    expectThrows(() => addon!.gemm_f32 && call('gemm_f32', [0, 0, 32, 32, 32, 1, a, b, 0, c]), RangeError, /^gemm_f32: m·k = 1024 exceeds a\.length 1000$/, 'gemm message');
  });

  it('rejects buffers one element too short (also as offset views), and accepts length 0 only where optional', () => {
    for (const name of names) {
      KERNELS[name].kinds.forEach((kind, i) => {
        if (kind !== 'f32') return;
        const arena = new Arena();
        const args = validArgs(name, arena);
        const full = args[i] as Float32Array;
        args[i] = full.subarray(1); // shorter by one, byteOffset 4 further
        expectThrows(() => call(name, args), RangeError, /exceeds/, `${name} argument ${i} short`);
        args[i] = new Float32Array(0);
        const optional = KERNELS[name].args[i].optional === true;
        if (optional) call(name, args);
        else expectThrows(() => call(name, args), RangeError, /exceeds \w+\.length 0/, `${name} argument ${i} empty`);
        arena.check(name);
      });
    }
    // rmsprop: buf is needed only when mu > 0, gavg only when centered
    const arena = new Arena();
    const args = validArgs('rmsprop_step_f32', arena);
    args[5] = 0, args[6] = 0, args[10] = new Float32Array(0), args[11] = new Float32Array(0);
    call('rmsprop_step_f32', args);
    args[5] = 0.9;
    expectThrows(() => call('rmsprop_step_f32', args), RangeError, /n \(mu > 0\) = 5 exceeds buf\.length 0/, 'rmsprop buf');
    args[5] = 0, args[6] = 1;
    expectThrows(() => call('rmsprop_step_f32', args), RangeError, /n \(centered\) = 5 exceeds gavg\.length 0/, 'rmsprop gavg');
    arena.check('rmsprop');
  });

  it('rejects labels outside [0, n) before touching memory', () => {
    for (const label of [-1, 5, 2 ** 31 - 1, -(2 ** 31)]) {
      const arena = new Arena();
      const args = validArgs('softmax_xent_f32', arena);
      (args[4] as Int32Array)[1] = label;
      expectThrows(() => call('softmax_xent_f32', args), RangeError, new RegExp(`labels\\[1\\] in \\[0, 5\\), received ${label}`), `label ${label}`);
      arena.check('softmax_xent_f32 labels');
    }
  });

  it('honours byteOffset: a kernel on views into a shared buffer equals the kernel on fresh copies', () => {
    const r = rng(5);
    const arena = new Float32Array(1000);
    for (let i = 0; i < arena.length; i++) arena[i] = r.normal();
    const a = arena.subarray(3, 3 + 6 * 7), b = arena.subarray(101, 101 + 7 * 9), c = arena.subarray(517, 517 + 6 * 9);
    const a2 = a.slice(), b2 = b.slice(), c2 = new Float32Array(6 * 9);
    call('gemm_f32', [0, 0, 6, 9, 7, 1, a, b, 0, c]);
    call('gemm_f32', [0, 0, 6, 9, 7, 1, a2, b2, 0, c2]);
    expect(Array.from(c)).toEqual(Array.from(c2));
  });

  it('survives a seeded fuzz of random arguments: in-bounds run or TypeError/RangeError, guards intact', () => {
    const r = rng(2024);
    const pick = <T,>(xs: T[]) => xs[r.int(xs.length)];
    let ran = 0, threw = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const name = pick(names);
      const arena = new Arena();
      const args = KERNELS[name].kinds.map((kind): unknown => {
        const u = r.uniform();
        if (u < 0.03) return pick<unknown>(['x', undefined, null, {}, -1, NaN, 1n, new Float64Array(4)]);
        switch (kind) {
          case 'size': return r.int(9);
          case 'flag': return u < 0.06 ? 2 : r.int(2);
          case 'scalar': return pick([0, 0.5, 1, -1, NaN, Infinity, 1e30]);
          case 'f32': return arena.f32View(r.int(50), () => r.normal() * 3);
          case 'i32': return arena.i32View(r.int(10), r.int(10) - 1);
        }
      });
      if (r.uniform() < 0.05) args.pop();
      try {
        call(name, args);
        ran++;
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof RangeError)) throw new Error(`${name}: unexpected ${error}`);
        threw++;
      }
      arena.check(`fuzz ${iter} ${name}(${args.map((a) => (ArrayBuffer.isView(a) ? `${a.constructor.name}(${(a as Float32Array).length})` : String(a))).join(', ')})`);
    }
    expect(ran).toBeGreaterThan(100);
    expect(threw).toBeGreaterThan(100);
  });
});
