/**
 * One thread count for both fast backends. `setThreads(n)` sizes the native pool (one per process) and the wasm
 * team (one per JavaScript realm: the main thread and each worker that loads wasm has its own), now or when wasm
 * loads; `DESCENT_THREADS` is the default for both, else the CPUs. Results are bit-identical for every count.
 */
import { optionError } from '../errors.js';
import { loadAddon } from './native.js';
import { defaultThreads, threadsUnavailable } from './wasm-threads.js';

let requested: number | undefined;
const listeners: ((n: number) => void)[] = [];

/** The count the last setThreads() asked for in this realm, if any (the wasm loader starts its team with it). */
export function requestedThreads(): number | undefined {
  return requested;
}

/** Called with each later setThreads() count (the loaded wasm module resizes its team). */
export function onThreadsChange(listener: (n: number) => void): void {
  listeners.push(listener);
}

function nativeAddon(): ReturnType<typeof loadAddon> | null {
  try {
    return loadAddon();
  } catch {
    return null;
  }
}

/**
 * Sets the thread count of the native backend (process-wide) and of the wasm backend (this realm; the wasm team
 * takes at most 64 and, where threads are unavailable, runs on one thread: see `availableBackends()`). Default:
 * `DESCENT_THREADS`, else the CPUs this process may use. Results are bit-identical for any count. Returns `n`.
 * @example
 * setThreads(1);   // single-threaded kernels, e.g. when running several workers
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw optionError('setThreads', 'n', 'an integer in [1, 256]', n);
  requested = n;
  nativeAddon()?.setThreads(n);
  for (const listener of listeners) listener(n);
  return n;
}

/**
 * The thread count in use: the native pool's where the addon loads (it is process-wide), else what the wasm
 * backend uses or will use in this realm. `backend.detail` says what each loaded backend actually runs on.
 */
export function getThreads(): number {
  const addon = nativeAddon();
  if (addon) return addon.info().threads;
  return wasmThreads();
}

let wasmThreads: () => number = () => requested ?? (threadsUnavailable() === null ? defaultThreads() : 1);

/** The wasm loader tells how to read its team's size (a function, so this file does not import wasm.ts). */
export function reportWasmThreads(read: () => number): void {
  wasmThreads = read;
}
