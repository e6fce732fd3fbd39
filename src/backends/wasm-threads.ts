/**
 * The wasm backend's workers: where threads are possible, and the team of worker instances over one shared
 * `WebAssembly.Memory` (assembly/team.ts runs the jobs). The owning thread (the one that loaded the module) keeps
 * the allocator and calls every kernel; a kernel big enough to split posts a job in shared memory, takes tasks
 * itself and waits for the rest with `memory.atomic.wait32`, so a kernel call stays synchronous. Workers are
 * worker_threads in Node and Web Workers in browsers, started from a small inline script (no extra file to bundle);
 * each instantiates the same compiled module with the shared memory and parks in `thread_main`. Which thread runs
 * a task never changes a result, so a worker that starts late or never does only costs speed.
 * No static import of Node modules: this file must bundle for browsers.
 */
import { maybeBuiltin, NODE_WORKER_DATA } from '../node.js';

/** The most threads the wasm team takes (assembly/team.ts TEAM_MAX). */
export const WASM_MAX_THREADS = 64;

/**
 * Pages the shared memory starts with: the threaded modules declare this minimum (assembly/asconfig.json,
 * initialMemory); the maximum is the whole 32-bit address space, as for the single-threaded modules.
 */
const SHARED_INITIAL_PAGES = 64;
const SHARED_MAXIMUM_PAGES = 65536;

// (memory 1 1 shared) plus (func i32.const 0 i32.atomic.load drop): valid exactly where wasm threads are.
const THREADS_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x05, 0x04, 0x01, 0x03, 0x01, 0x01, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x1a, 0x0b,
);

interface NodeWorker {
  on(event: 'error', listener: (error: Error) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown; name?: string }) => NodeWorker;
}
interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
}

type Env = Record<string, string | undefined>;
function env(): Env | undefined {
  return (globalThis as { process?: { env?: Env } }).process?.env;
}

function inNode(): boolean {
  return (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
}

/** Why this JavaScript context cannot run the threaded module, or null when it can. */
export function threadsUnavailable(): string | null {
  if (env()?.DESCENT_WASM_THREADS === '0') return 'DESCENT_WASM_THREADS=0';
  if (typeof SharedArrayBuffer !== 'function' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated, so SharedArrayBuffer is unavailable (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (!WebAssembly.validate(THREADS_PROBE)) return 'this engine lacks WebAssembly threads (shared memory and atomics)';
  if (inNode()) {
    if (!maybeBuiltin<NodeWorkerThreads>('node:worker_threads')) return 'node:worker_threads is unavailable (this Node is older than 20.16)';
  } else if (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL.createObjectURL !== 'function') {
    return 'this context cannot start Web Workers';
  }
  try {
    // "not-equal" at once where blocking is allowed; a browser's main thread throws instead.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return "a browser's main thread may not block (Atomics.wait), and a kernel call waits for its workers: load descent in a Web Worker to use threads";
  }
  return null;
}

/** Threads when setThreads was never called: DESCENT_THREADS, else the CPUs (Node: this process may use). */
export function defaultThreads(): number {
  const fromEnv = env()?.DESCENT_THREADS;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv.trim())) {
    const n = Number(fromEnv);
    if (n >= 1 && n <= 256) return Math.min(n, WASM_MAX_THREADS);
  }
  const os = maybeBuiltin<{ availableParallelism?(): number; cpus(): unknown[] }>('node:os');
  const cpus = os ? (os.availableParallelism?.() ?? os.cpus().length) : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(cpus ?? 1, WASM_MAX_THREADS));
}

/** Whether a compiled module is a threaded one (it imports its memory instead of defining it). */
export function importsMemory(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}

/** The shared memory a threaded module imports. */
export function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
}

/**
 * Copies the module's static data into memory: scripts/wasm-data.mjs moved the data segments into the custom
 * section `descent.data` (address, length, bytes per segment), so instantiating a worker writes nothing into memory
 * the owner already uses. The owner calls this once, before the start function.
 */
export function copyStaticData(module: WebAssembly.Module, memory: WebAssembly.Memory): void {
  const sections = WebAssembly.Module.customSections(module, 'descent.data');
  if (sections.length !== 1) throw new Error('the threaded wasm module lacks its descent.data section (built without scripts/wasm-data.mjs?)');
  const bytes = new Uint8Array(sections[0]);
  const view = new DataView(sections[0]);
  const target = new Uint8Array(memory.buffer);
  for (let pos = 0; pos < bytes.length; ) {
    const address = view.getUint32(pos, true), length = view.getUint32(pos + 4, true);
    target.set(bytes.subarray(pos + 8, pos + 8 + length), address);
    pos += 8 + length;
  }
}

/**
 * A worker's script: instantiate the module over the shared memory and run as thread `t` until the team lets it
 * go. One source for Node (eval'd CommonJS, data in workerData) and browsers (a Blob URL, data in a message).
 */
const WORKER_SOURCE = `
const run = ({ module, memory, t, control }) =>
  WebAssembly.instantiate(module, { env: { memory, abort() { throw new Error('descent.wasm worker ' + t + ' aborted'); } } })
    .then((instance) => {
      try {
        instance.exports.thread_main(t, control);
      } catch (error) {
        instance.exports.thread_failed(t);
        throw error;
      }
    });
if (typeof require === 'function') run(${NODE_WORKER_DATA});
else self.onmessage = (event) => run(event.data).then(() => self.close());
`;

let blobUrl: string | null = null;

interface TeamExports {
  threads_init(threads: number): number;
  threads_started(): number;
}

/** The owner's view of its workers: start them, resize the team, say what runs. */
export class WasmTeam {
  /** Threads kernels split over (the owner included). */
  size = 1;
  /** Workers started, index t − 1 (they stay parked when the team shrinks and rejoin when it grows). */
  private readonly workers: (NodeWorker | WebWorker)[] = [];
  private readonly failures: string[] = [];

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly ex: TeamExports,
  ) {}

  /** Sets the team to `n` threads (capped at WASM_MAX_THREADS), starting the workers it lacks; returns the size. */
  resize(n: number): number {
    const size = Math.max(1, Math.min(n, WASM_MAX_THREADS));
    const control = this.ex.threads_init(size);
    for (let t = this.workers.length + 1; t < size; t++) this.workers.push(this.start(t, control));
    return (this.size = size);
  }

  /** Workers running now (they start asynchronously; until then the others, the owner included, do their share). */
  get running(): number {
    return Math.min(this.ex.threads_started(), this.size - 1);
  }

  /** Why a worker failed, if one did (its share of the work then runs on the others). */
  get note(): string {
    return this.failures.length > 0 ? ` (worker failed: ${this.failures[0]})` : '';
  }

  private start(t: number, control: number): NodeWorker | WebWorker {
    const data = { module: this.module, memory: this.memory, t, control };
    const record = (message: string) => this.failures.push(message);
    const threads = inNode() ? maybeBuiltin<NodeWorkerThreads>('node:worker_threads') : null;
    if (threads) {
      const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: data, name: `descent-wasm-${t}` });
      worker.on('error', (error) => record(error.message));
      // Parked workers must not keep the process alive.
      worker.unref();
      return worker;
    }
    blobUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const worker = new Worker(blobUrl, { name: `descent-wasm-${t}` }) as unknown as WebWorker;
    worker.addEventListener('error', (event) => record(event.message ?? 'error'));
    worker.postMessage(data);
    return worker;
  }
}
