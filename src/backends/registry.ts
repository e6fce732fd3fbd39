/**
 * Backend registry (tfjs style): backends register a loader and a priority; `loadBackend()` picks an explicit
 * name, else `DESCENT_BACKEND`, else the highest-priority backend that loads. Failures are remembered with their
 * reason and shown by `availableBackends()`, the way sharp lists what it tried.
 */
import { checkOptions } from '../check.js';
import { backendError, optionError } from '../errors.js';
import type { Backend, BackendInfo, BackendName } from './types.js';
import { jsBackend } from './js.js';
import { checkWasmSource, type LoadBackendOptions } from './wasm.js';

/** How a backend loads (see `registerBackend`). */
export interface BackendLoader {
  /** Loads the backend; throws (or rejects) with a reason when it cannot. `options` come from `loadBackend()`. */
  load(options?: LoadBackendOptions): Backend | Promise<Backend>;
  /** A synchronous path, where the backend has one (used by `getBackend()` before any `loadBackend()`). */
  loadSync?(): Backend;
}

interface Entry {
  name: BackendName;
  priority: number;
  loader: BackendLoader;
  loaded?: Backend;
  failure?: string;
  pending?: Promise<Backend>;
}

const entries = new Map<BackendName, Entry>();
let active: Backend | null = null;

const NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

/**
 * Registers (or replaces) a backend's loader; `loadBackend('auto')` tries backends by descending priority
 * (native 3, wasm 2, js 1).
 * @example
 * registerBackend('wasm', { load: async () => myWasmBackend }, 2);
 */
export function registerBackend(name: BackendName, loader: BackendLoader, priority: number): void {
  entries.set(name, { name, priority, loader });
}

