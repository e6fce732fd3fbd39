/**
 * The wasm backend: the AssemblyScript kernels of assembly/ compiled to WebAssembly SIMD (dist/wasm/descent.wasm,
 * plus descent-relaxed.wasm with fused multiply-add where the engine validates relaxed SIMD). Buffers live in the
 * module's linear memory and kernels receive byte pointers, so no call copies an array. Memory growth detaches
 * every view, so handles rebuild theirs on each `.data` read when `memory.buffer` has changed. The adapter is
 * the module's public door: it checks every length against the sizes given (a few compares per call) so no call
 * reads or writes outside its buffers. Where SharedArrayBuffer and cross-origin isolation exist (Node always;
 * browsers when `crossOriginIsolated`, in a Web Worker), the threaded build (descent-threads.wasm,
 * descent-relaxed-threads.wasm) splits large kernels over workers (wasm-threads.ts); elsewhere the single-threaded
 * module runs, and `detail` says why. No static import of Node modules: this file must bundle for browsers.
 */
import type { F32Buf, I32Buf } from '../buffers.js';
import { backendError, dtypeError, optionError, stateError, withCode } from '../errors.js';
import { KERNELS, type KernelName, type Kernels } from '../kernels.js';
import { maybeBuiltin } from '../node.js';
import { wasmKernels, type WasmDoorChecks } from './kernels.gen.js';
import type { BackendLoader } from './registry.js';
import type { Backend } from './types.js';
import { memoryError } from '../errors.js';
import { checkAllocSize } from './memory.js';
import { copyStaticData, defaultThreads, importsMemory, sharedMemory, threadsUnavailable, WasmTeam } from './wasm-threads.js';
import { onThreadsChange, reportWasmThreads, requestedThreads } from './threads.js';

type Kernel = (...args: number[]) => void;
type WasmExports = {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  /** 1 when any of `n` int32 values at `ptr` is ≥ `limit` as unsigned (absent from modules built before it). */
  any_at_least?(ptr: number, n: number, limit: number): number;
  threads_init(threads: number): number;
  threads_started(): number;
  _initialize?(): void;
} & Record<KernelName, Kernel>;

/** The wasm backend as loaded here: a Backend plus its memory (tests and diagnostics read its size). */
export interface WasmBackend extends Backend {
  readonly memory: WebAssembly.Memory;
  /** Whether this module uses relaxed SIMD (fused multiply-add). */
  readonly relaxed: boolean;
  /** Threads its kernels split over (1 for the single-threaded module). */
  readonly threads: number;
  /** Whether this is the threaded module (shared memory, a team of workers). */
  readonly threaded: boolean;
  /**
   * Workers of the team running now: they start asynchronously after `loadBackend()` or `setThreads()`, and until
   * they do, kernels run their share on the threads already there (same results, less speed).
   */
  readonly workersRunning: number;
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

/**
 * Where the module sits in the published package (dist/src/backends → dist/wasm), written as literal
 * `new URL(…, import.meta.url)` so bundlers that understand the pattern (Vite, webpack, Parcel) copy the file.
 * Tests that import the sources map this path to dist/wasm (test/vitest.config.ts).
 */
function defaultUrl(relaxed: boolean, threaded: boolean): URL {
  if (threaded) return relaxed ? new URL('../../wasm/descent-relaxed-threads.wasm', import.meta.url) : new URL('../../wasm/descent-threads.wasm', import.meta.url);
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
    this.i32 = (Type as unknown) === Int32Array;
  }

  /** Whether this is an I32Buf (the kernel doors check array types without touching the view). */
  readonly i32: boolean;

