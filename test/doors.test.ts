/**
 * The kernel doors, tested from the kernel table: the addon (anyone can require the .node file), the native adapter
 * over it, and the wasm adapter (its checks are all that guards linear memory). Every kernel of KERNELS, every
 * argument: valid calls built from the length rules run; wrong counts and types are TypeError (ERR_DTYPE); bad
 * sizes, short arrays and out-of-range values are RangeError (ERR_SHAPE), bad flags ERR_OPTION, each with the
 * message the table predicts, the same on every door; a seeded fuzz gets the same outcome on every door. Every
 * buffer sits between guard zones that must stay untouched. Out-of-range reads are caught by the ASan build
 * (`npm run test:sanitize` runs this file too). A kernel added to the table is covered without new code here.
 */
import { describe, expect, it } from 'vitest';
import { heapF32, heapI32 } from '../src/buffers.js';
import { loadAddon } from '../src/backends/native.js';
import { evaluate, holds, KERNELS, type ArgSpec, type KernelName } from '../src/kernels.js';
import { loadBackend } from '../src/index.js';
import { rng } from './helpers.js';

type Rng = ReturnType<typeof rng>;
const names = Object.keys(KERNELS) as KernelName[];
const GUARD = 16, F_SENTINEL = -12345.5, I_SENTINEL = -7;
const F_WORDS = 1 << 17, I_WORDS = 1 << 14;

/** How a door takes arrays, and which wrong values stand in for an array on it. */
interface Door {
  name: string;
  call(kernel: KernelName, args: unknown[]): unknown;
  /** Fresh guarded memory of this door (all sentinels). */
  memory(): { f32: Float32Array; i32: Int32Array };
  wrap(view: Float32Array | Int32Array): unknown;
  badArrays(kind: 'f32' | 'i32'): unknown[];
  /** Whether a call with one argument too many is rejected (the adapters ignore extra arguments, as JS does). */
  countsArguments: boolean;
}

const addon = loadAddon();
const native = await loadBackend('native');
const wasm = await loadBackend('wasm');
const heapMemory = () => ({ f32: new Float32Array(F_WORDS).fill(F_SENTINEL), i32: new Int32Array(I_WORDS).fill(I_SENTINEL) });
const wasmF = wasm.alloc(F_WORDS), wasmI = wasm.allocI32(I_WORDS);

const DOORS: Door[] = [
  {
    name: 'addon',
    call: (k, args) => (addon[k] as (...a: unknown[]) => unknown)(...args),
    memory: heapMemory,
    wrap: (v) => v,
    badArrays: (kind) => (kind === 'f32' ? [new Float64Array(64), new Int32Array(64), 1, undefined, [0.5]] : [new Float32Array(8), new Uint32Array(8), 0]),
    countsArguments: true,
  },
  {
    name: 'native adapter',
    call: (k, args) => (native.k[k] as (...a: unknown[]) => unknown)(...args),
    memory: heapMemory,
    wrap: (v) => (v instanceof Int32Array ? heapI32(v) : heapF32(v)),
    badArrays: (kind) => [{ length: 64, data: new Float64Array(64) }, kind === 'f32' ? heapI32(new Int32Array(64)) : heapF32(new Float32Array(64)), 1, undefined, null],
    countsArguments: false,
  },
  {
    name: 'wasm adapter',
    call: (k, args) => (wasm.k[k] as (...a: unknown[]) => unknown)(...args),
    memory: () => ({ f32: wasmF.data.fill(F_SENTINEL), i32: wasmI.data.fill(I_SENTINEL) }),
    wrap: (v) => (v instanceof Int32Array ? wasm.viewI32(v) : wasm.view(v)),
    badArrays: (kind) => [{ length: 64, data: new Float64Array(64) }, kind === 'f32' ? wasm.allocI32(64) : wasm.alloc(64), 1, undefined, null, new Float32Array(64)],
    countsArguments: false,
  },
];

