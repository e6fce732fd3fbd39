/**
 * The runtime flags every command shares (`--backend`, `--threads`) and the backend they select. `--threads`
 * sizes the native thread pool and the wasm team (results are bit-identical for any count); js runs on one
 * thread, so asking for threads there is an error, and an automatic choice that lands on js (or on the
 * single-threaded wasm module) says the flag had no effect.
 */
import { availableBackends, loadBackend } from '../backends/index.js';
import { getThreads, setThreads } from '../backends/threads.js';
import type { WasmBackend } from '../backends/wasm.js';
import type { Backend, BackendName } from '../backends/types.js';
import { UsageError, type Flags } from './args.js';

const BACKEND_CHOICES = ['auto', 'native', 'wasm', 'js'] as const;

export const RUNTIME_FLAGS = {
  backend: { type: 'choice', choices: BACKEND_CHOICES, default: 'auto', group: 'runtime', help: 'compute backend; auto picks native, else wasm, else js' },
  threads: {
    type: 'number', value: 'N', integer: true, min: 1, max: 256, group: 'runtime',
    help: 'threads of the native and wasm backends (default: DESCENT_THREADS, else every CPU); results do not depend on it',
  },
} as const satisfies Flags;

export interface Runtime {
  backend: Backend;
  /** Threads in use (undefined on js). */
  threads?: number;
  /** A line for stderr when a flag had no effect. */
  note?: string;
}

export async function loadRuntime(name: (typeof BACKEND_CHOICES)[number], threads: number | undefined): Promise<Runtime> {
  if (threads !== undefined && name === 'js') {
    throw new UsageError('--threads applies to the native and wasm backends; the js backend runs on one thread');
  }
  if (threads !== undefined) setThreads(threads);
  const backend = await loadBackend(name as BackendName | 'auto');
  if (backend.name === 'native') return { backend, threads: getThreads() };
  if (backend.name === 'wasm') {
    const wasm = backend as WasmBackend;
    if (threads === undefined || wasm.threaded) return { backend, threads: wasm.threads };
    return { backend, threads: 1, note: `--threads ${threads} has no effect: ${wasm.detail}` };
  }
  if (threads === undefined) return { backend };
  const native = (await availableBackends()).find((b) => b.name === 'native');
  const why = native && !native.available && native.reason ? ` (native: ${native.reason})` : '';
  return { backend, note: `--threads ${threads} has no effect: the ${backend.name} backend runs on one thread${why}` };
}