  get data(): T {
    if (this.ptr < 0) throw withCode(new Error('wasm: buffer used after free'), 'ERR_STATE');
    const buffer = this.owner.memory.buffer;
    if (this.#view.buffer !== buffer) this.#view = new this.Type(buffer, this.ptr, this.length);
    return this.#view;
  }
}

type F32Handle = WasmBuf<Float32Array>;
type I32Handle = WasmBuf<Int32Array>;

function badSize(call: string, name: string, x: unknown, min: number): never {
  if (typeof x !== 'number') throw dtypeError(call, name, 'a number', x);
  throw withCode(new RangeError(`${call}: expected ${name} to be an integer in [${min}, 2147483647], received ${x}`), 'ERR_SHAPE');
}

/**
 * One module instance and its kernel door checks (kernels.gen.ts calls these in the addon's order: every argument's
 * type and range, then length rules, then int32 values, then pointers). Messages and codes are the addon's, so both
 * doors report the same first error for the same bad call.
 */
class WasmModule implements WasmDoorChecks {
  readonly memory: WebAssembly.Memory;
  readonly ex: WasmExports;
  /** Arrays from elsewhere (js heap arrays) copied in for one call, copied back after it. */
  private staged: { data: Float32Array | Int32Array; ptr: number }[] | null = null;
  #words: Int32Array;

  constructor(instance: WebAssembly.Instance) {
    this.ex = instance.exports as unknown as WasmExports;
    this.memory = this.ex.memory;
    this.#words = new Int32Array(this.memory.buffer);
  }