/** Buffers carved out of one guarded memory, so any write outside a view lands in a guard zone. */
class Arena {
  private f = GUARD;
  private i = GUARD;
  private spans: { f32: boolean; lo: number; hi: number }[] = [];
  readonly mem: { f32: Float32Array; i32: Int32Array };
  constructor(readonly door: Door) {
    this.mem = door.memory();
  }
  f32(n: number, fill: (j: number) => number): Float32Array {
    const v = this.mem.f32.subarray(this.f, this.f + n);
    for (let j = 0; j < n; j++) v[j] = fill(j);
    this.spans.push({ f32: true, lo: this.f, hi: this.f + n });
    this.f += n + GUARD;
    return v;
  }
  i32(n: number, fill: (j: number) => number): Int32Array {
    const v = this.mem.i32.subarray(this.i, this.i + n);
    for (let j = 0; j < n; j++) v[j] = fill(j);
    this.spans.push({ f32: false, lo: this.i, hi: this.i + n });
    this.i += n + GUARD;
    return v;
  }
  /** Guard zones still hold their sentinels (memory is re-read: wasm views may have been rebuilt). */
  check(context: string): void {
    const { f32, i32 } = this.door.memory === heapMemory ? this.mem : { f32: wasmF.data, i32: wasmI.data };
    for (const [isF, words, sentinel] of [[true, f32, F_SENTINEL], [false, i32, I_SENTINEL]] as const) {
      let lo = 0;
      const spans = [...this.spans.filter((s) => s.f32 === isF), { lo: isF ? this.f : this.i, hi: words.length }];
      for (const s of spans) {
        for (let j = lo; j < s.lo; j++) if (words[j] !== sentinel) throw new Error(`${this.door.name} ${context}: ${isF ? 'f32' : 'i32'} guard at ${j} overwritten with ${words[j]}`);
        lo = s.hi;
      }
    }
  }
}

/** One call: the numbers and the raw arrays (what the oracle reads), and the arguments as this door takes them. */
interface Call {
  kernel: KernelName;
  raw: (number | Float32Array | Int32Array)[];
}

const argsOf = (door: Door, call: Call): unknown[] => call.raw.map((x) => (typeof x === 'number' ? x : door.wrap(x)));
const numbersOf = (raw: unknown[]): number[] => raw.map((x) => (typeof x === 'number' ? x : 0));
const present = (a: ArgSpec, nums: number[], length: number) => !(a.whenCond && !holds(a.whenCond, nums)) && !(a.optional && length === 0);

/** A valid call: sizes from `size(arg)`, every array exactly as long as its rule asks, int32 values in range. */
function validCall(kernel: KernelName, arena: Arena, r: Rng, size: (a: ArgSpec) => number = (a) => Math.max(a.min ?? 0, 1 + r.int(4))): Call {
  const spec = KERNELS[kernel];
  const nums = spec.args.map((a) => (a.kind === 'size' ? size(a) : a.kind === 'flag' ? r.int(2) : a.kind === 'scalar' ? 0.5 : 0));
  const raw = spec.args.map((a, i): number | Float32Array | Int32Array => {
    if (!a.lenExpr) return nums[i];
    const len = evaluate(a.lenExpr.code, nums);
    if (a.kind === 'f32') return arena.f32(len, () => r.normal());
    const bound = a.valuesExpr ? evaluate(a.valuesExpr.code, nums) : 1;
    return arena.i32(len, () => r.int(Math.max(bound, 1)));
  });
  return { kernel, raw };
}

/**
 * What the door must report first for a call whose types are right: the first size or flag out of range, then the
 * first present array shorter than its rule, then the first int32 value out of its range; null when the call is valid.
 */
function predict(call: Call): { type: typeof RangeError; code: string; message: string } | null {
  const spec = KERNELS[call.kernel], nums = numbersOf(call.raw), k = call.kernel;
  for (const [i, a] of spec.args.entries()) {
    const x = nums[i];
    if (a.kind === 'size' && !(Number.isInteger(x) && x >= (a.min ?? 0) && x <= 2 ** 31 - 1)) {
      return { type: RangeError, code: 'ERR_SHAPE', message: `${k}: expected ${a.name} to be an integer in [${a.min ?? 0}, 2147483647], received ${x}` };
    }
    if (a.kind === 'flag' && x !== 0 && x !== 1) return { type: RangeError, code: 'ERR_OPTION', message: `${k}: expected ${a.name} to be 0 or 1, received ${x}` };
  }
  for (const [i, a] of spec.args.entries()) {
    const arr = call.raw[i] as Float32Array;
    if (!a.lenExpr || !present(a, nums, arr.length)) continue;
    const need = evaluate(a.lenExpr.code, nums);
    if (need > arr.length) {
      const what = a.lenExpr.text + (a.whenCond ? ` (${a.whenCond.text})` : '');
      return { type: RangeError, code: 'ERR_SHAPE', message: `${k}: ${what} = ${need} exceeds ${a.name}.length ${arr.length}` };
    }
  }
  for (const [i, a] of spec.args.entries()) {
    const arr = call.raw[i] as Int32Array;
    if (!a.valuesExpr || !present(a, nums, arr.length)) continue;
    const bound = evaluate(a.valuesExpr.code, nums), count = evaluate(a.lenExpr!.code, nums);
    for (let e = 0; e < count; e++) {
      if (arr[e] < 0 || arr[e] >= bound) return { type: RangeError, code: 'ERR_SHAPE', message: `${k}: expected ${a.name}[${e}] in [0, ${bound}), received ${arr[e]}` };
    }
  }
  return null;
}

