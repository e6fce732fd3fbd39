/**
 * Backend registry (tfjs style): backends register a loader and a priority; `loadBackend()` picks an explicit
 * name, else `DESCENT_BACKEND`, else the highest-priority backend that loads. Failures are remembered with their
 * reason and shown by `availableBackends()`, the way sharp lists what it tried.
 */
import { backendError, optionError } from '../errors.js';
import type { Backend, BackendInfo, BackendName } from './types.js';
import { jsBackend } from './js.js';

export interface BackendLoader {
  /** Loads the backend; throws (or rejects) with a reason when it cannot. */
  load(): Backend | Promise<Backend>;
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

export function registerBackend(name: BackendName, loader: BackendLoader, priority: number): void {
  entries.set(name, { name, priority, loader });
}

function byPriority(): Entry[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function tryLoad(entry: Entry): Promise<Backend> {
  if (entry.loaded) return entry.loaded;
  if (entry.failure !== undefined) throw new Error(entry.failure);
  entry.pending ??= Promise.resolve()
    .then(() => entry.loader.load())
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
 * An explicitly named backend that cannot load throws `ERR_BACKEND` with the reason.
 * @example
 * const backend = await loadBackend();          // native in Node with the addon, else wasm, else js
 * console.log(backend.name, backend.detail);
 */
export async function loadBackend(name: BackendName | 'auto' = 'auto'): Promise<Backend> {
  let choice = checkName('loadBackend', name);
  if (choice === 'auto') {
    const fromEnv = environmentChoice();
    if (fromEnv !== undefined) choice = checkName('loadBackend', fromEnv, 'DESCENT_BACKEND');
  }
  if (choice !== 'auto') {
    const entry = entries.get(choice);
    if (!entry) throw backendError(`loadBackend: backend '${choice}' is not registered in this build`);
    try {
      return (active = await tryLoad(entry));
    } catch (error) {
      const reason = reasonOf(error);
      throw backendError(`loadBackend: backend '${choice}' is not available: ${reason}`, [{ name: choice, reason }]);
    }
  }
  const reasons: { name: string; reason: string }[] = [];
  for (const entry of byPriority()) {
    try {
      return (active = await tryLoad(entry));
    } catch (error) {
      reasons.push({ name: entry.name, reason: reasonOf(error) });
    }
  }
  throw backendError(`loadBackend: no backend could be loaded (${reasons.map((r) => `${r.name}: ${r.reason}`).join('; ')})`, reasons);
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