  /** All of linear memory as int32 words (rebuilt after growth). */
  get words(): Int32Array {
    if (this.#words.buffer !== this.memory.buffer) this.#words = new Int32Array(this.memory.buffer);
    return this.#words;
  }

  alloc(call: string, n: number): number {
    // The module's allocator (TLSF) serves blocks below 1 GiB (the limit every backend shares); checking here
    // also keeps n·4 inside an i32.
    checkAllocSize(call, n);
    try {
      return this.ex.alloc(n * 4) >>> 0;
    } catch (error) {
      // memory.grow failed inside the allocator (the 4 GiB address space or the engine's limit is reached).
      throw memoryError(call, `cannot allocate ${n} elements (${n * 4} bytes): the wasm heap is exhausted at ${this.memory.buffer.byteLength} bytes (${messageOf(error)}); dispose() unused models, trainers and optimizers`);
    }
  }

  // Each check is one comparison on the fast path; the wording of a failure is built out of line.
  size(call: string, name: string, x: number, min: number): void {
    if (typeof x !== 'number' || (x | 0) !== x || x < min) badSize(call, name, x, min);
  }

  flag(call: string, name: string, x: number): void {
    if (x !== 0 && x !== 1) {
      if (typeof x !== 'number') throw dtypeError(call, name, 'a number', x);
      throw withCode(new RangeError(`${call}: expected ${name} to be 0 or 1, received ${x}`), 'ERR_OPTION');
    }
  }

  scalar(call: string, name: string, x: number): void {
    if (typeof x !== 'number') throw dtypeError(call, name, 'a number', x);
  }

  f32(call: string, name: string, buf: F32Buf): number {
    return buf instanceof WasmBuf && buf.owner === this && !buf.i32 && buf.ptr >= 0 ? buf.length : this.other(call, name, buf, false);
  }

  i32(call: string, name: string, buf: I32Buf): number {
    return buf instanceof WasmBuf && buf.owner === this && buf.i32 && buf.ptr >= 0 ? buf.length : this.other(call, name, buf, true);
  }

  /** A freed buffer of this module, one of the wrong type, or a handle of another backend over the right array. */
  private other(call: string, name: string, buf: F32Buf | I32Buf, i32: boolean): number {
    if (buf instanceof WasmBuf && buf.owner === this && buf.i32 === i32) throw stateError(call, `${name} was freed`);
    const data = buf !== null && typeof buf === 'object' ? (buf as { data?: unknown }).data : undefined;
    if (!(i32 ? data instanceof Int32Array : data instanceof Float32Array)) {
      throw dtypeError(call, name, i32 ? 'an I32Buf over an Int32Array' : 'an F32Buf over a Float32Array', data ?? buf);
    }
    return (data as Float32Array | Int32Array).length;
  }

  fits(call: string, what: string, need: number, name: string, have: number): void {
    if (need > have) throw withCode(new RangeError(`${call}: ${what} = ${need} exceeds ${name}.length ${have}`), 'ERR_SHAPE');
  }

  /** Every one of the first `count` values in `[0, bound)`: one pass, before the kernel can index with them. */
  values(call: string, name: string, buf: I32Buf, count: number, bound: number): void {
    const own = buf instanceof WasmBuf && buf.owner === this;
    // Buffers of this module are scanned inside it (vector compares); only a failure is located here.
    if (own && this.ex.any_at_least && this.ex.any_at_least(buf.ptr, count, Math.min(bound, 2 ** 31)) === 0) return;
    const words = own ? this.words : buf.data, base = own ? buf.ptr >>> 2 : 0;
    for (let i = 0; i < count; i++) {
      const v = words[base + i];
      if (v < 0 || v >= bound) throw withCode(new RangeError(`${call}: expected ${name}[${i}] in [0, ${bound}), received ${v}`), 'ERR_SHAPE');
    }
  }

  own(buf: F32Buf | I32Buf, i32: boolean): number {
    // A freed handle's ptr is −1, so a live buffer is the only one that passes.
    return buf instanceof WasmBuf && buf.owner === this && buf.i32 === i32 ? buf.ptr : -1;
  }

  ptr(buf: F32Buf | I32Buf): number {
    return buf instanceof WasmBuf && buf.owner === this ? buf.ptr : buf.length === 0 ? 0 : this.stage(buf.data);
  }

  /** Copies an array of another backend into linear memory for one call (once per call, however often passed). */
  private stage(data: Float32Array | Int32Array): number {
    this.staged ??= [];
    for (const s of this.staged) if (s.data === data) return s.ptr;
    const ptr = this.alloc('wasm (staging a buffer of another backend)', data.length);
    this.words.set(data instanceof Int32Array ? data : new Int32Array(data.buffer, data.byteOffset, data.length), ptr >>> 2);
    this.staged.push({ data, ptr });
    return ptr;
  }

  /** After a call: copies staged arrays back (arguments in order, so written ones land last) and frees them. */
  unstage(): void {
    const staged = this.staged;
    if (staged === null) return;
    this.staged = null;
    for (const { data, ptr } of staged) {
      const words = this.words.subarray(ptr >>> 2, (ptr >>> 2) + data.length);
      (data instanceof Int32Array ? data : new Int32Array(data.buffer, data.byteOffset, data.length)).set(words);
      this.ex.free(ptr);
    }
  }
}

/** Every kernel of the table behind its generated door; a kernel the module lacks is an ERR_BACKEND naming it. */
function makeKernels(mod: WasmModule): Kernels {
  for (const name of Object.keys(KERNELS)) {
    if (typeof (mod.ex as unknown as Record<string, unknown>)[name] !== 'function') {
      throw backendError(`descent.wasm lacks kernel ${name} (an out-of-date build? run \`npm run build:wasm\`)`);
    }
  }
  return wasmKernels(mod, mod.ex);
}

/**
 * Wraps an instantiated descent.wasm as a Backend; `team` is the threaded module's worker team (started by the
 * caller), absent for the single-threaded module, whose `detail` then gives `single` (why not threads).
 */
export function wasmBackendFromInstance(instance: WebAssembly.Instance, relaxed: boolean, team?: WasmTeam, single?: string): WasmBackend {
  const mod = new WasmModule(instance);
  const simd = relaxed ? 'relaxed-simd (fused multiply-add)' : 'simd128';
  // Blocks whose handle the garbage collector reclaimed go back to the allocator, so models, trainers and
  // optimizers dropped without dispose() do not leak linear memory (dispose() still frees at once). Every owner of
  // a view into a block (parameters into their arena, optimizer state views) also holds the block's handle.
  const reclaim = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<number>((ptr) => mod.ex.free(ptr)) : null;
  const owned = <T extends F32Handle | I32Handle>(handle: T): T => {
    reclaim?.register(handle, handle.ptr, handle);
    return handle;
  };
  const f32 = (ptr: number, n: number, owns: boolean): F32Handle => new WasmBuf(mod, ptr, n, owns, Float32Array);
  const i32 = (ptr: number, n: number, owns: boolean): I32Handle => new WasmBuf(mod, ptr, n, owns, Int32Array);
  return {
    name: 'wasm',
    get detail() {
      if (!team) return `${simd}, 1 thread${single ? ` (single-threaded module: ${single})` : ''}`;
      return `${simd}, ${team.size} thread${team.size === 1 ? '' : 's'} (shared memory)${team.note}`;
    },
    tiles: TILES,
    memory: mod.memory,
    relaxed,
    get threads() {
      return team?.size ?? 1;
    },
    threaded: team !== undefined,
    get workersRunning() {
      return team?.running ?? 0;
    },
    alloc: (n: number): F32Buf => (n === 0 ? f32(0, 0, false) : owned(f32(mod.alloc('alloc', n), n, true))),
    allocI32: (n: number): I32Buf => (n === 0 ? i32(0, 0, false) : owned(i32(mod.alloc('allocI32', n), n, true))),
    free(buf: F32Buf | I32Buf) {
      if (!(buf instanceof WasmBuf) || buf.owner !== mod || !buf.owned || buf.ptr < 0) return;
      reclaim?.unregister(buf);
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

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${response.url || 'the given Response'}`);
  if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function compileFrom(url: URL): Promise<WebAssembly.Module> {
  const fs = url.protocol === 'file:' ? nodeFs() : null;
  if (fs) return WebAssembly.compile(fs.readFileSync(url));
  return compileResponse(await fetch(url));
}

/** The page (or worker) address relative URL strings resolve against, like `fetch`; undefined in Node. */
function baseUrl(): string | undefined {
  return (globalThis as { location?: { href?: string } }).location?.href;
}

async function compileSource(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
    return WebAssembly.compile(bytes);
  }
  if (source instanceof URL) return compileFrom(source);
  if (typeof source === 'string') {
    const fs = nodeFs();
    // In Node a string without a scheme is a file path; elsewhere it is a URL relative to the page, as for fetch.
    if (fs && baseUrl() === undefined && !/^[a-z][a-z\d+.-]*:/i.test(source)) return WebAssembly.compile(fs.readFileSync(source));
    return compileFrom(new URL(source, baseUrl()));
  }
  return compileResponse(await source);
}

/**
 * An AssemblyScript string in linear memory (UTF-16; its byte length sits in the object header just before it),
 * read the way @assemblyscript/loader's abort import reads it, so abort messages name the reason and the file.
 */
function stringAt(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || ptr < 4 || ptr % 4 !== 0 || ptr >= memory.buffer.byteLength) return '?';
  const bytes = Math.min(new Uint32Array(memory.buffer, ptr - 4, 1)[0], 2048, memory.buffer.byteLength - ptr);
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** The imports of this thread's instance, the shared memory it imports (threaded modules), and `bind`. */
interface OwnerImports {
  imports: WebAssembly.Imports;
  memory?: WebAssembly.Memory;
  /** Tells the abort import the instance's memory (exported by the single-threaded modules). */
  bind(instance: WebAssembly.Instance): WebAssembly.Instance;
}

/**
 * The module's imports: `abort` (reached only by the allocator when memory cannot grow: kernels are built without
 * assertions) and, for a threaded module, a new shared memory. @assemblyscript/loader was measured for this job and
 * not taken (README, "Bundlers and browsers"); its abort import's decoding of message and file is kept here.
 */
function ownerImports(module: WebAssembly.Module): OwnerImports {
  const memory = importsMemory(module) ? sharedMemory() : undefined;
  let seen = memory;
  const abort = (msg: number, file: number, line: number, column: number) => {
    throw new Error(`descent.wasm aborted: ${stringAt(seen, msg)} at ${stringAt(seen, file)}:${line}:${column}`);
  };
  return {
    imports: { env: memory ? { abort, memory } : { abort } },
    memory,
    bind: (instance) => {
      seen ??= instance.exports.memory as WebAssembly.Memory;
      return instance;
    },
  };
}

/**
 * Makes the backend from this thread's instance. For the threaded module: copies the static data into the shared
 * memory, runs the start function (the allocator's and packing buffers' set-up; workers never run it) and starts
 * the team at the requested thread count. `single` says why the module is not the threaded one.
 */
function start(module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory | undefined, relaxed: boolean, single: string): WasmBackend {
  if (!memory) {
    reportWasmThreads(() => 1);
    return (loaded = wasmBackendFromInstance(instance, relaxed, undefined, single));
  }
  const ex = instance.exports as unknown as WasmExports;
  copyStaticData(module, memory);
  ex._initialize?.();
  const team = new WasmTeam(module, memory, ex);
  team.resize(requestedThreads() ?? defaultThreads());
  onThreadsChange((n) => team.resize(n));
  reportWasmThreads(() => team.size);
  return (loaded = wasmBackendFromInstance(instance, relaxed, team));
}

/** The module given to `loadBackend('wasm', { wasm })`: checked to be descent's, and of this version. */
async function loadFrom(source: WasmSource): Promise<WasmBackend> {
  const relaxedEngine = probe();
  let module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory | undefined;
  try {
    module = await compileSource(source);
    const owner = ownerImports(module);
    memory = owner.memory;
    if (memory && threadsUnavailable() !== null) throw new Error(`it is a threaded module, and ${threadsUnavailable()}; pass descent.wasm instead`);
    instance = owner.bind(await WebAssembly.instantiate(module, owner.imports));
  } catch (error) {
    const hint = relaxedEngine ? '' : ' (this engine lacks relaxed SIMD: pass descent.wasm, not descent-relaxed.wasm)';
    throw new Error(`the wasm module given in options.wasm could not be instantiated: ${messageOf(error)}${hint}`);
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing = ['memory', 'alloc', 'free', 'threads_init', 'threads_started', ...Object.keys(KERNELS)].filter((name) => exports[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`the wasm module given in options.wasm is not this version of descent-nn's descent.wasm: it lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
  }
  const relaxed = (exports.RELAXED_SIMD as WebAssembly.Global | undefined)?.value === 1;
  return start(module, instance, memory, relaxed, 'options.wasm is a single-threaded module');
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

/**
 * The modules to try, best first: threaded where possible (else `single` says why; empty when threads are possible
 * and the reason is the threaded modules' failure, see `whySingle`), relaxed SIMD where valid.
 */
function variants(): { relaxed: boolean; threaded: boolean; single: string }[] {
  const relaxed = probe();
  const single = threadsUnavailable();
  const list: { relaxed: boolean; threaded: boolean; single: string }[] = [];
  for (const threaded of single === null ? [true, false] : [false]) {
    for (const r of relaxed ? [true, false] : [false]) list.push({ relaxed: r, threaded, single: single ?? '' });
  }
  return list;
}

/** Why the single-threaded module runs although threads are possible: the threaded modules' failures. */
function whySingle(single: string, tried: string[]): string {
  return single || `the threaded module did not load (${tried.join('; ')})`;
}

async function loadAsync(): Promise<WasmBackend> {
  const tried: string[] = [];
  for (const { relaxed, threaded, single } of variants()) {
    const url = defaultUrl(relaxed, threaded);
    try {
      const module = await compileFrom(url);
      const owner = ownerImports(module);
      return start(module, owner.bind(await WebAssembly.instantiate(module, owner.imports)), owner.memory, relaxed, whySingle(single, tried));
    } catch (error) {
      tried.push(`${url.href}: ${messageOf(error)}`);
    }
  }
  throw notFound(tried);
}

function loadSync(): WasmBackend {
  if (loaded) return loaded;
  const fs = nodeFs();
  if (!fs) throw new Error('synchronous loading needs node:fs; call await loadBackend() instead');
  const tried: string[] = [];
  for (const { relaxed, threaded, single } of variants()) {
    const url = defaultUrl(relaxed, threaded);
    if (url.protocol !== 'file:') continue;
    try {
      const module = new WebAssembly.Module(fs.readFileSync(url));
      const owner = ownerImports(module);
      return start(module, owner.bind(new WebAssembly.Instance(module, owner.imports)), owner.memory, relaxed, whySingle(single, tried));
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