function outcome(fn: () => unknown): { error: unknown } | null {
  try {
    fn();
    return null;
  } catch (error) {
    return { error };
  }
}

/** The call throws exactly what the oracle predicts, or runs when it predicts nothing; guards stay intact. */
function expectPredicted(door: Door, arena: Arena, call: Call, context: string): void {
  const want = predict(call);
  const got = outcome(() => door.call(call.kernel, argsOf(door, call)));
  if (want === null) {
    if (got) throw new Error(`${door.name} ${context}: expected the call to run, got ${got.error}`);
  } else {
    const e = got?.error as (Error & { code?: string }) | undefined;
    const code = e?.code;
    if (!(e instanceof want.type) || code !== want.code || e.message !== want.message) {
      throw new Error(`${door.name} ${context}: expected ${want.type.name} ${want.code} '${want.message}', got ${e ? `${e.constructor.name} ${e.code} '${e.message}'` : 'no error'}`);
    }
  }
  arena.check(context);
}

function expectTypeError(door: Door, fn: () => unknown, pattern: RegExp, context: string): void {
  const e = outcome(fn)?.error as (Error & { code?: string }) | undefined;
  const code = e?.code;
  if (!(e instanceof TypeError) || code !== 'ERR_DTYPE' || !pattern.test(e.message)) {
    throw new Error(`${door.name} ${context}: expected TypeError ERR_DTYPE matching ${pattern}, got ${e ? `${e.constructor.name} ${e.code} '${e.message}'` : 'no error'}`);
  }
}