function byPriority(): Entry[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads an entry once; a failure is remembered, except that a call with options (a wasm source) tries again. */
async function tryLoad(entry: Entry, options?: LoadBackendOptions): Promise<Backend> {
  if (entry.loaded) return entry.loaded;
  if (options?.wasm !== undefined && entry.failure !== undefined) {
    entry.failure = undefined;
    entry.pending = undefined;
  }
  if (entry.failure !== undefined) throw new Error(entry.failure);
  entry.pending ??= Promise.resolve()
    .then(() => entry.loader.load(options))
    .then(
      (backend) => (entry.loaded = backend),
      (error: unknown) => {
        entry.failure = reasonOf(error);
        throw error;
      },
    );
  return entry.pending;
}

function tryLoadSync(entry: Entry): Backend | null {
  if (entry.loaded) return entry.loaded;
  if (entry.failure !== undefined || !entry.loader.loadSync) return null;
  try {
    return (entry.loaded = entry.loader.loadSync());
  } catch (error) {
    entry.failure = reasonOf(error);
    return null;
  }
}

function environmentChoice(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.DESCENT_BACKEND?.trim();
  return value ? value : undefined;
}

function checkName(call: string, name: unknown, source = 'name'): BackendName | 'auto' {
  if (name === 'auto' || NAMES.includes(name as BackendName)) return name as BackendName | 'auto';
  throw optionError(call, source, `one of 'auto', 'native', 'wasm', 'js'`, name);
}

/**
 * Loads a backend and makes it the active one: models, optimizers and trainers created afterwards use it.
 * `name` defaults to `'auto'`: the `DESCENT_BACKEND` environment variable if set, else the fastest that loads.
 * An explicitly named backend that cannot load throws `ERR_BACKEND` with the reason. `options.wasm` gives the
 * wasm module's location or bytes where bundling moved it (see `WasmSource`).
 * In a browser, an automatic choice that lands on js warns once on the console, with the reason.
 * @example
 * const backend = await loadBackend();          // native in Node with the addon, else wasm, else js
 * console.log(backend.name, backend.detail);
 * await loadBackend('wasm', { wasm: new URL('./descent.wasm', import.meta.url) });   // after bundling
 */
export async function loadBackend(name: BackendName | 'auto' = 'auto', options?: LoadBackendOptions): Promise<Backend> {
  let choice = checkName('loadBackend', name);
  const opts = checkOptions('loadBackend', options, ['wasm']) as LoadBackendOptions;
  if (opts.wasm !== undefined) checkWasmSource('loadBackend', opts.wasm);
  if (choice === 'auto') {
    const fromEnv = environmentChoice();
    if (fromEnv !== undefined) choice = checkName('loadBackend', fromEnv, 'DESCENT_BACKEND');
  }
  if (choice !== 'auto') {
    const entry = entries.get(choice);
    if (!entry) throw backendError(`loadBackend: backend '${choice}' is not registered in this build`);
    try {
      return (active = await tryLoad(entry, opts));
    } catch (error) {
      const reason = reasonOf(error);
      throw backendError(`loadBackend: backend '${choice}' is not available: ${reason}`, [{ name: choice, reason }]);
    }
  }
  const reasons: { name: string; reason: string }[] = [];
  for (const entry of byPriority()) {
    try {
      active = await tryLoad(entry, opts);
      if (active.name === 'js') warnSlowBrowser('loadBackend()', reasons);
      return active;
    } catch (error) {
      reasons.push({ name: entry.name, reason: reasonOf(error) });
    }
  }
  throw backendError(`loadBackend: no backend could be loaded (${reasons.map((r) => `${r.name}: ${r.reason}`).join('; ')})`, reasons);
}

let warned = false;

/** Not Node (nor Deno or Bun): a browser, a worker or an edge runtime, where wasm is the backend to expect. */
function inBrowser(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return proc?.versions?.node === undefined;
}

/**
 * In a browser, landing on the js backend is almost always a setup problem (the .wasm was not found, or
 * `loadBackend()` was never awaited), and js is several times slower; say so once, with the reason.
 */
function warnSlowBrowser(call: string, reasons: { name: string; reason: string }[]): void {
  if (warned || !inBrowser()) return;
  const wasm = reasons.find((r) => r.name === 'wasm');
  if (!wasm) return;
  warned = true;
  console.warn(`descent-nn: ${call} chose the js backend, several times slower than wasm, because wasm did not load: ${wasm.reason}`);
}

/**
 * The active backend. Before any `loadBackend()`, it activates the best backend that can load synchronously:
 * in Node native when the addon is present, else wasm (compiled synchronously from the file), else js; in a
 * browser js. Call `await loadBackend()` to load wasm in a browser too.
 */
export function getBackend(): Backend {
  if (active) return active;
  const fromEnv = environmentChoice();
  if (fromEnv !== undefined) {
    const choice = checkName('getBackend', fromEnv, 'DESCENT_BACKEND');
    const entry = choice === 'auto' ? undefined : entries.get(choice);
    const backend = entry ? tryLoadSync(entry) : null;
    if (backend) return (active = backend);
    if (entry && choice !== 'auto') {
      throw backendError(`getBackend: DESCENT_BACKEND=${choice} cannot be loaded synchronously; call await loadBackend() first`);
    }
  }
  for (const entry of byPriority()) {
    const backend = tryLoadSync(entry);
    if (backend) return (active = backend);
  }
  if (entries.has('wasm')) {
    warnSlowBrowser('getBackend()', [{ name: 'wasm', reason: 'it loads asynchronously, and a model or trainer was created before `await loadBackend()`; await it first' }]);
  }
  return (active = jsBackend);
}

/** Makes an already loaded backend active (used by tests that iterate over backends). */
export function setBackend(backend: Backend): void {
  active = backend;
}

/**
 * Every registered backend, whether it loads here, and why not. Tries to load each one it has not tried yet.
 * @example
 * for (const b of await availableBackends()) console.log(b.name, b.available ? b.detail : b.reason);
 */
export async function availableBackends(): Promise<BackendInfo[]> {
  const infos: BackendInfo[] = [];
  for (const entry of byPriority()) {
    try {
      const backend = await tryLoad(entry);
      infos.push({ name: entry.name, available: true, detail: backend.detail });
    } catch (error) {
      infos.push({ name: entry.name, available: false, reason: entry.failure ?? reasonOf(error) });
    }
  }
  return infos;
}

registerBackend('js', { load: () => jsBackend, loadSync: () => jsBackend }, 1);