describe.each(DOORS.map((d) => [d.name, d] as const))('kernel door: %s', (_name, door) => {
  it('runs valid calls built from the table and leaves guard zones intact', () => {
    const r = rng(11);
    for (const kernel of names) {
      for (let rep = 0; rep < 4; rep++) {
        const arena = new Arena(door);
        const call = validCall(kernel, arena, r);
        expect(predict(call), kernel).toBeNull();
        expectPredicted(door, arena, call, `${kernel} valid #${rep}`);
      }
    }
  });

  it('rejects a wrong argument count with TypeError ERR_DTYPE', () => {
    const r = rng(12);
    for (const kernel of names) {
      const arena = new Arena(door);
      const args = argsOf(door, validCall(kernel, arena, r));
      const n = args.length;
      expectTypeError(door, () => door.call(kernel, args.slice(0, -1)), door.countsArguments ? new RegExp(`^${kernel}: expected ${n} arguments, received ${n - 1}$`) : new RegExp(`^${kernel}: expected`), `${kernel} ${n - 1} arguments`);
      if (door.countsArguments) expectTypeError(door, () => door.call(kernel, [...args, 0]), /arguments/, `${kernel} ${n + 1} arguments`);
      arena.check(kernel);
    }
  });

  it('rejects a wrong type for every argument with TypeError ERR_DTYPE naming it', () => {
    const r = rng(13);
    const notNumbers: unknown[] = ['3', undefined, null, {}, [1, 2], 1n, true];
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        const bad = a.kind === 'f32' || a.kind === 'i32' ? door.badArrays(a.kind) : notNumbers;
        for (const value of bad) {
          const arena = new Arena(door);
          const args = argsOf(door, validCall(kernel, arena, r));
          args[i] = value;
          expectTypeError(door, () => door.call(kernel, args), new RegExp(`^${kernel}: expected ${a.name} to be`), `${kernel}.${a.name} = ${String(value)}`);
          arena.check(kernel);
        }
      });
    }
  });

  it('rejects sizes outside [min, 2³¹ − 1] and flags other than 0 and 1, in the same words as the other doors', () => {
    const r = rng(14);
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        if (a.kind !== 'size' && a.kind !== 'flag') return;
        const values = a.kind === 'size' ? [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300, (a.min ?? 0) - 1] : [2, -1, 0.5, NaN, 1e-300];
        for (const value of values) {
          const arena = new Arena(door);
          const call = validCall(kernel, arena, r);
          call.raw[i] = value;
          expect(predict(call), `${kernel}.${a.name} = ${value}`).not.toBeNull();
          expectPredicted(door, arena, call, `${kernel}.${a.name} = ${value}`);
        }
      });
    }
  });

  it('rejects sizes that no longer fit their arrays with the product the table names (and runs when none is violated)', () => {
    const r = rng(15);
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        if (a.kind !== 'size') return;
        for (const grow of [1, 1000, 2 ** 31 - 1]) {
          const arena = new Arena(door);
          const call = validCall(kernel, arena, r);
          call.raw[i] = grow === 2 ** 31 - 1 ? grow : (call.raw[i] as number) + grow;
          // A huge size that no rule bounds (a stride, padding, groups) is valid, but may cost a loop of 2³¹ steps.
          if (grow === 2 ** 31 - 1 && predict(call) === null) continue;
          expectPredicted(door, arena, call, `${kernel}.${a.name} grown by ${grow}`);
        }
      });
    }
    const arena = new Arena(door);
    const f = (n: number) => door.wrap(arena.f32(n, () => 1));
    const e = outcome(() => door.call('gemm_f32', [0, 0, 32, 32, 32, 1, f(1000), f(1024), 0, f(1024)]))?.error as Error & { code?: string };
    expect(e).toBeInstanceOf(RangeError);
    expect(e).toMatchObject({ code: 'ERR_SHAPE', message: 'gemm_f32: m·k = 1024 exceeds a.length 1000' });
  });

  it('rejects arrays one element short (offset views too), and takes length 0 exactly where optional or absent', () => {
    const r = rng(16);
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        if (!a.lenExpr) return;
        for (const variant of ['short', 'empty'] as const) {
          const arena = new Arena(door);
          const call = validCall(kernel, arena, r);
          const full = call.raw[i] as Float32Array | Int32Array;
          call.raw[i] = variant === 'short' ? full.subarray(1) : full.subarray(0, 0);
          expectPredicted(door, arena, call, `${kernel}.${a.name} ${variant}`);
        }
      });
    }
  });

  it('reads a conditional array only when its condition holds', () => {
    const r = rng(17);
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        const cond = a.whenCond;
        if (!cond) return;
        for (const on of [true, false]) {
          const arena = new Arena(door);
          const call = validCall(kernel, arena, r);
          call.raw[cond.index] = cond.test === 'positive' ? (on ? 0.5 : 0) : on === (cond.test === 'set') ? 1 : 0;
          call.raw[i] = (call.raw[i] as Float32Array).subarray(0, 0);
          expect(predict(call) !== null, `${kernel}.${a.name} ${on}`).toBe(on);
          expectPredicted(door, arena, call, `${kernel}.${a.name} with ${cond.text} ${on ? 'true' : 'false'}`);
        }
      });
    }
  });

  it('rejects int32 values outside their range before the kernel indexes with them', () => {
    const r = rng(18);
    for (const kernel of names) {
      KERNELS[kernel].args.forEach((a, i) => {
        if (!a.valuesExpr) return;
        for (const which of ['negative', 'bound', 'max', 'min']) {
          const arena = new Arena(door);
          const call = validCall(kernel, arena, r, (s) => Math.max(s.min ?? 0, 2));
          const bound = evaluate(a.valuesExpr.code, numbersOf(call.raw));
          const value = { negative: -1, bound, max: 2 ** 31 - 1, min: -(2 ** 31) }[which]!;
          const arr = call.raw[i] as Int32Array;
          arr[arr.length - 1] = value;
          expect(predict(call), `${kernel}.${a.name} = ${value}`).not.toBeNull();
          expectPredicted(door, arena, call, `${kernel}.${a.name}[last] = ${value}`);
        }
      });
    }
  });
});

describe('all kernel doors', () => {
  it('agree on a seeded fuzz of random arguments: the same outcome everywhere, guards intact', () => {
    const r = rng(2024);
    const pick = <T,>(xs: T[]) => xs[r.int(xs.length)];
    let ran = 0, threw = 0;
    for (let iter = 0; iter < 1500; iter++) {
      const kernel = pick(names);
      const spec = KERNELS[kernel];
      // One recipe, materialized in every door's memory at the same offsets.
      const recipe = spec.args.map((a) => {
        const u = r.uniform();
        if (u < 0.03) return { junk: pick<unknown>(['x', undefined, null, {}, -1, NaN, 1n]) };
        switch (a.kind) {
          case 'size': return { n: r.uniform() < 0.02 ? pick([-1, 1.5, 2 ** 31]) : r.int(9) };
          case 'flag': return { n: u < 0.06 ? 2 : r.int(2) };
          case 'scalar': return { n: pick([0, 0.5, 1, -1, NaN, Infinity, 1e30]) };
          default: return { len: r.int(60), fill: r.int(10) - 1, seed: r.int(1e6) };
        }
      });
      const drop = r.uniform() < 0.05;
      const results = DOORS.map((door) => {
        const arena = new Arena(door);
        const args = spec.args.map((a, i) => {
          const x = recipe[i];
          if ('junk' in x) return x.junk;
          if ('n' in x) return x.n;
          const g = rng(x.seed);
          return door.wrap(a.kind === 'f32' ? arena.f32(x.len, () => 3 * g.normal()) : arena.i32(x.len, () => x.fill));
        });
        if (drop) args.pop();
        const got = outcome(() => door.call(kernel, args));
        arena.check(`fuzz ${iter} ${kernel}`);
        const e = got?.error as (Error & { code?: string }) | undefined;
        if (e && !(e instanceof TypeError || e instanceof RangeError)) throw new Error(`${door.name} ${kernel}: unexpected ${e}`);
        // The addon counts arguments first, the adapters find the missing one; so a short call only has to fail.
        // Type errors describe the wrong value in each door's own terms; everything else must be word for word.
        if (drop) return e ? 'threw' : 'ran';
        return e ? `${e.constructor.name} ${e.code} ${e.code === 'ERR_DTYPE' ? '' : e.message}` : 'ran';
      });
      expect(new Set(results).size, `fuzz ${iter} ${kernel}: ${DOORS.map((d, j) => `${d.name}: ${results[j]}`).join(' | ')}`).toBe(1);
      if (results[0] === 'ran') ran++;
      else threw++;
    }
    expect(ran).toBeGreaterThan(100);
    expect(threw).toBeGreaterThan(100);
  });

  it('addon: honours byteOffset (views into a shared buffer equal fresh copies)', () => {
    const r = rng(5);
    const arena = new Float32Array(1000);
    for (let i = 0; i < arena.length; i++) arena[i] = r.normal();
    const a = arena.subarray(3, 3 + 6 * 7), b = arena.subarray(101, 101 + 7 * 9), c = arena.subarray(517, 517 + 6 * 9);
    const a2 = a.slice(), b2 = b.slice(), c2 = new Float32Array(6 * 9);
    (addon.gemm_f32 as (...x: unknown[]) => void)(0, 0, 6, 9, 7, 1, a, b, 0, c);
    (addon.gemm_f32 as (...x: unknown[]) => void)(0, 0, 6, 9, 7, 1, a2, b2, 0, c2);
    expect(Array.from(c)).toEqual(Array.from(c2));
  });

  it('wasm adapter: arrays of another backend are staged for the call and written back', () => {
    const r = rng(6);
    for (const kernel of names) {
      const heapArena = new Arena(DOORS[0]);
      const call = validCall(kernel, heapArena, r);
      const before = call.raw.map((x) => (typeof x === 'number' ? x : x.slice()));
      // The same call on buffers of the wasm module, for reference.
      const own = call.raw.map((x, i) => (typeof x === 'number' ? x : x instanceof Int32Array ? wasm.viewI32(wasmI.data.subarray(256 * i, 256 * i + x.length)) : wasm.view(wasmF.data.subarray(2048 * i, 2048 * i + x.length))));
      own.forEach((h, i) => typeof h !== 'number' && (h as { data: Float32Array }).data.set(before[i] as Float32Array));
      (wasm.k[kernel] as (...a: unknown[]) => void)(...own);
      (wasm.k[kernel] as (...a: unknown[]) => void)(...call.raw.map((x) => (typeof x === 'number' ? x : x instanceof Int32Array ? heapI32(x) : heapF32(x))));
      call.raw.forEach((x, i) => {
        if (typeof x !== 'number') expect(Array.from(x), `${kernel} argument ${i}`).toEqual(Array.from((own[i] as { data: Float32Array }).data));
      });
      heapArena.check(`${kernel} staged`);
    }
  });
});
